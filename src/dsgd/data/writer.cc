#include "dsgd/data/writer.h"

#include <fmt/format.h>

#include <type_traits>
#include <vector>

#include "dsgd/data/file_format.h"
#include "dsgd/base/error.h"

namespace dsgd {
namespace {

// Appends row i as CSV values (every column, zeros included) to line. Values keep their stored
// type's shortest form: a float prints as a float.
template <typename T>
void csv_values(const DenseView<T>& view, std::size_t i, fmt::memory_buffer& line) {
  const T* row = view.row(i);
  for (std::size_t j = 0; j < view.cols; ++j) fmt::format_to(std::back_inserter(line), "{},", row[j]);
}
// A stored sparse value in its own type (ones as the double 1).
template <typename T>
auto stored(const SparseView<T>& view, std::uint64_t k) {
  if constexpr (std::is_same_v<T, Ones>) {
    return view.value_of(k);
  } else {
    return view.value[k];
  }
}
template <typename T>
void csv_values(const SparseView<T>& view, std::size_t i, fmt::memory_buffer& line) {
  std::uint64_t k = view.offsets[i];
  using Value = decltype(stored(view, 0));
  for (std::size_t j = 0; j < view.cols; ++j) {
    const Value x = k < view.offsets[i + 1] && view.index[k] == j ? stored(view, k++) : Value{0};
    fmt::format_to(std::back_inserter(line), "{},", x);
  }
}

// Appends row i's non-zero values as LIBSVM " index:value" pairs (1-based) to line.
template <typename T>
void libsvm_values(const DenseView<T>& view, std::size_t i, fmt::memory_buffer& line) {
  const T* row = view.row(i);
  for (std::size_t j = 0; j < view.cols; ++j) {
    if (row[j] != T{0}) fmt::format_to(std::back_inserter(line), " {}:{}", j + 1, row[j]);
  }
}
template <typename T>
void libsvm_values(const SparseView<T>& view, std::size_t i, fmt::memory_buffer& line) {
  for (std::uint64_t k = view.offsets[i]; k < view.offsets[i + 1]; ++k) {
    const auto x = stored(view, k);
    if (x != 0) fmt::format_to(std::back_inserter(line), " {}:{}", view.index[k] + 1, x);
  }
}

template <typename View>
void write_rows(const View& view, TextFormat format, const LabelMap& labels, std::FILE* out) {
  // LIBSVM's habit: "+1" for the positive class of -1/+1.
  const bool plus = format == TextFormat::kLibsvm && labels.negative == -1 && labels.positive == 1;
  const std::string positive = plus ? "+1" : labels.text(1), negative = labels.text(0);
  fmt::memory_buffer line;
  if (format == TextFormat::kCsv) {
    for (std::size_t j = 0; j < view.cols; ++j) fmt::format_to(std::back_inserter(line), "x{},", j + 1);
    fmt::format_to(std::back_inserter(line), "label\n");
  }
  for (std::size_t i = 0; i < view.rows; ++i) {
    if (format == TextFormat::kLibsvm) {
      fmt::format_to(std::back_inserter(line), "{}", view.y[i] != 0 ? positive : negative);
      libsvm_values(view, i, line);
      line.push_back('\n');
    } else {
      csv_values(view, i, line);
      fmt::format_to(std::back_inserter(line), "{}\n", view.y[i] != 0 ? positive : negative);
    }
    if (line.size() >= (std::size_t{1} << 16)) {
      std::fwrite(line.data(), 1, line.size(), out);
      line.clear();
    }
  }
  std::fwrite(line.data(), 1, line.size(), out);
}

}  // namespace

TextFormat format_for_path(std::string_view path) noexcept {
  return format_of(path) == FileFormat::kCsv ? TextFormat::kCsv : TextFormat::kLibsvm;  // (the readers' rule)
}

TextFormat parse_text_format(std::string_view name) {
  if (name == "libsvm") return TextFormat::kLibsvm;
  if (name == "csv") return TextFormat::kCsv;
  throw ConfigError("unknown format '" + std::string(name) + "' (expected libsvm or csv)");
}

LabelMap usual_labels(TextFormat format) noexcept {
  return format == TextFormat::kLibsvm ? LabelMap{-1, 1} : LabelMap{0, 1};
}

void write_text(const Dataset& data, std::FILE* out, TextFormat format) {
  write_text(data, out, format, usual_labels(format));
}

void write_text(const Dataset& data, std::FILE* out, TextFormat format, const LabelMap& labels) {
  data.visit([&](const auto& view) { write_rows(view, format, labels, out); });
}

}  // namespace dsgd
