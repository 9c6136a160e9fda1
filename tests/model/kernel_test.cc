#include "dsgd/model/kernel.h"

#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "dsgd/data/synthetic.h"
#include "dsgd/model/logistic.h"
#include "dsgd/model/metrics.h"

namespace dsgd {
namespace {

Dataset make(DType dtype, std::size_t rows, std::size_t features, double noise = 0.1) {
  SyntheticSpec spec;
  spec.samples = rows;
  spec.features = features;
  spec.noise = noise;
  spec.dtype = dtype;
  spec.seed = 11;
  return generate(spec, Split::kTrain, {0, rows});
}

std::vector<double> some_weights(std::size_t d, double scale) {
  std::vector<double> w(d);
  for (std::size_t j = 0; j < d; ++j) w[j] = scale * (static_cast<double>(j % 5) - 2.0) / 3.0;
  return w;
}

// The data with about a third of its values set to zero, in `layout`.
Dataset thinned(const Dataset& dense, Layout layout) {
  Dataset out = to_layout(dense, Layout::kDense);
  const auto zero_every_third = [](auto values) {
    for (std::size_t k = 0; k < values.size(); k += 3) values[k] = 0;
  };
  if (out.dtype() == DType::kF32) {
    zero_every_third(out.features_as<float>());
  } else {
    zero_every_third(out.features_as<double>());
  }
  return to_layout(out, layout);
}

constexpr double kBias = -0.3;

// Scalar reference of the fused pass, straight from the definitions (on the dense copy); with
// `weights` (one a row), row i weighs weights[i].
void reference(const Dataset& data, const std::vector<double>& w, double bias, std::vector<double>& grad,
               PassSums& sums, const std::vector<double>& weights = {}) {
  const Dataset dense = to_layout(data, Layout::kDense);
  dense.visit_dense([&](const auto& v) {
    for (std::size_t i = 0; i < v.rows; ++i) {
      const double c = weights.empty() ? 1.0 : weights[i];
      double z = bias;
      for (std::size_t j = 0; j < v.cols; ++j) z += static_cast<double>(v.row(i)[j]) * w[j];
      const double r = c * (sigmoid(z) - v.y[i]);
      for (std::size_t j = 0; j < v.cols; ++j) grad[j] += r * static_cast<double>(v.row(i)[j]);
      sums.count += c;
      sums.loss += c * log_loss(z, v.y[i] != 0);
      sums.correct += c * static_cast<double>((z > 0) == (v.y[i] != 0));
      sums.residual += r;
    }
  });
}

// Row weights 0, 0.5, 1, 0, 0.5, ... (a weight of 0 leaves the row out).
std::vector<double> some_row_weights(std::size_t rows) {
  std::vector<double> c(rows);
  for (std::size_t i = 0; i < rows; ++i) c[i] = 0.5 * static_cast<double>(i % 3);
  return c;
}

struct Shape {
  DType dtype;
  std::size_t rows;
  std::size_t features;
  Layout layout = Layout::kDense;
};

Dataset make(const Shape& s) {
  const Dataset dense = make(s.dtype, s.rows, s.features);
  return s.layout == Layout::kDense ? to_layout(dense, Layout::kDense) : thinned(dense, Layout::kSparse);
}

class KernelShapes : public ::testing::TestWithParam<Shape> {};

// Shapes that exercise every path: 1..4 vectors (the small-d path), a tail of 1 lane, many
// vectors (the general path), and row counts that end mid-block and mid-vector.
INSTANTIATE_TEST_SUITE_P(
    All, KernelShapes,
    ::testing::Values(Shape{DType::kF64, 1, 1}, Shape{DType::kF64, 200, 7}, Shape{DType::kF64, 129, 8},
                      Shape{DType::kF64, 300, 20}, Shape{DType::kF64, 133, 13}, Shape{DType::kF64, 67, 32},
                      Shape{DType::kF64, 77, 33}, Shape{DType::kF64, 70, 100},
                      Shape{DType::kF32, 1, 1}, Shape{DType::kF32, 200, 9}, Shape{DType::kF32, 300, 20},
                      Shape{DType::kF32, 65, 100}, Shape{DType::kF64, 1, 1, Layout::kSparse},
                      Shape{DType::kF64, 300, 20, Layout::kSparse}, Shape{DType::kF64, 70, 100, Layout::kSparse},
                      Shape{DType::kF32, 129, 33, Layout::kSparse}));

// The pass against the scalar reference, with row weights or without.
void expect_scalar_definition(const Shape& s, const char* target, bool weighted = false) {
  SCOPED_TRACE(std::string(target) + (weighted ? ", weighted rows" : ""));
  const Dataset data = make(s);
  const std::vector<double> w = some_weights(s.features, 0.7);
  const std::vector<double> row_weights = weighted ? some_row_weights(s.rows) : std::vector<double>{};
  std::vector<double> grad(s.features, 1.0), expected(s.features, 1.0);  // accumulates onto what is there
  PassSums sums, expected_sums;
  data.visit([&](const auto& v) {
    auto view = v;
    if (weighted) view.sample_weight = row_weights.data();
    accumulate_gradient(view, nullptr, view.rows, w, kBias, grad, sums);
  });
  reference(data, w, kBias, expected, expected_sums, row_weights);
  EXPECT_EQ(sums.count, expected_sums.count);
  EXPECT_EQ(sums.correct, expected_sums.correct);
  EXPECT_NEAR(sums.loss, expected_sums.loss, 1e-12 * expected_sums.loss);
  EXPECT_NEAR(sums.residual, expected_sums.residual, 1e-11);
  for (std::size_t j = 0; j < s.features; ++j) EXPECT_NEAR(grad[j], expected[j], 1e-11) << "j = " << j;
}

TEST_P(KernelShapes, MatchesTheScalarDefinition) {
  expect_scalar_definition(GetParam(), "the best instruction set");
  expect_scalar_definition(GetParam(), "the best instruction set", /*weighted=*/true);
}

// The loss-only pass gives the gradient pass's loss and hits, bit for bit.
void expect_loss_pass_agrees(const Shape& s) {
  const Dataset data = make(s);
  const std::vector<double> w = some_weights(s.features, 1.1);
  std::vector<double> grad(s.features);
  PassSums with_gradient, loss_only;
  std::vector<double> z(s.rows);
  data.visit([&](const auto& v) {
    accumulate_gradient(v, nullptr, v.rows, w, kBias, grad, with_gradient);
    accumulate_loss(v, w, kBias, loss_only);
    compute_scores(v, w, kBias, z);
  });
  EXPECT_EQ(with_gradient.loss, loss_only.loss);
  EXPECT_EQ(with_gradient.correct, loss_only.correct);
  double correct = 0;
  for (std::size_t i = 0; i < s.rows; ++i) correct += (z[i] > 0) == (data.labels()[i] != 0);
  EXPECT_EQ(correct, loss_only.correct);
}

// Each instruction set has its own code for the small rows' scores (a transposing reduction on
// AVX2 and AVX-512, one reduction a row elsewhere) and for a row's tail (a masked load from
// AVX2 on, a copy below): each must score every row as its own, weighted or not.
TEST_P(KernelShapes, MatchesTheScalarDefinitionOnEveryInstructionSet) {
  for (const std::int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    expect_scalar_definition(GetParam(), hwy::TargetName(target));
    expect_scalar_definition(GetParam(), hwy::TargetName(target), /*weighted=*/true);
    SCOPED_TRACE(hwy::TargetName(target));
    expect_loss_pass_agrees(GetParam());
  }
  hwy::SetSupportedTargetsForTest(0);
}

TEST_P(KernelShapes, IndexedRowsEqualTheSameRowsInOrder) {
  const Shape s = GetParam();
  const Dataset data = make(s);
  const std::vector<double> w = some_weights(s.features, 0.3);
  std::vector<std::uint32_t> index(s.rows);
  std::iota(index.begin(), index.end(), 0U);
  std::vector<double> in_order(s.features), indexed(s.features);
  PassSums a, b;
  data.visit([&](const auto& v) {
    accumulate_gradient(v, nullptr, v.rows, w, kBias, in_order, a);
    accumulate_gradient(v, index.data(), v.rows, w, kBias, indexed, b);
  });
  EXPECT_EQ(in_order, indexed);
  EXPECT_EQ(a.loss, b.loss);
}

TEST_P(KernelShapes, LossPassAgreesWithTheGradientPass) { expect_loss_pass_agrees(GetParam()); }

// Sparse storage of the same values gives the dense pass's sums (up to the order of the dot
// products' additions).
TEST(Kernel, SparseAndDenseStorageAgree) {
  const Dataset dense = thinned(make(DType::kF64, 333, 45), Layout::kDense);
  const Dataset sparse = to_layout(dense, Layout::kSparse);
  ASSERT_LT(sparse.values(), dense.values());
  const std::vector<double> w = some_weights(45, 0.5);
  std::vector<double> g_dense(45), g_sparse(45);
  PassSums a, b;
  accumulate_gradient(dense.view<double>(), nullptr, 333, w, 0.2, g_dense, a);
  accumulate_gradient(sparse.sparse_view<double>(), nullptr, 333, w, 0.2, g_sparse, b);
  EXPECT_EQ(a.correct, b.correct);
  EXPECT_NEAR(a.loss, b.loss, 1e-12 * a.loss);
  for (std::size_t j = 0; j < 45; ++j) EXPECT_NEAR(g_dense[j], g_sparse[j], 1e-11);
}

// The pairs pass (weights and gradient interleaved, columns marked) gives the plain sparse pass's
// bits with a weight scale of 1, and w_scale * w's with another; it marks exactly the columns
// the rows hold, also for shuffled row orders.
TEST(Kernel, InterleavedPairsGiveThePlainSparsePassAndMarkTheirColumns) {
  for (const DType dtype : {DType::kF64, DType::kF32}) {
    const Dataset sparse = thinned(make(dtype, 301, 70), Layout::kSparse);
    std::vector<std::uint32_t> rows = {5, 300, 17, 17, 2};
    for (const double scale : {1.0, 0.25}) {
      std::vector<double> w = some_weights(70, 0.5), plain(70, 0.0), pairs(140, 0.0);
      for (std::size_t j = 0; j < 70; ++j) pairs[2 * j] = w[j];
      std::vector<double> scaled_w = w;
      for (double& x : scaled_w) x *= scale;
      TouchedSet touched(70);
      PassSums a, b;
      sparse.visit([&](const auto& v) {
        if constexpr (requires { v.offsets; }) {
          accumulate_gradient(v, rows.data(), rows.size(), scaled_w, kBias, plain, a);
          accumulate_gradient_pairs(v, rows.data(), rows.size(), pairs, 2, 1, scale, kBias, touched, b);
        }
      });
      EXPECT_EQ(a.loss, b.loss);
      EXPECT_EQ(a.residual, b.residual);
      std::vector<std::uint32_t> expected;
      sparse.visit([&](const auto& v) {
        if constexpr (requires { v.offsets; }) {
          for (const std::uint32_t r : rows)
            for (std::uint64_t k = v.offsets[r]; k < v.offsets[r + 1]; ++k) expected.push_back(v.index[k]);
        }
      });
      std::sort(expected.begin(), expected.end());
      expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
      EXPECT_EQ(touched.count(), expected.size());
      std::vector<std::uint32_t> marked;
      touched.drain([&](std::uint32_t j) { marked.push_back(j); });
      EXPECT_EQ(marked, expected);  // ascending, each once
      EXPECT_EQ(touched.count(), 0U);
      for (std::size_t j = 0; j < 70; ++j) {
        EXPECT_EQ(pairs[2 * j + 1], plain[j]) << "j = " << j;
        EXPECT_EQ(pairs[2 * j], w[j]);  // the weights are only read
      }
    }
  }
}

TEST(TouchedSet, ListsItsMembersInAscendingOrderAcrossWords) {
  TouchedSet set(1'000'003);
  const std::vector<std::uint32_t> members = {1'000'002, 0, 63, 64, 4095, 4096, 4097, 500'000, 63};
  for (const std::uint32_t j : members) set.mark(j);
  EXPECT_TRUE(set.contains(4096));
  EXPECT_FALSE(set.contains(4098));
  set.mark(64);  // again: no second member
  EXPECT_FALSE(set.contains(65));
  set.mark(65);
  EXPECT_TRUE(set.contains(65));
  EXPECT_EQ(set.count(), 9U);
  std::vector<std::uint32_t> seen;
  set.for_each([&](std::uint32_t j) { seen.push_back(j); });
  EXPECT_EQ(seen, (std::vector<std::uint32_t>{0, 63, 64, 65, 4095, 4096, 4097, 500'000, 1'000'002}));
  set.clear_all();
  EXPECT_EQ(set.count(), 0U);
  set.for_each([&](std::uint32_t) { ADD_FAILURE() << "a cleared set has members"; });
}

// The gradient of the summed log-loss against central finite differences of the loss pass.
TEST(Kernel, GradientMatchesFiniteDifferences) {
  const Dataset data = make(DType::kF64, 500, 13);
  std::vector<double> w = some_weights(13, 0.4);
  std::vector<double> grad(13);
  PassSums sums;
  accumulate_gradient(data.view<double>(), nullptr, 500, w, kBias, grad, sums);
  const auto loss_at = [&](const std::vector<double>& at, double bias = kBias) {
    PassSums s;
    accumulate_loss(data.view<double>(), at, bias, s);
    return s.loss;
  };
  constexpr double kH = 1e-5;
  for (std::size_t j = 0; j < w.size(); ++j) {
    std::vector<double> plus = w, minus = w;
    plus[j] += kH;
    minus[j] -= kH;
    const double numeric = (loss_at(plus) - loss_at(minus)) / (2 * kH);
    EXPECT_NEAR(grad[j], numeric, 1e-5 * std::max(1.0, std::abs(numeric))) << "j = " << j;
  }
  const double numeric_bias = (loss_at(w, kBias + kH) - loss_at(w, kBias - kH)) / (2 * kH);
  EXPECT_NEAR(sums.residual, numeric_bias, 1e-5 * std::max(1.0, std::abs(numeric_bias)));
}

TEST(Kernel, StaysFiniteAtExtremeScores) {
  Dataset data(DType::kF64, 4, 2);
  auto x = data.features_as<double>();
  // z = +-1000 and +-1e300 with both labels.
  const double values[] = {1000, 0, -1000, 0, 1e300, 0, -1e300, 0};
  std::copy(std::begin(values), std::end(values), x.begin());
  const std::uint8_t labels[] = {0, 1, 1, 0};
  std::copy(std::begin(labels), std::end(labels), data.labels().begin());
  const std::vector<double> w = {1.0, 0.0};
  std::vector<double> grad(2);
  PassSums sums;
  accumulate_gradient(data.view<double>(), nullptr, 4, w, 0.0, grad, sums);
  EXPECT_TRUE(std::isfinite(sums.loss));
  EXPECT_NEAR(sums.loss, 2000.0, 1e-9);  // the two 1e300 rows are right: loss 0; the others 1000 each
  EXPECT_EQ(sums.correct, 2.0);
  // residuals 1, -1, 0, 0: gradient = 1 * 1000 + (-1) * (-1000).
  EXPECT_EQ(grad[0], 2000.0);
  const Metrics m = evaluate(data, LinearModel{w, 0.0, {}});
  EXPECT_EQ(m.accuracy, 0.5);
  EXPECT_NEAR(m.log_loss, 500.0, 1e-9);
}

}  // namespace
}  // namespace dsgd
