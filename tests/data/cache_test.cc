// The binary cache: a reload gives exactly the parsed data (every storage and dtype), and a cache that is stale, corrupt, truncated, of another version or of other
// parse settings is never used but rebuilt from the text.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/time.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dsgd/data/cache.h"
#include "dsgd/data/reader.h"
#include "dsgd/base/error.h"
#include "read_results.h"

namespace dsgd {
namespace {

namespace fs = std::filesystem;

using testing_support::copy_of;

ReadOptions with_cache(ReadOptions o = {}) {
  o.cache = true;
  return o;
}

using testing_support::rows_of;

void expect_same(const ReadResult& a, const ReadResult& b) {
  testing_support::expect_same_file(a, b);
  EXPECT_EQ(a.data.first_row(), b.data.first_row());
  EXPECT_EQ(rows_of(a.data), rows_of(b.data));
}

// Overwrites `bytes` bytes at `offset` of a file with 0x5a.
void scribble(const std::string& path, std::size_t offset, std::size_t bytes = 1) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  for (std::size_t k = 0; k < bytes; ++k) f.put('\x5a');
}

class CacheFiles : public ::testing::TestWithParam<const char*> {};

TEST_P(CacheFiles, AReloadGivesExactlyTheParsedData) {
  const std::string path = copy_of(GetParam());
  const ReadResult first = read_data(path, with_cache());
  EXPECT_FALSE(first.from_cache);
  EXPECT_NE(first.cache_note.find("written (there was none)"), std::string::npos) << first.cache_note;
  ASSERT_TRUE(fs::exists(cache_path_of(path)));
  for (const Storage storage : {Storage::kAuto, Storage::kDense, Storage::kSparse}) {
    for (const DType dtype : {DType::kF64, DType::kF32}) {
      for (const int threads : {1, 3}) {
        const ReadOptions o{.storage = storage, .dtype = dtype, .threads = threads};
        const ReadResult text = read_data(path, o);
        const ReadResult cached = read_data(path, with_cache(o));
        ASSERT_TRUE(cached.from_cache) << cached.cache_note;
        expect_same(text, cached);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Files, CacheFiles,
                         ::testing::Values("heart_scale", "a9a.gz", "breast_cancer.csv", "comments.libsvm",
                                           "empty_features.libsvm", "labels_01.libsvm", "explicit_zeros.libsvm"));

TEST(Cache, SparseF64DataIsReadInPlaceAndIsReadOnly) {
  const std::string path = copy_of("a9a.gz");
  (void)read_data(path, with_cache());
  ReadResult cached = read_data(path, with_cache({.storage = Storage::kSparse}));
  ASSERT_TRUE(cached.from_cache);
  EXPECT_TRUE(cached.data.borrows());
  EXPECT_THROW((void)cached.data.features_as<double>(), Error);
  EXPECT_THROW((void)cached.data.indices(), Error);
  EXPECT_FALSE(read_data(path, with_cache({.storage = Storage::kDense})).data.borrows());
}

// Values are held as narrow as keeps them exact: none for rows of ones (4 bytes a non-zero, in
// memory and in the cache), f32 for floats, f64 otherwise; the cache holds the same.
TEST(Cache, ValuesAreHeldAsNarrowAsKeepsThemExact) {
  const std::string dir = fs::path(copy_of("heart_scale")).parent_path().string();
  const auto file_with = [&](const std::string& name, const std::string& text) {
    const std::string path = dir + "/" + name;
    std::ofstream(path) << text;
    return path;
  };
  const std::string ones = copy_of("a9a.gz");
  const std::string floats = file_with("floats.libsvm", "+1 1:0.5 3:2\n-1 2:-1.25 3:1\n");
  const std::string doubles = file_with("doubles.libsvm", "+1 1:0.1 3:2\n-1 2:1 3:1\n");
  const std::string mixed = file_with("mixed.libsvm", "+1 1:1 3:1\n-1 2:1 3:1\n+1 1:3\n");
  const ReadOptions sparse{.storage = Storage::kSparse};
  for (const auto& [path, dtype] : {std::pair{ones, DType::kOnes}, std::pair{floats, DType::kF32},
                                    std::pair{doubles, DType::kF64}, std::pair{mixed, DType::kF32}}) {
    const ReadResult text = read_data(path, with_cache(sparse));
    EXPECT_EQ(text.data.dtype(), dtype) << path;
    const ReadResult cached = read_data(path, with_cache(sparse));
    ASSERT_TRUE(cached.from_cache) << path;
    EXPECT_EQ(cached.data.dtype(), dtype) << path;
    EXPECT_TRUE(cached.data.borrows()) << path;  // read in place
    expect_same(text, cached);
    // Dense rows keep the dtype asked for.
    EXPECT_EQ(read_data(path, with_cache({.storage = Storage::kDense})).data.dtype(), DType::kF64);
  }
  const ReadResult a9a = read_data(ones, sparse);
  EXPECT_EQ(a9a.data.feature_bytes(), a9a.values * 4 + (a9a.total_rows + 1) * 8);
  // The cache: a byte a row for the label, 8 for its offset, 4 a non-zero, and small change.
  EXPECT_LT(fs::file_size(cache_path_of(ones)), a9a.values * 4 + a9a.total_rows * 9 + 64 * 1024);
  // Asked for f32, values that are not floats exactly are rounded (as before).
  EXPECT_EQ(read_data(doubles, {.storage = Storage::kSparse, .dtype = DType::kF32}).data.dtype(), DType::kF32);
}

// Each way a cache can stop matching its file: the reason in the note, the text read, the cache
// rebuilt (so the next read loads it again), the data right.
TEST(Cache, StaleCorruptTruncatedOrForeignCachesAreRebuiltNeverTrusted) {
  const std::string path = copy_of("heart_scale");
  const std::string cache = cache_path_of(path);
  const ReadResult text = read_data(path, {});
  const auto rebuilt_because = [&](const std::string& reason) {
    const ReadResult r = read_data(path, with_cache());
    EXPECT_FALSE(r.from_cache) << reason;
    EXPECT_NE(r.cache_note.find(reason), std::string::npos) << r.cache_note;
    expect_same(text, r);
    const ReadResult again = read_data(path, with_cache());
    EXPECT_TRUE(again.from_cache) << again.cache_note;
    expect_same(text, again);
  };
  rebuilt_because("there was none");
  // The data file touched (another mtime).
  struct timeval times[2] = {{1'600'000'000, 0}, {1'600'000'000, 0}};
  ASSERT_EQ(::utimes(path.c_str(), times), 0);
  rebuilt_because("the data file changed");
  // A byte of the values (past the 256-byte header, inside the blocks).
  scribble(cache, fs::file_size(cache) / 2);
  rebuilt_because("corrupt");
  // A byte of the header (the line count).
  scribble(cache, 60);
  rebuilt_because("corrupt");
  // Truncated.
  fs::resize_file(cache, fs::file_size(cache) - 100);
  rebuilt_because("corrupt");
  fs::resize_file(cache, 10);
  rebuilt_because("not a dsgd cache");
  // Another format version (bytes 8..11).
  scribble(cache, 8, 4);
  rebuilt_because("format version");
  // Not a cache at all.
  { std::ofstream(cache) << "hello"; }
  rebuilt_because("not a dsgd cache");
}

// Overwrites the 8 bytes at `offset` of a file with `value`.
void poke(const std::string& path, std::size_t offset, std::uint64_t value) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(reinterpret_cast<const char*>(&value), sizeof(value));
}

TEST(Cache, SectionOffsetsThatWrapAroundAreCaughtBeforeUse) {
  const std::string path = copy_of("breast_cancer.csv");  // with feature names
  const ReadResult text = read_data(path, {});
  (void)read_data(path, with_cache());
  std::string pristine(fs::file_size(cache_path_of(path)), '\0');
  std::ifstream(cache_path_of(path), std::ios::binary).read(pristine.data(), static_cast<std::streamsize>(pristine.size()));
  // The header's section offsets and sizes (bytes 112 to 183), each set to values whose sums
  // with the sizes wrap around 2^64.
  for (std::size_t field = 112; field < 184; field += 8) {
    for (const std::uint64_t value : {~std::uint64_t{0}, ~std::uint64_t{0} - pristine.size() / 2 + 1,
                                      std::uint64_t{1} << 63, std::uint64_t{pristine.size()} + 8}) {
      std::ofstream(cache_path_of(path), std::ios::binary | std::ios::trunc) << pristine;
      poke(cache_path_of(path), field, value);
      const ReadResult r = read_data(path, with_cache());
      EXPECT_FALSE(r.from_cache) << "field at " << field;
      expect_same(text, r);
    }
  }
}

TEST(Cache, AReadForAModelThatMayLeaveOutColumnsIsNotCached) {
  const std::string path = copy_of("header.csv");
  const ReadResult whole = read_data(path, {});
  ASSERT_GE(whole.data.features(), 2U);
  const ReadResult for_model = read_data(path, with_cache({.features = 1, .drop_beyond = true, .labels = whole.labels}));
  EXPECT_NE(for_model.cache_note.find("not written"), std::string::npos) << for_model.cache_note;
  EXPECT_FALSE(fs::exists(cache_path_of(path)));
  EXPECT_EQ(read_data(path, with_cache()).data.features(), whole.data.features());
}

TEST(Cache, OtherParseSettingsRebuildIt) {
  const std::string path = copy_of("label_column.csv");
  (void)read_data(path, with_cache({.label_column = "target"}));
  const ReadResult other = read_data(path, with_cache({.label_column = "2"}));
  EXPECT_FALSE(other.from_cache);
  EXPECT_NE(other.cache_note.find("another --format or --label-column"), std::string::npos) << other.cache_note;
  EXPECT_EQ(rows_of(other.data), rows_of(read_data(path, {.label_column = "2"}).data));
}

TEST(Cache, ErrorsThatNameALineComeFromTheText) {
  const std::string path = copy_of("high_index.libsvm");
  (void)read_data(path, with_cache());
  try {
    (void)read_data(path, with_cache({.features = 3}));
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(":2: feature index 7 beyond --features 3"), std::string::npos) << e.what();
  }
  const ReadResult dropped = read_data(path, with_cache({.features = 3, .drop_beyond = true}));
  EXPECT_EQ(dropped.first_dropped_line, 2U);
  EXPECT_NE(dropped.cache_note.find("not used"), std::string::npos);
  EXPECT_TRUE(read_data(path, with_cache()).from_cache);  // still current
}

TEST(Cache, AFileThatCannotBeReadIsReportedAsWithoutACache) {
  try {
    (void)read_data("/no/such/file", with_cache());
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/no/such/file: cannot open"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dsgd
