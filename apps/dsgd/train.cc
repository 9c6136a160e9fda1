// dsgd train: one training run, on threads or (under mpirun) on a cluster, with its report.
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
    BackendOptions backend;
  };
  auto options = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("train", "Train on a synthetic data set and report accuracy, time and cost");
  add_data_options(*sub, options->data);
  add_train_options(*sub, options->train);
  add_backend_options(*sub, options->backend);
  return [options] {
    Options& o = *options;
    o.data.resolve();
    o.backend.check(o.train);
    TrainReport report;
    report.data = o.data.spec;
    if (!o.backend.mpi()) {
      o.train.resolve(o.data);
      std::optional<AtomicFile> json = o.train.open_json();
      report.config = o.train.config;
      const Experiment data = make_experiment(report.data, report.config.workers);
      const double bandwidth = measure_read_bandwidth(report.config.workers);
      report.env = {kernel_target(), data.generate_s};
      report.result = run_scored(report.config, data, bandwidth, "train", o.train.quiet);
      print_report(stdout, report);
      if (json) write_json(*json, to_json(report));
      return 0;
    }
    const std::unique_ptr<Cluster> cluster = join_mpi_cluster(o.backend.cluster_options());
    return run_on_cluster(*cluster, [&] {
      ClusterSetup setup = prepare_cluster_run(*cluster, o.data, o.train, o.backend);
      report.config = setup.config;
      report.env = {kernel_target(), setup.local.generate_s};
      report.result = run_scored(report.config, setup.local, setup.bandwidth_gbs, "train",
                                 o.train.quiet || cluster->rank() != 0, cluster.get(), setup.threads);
      if (cluster->rank() == 0) {
        print_report(stdout, report);
        if (setup.json) write_json(*setup.json, to_json(report));
      }
      return 0;
    });
  };
}

}  // namespace dsgd::cli
