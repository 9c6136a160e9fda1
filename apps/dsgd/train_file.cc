#include "train_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <cmath>

#include "dsgd/base/atomic_file.h"
#include "dsgd/data/file_bytes.h"
#include "dsgd/data/holdout.h"
#include "dsgd/data/sample_weights.h"
#include "dsgd/base/error.h"
#include "dsgd/model/metrics.h"
#include "dsgd/analysis/bandwidth.h"
#include "dsgd/report/report.h"
#include "dsgd/report/training_report.h"
#include "dsgd/base/text.h"
#include "dsgd/train/state/checkpoint.h"
#include "dsgd/train/config/defaults.h"
#include "dsgd/train/loop/fit.h"
#include "dsgd/train/config/memory.h"
#include "dsgd/train/loop/run.h"
#include "dsgd/train/config/scaling.h"
#include "dsgd/train/loop/trainer.h"
#include "dsgd/train/config/worker_count.h"
#include "dsgd/base/version.h"
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
  app.add_option("--checkpoint", file.checkpoint,
                 "Write the training state into this folder as training goes, for --resume")
      ->group(faults)
      ->type_name("DIR");
  app.add_option("--checkpoint-every", file.checkpoint_every, "How often: every STEPS steps, or epoch")
      ->group(faults)
      ->type_name("STEPS|epoch");
  app.add_option("--keep-checkpoints", file.keep_checkpoints, "How many of the newest checkpoints to keep")
      ->group(faults)
      ->check(positive())
      ->type_name("N");
  app.add_option("--resume", file.resume,
                 "Go on from the newest checkpoint in this folder (same data and options): the same bits at the end")
      ->group(faults)
      ->type_name("DIR");
}

namespace {

// --class-weight POS,NEG (two positive numbers), or nothing for balanced; throws ConfigError.
std::optional<ClassWeights> parse_class_weights(const std::string& text) {
  if (text == "balanced") return std::nullopt;
  const std::size_t comma = text.find(',');
  ClassWeights w;
  const auto number = [&](std::string_view part, double& out) {
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
    return ec == std::errc() && end == part.data() + part.size() && std::isfinite(out) && out > 0;
  };
  if (comma == std::string::npos || !number(std::string_view(text).substr(0, comma), w.positive) ||
      !number(std::string_view(text).substr(comma + 1), w.negative))
    throw ConfigError(fmt::format("--class-weight {}: expected 'balanced' or POS,NEG (two numbers > 0, the positive "
                                  "class's weight first)",
                                  dsgd::quoted(text)));
  return w;
}

// The sample weights of the run: --weights read onto this process's rows of `data` (every
// process reads the file; a failure anywhere ends them all), then --class-weight applied. The
// totals are summed per worker shard in the workers' tree order, the same bits on every backend.
// Returns the report's description of them (null when the rows are unweighted).
nlohmann::json weigh_rows(const FileTrainOptions& file, ReadResult& data, const TrainConfig& config,
                          const FileReader& reader) {
  if (file.weights.empty() && file.class_weight.empty()) return nullptr;
  Dataset& rows = data.data;
  Cluster* const cluster = reader.cluster;
  ClusterComm* const comm = cluster != nullptr ? &cluster->comm() : nullptr;
  const int first = cluster != nullptr ? cluster->rank() * reader.threads : 0;
  const int count = cluster != nullptr ? reader.threads : config.workers;
  const auto total_of = [&](int label) {  // label -1: all rows
    const auto weights = rows.sample_weights();
    const auto labels = rows.labels();
    return worker_sum(shard_sums(rows, data.total_rows, config.workers, first, count,
                                 [&](RowRange local) {
                                   double sum = 0;
                                   for (std::size_t i = local.begin; i < local.end; ++i) {
                                     if (label < 0 || labels[i] == label) sum += weights.empty() ? 1.0 : weights[i];
                                   }
                                   return sum;
                                 }),
                      comm);
  };
  if (!file.weights.empty()) {
    std::optional<InputError> failed;
    std::vector<double> weights;
    try {
      weights = read_weights_file(file.weights, data.total_rows, {rows.first_row(), rows.first_row() + rows.rows()});
    } catch (const InputError& e) {
      if (cluster == nullptr) throw;
      failed = e;
    }
    if (cluster != nullptr && any_worker(cluster->comm(), failed.has_value())) {
      if (failed) throw SharedInputError(failed->file(), failed->line(), failed->message());
      throw SharedInputError(file.weights, 0, "another rank could not read the weights file");
    }
    std::copy(weights.begin(), weights.end(), rows.add_sample_weights().begin());
  }
  nlohmann::json out = {{"file", file.weights.empty() ? nlohmann::json(nullptr) : nlohmann::json(file.weights)},
                        {"class_weight", file.class_weight.empty() ? nlohmann::json(nullptr)
                                                                   : nlohmann::json(file.class_weight)}};
  if (!file.class_weight.empty()) {
    const std::optional<ClassWeights> given = parse_class_weights(file.class_weight);
    const ClassWeights w = given ? *given : balanced_class_weights({total_of(0), total_of(1)});
    apply_class_weights(rows, w);
    out["positive"] = w.positive;
    out["negative"] = w.negative;
  } else {
    out["positive"] = 1.0;
    out["negative"] = 1.0;
  }
  out["total"] = total_of(-1);
  if (!(out["total"].get<double>() > 0))
    throw ConfigError(fmt::format("--weights {}: every row weighs 0: there is nothing to train on", file.weights));
  return out;
}

// One line on the run's weights (weigh_rows' description).
std::string describe_weights(const nlohmann::json& w) {
  std::string text = w["file"].is_null() ? std::string("every row 1") : w["file"].get<std::string>();
  if (!w["class_weight"].is_null()) {
    text += fmt::format(", class weights {:.6g} positive and {:.6g} negative{}", w["positive"].get<double>(),
                        w["negative"].get<double>(), w["class_weight"] == "balanced" ? " (balanced)" : "");
  }
  return text + fmt::format("; total weight {:.6g}", w["total"].get<double>());
}

}  // namespace

