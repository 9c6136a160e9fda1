#include "dsgd/data/synthetic.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <numeric>
#include <span>
#include <cmath>
#include <string>
#include <thread>

#include "dsgd/data/margins.h"
#include "dsgd/data/normals.h"
#include "dsgd/base/rng.h"
#include "dsgd/base/error.h"
#include "dsgd/base/progress.h"
#include "dsgd/base/timer.h"

namespace dsgd {
namespace {

// Stream identifiers; changing one changes every generated data set.
enum Stream : std::uint64_t {
  kWeights = 1,
  kTrainX = 2,
  kTrainNoise = 3,
  kTestX = 4,
  kTestNoise = 5,
  kTrainIndex = 6,
  kTrainValue = 7,
  kTestIndex = 8,
  kTestValue = 9,
  kScatter = 10,
};

// A fixed permutation of [0, d): invertible steps on the bits of the next power of two (a
// multiplication by an odd number, an xor with a right shift, an addition), repeated until the
// value lands in [0, d) again (cycle walking, at most 2 rounds on average).
class Scatter {
 public:
  Scatter(std::size_t d, std::uint64_t seed) : d_(d) {
    const int bits = std::max(1, static_cast<int>(std::bit_width(d - 1)));
    mask_ = bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
    shift_ = bits / 2 + 1;
    const CounterRng rng(stream_key(seed, kScatter));
    multiply_ = rng.at(0) | 1;
    add_ = rng.at(1);
  }
  [[nodiscard]] std::uint64_t operator()(std::uint64_t x) const noexcept {
    if (d_ <= 1) return 0;
    do {
      x = (x * multiply_) & mask_;
      x ^= x >> shift_;
      x = (x + add_) & mask_;
    } while (x >= d_);
    return x;
  }

 private:
  std::size_t d_;
  std::uint64_t mask_ = 0;
  int shift_ = 1;
  std::uint64_t multiply_ = 1;
  std::uint64_t add_ = 0;
};

// Popularity ranks 1..d with P(rank <= x) following the continuous power law of exponent s
// (its inverse CDF at u, floored), so rank k has probability about k^-s / H.
class PowerLawRanks {
 public:
  PowerLawRanks(std::size_t d, double s) : d_(static_cast<double>(d)), s_(s) {
    if (s_ != 0.0 && s_ != 1.0) top_ = std::pow(d_ + 1.0, 1.0 - s_) - 1.0;
    log_top_ = std::log(d_ + 1.0);
  }
  // The 0-based rank for u in [0, 1).
  [[nodiscard]] std::uint64_t operator()(double u) const noexcept {
    double x = 0;
    if (s_ == 0.0) {
      x = 1.0 + u * d_;
    } else if (s_ == 1.0) {
      x = std::exp(u * log_top_);
    } else {
      x = std::pow(1.0 + u * top_, 1.0 / (1.0 - s_));
    }
    return static_cast<std::uint64_t>(std::clamp(std::floor(x), 1.0, d_)) - 1;
  }

