#include "dsgd/data/synthetic.h"
#include "dsgd/data/synthetic_fields.h"
#include "dsgd/base/error.h"

#include <gtest/gtest.h>

#include "dsgd/base/error.h"
#include "read_results.h"

#include <algorithm>
#include <vector>

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
  GenerationTimes times;
  const Dataset parallel = generate_parallel(spec, Split::kTest, 3, nullptr, &times);
  ASSERT_EQ(parallel.rows(), spec.test_samples);
  // The time is split and the storage counted: features and a label byte a row.
  const std::size_t bytes = spec.test_samples * (spec.features * size_of(spec.dtype) + 1);
  EXPECT_EQ(times.bytes, bytes);
  EXPECT_GT(times.rows_s, 0.0);
  const double rows_s = times.rows_s;
  (void)generate_parallel(spec, Split::kTrain, {10, 20}, 2, nullptr, &times);  // adds to the same times
  EXPECT_EQ(times.bytes, bytes + 10 * (spec.features * size_of(spec.dtype) + 1));
  EXPECT_GT(times.rows_s, rows_s);
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
  spec.samples = 10;
  spec.nnz = 21;  // more than the 20 features
  EXPECT_THROW(validate(spec), ConfigError);
  spec.nnz = 5;
  spec.features = kMaxSyntheticFeatures + 1;
  EXPECT_THROW(validate(spec), ConfigError);
  spec.features = 100;
  spec.zipf = -1;
  EXPECT_THROW(validate(spec), ConfigError);
}

SyntheticSpec sparse_spec(DType dtype, SparseValues values, double zipf) {
  SyntheticSpec spec;
  spec.samples = 3000;
  spec.features = 100'003;
  spec.test_samples = 500;
  spec.nnz = 13;
  spec.zipf = zipf;
  spec.values = values;
  spec.dtype = dtype;
  spec.seed = 11;
  return spec;
}

using testing_support::rows_of;

class SparseSynthetic : public ::testing::TestWithParam<std::tuple<DType, SparseValues>> {};

TEST_P(SparseSynthetic, RowsGeneratedAloneOrInParallelEqualAFullGeneration) {
  const auto [dtype, values] = GetParam();
  const SyntheticSpec spec = sparse_spec(dtype, values, 1.0);
  const Dataset full = generate(spec, Split::kTrain, {0, spec.samples});
  ASSERT_EQ(full.layout(), Layout::kSparse);
  ASSERT_EQ(full.values(), spec.samples * spec.nnz);
  const auto rows = [](const Dataset& d) { return rows_of(d); };
  const auto all = rows(full);
  for (const RowRange range : {RowRange{0, 1}, RowRange{1234, 1235}, RowRange{17, 2000}, RowRange{2999, 3000}}) {
    const Dataset part = generate(spec, Split::kTrain, range);
    EXPECT_EQ(part.first_row(), range.begin);
    const auto got = rows(part);
    for (std::size_t i = 0; i < range.size(); ++i) ASSERT_EQ(got[i], all[range.begin + i]) << "row " << range.begin + i;
  }
  GenerationTimes times;
  const Dataset parallel = generate_parallel(spec, Split::kTrain, 3, nullptr, &times);
  EXPECT_EQ(rows(parallel), all);
  EXPECT_EQ(times.bytes, parallel.feature_bytes() + spec.samples);  // the CSR arrays and the labels
  // Each row: nnz distinct ascending columns below d; values 1, or not all 1 (gaussian).
  bool all_ones = true;
  for (const auto& r : all) {
    ASSERT_EQ(r.size(), 1 + 2 * spec.nnz);
    for (std::size_t k = 1; k + 2 < r.size(); k += 2) ASSERT_LT(r[k], r[k + 2]);
    ASSERT_LT(r[r.size() - 2], static_cast<double>(spec.features));
    for (std::size_t k = 2; k < r.size(); k += 2) all_ones = all_ones && r[k] == 1.0;
  }
  EXPECT_EQ(all_ones, values == SparseValues::kBinary);
  // The test split shares nothing with training but the true weights.
  EXPECT_NE(rows(generate(spec, Split::kTest, {0, 1}))[0], all[0]);
}