namespace {

// The first key (a.b.c) whose values differ between two JSON objects, or "" when none does;
// `skip` keys are not compared (where the data lies may differ between two runs on it).
std::string first_difference(const nlohmann::json& a, const nlohmann::json& b, const std::string& prefix = "") {
  if (a.is_object() && b.is_object()) {
    for (const auto& [key, value] : a.items()) {
      if (key == "path") continue;
      const std::string name = prefix.empty() ? key : prefix + "." + key;
      if (!b.contains(key)) return name;
      if (std::string d = first_difference(value, b.at(key), name); !d.empty()) return d;
    }
    for (const auto& [key, value] : b.items()) {
      if (key != "path" && !a.contains(key)) return prefix.empty() ? key : prefix + "." + key;
    }
    return {};
  }
  return a == b ? std::string() : (prefix.empty() ? std::string("(all)") : prefix);
}

// --checkpoint and --resume: the plan of checkpoints to write, and the state to go on from
// (rank 0 reads it and sends it to every process), refused unless it was written by a run of the
// same data, options and dsgd.
struct Checkpoints {
  std::optional<CheckpointPlan> plan;
  std::optional<TrainSnapshot> resume;
};
Checkpoints prepare_checkpoints(const FileTrainOptions& file, const TrainConfig& config, const ReadResult& data,
                                const nlohmann::json& weighting, Cluster* cluster) {
  Checkpoints out;
  if (file.checkpoint.empty() && file.resume.empty()) return out;
  std::error_code not_regular;
  if (file.data == "-" || !std::filesystem::is_regular_file(file.data, not_regular))
    throw ConfigError("--checkpoint and --resume need DATA in a regular file: a checkpoint names the file (its size "
                      "and time) it goes on with, which a pipe or standard input has not");
  const bool root = cluster == nullptr || cluster->rank() == 0;
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
  if (!file.checkpoint.empty()) {
    CheckpointPlan plan{file.checkpoint, 0, false, file.keep_checkpoints, meta.dump()};
    plan.every_steps = parse_steps_or_epoch("--checkpoint-every", file.checkpoint_every);
    plan.every_epoch = plan.every_steps == 0;
    if (root) {  // a folder that cannot take the files fails now, not after the first epoch
      std::error_code ec;
      std::filesystem::create_directories(plan.dir, ec);
      if (ec) throw InputError(plan.dir, 0, "cannot create the checkpoint folder: " + ec.message());
      (void)AtomicFile((std::filesystem::path(plan.dir) / "ckpt-000000000000.dsgdckpt").string());
    }
    out.plan = std::move(plan);
  }
  if (file.resume.empty()) return out;
  std::string bytes, failure, failed_file, path;
  if (root) {
    try {
      LoadedCheckpoint loaded = load_latest_checkpoint(file.resume);
      const std::string differs = first_difference(nlohmann::json::parse(loaded.meta, nullptr, false), meta);
      if (!differs.empty())
        throw InputError(loaded.path, 0,
                         fmt::format("written by another run: its {} differs from this one's (resume with the data "
                                     "and options that wrote it)",
                                     differs));
      bytes = checkpoint_bytes(loaded.meta, loaded.snapshot);
      path = loaded.path;
    } catch (const InputError& e) {
      failure = e.message();
      failed_file = e.file();
    }
  }
  if (cluster != nullptr) {
    failure = broadcast_text(cluster->comm(), failure, 0);
    failed_file = broadcast_text(cluster->comm(), failed_file, 0);
    if (failure.empty()) {
      bytes = broadcast_text(cluster->comm(), bytes, 0);
      path = broadcast_text(cluster->comm(), path, 0);
    }
  }
  if (!failure.empty()) throw SharedInputError(failed_file, 0, failure);
  out.resume = parse_checkpoint(path, bytes).snapshot;
  return out;
}

// Refuses, before anything sized by d is made, a run whose training state would not fit:
// `threads` workers in this process (the file defaults' adagrad and scaling assumed, an upper
// estimate), the cause named by the line that set d. On a cluster the processes agree, and all
// give the first failing process's message.
void check_training_memory(const TrainConfig& config, const ReadResult& data, const FileTrainOptions& file,
                           std::size_t max_memory, int threads, Cluster* cluster) {
  const bool sparse = data.data.layout() == Layout::kSparse;
  TrainConfig worst = config;
  worst.optimizer = Optimizer::kAdagrad;
  worst.scale = sparse ? Scaling::kMaxAbs : Scaling::kStandardize;
  const std::size_t d = data.data.features();
  const int workers = cluster != nullptr ? threads : config.workers;
  const double state = static_cast<double>(worker_state_bytes(worst, d, sparse)) * workers;
  std::string failure = memory_shortfall(static_cast<std::size_t>(std::min(state, 1e19)), max_memory,
                                         fmt::format("the training state of {} worker{}, {} each, for {} columns",
                                                     workers, workers == 1 ? "" : "s", human_bytes(state / workers), d));
  int rank = 0;
  if (cluster != nullptr) {  // the first process that lacks the memory speaks for all
    const std::vector<std::uint8_t> failed = allgather_one<std::uint8_t>(cluster->comm(), failure.empty() ? 0 : 1);
    const auto first = std::find(failed.begin(), failed.end(), 1);
    if (first == failed.end()) return;
    rank = static_cast<int>(first - failed.begin());
    failure = fmt::format("{} (rank {})", broadcast_text(cluster->comm(), failure, rank), rank);
  }
  if (failure.empty()) return;
  // The file's own index set d: a bad input, with its line; --features: a bad option.
  if (d == data.highest_index && data.highest_index > 0)
    throw SharedInputError(file.data, data.highest_index_line, fmt::format("feature index {} {}", d, failure));
  throw ConfigError(fmt::format("--features {} {}", d, failure));
}

// The epochs a model was trained for, from its training record: epochs_trained, or (models of
// dsgd 0.4) best_epoch; 0 when neither is there.
std::size_t epochs_trained(const std::string& path, const nlohmann::json& training) {
  for (const char* key : {"epochs_trained", "best_epoch"}) {
    if (!training.is_object() || !training.contains(key)) continue;
    const nlohmann::json& v = training.at(key);
    if (!v.is_number_unsigned() || v.get<std::size_t>() > (std::size_t{1} << 40))
      throw InputError(path, 0, fmt::format("the training record's {} is {}, not a count of epochs", key, v.dump()));
    return v.get<std::size_t>();
  }
  return 0;
}

}  // namespace

