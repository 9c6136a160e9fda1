#include "train_file.h"

#include <fmt/format.h>

#include <filesystem>

#include "dsgd/train/sync/strategies.h"
#include "dsgd/base/error.h"
#include "dsgd/base/text.h"
#include "dsgd/base/version.h"
#include "dsgd/data/file_bytes.h"
#include "dsgd/model/evaluation.h"
#include "dsgd/report/report.h"
#include "dsgd/report/training_report.h"
#include "dsgd/train/config/defaults.h"
#include "dsgd/train/config/memory.h"
#include "dsgd/train/config/row_weights.h"
#include "dsgd/train/config/scaling.h"
#include "dsgd/train/config/worker_count.h"
#include "dsgd/train/loop/fit.h"
#include "dsgd/train/state/resume.h"
#include "experiment.h"
#include "training.h"

namespace dsgd::cli {

void add_file_train_options(CLI::App& app, FileTrainOptions& file, TrainOptions& train) {
  app.add_option("DATA", file.data, "Training data: LIBSVM or CSV, gzip too; '-' for standard input")->type_name("");
  app.add_option("MODEL", file.model_argument, "Write the model here (as -o does)")->type_name("");
  auto* group = "Data files";
  app.add_option("--test", file.test, "Held-out file, scored at the end (and stopped early on, with --patience)")
      ->group(group)
      ->type_name("FILE");
  app.add_option("--holdout", file.holdout,
                 "Set aside this share of the training rows to stop early on (implies --patience 3)")
      ->group(group)
      ->check(fraction())
      ->type_name("X");
  app.add_option("--weights", file.weights,
                 "Row weights: one number >= 0 a line, a line for each row of DATA (weight 2: the row counted twice)")
      ->group(group)
      ->type_name("FILE");
  app.add_option("--class-weight", file.class_weight,
                 "Multiply each row's weight by its class's: POS,NEG, or balanced (each class half the total)")
      ->group(group)
      ->type_name("balanced|POS,NEG");
  add_input_options(app, file.input, false);
  auto* output = "Output";
  app.add_option("-o,--output", file.model, "Write the model to this file ('-': standard output)")
      ->group(output)
      ->type_name("FILE");
  add_old_spelling(app, "--model", "-o/--output", file.model);
  choice_option(app.add_option("--model-format", file.model_format,
                               "dsgd (text, with how it was trained), or liblinear (LIBLINEAR's -s 0 model file)"),
                {"dsgd", "liblinear"})
      ->group(output);
  auto* model = "Model";
  app.add_option("--init", file.init, "Start from this model and go on with its schedule")->group(model)->type_name("FILE");
  add_config_options(app, train, {"patience", "target_accuracy", "target_loss", "after_target", "target_every", "scale"},
                     model, true);
  app.add_flag_function(
         "--standardize,!--no-standardize", [&file](std::int64_t count) { file.standardize = count > 0; },
         "The same as --scale standardize (--no-standardize: --scale none)")
      ->group(model);
  auto* faults = "Checkpoints";
  app.add_option("--checkpoint", file.checkpoints.dir,
                 "Write the training state into this folder as training goes, for --resume")
      ->group(faults)
      ->type_name("DIR");
  app.add_option("--checkpoint-every", file.checkpoints.every, "How often: every STEPS steps, or epoch")
      ->group(faults)
      ->type_name("STEPS|epoch");
  app.add_option("--keep-checkpoints", file.checkpoints.keep, "How many of the newest checkpoints to keep")
      ->group(faults)
      ->check(positive())
      ->type_name("N");
  app.add_option("--resume", file.checkpoints.resume,
                 "Go on from the newest checkpoint in this folder (same data and options): the same bits at the end")
      ->group(faults)
      ->type_name("DIR");
}

namespace {

// What a checkpoint's run is: dsgd, the configuration, the data (its size and time: a checkpoint
// goes on only with the file it was written on) and the other inputs. Refused for DATA not in a
// regular file.
nlohmann::json checkpoint_meta(const FileTrainOptions& file, const TrainConfig& config, const ReadResult& data,
                               const nlohmann::json& weighting) {
  std::error_code not_regular;
  if (file.data == "-" || !std::filesystem::is_regular_file(file.data, not_regular))
    throw ConfigError("--checkpoint and --resume need DATA in a regular file: a checkpoint names the file (its size "
                      "and time) it goes on with, which a pipe or standard input has not");
  nlohmann::json meta = {{"dsgd", version()},
                         {"config", to_json(config)},
                         {"data", to_json(summary_of(file.data, data))},
                         {"test", file.test},
                         {"holdout", file.holdout ? nlohmann::json(*file.holdout) : nlohmann::json(nullptr)},
                         {"init", file.init},
                         {"sample_weights", weighting}};
  if (!file.weights.empty() && file.weights != "-") {
    const FileStamp weights = file_stamp(file.weights);
    meta["sample_weights"]["bytes"] = weights.size;
    meta["sample_weights"]["mtime_ns"] = weights.mtime_ns;
  }
  meta["data"].erase("load_s");
  meta["data"].erase("from_cache");
  const FileStamp stamp = file_stamp(file.data);
  meta["data"]["bytes"] = stamp.size;
  meta["data"]["mtime_ns"] = stamp.mtime_ns;
  return meta;
}

// The settings only file training has, folded into train.config and checked before any work:
// --standardize, and the held-out rows that --patience and targets need.
void resolve_file_settings(const FileTrainOptions& file, TrainOptions& train) {
  TrainConfig& config = train.config;
  if (file.standardize) {  // --standardize, --no-standardize: a --scale of their own
    const Scaling flag = *file.standardize ? Scaling::kStandardize : Scaling::kNone;
    if (train.is_given("scale") && config.scale != flag)
      throw ConfigError(fmt::format("--scale {} contradicts --{}standardize", to_string(config.scale),
                                    *file.standardize ? "" : "no-"));
    config.scale = flag;
    train.given.emplace("scale");
  }
  if (file.holdout && !(*file.holdout > 0 && *file.holdout < 1))  // (a value that underflows to 0)
    throw ConfigError(fmt::format("--holdout: must be a fraction strictly between 0 and 1, got {}", *file.holdout));
  if (config.has_target() && !file.holdout && file.test.empty())
    throw ConfigError("--target-accuracy and --target-loss are met on held-out rows: give --holdout FRACTION or "
                      "--test FILE");
  if (file.holdout && !train.is_given("patience") && !config.has_target()) config.patience = 3;  // (a target stops too)
  if (config.patience > 0 && !file.holdout && file.test.empty())
    throw ConfigError("--patience needs held-out rows: give --holdout FRACTION or --test FILE");
  if (!file.class_weight.empty()) (void)parse_class_weights(file.class_weight);  // a bad value fails before the read
  check_config(config);
}

// --init's model, checked against --scale and --features, and how the data must be read for it.
std::optional<Model> load_init(const FileTrainOptions& file, const TrainOptions& train, std::size_t features,
                               ReadOptions& read_options) {
  if (file.init.empty()) return std::nullopt;
  Model init = load_model(file.init);
  if (train.is_given("scale") && train.config.scale != scaling_of(init.params))
    throw ConfigError(fmt::format("--init {} was trained with --scale {}: --scale {} cannot change that", file.init,
                                  to_string(scaling_of(init.params)), to_string(train.config.scale)));
  if (features != 0 && features != init.params.features())
    throw ConfigError(fmt::format("--features {} differs from the {} features of --init {}", features,
                                  init.params.features(), file.init));
  read_options.model_features = init.params.features();
  read_options.model_from = "--init " + file.init;
  read_options.labels = init.labels;
  read_options.csv_schema = init.input.csv;
  return init;
}

// What the run is about to do, before its first epoch: where a warm start goes on, the plan,
// and a warning when the test set picks the epoch.
void print_start(const FileTrainOptions& file, const TrainConfig& config, std::size_t start_epoch, bool warm,
                 const TrainingReport& report) {
  if (warm && start_epoch == 0) {
    fmt::print("Init    {}: no record of the epochs it was trained for: the schedule starts again\n", file.init);
  } else if (warm) {
    fmt::print("Init    {}: trained for {}; this run goes on with epochs {} to {}{}\n", file.init,
               plural(start_epoch, "epoch"), start_epoch + 1, config.epochs,
               config.optimizer == Optimizer::kAdagrad ? " (adagrad's sums start again)" : "");
  }
  print_training_plan(stdout, config, start_epoch, report.workers_note,
                      report.backend == "mpi" ? fmt::format("{} ranks x {} threads", report.ranks, report.threads_per_rank)
                                               : "");
  if (config.patience > 0 && !file.holdout)
    fmt::print("Note    early stopping on --test {}: the test set picks the epoch, so its figures are optimistic "
               "(--holdout X stops on training rows set aside)\n",
               file.test);
}

// The model's record of how it was trained.
nlohmann::json model_record(const FileTrainOptions& file, const TrainConfig& config, const ReadResult& data,
                            const RunResult& run, const nlohmann::json& weighting) {
  nlohmann::json record = to_json(config);
  record.update({{"data", file.data},
                 {"rows", data.total_rows},
                 {"holdout", file.holdout ? nlohmann::json(*file.holdout) : nlohmann::json(nullptr)},
                 {"test", file.test.empty() ? nlohmann::json(nullptr) : nlohmann::json(file.test)},
                 {"best_epoch", run.best_epoch},
                 {"epochs_trained", run.best_epoch},
                 {"sample_weights", weighting}});
  if (!file.init.empty()) record["init"] = file.init;
  return record;
}

}  // namespace

int train_from_file(FileTrainOptions& file, TrainOptions& train, std::size_t features, FileReader reader) {
  TrainConfig& config = train.config;
  Cluster& cluster = reader.cluster;
  resolve_file_settings(file, train);
  check_paths({{"-o", file.model}, {"--json", train.json}},
              {{"DATA", file.data}, {"--test", file.test}, {"--init", file.init}, {"--weights", file.weights}});
  if (!reader.mpi) reader.threads = train.is_given("workers") ? config.workers : default_workers();
  const bool quiet = train.quiet || !reader.root();
  reader.show_progress = !quiet;
  // The output files (rank 0's) are opened first, so a bad path fails before any work.
  TrainOutputs out = open_outputs(file.model, file.model_format, train, cluster);
  // The file is read with every thread (the threads of each rank on a cluster); the workers are
  // decided once its shape is known.
  ReadOptions read_options = file.input.read_options(reader.threads);
  read_options.features = features;
  const std::optional<Model> init = load_init(file, train, features, read_options);
  ReadResult data = reader(file.data, read_options);
  if (file.model_format == "liblinear") require_liblinear_labels(data.labels);  // (before training, not after)
  TrainingReport report;
  if (reader.mpi) {
    report.backend = "mpi";
    report.ranks = cluster.size();
    report.threads_per_rank = reader.threads;
  }
  report.data = summary_of(file.data, data);
  if (!quiet) fmt::print("Data    {}\n", describe(report.data));
  const GivenField given = train.given_field();
  const DataWorkers workers = decide_workers(config, data.data, data.total_rows, given, cluster,
                                             reader.mpi ? std::optional<int>(reader.threads) : std::nullopt);
  config.workers = workers.workers;
  report.workers_note = workers.why;
  const nlohmann::json weighting =
      weigh_rows({file.weights, file.class_weight}, data, config, workers.threads, cluster);
  report.sample_weights = weighting;
  if (!quiet && !weighting.is_null()) fmt::print("Weights {}\n", describe_weights(weighting));
  check_training_memory(config, data, file.data, train.max_memory, workers.threads, cluster);
  if (!quiet && train.verbose && !data.cache_note.empty()) fmt::print("Cache   {}\n", data.cache_note);
  // A test file only scored at the end is read then, a block of rows at a time, and never held
  // (one process, sparse data: the blocks score as the whole file would; with --cache its rows
  // are read in place from the cache instead); it must open now.
  const bool test_picks_epochs = !file.holdout && (config.patience > 0 || config.has_target());
  const bool stream_test = !file.test.empty() && !test_picks_epochs && cluster.size() == 1 && !file.input.cache &&
                           data.data.layout() == Layout::kSparse && std::filesystem::is_regular_file(file.test);
  if (stream_test) (void)FileBytes(file.test);
  std::optional<ReadResult> test;
  if (!file.test.empty() && !stream_test) {
    test = read_for_model(file.test, data.data.features(), data.labels, ModelInput{data.format, data.csv}, file.input,
                          reader);
    report.test = summary_of(file.test, *test);
    if (!quiet) fmt::print("Test    {}\n", describe(*report.test));
    if (!quiet && train.verbose && !test->cache_note.empty()) fmt::print("Cache   {}\n", test->cache_note);
  }

  // The library's fit decides the rest (scaling: --init's, the user's or the data's; the data's
  // defaults) and trains; the plan, the checkpoints and --resume wait for the decided
  // configuration.
  FitOptions fit_options;
  fit_options.init = init ? &init->params : nullptr;
  // A warm start goes on where --init's model left its schedule: --epochs more epochs, the rate
  // and the shuffles those of its epochs E0 + 1 ... (so 5 + 5 epochs give the bits of 10, for SGD).
  fit_options.start_epoch = init ? epochs_trained(*init, file.init) : 0;
  fit_options.cluster = cluster;
  fit_options.threads = workers.threads;
  fit_options.total_rows = data.total_rows;
  fit_options.holdout_fraction = file.holdout.value_or(0.0);
  // Rows from a cache's mapping larger than the memory left for them are streamed from it.
  fit_options.resident_rows_bytes =
      file.holdout ? 0 : rows_memory_bound(config, data.data, train.max_memory, workers.threads);
  if (!quiet && fit_options.resident_rows_bytes > 0)
    fmt::print("Note    the rows ({}) do not fit in memory beside the training state: they are read from {} as "
               "training goes, {} of them held at a time\n",
               human_bytes(static_cast<double>(data.data.rows_bytes({0, data.data.rows()}))),
               cache_path_of(file.data), human_bytes(static_cast<double>(fit_options.resident_rows_bytes)));
  const ReadTally before_training = read_tally();
  if (test_picks_epochs) {
    fit_options.holdout = &test->data;
    fit_options.holdout_rows = test->total_rows;
  }
  std::optional<EpochTable> table;
  if (!quiet) fit_options.on_epoch = [&](const EpochProgress& p) { table->row(p); };
  Checkpoints checkpoints;
  fit_options.before_training = [&](const TrainConfig& decided, JobOf jobs) {
    table.emplace(stdout, decided.epochs);
    if (!quiet) print_start(file, decided, fit_options.start_epoch, init.has_value(), report);
    if (file.checkpoints.dir.empty() && file.checkpoints.resume.empty()) return jobs;
    checkpoints = prepare_checkpoints(file.checkpoints, checkpoint_meta(file, decided, data, weighting), cluster);
    if (!quiet && checkpoints.resume)
      fmt::print("Resume  from epoch {}, step {} ({})\n", checkpoints.resume->epoch, checkpoints.resume->step,
                 file.checkpoints.resume);
    return checkpoints.added_to(std::move(jobs));
  };
  // (The workers were decided above, fit_options.threads: the weights' totals are summed by worker shards.)
  FitResult fitted = fit(data.data, config, given, fit_options);
  if (!quiet && fit_options.resident_rows_bytes > 0) {
    const ReadTally after = read_tally();
    const double passed = static_cast<double>(data.data.rows_bytes({0, data.data.rows()})) *
                          static_cast<double>(fitted.run.epochs.size());
    fmt::print("Stream  {} of rows passed over in {:.2f} s ({}/s), {} read from the disk ({} page faults), the rows' "
               "pages given back {} times\n",
               human_bytes(passed), fitted.run.time_s, human_bytes(passed / std::max(fitted.run.time_s, 1e-9)),
               human_bytes(static_cast<double>(after.disk_bytes - before_training.disk_bytes)),
               after.major_faults - before_training.major_faults, fitted.run.releases);
  }
  report.config = fitted.config;
  report.run = std::move(fitted.run);
  const RunResult& run = report.run;

  // With --holdout, the training rows and the held-out rows are scored apart.
  const Dataset& trained = fitted.split ? fitted.split->train : data.data;
  report.train = evaluate_all(trained, run.model, cluster.comm());
  if (fitted.split) report.holdout = evaluate_all(fitted.split->holdout, run.model, cluster.comm());
  if (test) report.test_scores = evaluate_all(test->data, run.model, cluster.comm());
  if (stream_test) {
    std::vector<double> z;
    std::vector<std::uint8_t> y;
    const RawWeights raw = run.model.raw_weights();
    const ReadResult streamed = stream_for_model(
        file.test, data.data.features(), data.labels, ModelInput{data.format, data.csv}, file.input, reader.threads,
        [&](const Dataset& rows) {
          const std::vector<double> s = scores(raw, rows);
          z.insert(z.end(), s.begin(), s.end());
          y.insert(y.end(), rows.labels().begin(), rows.labels().end());
        });
    report.test = summary_of(file.test, streamed);
    if (!quiet) fmt::print("Test    {}\n", describe(*report.test));
    report.test_scores = evaluate_scores(z, y);
  }
  if (train.verbose) report.bound = run_bounds(trained, static_cast<double>(run.epochs.size()), workers.threads, cluster);
  report.init_path = file.init;
  return finish_training(report,
                         Model{run.model, data.labels, model_record(file, report.config, data, run, weighting), "",
                               ModelInput{data.format, data.csv}},
                         train, out, cluster);
}

}  // namespace dsgd::cli
