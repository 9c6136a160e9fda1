#include "dsgd/data/read_options.h"

#include "dsgd/base/error.h"

namespace dsgd {

FileFormat format_to_read(std::string_view path, const ReadOptions& options) noexcept {
  if (options.format != FileFormat::kAuto) return options.format;
  return format_by_name(path).value_or(options.unnamed_format == FileFormat::kAuto ? FileFormat::kLibsvm
                                                                                   : options.unnamed_format);
}

Storage parse_storage(std::string_view name) {
  if (name == "auto") return Storage::kAuto;
  if (name == "dense") return Storage::kDense;
  if (name == "sparse") return Storage::kSparse;
  throw ConfigError("unknown storage '" + std::string(name) + "' (expected auto, dense or sparse)");
}

std::string cache_path_of(const std::string& data_path) { return data_path + ".dsgdcache"; }

}  // namespace dsgd
