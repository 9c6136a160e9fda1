#include "dsgd/collective_io/file_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "dsgd/base/error.h"
#include "dsgd/base/progress.h"
#include "dsgd/base/range.h"
#include "dsgd/collective_io/read_part.h"

namespace dsgd {

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
  const int processes = cluster.get().size();
  if (processes > 1 && !regular && (path == "-" || std::filesystem::exists(path, error)))
    throw ConfigError(fmt::format("under MPI every rank reads its rows of {} itself: {} cannot be shared that way; "
                                  "give a regular file",
                                  path == "-" ? "'-'" : path, path == "-" ? "standard input" : "a stream"));
  options.threads = threads;
  if (processes == 1) {
    options.threads = parse_threads(path, threads);
    std::optional<Progress> progress;
    if (show_progress && regular) {
      progress.emplace("reading " + path, std::filesystem::file_size(path, error), "bytes");
      options.progress = &*progress;
    }
    return read_data(path, options);
  }
  return read_data_part(path, options, cluster.get().comm(), [&](std::size_t rows, int rank) {
    return process_rows(rows, processes, threads, rank).begin;
  });
}

}  // namespace dsgd
