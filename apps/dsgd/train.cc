// dsgd train: one training run, on a data file (train_file.cc) or on synthetic data, on threads
// or (under mpirun) on a cluster, reported as report/training_report.h lays it out.
#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "dsgd/base/error.h"
#include "dsgd/data/synthetic_fields.h"
#include "dsgd/model/evaluation.h"
#include "dsgd/model/kernel.h"
#include "dsgd/report/training_report.h"
#include "dsgd/train/config/config_fields.h"
#include "dsgd/train/loop/fit.h"
#include "dsgd/train/config/worker_count.h"
#include "experiment.h"
#include "options.h"
#include "train_file.h"
#include "training.h"

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
      number_setting("--verbose", static_cast<double>(train.verbose)),
  };
  for (const ConfigField& f : config_fields()) more.push_back(given_setting(flag_of(f.name), train.is_given(f.name)));
  for (const auto& [name, text] : {std::pair<const char*, const std::string&>{"DATA", file.data},
                                   {"--test", file.test},
                                   {"--init", file.init},
                                   {"--weights", file.weights},
                                   {"--class-weight", file.class_weight},
                                   {"--format", file.input.format},
                                   {"--storage", file.input.storage},
                                   {"--label-column", file.input.label_column},
                                   {"--dtype", file.input.dtype}})
    more.push_back({name, text});
  check_same_config(cluster, data.spec, train.config, backend, more);
}

