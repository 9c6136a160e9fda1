#pragma once
// The binary cache of a parsed text file (internal to data/; reader.cc decides when to use it).
//
// A cache holds what parsing the whole file gave, before any option that shapes a Dataset
// (storage, dtype, dimension, label mapping) is applied: per row the index of its label value
// (in ascending order of the values, so for the usual mapping it is the class) and its CSR
// values. It is memory-mapped, and every process reads only the rows it needs; sparse f64 data
// is used in place, without a copy. Layout (native byte order, recorded in the header): the
// header, then 64-byte aligned sections: label indices (u8 per row), row offsets (u64, rows +
// 1), column indices (u32 per value), values (f64; f32 when every value is a float exactly;
// none when every value is 1: 4 bytes a non-zero), the CSV column names, and one XXH3-64
// checksum per block of kCacheBlockRows rows (its label indices, offsets, indices and values). The header records the format version, the
// text file's size and mtime, the parse settings, and a checksum over itself, the names and the
// block checksums. A cache that does not match its text file, or whose checksums fail, is never
// used: the text is parsed again and the cache rebuilt.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dsgd/data/dataset.h"
#include "dsgd/data/file_bytes.h"
#include "dsgd/data/labels.h"
#include "dsgd/data/parsed_rows.h"

namespace dsgd::detail {

constexpr std::uint32_t kCacheFormatVersion = 3;  // 3: values as f64, f32 or none (value_bytes)
constexpr std::size_t kCacheBlockRows = 4096;

// What a cache must match to stand for a text file: its stamp, and the parse settings (the
// format and the CSV label column) as one hash.
struct CacheSource {
  FileStamp stamp;
  std::uint64_t settings = 0;
};
[[nodiscard]] std::uint64_t parse_settings_hash(int format, const std::string& label_column) noexcept;
// Checksummed blocks of a cache of `rows` rows.
[[nodiscard]] constexpr std::size_t blocks_of(std::size_t rows) noexcept {
  return (rows + kCacheBlockRows - 1) / kCacheBlockRows;
}

// A label value of the file and the line it first appears on.
struct CachedLabel {
  double value = 0;
  std::uint64_t line = 0;
};

// What a cache stores: the whole file's figures, and parsed rows in file order (all of them
// for write_cache; for SharedCacheWrite, one process's rows first_row .. with their values
// from first_value on).
struct CacheContents {
  CacheSource source;
  int format = 0;
  std::size_t rows = 0;    // in the whole file
  std::size_t values = 0;  // in the whole file
  std::size_t lines = 0;
  std::size_t highest_index = 0;
  std::vector<CachedLabel> labels;  // 1 or 2 distinct values, with their first lines
  std::optional<CsvSchema> csv;  // a CSV file's columns
  std::vector<const ParsedRows*> chunks;
  DType value_type = DType::kF64;  // how the values are stored: the whole file's (stored_dtype of sparse f64)
  std::size_t first_row = 0;
  std::size_t first_value = 0;
};

// Writes the cache atomically (temporary file, then rename). Throws InputError.
void write_cache(const std::string& path, const CacheContents& contents);

// A cache written by the processes of a group together, each its own rows, into one temporary
// file (`temp_path`, the same on all processes: temporary_prefix(path) of one of them and a tag;
// listed for remove_temporaries while the writer lives) that is renamed into place at the end. The steps
// go in order, each finished by every process before the next: create (one process), write_rows
// (all), checksums (all: those of the blocks starting in rows [first_row, end_row), in order, so
// the processes' lists in rank order make the whole list), finish (one process, with the
// checksums of all blocks), or abandon on a failure. Each throws InputError.
class SharedCacheWrite {
 public:
  SharedCacheWrite(std::string path, const CacheContents& contents, std::string temp_path);
  SharedCacheWrite(const SharedCacheWrite&) = delete;
  SharedCacheWrite& operator=(const SharedCacheWrite&) = delete;
  ~SharedCacheWrite();
  void create() const;
  void write_rows() const;
  [[nodiscard]] std::vector<std::uint64_t> checksums(std::size_t first_row, std::size_t end_row) const;
  void finish(const std::vector<std::uint64_t>& checksums) const;
  void abandon() const noexcept;

