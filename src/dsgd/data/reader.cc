#include "dsgd/data/reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <random>
#include <optional>
#include <utility>

#include "dsgd/data/cache.h"
#include "dsgd/data/file_bytes.h"
#include "dsgd/data/parallel_for.h"
#include "dsgd/data/parsed_rows.h"
#include "dsgd/error.h"
#include "dsgd/timer.h"

namespace dsgd {

FileFormat parse_file_format(std::string_view name) {
  if (name == "auto") return FileFormat::kAuto;
  if (name == "libsvm" || name == "svmlight") return FileFormat::kLibsvm;
  if (name == "csv") return FileFormat::kCsv;
  throw ConfigError("unknown input format '" + std::string(name) + "' (expected auto, libsvm or csv)");
}

FileFormat format_of(std::string_view path) noexcept {
  const auto ends_with = [&](std::string_view s) { return path.size() >= s.size() && path.substr(path.size() - s.size()) == s; };
  return ends_with(".csv") || ends_with(".csv.gz") || ends_with(".CSV") ? FileFormat::kCsv : FileFormat::kLibsvm;
}

Storage parse_storage(std::string_view name) {
  if (name == "auto") return Storage::kAuto;
  if (name == "dense") return Storage::kDense;
  if (name == "sparse") return Storage::kSparse;
  throw ConfigError("unknown storage '" + std::string(name) + "' (expected auto, dense or sparse)");
}

namespace {

using detail::LineError;
using detail::parallel_for;
using detail::ParsedRows;

// [begin, end) byte ranges of `text`, about equal, each starting at a line start.
std::vector<std::string_view> line_chunks(std::string_view text, int parts) {
  std::vector<std::string_view> chunks;
  std::size_t begin = 0;
  for (int k = 1; k <= parts && begin < text.size(); ++k) {
    std::size_t end = text.size() * static_cast<std::size_t>(k) / static_cast<std::size_t>(parts);
    if (k == parts) {
      end = text.size();
    } else {
      end = std::max(end, begin);
      const std::size_t newline = text.find('\n', end);
      end = newline == std::string_view::npos ? text.size() : newline + 1;
    }
    chunks.push_back(text.substr(begin, end - begin));
    begin = end;
  }
  return chunks;
}

struct Chunk {
  ParsedRows rows;
  std::optional<LineError> error;
  std::size_t first_row = 0;    // within the parsed part
  std::size_t first_value = 0;
};

// A label value and the global line it was first seen on.
struct SeenLabel {
  double label = 0;
  std::size_t line = 0;
};

// The rows of a line-aligned part of a file's text, parsed by threads, and what they add up to.
struct ParsedPart {
  std::vector<Chunk> chunks;
  std::size_t rows = 0;
  std::size_t values = 0;
  std::size_t lines = 0;
  std::size_t highest_index = 0;
  std::size_t dropped = 0;
  std::size_t first_dropped_line = 0;     // global
  std::vector<SeenLabel> labels;          // the first 3 distinct values, in file order
  std::optional<LineError> error;         // the first malformed line (global line)
};

// Appends the distinct values of `more` not yet in `seen`, keeping the first 3.
void merge_labels(std::vector<SeenLabel>& seen, const std::vector<SeenLabel>& more) {
  for (const SeenLabel& s : more) {
    if (seen.size() == 3) return;
    if (std::none_of(seen.begin(), seen.end(), [&](const SeenLabel& t) { return t.label == s.label; }))
      seen.push_back(s);
  }
}

// An opened text file: its bytes, format and the part after any CSV header.
struct TextFile {
  FileBytes bytes;
  FileFormat format = FileFormat::kLibsvm;
  std::string_view rows;  // the text holding the rows
  std::size_t header_lines = 0;
  detail::CsvColumns columns;
  std::vector<std::string> feature_names;

  TextFile(const std::string& path, const ReadOptions& options) : bytes(path), format(options.format) {
    if (format == FileFormat::kAuto) format = format_of(path);
    rows = bytes.text();
    if (rows.find_first_not_of(" \t\r\n") == std::string_view::npos) throw InputError(path, 0, "empty file: no data rows");
    if (format != FileFormat::kCsv) return;
    const std::size_t newline = rows.find('\n');
    try {
      columns = detail::csv_columns(rows.substr(0, newline), options.label_column);
    } catch (const LineError& e) {
      throw InputError(path, e.line, e.what);
    }
    if (!columns.header) return;
    header_lines = 1;
    rows = newline == std::string_view::npos ? std::string_view() : rows.substr(newline + 1);
    for (std::size_t k = 0; k < columns.names.size(); ++k) {
      if (k != columns.label) feature_names.push_back(columns.names[k]);
    }
  }
  [[nodiscard]] bool csv() const noexcept { return format == FileFormat::kCsv; }

