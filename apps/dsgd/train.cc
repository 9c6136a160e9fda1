// dsgd train: one training run, on a data file (train_file.cc) or on synthetic data, on threads
// or (under mpirun) on a cluster, with its report.
#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "dsgd/error.h"
#include "dsgd/model/kernel.h"
#include "dsgd/train/config_fields.h"
#include "dsgd/train/memory.h"
#include "dsgd/train/worker_count.h"
#include "experiment.h"
#include "options.h"
#include "train_file.h"

namespace dsgd::cli {
namespace {

// check_same_config with the settings of file training: the files, the options of reading
// them, and which configuration fields were given (a rank that was given one skips the
// collectives that compute its default).
void check_same_file_config(Cluster& cluster, const DataOptions& data, const TrainOptions& train,
                            const BackendOptions& backend, const FileTrainOptions& file, std::size_t features) {
  std::vector<Setting> more = {
      number_setting("--features", static_cast<double>(features)),
      number_setting("--holdout", file.holdout.value_or(0.0)),
      {"--standardize", file.standardize ? (*file.standardize ? "on" : "off") : ""},
      number_setting("--cache", static_cast<double>(file.input.cache)),
  };
  for (const ConfigField& f : config_fields()) more.push_back(given_setting(flag_of(f.name), train.is_given(f.name)));
  for (const auto& [name, text] : {std::pair<const char*, const std::string&>{"DATA", file.data},
                                   {"--test", file.test},
                                   {"--init", file.init},
                                   {"--weights", file.weights},
                                   {"--class-weight", file.class_weight},
                                   {"--input-format", file.input.input_format},
                                   {"--storage", file.input.storage},
                                   {"--label-column", file.input.label_column},
                                   {"--dtype", file.input.dtype}})
    more.push_back({name, text});
  check_same_config(cluster, data.spec, train.config, backend, more);
}

}  // namespace

Handler add_train_command(CLI::App& app) {
  struct Options {
    DataOptions data;
    TrainOptions train;
    BackendOptions backend;
    FileTrainOptions file;
  };
  auto options = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "train", "Train on a LIBSVM/CSV file (or on synthetic data) and report accuracy, time and cost");
  add_file_train_options(*sub, options->file, options->train);
  add_data_options(*sub, options->data);
  add_train_options(*sub, options->train, true);
  add_backend_options(*sub, options->backend);
  return [options, sub] {
    Options& o = *options;
    if (!o.file.data.empty()) {
      reject(*sub, {"--samples", "--test-samples", "--noise"}, "is for synthetic data, not with a data file");
      o.backend.check(o.train);
      o.file.input.dtype = o.data.dtype;
      o.train.config.seed = o.data.spec.seed;
      const std::size_t features = sub->count("--features") > 0 ? o.data.spec.features : 0;
      if (!o.backend.mpi()) return train_from_file(o.file, o.train, features, FileReader{});
      const std::unique_ptr<Cluster> cluster = join_mpi_cluster(o.backend.cluster_options());
      return run_on_cluster(*cluster, [&] {
        const FileReader reader{cluster.get(), o.backend.threads()};
        warn_if_bound_too_tightly(*cluster, reader.threads);
        check_same_file_config(*cluster, o.data, o.train, o.backend, o.file, features);
        return train_from_file(o.file, o.train, features, reader);
      });
    }
    reject(*sub, {"--test", "--holdout", "--weights", "--class-weight", "--model", "--init", "--patience",
                  "--standardize", "--no-standardize", "--scale",
                  "--input-format", "--storage", "--format", "--label-column", "--cache"},
           "needs a data file (dsgd train DATA ...)");
    o.data.resolve();
    o.backend.check(o.train);
    if (o.train.config.has_target() && o.data.spec.test_samples == 0)
      throw ConfigError("--target-accuracy and --target-loss are met on the test rows of synthetic data: "
                        "--test-samples must not be 0");
    TrainReport report;
    report.data = o.data.spec;
    if (!o.backend.mpi()) {
      o.train.resolve(o.data);
      std::optional<AtomicFile> json = o.train.open_json();
      report.config = o.train.config;
      // The generation uses every core (or every worker, if more), whatever the workers that train.
      const int threads = std::max(report.config.workers, hardware_threads());
      if (!o.train.is_given("workers")) {
        const SyntheticSpec& spec = report.data;
        const bool sparse = spec.nnz > 0;
        const WorkerChoice choice = paying_workers(report.config.workers, [&](int w) {
          return batch_work(static_cast<double>(report.config.batch), static_cast<double>(spec.samples), w,
                            static_cast<double>(sparse ? spec.nnz : spec.features), sparse,
                            static_cast<double>(spec.features));
        });
        report.config.workers = choice.workers;
        if (!choice.why.empty()) fmt::print("Note: {}\n", choice.why);
      }
      const Experiment data = make_experiment(report.data, threads, !o.train.quiet);
      const MachineBounds bounds = measure_bounds(report.config.workers, report.data);
      report.env = environment_of(data);
      report.result = run_scored(report.config, data, bounds, "train", o.train.quiet);
      report.env.peak_resident_bytes = peak_resident_bytes();
      print_report(stdout, report);
      if (json) write_json(*json, to_json(report));
      return 0;
    }
    const std::unique_ptr<Cluster> cluster = join_mpi_cluster(o.backend.cluster_options());
    return run_on_cluster(*cluster, [&] {
      ClusterSetup setup = prepare_cluster_run(*cluster, o.data, o.train, o.backend);
      report.config = setup.config;
      report.env = environment_of(setup.local, "mpi");
      report.result = run_scored(report.config, setup.local, setup.bounds, "train",
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
