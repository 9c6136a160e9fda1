#include "files.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "dsgd/base/atomic_file.h"
#include "dsgd/base/error.h"

namespace dsgd::cli {

ReadOptions InputOptions::read_options(int threads) const {
  ReadOptions o;
  o.format = parse_file_format(format);
  o.storage = parse_storage(storage);
  o.dtype = parse_dtype(dtype);
  o.label_column = label_column;
  o.threads = threads;
  o.cache = cache;
  return o;
}

namespace {
bool same_file(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
  return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}
}  // namespace

void check_paths(const NamedPaths& outputs, const NamedPaths& inputs) {
  const std::string* stdin_user = nullptr;  // the one input that may read standard input
  for (const auto& [input, source] : inputs) {
    if (source != "-" && source != "/dev/stdin") continue;
    if (stdin_user != nullptr)
      throw ConfigError(fmt::format("{} and {} both read standard input ('-'): one of them must be a file",
                                    *stdin_user, input));
    stdin_user = &input;
  }
  const std::string* stdout_user = nullptr;
  for (const auto& [option, path] : outputs) {
    if (path.empty() || !is_standard_output(path)) continue;
    if (stdout_user != nullptr)
      throw ConfigError(fmt::format("{} and {} both write to standard output: one of them must be a file",
                                    *stdout_user, option));
    stdout_user = &option;
  }
  if (stdout_user != nullptr) reserve_standard_output();
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    const auto& [option, path] = outputs[k];
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    const bool stream = !ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status);
    if (path.empty() || is_standard_output(path) || stream) continue;  // devices, FIFOs: written through
    for (const auto& [input, source] : inputs) {
      if (!source.empty() && same_file(path, source))
        throw ConfigError(fmt::format("{} {} is the {} file: it would be overwritten", option, path, input));
    }
    for (std::size_t o = 0; o < k; ++o) {
      if (!outputs[o].second.empty() && same_file(path, outputs[o].second))
        throw ConfigError(fmt::format("{} and {} name the same file {}", outputs[o].first, option, path));
    }
  }
}

void add_input_options(CLI::App& app, InputOptions& input, bool with_dtype) {
  auto* group = "Data files";
  app.add_option("--format", input.format,
                 "auto (by the name: *.csv CSV, *.libsvm or *.svm LIBSVM; else LIBSVM, or a model's own), libsvm or csv")
      ->group(group)
      ->type_name("auto|libsvm|csv")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            if (value == "auto" || value == "libsvm" || value == "csv") return {};
            if (value == "dense" || value == "sparse")
              return value + " is a storage (--storage " + value + "); --format is the file's: auto, libsvm or csv";
            return "expected auto, libsvm or csv, got " + value;
          },
          "", "format"));
  add_old_spelling(app, "--input-format", "--format", input.format)->check(one_of({"auto", "libsvm", "csv"}));
  choice_option(app.add_option("--storage", input.storage,
                               fmt::format("How rows are held: dense, sparse (CSR), or auto (dense from {:.0f}% "
                                           "non-zeros)",
                                           100 * kDenseFromDensity)),
                {"auto", "dense", "sparse"})
      ->group(group);
  app.add_option("--label-column", input.label_column,
                 "CSV: the label's column, by header name or 0-based position [default: a model's; 'label'; the last]")
      ->group(group)
      ->type_name("NAME|N");
  app.add_flag("--cache", input.cache,
               "Keep a binary copy of each data file beside it (FILE.dsgdcache) and load from it while it is current")
      ->group(group);
  if (with_dtype) {
    choice_option(app.add_option("--dtype", input.dtype, "Storage of the values: f64 (exact; sparse values are kept as f32 where that is exact, and not at all where all are 1), or f32 (rounded; sums still in double)"),
                  {"f64", "f32"})
        ->group(group);
  }
}

namespace {
ReadOptions options_for_model(std::size_t features, const LabelMap& labels, const ModelInput& trained_on,
                              const InputOptions& input, int threads, bool to_predict) {
  ReadOptions o = input.read_options(threads);
  o.unnamed_format = trained_on.format;
  o.csv_schema = trained_on.csv;
  o.features = features;
  o.drop_beyond = true;
  o.labels = labels;
  o.labels_optional = to_predict;
  return o;
}

void warn_dropped(const std::string& path, const ReadResult& read, std::size_t features) {
  if (read.dropped > 0) {
    fmt::print(stderr,
               "dsgd: warning: {}: {} values at feature indices above {} (the model's dimension) ignored, the first "
               "at line {}\n",
               path, read.dropped, features, read.first_dropped_line);
  }
}
}  // namespace

ReadResult stream_for_model(const std::string& path, std::size_t features, const LabelMap& labels,
                            const ModelInput& trained_on, const InputOptions& input, int threads,
                            const std::function<void(const Dataset&)>& fn) {
  ReadOptions o = options_for_model(features, labels, trained_on, input, threads, false);
  o.storage = o.storage == Storage::kDense ? Storage::kDense : Storage::kSparse;
  constexpr std::size_t kBlockBytes = std::size_t{16} << 20;
  ReadResult read = stream_data(path, o, kBlockBytes, fn);
  warn_dropped(path, read, features);
  return read;
}

ReadResult read_for_model(const std::string& path, std::size_t features, const LabelMap& labels,
                          const ModelInput& trained_on, const InputOptions& input, const FileReader& reader, bool quiet,
                          bool to_predict) {
  const ReadOptions o = options_for_model(features, labels, trained_on, input, reader.threads, to_predict);
  ReadResult read = reader(path, o);
  if (!quiet && !read.cache_note.empty() && reader.root()) fmt::print(stderr, "dsgd: cache: {}\n", read.cache_note);
  if (reader.root()) warn_dropped(path, read, features);
  return read;
}

}  // namespace dsgd::cli
