// dsgd bench: the same training run sequentially (1 worker) and in parallel (W workers) on the
// same data, with speedup, accuracy, communication and the memory-bandwidth bound. With no
// options it is the seed experiment.
#include <fmt/format.h>

#include "dsgd/model/kernel.h"
#include "dsgd/report/bandwidth.h"
#include "experiment.h"
#include "options.h"

namespace dsgd::cli {

Handler add_bench_command(CLI::App& app) {
  struct Options {
    DataOptions data;
    TrainOptions train;
    int repeat = 1;
  };
  auto options = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "bench", "Sequential vs parallel on the same data (no options: the seed experiment, 1M x 20, 8 epochs)");
  add_data_options(*sub, options->data);
  add_train_options(*sub, options->train);
  sub->add_option("-r,--repeat", options->repeat,
                  "Run both N times, alternating, and report the run of median time (bits must not change)")
      ->check(positive());
  return [options] {
    Options& o = *options;
    o.data.resolve();
    o.train.resolve(o.data);
    std::optional<AtomicFile> json = o.train.open_json();
    BenchReport report;
    report.data = o.data.spec;
    report.config = o.train.config;
    TrainConfig sequential = report.config;
    sequential.workers = 1;

    const Experiment data = make_experiment(report.data, report.config.workers);
    const double bandwidth_1 = measure_read_bandwidth(1);
    const double bandwidth_w = report.config.workers == 1 ? bandwidth_1 : measure_read_bandwidth(report.config.workers);
    report.env = {kernel_target(), data.generate_s};
    std::vector<RunReport> sequential_runs, parallel_runs;
    for (int r = 0; r < o.repeat; ++r) {  // alternating, so a change in machine load hits both alike
      const bool quiet = o.train.quiet || r > 0;
      sequential_runs.push_back(run_scored(sequential, data, bandwidth_1, "sequential", quiet));
      parallel_runs.push_back(run_scored(report.config, data, bandwidth_w, "parallel", quiet));
    }
    report.sequential = median_run(std::move(sequential_runs));
    report.parallel = median_run(std::move(parallel_runs));
    if (!o.train.quiet) fmt::print("\n");
    print_report(stdout, report);
    if (report.config.workers == 1)
      fmt::print("Note: the parallel run has 1 worker too; its \"speedup\" shows run-to-run noise.\n");
    if (json) write_json(*json, to_json(report));
    return 0;
  };
}

}  // namespace dsgd::cli
