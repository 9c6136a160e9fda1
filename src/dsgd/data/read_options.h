#pragma once
// What a read of a data file is asked for (ReadOptions) and what it gives (ReadResult): the
// types shared by read_data (reader.h), the steps it runs (text_read.h) and collective_io's
// read_data_part.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "dsgd/data/csv_schema.h"
#include "dsgd/data/dataset.h"
#include "dsgd/data/file_format.h"
#include "dsgd/data/labels.h"

namespace dsgd {

class Progress;

enum class Storage { kAuto, kDense, kSparse };
// Accepts "auto", "dense", "sparse"; throws ConfigError otherwise.
[[nodiscard]] Storage parse_storage(std::string_view name);
// Auto storage is dense from this share of non-zero values up: a dense row then costs at most
// 8 / (0.25 x 12) ~ 2.7x the bytes of its CSR form, and the dense pass is vectorised.
constexpr double kDenseFromDensity = 0.25;

struct ReadOptions {
  FileFormat format = FileFormat::kAuto;  // kAuto: by the name, else `unnamed_format`
  FileFormat unnamed_format = FileFormat::kLibsvm;  // a model's training format, for names that do not say
  Storage storage = Storage::kAuto;
  DType dtype = DType::kF64;
  // The dimension. 0: the highest index in the file. Otherwise an index beyond it is an error,
  // or, with drop_beyond (a test file read for a model), dropped and counted.
  std::size_t features = 0;
  bool drop_beyond = false;
  // A model to go on training (--init): the data may be narrower (LIBSVM), never wider, and a CSV
  // file has exactly its feature columns; refused naming both widths and `model_from`.
  std::size_t model_features = 0;
  std::string model_from;
  // The known label mapping (a model's); otherwise the file's two label values, larger positive.
  std::optional<LabelMap> labels;
  // Data to predict on (needs `labels` and `features`, a model's): rows may come without a label
  // (LIBSVM rows that start with index:value; CSV files of exactly `features` columns and none
  // named "label"), and labels that are present are read but not checked; their class is 0
  // when the model does not know them.
  bool labels_optional = false;
  std::string label_column;  // CSV: a header name or a 0-based position; empty: "label" or the last
  // CSV read for a model: the columns of the CSV file it was trained on (csv_columns: by name
  // where both have a header, else by position).
  std::optional<CsvSchema> csv_schema;
  int threads = 1;
  // Load from the binary cache next to the file (cache_path_of) when it is current and intact;
  // otherwise parse the text and write the cache (collective_io's read_data_part: the processes
  // together, each its own rows, into one file).
  bool cache = false;
  // The bytes of text parsed are added to it as the threads go (a progress bar), when given.
  Progress* progress = nullptr;
};

// The format a read of `path` with `options` parses.
[[nodiscard]] FileFormat format_to_read(std::string_view path, const ReadOptions& options) noexcept;

// Where the binary cache of a data file lives: "DATA.dsgdcache", next to it.
[[nodiscard]] std::string cache_path_of(const std::string& data_path);

struct ReadResult {
  Dataset data;                        // all rows, or (read_data_part) this process's rows
  std::size_t total_rows = 0;          // data rows in the whole file
  LabelMap labels;
  FileFormat format = FileFormat::kLibsvm;
  std::size_t values = 0;              // non-zero values in the whole file
  std::size_t lines = 0;               // lines in the file, header and blank lines included
  std::size_t highest_index = 0;       // the highest feature index the file holds
  std::size_t highest_index_line = 0;  // the first line that holds it (0: not known, from a cache)
  std::size_t dropped = 0;             // values beyond `features` dropped (drop_beyond)
  std::size_t first_dropped_line = 0;
  std::size_t unlabelled = 0;          // rows without a label (options.labels_optional)
  std::optional<CsvSchema> csv;        // a CSV file's columns (its header's names, or "column 1", ...)
  double seconds = 0;                  // reading and parsing (or loading the cache)
  bool from_cache = false;             // the rows came from the binary cache
  std::string cache_note;              // with options.cache: what happened to the cache, for the user
  // stream_data: the rows were handed on a block at a time (never held together), the largest
  // block's rows taking `held_bytes` (read_data: data.feature_bytes()).
  bool streamed = false;
  std::size_t held_bytes = 0;
};

}  // namespace dsgd
