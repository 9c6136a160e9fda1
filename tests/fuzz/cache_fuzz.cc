// libFuzzer target: the binary data cache (src/dsgd/data/cache.h), read as the CLI reads it:
// read_data with the cache on, the input being the cache next to a small text file. A cache
// must be used or rebuilt, never crashed on; either way the read gives data or an InputError.
//
// Every cache records its text file's size and mtime and is checksummed, so random bytes would
// only ever exercise the rejections (reader_fuzz_test does those). Before the read, an input
// that starts with a cache header of this version gets fixed up as a writer would have
// written it: the stamp of our text file and its parse settings, then, where the layout lets
// them be computed, the block checksums and the header checksum. So the fuzzer reaches what a
// checksum cannot protect against: a cache that is consistent but crafted (or written by a
// buggy writer), and the reads and builds that trust it.
//
// The fix-up needs the header's layout: dsgd::detail::CacheHeader (data/cache.h). At start the
// fuzzer checks its fix-up against a cache dsgd writes (fixing that cache up must leave it
// unchanged) and aborts if the checksums have moved on.
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "dsgd/data/cache.h"
#include "dsgd/data/reader.h"
#include "fuzz_common.h"

namespace {

using dsgd::detail::kCacheBlockRows;

using dsgd::detail::CacheHeader;
using dsgd::detail::kCacheByteOrder;
using dsgd::detail::kCacheMagic;

// The text files the caches stand for: small and valid, so that a cache that is not used is
// rebuilt from them (one LIBSVM, one CSV with a header: the cache's format field picks).
const std::string kLibsvmText = "+1 1:0.5 3:-1.25\n-1 2:2 10:1e-3\n+1 1:1 2:2 3:3\n";
const std::string kCsvText = "a,b,label\n1.5,0,1\n0,2,0\n-1,1e3,1\n";

struct Text {
  std::string path;
  dsgd::detail::CacheSource source;
};

Text make_text(const std::string& name, const std::string& text, dsgd::FileFormat format) {
  Text t{dsgd::fuzz::scratch_path(name), {}};
  dsgd::fuzz::write_file(t.path, text.data(), text.size());
  t.source = {dsgd::file_stamp(t.path), dsgd::detail::parse_settings_hash(static_cast<int>(format), "")};
  return t;
}

bool inside(std::uint64_t at, std::uint64_t bytes, std::uint64_t size) { return at <= size && bytes <= size - at; }

std::uint64_t load_u64(const std::string& file, std::uint64_t at) {
  std::uint64_t v = 0;
  std::memcpy(&v, file.data() + at, sizeof(v));
  return v;
}

// Rewrites the stamp, settings and checksums of the cache in `file` (see the top); leaves
// alone what does not start with a header of this version.
void fix_up(std::string& file, const dsgd::detail::CacheSource& source) {
  if (file.size() < sizeof(CacheHeader)) return;
  CacheHeader h;
  std::memcpy(&h, file.data(), sizeof(h));
  if (std::memcmp(h.magic, kCacheMagic, sizeof(kCacheMagic)) != 0 || h.version != dsgd::detail::kCacheFormatVersion ||
      h.byte_order != kCacheByteOrder)
    return;
  h.source_size = source.stamp.size;
  h.source_mtime_ns = source.stamp.mtime_ns;
  h.settings = source.settings;
  const std::uint64_t size = file.size();
  const std::uint64_t vb = h.value_bytes;
  const bool fits = h.rows < size && h.values < size && vb <= 8 && h.blocks == dsgd::detail::blocks_of(h.rows) &&
                    inside(h.labels_at, h.rows, size) && inside(h.offsets_at, (h.rows + 1) * 8, size) &&
                    inside(h.index_at, h.values * 4, size) && inside(h.values_at, h.values * vb, size) &&
                    inside(h.names_at, h.names_bytes, size) && inside(h.checksums_at, h.blocks * 8, size);
  if (fits) {
    for (std::uint64_t b = 0; b < h.blocks; ++b) {
      const std::uint64_t r0 = b * kCacheBlockRows, r1 = std::min<std::uint64_t>(h.rows, r0 + kCacheBlockRows);
      const std::uint64_t v0 = load_u64(file, h.offsets_at + r0 * 8), v1 = load_u64(file, h.offsets_at + r1 * 8);
      if (v0 > v1 || v1 > h.values) continue;  // the reader rejects this block before its checksum
      const char* f = file.data();
      XXH64_hash_t sum = XXH3_64bits(f + h.labels_at + r0, r1 - r0);
      sum = XXH3_64bits_withSeed(f + h.offsets_at + r0 * 8, (r1 - r0 + 1) * 8, sum);
      sum = XXH3_64bits_withSeed(f + h.index_at + v0 * 4, (v1 - v0) * 4, sum);
      sum = XXH3_64bits_withSeed(f + h.values_at + v0 * vb, (v1 - v0) * vb, sum);
      std::memcpy(file.data() + h.checksums_at + b * 8, &sum, sizeof(sum));
    }
    CacheHeader copy = h;
    copy.header_checksum = 0;
    XXH64_hash_t sum = XXH3_64bits(&copy, sizeof(copy));
    sum = XXH3_64bits_withSeed(file.data() + h.names_at, h.names_bytes, sum);
    h.header_checksum = XXH3_64bits_withSeed(file.data() + h.checksums_at, h.blocks * 8, sum);
  }
  std::memcpy(file.data(), &h, sizeof(h));
}

std::string contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// The mirror check (see the top): dsgd writes the cache of `t`; fixing it up changes nothing.
void check_layout(const Text& t) {
  (void)dsgd::read_data(t.path, {.cache = true});
  std::string cache = contents(dsgd::cache_path_of(t.path));
  const std::string written = cache;
  fix_up(cache, t.source);
  if (cache.size() < sizeof(CacheHeader) || cache != written)
    dsgd::fuzz::finding("tests/fuzz/cache_fuzz.cc: CacheHeader no longer mirrors src/dsgd/data/cache.cc; update it");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::array<Text, 2> texts = [] {
    std::array<Text, 2> t = {make_text("data.libsvm", kLibsvmText, dsgd::FileFormat::kLibsvm),
                             make_text("data.csv", kCsvText, dsgd::FileFormat::kCsv)};
    for (const Text& text : t) check_layout(text);
    return t;
  }();
  static const bool verbose = std::getenv("DSGD_FUZZ_VERBOSE") != nullptr;  // says what became of each cache
  std::string input(reinterpret_cast<const char*>(data), size);
  // The header's format field (LIBSVM 1, CSV 2 as FileFormat numbers them) picks the text.
  std::uint32_t format = 0;
  if (size >= offsetof(CacheHeader, format) + sizeof(format))
    std::memcpy(&format, data + offsetof(CacheHeader, format), sizeof(format));
  const Text& text = texts[format == static_cast<std::uint32_t>(dsgd::FileFormat::kCsv) ? 1 : 0];
  fix_up(input, text.source);

  // As dsgd train --cache reads it (auto storage: sparse f64 is used in place, dense data is
  // copied), into a sparse f32 copy, and by three threads in place.
  const dsgd::ReadOptions reads[] = {
      {.cache = true},
      {.storage = dsgd::Storage::kSparse, .dtype = dsgd::DType::kF32, .threads = 2, .cache = true},
      {.storage = dsgd::Storage::kSparse, .threads = 3, .cache = true},
  };
  for (const dsgd::ReadOptions& options : reads) {
    // Each read may rebuild the cache: put the input back first.
    dsgd::fuzz::write_file(dsgd::cache_path_of(text.path), input.data(), input.size());
    (void)dsgd::fuzz::expect_typed_errors([&] {
      const dsgd::ReadResult r = dsgd::read_data(text.path, options);
      if (verbose) std::fprintf(stderr, "cache fuzz: %s\n", r.cache_note.c_str());
      if (r.data.rows() != r.total_rows || r.data.features() == 0) dsgd::fuzz::finding("a cache read into a data set of the wrong shape");
    });
  }
  return 0;
}