 private:
  std::string path_;
  std::string temp_path_;
  const CacheContents& contents_;
  int slot_;  // in the list of temporaries
};

// The cache file's header, at byte 0 (the fuzzer of tests/fuzz writes valid ones too).
constexpr char kCacheMagic[8] = {'D', 'S', 'G', 'D', 'C', 'A', 'C', 'H'};
constexpr std::uint32_t kCacheByteOrder = 0x01020304;
struct CacheHeader {
  char magic[8];
  std::uint32_t version;
  std::uint32_t byte_order;  // kCacheByteOrder as the writer stored it
  std::uint64_t source_size;
  std::int64_t source_mtime_ns;
  std::uint64_t settings;
  std::uint64_t rows;
  std::uint64_t values;
  std::uint64_t lines;
  std::uint64_t highest_index;
  std::uint32_t format;
  std::uint32_t label_count;
  double label_values[2];  // ascending: a row's label byte is the index of its value
  std::uint64_t label_lines[2];
  std::uint64_t labels_at;   // u8 per row: the index of its label value
  std::uint64_t offsets_at;  // u64, rows + 1
  std::uint64_t index_at;    // u32 per value
  std::uint64_t values_at;   // value_bytes per value (then 64 bytes of padding: vector loads may read past)
  std::uint64_t names_at;
  std::uint64_t names_bytes;  // the CSV file's column names (the label's too), each followed by '\n'
  std::uint64_t checksums_at;  // u64 per block of kCacheBlockRows rows
  std::uint64_t blocks;
  std::uint64_t file_bytes;
  std::uint64_t csv_header;  // CSV: 1 when the file had a header row
  std::uint64_t csv_label;   // CSV: the label's column
  std::uint64_t value_bytes;  // 8: f64, 4: f32 (each value a float exactly), 0: none (every value 1)
  std::uint64_t header_checksum;  // of this header (with 0 here), the names and the block checksums
};

// An opened cache whose header matches its text file and is intact.
class CacheFile {
 public:
  // The cache at `path` if it stands for `source`; otherwise nothing, and `why` says why
  // (missing, stale, another version, corrupt).
  [[nodiscard]] static std::optional<CacheFile> open(const std::string& path, const CacheSource& source,
                                                     std::string& why);

  [[nodiscard]] std::size_t rows() const noexcept;
  [[nodiscard]] std::size_t values() const noexcept;
  [[nodiscard]] std::size_t lines() const noexcept;
  [[nodiscard]] std::size_t highest_index() const noexcept;
  // How the values are stored: kF64, kF32 (all floats exactly) or kOnes (all 1, none stored).
  [[nodiscard]] DType value_type() const noexcept;
  [[nodiscard]] const std::vector<CachedLabel>& labels() const noexcept { return labels_; }
  [[nodiscard]] const std::optional<CsvSchema>& csv() const noexcept { return csv_; }
  // Non-zero values in rows [begin, end).
  [[nodiscard]] std::size_t values_in(std::size_t begin, std::size_t end) const noexcept;

  // Whether rows [begin, end) are intact: the checksums of the blocks holding them (read by
  // `threads` threads), and offsets and indices in range.
  [[nodiscard]] bool intact(std::size_t begin, std::size_t end, int threads) const;
  // Rows [begin, end) as a Dataset of `features` >= highest_index() columns (first_row begin),
  // dense or sparse, values held as `dtype`, labels classified by `labels` (which must know every
  // cached label value). Sparse rows held as they are stored are read in place.
  [[nodiscard]] Dataset build(std::size_t begin, std::size_t end, const LabelMap& labels, std::size_t features,
                              bool dense, DType dtype, int threads) const;

 private:
  explicit CacheFile(std::shared_ptr<const FileBytes> bytes) : bytes_(std::move(bytes)) {}
  [[nodiscard]] const CacheHeader& header() const noexcept;
  template <typename T>
  [[nodiscard]] const T* section(std::uint64_t at) const noexcept {
    return reinterpret_cast<const T*>(bytes_->text().data() + at);
  }
  [[nodiscard]] std::uint64_t block_checksum(std::size_t block) const noexcept;

  std::shared_ptr<const FileBytes> bytes_;  // shared with the data sets that read it in place
  std::vector<CachedLabel> labels_;
  std::optional<CsvSchema> csv_;
};

}  // namespace dsgd::detail
