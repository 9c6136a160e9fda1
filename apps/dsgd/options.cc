#include "options.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "dsgd/error.h"
#include "dsgd/train/memory.h"

namespace dsgd::cli {
namespace {

// A validator for a number that must satisfy `ok`; `rule` says what it must be.
CLI::Validator number_rule(const std::string& name, bool (*ok)(double), const std::string& rule) {
  return CLI::Validator(
      [ok, rule](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || std::isnan(value))
          return "'" + text + "' is not a number";
        return ok(value) ? std::string() : "must be " + rule + ", got " + text;
      },
      "", name);
}

}  // namespace

CLI::Validator positive() {
  return number_rule("POSITIVE", [](double v) { return v > 0 && std::isfinite(v); }, "greater than 0");
}
CLI::Validator non_negative() {
  return number_rule("NON_NEGATIVE", [](double v) { return v >= 0 && std::isfinite(v); }, "0 or more");
}
CLI::Validator fraction() {
  return number_rule("FRACTION", [](double v) { return v > 0 && v < 1; }, "a fraction strictly between 0 and 1");
}
CLI::Validator probability() {
  return number_rule("PROBABILITY", [](double v) { return v >= 0 && v <= 1; }, "a probability, 0 to 1");
}

void DataOptions::resolve() {
  spec.dtype = parse_dtype(dtype);
  spec.values = parse_sparse_values(values);
  spec.test_samples = test_samples.value_or(spec.samples / 5);
  validate(spec);
}

void TrainOptions::resolve_model_options() {
  config.schedule = parse_schedule(schedule);
  config.exchange = parse_exchange(exchange);
  config.sync_every = parse_sync_every(sync_every);
  config.optimizer = parse_optimizer(optimizer);
  config.bias = !no_bias;
}

void TrainOptions::resolve(const DataOptions& data) {
  resolve_model_options();
  config.workers = workers.value_or(default_workers());
  config.seed = data.spec.seed;
  config.validate();
  // The rows of both splits and every worker's state, before any of it is made.
  const SyntheticSpec& s = data.spec;
  const double rows = static_cast<double>(s.samples) + static_cast<double>(s.test_samples);
  const double value_bytes = s.dtype == DType::kF32 ? 4.0 : 8.0;
  const double data_bytes = s.nnz > 0 ? rows * (static_cast<double>(s.nnz) * (4.0 + value_bytes) + 9.0)
                                      : rows * (static_cast<double>(s.features) * value_bytes + 1.0);
  const double state = static_cast<double>(worker_state_bytes(config, s.features, s.nnz > 0)) * config.workers;
  const std::string shortfall = memory_shortfall(
      static_cast<std::size_t>(std::min(data_bytes + state, 1e19)), max_memory,
      fmt::format("{} of rows, {} for {} worker{}", human_bytes(data_bytes), human_bytes(state), config.workers,
                  config.workers == 1 ? "" : "s"));
  if (!shortfall.empty())
    throw ConfigError(fmt::format("-n {} x -d {}{} {}", s.samples, s.features,
                                  s.nnz > 0 ? fmt::format(" (--nnz {})", s.nnz) : "", shortfall));
}

std::optional<AtomicFile> TrainOptions::open_json() const {
  std::optional<AtomicFile> file;
  if (!json.empty() && is_standard_output(json)) reserve_standard_output();  // the report text to stderr
  if (!json.empty()) file.emplace(json);
  return file;
}

void add_data_options(CLI::App& app, DataOptions& data) {
  auto* group = "Data (synthetic: x ~ N(0,1), or --nnz sparse features; true w ~ N(0,1), y = [x.w > 0])";
  app.add_option("-n,--samples", data.spec.samples, "Training rows")->group(group)->check(positive());
  app.add_option("-d,--features", data.spec.features, "Features per row")->group(group)->check(positive());
  app.add_option("--test-samples", data.test_samples,
                 "Held-out rows from the same true weights [default: 20% of --samples]; 0: none")
      ->group(group)
      ->check(non_negative());
  app.add_option("--noise", data.spec.noise, "Flip each label with this probability (0 to 0.5)")
      ->group(group)
      ->check(non_negative());
  app.add_option("--seed", data.spec.seed, "Seed of the data and of --shuffle")->group(group)->check(non_negative());
  app.add_option("--dtype", data.dtype, "Storage of the features: f64, or f32 (sums still in double)")
      ->group(group)
      ->check(CLI::IsMember({"f32", "f64"}));
  app.add_option("--nnz", data.spec.nnz,
                 "Sparse rows: this many distinct non-zero features a row, of -d (up to 2^26), stored CSR; 0: dense "
                 "rows")
      ->group(group)
      ->check(non_negative());
  app.add_option("--zipf", data.spec.zipf,
                 "Sparse rows: feature k of popularity is drawn with probability ~ k^-S (Zipf's law; 0: uniform)")
      ->group(group)
      ->check(non_negative());
  app.add_option("--values", data.values, "Sparse rows: their values, binary (1) or gaussian (N(0, 1))")
      ->group(group)
      ->check(CLI::IsMember({"binary", "gaussian"}));
}

