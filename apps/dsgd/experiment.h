#pragma once
// What `train`, `bench` and `study` share on the command line: the backend options, the check
// that every MPI rank was started alike, and how a cluster process ends on a failure.
#include <memory>
#include <span>
#include <optional>
#include <string>

#include "dsgd/comm/cluster.h"
#include "dsgd/data/dataset.h"
#include "dsgd/analysis/experiment.h"
#include "dsgd/comm/same_settings.h"
#include "dsgd/report/report.h"
#include "options.h"

namespace dsgd::cli {

struct BackendOptions {
  std::string backend = "threads";
  std::optional<int> threads_per_rank;   // mpi: worker threads in each rank (default 1)
  std::optional<std::string> allreduce;  // mpi: deterministic (default) or native
  std::optional<double> timeout_s;       // mpi: longest wait in one collective (default 60 s)

  [[nodiscard]] bool mpi() const noexcept { return backend == "mpi"; }
  [[nodiscard]] int threads() const noexcept { return threads_per_rank.value_or(1); }
  // Throws ConfigError for MPI options given with --backend threads, and for --workers with mpi.
  void check(const TrainOptions& train) const;
  [[nodiscard]] ClusterOptions cluster_options() const;
};

void add_backend_options(CLI::App& app, BackendOptions& backend);

// The machine-side facts of a run on `data` (kernel, generation times, backend).
[[nodiscard]] Environment environment_of(const Experiment& data, std::string backend = "threads");

// Throws ConfigError naming the first setting in which some process differs from rank 0 (so a
// cluster never trains with mismatched configurations). Every process must call it.
// `more` adds settings of the command's own.
void check_same_config(Cluster& cluster, const SyntheticSpec& data, const TrainConfig& config,
                       const BackendOptions& backend, std::span<const Setting> more = {});

// Warns (stderr, once per process) when this process may run on fewer CPUs than it has worker
// threads: mpirun binds each rank to one core by default when ranks <= 2, which would put all
// --threads-per-rank threads on that core.
void warn_if_bound_too_tightly(const Cluster& cluster, int threads);

// What every process of a cluster run prepares before training: the options resolved and
// checked against the other ranks, the --json file (rank 0), its rows, and the machine bounds
// of all ranks measured at once and summed.
struct ClusterSetup {
  TrainConfig config;
  int threads = 1;
  std::optional<AtomicFile> json;
  Experiment local;
  MachineBounds bounds;
};
[[nodiscard]] ClusterSetup prepare_cluster_run(Cluster& cluster, const DataOptions& data, TrainOptions& train,
                                               const BackendOptions& backend);

// Runs body on a cluster process and turns a failure into the right ending: a configuration
// error seen alike by every process is printed once (rank 0) and exits 2 on all, an input
// error every process agreed on (SharedInputError) likewise exits 1; any other error is
// printed with its rank and aborts the whole job, so no rank is left waiting.
int run_on_cluster(Cluster& cluster, const std::function<int()>& body);

}  // namespace dsgd::cli
