// dsgd train: one training run on the threads backend, with its report.
#include <fmt/format.h>

#include "dsgd/model/kernel.h"
#include "dsgd/report/bandwidth.h"
#include "experiment.h"
#include "options.h"

namespace dsgd::cli {

Handler add_train_command(CLI::App& app) {
  struct Options {
    DataOptions data;
    TrainOptions train;
  };
  auto options = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("train", "Train on a synthetic data set and report accuracy, time and cost");
  add_data_options(*sub, options->data);
  add_train_options(*sub, options->train);
  return [options] {
    Options& o = *options;
    o.data.resolve();
    o.train.resolve(o.data);
    std::optional<AtomicFile> json = o.train.open_json();
    TrainReport report;
    report.data = o.data.spec;
    report.config = o.train.config;
    const Experiment data = make_experiment(report.data, report.config.workers);
    const double bandwidth = measure_read_bandwidth(report.config.workers);
    report.env = {kernel_target(), data.generate_s};
    report.result = run_scored(report.config, data, bandwidth, "train", o.train.quiet);
    print_report(stdout, report);
    if (json) write_json(*json, to_json(report));
    return 0;
  };
}

}  // namespace dsgd::cli
