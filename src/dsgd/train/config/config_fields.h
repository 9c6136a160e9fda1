#pragma once
// The table of TrainConfig's fields: for each its name, help, default and check, and the names
// the front ends give it. The one place a training option is described: it feeds the command
// line (apps/dsgd/options.cc adds an option a field), validation (TrainConfig::validate checks
// every field's range here, then the rules between fields), the configuration's JSON (to_json,
// in reports, models and checkpoints) and Python's keyword arguments (python/_dsgd.cc sets
// fields by keyword; tests/python checks the estimator's signature and defaults against it).
//
// A field's value travels as text (the command line's, or Python's value written out exactly):
// set_field parses it into its JSON value, checks it and stores it, or throws ConfigError
// naming the field, marked by field() (error.h) so that each front end shows its own name.
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "dsgd/base/error.h"
#include "dsgd/train/config/config.h"

namespace dsgd {

enum class FieldType {
  kCount,         // a whole number of 0 or more
  kNumber,        // a real number
  kSwitch,        // true or false
  kChoice,        // one of the field's choices
  kStepsOrEpoch,  // a positive number of steps, or "epoch" (0)
};

// The numbers a kCount or kNumber field takes: low .. high, each end open or closed; optional:
// also "not set" (NaN, JSON null, the text "none"; a target that is not there).
struct FieldRange {
  double low = 0;
  bool low_open = false;
  double high = 0;  // 0 with high_open: no upper end
  bool high_open = true;
  bool optional = false;
};

struct ConfigField {
  std::string_view name;     // the library's name: the JSON key, GivenField's name, messages'
  std::string_view flags;    // the command line's, as CLI11 spells them: "-b,--batch", "--shuffle,!--no-shuffle"
  std::string_view keyword;  // Python's keyword argument; empty: not one
  FieldType type;
  std::string_view help;     // other fields named {like_this} (field_help fills in the front end's names)
  // Where the caller sets nothing and trains on a data file or an array (dsgd train FILE,
  // Python's fit), the default the data decides (train/config/defaults.h), in words; empty: TrainConfig's.
  std::string_view data_default;
  // The data's default holds on synthetic data too (or there is no synthetic run of this field).
  bool data_default_always = false;
  std::span<const std::string_view> choices;  // kChoice
  FieldRange range;                            // kCount, kNumber
  // The field's value as JSON (its type's: number, true/false, text, null when not set), from
  // and into a config; store takes only what parse_field made of checked text.
  nlohmann::json (*load)(const TrainConfig& config);
  void (*store)(TrainConfig& config, const nlohmann::json& value);
};

// Every field, in the order of the command line's help and of Python's signature.
[[nodiscard]] std::span<const ConfigField> config_fields();
// The field named `name`, or null.
[[nodiscard]] const ConfigField* find_config_field(std::string_view name) noexcept;
// The field whose Python keyword is `keyword`, or null.
[[nodiscard]] const ConfigField* find_config_keyword(std::string_view keyword) noexcept;

// Parses `text` as the field's value, checks it and stores it in `config`; throws ConfigError
// naming the field ("batch: expected a whole number, got 1.5"; unknown field names too).
void set_field(TrainConfig& config, std::string_view name, std::string_view text);
void set_field(TrainConfig& config, const ConfigField& field, std::string_view text);
// Throws ConfigError naming the field when its value in `config` is out of its range.
void check_field(const TrainConfig& config, const ConfigField& field);

// The field's value in TrainConfig's defaults, as set_field takes it ("8192", "0.1", "true",
// "constant", "epoch", "none").
[[nodiscard]] std::string default_text(const ConfigField& field);
// The field's value as set_field takes it.
[[nodiscard]] std::string value_text(const ConfigField& field, const TrainConfig& config);
// What values the field takes, in words: "a whole number, at least 1", "one of sgd, adagrad".
[[nodiscard]] std::string rule_text(const ConfigField& field);
// The field's help with the fields it names ({lr}) named by `name_of` (their own names if empty).
[[nodiscard]] std::string field_help(const ConfigField& field, const FieldNamer& name_of);

// Every field under its name.
[[nodiscard]] nlohmann::json to_json(const TrainConfig& config);

}  // namespace dsgd
