#include "dsgd/collective_io/read_part.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <optional>
#include <random>
#include <utility>

#include "dsgd/base/atomic_file.h"
#include "dsgd/data/file_bytes.h"
#include "dsgd/data/text_read.h"
#include "dsgd/base/error.h"
#include "dsgd/base/timer.h"

namespace dsgd {
namespace {

using namespace detail;  // the steps of a read (data/text_read.h)

// Every process's failure (or none), agreed: the first in file order (then the lowest rank),
// the same on every process; its message comes from the process that failed.
std::optional<LineError> first_failure(Communicator& comm, const std::optional<LineError>& mine) {
  struct Flag {
    std::uint64_t failed;
    std::uint64_t line;
  };
  const std::vector<Flag> flags = allgather_one(comm, Flag{mine ? 1U : 0U, mine ? mine->line : 0U});
  int first = -1;
  for (int r = 0; r < comm.size(); ++r) {
    const Flag& f = flags[static_cast<std::size_t>(r)];
    if (f.failed != 0 && (first < 0 || f.line < flags[static_cast<std::size_t>(first)].line)) first = r;
  }
  if (first < 0) return std::nullopt;
  std::string what = broadcast_text(comm, comm.rank() == first ? mine->what : std::string(), first);
  return LineError{static_cast<std::size_t>(flags[static_cast<std::size_t>(first)].line), std::move(what)};
}

// first_failure, thrown on every process as a SharedInputError; returns when no process failed.
void agree_on_failure(Communicator& comm, const std::string& path, const std::optional<LineError>& mine) {
  if (std::optional<LineError> f = first_failure(comm, mine)) throw SharedInputError(path, f->line, f->what);
}

// Runs fn; an InputError it throws becomes this process's LineError (line 0: the file as a whole).
template <typename Fn>
std::optional<LineError> failure_of(Fn&& fn) {
  try {
    fn();
  } catch (const InputError& e) {
    return LineError{e.line(), e.message()};
  }
  return std::nullopt;
}

// Runs fn, which every process runs on the same information: an InputError it throws is
// thrown alike on every process, so it is rethrown as a SharedInputError.
template <typename Fn>
auto shared_errors(const std::string& path, Fn&& fn) {
  try {
    return fn();
  } catch (const SharedInputError&) {
    throw;
  } catch (const InputError& e) {
    throw SharedInputError(path, e.line(), e.message());
  }
}

// Writes the cache of a file that the processes of comm read from its text together, each
// process its own rows (`part`: file rows first_row .., values first_value ..), unless `why`
// (why the cache was not used) says it is current; returns the note for the user.
std::string write_cache_together(Communicator& comm, const std::string& path, const CacheSource& source,
                                 const TextFile& file, const ParsedPart& part, const ReadResult& result,
                                 const std::vector<SeenLabel>& seen, DType value_type, std::size_t first_row,
                                 std::size_t first_value, const ReadOptions& options, const std::string& why) {
  const std::string cache = cache_path_of(path);
  // Skipped by all if by any (a rank may have seen a cache the others did not).
  const std::string skip = not_to_cache(why, options, result);
  if (any_worker(comm, !skip.empty()))
    return cache + " " + (skip.empty() ? "not written (another rank found it current)" : skip);
  const CacheContents contents = cache_contents(source, file, part, result, seen, value_type, first_row, first_value);
  // The temporary file's name: rank 0's temporary_prefix and a random tag (stale ones of dead
  // processes removed first).
  const bool root = comm.rank() == 0;
  std::string temp;
  if (root) {
    remove_stale_temporaries(cache);
    temp = fmt::format("{}{:016x}", temporary_prefix(cache),
                       std::random_device{}() * 0x1'0000'0000ULL + std::random_device{}());
  }
  const SharedCacheWrite writer(cache, contents, broadcast_text(comm, temp, 0));
  std::optional<LineError> failed = first_failure(comm, failure_of([&] {
    if (root) writer.create();
  }));
  if (!failed) failed = first_failure(comm, failure_of([&] { writer.write_rows(); }));
  if (!failed) {
    // Each process sums the blocks that start in its rows; in rank order they are all blocks.
    std::vector<std::uint64_t> mine;
    const std::optional<LineError> mine_failed =
        failure_of([&] { mine = writer.checksums(first_row, first_row + part.rows); });
    std::vector<std::uint64_t> checksums;
    for (const std::vector<std::uint64_t>& theirs : allgather<std::uint64_t>(comm, mine))
      checksums.insert(checksums.end(), theirs.begin(), theirs.end());
    failed = first_failure(comm, mine_failed);
    if (!failed) failed = first_failure(comm, failure_of([&] {
      if (root) writer.finish(checksums);
    }));
  }
  if (failed) {
    if (root) writer.abandon();
    return fmt::format("{} not written: {}", cache, failed->what);
  }
  return written_note(cache, " by the ranks together", why);
}

// What each process's part of a file holds, as the others need it.
struct PartSummary {
  std::uint64_t rows = 0;
  std::uint64_t lines = 0;
};
struct ParsedSummary {
  std::uint64_t values = 0;
  std::uint64_t highest_index = 0;
  std::uint64_t highest_index_line = 0;
  std::uint64_t dropped = 0;
  std::uint64_t first_dropped_line = 0;
  std::uint64_t labels = 0;  // of label_value / label_line
  std::uint64_t ones = 1;       // every value is 1
  std::uint64_t f32_exact = 1;  // every value is a float exactly
  double label_value[3] = {0, 0, 0};
  std::uint64_t label_line[3] = {0, 0, 0};
};
// Where a process's first row starts in the text: its byte offset and the lines before it.
struct RowAt {
  std::uint64_t offset = 0;
  std::uint64_t lines = 0;
};
struct FoundStart {
  std::uint64_t process = 0;
  RowAt at;
};

// What every process must agree on about its copy of a file: its size and modification time,
// the length of its text, and a checksum of the bytes the split into ranges depends on (4 KiB
// either side of each split point, and the text's first and last 4 KiB).
struct CopyStamp {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::uint64_t text_bytes = 0;
  std::uint64_t checksum = 0;
};

CopyStamp copy_stamp(const FileStamp& stamp, std::string_view text, int processes) {
  constexpr std::size_t kAround = 4096;
  CopyStamp s{stamp.size, stamp.mtime_ns, text.size(), 0};
  for (int k = 0; k <= processes; ++k) {
    const std::size_t at = text.size() / static_cast<std::size_t>(processes) * static_cast<std::size_t>(k);
    const std::size_t from = at > kAround ? at - kAround : 0;
    const std::size_t to = std::min(text.size(), std::max(at, from) + kAround);
    s.checksum = XXH3_64bits_withSeed(text.data() + from, to - from, s.checksum);
  }
  return s;
}

// Throws SharedInputError on every process when one process's copy of `path` differs from rank
// 0's (a stale copy on one host, NFS lag): the ranks would split different texts. `text` empty:
// only the size and time are compared (before the text is read).
void agree_on_copies(Communicator& comm, const std::string& path, const CopyStamp& mine) {
  const std::vector<CopyStamp> all = allgather_one(comm, mine);
  const CopyStamp& first = all.front();
  for (std::size_t q = 1; q < all.size(); ++q) {
    const CopyStamp& s = all[q];
    std::string what;
    if (s.size != first.size) {
      what = fmt::format("{} bytes against rank 0's {}", s.size, first.size);
    } else if (s.mtime_ns != first.mtime_ns) {
      what = fmt::format("modified at another time ({:.3f} s from rank 0's; copy with cp -p or rsync -t to keep it)",
                         static_cast<double>(s.mtime_ns - first.mtime_ns) / 1e9);
    } else if (s.text_bytes != first.text_bytes || s.checksum != first.checksum) {
      what = "other bytes (its checksum differs from rank 0's)";
    }
    if (!what.empty())
      throw SharedInputError(path, 0,
                             fmt::format("rank {}'s copy differs: {}; every rank must read the same file", q, what));
  }
}

// With options.cache: this process's rows of a current cache, where the cache serves every
// process (each checks the blocks of its rows); nullopt with `why` filled where it does not.
// `source` is the cache's source, for writing it afterwards.
std::optional<ReadResult> read_cache_part(const std::string& path, const ReadOptions& options, Communicator& comm,
                                          const FirstRowOf& first_row_of, std::optional<CacheSource>& source,
                                          std::string& why) {
  const int processes = comm.size();
  const int rank = comm.rank();
  const auto my_rows = [&](std::size_t rows) {
    return std::pair<std::size_t, std::size_t>(first_row_of(rows, rank),
                                               rank + 1 < processes ? first_row_of(rows, rank + 1) : rows);
  };
  std::optional<CacheFile> cache;
  agree_on_failure(comm, path, failure_of([&] { source = cache_source(path, options); }));
  agree_on_copies(comm, path, CopyStamp{source->stamp.size, source->stamp.mtime_ns, 0, 0});
  agree_on_failure(comm, path, failure_of([&] { cache = usable_cache(path, *source, options, my_rows, why); }));
  if (any_worker(comm, !cache)) {
    if (why.empty()) why = "another rank found its rows corrupt";
    return std::nullopt;
  }
  // Its errors (a single class, no model label) come from the header: the same on every rank.
  const auto [begin, end] = my_rows(cache->rows());
  // Copies: clang 14 (C++20) refuses a lambda that captures a structured binding.
  return shared_errors(path, [&, first = begin, last = end] { return read_cache(path, *cache, options, first, last); });
}

}  // namespace

ReadResult read_data_part(const std::string& path, const ReadOptions& options, Communicator& comm,
                          const FirstRowOf& first_row_of) {
  if (options.labels_optional) throw Error("read_data_part: data to predict on is read by one process (read_data)");
  const auto start = Clock::now();
  const int processes = comm.size();
  const int rank = comm.rank();
  std::optional<CacheSource> source;
  std::string why;  // with options.cache: why the cache was not used
  if (options.cache) {
    if (std::optional<ReadResult> cached = read_cache_part(path, options, comm, first_row_of, source, why)) {
      cached->seconds = seconds_since(start);
      return std::move(*cached);
    }
  }
  std::optional<TextFile> file;
  FileStamp stamp;
  agree_on_failure(comm, path, failure_of([&] {
    stamp = file_stamp(path);
    file.emplace(path, options);
  }));
  agree_on_copies(comm, path, copy_stamp(stamp, file->rows, processes));
  const bool csv = file->csv();

  // 1. Rows and lines of each process's byte range.
  const std::vector<std::string_view> ranges = line_chunks(file->rows, processes);
  const auto range = [&](int r) {
    return static_cast<std::size_t>(r) < ranges.size() ? ranges[static_cast<std::size_t>(r)] : std::string_view();
  };
  const RowCount mine = count_rows(range(rank), csv);
  const std::vector<PartSummary> counts = allgather_one(comm, PartSummary{mine.rows, mine.lines});
  std::vector<std::size_t> row_prefix(1, 0), line_prefix(1, file->header_lines);
  for (const PartSummary& c : counts) {
    row_prefix.push_back(row_prefix.back() + c.rows);
    line_prefix.push_back(line_prefix.back() + c.lines);
  }
  const std::size_t rows = row_prefix.back();
  if (rows == 0) throw SharedInputError(path, 0, "no data rows (only blank or comment lines)");

  // 2. Where each process's first row starts: found by the process whose range holds it (the
  // end of the text, process `processes`, by every process).
  std::vector<FoundStart> found;
  for (int q = 0; q <= processes; ++q) {
    const std::size_t row = q == processes ? rows : first_row_of(rows, q);
    const auto r = static_cast<std::size_t>(rank);
    if (row >= rows || row < row_prefix[r] || row >= row_prefix[r + 1]) continue;
    const RowStart at = find_row(range(rank), csv, row - row_prefix[r]);
    found.push_back({static_cast<std::uint64_t>(q),
                     {static_cast<std::size_t>(range(rank).data() - file->rows.data()) + at.offset,
                      line_prefix[r] + at.lines}});
  }
  std::vector<RowAt> starts(static_cast<std::size_t>(processes) + 1,
                            RowAt{file->rows.size(), line_prefix.back()});
  for (const std::vector<FoundStart>& theirs : allgather<FoundStart>(comm, found)) {
    for (const FoundStart& f : theirs) starts[f.process] = f.at;
  }
  const auto me = static_cast<std::size_t>(rank);
  const std::size_t begin = starts[me].offset;
  const std::size_t end = starts[me + 1].offset;

  // 3. This process's rows, then what the whole file adds up to.
  ParsedPart part = file->parse(file->rows.substr(begin, end - begin), starts[me].lines, options);
  agree_on_failure(comm, path, part.error);
  ParsedSummary summary{part.values,  part.highest_index,       part.highest_index_line,
                        part.dropped, part.first_dropped_line, part.labels.size(),
                        part.ones ? 1U : 0U, part.f32_exact ? 1U : 0U};
  for (std::size_t k = 0; k < part.labels.size(); ++k) {
    summary.label_value[k] = part.labels[k].label;
    summary.label_line[k] = part.labels[k].line;
  }
  const std::vector<ParsedSummary> all = allgather_one(comm, summary);
  ReadResult result{.data = Dataset(DType::kF64, 0, 1),
                    .total_rows = rows,
                    .format = file->format,
                    .lines = line_prefix.back(),
                    .csv = file->schema};
  std::vector<SeenLabel> seen;
  bool ones = true, f32_exact = true;  // of the whole file
  for (const ParsedSummary& s : all) {
    result.values += s.values;
    ones = ones && s.ones != 0;
    f32_exact = f32_exact && s.f32_exact != 0;
    if (s.highest_index > result.highest_index) {
      result.highest_index = s.highest_index;
      result.highest_index_line = s.highest_index_line;
    }
    if (s.dropped > 0 && result.dropped == 0) result.first_dropped_line = s.first_dropped_line;
    result.dropped += s.dropped;
    std::vector<SeenLabel> theirs;
    for (std::size_t k = 0; k < s.labels; ++k) theirs.push_back({s.label_value[k], s.label_line[k]});
    merge_labels(seen, theirs);
  }
  // The same information on every process, so the same failure (if any) on every process.
  const auto [d, dense] = shared_errors(path, [&] {
    const std::pair<std::size_t, bool> d_dense =
        shape(path, options, rows, result.values, result.highest_index, result.highest_index_line);
    result.labels = settle_labels(path, seen, rows, options);
    return d_dense;
  });
  // (The cache first: building the data set releases the parsed rows.)
  if (options.cache) {
    std::size_t first_value = 0;
    for (int r = 0; r < rank; ++r) first_value += all[static_cast<std::size_t>(r)].values;
    result.cache_note = write_cache_together(comm, path, *source, *file, part, result, seen,
                                             stored_dtype(ones, f32_exact, false, DType::kF64),
                                             first_row_of(rows, rank), first_value, options, why);
  }
  result.data = build(part, result.labels, d, dense, stored_dtype(ones, f32_exact, dense, options.dtype),
                      first_row_of(rows, rank));
  result.seconds = seconds_since(start);
  return result;
}

}  // namespace dsgd
