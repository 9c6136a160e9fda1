// Fuzz-style test of both readers: random bytes and randomly mutated valid lines must give a
// data set or an InputError, never a crash, a hang or another exception; and a binary cache
// with random bytes changed or cut off must be rebuilt, never trusted or crashed on. CMake builds this
// test with AddressSanitizer and UndefinedBehaviorSanitizer (reader_fuzz_test).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "dsgd/data/reader.h"
#include "dsgd/base/error.h"

namespace dsgd {
namespace {

const std::string kLibsvm = "+1 1:0.5 3:-1.25 # c\n-1 2:2 10:1e-3\n\n0 qid:1 4:7\n-1\n+1 1:1 2:2 3:3\r\n";
const std::string kCsv = "a,b,label\n1.5,0,1\n0,2,0\r\n-1,1e3,1\n";

// Reads `text` as `format`: true for a data set, false for an InputError; anything else fails.
bool read_text(const std::string& text, FileFormat format, int threads) {
  // One file per test: ctest runs the tests of this program in parallel.
  const std::string path =
      ::testing::TempDir() + "dsgd_fuzz_" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::ofstream(path, std::ios::binary) << text;
  try {
    const ReadResult r = read_data(path, {.format = format, .threads = threads});
    EXPECT_GT(r.data.rows(), 0U);
    EXPECT_GE(r.data.features(), 1U);
    return true;
  } catch (const InputError&) {
    return false;
  }
}

std::string mutate(std::string s, std::mt19937_64& rng) {
  const char alphabet[] = " \t\n\r:#,+-.eE0123456789abcxNA\"\0";
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int k = 0; k < edits && !s.empty(); ++k) {
    const std::size_t at = rng() % s.size();
    const char c = alphabet[rng() % (sizeof(alphabet) - 1)];
    switch (rng() % 4) {
      case 0: s[at] = c; break;
      case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), c); break;
      case 2: s.erase(at, 1 + rng() % 3); break;
      default: s.insert(at, s.substr(rng() % s.size(), 1 + rng() % 8)); break;
    }
  }
  return s;
}

TEST(ReaderFuzz, MutatedValidFilesGiveDataOrAnInputError) {
  std::mt19937_64 rng(12345);
  int parsed = 0;
  for (int i = 0; i < 1500; ++i) {
    const bool csv = i % 2 == 1;
    const std::string text = mutate(csv ? kCsv : kLibsvm, rng);
    parsed += read_text(text, csv ? FileFormat::kCsv : FileFormat::kLibsvm, 1 + i % 3);
  }
  EXPECT_GT(parsed, 50);  // the mutations leave some files valid: both paths are exercised
}

TEST(ReaderFuzz, RandomBytesGiveDataOrAnInputError) {
  std::mt19937_64 rng(777);
  for (int i = 0; i < 500; ++i) {
    std::string text(rng() % 200, '\0');
    for (char& c : text) c = static_cast<char>(rng() % 256);
    (void)read_text(text, i % 2 == 0 ? FileFormat::kLibsvm : FileFormat::kCsv, 1 + i % 2);
  }
}

TEST(ReaderFuzz, DamagedCachesAreRebuiltNeverTrusted) {
  std::mt19937_64 rng(2024);
  const std::string path = ::testing::TempDir() + "dsgd_fuzz_cache.libsvm";
  std::string text;
  for (int i = 0; i < 40000; ++i) text += i % 3 == 0 ? "+1 1:0.5 7:2\n" : "-1 2:1.5 3:-1 9:4\n";  // 3 blocks
  std::ofstream(path, std::ios::binary) << text;
  const ReadOptions options{.storage = Storage::kSparse, .threads = 2, .cache = true};
  const ReadResult truth = read_data(path, options);
  std::string pristine;
  {
    std::ifstream in(cache_path_of(path), std::ios::binary);
    pristine.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(pristine.size(), 1000U);
  int rebuilt = 0;
  for (int i = 0; i < 300; ++i) {
    std::string damaged = pristine;
    if (i % 5 == 4) {
      damaged.resize(rng() % damaged.size());
    } else {
      // Mostly the header and the offsets, where a bad value would address other memory.
      const std::size_t span = i % 2 == 0 ? 1024 : damaged.size();
      for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) damaged[rng() % span] ^= static_cast<char>(1 + rng() % 255);
    }
    std::ofstream(cache_path_of(path), std::ios::binary | std::ios::trunc) << damaged;
    const ReadResult r = read_data(path, options);
    rebuilt += !r.from_cache;
    ASSERT_EQ(r.data.rows(), truth.data.rows());
    ASSERT_TRUE(std::equal(r.data.offsets().begin(), r.data.offsets().end(), truth.data.offsets().begin()));
    ASSERT_TRUE(std::equal(r.data.indices().begin(), r.data.indices().end(), truth.data.indices().begin()));
    ASSERT_EQ(r.data.dtype(), truth.data.dtype());
    ASSERT_EQ(truth.data.dtype(), DType::kF32);  // 0.5, 2, 1.5, -1 and 4 are floats exactly
    const auto a = r.data.features_as<float>(), b = truth.data.features_as<float>();
    ASSERT_TRUE(std::equal(a.begin(), a.end(), b.begin()));
    ASSERT_TRUE(std::equal(r.data.labels().begin(), r.data.labels().end(), truth.data.labels().begin()));
  }
  EXPECT_GT(rebuilt, 280);  // a change to padding bytes is harmless and may go unnoticed
}

}  // namespace
}  // namespace dsgd
