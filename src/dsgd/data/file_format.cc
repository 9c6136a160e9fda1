#include "dsgd/data/file_format.h"

#include <algorithm>
#include <string>

#include "dsgd/base/error.h"

namespace dsgd {

FileFormat parse_file_format(std::string_view name) {
  if (name == "auto") return FileFormat::kAuto;
  if (name == "libsvm" || name == "svmlight") return FileFormat::kLibsvm;
  if (name == "csv") return FileFormat::kCsv;
  throw ConfigError("unknown input format '" + std::string(name) + "' (expected auto, libsvm or csv)");
}

std::optional<FileFormat> format_by_name(std::string_view path) noexcept {
  if (path.ends_with(".gz")) path.remove_suffix(3);
  const auto ends_with = [&](std::string_view s) {
    return path.size() >= s.size() && std::equal(s.begin(), s.end(), path.end() - static_cast<std::ptrdiff_t>(s.size()),
                                                 [](char a, char b) { return a == (b | 0x20); });
  };
  if (ends_with(".csv")) return FileFormat::kCsv;
  if (ends_with(".libsvm") || ends_with(".svm") || ends_with(".svmlight")) return FileFormat::kLibsvm;
  return std::nullopt;
}

FileFormat format_of(std::string_view path) noexcept { return format_by_name(path).value_or(FileFormat::kLibsvm); }

}  // namespace dsgd