 private:
  double d_;
  double s_;
  double top_ = 0;
  double log_top_ = 0;
};

// Rounds of fresh draws for the features a row lacks before the rest are found by probing.
constexpr std::uint64_t kDrawRounds = 64;

// The nnz distinct ascending features of one row, drawn with `draws` (one stream per row).
void draw_features(const CounterRng& draws, std::size_t nnz, std::size_t d, const PowerLawRanks& ranks,
                   const Scatter& scatter, std::vector<std::uint32_t>& out) {
  const auto feature = [&](std::uint64_t n) { return static_cast<std::uint32_t>(scatter(ranks(draws.uniform(n)))); };
  out.clear();
  for (std::uint64_t round = 0; round < kDrawRounds && out.size() < nnz; ++round) {
    const std::size_t have = out.size();
    for (std::size_t k = have; k < nnz; ++k) out.push_back(feature(round * nnz + k));
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(have), out.end());
    std::inplace_merge(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(have), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  // A law so steep that the draws keep repeating: the next free feature after a fresh draw.
  for (std::uint64_t n = kDrawRounds * nnz; out.size() < nnz; ++n) {
    std::uint32_t j = feature(n);
    while (std::binary_search(out.begin(), out.end(), j)) j = static_cast<std::uint32_t>((j + 1) % d);
    out.insert(std::upper_bound(out.begin(), out.end(), j), j);
  }
}

template <typename T>
void fill_sparse(const SyntheticSpec& spec, Split split, RowRange range, const std::vector<double>& w_true,
                 Dataset& out, std::size_t at) {
  const std::size_t k = spec.nnz;
  const bool train = split == Split::kTrain;
  const std::uint64_t index_key = stream_key(spec.seed, train ? kTrainIndex : kTestIndex);
  const CounterRng values(stream_key(spec.seed, train ? kTrainValue : kTestValue));
  const CounterRng noise_rng(stream_key(spec.seed, train ? kTrainNoise : kTestNoise));
  const PowerLawRanks ranks(spec.features, spec.zipf);
  const Scatter scatter(spec.features, spec.seed);
  std::uint64_t* offsets = out.offsets().data();
  std::uint32_t* index = out.indices().data();
  T* value = out.features_as<T>().data();
  std::uint8_t* y = out.labels().data();
  std::vector<std::uint32_t> row;
  for (std::size_t r = range.begin; r < range.end; ++r) {
    const std::size_t i = at + (r - range.begin);
    draw_features(CounterRng(stream_key(index_key, r)), k, spec.features, ranks, scatter, row);
    offsets[i + 1] = (i + 1) * k;  // offsets[0] is 0, set with the storage
    double margin = 0.0;
    for (std::size_t p = 0; p < k; ++p) {
      const T x = spec.values == SparseValues::kBinary ? T{1} : static_cast<T>(values.normal(r * k + p));
      index[i * k + p] = row[p];
      value[i * k + p] = x;
      margin += static_cast<double>(x) * w_true[row[p]];
    }
    bool label = margin > 0.0;
    if (spec.noise > 0.0 && noise_rng.uniform(r) < spec.noise) label = !label;
    y[i] = label ? 1 : 0;
  }
}

// Dense rows: their features from normals() and their margins from row_margins(), in blocks of
// kFillBlock rows.
constexpr std::size_t kFillBlock = 64;

template <typename T>
void fill(const SyntheticSpec& spec, Split split, RowRange range, const std::vector<double>& w_true,
          Dataset& out, std::size_t at) {
  const std::size_t d = spec.features;
  const std::uint64_t x_key = stream_key(spec.seed, split == Split::kTrain ? kTrainX : kTestX);
  const CounterRng noise_rng(stream_key(spec.seed, split == Split::kTrain ? kTrainNoise : kTestNoise));
  T* const x = out.features_as<T>().data() + at * d;
  std::uint8_t* const y = out.labels().data() + at;
  double margin[kFillBlock];
  for (std::size_t block = range.begin; block < range.end; block += kFillBlock) {
    const std::size_t rows = std::min(kFillBlock, range.end - block);
    T* const bx = x + (block - range.begin) * d;
    normals(x_key, static_cast<std::uint64_t>(block) * d, rows * d, bx);
    // The label comes from the stored value, so an f32 set is labelled by what it holds.
    row_margins(bx, rows, d, w_true.data(), margin);
    for (std::size_t i = 0; i < rows; ++i) {
      const std::size_t r = block + i;
      bool label = margin[i] > 0.0;
      if (spec.noise > 0.0 && noise_rng.uniform(r) < spec.noise) label = !label;
      y[r - range.begin] = label ? 1 : 0;
    }
  }
}

}  // namespace

std::string_view to_string(SparseValues values) noexcept {
  return values == SparseValues::kBinary ? "binary" : "gaussian";
}

SparseValues parse_sparse_values(std::string_view name) {
  if (name == "binary") return SparseValues::kBinary;
  if (name == "gaussian") return SparseValues::kGaussian;
  throw ConfigError("unknown values '" + std::string(name) + "' (expected binary or gaussian)");
}

void validate(const SyntheticSpec& spec) {
  if (spec.samples == 0) throw ConfigError(fmt::format("{} must be at least 1", field("samples")));
  if (spec.features == 0) throw ConfigError(fmt::format("{} must be at least 1", field("features")));
  if (spec.nnz > 0) {
    if (spec.features > kMaxSyntheticFeatures)
      throw ConfigError(fmt::format("{} must be at most 2^26 = {} for sparse data, got {}", field("features"),
                                    kMaxSyntheticFeatures, spec.features));
    if (spec.nnz > spec.features)
      throw ConfigError(fmt::format("{} {} is more than the {} features a row can hold", field("nnz"), spec.nnz, spec.features));
    if (!(spec.zipf >= 0.0) || !std::isfinite(spec.zipf)) throw ConfigError(fmt::format("{} must be 0 or more", field("zipf")));
  }
  if (!(spec.noise >= 0.0 && spec.noise <= 0.5))
    throw ConfigError(fmt::format("{} must be in [0, 0.5], got {}", field("noise"), spec.noise));
}

std::vector<double> true_weights(const SyntheticSpec& spec) {
  const CounterRng rng(stream_key(spec.seed, kWeights));
  std::vector<double> w(spec.features);
  for (std::size_t j = 0; j < w.size(); ++j) w[j] = rng.normal(j);
  return w;
}

void generate_rows(const SyntheticSpec& spec, Split split, RowRange range,
                   const std::vector<double>& w_true, Dataset& out, std::size_t at) {
  if (out.features() != spec.features || at + range.size() > out.rows())
    throw Error("generate_rows: destination does not fit the requested rows");
  if (w_true.size() != spec.features) throw Error("generate_rows: the true weights do not fit the features");
  if (spec.nnz > 0) {
    if (out.layout() != Layout::kSparse || out.values() != out.rows() * spec.nnz)
      throw Error("generate_rows: sparse rows need CSR storage of nnz values a row");
    if (out.dtype() == DType::kF32) {
      fill_sparse<float>(spec, split, range, w_true, out, at);
    } else {
      fill_sparse<double>(spec, split, range, w_true, out, at);
    }
    return;
  }
  if (out.layout() != Layout::kDense) throw Error("generate_rows: dense rows need dense storage");
  if (out.dtype() == DType::kF32) {
    fill<float>(spec, split, range, w_true, out, at);
  } else {
    fill<double>(spec, split, range, w_true, out, at);
  }
}

namespace {
// Writes a zero at the start of `s` and in each 4 KiB page that starts inside it: the first touch,
// which makes the kernel (and a virtual machine's host) back fresh pages, so that it is timed
// apart from computing the rows. The zeros are overwritten by the rows.
template <typename T>
void first_touch(std::span<T> s) {
  if (s.empty()) return;
  constexpr std::uintptr_t kPage = 4096;
  auto* const bytes = reinterpret_cast<volatile unsigned char*>(s.data());
  const auto start = reinterpret_cast<std::uintptr_t>(s.data());
  bytes[0] = 0;
  for (std::size_t at = ((start + kPage - 1) & ~(kPage - 1)) - start; at < s.size_bytes(); at += kPage) bytes[at] = 0;
}

// The first touch of the storage of local rows `rows` of `out` (features, labels, CSR arrays).
void first_touch(Dataset& out, RowRange rows) {
  const std::size_t n = rows.size();
  const std::size_t per_row = out.layout() == Layout::kSparse ? out.values() / std::max<std::size_t>(1, out.rows())
                                                                : out.features();
  if (out.dtype() == DType::kF32) {
    first_touch(out.features_as<float>().subspan(rows.begin * per_row, n * per_row));
  } else {
    first_touch(out.features_as<double>().subspan(rows.begin * per_row, n * per_row));
  }
  first_touch(out.labels().subspan(rows.begin, n));
  if (out.layout() == Layout::kSparse) {
    first_touch(out.indices().subspan(rows.begin * per_row, n * per_row));
    first_touch(out.offsets().subspan(rows.begin + 1, n));
  }
}

// Storage for rows `range` of the spec: dense, or CSR with nnz values a row.
Dataset storage_for(const SyntheticSpec& spec, RowRange range) {
  if (spec.nnz == 0) return Dataset(spec.dtype, range.size(), spec.features, range.begin);
  Dataset out = Dataset::sparse(spec.dtype, range.size(), spec.features, range.size() * spec.nnz, range.begin);
  const std::span<std::uint64_t> offsets = out.offsets();
  if (!offsets.empty()) offsets[0] = 0;
  return out;
}
}  // namespace

Dataset generate(const SyntheticSpec& spec, Split split, RowRange range) {
  Dataset out = storage_for(spec, range);
  generate_rows(spec, split, range, true_weights(spec), out);
  return out;
}

std::size_t rows_of(const SyntheticSpec& spec, Split split) noexcept {
  return split == Split::kTrain ? spec.samples : spec.test_samples;
}

Dataset generate_parallel(const SyntheticSpec& spec, Split split, std::size_t threads, Progress* progress,
                          GenerationTimes* times) {
  return generate_parallel(spec, split, {0, rows_of(spec, split)}, threads, progress, times);
}

Dataset generate_parallel(const SyntheticSpec& spec, Split split, RowRange range, std::size_t threads,
                          Progress* progress, GenerationTimes* times) {
  const std::size_t rows = range.size();
  Dataset out = storage_for(spec, range);
  const std::vector<double> w_true = true_weights(spec);
  threads = std::max<std::size_t>(1, std::min(threads, rows));
  std::vector<double> touch_s(threads, 0.0), rows_s(threads, 0.0);
  const auto block = [&](std::size_t t) {
    const RowRange local = shard_range(rows, threads, t);
    // In pieces, so that the progress moves (the rows are the same in any pieces).
    constexpr std::size_t kPiece = 65536;
    for (std::size_t at = local.begin; at < local.end; at += kPiece) {
      const std::size_t end = std::min(local.end, at + kPiece);
      const auto start = Clock::now();
      first_touch(out, {at, end});
      const auto touched = Clock::now();
      generate_rows(spec, split, {range.begin + at, range.begin + end}, w_true, out, at);
      touch_s[t] += std::chrono::duration<double>(touched - start).count();
      rows_s[t] += seconds_since(touched);
      Progress::add(progress, end - at);
    }
  };
  {
    std::vector<std::jthread> pool;
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(block, t);
    block(0);
  }  // the jthreads join here
  if (times != nullptr) {
    // The threads ran side by side: their mean is the share of the wall time.
    const auto mean = [&](const std::vector<double>& v) {
      return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    };
    times->first_touch_s += mean(touch_s);
    times->rows_s += mean(rows_s);
    times->bytes += out.feature_bytes() + out.rows();  // and a label byte a row
  }
  return out;
}

}  // namespace dsgd