INSTANTIATE_TEST_SUITE_P(TypesAndValues, SparseSynthetic,
                         ::testing::Combine(::testing::Values(DType::kF64, DType::kF32),
                                            ::testing::Values(SparseValues::kBinary, SparseValues::kGaussian)));

// Zipf's law: with exponent 1.2 a few columns carry much of the mass; with 0 none stands out.
TEST(SparseSynthetic, PopularityFollowsThePowerLaw) {
  for (const double zipf : {0.0, 1.2}) {
    const Dataset data = generate(sparse_spec(DType::kF64, SparseValues::kBinary, zipf), Split::kTrain, {0, 3000});
    std::vector<std::size_t> count(data.features(), 0);
    for (const std::uint32_t j : data.indices()) ++count[j];
    const std::size_t top = *std::max_element(count.begin(), count.end());
    const double uniform = 3000.0 * 13 / 100'003;  // 0.39 a column
    if (zipf == 0.0) {
      EXPECT_LE(top, 8U);
    } else {
      EXPECT_GE(static_cast<double>(top), 0.5 * 3000);  // the first rank: in about 2 rows of 3
      EXPECT_GE(static_cast<double>(top), 1000 * uniform);
    }
  }
}

// The labels come from the same model: the sign of x . w* with the shared true weights.
TEST(SparseSynthetic, LabelsAreTheSignOfTheTrueMargin) {
  SyntheticSpec spec = sparse_spec(DType::kF64, SparseValues::kGaussian, 0.8);
  spec.noise = 0;
  const Dataset data = generate(spec, Split::kTrain, {0, 500});
  const std::vector<double> w = true_weights(spec);
  const auto v = data.sparse_view<double>();
  for (std::size_t i = 0; i < v.rows; ++i) {
    double margin = 0;
    for (std::uint64_t k = v.offsets[i]; k < v.offsets[i + 1]; ++k) margin += v.value[k] * w[v.index[k]];
    ASSERT_EQ(v.y[i], margin > 0 ? 1 : 0) << "row " << i;
  }
}

// Every synthetic-data setting reads back the text it writes, and refuses what is not its kind.
TEST(SyntheticFields, EverySettingRoundTripsItsText) {
  SyntheticSpec spec;
  spec.samples = 1234;
  spec.features = 56;
  spec.test_samples = 78;
  spec.noise = 0.1;
  spec.seed = 18446744073709551615ULL;
  spec.dtype = DType::kF32;
  spec.nnz = 9;
  spec.zipf = 1.25;
  spec.values = SparseValues::kGaussian;
  SyntheticSpec copy;
  for (const SyntheticField& f : synthetic_fields()) set_synthetic(copy, f.name, f.text(spec));
  EXPECT_EQ(to_json(copy), to_json(spec));
  EXPECT_EQ(to_json(spec).size(), synthetic_fields().size());
  EXPECT_EQ(to_json(spec)["dtype"], "f32");
  EXPECT_EQ(to_json(spec)["seed"], 18446744073709551615ULL);
  const auto refusal = [](std::string_view name, std::string_view text) {
    SyntheticSpec s;
    try {
      set_synthetic(s, name, text);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(refusal("samples", "-1"), "samples: '-1' is not a count");
  EXPECT_EQ(refusal("samples", "1.5"), "samples: '1.5' is not a count");
  EXPECT_EQ(refusal("noise", "x"), "noise: 'x' is not a number");
  EXPECT_EQ(refusal("noise", "inf"), "noise: 'inf' is not a number");
  EXPECT_EQ(refusal("dtype", "f16"), "dtype: 'f16' is not f32 or f64");
  EXPECT_EQ(refusal("values", "ones"), "values: 'ones' is not binary or gaussian");
  EXPECT_EQ(refusal("colour", "red"), "no synthetic-data setting 'colour'");
  EXPECT_EQ(find_synthetic_field("zipf")->sparse_only, true);
}

}  // namespace
}  // namespace dsgd
