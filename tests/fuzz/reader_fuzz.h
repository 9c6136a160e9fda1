#pragma once
// The body of the two reader targets (libsvm_fuzz.cc, csv_fuzz.cc): the input is a data file
// (plain, or gzip when it starts with gzip's magic bytes: FileBytes decides by content). It is
// read as the CLI reads it, and each read must give a data set or an InputError:
//   - by one thread and by three (the file split into chunks at line boundaries): the two
//     must agree exactly, on the data and on the error (its line and text);
//   - sparse f32 by two threads, and as a model's test file (known labels and dimension,
//     values beyond it dropped), which only must not fail in another way.
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "dsgd/data/reader.h"
#include "fuzz_common.h"

namespace dsgd::fuzz {

struct ReadOutcome {
  std::optional<ReadResult> result;
  std::string error;  // the InputError's text, when there is no result
};

inline ReadOutcome read_outcome(const std::string& path, const ReadOptions& options) {
  ReadOutcome out;
  (void)expect_typed_errors([&] {
    try {
      out.result.emplace(read_data(path, options));
    } catch (const InputError& e) {
      out.error = e.what();
      throw;
    }
  });
  return out;
}

template <typename T>
bool same_bits(std::span<const T> a, std::span<const T> b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size_bytes()) == 0);
}

// What differs between two reads of one file ("" when nothing does). Values are compared as
// bits, so that NaN equals NaN.
inline std::string difference(const ReadResult& a, const ReadResult& b) {
  const Dataset& x = a.data;
  const Dataset& y = b.data;
  if (a.total_rows != b.total_rows || a.values != b.values || a.lines != b.lines || a.highest_index != b.highest_index ||
      a.dropped != b.dropped || a.first_dropped_line != b.first_dropped_line || a.format != b.format)
    return "the figures (rows, values, lines, highest index, dropped)";
  if (std::memcmp(&a.labels, &b.labels, sizeof(LabelMap)) != 0) return "the label mapping";
  if (a.csv != b.csv) return "the CSV columns";
  if (x.layout() != y.layout() || x.dtype() != y.dtype() || x.rows() != y.rows() || x.features() != y.features() ||
      x.values() != y.values())
    return "the data set's shape";
  if (!same_bits(x.labels(), y.labels())) return "the labels";
  if (!same_bits(x.offsets(), y.offsets()) || !same_bits(x.indices(), y.indices())) return "the CSR structure";
  const bool same_values = x.dtype() == DType::kOnes  ? true
                          : x.dtype() == DType::kF32 ? same_bits(x.features_as<float>(), y.features_as<float>())
                                                     : same_bits(x.features_as<double>(), y.features_as<double>());
  if (!same_values) return "the values";
  return {};
}

inline int fuzz_reader(const std::uint8_t* data, std::size_t size, FileFormat format,
                       const std::vector<ReadOptions>& more) {
  const std::string path = scratch_path(format == FileFormat::kCsv ? "input.csv" : "input.libsvm");
  write_file(path, data, size);

  const ReadOutcome one = read_outcome(path, {.format = format, .threads = 1});
  const ReadOutcome three = read_outcome(path, {.format = format, .threads = 3});
  if (one.result.has_value() != three.result.has_value())
    finding("one thread and three disagree on whether the file reads: " + one.error + three.error);
  if (one.error != three.error) finding("one thread and three report different errors: '" + one.error + "' / '" + three.error + "'");
  if (one.result) {
    if (one.result->data.rows() == 0 || one.result->data.features() == 0) finding("a data set without rows or features");
    if (const std::string what = difference(*one.result, *three.result); !what.empty())
      finding("one thread and three read different " + what);
  }

  for (ReadOptions options : more) {
    options.format = format;
    (void)read_outcome(path, options);
  }
  return 0;
}

}  // namespace dsgd::fuzz
