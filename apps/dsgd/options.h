#pragma once
// The options shared by the subcommands: what data to make and how to train, bound straight
// into the library's SyntheticSpec and TrainConfig (whose defaults and checks they carry).
#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

#include "dsgd/data/atomic_file.h"
#include "dsgd/data/synthetic.h"
#include "dsgd/train/config.h"
#include "dsgd/train/worker_count.h"

namespace dsgd::cli {

struct DataOptions {
  SyntheticSpec spec;
  std::optional<std::size_t> test_samples;  // default: 20% of samples
  std::string dtype = "f64";
  std::string values = "binary";
  // Fills spec.dtype, spec.values and spec.test_samples; throws ConfigError on a bad combination.
  void resolve();
};

struct TrainOptions {
  TrainConfig config;
  std::optional<int> workers;  // default: default_workers()
  std::string schedule = "constant";
  std::string exchange = "auto";
  std::string sync_every = "1";
  std::string optimizer = "sgd";
  bool no_bias = false;
  std::string json;
  bool quiet = false;
  std::size_t max_memory = 0;  // bytes; 0: what the machine has available
  // Fills config.workers and config.seed (a data option); validates the config.
  void resolve(const DataOptions& data);
  // Fills the settings bound as text or negated flags into config.
  void resolve_model_options();
  // The --json file, opened (as a temporary) before the run, so that an unwritable path fails
  // at once; empty when --json was not given.
  [[nodiscard]] std::optional<AtomicFile> open_json() const;
};

void add_data_options(CLI::App& app, DataOptions& data);
// Adds --epochs --batch --lr --warmup-epochs --schedule --lr-step-epochs --lr-step-factor --l2
// --no-bias --shuffle --workers --json --quiet.
void add_train_options(CLI::App& app, TrainOptions& train);

// Validators that name the problem in words (CLI11's own ranges print the limits of double).
[[nodiscard]] CLI::Validator positive();
[[nodiscard]] CLI::Validator non_negative();
[[nodiscard]] CLI::Validator probability();  // in [0, 1]; NaN refused
[[nodiscard]] CLI::Validator fraction();     // in (0, 1)

// Each subcommand: add its options to `app` and return the handler to call once parsed.
using Handler = std::function<int()>;
Handler add_gen_command(CLI::App& app);
Handler add_train_command(CLI::App& app);
Handler add_bench_command(CLI::App& app);
Handler add_predict_command(CLI::App& app);
Handler add_eval_command(CLI::App& app);

}  // namespace dsgd::cli