  // Parses `part` (line-aligned, starting at global line first_line + 1) on `threads` threads.
  [[nodiscard]] ParsedPart parse(std::string_view part, std::size_t first_line, const ReadOptions& options) const {
    const detail::ParseLimits limits{options.features, options.drop_beyond};
    const std::vector<std::string_view> pieces = line_chunks(part, std::max(1, options.threads));
    ParsedPart out;
    out.chunks.resize(pieces.size());
    parallel_for(pieces.size(), [&](std::size_t k) {
      try {
        if (csv()) {
          detail::parse_csv(pieces[k], columns, limits, out.chunks[k].rows);
        } else {
          detail::parse_libsvm(pieces[k], limits, out.chunks[k].rows);
        }
      } catch (LineError& e) {
        out.chunks[k].error = std::move(e);
      }
    });
    // Positions in file order; the first error wins (the chunks after it are not needed).
    std::size_t line = first_line;
    for (Chunk& c : out.chunks) {
      if (c.error) {
        out.error = LineError{line + c.error->line, std::move(c.error->what)};
        return out;
      }
      c.first_row = out.rows;
      c.first_value = out.values;
      std::vector<SeenLabel> seen;
      for (const ParsedRows::Seen& s : c.rows.distinct_labels) seen.push_back({s.label, line + s.line});
      merge_labels(out.labels, seen);
      if (c.rows.dropped > 0 && out.dropped == 0) out.first_dropped_line = line + c.rows.first_dropped_line;
      out.dropped += c.rows.dropped;
      out.highest_index = std::max(out.highest_index, c.rows.max_index);
      line += c.rows.lines;
      out.rows += c.rows.rows();
      out.values += c.rows.value.size();
    }
    out.lines = line - first_line;
    return out;
  }
};

// The label mapping of a file whose first distinct label values are `seen`: options.labels
// (every value must be one of them), or the two values of the file, the larger positive.
LabelMap settle_labels(const std::string& path, const std::vector<SeenLabel>& seen, std::size_t rows,
                       const ReadOptions& options) {
  if (options.labels) {
    for (const SeenLabel& s : seen) {
      if (!options.labels->classify(s.label))
        throw InputError(path, s.line,
                         fmt::format("unknown label {} (the model's labels are {} and {})", s.label,
                                     options.labels->negative, options.labels->positive));
    }
    return *options.labels;
  }
  if (seen.size() > 2)
    throw InputError(path, seen[2].line,
                     fmt::format("a third label value {} (after {} and {}): binary data has two", seen[2].label,
                                 seen[0].label, seen[1].label));
  if (seen.size() < 2)
    throw InputError(path, 0, fmt::format("only one class (label {}) in {} rows: logistic regression needs two",
                                          seen.front().label, rows));
  return {std::min(seen[0].label, seen[1].label), std::max(seen[0].label, seen[1].label)};
}

// Copies chunk c into its rows of `out` (labels classified with `labels`).
void fill(Dataset& out, const Chunk& c, const LabelMap& labels) {
  const ParsedRows& r = c.rows;
  auto y = out.labels().subspan(c.first_row, r.rows());
  for (std::size_t i = 0; i < r.rows(); ++i) y[i] = *labels.classify(r.labels[i]);
  put_csr_rows(out, c.first_row, r.rows(), c.first_value, r.offsets.data(), r.index.data(), r.value.data());
}

// The data set of a parsed part: `d` features, dense or sparse as the whole file's density says.
Dataset build(const ParsedPart& part, const LabelMap& labels, std::size_t d, bool dense, DType dtype,
              std::size_t first_row) {
  Dataset data = dense ? Dataset(dtype, part.rows, d, first_row)
                       : Dataset::sparse(dtype, part.rows, d, part.values, first_row);
  parallel_for(part.chunks.size(), [&](std::size_t k) { fill(data, part.chunks[k], labels); });
  return data;
}

// The dimension and storage of a file of `rows` rows, `values` non-zeros, highest index `highest`.
std::pair<std::size_t, bool> shape(const std::string& path, const ReadOptions& options, std::size_t rows,
                                   std::size_t values, std::size_t highest) {
  const std::size_t d = options.features != 0 ? options.features : highest;
  if (d == 0) throw InputError(path, 0, "no row has any feature");
  const double density = static_cast<double>(values) / (static_cast<double>(rows) * static_cast<double>(d));
  const bool dense = options.storage == Storage::kDense ||
                     (options.storage == Storage::kAuto && density >= kDenseFromDensity);
  return {d, dense};
}

using detail::CacheFile;

// What a cache of `path` read with `options` must match.
detail::CacheSource cache_source(const std::string& path, const ReadOptions& options) {
  const FileFormat format = options.format == FileFormat::kAuto ? format_of(path) : options.format;
  return {file_stamp(path), detail::parse_settings_hash(static_cast<int>(format),
                                                        format == FileFormat::kCsv ? options.label_column : "")};
}

// Why a current cache cannot give what `options` ask for (empty when it can): the errors and
// warnings of those cases name lines, which only the text has.
std::string unserved(const CacheFile& cache, const ReadOptions& options) {
  if (options.features != 0 && cache.highest_index() > options.features)
    return fmt::format("not used (indices above {} are reported by line, from the text)", options.features);
  if (options.labels) {
    for (const detail::CachedLabel& l : cache.labels()) {
      if (!options.labels->classify(l.value))
        return "not used (a label unknown to the model is reported by line, from the text)";
    }
  }
  return {};
}

// Rows [begin, end) of the file, from its cache.
ReadResult read_cache(const std::string& path, const CacheFile& cache, const ReadOptions& options, std::size_t begin,
                      std::size_t end) {
  ReadResult result{.data = Dataset(DType::kF64, 0, 1),
                    .total_rows = cache.rows(),
                    .format = options.format == FileFormat::kAuto ? format_of(path) : options.format,
                    .values = cache.values(),
                    .lines = cache.lines(),
                    .highest_index = cache.highest_index(),
                    .feature_names = cache.feature_names(),
                    .from_cache = true,
                    .cache_note = "loaded from " + cache_path_of(path)};
  std::vector<SeenLabel> seen;
  for (const detail::CachedLabel& l : cache.labels()) seen.push_back({l.value, l.line});
  result.labels = settle_labels(path, seen, cache.rows(), options);
  const auto [d, dense] = shape(path, options, cache.rows(), cache.values(), cache.highest_index());
  result.data = cache.build(begin, end, result.labels, d, dense, options.dtype, options.threads);
  return result;
}

// The cache of `path` if it is current, fit for `options` and intact in its rows [begin, end)
// (rows_of(its row count)); otherwise nothing, and `why` says why not.
std::optional<CacheFile> usable_cache(const std::string& path, const detail::CacheSource& source,
                                      const ReadOptions& options,
                                      const std::function<std::pair<std::size_t, std::size_t>(std::size_t)>& rows_of,
                                      std::string& why) {
  std::optional<CacheFile> cache = CacheFile::open(cache_path_of(path), source, why);
  if (!cache) return cache;
  why = unserved(*cache, options);
  const auto [begin, end] = rows_of(cache->rows());
  if (why.empty() && !cache->intact(begin, end, options.threads)) why = "it is corrupt: a block checksum does not match";
  if (!why.empty()) cache.reset();
  return cache;
}

// Why the text read `result` is not to be written as the cache (empty when it is): a current
// cache unfit for the options (`why`, the reason it was not used, starts "not used"), or a
// read for a model, which may have left out columns beyond its dimension (CSV zeros there are
// dropped without a count).
std::string not_to_cache(const std::string& why, const ReadOptions& options, const ReadResult& result) {
  if (why.starts_with("not used")) return why;
  if (result.dropped > 0 ||
      (options.drop_beyond && options.features != 0 && result.highest_index >= options.features))
    return "not written (a read for a model may leave out columns beyond its features)";
  return {};
}

// What the cache of a text read stores: the whole file's figures (`result`, its labels `seen`)
// and the rows of `part`, which start at file row first_row and value first_value.
detail::CacheContents cache_contents(const detail::CacheSource& source, const TextFile& file, const ParsedPart& part,
                                     const ReadResult& result, const std::vector<SeenLabel>& seen,
                                     std::size_t first_row, std::size_t first_value) {
  detail::CacheContents contents{.source = source,
                                 .format = static_cast<int>(file.format),
                                 .rows = result.total_rows,
                                 .values = result.values,
                                 .lines = result.lines,
                                 .highest_index = result.highest_index,
                                 .feature_names = file.feature_names,
                                 .first_row = first_row,
                                 .first_value = first_value};
  for (const SeenLabel& l : seen) contents.labels.push_back({l.label, l.line});
  for (const Chunk& c : part.chunks) contents.chunks.push_back(&c.rows);
  return contents;
}

// The note of a cache written `how` ("" or " by the ranks together") because of `why`.
std::string written_note(const std::string& cache, const std::string& how, const std::string& why) {
  if (why == "there is none yet") return cache + " written" + how + " (there was none)";
  return cache + " rebuilt" + how + ": " + why;
}

// Writes the cache of a file read from its text by this process alone; returns the note.
std::string write_cache_of(const std::string& path, const detail::CacheSource& source, const TextFile& file,
                           const ParsedPart& part, const ReadResult& result, const ReadOptions& options,
                           const std::string& why) {
  const std::string cache = cache_path_of(path);
  if (const std::string no = not_to_cache(why, options, result); !no.empty()) return cache + " " + no;
  try {
    detail::write_cache(cache, cache_contents(source, file, part, result, part.labels, 0, 0));
  } catch (const InputError& e) {
    return fmt::format("{} not written: {}", cache, e.message());
  }
  return written_note(cache, "", why);
}

}  // namespace

std::string cache_path_of(const std::string& data_path) { return data_path + ".dsgdcache"; }

ReadResult read_data(const std::string& path, const ReadOptions& options) {
  const auto start = Clock::now();
  std::optional<detail::CacheSource> source;
  std::string why;  // with options.cache: why the cache was not used
  if (options.cache) {
    source = cache_source(path, options);
    const auto all_rows = [](std::size_t rows) { return std::pair<std::size_t, std::size_t>(0, rows); };
    if (const std::optional<CacheFile> cache = usable_cache(path, *source, options, all_rows, why)) {
      ReadResult result = read_cache(path, *cache, options, 0, cache->rows());
      result.seconds = seconds_since(start);
      return result;
    }
  }
  const TextFile file(path, options);
  ParsedPart part = file.parse(file.rows, file.header_lines, options);
  if (part.error) throw InputError(path, part.error->line, part.error->what);
  if (part.rows == 0) throw InputError(path, 0, "no data rows (only blank or comment lines)");
  ReadResult result{.data = Dataset(DType::kF64, 0, 1),
                    .total_rows = part.rows,
                    .format = file.format,
                    .values = part.values,
                    .lines = file.header_lines + part.lines,
                    .highest_index = part.highest_index,
                    .dropped = part.dropped,
                    .first_dropped_line = part.first_dropped_line,
                    .feature_names = file.feature_names};
  result.labels = settle_labels(path, part.labels, part.rows, options);
  const auto [d, dense] = shape(path, options, part.rows, part.values, part.highest_index);
  result.data = build(part, result.labels, d, dense, options.dtype, 0);
  if (options.cache) result.cache_note = write_cache_of(path, *source, file, part, result, options, why);
  result.seconds = seconds_since(start);
  return result;
}

namespace {

// Every process's failure (or none), agreed: the first in file order (then the lowest rank),
// the same on every process.
std::optional<LineError> first_failure(Communicator& comm, const std::optional<LineError>& mine) {
  const std::vector<double> flags =
      gather(comm, std::vector<double>{mine ? 1.0 : 0.0, mine ? static_cast<double>(mine->line) : 0.0});
  int first = -1;
  for (int r = 0; r < comm.size(); ++r) {
    const auto k = 2 * static_cast<std::size_t>(r);
    if (flags[k] != 0 && (first < 0 || flags[k + 1] < flags[2 * static_cast<std::size_t>(first) + 1])) first = r;
  }
  if (first < 0) return std::nullopt;
  // The message travels as one character per double, from the failing process to all.
  constexpr std::size_t kMaxMessage = 400;
  std::vector<double> text(kMaxMessage, 0.0);
  if (comm.rank() == first) {
    for (std::size_t k = 0; k < std::min(kMaxMessage, mine->what.size()); ++k)
      text[k] = static_cast<unsigned char>(mine->what[k]);
  }
  comm.allreduce_sum(text);
  std::string what;
  for (const double c : text) {
    if (c == 0) break;
    what.push_back(static_cast<char>(static_cast<unsigned char>(c)));
  }
  return LineError{static_cast<std::size_t>(flags[2 * static_cast<std::size_t>(first) + 1]), what};
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

}  // namespace

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
std::string write_cache_together(Communicator& comm, const std::string& path, const detail::CacheSource& source,
                                 const TextFile& file, const ParsedPart& part, const ReadResult& result,
                                 const std::vector<SeenLabel>& seen, std::size_t first_row, std::size_t first_value,
                                 const ReadOptions& options, const std::string& why) {
  const std::string cache = cache_path_of(path);
  // Skipped by all if by any (a rank may have seen a cache the others did not).
  const std::string skip = not_to_cache(why, options, result);
  if (any_worker(comm, !skip.empty()))
    return cache + " " + (skip.empty() ? "not written (another rank found it current)" : skip);
  const detail::CacheContents contents = cache_contents(source, file, part, result, seen, first_row, first_value);
  // The temporary file's name: a random tag drawn by rank 0, in two exact halves.
  std::vector<double> tag = {0.0, 0.0};
  if (comm.rank() == 0) {
    std::random_device random;
    tag = {static_cast<double>(random()), static_cast<double>(random())};
  }
  comm.broadcast(tag, 0);
  const detail::SharedCacheWrite writer(cache, contents,
                                        static_cast<std::uint64_t>(tag[0]) << 32 | static_cast<std::uint64_t>(tag[1]));
  const bool root = comm.rank() == 0;
  std::optional<LineError> failed = first_failure(comm, failure_of([&] {
    if (root) writer.create();
  }));
  if (!failed) failed = first_failure(comm, failure_of([&] { writer.write_rows(); }));
  if (!failed) {
    // Each process sums the blocks that start in its rows; the sums travel as two 32-bit halves.
    std::vector<std::uint64_t> mine;
    const std::optional<LineError> mine_failed =
        failure_of([&] { mine = writer.checksums(first_row, first_row + part.rows); });
    std::vector<double> halves(2 * detail::blocks_of(result.total_rows), 0.0);
    for (std::size_t b = 0; b < mine.size(); ++b) {
      halves[2 * b] = static_cast<double>(mine[b] >> 32);
      halves[2 * b + 1] = static_cast<double>(mine[b] & 0xFFFFFFFFULL);
    }
    comm.allreduce_sum(halves);
    failed = first_failure(comm, mine_failed);
    std::vector<std::uint64_t> checksums(halves.size() / 2);
    for (std::size_t b = 0; b < checksums.size(); ++b)
      checksums[b] = static_cast<std::uint64_t>(halves[2 * b]) << 32 | static_cast<std::uint64_t>(halves[2 * b + 1]);
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

ReadResult read_data_part(const std::string& path, const ReadOptions& options, Communicator& comm,
                          const FirstRowOf& first_row_of) {
  const auto start = Clock::now();
  const int processes = comm.size();
  const int rank = comm.rank();
  std::optional<detail::CacheSource> source;
  std::string why;  // with options.cache: why the cache was not used
  if (options.cache) {
    // The cache serves only if it does for every process (each checks the blocks of its rows).
    const auto my_rows = [&](std::size_t rows) {
      return std::pair<std::size_t, std::size_t>(first_row_of(rows, rank),
                                                 rank + 1 < processes ? first_row_of(rows, rank + 1) : rows);
    };
    std::optional<CacheFile> cache;
    agree_on_failure(comm, path, failure_of([&] {
      source = cache_source(path, options);
      cache = usable_cache(path, *source, options, my_rows, why);
    }));
    if (!any_worker(comm, !cache)) {
      // Its errors (a single class, no model label) come from the header: the same on every rank.
      const auto [begin, end] = my_rows(cache->rows());
      ReadResult result = shared_errors(path, [&] { return read_cache(path, *cache, options, begin, end); });
      result.seconds = seconds_since(start);
      return result;
    }
    if (why.empty()) why = "another rank found its rows corrupt";
  }
  std::optional<TextFile> file;
  agree_on_failure(comm, path, failure_of([&] { file.emplace(path, options); }));
  const bool csv = file->csv();

  // 1. Rows and lines of each process's byte range.
  const std::vector<std::string_view> ranges = line_chunks(file->rows, processes);
  const auto range = [&](int r) {
    return static_cast<std::size_t>(r) < ranges.size() ? ranges[static_cast<std::size_t>(r)] : std::string_view();
  };
  const detail::RowCount mine = detail::count_rows(range(rank), csv);
  const std::vector<double> counts =
      gather(comm, std::vector<double>{static_cast<double>(mine.rows), static_cast<double>(mine.lines)});
  std::vector<std::size_t> row_prefix(1, 0), line_prefix(1, file->header_lines);
  for (int r = 0; r < processes; ++r) {
    row_prefix.push_back(row_prefix.back() + static_cast<std::size_t>(counts[2 * static_cast<std::size_t>(r)]));
    line_prefix.push_back(line_prefix.back() + static_cast<std::size_t>(counts[2 * static_cast<std::size_t>(r) + 1]));
  }
  const std::size_t rows = row_prefix.back();
  if (rows == 0) throw SharedInputError(path, 0, "no data rows (only blank or comment lines)");

  // 2. Where each process's first row starts: found by the process whose range holds it.
  std::vector<double> starts(2 * static_cast<std::size_t>(processes + 1), 0.0);
  for (int q = 0; q <= processes; ++q) {
    const std::size_t row = q == processes ? rows : first_row_of(rows, q);
    const auto k = 2 * static_cast<std::size_t>(q);
    if (row >= rows) {  // the end of the text: every process knows it
      if (rank == 0) {
        starts[k] = static_cast<double>(file->rows.size());
        starts[k + 1] = static_cast<double>(line_prefix.back());
      }
      continue;
    }
    const auto r = static_cast<std::size_t>(rank);
    if (row < row_prefix[r] || row >= row_prefix[r + 1]) continue;
    const detail::RowStart at = detail::find_row(range(rank), csv, row - row_prefix[r]);
    starts[k] = static_cast<double>(static_cast<std::size_t>(range(rank).data() - file->rows.data()) + at.offset);
    starts[k + 1] = static_cast<double>(line_prefix[r] + at.lines);
  }
  comm.allreduce_sum(starts);
  const auto me = 2 * static_cast<std::size_t>(rank);
  const auto begin = static_cast<std::size_t>(starts[me]);
  const auto end = static_cast<std::size_t>(starts[me + 2]);

  // 3. This process's rows, then what the whole file adds up to.
  ParsedPart part = file->parse(file->rows.substr(begin, end - begin), static_cast<std::size_t>(starts[me + 1]),
                                options);
  agree_on_failure(comm, path, part.error);
  std::vector<double> summary = {static_cast<double>(part.values), static_cast<double>(part.highest_index),
                                 static_cast<double>(part.dropped), static_cast<double>(part.first_dropped_line),
                                 static_cast<double>(part.labels.size())};
  for (std::size_t k = 0; k < 3; ++k) {
    summary.push_back(k < part.labels.size() ? part.labels[k].label : 0.0);
    summary.push_back(k < part.labels.size() ? static_cast<double>(part.labels[k].line) : 0.0);
  }
  const std::vector<double> all = gather(comm, summary);
  ReadResult result{.data = Dataset(DType::kF64, 0, 1),
                    .total_rows = rows,
                    .format = file->format,
                    .lines = line_prefix.back(),
                    .feature_names = file->feature_names};
  std::vector<SeenLabel> seen;
  for (int r = 0; r < processes; ++r) {
    const double* s = all.data() + static_cast<std::size_t>(r) * summary.size();
    result.values += static_cast<std::size_t>(s[0]);
    result.highest_index = std::max(result.highest_index, static_cast<std::size_t>(s[1]));
    if (s[2] > 0 && result.dropped == 0) result.first_dropped_line = static_cast<std::size_t>(s[3]);
    result.dropped += static_cast<std::size_t>(s[2]);
    std::vector<SeenLabel> theirs;
    for (std::size_t k = 0; k < static_cast<std::size_t>(s[4]); ++k)
      theirs.push_back({s[5 + 2 * k], static_cast<std::size_t>(s[6 + 2 * k])});
    merge_labels(seen, theirs);
  }
  // The same information on every process, so the same failure (if any) on every process.
  shared_errors(path, [&] {
    result.labels = settle_labels(path, seen, rows, options);
    const auto [d, dense] = shape(path, options, rows, result.values, result.highest_index);
    result.data = build(part, result.labels, d, dense, options.dtype, first_row_of(rows, rank));
    return 0;
  });
  if (options.cache) {
    std::size_t first_value = 0;
    for (int r = 0; r < rank; ++r) first_value += static_cast<std::size_t>(all[static_cast<std::size_t>(r) * summary.size()]);
    result.cache_note = write_cache_together(comm, path, *source, *file, part, result, seen, first_row_of(rows, rank),
                                             first_value, options, why);
  }
  result.seconds = seconds_since(start);
  return result;
}

}  // namespace dsgd
