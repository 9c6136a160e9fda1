#include "dsgd/data/cache.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <xxhash.h>
#if defined(__x86_64__)
#include <xxh_x86dispatch.h>  // XXH3 with the widest vectors the CPU has (AVX2, AVX-512)
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

#include "dsgd/base/atomic_file.h"
#include "dsgd/base/parallel_for.h"
#include "dsgd/data/file_format.h"
#include "dsgd/base/error.h"

namespace dsgd::detail {


namespace {


constexpr std::uint64_t align64(std::uint64_t at) noexcept { return (at + 63) / 64 * 64; }

// The checksum of rows [r0, r1): their label indices, offsets (r1 - r0 + 1), indices and values.
std::uint64_t rows_checksum(const char* file, const CacheHeader& h, std::size_t r0, std::size_t r1) noexcept {
  const auto* offsets = reinterpret_cast<const std::uint64_t*>(file + h.offsets_at);
  const std::uint64_t v0 = offsets[r0];
  const std::uint64_t v1 = offsets[r1];
  const std::uint64_t vb = h.value_bytes;
  XXH64_hash_t sum = XXH3_64bits(file + h.labels_at + r0, r1 - r0);
  sum = XXH3_64bits_withSeed(offsets + r0, (r1 - r0 + 1) * sizeof(std::uint64_t), sum);
  sum = XXH3_64bits_withSeed(file + h.index_at + v0 * sizeof(std::uint32_t), (v1 - v0) * sizeof(std::uint32_t), sum);
  return XXH3_64bits_withSeed(file + h.values_at + v0 * vb, (v1 - v0) * vb, sum);
}

// The checksum of the header (its own checksum field as 0), the names and the block checksums.
std::uint64_t header_checksum(const CacheHeader& h, const void* names, const void* checksums) noexcept {
  CacheHeader copy = h;
  copy.header_checksum = 0;
  XXH64_hash_t sum = XXH3_64bits(&copy, sizeof(copy));
  sum = XXH3_64bits_withSeed(names, h.names_bytes, sum);
  return XXH3_64bits_withSeed(checksums, h.blocks * sizeof(std::uint64_t), sum);
}

// Whether the section [at, at + bytes) lies inside a file of `size` bytes, without overflow.
bool inside(std::uint64_t at, std::uint64_t bytes, std::uint64_t size) noexcept {
  return at <= size && bytes <= size - at;
}

}  // namespace

std::uint64_t parse_settings_hash(int format, const std::string& label_column) noexcept {
  const std::string key = std::to_string(format) + '\n' + label_column;
  return XXH3_64bits(key.data(), key.size());
}

namespace {

// The header of a cache of `c` (every field but the header checksum), sections laid out.
CacheHeader layout(const CacheContents& c) {
  CacheHeader h{};
  std::memcpy(h.magic, kCacheMagic, sizeof(kCacheMagic));
  h.version = kCacheFormatVersion;
  h.byte_order = kCacheByteOrder;
  h.source_size = c.source.stamp.size;
  h.source_mtime_ns = c.source.stamp.mtime_ns;
  h.settings = c.source.settings;
  h.rows = c.rows;
  h.values = c.values;
  h.lines = c.lines;
  h.highest_index = c.highest_index;
  h.format = static_cast<std::uint32_t>(c.format);
  std::vector<CachedLabel> labels(c.labels.begin(), c.labels.begin() + std::min<std::ptrdiff_t>(2, std::ssize(c.labels)));
  std::sort(labels.begin(), labels.end(), [](const CachedLabel& a, const CachedLabel& b) { return a.value < b.value; });
  h.label_count = static_cast<std::uint32_t>(labels.size());
  for (std::size_t k = 0; k < labels.size(); ++k) {
    h.label_values[k] = labels[k].value;
    h.label_lines[k] = labels[k].line;
  }
  std::uint64_t names = 0;
  if (c.csv) {
    for (const std::string& n : c.csv->columns) names += n.size() + 1;
    h.csv_header = c.csv->header ? 1 : 0;
    h.csv_label = c.csv->label;
  }
  h.labels_at = align64(sizeof(CacheHeader));
  h.offsets_at = align64(h.labels_at + c.rows);
  h.index_at = align64(h.offsets_at + (c.rows + 1) * sizeof(std::uint64_t));
  h.value_bytes = size_of(c.value_type);
  h.values_at = align64(h.index_at + c.values * sizeof(std::uint32_t));
  h.names_at = align64(h.values_at + c.values * h.value_bytes + 64);
  h.names_bytes = names;
  h.checksums_at = align64(h.names_at + names);
  h.blocks = blocks_of(c.rows);
  h.file_bytes = h.checksums_at + h.blocks * sizeof(std::uint64_t);
  return h;
}

// Hands the sections of c's rows (first_row .. of the file) to put(file offset, bytes, size).
void put_rows(const CacheHeader& h, const CacheContents& c,
              const std::function<void(std::uint64_t, const void*, std::size_t)>& put) {
  std::size_t row = c.first_row, value = c.first_value;
  if (row == 0) {
    const std::uint64_t zero = 0;
    put(h.offsets_at, &zero, sizeof(zero));
  }
  std::vector<std::uint8_t> label_index;
  std::vector<std::uint64_t> offsets;
  std::vector<float> floats;
  std::vector<double> doubles;
  for (const ParsedRows* chunk : c.chunks) {
    label_index.resize(chunk->rows());
    offsets.resize(chunk->rows());
    for (std::size_t i = 0; i < chunk->rows(); ++i) {
      label_index[i] = h.label_count > 1 && chunk->labels[i] == h.label_values[1] ? 1 : 0;
      offsets[i] = value + chunk->offsets[i + 1];
    }
    put(h.labels_at + row, label_index.data(), label_index.size());
    put(h.offsets_at + (row + 1) * sizeof(std::uint64_t), offsets.data(), offsets.size() * sizeof(std::uint64_t));
    put(h.index_at + value * sizeof(std::uint32_t), chunk->index.data(), chunk->index.size() * sizeof(std::uint32_t));
    const std::size_t n = chunk->index.size();
    if (h.value_bytes == sizeof(float)) {
      floats.resize(n);
      for (std::size_t k = 0; k < n; ++k) floats[k] = static_cast<float>(chunk->value_at(k));
      put(h.values_at + value * sizeof(float), floats.data(), n * sizeof(float));
    } else if (h.value_bytes == sizeof(double)) {
      const double* values = chunk->values_or_null();
      if (values == nullptr) {
        doubles.assign(n, 1.0);
        values = doubles.data();
      }
      put(h.values_at + value * sizeof(double), values, n * sizeof(double));
    }
    row += chunk->rows();
    value += n;
  }
}

std::string names_text(const CacheContents& c) {
  std::string names;
  if (c.csv) {
    for (const std::string& n : c.csv->columns) names += n + '\n';
  }
  return names;
}

}  // namespace

void write_cache(const std::string& path, const CacheContents& c) {
  CacheHeader h = layout(c);
  std::vector<char> file(h.file_bytes, 0);
  put_rows(h, c, [&](std::uint64_t at, const void* data, std::size_t bytes) {
    std::memcpy(file.data() + at, data, bytes);
  });
  const std::string names = names_text(c);
  std::memcpy(file.data() + h.names_at, names.data(), names.size());
  auto* checksums = reinterpret_cast<std::uint64_t*>(file.data() + h.checksums_at);
  for (std::size_t b = 0; b < h.blocks; ++b)
    checksums[b] = rows_checksum(file.data(), h, b * kCacheBlockRows, std::min(c.rows, (b + 1) * kCacheBlockRows));
  h.header_checksum = header_checksum(h, file.data() + h.names_at, file.data() + h.checksums_at);
  std::memcpy(file.data(), &h, sizeof(h));

  AtomicFile out(path);
  if (std::fwrite(file.data(), 1, file.size(), out.stream()) != file.size())
    throw InputError(path, 0, "cannot write the cache");
  out.commit();
}

SharedCacheWrite::SharedCacheWrite(std::string path, const CacheContents& contents, std::string temp_path)
    : path_(std::move(path)),
      temp_path_(std::move(temp_path)),
      contents_(contents),
      slot_(track_temporary(temp_path_)) {}

SharedCacheWrite::~SharedCacheWrite() { untrack_temporary(slot_); }

void SharedCacheWrite::create() const {
  const CacheHeader h = layout(contents_);
  const int fd = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw InputError(path_, 0, std::string("cannot create a file here: ") + std::strerror(errno));
  const bool sized = ::ftruncate(fd, static_cast<off_t>(h.file_bytes)) == 0;
  ::close(fd);
  if (!sized) throw InputError(path_, 0, std::string("cannot size the cache: ") + std::strerror(errno));
}

void SharedCacheWrite::write_rows() const {
  const CacheHeader h = layout(contents_);
  const int fd = ::open(temp_path_.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(path_, 0, std::string("cannot open the cache being written: ") + std::strerror(errno));
  int error = -1;  // errno of the first failure; 0: a write that wrote nothing
  put_rows(h, contents_, [&](std::uint64_t at, const void* data, std::size_t bytes) {
    const char* p = static_cast<const char*>(data);
    while (error < 0 && bytes > 0) {
      const ssize_t n = ::pwrite(fd, p, bytes, static_cast<off_t>(at));
      if (n <= 0) {
        error = n < 0 ? errno : 0;
        break;
      }
      p += n;
      at += static_cast<std::uint64_t>(n);
      bytes -= static_cast<std::size_t>(n);
    }
  });
  if (error < 0 && ::fsync(fd) != 0) error = errno;
  ::close(fd);
  if (error >= 0)
    throw InputError(path_, 0, std::string("cannot write the cache: ") +
                                   (error != 0 ? std::strerror(error) : "the disk took no more bytes"));
}

std::vector<std::uint64_t> SharedCacheWrite::checksums(std::size_t first_row, std::size_t end_row) const {
  const CacheHeader h = layout(contents_);
  const FileBytes file(temp_path_);
  if (file.text().size() != h.file_bytes) throw InputError(path_, 0, "the cache being written has the wrong size");
  std::vector<std::uint64_t> out;
  for (std::size_t b = (first_row + kCacheBlockRows - 1) / kCacheBlockRows; b * kCacheBlockRows < end_row; ++b)
    out.push_back(
        rows_checksum(file.text().data(), h, b * kCacheBlockRows, std::min(contents_.rows, (b + 1) * kCacheBlockRows)));
  return out;
}

void SharedCacheWrite::finish(const std::vector<std::uint64_t>& checksums) const {
  CacheHeader h = layout(contents_);
  if (checksums.size() != h.blocks) throw Error("SharedCacheWrite::finish: one checksum per block is needed");
  const std::string names = names_text(contents_);
  std::vector<char> tail(h.file_bytes - h.names_at, 0);  // names, padding, checksums
  std::memcpy(tail.data(), names.data(), names.size());
  std::memcpy(tail.data() + (h.checksums_at - h.names_at), checksums.data(), checksums.size() * sizeof(std::uint64_t));
  h.header_checksum = header_checksum(h, tail.data(), tail.data() + (h.checksums_at - h.names_at));
  const int fd = ::open(temp_path_.c_str(), O_WRONLY | O_CLOEXEC);
  bool ok = fd >= 0 && ::pwrite(fd, &h, sizeof(h), 0) == static_cast<ssize_t>(sizeof(h)) &&
            ::pwrite(fd, tail.data(), tail.size(), static_cast<off_t>(h.names_at)) == static_cast<ssize_t>(tail.size()) &&
            ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  ok = ok && ::rename(temp_path_.c_str(), path_.c_str()) == 0;
  if (!ok) throw InputError(path_, 0, std::string("cannot write the cache: ") + std::strerror(errno));
}

void SharedCacheWrite::abandon() const noexcept { (void)::unlink(temp_path_.c_str()); }

const CacheHeader& CacheFile::header() const noexcept {
  return *reinterpret_cast<const CacheHeader*>(bytes_->text().data());
}

std::optional<CacheFile> CacheFile::open(const std::string& path, const CacheSource& source, std::string& why) {
  std::optional<CacheFile> cache;
  try {
    cache.emplace(CacheFile(std::make_shared<const FileBytes>(path)));
  } catch (const InputError&) {
    why = "there is none yet";
    return std::nullopt;
  }
  const std::string_view bytes = cache->bytes_->text();
  if (cache->bytes_->compressed() || bytes.size() < sizeof(CacheHeader) || std::memcmp(bytes.data(), kCacheMagic, 8) != 0) {
    why = "it is not a dsgd cache";
    return std::nullopt;
  }
  const CacheHeader& h = cache->header();
  if (h.version != kCacheFormatVersion || h.byte_order != kCacheByteOrder) {
    why = h.byte_order != kCacheByteOrder ? "it was written on a machine of another byte order"
                                     : "it has format version " + std::to_string(h.version) + ", this dsgd reads " +
                                           std::to_string(kCacheFormatVersion);
    return std::nullopt;
  }
  if (h.source_size != source.stamp.size || h.source_mtime_ns != source.stamp.mtime_ns) {
    why = "the data file changed since it was written";
    return std::nullopt;
  }
  if (h.settings != source.settings) {
    why = "it was written with another --format or --label-column";
    return std::nullopt;
  }
  const std::uint64_t size = bytes.size();
  // Every count below the file size first, so that no product or sum below can overflow.
  const bool fits = h.file_bytes == size && h.rows < size && h.values < size && h.names_bytes <= size &&
                    (h.value_bytes == 0 || h.value_bytes == 4 || h.value_bytes == 8) &&
                    h.blocks == blocks_of(h.rows) && h.label_count >= 1 && h.label_count <= 2 &&
                    std::isfinite(h.label_values[0]) &&
                    (h.label_count == 1 || (std::isfinite(h.label_values[1]) && h.label_values[0] < h.label_values[1])) &&
                    inside(h.labels_at, h.rows, size) && inside(h.offsets_at, (h.rows + 1) * 8, size) &&
                    inside(h.index_at, h.values * 4, size) && inside(h.values_at, h.values * h.value_bytes + 64, size) &&
                    inside(h.names_at, h.names_bytes, size) && inside(h.checksums_at, h.blocks * 8, size) &&
                    h.offsets_at % 8 == 0 && h.index_at % 4 == 0 && h.values_at % 8 == 0 &&
                    h.checksums_at % 8 == 0 && (h.names_bytes == 0 || bytes[h.names_at + h.names_bytes - 1] == '\n');
  if (!fits || header_checksum(h, bytes.data() + h.names_at, bytes.data() + h.checksums_at) != h.header_checksum) {
    why = "it is corrupt: a checksum or a size does not match";
    return std::nullopt;
  }
  for (std::size_t k = 0; k < h.label_count; ++k) cache->labels_.push_back({h.label_values[k], h.label_lines[k]});
  if (h.format != static_cast<std::uint32_t>(FileFormat::kCsv)) return cache;
  CsvSchema& csv = cache->csv_.emplace();
  const std::string_view names = bytes.substr(h.names_at, h.names_bytes);
  for (std::size_t start = 0; start < names.size();) {
    const std::size_t end = names.find('\n', start);
    csv.columns.emplace_back(names.substr(start, end - start));
    start = end + 1;
  }
  csv.header = h.csv_header == 1;
  csv.label = h.csv_label;
  if (csv.columns.size() < 2 || csv.label >= csv.columns.size() || h.csv_header > 1) {
    why = "it is corrupt: its CSV columns do not add up";
    return std::nullopt;
  }
  return cache;
}

std::size_t CacheFile::rows() const noexcept { return header().rows; }
std::size_t CacheFile::values() const noexcept { return header().values; }
std::size_t CacheFile::lines() const noexcept { return header().lines; }
std::size_t CacheFile::highest_index() const noexcept { return header().highest_index; }
DType CacheFile::value_type() const noexcept {
  return header().value_bytes == 0 ? DType::kOnes : header().value_bytes == 4 ? DType::kF32 : DType::kF64;
}

std::size_t CacheFile::values_in(std::size_t begin, std::size_t end) const noexcept {
  const auto* offsets = section<std::uint64_t>(header().offsets_at);
  return offsets[end] - offsets[begin];
}

std::uint64_t CacheFile::block_checksum(std::size_t block) const noexcept {
  return section<std::uint64_t>(header().checksums_at)[block];
}

bool CacheFile::intact(std::size_t begin, std::size_t end, int threads) const {
  const CacheHeader& h = header();
  if (begin > end || end > h.rows) return false;
  if (begin == end) return true;
  const auto* offsets = section<std::uint64_t>(h.offsets_at);
  const auto* index = section<std::uint32_t>(h.index_at);
  const auto* label_index = section<std::uint8_t>(h.labels_at);
  const std::size_t first = begin / kCacheBlockRows, last = (end - 1) / kCacheBlockRows;
  const auto parts = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, threads)), last - first + 1);
  std::vector<std::uint8_t> ok(parts, 1);
  parallel_for(parts, [&](std::size_t t) {
    for (std::size_t b = first + t; b <= last; b += parts) {
      const std::size_t r0 = b * kCacheBlockRows, r1 = std::min<std::size_t>(h.rows, r0 + kCacheBlockRows);
      // Offsets in order and in range before they address anything; then indices and label
      // bytes in range (counted, not compared one by one, so that the loops vectorise).
      if (!(offsets[r0] <= offsets[r1] && offsets[r1] <= h.values && (r0 != 0 || offsets[0] == 0) &&
            (r1 != h.rows || offsets[r1] == h.values))) {
        ok[t] = 0;
        continue;
      }
      std::size_t bad = 0;
      for (std::size_t r = r0; r < r1; ++r) bad += offsets[r] > offsets[r + 1];
      if (bad != 0 || rows_checksum(bytes_->text().data(), h, r0, r1) != block_checksum(b)) {
        ok[t] = 0;
        continue;
      }
      const auto highest = static_cast<std::uint32_t>(h.highest_index);
      for (std::uint64_t k = offsets[r0]; k < offsets[r1]; ++k) bad += index[k] >= highest;
      for (std::size_t r = r0; r < r1; ++r) bad += label_index[r] >= h.label_count;
      if (bad != 0) ok[t] = 0;
    }
  });
  return std::all_of(ok.begin(), ok.end(), [](std::uint8_t g) { return g != 0; });
}

