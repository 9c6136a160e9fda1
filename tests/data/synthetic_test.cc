#include "dsgd/data/synthetic.h"

#include <gtest/gtest.h>

#include "dsgd/error.h"

namespace dsgd {
namespace {

SyntheticSpec small_spec(DType dtype) {
  SyntheticSpec spec;
  spec.samples = 1000;
  spec.features = 7;  // odd, so Box-Muller pairs straddle rows
  spec.test_samples = 200;
  spec.dtype = dtype;
  spec.seed = 5;
  return spec;
}

class SyntheticByType : public ::testing::TestWithParam<DType> {};

TEST_P(SyntheticByType, RowsGeneratedAloneEqualTheSameRowsOfAFullGeneration) {
  const SyntheticSpec spec = small_spec(GetParam());
  const Dataset full = generate(spec, Split::kTrain, {0, spec.samples});
  for (const RowRange range : {RowRange{0, 1}, RowRange{333, 334}, RowRange{17, 600}, RowRange{999, 1000}}) {
    const Dataset part = generate(spec, Split::kTrain, range);
    EXPECT_EQ(part.first_row(), range.begin);
    full.visit_dense([&](const auto& f) {
      using T = std::remove_cv_t<std::remove_pointer_t<decltype(f.x)>>;
      const auto p = part.view<T>();
      for (std::size_t i = 0; i < range.size(); ++i) {
        EXPECT_EQ(p.y[i], f.y[range.begin + i]);
        for (std::size_t j = 0; j < spec.features; ++j) ASSERT_EQ(p.row(i)[j], f.row(range.begin + i)[j]);
      }
    });
  }
}

TEST_P(SyntheticByType, ParallelGenerationEqualsSerial) {
  const SyntheticSpec spec = small_spec(GetParam());
  const Dataset serial = generate(spec, Split::kTest, {0, spec.test_samples});
  const Dataset parallel = generate_parallel(spec, Split::kTest, 3);
  ASSERT_EQ(parallel.rows(), spec.test_samples);
  serial.visit_dense([&](const auto& s) {
    using T = std::remove_cv_t<std::remove_pointer_t<decltype(s.x)>>;
    const auto p = parallel.view<T>();
    for (std::size_t k = 0; k < s.rows * s.cols; ++k) ASSERT_EQ(p.x[k], s.x[k]);
    for (std::size_t i = 0; i < s.rows; ++i) ASSERT_EQ(p.y[i], s.y[i]);
  });
}

INSTANTIATE_TEST_SUITE_P(Dtypes, SyntheticByType, ::testing::Values(DType::kF64, DType::kF32));

TEST(Synthetic, LabelsAreTheSignOfTheTrueMarginWithoutNoise) {
  const SyntheticSpec spec = small_spec(DType::kF64);
  const Dataset data = generate(spec, Split::kTrain, {0, spec.samples});
  const std::vector<double> w = true_weights(spec);
  const auto v = data.view<double>();
  std::size_t positives = 0;
  for (std::size_t i = 0; i < v.rows; ++i) {
    double margin = 0;
    for (std::size_t j = 0; j < v.cols; ++j) margin += v.row(i)[j] * w[j];
    EXPECT_EQ(v.y[i], margin > 0 ? 1 : 0);
    positives += v.y[i];
  }
  EXPECT_GT(positives, 400U);  // both classes, roughly balanced
  EXPECT_LT(positives, 600U);
}

TEST(Synthetic, NoiseFlipsAboutTheRequestedShareOfLabels) {
  SyntheticSpec spec = small_spec(DType::kF64);
  spec.samples = 20000;
  const Dataset clean = generate(spec, Split::kTrain, {0, spec.samples});
  spec.noise = 0.1;
  const Dataset noisy = generate(spec, Split::kTrain, {0, spec.samples});
  std::size_t flipped = 0;
  for (std::size_t i = 0; i < spec.samples; ++i) flipped += clean.labels()[i] != noisy.labels()[i];
  EXPECT_NEAR(static_cast<double>(flipped) / static_cast<double>(spec.samples), 0.1, 0.01);
}

TEST(Synthetic, TestSplitDiffersFromTrainButSharesTheTrueWeights) {
  const SyntheticSpec spec = small_spec(DType::kF64);
  const Dataset train = generate(spec, Split::kTrain, {0, 10});
  const Dataset test = generate(spec, Split::kTest, {0, 10});
  EXPECT_NE(train.view<double>().x[0], test.view<double>().x[0]);
  SyntheticSpec other = spec;
  other.samples = 5;  // the true weights depend on the seed only
  EXPECT_EQ(true_weights(spec), true_weights(other));
  other.seed = 6;
  EXPECT_NE(true_weights(spec), true_weights(other));
}

TEST(Synthetic, RejectsImpossibleSpecs) {
  SyntheticSpec spec;
  spec.noise = 0.6;
  EXPECT_THROW(validate(spec), ConfigError);
  spec.noise = 0;
  spec.samples = 0;
  EXPECT_THROW(validate(spec), ConfigError);
}

}  // namespace
}  // namespace dsgd