// Training on synthetic data: generated (each process its own rows), trained through fit with
// the settings as given (TrainConfig's defaults, not a data file's; the workers those that pay,
// unless given), scored on both splits.
int train_synthetic(const DataOptions& data, TrainOptions& train, const BackendOptions& backend,
                    const std::string& model_path, Cluster& cluster) {
  const SyntheticSpec& spec = data.spec;
  const bool quiet = train.quiet || cluster.rank() != 0;
  TrainOutputs out = open_outputs(model_path, "dsgd", train, cluster);
  TrainingReport report;
  const std::optional<int> fixed = backend.mpi() ? std::optional<int>(backend.threads()) : std::nullopt;
  if (backend.mpi()) {
    report.backend = "mpi";
    report.ranks = cluster.size();
    report.threads_per_rank = backend.threads();
  }
  const Experiment rows = make_local_experiment(spec, cluster, fixed.value_or(hardware_threads()), !quiet);
  const GivenField given = [&](std::string_view field) { return field != "workers" || train.is_given("workers"); };
  const DataWorkers workers = decide_workers(train.config, rows.train, spec.samples, given, cluster, fixed);
  TrainConfig config = train.config;
  config.workers = workers.workers;
  report.workers_note = workers.why;
  report.data = summary_of(spec, Split::kTrain, rows.generate_s, rows.generation);
  if (spec.test_samples > 0) report.test = summary_of(spec, Split::kTest, 0.0);
  if (!quiet) {
    fmt::print("Data    {}\n", describe(report.data));
    if (report.test) fmt::print("Test    synthetic: {} rows of the same true weights\n", report.test->rows);
    print_training_plan(stdout, config, 0, report.workers_note,
                        backend.mpi() ? fmt::format("{} ranks x {} threads", cluster.size(), workers.threads) : "");
  }

  FitOptions options;
  options.cluster = cluster;
  options.threads = workers.threads;
  options.total_rows = spec.samples;
  if (config.has_target()) {  // a target is met on the test rows, each worker scoring its share
    options.holdout = &rows.test;
    options.holdout_rows = spec.test_samples;
  }
  EpochTable table(stdout, config.epochs);
  if (!quiet) options.on_epoch = [&](const EpochProgress& p) { table.row(p); };
  // Every setting stands as given or as TrainConfig has it (synthetic data has no data defaults).
  const GivenField everything = [](std::string_view) { return true; };
  FitResult fitted = fit(rows.train, config, everything, options);
  report.config = fitted.config;
  report.run = std::move(fitted.run);
  report.train = evaluate_all(rows.train, report.run.model, cluster.comm());
  if (spec.test_samples > 0) report.test_scores = evaluate_all(rows.test, report.run.model, cluster.comm());
  if (train.verbose) {
    const double epochs = report.run.target.reached ? report.run.target.epoch : static_cast<double>(config.epochs);
    report.bound = run_bounds(rows.train, epochs, workers.threads, cluster);
  }
  nlohmann::json record = to_json(report.config);
  record["data"] = to_json(spec);
  record["data"]["source"] = "synthetic";
  return finish_training(report, Model{report.run.model, {0, 1}, std::move(record), "", {}}, train, out, cluster);
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
  CLI::App* sub = app.add_subcommand("train", "Train a model on a LIBSVM or CSV file (or on synthetic data)");
  add_file_train_options(*sub, options->file, options->train);
  add_train_options(*sub, options->train, true);
  add_data_options(*sub, options->data);
  sub->add_flag("--synthetic", options->data.synthetic,
                "Train on synthetic data (implied by -n, --nnz and the group's other options)")
      ->group(sub->get_option("--samples")->get_group());
  add_backend_options(*sub, options->backend);
  return [options, sub] {
    Options& o = *options;
    FileTrainOptions& file = o.file;
    if (!file.model_argument.empty()) {
      if (!file.model.empty())
        throw ConfigError(fmt::format("the model file is named twice: MODEL {} and -o {}", file.model_argument, file.model));
      file.model = file.model_argument;
    }
    if (!file.data.empty()) {
      if (o.data.synthetic) throw ConfigError("--synthetic trains on generated rows, not on DATA " + file.data);
      reject(*sub, {"--samples", "--test-samples", "--noise", "--nnz", "--zipf", "--values"},
             "is for synthetic data, not with a data file");
      o.backend.check(o.train);
      file.input.dtype = o.data.dtype;
      o.train.config.seed = o.data.spec.seed;
      const std::size_t features = sub->count("--features") + sub->count("-d") > 0 ? o.data.spec.features : 0;
      if (!o.backend.mpi()) return train_from_file(file, o.train, features, FileReader{});
      const std::unique_ptr<Cluster> cluster = join_mpi_cluster(o.backend.cluster_options());
      return run_on_cluster(*cluster, [&] {
        const FileReader reader{*cluster, o.backend.threads(), false, true};
        warn_if_bound_too_tightly(*cluster, reader.threads);
        check_same_file_config(*cluster, o.data, o.train, o.backend, file, features);
        return train_from_file(file, o.train, features, reader);
      });
    }
    reject(*sub, {"--test", "--holdout", "--weights", "--class-weight", "--init", "--patience", "--standardize",
                  "--no-standardize", "--scale", "--format", "--input-format", "--storage", "--label-column", "--cache",
                  "--checkpoint", "--resume"},
           "needs a data file (dsgd train DATA ...)");
    if (!asked_for_synthetic(*sub, o.data)) {  // nothing to train on
      if (sub->count_all() > 1)  // (the count includes train itself)
        throw ConfigError("no data to train on: give DATA (a LIBSVM or CSV file), or --synthetic for generated rows");
      fmt::print("{}", sub->help("dsgd"));  // nothing asked at all: how to ask
      return 2;
    }
    if (file.model_format != "dsgd") throw ConfigError("--model-format liblinear needs a data file (its labels)");
    o.data.resolve();
    o.backend.check(o.train);
    if (o.train.config.has_target() && o.data.spec.test_samples == 0)
      throw ConfigError("--target-accuracy and --target-loss are met on the test rows of synthetic data: "
                        "--test-samples must not be 0");
    check_paths({{"-o", file.model}, {"--json", o.train.json}}, {});
    if (!o.backend.mpi()) {
      o.train.resolve(o.data.spec);
      return train_synthetic(o.data, o.train, o.backend, file.model, this_process());
    }
    const std::unique_ptr<Cluster> cluster = join_mpi_cluster(o.backend.cluster_options());
    return run_on_cluster(*cluster, [&] {
      const int threads = o.backend.threads();
      warn_if_bound_too_tightly(*cluster, threads);
      o.train.config.workers = cluster->size() * threads;
      o.train.given.emplace("workers");
      o.train.resolve(o.data.spec);
      check_same_config(*cluster, o.data.spec, o.train.config, o.backend,
                        std::vector<Setting>{number_setting("--verbose", static_cast<double>(o.train.verbose))});
      return train_synthetic(o.data, o.train, o.backend, file.model, *cluster);
    });
  };
}

}  // namespace dsgd::cli
