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
  };
  auto options = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "bench", "Sequential vs parallel on the same data (no options: the seed experiment, 1M x 20, 8 epochs)");
  add_data_options(*sub, options->data);
  add_train_options(*sub, options->train);
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
    report.sequential = run_scored(sequential, data, bandwidth_1, "sequential", o.train.quiet);
    report.parallel = run_scored(report.config, data, bandwidth_w, "parallel", o.train.quiet);
    if (!o.train.quiet) fmt::print("\n");
    print_report(stdout, report);
    if (report.config.workers == 1)
      fmt::print("Note: the parallel run has 1 worker too; its \"speedup\" shows run-to-run noise.\n");
    if (json) write_json(*json, to_json(report));
    return 0;
  };
}

}  // namespace dsgd::cli
