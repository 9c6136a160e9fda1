#include "dsgd/base/rng.h"

#include <gtest/gtest.h>

#include <hwy/targets.h>

#include <cmath>
#include <vector>

#include "dsgd/data/margins.h"
#include "dsgd/data/normals.h"

namespace dsgd {
namespace {

// Vigna's reference splitmix64.c from state 0.
TEST(SplitMix64, MatchesReferenceOutputs) {
  SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(rng.next(), 0x6E789E6AA1B965F4ULL);
  EXPECT_EQ(rng.next(), 0x06C45D188009454FULL);
}

TEST(CounterRng, RandomAccessEqualsSequentialStream) {
  SplitMix64 sequential(42);
  const CounterRng counter(42);
  for (std::uint64_t n = 0; n < 1000; ++n) EXPECT_EQ(counter.at(n), sequential.next()) << "n = " << n;
}

// Pinned so that a change to the generator (and so to every synthetic data set) is noticed.
// The normals go through glibc's log, cos and sin, which are correctly rounded here.
TEST(CounterRng, PinnedValuesOfTheDataStreams) {
  EXPECT_EQ(stream_key(42, 1), 0x5F9A2B21355F4EF3ULL);
  const CounterRng rng(stream_key(42, 2));
  EXPECT_EQ(rng.at(0), 0xD40EFCCF02351E3EULL);
  EXPECT_EQ(rng.normal(0), 0x1.33267a256ba3ap-1);
  EXPECT_EQ(rng.normal(1), 0x1.09075b2f51fd4p-3);
}

TEST(CounterRng, UniformsStayInTheirRanges) {
  const CounterRng rng(7);
  for (std::uint64_t n = 0; n < 100000; ++n) {
    const double open0 = rng.uniform_open0(n);
    EXPECT_GT(open0, 0.0);
    EXPECT_LE(open0, 1.0);
    const double u = rng.uniform(n);
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
}

TEST(CounterRng, NormalsHaveMeanZeroAndVarianceOne) {
  const CounterRng rng(stream_key(1, 2));
  constexpr int kN = 200000;
  double sum = 0, sum_sq = 0;
  for (int n = 0; n < kN; ++n) {
    const double z = rng.normal(static_cast<std::uint64_t>(n));
    sum += z;
    sum_sq += z * z;
  }
  const double mean = sum / kN;
  EXPECT_NEAR(mean, 0.0, 0.01);  // 4.5 standard errors
  EXPECT_NEAR(sum_sq / kN - mean * mean, 1.0, 0.015);
}

TEST(SplitMix64, BelowIsInRangeAndCoversIt) {
  SplitMix64 rng(3);
  int seen[7] = {};
  for (int i = 0; i < 7000; ++i) {
    const auto v = rng.below(7);
    ASSERT_LT(v, 7U);
    ++seen[v];
  }
  for (int count : seen) EXPECT_GT(count, 800);
}

}  // namespace
// The bulk normals of the dense synthetic features (data/normals.h), on every instruction set
// this machine runs: any piece equals the same elements of the whole, whatever its alignment
// against the lanes; each value is CounterRng::normal's to rounding (Highway's log, sin and cos
// against the C library's); and AVX2 and AVX-512 give the same bits.
TEST(Normals, PiecesEqualTheWholeAndTheScalarFormulaOnEveryInstructionSet) {
  const std::uint64_t key = stream_key(42, 2);
  const CounterRng rng(key);
  constexpr std::size_t kCount = 1000;
  for (const std::int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    std::vector<double> whole(kCount);
    normals(key, 0, kCount, whole.data());
    for (std::size_t n = 0; n < kCount; ++n)
      ASSERT_NEAR(whole[n], rng.normal(n), 1e-13 * (1 + std::abs(whole[n]))) << hwy::TargetName(target) << " n = " << n;
    for (const std::size_t first : {0, 1, 2, 3, 5, 7, 8, 9, 17, 31}) {
      for (const std::size_t count : {1, 2, 3, 7, 8, 15, 16, 33}) {
        std::vector<double> piece(count);
        normals(key, first, count, piece.data());
        for (std::size_t k = 0; k < count; ++k)
          ASSERT_EQ(piece[k], whole[first + k]) << hwy::TargetName(target) << " first " << first << " count " << count;
        // The float normals are the doubles rounded, in pieces as in whole.
        std::vector<float> rounded(count);
        normals(key, first, count, rounded.data());
        for (std::size_t k = 0; k < count; ++k)
          ASSERT_EQ(rounded[k], static_cast<float>(whole[first + k])) << hwy::TargetName(target) << " first " << first;
      }
    }
  }
  hwy::SetSupportedTargetsForTest(0);
}

// AVX2 and the AVX-512 sets compute alike (fused multiply-adds): the same bits. Skipped, saying
// so, on a CPU that runs fewer than two of them.
TEST(Normals, Avx2AndAvx512GiveTheSameBits) {
  const std::uint64_t key = stream_key(42, 2);
  std::vector<std::int64_t> fused_targets;
  for (const std::int64_t target : hwy::SupportedAndGeneratedTargets()) {
    if (target == HWY_AVX2 || target == HWY_AVX3 || target == HWY_AVX3_DL) fused_targets.push_back(target);
  }
  if (fused_targets.size() < 2) GTEST_SKIP() << "this CPU runs " << fused_targets.size() << " of AVX2 and AVX-512";
  std::vector<double> first;
  for (const std::int64_t target : fused_targets) {
    hwy::SetSupportedTargetsForTest(target);
    std::vector<double> whole(1000);
    normals(key, 0, whole.size(), whole.data());
    if (first.empty()) first = whole;
    EXPECT_EQ(whole, first) << hwy::TargetName(target);
  }
  hwy::SetSupportedTargetsForTest(0);
}

// The margins' chains of additions in column order, exactly: on every instruction set, for row
// counts that fill whole vectors and that leave a tail, f64 and f32 rows.
template <typename T>
void expect_scalar_margins(std::size_t rows, std::size_t d, const char* target) {
  std::vector<T> x(rows * d);
  std::vector<double> w(d);
  const CounterRng rng(7);
  for (std::size_t k = 0; k < x.size(); ++k) x[k] = static_cast<T>(rng.normal(k));
  for (std::size_t j = 0; j < d; ++j) w[j] = rng.normal(100000 + j);
  std::vector<double> margin(rows, -1.0);
  row_margins(x.data(), rows, d, w.data(), margin.data());
  for (std::size_t i = 0; i < rows; ++i) {
    double chain = 0.0;
    for (std::size_t j = 0; j < d; ++j) {
      const volatile double product = static_cast<double>(x[i * d + j]) * w[j];  // rounded apart from the sum
      chain += product;
    }
    ASSERT_EQ(margin[i], chain) << target << " rows " << rows << " d " << d << " row " << i;
  }
}

TEST(RowMargins, AreTheScalarChainOnEveryInstructionSet) {
  for (const std::int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    for (const std::size_t rows : {1, 7, 8, 16, 64, 67}) {
      for (const std::size_t d : {1, 3, 20, 33}) {
        expect_scalar_margins<double>(rows, d, hwy::TargetName(target));
        expect_scalar_margins<float>(rows, d, hwy::TargetName(target));
      }
    }
  }
  hwy::SetSupportedTargetsForTest(0);
}

TEST(Normals, HaveMeanZeroAndVarianceOne) {
  constexpr std::size_t kN = 200000;
  std::vector<double> z(kN);
  normals(stream_key(1, 2), 0, kN, z.data());
  double sum = 0, sum_sq = 0;
  for (const double v : z) {
    sum += v;
    sum_sq += v * v;
  }
  const double mean = sum / kN;
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(sum_sq / kN - mean * mean, 1.0, 0.015);
}

}  // namespace dsgd
