// A study's points as jobs of processes (study_jobs.h): the command line of each job, starting
// it (posix_spawn, its output into a log file), and reading its JSON report back.
#include "study_jobs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dsgd/base/error.h"

extern char** environ;

namespace dsgd::cli {
namespace {


std::string self_path() {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) throw Error(fmt::format("cannot find this program's path (/proc/self/exe): {}", error.message()));
  return self.string();
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (!dir.empty() && ::access((std::filesystem::path(dir) / program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// A folder of this job's files, removed with everything in it when the run is over.
struct TempDir {
  std::string path;
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string name = fmt::format("{}/dsgd_study_XXXXXX", tmp != nullptr && *tmp != '\0' ? tmp : "/tmp");
    if (::mkdtemp(name.data()) == nullptr)
      throw InputError(name, 0, fmt::format("cannot make a folder for a job's report: {}", std::strerror(errno)));
    path = name;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

// The line of the job's output worth showing: dsgd's own error, else the harness's, else a
// sanitizer's, else the last that says something (Open MPI frames its messages in lines of dashes).
std::string last_words(const std::string& log, std::string_view marker = "") {
  std::ifstream in(log);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    const auto says = std::find_if(line.begin(), line.end(), [](unsigned char c) { return std::isalnum(c); });
    if (says == line.end()) continue;
    const auto first = line.find_first_not_of(" \t");
    lines.push_back(line.substr(first));
  }
  const auto find = [&](std::string_view what) -> std::string {
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
      if (it->find(what) != std::string::npos) return *it;
    }
    return "";
  };
  for (const std::string_view what : {marker, std::string_view("dsgd: error:"), std::string_view("namespace-hosts:"),
                                      std::string_view("SUMMARY: "), std::string_view("Tracer caught")}) {
    if (what.empty()) continue;
    if (std::string found = find(what); !found.empty()) return found;
  }
  return lines.empty() ? std::string("(no output)") : lines.back();
}

// Runs argv to its end with `extra_env` added, standard output and error into `log`; its exit
// status (128 + N for a signal N).
int run_program(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                const std::string& log) {
  std::vector<std::string> env_text;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const bool replaced = std::any_of(extra_env.begin(), extra_env.end(), [&](const std::string& x) {
      return entry.substr(0, entry.find('=') + 1) == std::string_view(x).substr(0, x.find('=') + 1);
    });
    if (!replaced) env_text.emplace_back(entry);
  }
  env_text.insert(env_text.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> args, env;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const std::string& e : env_text) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) throw Error(fmt::format("cannot start {}: {}", argv[0], std::strerror(spawned)));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error(fmt::format("waiting for {}: {}", argv[0], std::strerror(errno)));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace


std::optional<JobShape> job_shape(const JobBackend& backend, int workers, std::string& why) {
  if (backend.name != "hybrid") return JobShape{workers, 1};
  const int t = backend.threads_per_rank;
  if (workers % t != 0) {
    why = fmt::format("hybrid runs ranks of {} threads (--threads-per-rank): W={} is not a multiple of {}", t, workers,
                      t);
    return std::nullopt;
  }
  return JobShape{workers / t, t};
}

std::string found_hosts_script() {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  std::vector<std::filesystem::path> places;
  if (!error) places.push_back(self.parent_path().parent_path() / "libexec" / "dsgd" / "namespace-hosts");
#ifdef DSGD_SOURCE_DIR
  places.emplace_back(std::filesystem::path(DSGD_SOURCE_DIR) / "scripts" / "namespace-hosts");
#endif
  for (const std::filesystem::path& p : places) {
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

void check_job_backend(const JobBackend& backend) {
  if (backend.name == "threads") return;
  if (!on_path("mpirun"))
    throw ConfigError(fmt::format("--vary backend={}: no mpirun on PATH (Debian's openmpi-bin)", backend.name));
  if (backend.name == "hosts" && backend.hosts_script.empty())
    throw ConfigError(
        "--vary backend=hosts: the namespace-hosts script is not installed beside dsgd "
        "(../libexec/dsgd/namespace-hosts) nor in its source tree");
}

std::optional<JobRun> run_job(const JobBackend& backend, const JobShape& shape,
                              const std::vector<std::string>& train_args, std::string& skipped) {
  const TempDir dir;
  const std::string json_path = dir.path + "/report.json";
  const std::string log = dir.path + "/job.log";
  std::vector<std::string> argv;
  if (backend.name == "hosts") {
    argv = {backend.hosts_script, "-n", std::to_string(shape.ranks)};
    if (!backend.link_rate.empty()) argv.insert(argv.end(), {"--rate", backend.link_rate});
    // (Each host is a node of its own to Open MPI, all on this machine's cores: unbound, as on one host.)
    argv.insert(argv.end(), {"--", "--bind-to", "none"});
  } else {
    argv = {"mpirun", "--oversubscribe", "--bind-to", "none", "-np", std::to_string(shape.ranks)};
  }
  argv.push_back(self_path());
  argv.emplace_back("train");
  argv.insert(argv.end(), train_args.begin(), train_args.end());
  argv.insert(argv.end(), {"--backend", "mpi", "--threads-per-rank", std::to_string(shape.threads_per_rank), "--quiet", "--verbose",
                           "--json", json_path});
  std::vector<std::string> env;
  if (::geteuid() == 0) env = {"OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"};
  const int code = run_program(argv, env, log);
  if (backend.name == "hosts" && code == 77) {
    skipped = last_words(log, "skipped:");
    return std::nullopt;
  }
  if (code != 0)
    throw Error(fmt::format("the {} job of {} rank{} failed (exit {}): {}", backend.name, shape.ranks,
                            shape.ranks == 1 ? "" : "s", code, last_words(log)));
  std::ifstream in(json_path);
  nlohmann::json report;
  try {
    in >> report;
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("the {} job's report {} cannot be read: {}", backend.name, json_path, e.what()));
  }
  JobRun run;
  run.report = run_report_from_json(report);
  const auto load = report.find("load_s");
  run.load_s = load != report.end() && load->is_number() ? load->get<double>() : std::nan("");
  return run;
}

}  // namespace dsgd::cli
