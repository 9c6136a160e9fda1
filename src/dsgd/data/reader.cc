#include "dsgd/data/reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <optional>
#include <thread>

#include "dsgd/data/file_bytes.h"
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

// Runs fn(k) for k in [0, n) on up to n threads (k = 0 on this one); rethrows the first failure.
template <typename Fn>
void parallel_for(std::size_t n, Fn&& fn) {
  std::vector<std::exception_ptr> failures(n);
  std::vector<std::thread> threads;
  for (std::size_t k = 1; k < n; ++k) {
    threads.emplace_back([&, k] {
      try {
        fn(k);
      } catch (...) {
        failures[k] = std::current_exception();
      }
    });
  }
  try {
    if (n > 0) fn(0);
  } catch (...) {
    failures[0] = std::current_exception();
  }
  for (std::thread& t : threads) t.join();
  for (const std::exception_ptr& f : failures) {
    if (f) std::rethrow_exception(f);
  }
}

struct Chunk {
  ParsedRows rows;
  std::optional<LineError> error;
  std::size_t first_line = 0;  // global line number of the chunk's line 0 (lines are 1-based)
  std::size_t first_row = 0;
  std::size_t first_value = 0;
};

LabelMap learn_labels(const std::string& path, const std::vector<Chunk>& chunks, std::size_t rows) {
  std::vector<double> seen;
  for (const Chunk& c : chunks) {
    for (const ParsedRows::Seen& s : c.rows.distinct_labels) {
      if (std::find(seen.begin(), seen.end(), s.label) != seen.end()) continue;
      if (seen.size() == 2)
        throw InputError(path, c.first_line + s.line,
                         fmt::format("a third label value {} (after {} and {}): binary data has two", s.label,
                                     seen[0], seen[1]));
      seen.push_back(s.label);
    }
  }
  if (seen.size() < 2)
    throw InputError(path, 0, fmt::format("only one class (label {}) in {} rows: logistic regression needs two",
                                          seen.front(), rows));
  return {std::min(seen[0], seen[1]), std::max(seen[0], seen[1])};
}

void check_labels(const std::string& path, const std::vector<Chunk>& chunks, const LabelMap& labels) {
  for (const Chunk& c : chunks) {
    for (const ParsedRows::Seen& s : c.rows.distinct_labels) {
      if (!labels.classify(s.label))
        throw InputError(path, c.first_line + s.line,
                         fmt::format("unknown label {} (the model's labels are {} and {})", s.label, labels.negative,
                                     labels.positive));
    }
  }
}

// Copies chunk c into its rows of `out` (labels classified with `labels`).
template <typename T>
void fill(Dataset& out, const Chunk& c, const LabelMap& labels) {
  const ParsedRows& r = c.rows;
  auto y = out.labels().subspan(c.first_row, r.rows());
  for (std::size_t i = 0; i < r.rows(); ++i) y[i] = *labels.classify(r.labels[i]);
  auto x = out.features_as<T>();
  if (out.layout() == Layout::kSparse) {
    auto offsets = out.offsets();
    for (std::size_t i = 0; i < r.rows(); ++i) offsets[c.first_row + i + 1] = c.first_value + r.offsets[i + 1];
    std::copy(r.index.begin(), r.index.end(), out.indices().begin() + static_cast<std::ptrdiff_t>(c.first_value));
    std::transform(r.value.begin(), r.value.end(), x.begin() + static_cast<std::ptrdiff_t>(c.first_value),
                   [](double v) { return static_cast<T>(v); });
    return;
  }
  const std::size_t d = out.features();
  T* rows = x.data() + c.first_row * d;
  std::fill(rows, rows + r.rows() * d, T{0});
  for (std::size_t i = 0; i < r.rows(); ++i) {
    for (std::uint64_t k = r.offsets[i]; k < r.offsets[i + 1]; ++k) rows[i * d + r.index[k]] = static_cast<T>(r.value[k]);
  }
}

}  // namespace

ReadResult read_data(const std::string& path, const ReadOptions& options) {
  const auto start = Clock::now();
  const FileBytes bytes(path);
  std::string_view text = bytes.text();
  ReadResult result{Dataset(DType::kF64, 0, 1), {}, options.format, 0, 0, 0, 0, {}, 0};
  if (result.format == FileFormat::kAuto) result.format = format_of(path);
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) throw InputError(path, 0, "empty file: no data rows");

  const detail::ParseLimits limits{options.features, options.drop_beyond};
  detail::CsvColumns columns;
  std::size_t header_lines = 0;
  if (result.format == FileFormat::kCsv) {
    const std::size_t newline = text.find('\n');
    try {
      columns = detail::csv_columns(text.substr(0, newline), options.label_column);
    } catch (const LineError& e) {
      throw InputError(path, e.line, e.what);
    }
    if (columns.header) {
      header_lines = 1;
      text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
      for (std::size_t k = 0; k < columns.names.size(); ++k) {
        if (k != columns.label) result.feature_names.push_back(columns.names[k]);
      }
    }
  }

  const std::vector<std::string_view> parts = line_chunks(text, std::max(1, options.threads));
  std::vector<Chunk> chunks(parts.size());
  parallel_for(parts.size(), [&](std::size_t k) {
    try {
      if (result.format == FileFormat::kCsv) {
        detail::parse_csv(parts[k], columns, limits, chunks[k].rows);
      } else {
        detail::parse_libsvm(parts[k], limits, chunks[k].rows);
      }
    } catch (LineError& e) {
      chunks[k].error = std::move(e);
    }
  });

  // Global line and row positions; the first error in file order wins.
  std::size_t line = header_lines, rows = 0, values = 0;
  for (Chunk& c : chunks) {
    c.first_line = line;
    c.first_row = rows;
    c.first_value = values;
    if (c.error) throw InputError(path, line + c.error->line, c.error->what);
    line += c.rows.lines;
    rows += c.rows.rows();
    values += c.rows.value.size();
    result.highest_index = std::max(result.highest_index, c.rows.max_index);
    if (c.rows.dropped > 0 && result.dropped == 0) result.first_dropped_line = c.first_line + c.rows.first_dropped_line;
    result.dropped += c.rows.dropped;
  }
  result.lines = line;
  if (rows == 0) throw InputError(path, 0, "no data rows (only blank or comment lines)");
  if (options.labels) {
    check_labels(path, chunks, *options.labels);
    result.labels = *options.labels;
  } else {
    result.labels = learn_labels(path, chunks, rows);
  }
  const std::size_t d = options.features != 0 ? options.features : result.highest_index;
  if (d == 0) throw InputError(path, 0, "no row has any feature");

  const double density = static_cast<double>(values) / (static_cast<double>(rows) * static_cast<double>(d));
  const bool dense = options.storage == Storage::kDense ||
                     (options.storage == Storage::kAuto && density >= kDenseFromDensity);
  result.data = dense ? Dataset(options.dtype, rows, d) : Dataset::sparse(options.dtype, rows, d, values);
  parallel_for(chunks.size(), [&](std::size_t k) {
    if (options.dtype == DType::kF32) {
      fill<float>(result.data, chunks[k], result.labels);
    } else {
      fill<double>(result.data, chunks[k], result.labels);
    }
  });
  result.seconds = seconds_since(start);
  return result;
}

}  // namespace dsgd
