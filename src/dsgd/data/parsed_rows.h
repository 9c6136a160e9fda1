#pragma once
// What the text readers share (internal to data/): the rows parsed from one line-aligned chunk
// of a file, in CSR form, and the line parsers of each format. A chunk is parsed by one thread;
// reader.cc splits files, runs the threads and merges their chunks in file order.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "dsgd/data/csv_schema.h"
#include "dsgd/base/huge_vector.h"

namespace dsgd::detail {

// A malformed line: the line number within the chunk (1-based) and what is wrong.
struct LineError {
  std::size_t line;
  std::string what;
};

// What a parser may see and how to treat column indices beyond `features`.
struct ParseLimits {
  std::size_t features = 0;  // 0: no limit (the dimension comes from the data)
  bool drop_beyond = false;  // true: drop values beyond `features` (counted); false: LineError
  // Rows may come without a label (data to predict on): LIBSVM rows that start with index:value.
  bool labels_optional = false;
};

// The arrays grow by appending; they sit on huge pages (page faults on a VM are dear: a 400 MB
// file's rows fault in hundreds of thousands of 4 KiB pages otherwise).
struct ParsedRows {
  HugeVector<double> labels;
  HugeVector<std::uint64_t> offsets{0};  // CSR over index/value, one entry per row + 1
  HugeVector<std::uint32_t> index;       // 0-based columns, ascending within a row
  // The non-zero values, one per index, once a value other than 1 has been seen; empty while
  // every value is 1 (`ones`), so rows of ones take 4 bytes a non-zero while they are parsed.
  HugeVector<double> value;
  bool ones = true;                       // every value so far is 1 (value is empty)
  bool f32_exact = true;                  // every value so far is a float exactly
  std::size_t max_index = 0;              // highest 1-based column seen (zeros included)
  std::size_t max_index_line = 0;         // its line, within the chunk
  std::size_t lines = 0;                  // lines consumed, blank and comment lines included
  struct Seen {
    double label;
    std::size_t line;  // within the chunk
  };
  std::vector<Seen> distinct_labels;      // the first 3 distinct label values, in order of appearance
  std::size_t dropped = 0;                // values beyond limits.features, dropped
  std::size_t first_dropped_line = 0;     // within the chunk
  std::size_t unlabelled = 0;             // rows without a label (labels_optional)

  [[nodiscard]] std::size_t rows() const noexcept { return labels.size(); }
  // Room, as a guess, for the rows of `bytes` of text of about `bytes_per_value` a value and
  // 64 a row (more grows the arrays as usual): address space, touched only when used.
  void reserve_for(std::size_t bytes, std::size_t bytes_per_value) {
    index.reserve(bytes / bytes_per_value + 1);
    labels.reserve(bytes / 64 + 1);
    offsets.reserve(bytes / 64 + 2);
  }
  // Records a row's label (and, if new, where it was first seen).
  void add_label(double label);
  // Records a row without a label (NaN in `labels`, not a distinct value).
  void add_missing_label() {
    labels.push_back(std::numeric_limits<double>::quiet_NaN());
    ++unlabelled;
  }
  // Adds value at 0-based column `column` of the current row (zeros count for max_index only).
  void add_value(std::size_t column, double x) {
    if (column + 1 > max_index) {
      max_index = column + 1;
      max_index_line = lines;
    }
    if (x != 0.0) {
      index.push_back(static_cast<std::uint32_t>(column));
      if (!ones) {
        value.push_back(x);
        f32_exact = f32_exact && static_cast<double>(static_cast<float>(x)) == x;
      } else if (x != 1.0) {
        add_first_other(x);
      }
    }
  }
  // The value of index k: value[k], or 1 while `ones`.
  [[nodiscard]] double value_at(std::size_t k) const noexcept { return ones ? 1.0 : value[k]; }
  // The values' array for put_csr_rows: null while `ones`.
  [[nodiscard]] const double* values_or_null() const noexcept { return ones ? nullptr : value.data(); }
  void end_row() { offsets.push_back(index.size()); }

 private:
  // The first value other than 1 (the last index pushed): the ones before it are written out.
  void add_first_other(double x);
};

// Counting and finding rows without parsing them (to split a file by rows): a line is a data
// row when it holds anything but blanks (LIBSVM: before any '#'), exactly the lines the parsers
// read as rows; the others are skipped by both.
struct RowCount {
  std::size_t rows = 0;
  std::size_t lines = 0;
};
[[nodiscard]] RowCount count_rows(std::string_view text, bool csv) noexcept;
// The start of data row `row` (0-based; `row` == the chunk's row count gives its end): the byte
// offset and the number of lines before it.
struct RowStart {
  std::size_t offset = 0;
  std::size_t lines = 0;
};
[[nodiscard]] RowStart find_row(std::string_view text, bool csv, std::size_t row) noexcept;

// Reads a number in full (an optional leading '+' is accepted, as LIBSVM labels use it);
// false for anything else, infinities and NaN included.
[[nodiscard]] bool parse_number(std::string_view token, double& out) noexcept;

// LIBSVM/SVMlight: "label index:value ...", 1-based strictly ascending indices, '#' comments,
// blank lines skipped, "qid:N" ignored. Throws LineError.
void parse_libsvm(std::string_view text, const ParseLimits& limits, ParsedRows& out);

// The columns of a CSV file, from its first line.
constexpr std::size_t kNoLabel = static_cast<std::size_t>(-1);
struct CsvColumns {
  bool header = false;               // the first line names the columns (it is not a row)
  std::vector<std::string> names;    // the header's names, or "column 1".. when there is none
  std::size_t label = 0;             // which field is the label (kNoLabel: none)
  std::vector<std::size_t> feature;  // each field's feature column, 0-based (kNoLabel for the label's)
};
// Decides from the first line whether there is a header (a field that is not a number), which
// field is the label and which feature each other field is. Without a model's `schema`:
// `label_column` names the label or gives its 0-based position; empty means the column named
// "label", else the last; the features follow in file order. With `features_without_label`
// (data to predict on for a model of that many features, schema or not), a file of exactly
// that many fields and no label column has no label (label == kNoLabel). With the `schema` of
// the CSV file a model was trained on: by name where both files have a header (any order; a
// column the model lacks, one it needs that is missing, or a name twice is refused), else by
// position (the label where the model's was). Throws LineError (line 1) if it cannot.
[[nodiscard]] CsvColumns csv_columns(std::string_view first_line, const std::string& label_column,
                                     std::size_t features_without_label = 0, const CsvSchema* schema = nullptr);

// CSV rows with the fields of `columns`: every row the same field count, no missing values.
// Throws LineError.
void parse_csv(std::string_view text, const CsvColumns& columns, const ParseLimits& limits, ParsedRows& out);

}  // namespace dsgd::detail
