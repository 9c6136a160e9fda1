#pragma once
// The table of SyntheticSpec's settings: the one place a synthetic-data setting is named, read
// from text and written back, beside the configuration's fields (train/config/config_fields.h).
// It feeds `study --vary` (set_synthetic), the check that every MPI rank was started alike, the
// `dsgd train` arguments of a study's jobs, and a model's record of the data it was trained on.
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "dsgd/data/synthetic.h"

namespace dsgd {

struct SyntheticField {
  std::string_view name;  // "samples": the JSON key and --vary's name
  std::string_view flag;  // the command line's: "--samples"
  bool sparse_only;       // meaningful only with nnz > 0 (zipf, values)
  // Parses and stores the text; throws ConfigError "WHAT: 'TEXT' is not ...".
  void (*set)(SyntheticSpec& spec, std::string_view what, std::string_view text);
  // The value as set takes it back, exactly (numbers in round-trip form).
  std::string (*text)(const SyntheticSpec& spec);
  nlohmann::json (*json)(const SyntheticSpec& spec);
};

// Every setting, in the order of the command line's help.
[[nodiscard]] std::span<const SyntheticField> synthetic_fields();
// The setting named `name`, or null.
[[nodiscard]] const SyntheticField* find_synthetic_field(std::string_view name) noexcept;
// Sets the named setting from text; throws ConfigError for an unknown name or a bad value.
void set_synthetic(SyntheticSpec& spec, std::string_view name, std::string_view text);
// {"samples": ..., "features": ..., ...}: every setting.
[[nodiscard]] nlohmann::json to_json(const SyntheticSpec& spec);

}  // namespace dsgd
