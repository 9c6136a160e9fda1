#pragma once
// What the command-line tests share: running the built dsgd (DSGD_EXE) in a test's own folder,
// reading what it printed and wrote, and the checks of a one-line error.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace cli_testing {

namespace fs = std::filesystem;
using nlohmann::json;

// Small enough that every run takes a fraction of a second.
constexpr const char* kSmall = "--samples 20000 --features 8 --epochs 2 --batch 512";

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline bool has_line_starting(const std::string& text, const std::string& prefix) {
  for (const std::string& line : lines_of(text)) {
    if (line.starts_with(prefix)) return true;
  }
  return false;
}

inline std::size_t progress_lines(const std::string& text) {
  static const std::regex progress(R"(^\[(train|sequential|parallel)\] epoch +\d+/\d+ .*)");
  std::size_t n = 0;
  for (const std::string& line : lines_of(text)) n += std::regex_match(line, progress) ? 1 : 0;
  return n;
}

// The rows of train's epoch table ("      3    0.437839    0.2    0.0003").
inline std::size_t epoch_rows(const std::string& text) {
  static const std::regex row(R"(^ +\d+ +(\d+\.\d{6}|n/a) .*)");
  std::size_t n = 0;
  for (const std::string& line : lines_of(text)) n += std::regex_match(line, row) ? 1 : 0;
  return n;
}

// Built with += rather than "'" + s + "'", which trips GCC 12's false -Wrestrict at -O3.
inline std::string quoted(const fs::path& path) {
  std::string word = "'";
  word += path.string();
  word += '\'';
  return word;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::temp_directory_path() / ("dsgd_cli_test_" + std::to_string(::getpid()) + "_" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  [[nodiscard]] fs::path path(const std::string& name) const { return dir_ / name; }

  // Runs `dsgd args` through the shell (args are shell words), in the test's directory.
  Result dsgd(const std::string& args) const { return dsgd_after("", args); }
  // The same with `env` (VAR=value ...) set for dsgd.
  Result dsgd_env(const std::string& env, const std::string& args) const { return dsgd_after(env + " ", args); }
  // Runs "BEFORE dsgd args": BEFORE is shell text such as "cat f | " or "VAR=1 ".
  Result dsgd_after(const std::string& before, const std::string& args) const {
    const fs::path err = dir_ / ".stderr";
    const std::string command =
        "cd " + quoted(dir_) + " && " + before + quoted(DSGD_EXE) + " " + args + " 2>" + quoted(err);
    Result result;
    std::FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return result;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;) result.out.append(buffer, n);
    const int status = ::pclose(pipe);
    result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.err = read_text(err);
    fs::remove(err);
    return result;
  }
  // Runs `dsgd args` where dsgd starts whole MPI jobs (mpirun) of its own: in the ASan build,
  // without LeakSanitizer, as tests/CMakeLists.txt runs the mpi_job_* tests (its tracer crashes
  // at a rank's exit now and then: "Tracer caught signal 11", LSan's fault, not a leak). ASan and
  // UBSan stay on; elsewhere (ASAN_OPTIONS unset) this is dsgd(args).
  Result dsgd_starting_mpi_jobs(const std::string& args) const {
    return dsgd_after("ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:detect_leaks=0}\" ", args);
  }
  // "BEFORE dsgd args --json FILE", expected to succeed.
  Result dsgd_json_via(const std::string& before, const std::string& args, const std::string& file) const {
    Result r = dsgd_after(before, args + " --json " + quoted(path(file)));
    EXPECT_EQ(r.code, 0) << r.err;
    return r;
  }

  // Runs `dsgd args --json FILE`, expects success and returns the parsed FILE.
  json dsgd_json(const std::string& args, const std::string& file) const {
    const Result r = dsgd(args + " --json " + quoted(path(file)));
    EXPECT_EQ(r.code, 0) << r.err;
    std::ifstream in(path(file));
    return json::parse(in);
  }

  fs::path dir_;
};

inline void expect_keys(const json& j, const std::string& section, const std::vector<std::string>& keys) {
  const json& obj = section.empty() ? j : j.at(section);
  for (const std::string& key : keys) EXPECT_TRUE(obj.contains(key)) << section << "." << key;
}

inline void expect_one_line_error(const Result& r) {
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_TRUE(r.err.starts_with("dsgd: error: ")) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(r.err.ends_with("\n")) << r.err;
}

// A test data file (tests/data/files), as a shell word.
inline std::string data_file(const std::string& name) { return quoted(fs::path(DSGD_TEST_DATA) / name); }

}  // namespace cli_testing
