#pragma once
// The options shared by the subcommands: what data to make (bound into the library's
// SyntheticSpec) and how to train (made from the library's table of TrainConfig's fields,
// config_fields.h: its names, help, defaults and checks).
#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "dsgd/base/atomic_file.h"
#include "dsgd/data/synthetic.h"
#include "dsgd/train/config/config.h"
#include "dsgd/train/config/defaults.h"
#include "dsgd/train/config/worker_count.h"

namespace dsgd::cli {

struct DataOptions {
  SyntheticSpec spec;
  bool synthetic = false;  // train --synthetic: asked for synthetic data with every setting's default
  std::optional<std::size_t> test_samples;  // default: 20% of samples
  std::string dtype = "f64";
  std::string values = "binary";
  // Fills spec.dtype, spec.values and spec.test_samples; throws ConfigError on a bad combination.
  void resolve();
};

struct TrainOptions {
  TrainConfig config;
  // The configuration fields (config_fields.h) given on the command line; the others keep
  // TrainConfig's defaults (synthetic data) or take the data's (a data file, defaults.h).
  std::set<std::string, std::less<>> given;
  std::string json;
  bool quiet = false;    // warnings and errors only
  bool verbose = false;  // the engineering detail too (and the bandwidth probe for its bounds)
  std::size_t max_memory = 0;  // bytes; 0: what the machine has available
  [[nodiscard]] bool is_given(std::string_view field) const { return given.contains(field); }
  [[nodiscard]] GivenField given_field() const {
    return [this](std::string_view field) { return is_given(field); };
  }
  // Fills config.workers (default_workers() unless given) and config.seed (a data option);
  // validates the config and refuses a run the memory cannot hold.
  void resolve(const SyntheticSpec& data);
  // The --json file, opened (as a temporary) before the run, so that an unwritable path fails
  // at once; empty when --json was not given.
  [[nodiscard]] std::optional<AtomicFile> open_json() const;
};

void add_data_options(CLI::App& app, DataOptions& data);
// Whether the command line set any option of the synthetic data but --features, --seed and
// --dtype (which data files have too), or --synthetic: a train run that asked for synthetic data.
[[nodiscard]] bool asked_for_synthetic(const CLI::App& app, const DataOptions& data);

// An option's old spelling, kept working: hidden from the help, it sets `target` as `new_name`
// does, with one line on standard error naming the new spelling.
template <typename T>
CLI::Option* add_old_spelling(CLI::App& app, const std::string& old_name, const std::string& new_name, T& target) {
  return app.add_option(old_name, target)
      ->group("")
      ->each([old_name, new_name](const std::string&) {
        std::fprintf(stderr, "dsgd: warning: %s is now %s\n", old_name.c_str(), new_name.c_str());
      });
}
// Adds the configuration fields every training command has (--epochs --batch --lr
// --warmup-epochs --schedule --lr-step-epochs --lr-step-factor --l2 --no-bias --shuffle
// --optimizer --exchange --sync-every --overlap --workers) and --max-memory --json --quiet.
// `data_files`: the command trains on data files too, whose defaults the help states.
void add_train_options(CLI::App& app, TrainOptions& train, bool data_files);
// Adds the options of the named configuration fields in `group`, each bound into train.config
// by set_field (its check, its message) and recorded in train.given; the help is the table's,
// with the default (TrainConfig's, and the data's where `data_files`).
void add_config_options(CLI::App& app, TrainOptions& train, std::initializer_list<std::string_view> fields,
                        const char* group, bool data_files);

// The command line's name for a configuration field that a message names (error.h's field()):
// the field's long flag ("--lr-step-epochs"), or for the command line's own options that the
// library names (checkpoint_every, max_memory, samples) "--" and the name with dashes.
// Throws ConfigError for the first of `names` given on the command line: "NAME WHY".
void reject(const CLI::App& app, std::initializer_list<const char*> names, const char* why);
[[nodiscard]] std::string flag_of(std::string_view field);
// An error's message for the command line: a dsgd::Error's with its fields named by flag_of.
[[nodiscard]] std::string message_of(const std::exception& e);

// Validators that name the problem in words (CLI11's own ranges print the limits of double).
[[nodiscard]] CLI::Validator positive();
[[nodiscard]] CLI::Validator non_negative();
[[nodiscard]] CLI::Validator probability();  // in [0, 1]; NaN refused
[[nodiscard]] CLI::Validator fraction();     // in (0, 1)
// One of `choices`; the help shows them as "a|b|c" (set as the option's type name by the caller
// that wants it: choice_option does both).
[[nodiscard]] CLI::Validator one_of(std::vector<std::string> choices);
// `option` takes one of `choices`: checked, and shown so in the help.
CLI::Option* choice_option(CLI::Option* option, const std::vector<std::string>& choices);

// Each subcommand: add its options to `app` and return the handler to call once parsed.
using Handler = std::function<int()>;
Handler add_gen_command(CLI::App& app);
Handler add_train_command(CLI::App& app);
Handler add_bench_command(CLI::App& app);
Handler add_study_command(CLI::App& app);
Handler add_predict_command(CLI::App& app);
Handler add_eval_command(CLI::App& app);

// The whole command line on `app`, as main and the CLI fuzzer set it up: --version, one
// subcommand required, the option defaults every command shares (a flag takes no value:
// `--shuffle=x` is a parse error, not an exception from CLI11's flag arithmetic), and every
// subcommand. Returns each subcommand's name and handler; the handlers own the storage the
// options write into, so they must outlive every parse of `app`.
using Commands = std::vector<std::pair<std::string, Handler>>;
[[nodiscard]] Commands add_commands(CLI::App& app);

}  // namespace dsgd::cli
