#include "files.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "dsgd/collective_io/read_part.h"
#include "dsgd/data/atomic_file.h"
#include "dsgd/error.h"
#include "dsgd/progress.h"
#include "dsgd/train/run.h"

namespace dsgd::cli {

ReadOptions InputOptions::read_options(int threads) const {
  ReadOptions o;
  o.format = parse_file_format(input_format);
  try {
    o.storage = parse_storage(storage);
  } catch (const ConfigError& e) {  // (only the hidden --format can bring a value CLI11 did not check)
    throw ConfigError(std::string("--storage: ") + e.what());
  }
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
  app.add_option("--input-format", input.input_format,
                 "auto (CSV for *.csv and *.csv.gz, else LIBSVM), libsvm or csv; gzip is detected either way (under MPI "
                 "every rank decompresses a gzip file whole)")
      ->group(group)
      ->check(CLI::IsMember({"auto", "libsvm", "csv"}));
  app.add_option("--storage", input.storage,
                 fmt::format("How the features are held in memory: dense, sparse (CSR), or auto (dense from {:.0f}% "
                             "non-zeros)",
                             100 * kDenseFromDensity))
      ->group(group)
      ->check(CLI::IsMember({"auto", "dense", "sparse"}));
  // dsgd 0.4's name, which gen uses for the file format: kept working, not shown, with a warning.
  // (Its value is checked where --storage's is read: CLI11 names no hidden option in its errors.)
  CLI::Option* storage = app.get_option("--storage");
  app.add_option("--format", input.storage, "Old name of --storage")
      ->group("")
      ->excludes(storage)
      ->each([](const std::string&) { fmt::print(stderr, "dsgd: warning: --format is now called --storage\n"); });
  app.add_option("--label-column", input.label_column,
                 "CSV: the label column, by header name or 0-based position [default: 'label', else the last]")
      ->group(group);
  app.add_flag("--cache", input.cache,
               "Keep a binary copy of each data file next to it (FILE.dsgdcache: memory-mapped, checksummed, "
               "rebuilt when the file changes) and load from it when it is current; under MPI each rank loads only "
               "its rows")
      ->group(group);
  if (with_dtype) {
    app.add_option("--dtype", input.dtype, "Storage of the values: f64, or f32 (sums still in double)")
        ->group(group)
        ->check(CLI::IsMember({"f32", "f64"}));
  }
}

namespace {
// Threads that pay for parsing a file of `bytes`: one per MiB (starting a thread costs more than
// parsing a small file's share), at most `threads`.
int parse_threads(const std::string& path, int threads) {
  std::error_code error;
  const std::uintmax_t bytes = std::filesystem::file_size(path, error);
  if (error) return threads;
  return static_cast<int>(std::clamp<std::uintmax_t>(bytes >> 20, 1, static_cast<std::uintmax_t>(threads)));
}
}  // namespace

ReadResult FileReader::operator()(const std::string& path, ReadOptions options) const {
  std::error_code error;
  const bool regular = path != "-" && std::filesystem::is_regular_file(path, error);
  if (options.cache && !regular && (path == "-" || std::filesystem::exists(path, error)))
    throw ConfigError(fmt::format("--cache needs a data file named by its path, and {} is {}: leave out --cache",
                                  path == "-" ? "'-'" : path,
                                  path == "-" ? "standard input" : "a stream (a pipe, FIFO or device)"));
  if (cluster != nullptr && !regular && (path == "-" || std::filesystem::exists(path, error)))
    throw ConfigError(fmt::format("under MPI every rank reads its rows of {} itself: {} cannot be shared that way; "
                                  "give a regular file",
                                  path == "-" ? "'-'" : path, path == "-" ? "standard input" : "a stream"));
  options.threads = threads;
  if (cluster == nullptr) {
    options.threads = parse_threads(path, threads);
    std::optional<Progress> progress;
    if (show_progress && regular) {
      progress.emplace("reading " + path, std::filesystem::file_size(path, error), "bytes");
      options.progress = &*progress;
    }
    return read_data(path, options);
  }
  const int processes = cluster->size();
  return read_data_part(path, options, cluster->comm(), [&](std::size_t rows, int rank) {
    return process_rows(rows, processes, threads, rank).begin;
  });
}

ReadResult read_for_model(const std::string& path, std::size_t features, const LabelMap& labels,
                          const InputOptions& input, const FileReader& reader, bool quiet, bool to_predict) {
  ReadOptions o = input.read_options(reader.threads);
  o.features = features;
  o.drop_beyond = true;
  o.labels = labels;
  o.labels_optional = to_predict;
  ReadResult read = reader(path, o);
  if (!quiet && !read.cache_note.empty() && reader.root()) fmt::print(stderr, "dsgd: cache: {}\n", read.cache_note);
  if (read.dropped > 0 && reader.root()) {
    fmt::print(stderr,
               "dsgd: warning: {}: {} values at feature indices above {} (the model's dimension) ignored, the first "
               "at line {}\n",
               path, read.dropped, o.features, read.first_dropped_line);
  }
  return read;
}

nlohmann::json data_json(const std::string& path, const ReadResult& r) {
  return {{"path", path},
          {"rows", r.total_rows},
          {"features", r.data.features()},
          {"storage", std::string(to_string(r.data.layout()))},
          {"values", r.values},
          {"labels", {{"negative", r.labels.negative}, {"positive", r.labels.positive}}},
          {"dropped_values", r.dropped},
          {"load_s", r.seconds},
          {"from_cache", r.from_cache}};
}

std::string describe(const std::string& path, const ReadResult& read) {
  const Dataset& d = read.data;
  const std::string storage =
      d.layout() == Layout::kDense
          ? std::string("dense")
          : fmt::format("sparse ({} values, {:.1f}%)", read.values,
                        100.0 * static_cast<double>(read.values) /
                            (static_cast<double>(read.total_rows) * static_cast<double>(d.features())));
  return fmt::format("{}: {} rows x {} features, {}, labels {}, {} in {:.4f} s", path, read.total_rows,
                     d.features(), storage, read.labels.describe(),
                     read.from_cache ? "loaded from its cache" : "read", read.seconds);
}

}  // namespace dsgd::cli
