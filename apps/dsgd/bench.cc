// dsgd bench: the same training run sequentially (1 worker) and in parallel (W workers) on the
// same data, with speedup, accuracy, communication and the memory-bandwidth bound. With no
// options it is the seed experiment. Under mpirun with --backend mpi the parallel run is the
// cluster's and the sequential baseline runs on rank 0 afterwards (it needs every row in one
// process, which the cluster run never does).
#include <fmt/format.h>

#include <algorithm>

#include "dsgd/model/kernel.h"
#include "dsgd/train/config/worker_count.h"
#include "experiment.h"
#include "options.h"

namespace dsgd::cli {
namespace {

// A run's progress lines, labelled (none when quiet).
EpochCallback progress(std::string label, const TrainConfig& config, bool quiet) {
  if (quiet) return {};
  return [label = std::move(label), epochs = config.epochs](const EpochProgress& p) {
    print_progress(stdout, label, epochs, p);
  };
}

}  // namespace

Handler add_bench_command(CLI::App& app) {
  struct Options {
    DataOptions data;
    TrainOptions train;
    BackendOptions backend;
    int repeat = 1;
  };
  auto options = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "bench", "Time sequential against parallel on synthetic data (no options: the seed experiment)");
  add_data_options(*sub, options->data);
  add_train_options(*sub, options->train, false);
  add_backend_options(*sub, options->backend);
  sub->add_option("-r,--repeat", options->repeat,
                  "Run both N times, alternating, and report the run of median time (bits must not change)")
      ->check(positive());
  return [options] {
    Options& o = *options;
    o.data.resolve();
    o.backend.check(o.train);
    BenchReport report;
    report.data = o.data.spec;
    const auto finish = [&](std::optional<AtomicFile>& json) {
      if (!o.train.quiet) fmt::print("\n");
      print_report(stdout, report);
      if (report.config.workers == 1)
        fmt::print("Note: the parallel run has 1 worker too; its \"speedup\" shows run-to-run noise.\n");
      if (json) write_json(*json, to_json(report));
    };
    if (!o.backend.mpi()) {
      o.train.resolve(o.data.spec);
      std::optional<AtomicFile> json = o.train.open_json();
      report.config = o.train.config;
      TrainConfig sequential = report.config;
      sequential.workers = 1;
      const Experiment data = make_experiment(report.data, std::max(report.config.workers, hardware_threads()));
      const MachineBounds bounds_1 = measure_bounds(1, report.data);
      const MachineBounds bounds_w = report.config.workers == 1 ? bounds_1 : measure_bounds(report.config.workers, report.data);
      report.env = environment_of(data);
      std::vector<RunReport> sequential_runs, parallel_runs;
      for (int r = 0; r < o.repeat; ++r) {  // alternating, so a change in machine load hits both alike
        const bool quiet = o.train.quiet || r > 0;
        sequential_runs.push_back(run_scored(sequential, data, bounds_1, progress("sequential", sequential, quiet)));
        parallel_runs.push_back(run_scored(report.config, data, bounds_w, progress("parallel", report.config, quiet)));
      }
      report.sequential = median_run(std::move(sequential_runs));
      report.parallel = median_run(std::move(parallel_runs));
      report.step_model = model_steps(data.train, report.config.batch * static_cast<std::size_t>(report.config.workers),
                                      report.sequential.run, report.parallel.run, report.config.epochs,
                                      hardware_threads(), false);
      finish(json);
      return 0;
    }
    const std::unique_ptr<Cluster> cluster = join_mpi_cluster(o.backend.cluster_options());
    return run_on_cluster(*cluster, [&] {
      ClusterSetup setup = prepare_cluster_run(*cluster, o.data, o.train, o.backend);
      const int threads = setup.threads;
      const bool root = cluster->rank() == 0;
      report.config = setup.config;
      report.env = environment_of(setup.local, "mpi");
      std::vector<RunReport> parallel_runs;
      for (int r = 0; r < o.repeat; ++r) {
        parallel_runs.push_back(run_scored(report.config, setup.local, setup.bounds,
                                           progress("parallel", report.config, o.train.quiet || r > 0 || !root),
                                           *cluster, threads));
      }
      report.parallel = median_run(std::move(parallel_runs));
      if (!root) return 0;
      // The sequential baseline: rank 0 alone, with every row, after the cluster is done with it.
      TrainConfig sequential = report.config;
      sequential.workers = 1;
      const Experiment all = make_experiment(report.data, threads);
      const MachineBounds bounds_1 = measure_bounds(1, report.data);
      std::vector<RunReport> sequential_runs;
      for (int r = 0; r < o.repeat; ++r) {
        sequential_runs.push_back(run_scored(sequential, all, bounds_1, progress("sequential", sequential, o.train.quiet || r > 0)));
      }
      report.sequential = median_run(std::move(sequential_runs));
      report.step_model = model_steps(all.train, report.config.batch * static_cast<std::size_t>(report.config.workers),
                                      report.sequential.run, report.parallel.run, report.config.epochs,
                                      hardware_threads(), true);
      finish(setup.json);
      return 0;
    });
  };
}

}  // namespace dsgd::cli
