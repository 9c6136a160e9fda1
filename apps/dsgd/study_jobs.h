#pragma once
// A study's points on the backends that run as jobs of processes: each timed (or warm-up) run
// is `dsgd train ... --backend mpi --json FILE` started by this program under mpirun (mpi,
// hybrid) or across namespace hosts (scripts/namespace-hosts), and its JSON report read back.
#include <optional>
#include <string>
#include <vector>

#include "dsgd/report/report.h"

namespace dsgd::cli {

// How the workers of a point run. threads: this process (not a job); mpi: one rank a worker on
// this machine; hybrid: workers / threads_per_rank ranks of threads_per_rank threads; hosts: one
// rank a namespace host, joined by virtual links of `link_rate` (tc's words; empty: unlimited).
struct JobBackend {
  std::string name = "threads";
  int threads_per_rank = 2;  // hybrid
  std::string link_rate;     // hosts
  std::string hosts_script;  // hosts: the namespace-hosts script (found_hosts_script())
};

// The ranks and threads a rank for `workers` workers; nullopt with `why` filled when the
// backend cannot run that many (hybrid: workers not a multiple of threads_per_rank).
struct JobShape {
  int ranks = 1;
  int threads_per_rank = 1;
};
[[nodiscard]] std::optional<JobShape> job_shape(const JobBackend& backend, int workers, std::string& why);

// The namespace-hosts script: installed beside this program (../libexec/dsgd/namespace-hosts)
// or in the source tree it was built from; "" when neither is there.
[[nodiscard]] std::string found_hosts_script();

// Throws ConfigError when the backend cannot start jobs here (no mpirun on PATH; no hosts script).
void check_job_backend(const JobBackend& backend);

// One run of a job: its report and the time it took to make or read its data.
struct JobRun {
  RunReport report;
  double load_s = 0;
};

// Runs `dsgd train TRAIN_ARGS --backend mpi ... --quiet --json TMP` as a job of `shape` on the
// backend (as root, with Open MPI's OMPI_ALLOW_RUN_AS_ROOT set for it) and reads its report.
// nullopt with `skipped` filled when the hosts harness skips (no root, no namespaces). Throws
// Error with the job's last line of standard error when it fails.
[[nodiscard]] std::optional<JobRun> run_job(const JobBackend& backend, const JobShape& shape,
                                            const std::vector<std::string>& train_args, std::string& skipped);

}  // namespace dsgd::cli
