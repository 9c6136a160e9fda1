// The default text of train, predict and eval on a shipped file, pinned (as Vowpal Wabbit pins
// its command line's output): a change to what a user reads shows up here, line by line. Times
// are masked ("T s"); the Note on the worker count, which depends on the machine's cores, is
// left out. DSGD_UPDATE_GOLDEN=1 rewrites the files (tests/apps/golden/) from this build.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <string>

#include "cli_fixture.h"

namespace {

using namespace cli_testing;

// Times masked, the machine-dependent Note dropped.
std::string normalized(const std::string& text) {
  static const std::regex seconds(R"(\d+\.\d+ s\b)");
  static const std::regex column(R"(^( +\d+ +\S+ .*\S) +\d+\.\d{4}$)");  // the epoch table's seconds
  std::string out;
  for (const std::string& line : lines_of(text)) {
    if (line.starts_with("Note    ") && line.find(" worker") != std::string::npos) continue;
    out += std::regex_replace(std::regex_replace(line, seconds, "T s"), column, "$1 T") + "\n";
  }
  return out;
}

class Golden : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    fs::copy_file(fs::path(DSGD_TEST_DATA) / "heart_scale", path("heart_scale"));
  }
  // Runs dsgd `args` (exit 0 expected) and compares its normalized standard output with `name`.
  void expect_golden(const std::string& args, const std::string& name) {
    const Result r = dsgd(args);
    ASSERT_EQ(r.code, 0) << args << ": " << r.err;
    EXPECT_EQ(r.err, "") << args;
    const fs::path file = fs::path(DSGD_GOLDEN) / (name + ".txt");
    const std::string got = normalized(r.out);
    if (const char* update = std::getenv("DSGD_UPDATE_GOLDEN"); update != nullptr && std::string(update) == "1") {
      std::ofstream(file) << got;
      return;
    }
    const std::string want = read_text(file);
    EXPECT_EQ(got, want) << "dsgd " << args << " (DSGD_UPDATE_GOLDEN=1 rewrites " << file << ")";
  }
};

TEST_F(Golden, TrainPredictAndEvalOnAShippedFile) {
  expect_golden("train heart_scale", "train");
  expect_golden("train heart_scale heart.model --test heart_scale --patience 3", "train_test");
  ASSERT_TRUE(fs::exists(path("heart.model")));
  expect_golden("eval heart_scale heart.model", "eval");
  expect_golden("predict heart_scale heart.model", "predict");
  expect_golden("predict heart_scale heart.model --labels", "predict_labels");
  // Quiet means quiet.
  const Result quiet = dsgd("train -q heart_scale quiet.model");
  EXPECT_EQ(quiet.code, 0);
  EXPECT_EQ(quiet.out, "");
  EXPECT_EQ(quiet.err, "");
}

}  // namespace
