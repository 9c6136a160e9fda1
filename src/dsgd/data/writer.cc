#include "dsgd/data/writer.h"

#include <fmt/format.h>

#include "dsgd/error.h"

namespace dsgd {
namespace {

template <typename T>
void write_rows(const DenseView<T>& view, TextFormat format, std::FILE* out) {
  fmt::memory_buffer line;
  if (format == TextFormat::kCsv) {
    for (std::size_t j = 0; j < view.cols; ++j) fmt::format_to(std::back_inserter(line), "x{},", j + 1);
    fmt::format_to(std::back_inserter(line), "label\n");
  }
  for (std::size_t i = 0; i < view.rows; ++i) {
    const T* row = view.row(i);
    if (format == TextFormat::kLibsvm) {
      fmt::format_to(std::back_inserter(line), "{}", view.y[i] != 0 ? "+1" : "-1");
      for (std::size_t j = 0; j < view.cols; ++j) {
        if (row[j] != T{0}) fmt::format_to(std::back_inserter(line), " {}:{}", j + 1, row[j]);
      }
      line.push_back('\n');
    } else {
      for (std::size_t j = 0; j < view.cols; ++j) fmt::format_to(std::back_inserter(line), "{},", row[j]);
      fmt::format_to(std::back_inserter(line), "{}\n", view.y[i] != 0 ? 1 : 0);
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
  return path.size() >= 4 && path.substr(path.size() - 4) == ".csv" ? TextFormat::kCsv : TextFormat::kLibsvm;
}

TextFormat parse_text_format(std::string_view name) {
  if (name == "libsvm") return TextFormat::kLibsvm;
  if (name == "csv") return TextFormat::kCsv;
  throw ConfigError("unknown format '" + std::string(name) + "' (expected libsvm or csv)");
}

void write_text(const Dataset& data, std::FILE* out, TextFormat format) {
  data.visit([&](const auto& view) { write_rows(view, format, out); });
}

}  // namespace dsgd