Dataset CacheFile::build(std::size_t begin, std::size_t end, const LabelMap& labels, std::size_t features,
                         bool dense, DType dtype, int threads) const {
  const CacheHeader& h = header();
  std::uint8_t cls[2] = {0, 1};
  bool same_classes = true;  // the cached label bytes are the classes
  for (std::size_t k = 0; k < h.label_count; ++k) {
    const std::optional<std::uint8_t> c = labels.classify(h.label_values[k]);
    if (features < h.highest_index) throw Error("a cache built into data it cannot describe");
    cls[k] = c.value_or(0);  // a label unknown to `labels` (prediction ignores them; others check first)
    same_classes = same_classes && cls[k] == k;
  }
  const auto* offsets = section<std::uint64_t>(h.offsets_at);
  const std::size_t n = end - begin;
  const auto parts = static_cast<std::size_t>(std::max(1, threads));
  const DType stored = value_type();
  if (!dense && dtype == stored) {
    // Read in place: the indices and values of these rows, their offsets when they start at
    // row 0 (else rebased), their labels when the bytes are the classes.
    Dataset out = Dataset::sparse_over(dtype, n, features, values_in(begin, end), begin, bytes_,
                                       section<std::uint32_t>(h.index_at) + offsets[begin],
                                       stored == DType::kOnes ? nullptr
                                                              : section<char>(h.values_at) + offsets[begin] * h.value_bytes,
                                       begin == 0 ? offsets : nullptr,
                                       same_classes ? section<std::uint8_t>(h.labels_at) + begin : nullptr,
                                       /*mapped=*/true);
    if (begin != 0) {
      auto rebased = out.offsets();
      for (std::size_t i = 0; i <= n; ++i) rebased[i] = offsets[begin + i] - offsets[begin];
    }
    if (!same_classes) {
      auto y = out.labels();
      const auto* label_index = section<std::uint8_t>(h.labels_at) + begin;
      for (std::size_t i = 0; i < n; ++i) y[i] = cls[label_index[i]];
    }
    return out;
  }
  Dataset out = dense ? Dataset(dtype, n, features, begin)
                      : Dataset::sparse(dtype, n, features, values_in(begin, end), begin);
  const auto* label_index = section<std::uint8_t>(h.labels_at);
  parallel_for(parts, [&](std::size_t t) {
    const std::size_t r0 = begin + n * t / parts, r1 = begin + n * (t + 1) / parts;
    auto y = out.labels();
    for (std::size_t r = r0; r < r1; ++r) y[r - begin] = cls[label_index[r]];
    if (stored == DType::kF32) {
      put_csr_rows(out, r0 - begin, r1 - r0, offsets[r0] - offsets[begin], offsets + r0,
                   section<std::uint32_t>(h.index_at), section<float>(h.values_at));
    } else {
      put_csr_rows(out, r0 - begin, r1 - r0, offsets[r0] - offsets[begin], offsets + r0,
                   section<std::uint32_t>(h.index_at),
                   stored == DType::kOnes ? nullptr : section<double>(h.values_at));
    }
  });
  return out;
}

}  // namespace dsgd::detail
