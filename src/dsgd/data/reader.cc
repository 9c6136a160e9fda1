#include "dsgd/data/reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "dsgd/base/aligned_memory.h"
#include "dsgd/base/parallel_for.h"
#include "dsgd/data/text_read.h"
#include "dsgd/base/error.h"
#include "dsgd/base/progress.h"
#include "dsgd/base/text.h"
#include "dsgd/base/timer.h"

namespace dsgd {

namespace detail {

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

void merge_labels(std::vector<SeenLabel>& seen, const std::vector<SeenLabel>& more) {
  for (const SeenLabel& s : more) {
    if (seen.size() == 3) return;
    if (std::none_of(seen.begin(), seen.end(), [&](const SeenLabel& t) { return t.label == s.label; }))
      seen.push_back(s);
  }
}

TextFile::TextFile(const std::string& path, const ReadOptions& options) : bytes(path), format(options.format) {
  format = format_to_read(path, options);
  rows = bytes.text();
  if (rows.find_first_not_of(" \t\r\n") == std::string_view::npos) throw InputError(path, 0, "empty file: no data rows");
  if (format != FileFormat::kCsv) return;
  const std::size_t newline = rows.find('\n');
  try {
    columns = csv_columns(rows.substr(0, newline), options.label_column,
                          options.labels_optional ? options.features : 0,
                          options.csv_schema ? &*options.csv_schema : nullptr);
  } catch (const LineError& e) {
    throw InputError(path, e.line, e.what);
  }
  // The rows' columns: the file's own, or (read for a model) the model's, which they are in then.
  if (options.csv_schema) {
    schema = options.csv_schema;
  } else if (columns.label != kNoLabel) {
    schema = CsvSchema{columns.header, columns.names, columns.label};
  }
  const auto feature_columns =
      static_cast<std::size_t>(std::count_if(columns.feature.begin(), columns.feature.end(), [](std::size_t j) { return j != kNoLabel; }));
  if (options.model_features != 0 && feature_columns != options.model_features)
    throw InputError(path, 1, fmt::format("{} feature columns{}, and {} has {} features: a model of another width",
                                          feature_columns,
                                          columns.label != kNoLabel ? " and the label " + quoted(columns.names[columns.label]) : "",
                                          options.model_from, options.model_features));
  if (!columns.header) return;
  header_lines = 1;
  rows = newline == std::string_view::npos ? std::string_view() : rows.substr(newline + 1);
}

ParsedPart TextFile::parse(std::string_view part, std::size_t first_line, const ReadOptions& options) const {
  const ParseLimits limits{options.features, options.drop_beyond, options.labels_optional};
  const std::vector<std::string_view> pieces = line_chunks(part, std::max(1, options.threads));
  ParsedPart out;
  out.chunks.resize(pieces.size());
  parallel_for(pieces.size(), [&](std::size_t k) {
    out.chunks[k].rows.reserve_for(pieces[k].size(), csv() ? 4 : 8);
    // Each piece is parsed in line-aligned bits of about 8 MB (the same rows: a parser goes on
    // counting lines where the last bit ended), each bit read into a buffer of the thread's (see
    // FileBytes::read) that the next bit reuses, any of its pages that were mapped given back,
    // and the progress moved.
    constexpr std::size_t kBitBytes = std::size_t{8} << 20;
    const std::size_t bits = pieces[k].size() / kBitBytes + 1;
    try {
      std::vector<char> buffer;
      for (const std::string_view bit : line_chunks(pieces[k], static_cast<int>(std::min<std::size_t>(bits, 1 << 20)))) {
        // (A piece of one bit is parsed in place: a buffer would cost more faults than it saves.)
        const std::string_view text = bits > 1 ? bytes.read(bit, buffer) : bit;
        if (csv()) {
          parse_csv(text, columns, limits, out.chunks[k].rows);
        } else {
          parse_libsvm(text, limits, out.chunks[k].rows);
        }
        bytes.release(bit);
        Progress::add(options.progress, bit.size());
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
    out.unlabelled += c.rows.unlabelled;
    if (c.rows.max_index > out.highest_index) {
      out.highest_index = c.rows.max_index;
      out.highest_index_line = line + c.rows.max_index_line;
    }
    line += c.rows.lines;
    out.rows += c.rows.rows();
    out.values += c.rows.index.size();
    out.ones = out.ones && c.rows.ones;
    out.f32_exact = out.f32_exact && c.rows.f32_exact;
  }
  out.lines = line - first_line;
  return out;
}

LabelMap settle_labels(const std::string& path, const std::vector<SeenLabel>& seen, std::size_t rows,
                       const ReadOptions& options) {
  if (options.labels_optional) return *options.labels;  // prediction: labels are not used
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

namespace {
// Copies chunk c into its rows of `out` (labels classified with `labels`), a few MB at a time,
// giving back the chunk's memory as it goes, then frees its rows.
void fill(Dataset& out, Chunk& c, const LabelMap& labels) {
  ParsedRows& r = c.rows;
  auto y = out.labels().subspan(c.first_row, r.rows());
  constexpr std::size_t kRowsAtOnce = std::size_t{1} << 16;
  for (std::size_t i0 = 0; i0 < r.rows(); i0 += kRowsAtOnce) {
    const std::size_t n = std::min(kRowsAtOnce, r.rows() - i0);
    // (A label settle_labels let through unknown, or none: data to predict on, class 0.)
    for (std::size_t i = i0; i < i0 + n; ++i) y[i] = labels.classify(r.labels[i]).value_or(0);
    const std::uint64_t v0 = r.offsets[i0], v1 = r.offsets[i0 + n];
    put_csr_rows(out, c.first_row + i0, n, c.first_value + v0, r.offsets.data() + i0, r.index.data(),
                 r.values_or_null());
    detail::advise_pages(r.labels.data() + i0, n * sizeof(double), detail::PageAdvice::kRelease);
    detail::advise_pages(r.offsets.data() + i0, n * sizeof(std::uint64_t), detail::PageAdvice::kRelease);
    detail::advise_pages(r.index.data() + v0, (v1 - v0) * sizeof(std::uint32_t), detail::PageAdvice::kRelease);
    if (!r.ones) detail::advise_pages(r.value.data() + v0, (v1 - v0) * sizeof(double), detail::PageAdvice::kRelease);
  }
  r = ParsedRows();
}
}  // namespace

DType stored_dtype(bool ones, bool f32_exact, bool dense, DType asked) noexcept {
  if (dense) return asked;
  if (ones) return DType::kOnes;
  return f32_exact ? DType::kF32 : asked;
}

Dataset build(ParsedPart& part, const LabelMap& labels, std::size_t d, bool dense, DType dtype,
              std::size_t first_row) {
  Dataset data = dense ? Dataset(dtype, part.rows, d, first_row)
                       : Dataset::sparse(dtype, part.rows, d, part.values, first_row);
  parallel_for(part.chunks.size(), [&](std::size_t k) { fill(data, part.chunks[k], labels); });
  return data;
}

std::pair<std::size_t, bool> shape(const std::string& path, const ReadOptions& options, std::size_t rows,
                                   std::size_t values, std::size_t highest, std::size_t highest_line) {
  if (options.model_features != 0 && highest > options.model_features)
    throw InputError(path, highest_line,
                     fmt::format("feature index {}: the data has {} features and {} has {}: a model of another width",
                                 highest, highest, options.model_from, options.model_features));
  const std::size_t d = options.model_features != 0 ? options.model_features
                        : options.features != 0      ? options.features
                                                     : highest;
  if (d == 0) throw InputError(path, 0, "no row has any feature");
  const double density = static_cast<double>(values) / (static_cast<double>(rows) * static_cast<double>(d));
  const bool dense = options.storage == Storage::kDense ||
                     (options.storage == Storage::kAuto && density >= kDenseFromDensity);
  return {d, dense};
}

CacheSource cache_source(const std::string& path, const ReadOptions& options) {
  const FileFormat format = format_to_read(path, options);
  return {file_stamp(path),
          parse_settings_hash(static_cast<int>(format), format == FileFormat::kCsv ? options.label_column : "")};
}

namespace {
// Why a current cache cannot give what `options` ask for (empty when it can): the errors and
// warnings of those cases name lines, which only the text has.
std::string unserved(const CacheFile& cache, const ReadOptions& options) {
  for (const std::size_t limit : {options.features, options.model_features}) {
    if (limit != 0 && cache.highest_index() > limit)
      return fmt::format("not used (indices above {} are reported by line, from the text)", limit);
  }
  if (options.labels && !options.labels_optional) {
    for (const CachedLabel& l : cache.labels()) {
      if (!options.labels->classify(l.value))
        return "not used (a label unknown to the model is reported by line, from the text)";
    }
  }
  // A model's CSV columns: the cache serves them only in the order they were cached in.
  if (const std::optional<CsvSchema>& cached = cache.csv(); options.csv_schema && cached) {
    const CsvSchema& model = *options.csv_schema;
    const bool same = model.header && cached->header ? model.columns == cached->columns && model.label == cached->label
                                                     : model.columns.size() == cached->columns.size() &&
                                                           model.label == cached->label;
    if (!same) return "not used (its columns are not the model's, in the model's order: they are read from the text)";
  }
  return {};
}
}  // namespace

ReadResult read_cache(const std::string& path, const CacheFile& cache, const ReadOptions& options, std::size_t begin,
                      std::size_t end) {
  ReadResult result{.data = Dataset(DType::kF64, 0, 1),
                    .total_rows = cache.rows(),
                    .format = format_to_read(path, options),
                    .values = cache.values(),
                    .lines = cache.lines(),
                    .highest_index = cache.highest_index(),
                    .csv = options.csv_schema ? options.csv_schema : cache.csv(),
                    .from_cache = true,
                    .cache_note = "loaded from " + cache_path_of(path)};
  std::vector<SeenLabel> seen;
  for (const CachedLabel& l : cache.labels()) seen.push_back({l.value, l.line});
  const auto [d, dense] = shape(path, options, cache.rows(), cache.values(), cache.highest_index(), 0);
  result.labels = settle_labels(path, seen, cache.rows(), options);
  const DType stored = cache.value_type();
  result.data = cache.build(begin, end, result.labels, d, dense,
                            stored_dtype(stored == DType::kOnes, stored != DType::kF64, dense, options.dtype),
                            options.threads);
  return result;
}

std::optional<CacheFile> usable_cache(const std::string& path, const CacheSource& source,
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

// (CSV zeros beyond a model's dimension are dropped without a count, hence the second test.)
std::string not_to_cache(const std::string& why, const ReadOptions& options, const ReadResult& result) {
  if (why.starts_with("not used")) return why;
  if (options.labels_optional) return "not written (a read to predict on does not check the labels)";
  if (options.csv_schema) return "not written (a read for a model's CSV columns may reorder them)";
  if (result.dropped > 0 ||
      (options.drop_beyond && options.features != 0 && result.highest_index >= options.features))
    return "not written (a read for a model may leave out columns beyond its features)";
  return {};
}

CacheContents cache_contents(const CacheSource& source, const TextFile& file, const ParsedPart& part,
                             const ReadResult& result, const std::vector<SeenLabel>& seen, DType value_type,
                             std::size_t first_row, std::size_t first_value) {
  CacheContents contents{.source = source,
                         .format = static_cast<int>(file.format),
                         .rows = result.total_rows,
                         .values = result.values,
                         .lines = result.lines,
                         .highest_index = result.highest_index,
                         .csv = file.schema,
                         .value_type = value_type,
                         .first_row = first_row,
                         .first_value = first_value};
  for (const SeenLabel& l : seen) contents.labels.push_back({l.label, l.line});
  for (const Chunk& c : part.chunks) contents.chunks.push_back(&c.rows);
  return contents;
}

std::string written_note(const std::string& cache, const std::string& how, const std::string& why) {
  if (why == "there is none yet") return cache + " written" + how + " (there was none)";
  return cache + " rebuilt" + how + ": " + why;
}

namespace {
// Writes the cache of a file read from its text by this process alone; returns the note.
std::string write_cache_of(const std::string& path, const CacheSource& source, const TextFile& file,
                           const ParsedPart& part, const ReadResult& result, const ReadOptions& options,
                           const std::string& why) {
  const std::string cache = cache_path_of(path);
  if (const std::string no = not_to_cache(why, options, result); !no.empty()) return cache + " " + no;
  try {
    write_cache(cache, cache_contents(source, file, part, result, part.labels,
                                      stored_dtype(part.ones, part.f32_exact, false, DType::kF64), 0, 0));
  } catch (const InputError& e) {
    return fmt::format("{} not written: {}", cache, e.message());
  }
  return written_note(cache, "", why);
}
}  // namespace

}  // namespace detail


ReadResult read_data(const std::string& path, const ReadOptions& options) {
  using namespace detail;  // the steps of a read (text_read.h)
  const auto start = Clock::now();
  std::optional<CacheSource> source;
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
  if (part.error) {
    // A CSV the name did not announce (standard input, a pipe, no .csv suffix) fails as LIBSVM.
    const std::string_view first_line = file.rows.substr(0, file.rows.find('\n'));
    const bool csv_like = options.format == FileFormat::kAuto && file.format == FileFormat::kLibsvm &&
                          part.error->line == 1 && first_line.find(',') != std::string_view::npos;
    throw InputError(path, part.error->line,
                     part.error->what + (csv_like ? " (read as LIBSVM, as a name without .csv is: --format csv "
                                                    "reads it as CSV)"
                                                  : ""));
  }
  if (part.rows == 0) throw InputError(path, 0, "no data rows (only blank or comment lines)");
  ReadResult result{.data = Dataset(DType::kF64, 0, 1),
                    .total_rows = part.rows,
                    .format = file.format,
                    .values = part.values,
                    .lines = file.header_lines + part.lines,
                    .highest_index = part.highest_index,
                    .highest_index_line = part.highest_index_line,
                    .dropped = part.dropped,
                    .first_dropped_line = part.first_dropped_line,
                    .unlabelled = part.unlabelled,
                    .csv = file.schema};
  // (The width first: data of another width than a model's is refused as that, not by its labels.)
  const auto [d, dense] = shape(path, options, part.rows, part.values, part.highest_index, part.highest_index_line);
  result.labels = settle_labels(path, part.labels, part.rows, options);
  // (The cache first: building the data set releases the parsed rows.)
  if (options.cache) result.cache_note = write_cache_of(path, *source, file, part, result, options, why);
  result.data = build(part, result.labels, d, dense, stored_dtype(part.ones, part.f32_exact, dense, options.dtype), 0);
  result.seconds = seconds_since(start);
  return result;
}

ReadResult stream_data(const std::string& path, const ReadOptions& options, std::size_t block_bytes,
                       const std::function<void(const Dataset&)>& fn) {
  using namespace detail;  // the steps of a read (text_read.h)
  if (!options.labels) throw Error("stream_data: the labels of a model are needed (options.labels)");
  const auto start = Clock::now();
  const TextFile file(path, options);
  ReadResult result{.data = Dataset(DType::kF64, 0, 1), .format = file.format, .csv = file.schema};
  result.lines = file.header_lines;
  const auto blocks = static_cast<int>(std::min<std::size_t>(file.rows.size() / std::max<std::size_t>(block_bytes, 1) + 1,
                                                             std::size_t{1} << 20));
  std::vector<SeenLabel> seen;
  for (const std::string_view block : line_chunks(file.rows, blocks)) {
    ParsedPart part = file.parse(block, result.lines, options);
    file.bytes.release(block);
    if (part.error) throw InputError(path, part.error->line, part.error->what);
    merge_labels(seen, part.labels);
    (void)settle_labels(path, seen, result.total_rows + part.rows, options);  // every label the model's
    if (part.highest_index > result.highest_index) {
      result.highest_index = part.highest_index;
      result.highest_index_line = part.highest_index_line;
    }
    if (part.dropped > 0 && result.dropped == 0) result.first_dropped_line = part.first_dropped_line;
    result.dropped += part.dropped;
    result.unlabelled += part.unlabelled;
    result.lines += part.lines;
    const std::size_t first_row = result.total_rows;
    result.total_rows += part.rows;
    result.values += part.values;
    if (part.rows == 0) continue;
    const std::size_t d = shape(path, options, part.rows, part.values, part.highest_index, part.highest_index_line).first;
    const bool as_dense = options.storage == Storage::kDense;
    result.data = build(part, *options.labels, d, as_dense, stored_dtype(part.ones, part.f32_exact, as_dense, options.dtype),
                        first_row);
    result.held_bytes = std::max(result.held_bytes, result.data.feature_bytes());
    fn(result.data);
  }
  if (result.total_rows == 0) throw InputError(path, 0, "no data rows (only blank or comment lines)");
  result.labels = *options.labels;
  result.streamed = true;
  // (No rows; the shape and storage of the last block.)
  const Dataset& last = result.data;
  result.data = last.layout() == Layout::kSparse ? Dataset::sparse(last.dtype(), 0, last.features(), 0)
                                                 : Dataset(last.dtype(), 0, last.features());
  result.seconds = seconds_since(start);
  return result;
}

}  // namespace dsgd
