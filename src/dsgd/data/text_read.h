#pragma once
// The steps of reading a text data file (internal to dsgd): opening it, parsing a line-aligned
// part of it on threads, settling the labels, the dimension and the storage, building the
// Dataset, and using or writing its binary cache. read_data (reader.cc) runs them on the whole
// file in one process; read_data_part (collective_io/) runs them on each process's rows and
// agrees on the results across processes.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dsgd/data/cache.h"
#include "dsgd/data/file_bytes.h"
#include "dsgd/data/parsed_rows.h"
#include "dsgd/data/read_options.h"

namespace dsgd::detail {

// [begin, end) byte ranges of `text`, about equal, each starting at a line start.
[[nodiscard]] std::vector<std::string_view> line_chunks(std::string_view text, int parts);

struct Chunk {
  ParsedRows rows;
  std::optional<LineError> error;
  std::size_t first_row = 0;  // within the parsed part
  std::size_t first_value = 0;
};

// A label value and the global line it was first seen on.
struct SeenLabel {
  double label = 0;
  std::size_t line = 0;
};

// The rows of a line-aligned part of a file's text, parsed by threads, and what they add up to.
struct ParsedPart {
  std::vector<Chunk> chunks;
  std::size_t rows = 0;
  std::size_t values = 0;
  std::size_t lines = 0;
  std::size_t highest_index = 0;
  std::size_t highest_index_line = 0;  // global: the first line that holds it
  std::size_t dropped = 0;
  std::size_t first_dropped_line = 0;  // global
  std::size_t unlabelled = 0;
  bool ones = true;                    // every value is 1
  bool f32_exact = true;               // every value is a float exactly
  std::vector<SeenLabel> labels;       // the first 3 distinct values, in file order
  std::optional<LineError> error;      // the first malformed line (global line)
};

// Appends the distinct values of `more` not yet in `seen`, keeping the first 3.
void merge_labels(std::vector<SeenLabel>& seen, const std::vector<SeenLabel>& more);

// An opened text file: its bytes, format and the part after any CSV header.
struct TextFile {
  FileBytes bytes;
  FileFormat format = FileFormat::kLibsvm;
  std::string_view rows;  // the text holding the rows
  std::size_t header_lines = 0;
  CsvColumns columns;
  std::optional<CsvSchema> schema;  // the file's columns, when it is CSV (and has a label)

  // Throws InputError for a file that cannot be read, is empty, or has a bad CSV header.
  TextFile(const std::string& path, const ReadOptions& options);
  [[nodiscard]] bool csv() const noexcept { return format == FileFormat::kCsv; }
  // Parses `part` (line-aligned, starting at global line first_line + 1) on options.threads
  // threads; a malformed line ends up in the result's `error`.
  [[nodiscard]] ParsedPart parse(std::string_view part, std::size_t first_line, const ReadOptions& options) const;
};

// The label mapping of a file whose first distinct label values are `seen`: options.labels
// (every value must be one of them), or the two values of the file, the larger positive.
[[nodiscard]] LabelMap settle_labels(const std::string& path, const std::vector<SeenLabel>& seen, std::size_t rows,
                                     const ReadOptions& options);

// How values are held, when `asked` (options.dtype) was asked for data whose values are all 1
// (`ones`) or all floats exactly (`f32_exact`): sparse rows of ones store no values (kOnes), and
// sparse values that are floats exactly are stored as f32 in place of f64 (the same numbers, so
// the same bits); dense rows and other values keep `asked`.
[[nodiscard]] DType stored_dtype(bool ones, bool f32_exact, bool dense, DType asked) noexcept;

// The data set of a parsed part: `d` features, dense or sparse as the whole file's density says,
// its values held as `dtype`. Each chunk's rows are released once copied (the part keeps its
// figures), so the text's rows and the data set's are not all held at once.
[[nodiscard]] Dataset build(ParsedPart& part, const LabelMap& labels, std::size_t d, bool dense, DType dtype,
                            std::size_t first_row);

// The dimension and storage (dense?) of a file of `rows` rows, `values` non-zeros, highest
// index `highest` (first on `highest_line`, 0: not known); throws InputError for data wider
// than options.model_features.
[[nodiscard]] std::pair<std::size_t, bool> shape(const std::string& path, const ReadOptions& options, std::size_t rows,
                                                 std::size_t values, std::size_t highest, std::size_t highest_line);

// What a cache of `path` read with `options` must match.
[[nodiscard]] CacheSource cache_source(const std::string& path, const ReadOptions& options);

// Rows [begin, end) of the file, from its cache.
[[nodiscard]] ReadResult read_cache(const std::string& path, const CacheFile& cache, const ReadOptions& options,
                                    std::size_t begin, std::size_t end);

// The cache of `path` if it is current, fit for `options` and intact in its rows [begin, end)
// (rows_of(its row count)); otherwise nothing, and `why` says why not.
[[nodiscard]] std::optional<CacheFile> usable_cache(
    const std::string& path, const CacheSource& source, const ReadOptions& options,
    const std::function<std::pair<std::size_t, std::size_t>(std::size_t)>& rows_of, std::string& why);

// Why the text read `result` is not to be written as the cache (empty when it is): a current
// cache unfit for the options (`why`, the reason it was not used, starts "not used"), or a
// read for a model, which may have left out columns beyond its dimension.
[[nodiscard]] std::string not_to_cache(const std::string& why, const ReadOptions& options, const ReadResult& result);

// What the cache of a text read stores: the whole file's figures (`result`, its labels `seen`,
// its values' storage) and the rows of `part`, which start at file row first_row and value first_value.
[[nodiscard]] CacheContents cache_contents(const CacheSource& source, const TextFile& file, const ParsedPart& part,
                                           const ReadResult& result, const std::vector<SeenLabel>& seen,
                                           DType value_type, std::size_t first_row, std::size_t first_value);

// The note of a cache written `how` ("" or " by the ranks together") because of `why`.
[[nodiscard]] std::string written_note(const std::string& cache, const std::string& how, const std::string& why);

}  // namespace dsgd::detail
