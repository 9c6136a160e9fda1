#pragma once
// What a run trained or scored on, a file read or rows generated: the Data line of every
// report and its JSON. Used by the train, bench and eval reports.
#include <cstddef>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "dsgd/data/labels.h"
#include "dsgd/data/reader.h"
#include "dsgd/data/synthetic.h"

namespace dsgd {

// What a run trained (or scored) on: a file read, or rows generated.
struct DataSummary {
  std::string path;  // "" for synthetic rows
  std::size_t rows = 0;
  std::size_t features = 0;
  std::size_t values = 0;  // non-zeros
  bool sparse = false;
  DType dtype = DType::kF64;
  LabelMap labels;
  double load_s = 0;  // reading (or loading the cache), or generating
  bool from_cache = false;
  bool streamed = false;  // scored as read, a block of rows at a time
  std::size_t bytes = 0;  // the rows' bytes in memory (streamed: the largest block's)
  std::size_t dropped_values = 0;  // a test file's values beyond the model's features
  std::optional<SyntheticSpec> synthetic;  // the generator's settings
  GenerationTimes generation;              // synthetic: generate_s's split
  [[nodiscard]] bool is_synthetic() const noexcept { return synthetic.has_value(); }
};
[[nodiscard]] DataSummary summary_of(const std::string& path, const ReadResult& read);
// A split of synthetic data (its rows: spec.samples or spec.test_samples).
[[nodiscard]] DataSummary summary_of(const SyntheticSpec& spec, Split split, double generate_s,
                                     const GenerationTimes& times = {});
// "a9a: 32561 rows x 123 features, sparse (11.3% non-zero), labels -1/+1, read in 0.031 s"
[[nodiscard]] std::string describe(const DataSummary& data);
// {source, path, rows, features, storage, values, dtype, labels, load_s, from_cache, streamed, bytes,
// dropped_values[, synthetic]}
[[nodiscard]] nlohmann::json to_json(const DataSummary& data);

}  // namespace dsgd