void add_train_options(CLI::App& app, TrainOptions& train) {
  auto* group = "Training";
  TrainConfig& c = train.config;
  app.add_option("-e,--epochs", c.epochs, "Passes over the data")->group(group)->check(positive());
  app.add_option("-b,--batch", c.batch, "Rows per worker per step (global batch = workers x batch)")
      ->group(group)
      ->check(positive());
  app.add_option("--lr", c.lr, "Base learning rate; the rate used is lr x workers after warm-up")
      ->group(group)
      ->check(positive());
  app.add_option("--warmup-epochs", c.warmup_epochs, "Epochs of per-step linear ramp from lr to lr x workers; 0: none")
      ->group(group)
      ->check(non_negative());
  app.add_option("--schedule", train.schedule,
                 "Rate after warm-up: constant; inverse-sqrt (peak x sqrt(T/t) from T = one epoch or the warm-up); "
                 "step (x --lr-step-factor every --lr-step-epochs)")
      ->group(group)
      ->check(CLI::IsMember({"constant", "inverse-sqrt", "step"}));
  app.add_option("--lr-step-epochs", c.step_epochs, "step schedule: epochs between cuts")->group(group)->check(positive());
  app.add_option("--lr-step-factor", c.step_factor, "step schedule: factor of each cut, in (0, 1]")
      ->group(group)
      ->check(positive());
  app.add_option("--l2", c.l2, "L2 penalty: adds l2/2 |w|^2 to the mean log-loss (the bias is not penalised)")
      ->group(group)
      ->check(non_negative());
  app.add_flag("--no-bias", train.no_bias, "No intercept: z = x . w")->group(group);
  app.add_flag("--shuffle,!--no-shuffle", c.shuffle, "Shuffle each worker's shard every epoch (seeded)")->group(group);
  app.add_option("--optimizer", train.optimizer,
                 "sgd: one rate for every column; adagrad: a column's rate divided by the root of its summed squared "
                 "gradients, so rare columns learn as fast as common ones [default: sgd; for a data file, adagrad "
                 "when it is stored sparse with 10000 columns or more]")
      ->group(group)
      ->check(CLI::IsMember({"sgd", "adagrad"}));
  app.add_option("--exchange", train.exchange,
                 "How the workers sum sparse gradients each step: shared (threads of one process: their model "
                 "replicas lie in memory all of them read, and each touched column is summed and moved by one "
                 "worker, into every replica), sparse (each sends the indices and values its rows touched), dense "
                 "(one allreduce of all d), or auto (shared for threads once a replica is 32 MiB or more, else "
                 "sparse while the lists are the cheaper to move); the same bits every way. Dense data always "
                 "exchanges densely")
      ->group(group)
      ->check(CLI::IsMember({"auto", "dense", "sparse", "shared"}));
  app.add_option("--sync-every", train.sync_every,
                 "When the workers communicate: 1, every step (the gradients summed as --exchange says); K > 1, "
                 "local SGD: each worker takes K steps on its own rows with its own copy of the model, at the rate "
                 "of one worker's batch (lr, not lr x workers), then the models are averaged (one allreduce of d "
                 "values), and at every epoch's end; or epoch, once an epoch (Vowpal Wabbit's averaging per pass). "
                 "The same seed and workers give the same bits on every backend; only 1 gives the bits of "
                 "sequential SGD on the global batch")
      ->group(group)
      ->type_name("K|epoch");
  app.add_flag("--overlap", c.overlap,
               "Overlap (pipelined SGD): each step's dense exchange travels while the worker computes the next "
               "step's gradient, so every update but an epoch's first uses a gradient one step old (a different "
               "algorithm from plain SGD; the same bits on every backend for the same seed and workers). The report "
               "says how much exchange time it hid. Sparse data takes the dense exchange and update with it; "
               "checkpoints only at epochs' ends. Nothing to hide with one worker: plain SGD")
      ->group(group);
  app.add_option("-w,--workers", train.workers, "Worker threads [default: hardware threads, at most 4]")
      ->group(group)
      ->check(positive());
  app.add_option("--max-memory", train.max_memory,
                 "Refuse a run whose data and training state would need more than this (e.g. 8G, 512M) "
                 "[default: the memory the machine has available]")
      ->group(group)
      ->transform(CLI::AsSizeValue(true));
  app.add_option("--json", train.json, "Also write the report as JSON to this file")->group("Output");
  app.add_flag("-q,--quiet", train.quiet, "No per-epoch progress lines")->group("Output");
}

}  // namespace dsgd::cli
