#include "dsgd/report/data_summary.h"

#include <fmt/format.h>

#include "dsgd/base/text.h"

namespace dsgd {

DataSummary summary_of(const std::string& path, const ReadResult& read) {
  DataSummary d;
  d.path = path;
  d.rows = read.total_rows;
  d.features = read.data.features();
  d.values = read.values;
  d.sparse = read.data.layout() == Layout::kSparse;
  d.dtype = read.data.dtype();
  d.labels = read.labels;
  d.load_s = read.seconds;
  d.from_cache = read.from_cache;
  d.streamed = read.streamed;
  d.bytes = read.streamed ? read.held_bytes : read.data.feature_bytes();
  d.dropped_values = read.dropped;
  return d;
}

DataSummary summary_of(const SyntheticSpec& spec, Split split, double generate_s, const GenerationTimes& times) {
  DataSummary d;
  d.rows = split == Split::kTrain ? spec.samples : spec.test_samples;
  d.features = spec.features;
  d.sparse = spec.nnz > 0;
  d.values = d.rows * (d.sparse ? spec.nnz : spec.features);
  d.dtype = spec.dtype;
  d.labels = {0, 1};
  d.load_s = generate_s;
  d.synthetic = spec;
  d.generation = times;
  return d;
}

namespace {

std::string labels_text(const LabelMap& labels) { return labels.text(0) + "/" + labels.text(1); }

}  // namespace

std::string describe(const DataSummary& d) {
  const double cells = static_cast<double>(d.rows) * static_cast<double>(d.features);
  if (d.is_synthetic()) {
    const SyntheticSpec& s = *d.synthetic;
    const std::string storage =
        d.sparse ? fmt::format("sparse ({} non-zeros a row, {}, Zipf {})", s.nnz, to_string(s.values), s.zipf)
                 : fmt::format("dense {}", to_string(d.dtype));
    return fmt::format("synthetic: {} rows x {} features, {}, labels 0/1{}, generated in {:.4f} s", d.rows, d.features,
                       storage, s.noise > 0 ? fmt::format(" ({:g} flipped)", s.noise) : "", d.load_s);
  }
  const std::string storage =
      d.sparse ? fmt::format("sparse ({:.3g}% non-zero)", cells > 0 ? 100.0 * static_cast<double>(d.values) / cells : 0.0)
               : std::string("dense");
  return fmt::format("{}: {} rows x {} features, {}, labels {}, {} in {:.4f} s", printable(d.path), d.rows, d.features,
                     storage, labels_text(d.labels),
                     d.from_cache ? "loaded from its cache" : d.streamed ? "read and scored a block at a time" : "read",
                     d.load_s);
}

nlohmann::json to_json(const DataSummary& d) {
  nlohmann::json j = {{"source", d.is_synthetic() ? "synthetic" : "file"},
                      {"path", d.is_synthetic() ? nlohmann::json(nullptr) : nlohmann::json(d.path)},
                      {"rows", d.rows},
                      {"features", d.features},
                      {"storage", d.sparse ? "sparse" : "dense"},
                      {"values", d.values},
                      {"dtype", std::string(to_string(d.dtype))},
                      {"labels", {{"negative", d.labels.negative}, {"positive", d.labels.positive}}},
                      {"dropped_values", d.dropped_values},
                      {"load_s", d.load_s},
                      {"from_cache", d.from_cache},
                      {"streamed", d.streamed},
                      {"bytes", d.bytes}};
  if (d.is_synthetic()) {
    const SyntheticSpec& s = *d.synthetic;
    j["synthetic"] = {{"samples", s.samples},
                      {"test_samples", s.test_samples},
                      {"noise", s.noise},
                      {"seed", s.seed},
                      {"nnz", s.nnz},
                      {"zipf", s.zipf},
                      {"values", std::string(to_string(s.values))},
                      {"first_touch_s", d.generation.first_touch_s},
                      {"generate_rows_s", d.generation.rows_s},
                      {"generated_bytes", d.generation.bytes}};
  }
  return j;
}

}  // namespace dsgd