int train_from_file(FileTrainOptions& file, TrainOptions& train, std::size_t features, FileReader reader) {
  TrainConfig& config = train.config;
  Cluster* const cluster = reader.cluster;
  if (file.standardize) {  // --standardize, --no-standardize: a --scale of their own
    const Scaling flag = *file.standardize ? Scaling::kStandardize : Scaling::kNone;
    if (train.is_given("scale") && config.scale != flag)
      throw ConfigError(fmt::format("--scale {} contradicts --{}standardize", to_string(config.scale),
                                    *file.standardize ? "" : "no-"));
    config.scale = flag;
    train.given.emplace("scale");
  }
  const GivenField given_field = train.given_field();
  // The file is read with every thread; the training workers are decided once its shape is known.
  if (cluster != nullptr) {
    config.workers = cluster->size() * reader.threads;
  } else if (!train.is_given("workers")) {
    config.workers = default_workers();
  }
  if (cluster == nullptr) reader.threads = config.workers;
  const bool root = reader.root();
  const bool quiet = train.quiet || !root;
  reader.show_progress = !quiet;
  if (file.holdout && !(*file.holdout > 0 && *file.holdout < 1))  // (a value that underflows to 0)
    throw ConfigError(fmt::format("--holdout: must be a fraction strictly between 0 and 1, got {}", *file.holdout));
  if (config.has_target() && !file.holdout && file.test.empty())
    throw ConfigError("--target-accuracy and --target-loss are met on held-out rows: give --holdout FRACTION or "
                      "--test FILE");
  if (file.holdout && !train.is_given("patience") && !config.has_target()) config.patience = 3;  // (a target stops too)
  if (config.patience > 0 && !file.holdout && file.test.empty())
    throw ConfigError("--patience needs held-out rows: give --holdout FRACTION or --test FILE");
  config.validate();
  check_paths({{"-o", file.model}, {"--json", train.json}},
              {{"DATA", file.data}, {"--test", file.test}, {"--init", file.init}, {"--weights", file.weights}});
  // The output files (rank 0's) are opened first, so a bad path fails before any work.
  TrainOutputs out = open_outputs(file.model, file.model_format, train, root, cluster);

  std::optional<Scaling> asked;  // the user's scaling, checked before any data is read
  if (train.is_given("scale")) asked = config.scale;
  std::optional<Model> init;
  ReadOptions read_options = file.input.read_options(reader.threads);
  read_options.features = features;
  if (!file.init.empty()) {
    init = load_model(file.init);
    if (asked && *asked != scaling_of(init->params))
      throw ConfigError(fmt::format("--init {} was trained with --scale {}: --scale {} cannot change that", file.init,
                                    to_string(scaling_of(init->params)), to_string(*asked)));
    if (features != 0 && features != init->params.features())
      throw ConfigError(fmt::format("--features {} differs from the {} features of --init {}", features,
                                    init->params.features(), file.init));
    read_options.model_features = init->params.features();
    read_options.model_from = "--init " + file.init;
    read_options.labels = init->labels;
    read_options.csv_schema = init->input.csv;
  }
  if (!file.class_weight.empty()) (void)parse_class_weights(file.class_weight);  // a bad value fails before the read
  ReadResult data = reader(file.data, read_options);
  if (file.model_format == "liblinear") require_liblinear_labels(data.labels);  // (before training, not after)
  TrainingReport report;
  report.backend = cluster != nullptr ? "mpi" : "threads";
  if (cluster != nullptr) {
    report.ranks = cluster->size();
    report.threads_per_rank = reader.threads;
  }
  report.data = summary_of(file.data, data);
  if (!quiet) fmt::print("Data    {}\n", describe(report.data));
  if (cluster == nullptr && !train.is_given("workers")) {
    const DataWorkers choice = paying_data_workers(config, data.data, data.total_rows, given_field);
    config.workers = choice.workers;
    report.workers_note = choice.why;
  }
  const nlohmann::json weighting = weigh_rows(file, data, config, reader);
  report.sample_weights = weighting;
  if (!quiet && !weighting.is_null()) fmt::print("Weights {}\n", describe_weights(weighting));
  check_training_memory(config, data, file, train.max_memory, reader.threads, cluster);
  if (!quiet && train.verbose && !data.cache_note.empty()) fmt::print("Cache   {}\n", data.cache_note);
  std::optional<ReadResult> test;
  if (!file.test.empty()) {
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
  fit_options.start_epoch = init ? epochs_trained(file.init, init->training) : 0;
  fit_options.cluster = cluster;
  fit_options.threads = reader.threads;
  fit_options.total_rows = data.total_rows;
  fit_options.holdout_fraction = file.holdout.value_or(0.0);
  if (!file.holdout && (config.patience > 0 || config.has_target())) {
    fit_options.holdout = &test->data;
    fit_options.holdout_rows = test->total_rows;
  }
  std::optional<EpochTable> table;
  if (!quiet) fit_options.on_epoch = [&](const EpochProgress& p) { table->row(p); };
  std::optional<Checkpoints> checkpoints;
  fit_options.before_training = [&](const TrainConfig& decided, JobOf jobs) {
    config = decided;
    table.emplace(stdout, config.epochs);
    const std::size_t start_epoch = fit_options.start_epoch;
    if (!quiet && init) {
      if (start_epoch == 0) {
        fmt::print("Init    {}: no record of the epochs it was trained for: the schedule starts again\n", file.init);
      } else {
        fmt::print("Init    {}: trained for {}; this run goes on with epochs {} to {}{}\n", file.init,
                   plural(start_epoch, "epoch"), start_epoch + 1, config.epochs,
                   config.optimizer == Optimizer::kAdagrad ? " (adagrad's sums start again)" : "");
      }
    }
    if (!quiet) {
      print_training_plan(stdout, config, start_epoch, report.workers_note,
                          cluster != nullptr ? fmt::format("{} ranks x {} threads", cluster->size(), reader.threads) : "");
      if (config.patience > 0 && !file.holdout)
        fmt::print("Note    early stopping on --test {}: the test set picks the epoch, so its figures are optimistic "
                   "(--holdout X stops on training rows set aside)\n",
                   file.test);
    }
    checkpoints = prepare_checkpoints(file, config, data, weighting, cluster);
    if (!checkpoints->plan && !checkpoints->resume) return jobs;
    if (!quiet && checkpoints->resume)
      fmt::print("Resume  from epoch {}, step {} ({})\n", checkpoints->resume->epoch, checkpoints->resume->step,
                 file.resume);
    return JobOf([inner = std::move(jobs), &checkpoints](int worker) {
      WorkerJob job = inner(worker);
      job.checkpoint = checkpoints->plan ? &*checkpoints->plan : nullptr;
      job.resume = checkpoints->resume ? &*checkpoints->resume : nullptr;
      return job;
    });
  };
  // The workers were decided above (the weights' totals are summed by worker shards).
  const GivenField decided_workers = [&](std::string_view field) { return field == "workers" || given_field(field); };
  FitResult fitted = fit(data.data, config, decided_workers, fit_options);
  config = fitted.config;
  report.config = fitted.config;
  report.run = std::move(fitted.run);
  const std::optional<HoldoutSplit>& split = fitted.split;
  const RunResult& run = report.run;

  // With --holdout, the training rows and the held-out rows are scored apart.
  report.train = evaluate_rows(split ? split->train : data.data, run.model, cluster);
  if (split) report.holdout = evaluate_rows(split->holdout, run.model, cluster);
  if (test) report.test_scores = evaluate_rows(test->data, run.model, cluster);
  if (train.verbose)
    report.bound = run_bounds(split ? split->train : data.data, static_cast<double>(run.epochs.size()),
                              cluster != nullptr ? reader.threads : config.workers, cluster);
  report.init_path = file.init;

  nlohmann::json record = to_json(config);
  record.update({{"data", file.data},
                 {"rows", data.total_rows},
                 {"holdout", file.holdout ? nlohmann::json(*file.holdout) : nlohmann::json(nullptr)},
                 {"test", file.test.empty() ? nlohmann::json(nullptr) : nlohmann::json(file.test)},
                 {"best_epoch", run.best_epoch},
                 {"epochs_trained", run.best_epoch},
                 {"sample_weights", weighting}});
  if (init) record["init"] = file.init;
  return finish_training(report, Model{run.model, data.labels, std::move(record), "", ModelInput{data.format, data.csv}},
                         train, out, cluster);
}

}  // namespace dsgd::cli
