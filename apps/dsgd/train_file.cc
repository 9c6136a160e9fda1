#include "train_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dsgd/data/holdout.h"
#include "dsgd/error.h"
#include "dsgd/model/metrics.h"
#include "dsgd/report/report.h"
#include "dsgd/train/run.h"
#include "dsgd/version.h"

namespace dsgd::cli {

void add_file_train_options(CLI::App& app, FileTrainOptions& file) {
  app.add_option("data", file.data,
                 "Training data: a LIBSVM/SVMlight or CSV file, optionally gzip-compressed. Without it, train runs "
                 "on synthetic data (the options of the Data group).");
  auto* group = "Data files";
  app.add_option("--test", file.test, "Held-out file: scored at the end (accuracy, log-loss, AUC, precision, recall, "
                                      "F1); with --patience and no --holdout, also the early-stopping set")
      ->group(group);
  app.add_option("--holdout", file.holdout,
                 "Set aside this share of the training rows (chosen by a seeded hash of the row number) to stop early "
                 "on; implies --patience 3")
      ->group(group)
      ->check(CLI::Range(0.0, 1.0).description("").name("FRACTION"));
  add_input_options(app, file.input, false);
  auto* model = "Model";
  app.add_option("--model", file.model, "Write the trained model to this file (text, versioned, atomic)")->group(model);
  app.add_option("--init", file.init, "Start from this model (its labels, dimension and standardisation)")
      ->group(model);
  app.add_option("--patience", file.patience,
                 "Stop after this many epochs without a better held-out loss and keep the best epoch's model")
      ->group(model)
      ->check(positive());
  app.add_flag("--standardize,!--no-standardize", file.standardize,
               "Train on (x - mean) / std, moments from the training rows by an allreduce, stored in the model "
               "[default: on for dense data with some |x| > 1]")
      ->group(model);
}

namespace {

// Mean squared norm of the rows as training sees them (d for standardised features).
double mean_squared_norm(const Dataset& data, bool standardized) {
  if (standardized) return static_cast<double>(data.features());
  double sum = 0;
  const auto values = [&](const auto& x) {
    for (const auto v : x) sum += static_cast<double>(v) * static_cast<double>(v);
  };
  if (data.dtype() == DType::kF32) {
    values(data.features_as<float>());
  } else {
    values(data.features_as<double>());
  }
  return data.rows() > 0 ? sum / static_cast<double>(data.rows()) : 0.0;
}

}  // namespace

void apply_file_defaults(TrainConfig& config, const Dataset& data, const std::function<bool(const char*)>& given) {
  const auto workers = static_cast<std::size_t>(config.workers);
  if (!given("--epochs")) config.epochs = kFileEpochs;
  if (!given("--batch")) {
    config.batch = std::clamp<std::size_t>(data.rows() / (workers * kFileStepsPerEpoch), kFileMinBatch, kFileMaxBatch);
  }
  if (!given("--lr")) {
    // The peak rate (lr x workers after warm-up) is kFileRateScale / (E|x|^2 + 1): a step size
    // in units of the rows' curvature (the +1 is the bias), so scaled and unscaled, dense and
    // sparse rows move the model alike.
    const double peak = kFileRateScale / (mean_squared_norm(data, config.standardize) + 1.0);
    config.lr = peak / static_cast<double>(config.workers);
  }
  if (!given("--schedule")) config.schedule = LrSchedule::kStep;
  if (!given("--lr-step-epochs")) config.step_epochs = kFileStepEpochs;
  if (!given("--shuffle") && !given("--no-shuffle")) config.shuffle = true;
}

bool wants_standardization(const Dataset& data) {
  if (data.layout() != Layout::kDense) return false;
  return data.visit_dense([](const auto& v) {
    for (std::size_t k = 0; k < v.rows * v.cols; ++k) {
      if (std::abs(static_cast<double>(v.x[k])) > 1.0) return true;
    }
    return false;
  });
}

namespace {

Evaluation evaluate_model(const LinearModel& model, const Dataset& data) {
  const std::vector<double> z = scores(model, data);
  return evaluate_scores(z, data.labels());
}

nlohmann::json data_json(const std::string& path, const ReadResult& r) {
  return {{"path", path},
          {"rows", r.data.rows()},
          {"features", r.data.features()},
          {"storage", std::string(to_string(r.data.layout()))},
          {"values", r.data.values()},
          {"labels", {{"negative", r.labels.negative}, {"positive", r.labels.positive}}},
          {"dropped_values", r.dropped},
          {"load_s", r.seconds}};
}

}  // namespace

int train_from_file(FileTrainOptions& file, TrainOptions& train, std::size_t features,
                    const std::function<bool(const char*)>& given) {
  TrainConfig& config = train.config;
  config.workers = train.workers.value_or(default_workers());
  if (file.holdout && !(*file.holdout > 0 && *file.holdout < 1)) throw ConfigError("--holdout must be in (0, 1)");
  if (file.holdout && !file.patience) file.patience = 3;
  config.patience = file.patience.value_or(0);
  if (config.patience > 0 && !file.holdout && file.test.empty())
    throw ConfigError("--patience needs held-out rows: give --holdout FRACTION or --test FILE");
  config.validate();
  std::optional<AtomicFile> json = train.open_json();
  std::optional<AtomicFile> model_file;
  if (!file.model.empty()) model_file.emplace(file.model);

  std::optional<Model> init;
  ReadOptions read_options = file.input.read_options(config.workers);
  read_options.features = features;
  if (!file.init.empty()) {
    init = load_model(file.init);
    if (features != 0 && features != init->params.features())
      throw ConfigError(fmt::format("--features {} differs from the {} features of --init {}", features,
                                    init->params.features(), file.init));
    read_options.features = init->params.features();
    read_options.labels = init->labels;
  }
  const ReadResult data = read_data(file.data, read_options);
  if (!train.quiet) fmt::print("Data  {}\n", describe(file.data, data));
  std::optional<ReadResult> test;
  if (!file.test.empty()) {
    test = read_for_model(file.test, data.data.features(), data.labels, file.input, config.workers);
    if (!train.quiet) fmt::print("Test  {}\n", describe(file.test, *test));
  }

  if (init) {
    if ((given("--standardize") || given("--no-standardize")) &&
        file.standardize != init->params.standardization.has_value())
      throw ConfigError(fmt::format("--init {} is {}standardized: --{}standardize cannot change that", file.init,
                                    init->params.standardization ? "" : "not ", file.standardize ? "" : "no-"));
    config.standardize = init->params.standardization.has_value();
  } else {
    const bool said = given("--standardize") || given("--no-standardize");
    config.standardize = said ? file.standardize : wants_standardization(data.data);
  }
  apply_file_defaults(config, data.data, given);

  EpochCallback progress;
  if (!train.quiet) progress = [&](const EpochProgress& p) { print_progress(stdout, "train", config.epochs, p); };
  const LinearModel* start = init ? &init->params : nullptr;
  std::optional<HoldoutSplit> split;
  RunResult run;
  if (file.holdout) {
    split = split_holdout(data.data, *file.holdout, config.seed);
    if (split->holdout.rows() == 0 || split->train.rows() == 0)
      throw ConfigError(fmt::format("--holdout {} leaves {} held-out and {} training rows of {}", *file.holdout,
                                    split->holdout.rows(), split->train.rows(), data.data.rows()));
    run = train_on_threads(config, holdout_jobs(config, *split, data.data.rows(), start), progress);
  } else {
    const Dataset* holdout = config.patience > 0 ? &test->data : nullptr;
    run = train_on_threads(config,
                           balanced_jobs(config, data.data, data.data.rows(), holdout,
                                         holdout != nullptr ? holdout->rows() : 0, start),
                           progress);
  }

  const Evaluation on_train = evaluate_model(run.model, data.data);
  std::optional<Evaluation> on_test;
  if (test) on_test = evaluate_model(run.model, test->data);
  fmt::print("Model {} weights + {}; {}standardized; {} epochs{} on {} workers, {} steps, {:.4f} s\n",
             run.model.features(), config.bias ? fmt::format("bias {:.6g}", run.model.bias) : "no bias",
             config.standardize ? "" : "not ", run.epochs.size(),
             config.patience > 0 ? fmt::format(" (kept epoch {})", run.best_epoch) : "", config.workers, run.steps,
             run.time_s);
  print_evaluation(stdout, "Train", on_train);
  if (on_test) print_evaluation(stdout, "Test ", *on_test);

  Model model{run.model, data.labels, nlohmann::json::object(), version()};
  model.training = to_json(config);
  model.training.update({{"data", file.data},
                         {"rows", data.data.rows()},
                         {"holdout", file.holdout ? nlohmann::json(*file.holdout) : nlohmann::json(nullptr)},
                         {"test", file.test.empty() ? nlohmann::json(nullptr) : nlohmann::json(file.test)},
                         {"best_epoch", run.best_epoch}});
  if (init) model.training["init"] = file.init;
  if (model_file) {
    write_model(model, *model_file);
    fmt::print("Model written to {}\n", file.model);
  }
  if (json) {
    nlohmann::json report = {{"command", "train"},
                             {"dsgd", version()},
                             {"data", data_json(file.data, data)},
                             {"config", to_json(config)},
                             {"train_s", run.time_s},
                             {"steps", run.steps},
                             {"best_epoch", run.best_epoch},
                             {"epochs", to_json(run.epochs)},
                             {"train", to_json(on_train)},
                             {"weights", run.model.weights},
                             {"bias", run.model.bias},
                             {"model", file.model.empty() ? nlohmann::json(nullptr) : nlohmann::json(file.model)}};
    if (test) {
      report["test_data"] = data_json(file.test, *test);
      report["test"] = to_json(*on_test);
    }
    write_json(*json, report);
  }
  return 0;
}

}  // namespace dsgd::cli
