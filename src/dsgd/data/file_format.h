#pragma once
// The text formats dsgd reads (LIBSVM, CSV) and how a file's name says which. Used by the
// readers, the writer, the binary cache and model files.
#include <optional>
#include <string_view>

namespace dsgd {

enum class FileFormat { kAuto, kLibsvm, kCsv };
// Accepts "auto", "libsvm", "csv"; throws ConfigError otherwise.
[[nodiscard]] FileFormat parse_file_format(std::string_view name);
// CSV for names ending in .csv or .csv.gz, LIBSVM for .libsvm, .svm, .svmlight (and their .gz);
// nothing for other names.
[[nodiscard]] std::optional<FileFormat> format_by_name(std::string_view path) noexcept;
// format_by_name, LIBSVM when the name does not say.
[[nodiscard]] FileFormat format_of(std::string_view path) noexcept;

}  // namespace dsgd
