// Sample weights: a row of weight k trains as the row written k times (0: as the row left
// out), in steps over all rows at once, on dense and sparse data, f32 and f64, every exchange
// and worker count; and unweighted data keeps its bits when weights of 1 are attached.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "dsgd/data/synthetic.h"
#include "dsgd/model/kernel.h"
#include "dsgd/train/loop/run.h"

namespace dsgd {
namespace {

// The rows' weights of these tests: 2, 0 or 3 for some rows, 1 for the rest.
double weight_of(std::size_t row) {
  if (row % 7 == 3) return 2.0;
  if (row % 11 == 5) return 0.0;
  if (row % 13 == 1) return 3.0;
  return 1.0;
}

// `data` (f64) in `layout` and `dtype`, each row written weight_of(row) times (duplicated) or
// once with that weight (not duplicated).
Dataset reweighted(const Dataset& data, Layout layout, DType dtype, bool duplicated) {
  const Dataset csr = to_layout(data, Layout::kSparse);
  const auto offsets = csr.offsets();
  const auto index = csr.indices();
  const auto value = csr.features_as<double>();
  std::vector<std::size_t> copies;  // source row of each output row
  for (std::size_t i = 0; i < csr.rows(); ++i) {
    const auto times = static_cast<std::size_t>(duplicated ? weight_of(i) : 1.0);
    for (std::size_t t = 0; t < times; ++t) copies.push_back(i);
  }
  std::size_t nonzeros = 0;
  for (const std::size_t i : copies) nonzeros += offsets[i + 1] - offsets[i];
  Dataset out = layout == Layout::kSparse ? Dataset::sparse(dtype, copies.size(), csr.features(), nonzeros)
                                          : Dataset(dtype, copies.size(), csr.features());
  std::size_t at = 0;
  for (std::size_t r = 0; r < copies.size(); ++r) {
    const std::size_t i = copies[r];
    put_csr_rows(out, r, 1, at, &offsets[i], index.data(), value.data());
    at += offsets[i + 1] - offsets[i];
    out.labels()[r] = csr.labels()[i];
  }
  if (!duplicated) {
    auto w = out.add_sample_weights();
    for (std::size_t r = 0; r < out.rows(); ++r) w[r] = weight_of(r);
  }
  return out;
}

std::vector<double> weights_and_bias(const RunResult& run) {
  std::vector<double> w = run.model.weights;
  w.push_back(run.model.bias);
  return w;
}

void expect_close(const std::vector<double>& a, const std::vector<double>& b) {
  ASSERT_EQ(a.size(), b.size());
  double scale = 0;
  for (const double v : a) scale = std::max(scale, std::abs(v));
  ASSERT_GT(scale, 0.01);  // the model moved
  for (std::size_t j = 0; j < a.size(); ++j) EXPECT_NEAR(a[j], b[j], 1e-11 * scale) << "coordinate " << j;
}

SyntheticSpec spec_of(bool sparse) {
  SyntheticSpec spec;
  spec.samples = 600;
  spec.features = sparse ? 400 : 12;
  spec.test_samples = 0;
  spec.noise = 0.1;
  spec.nnz = sparse ? 7 : 0;
  spec.seed = 11;
  return spec;
}

struct Case {
  bool sparse;
  DType dtype;
  int workers;
  ExchangeMode exchange;
  Optimizer optimizer;
  Scaling scale;
};

class WeightTwoIsTheRowTwice : public ::testing::TestWithParam<Case> {};

TEST_P(WeightTwoIsTheRowTwice, InFullBatchSteps) {
  const Case c = GetParam();
  const Dataset source = generate_parallel(spec_of(c.sparse), Split::kTrain, 2);
  const Layout layout = c.sparse ? Layout::kSparse : Layout::kDense;
  const Dataset weighted = reweighted(source, layout, c.dtype, false);
  const Dataset duplicated = reweighted(source, layout, c.dtype, true);
  ASSERT_GT(duplicated.rows(), weighted.rows());
  TrainConfig config;
  config.workers = c.workers;
  config.batch = duplicated.rows();  // every worker's whole shard in each step
  config.epochs = 4;
  config.lr = 0.5;
  config.l2 = 1e-3;
  config.shuffle = true;
  config.exchange = c.exchange;
  config.optimizer = c.optimizer;
  config.scale = c.scale;
  const RunResult a = train_on_threads(config, weighted);
  const RunResult b = train_on_threads(config, duplicated);
  expect_close(weights_and_bias(a), weights_and_bias(b));
  ASSERT_EQ(a.epochs.size(), b.epochs.size());
  for (std::size_t e = 0; e < a.epochs.size(); ++e) {
    EXPECT_NEAR(a.epochs[e].loss, b.epochs[e].loss, 1e-11) << "epoch " << e;
    EXPECT_NEAR(a.epochs[e].accuracy, b.epochs[e].accuracy, 1e-12) << "epoch " << e;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Backends, WeightTwoIsTheRowTwice,
    ::testing::Values(Case{false, DType::kF64, 1, ExchangeMode::kAuto, Optimizer::kSgd, Scaling::kNone},
                      Case{false, DType::kF64, 2, ExchangeMode::kAuto, Optimizer::kSgd, Scaling::kStandardize},
                      Case{false, DType::kF32, 3, ExchangeMode::kAuto, Optimizer::kAdagrad, Scaling::kNone},
                      Case{true, DType::kF64, 1, ExchangeMode::kSparse, Optimizer::kSgd, Scaling::kNone},
                      Case{true, DType::kF64, 2, ExchangeMode::kDense, Optimizer::kSgd, Scaling::kNone},
                      Case{true, DType::kF64, 2, ExchangeMode::kSparse, Optimizer::kAdagrad, Scaling::kMaxAbs},
                      Case{true, DType::kF32, 3, ExchangeMode::kShared, Optimizer::kSgd, Scaling::kNone},
                      Case{true, DType::kF32, 2, ExchangeMode::kShared, Optimizer::kAdagrad, Scaling::kNone}));

// Weights of 1 change no bit: the weighted kernels' products and sums by 1 are exact.
TEST(SampleWeights, WeightsOfOneKeepTheBits) {
  for (const bool sparse : {false, true}) {
    const Dataset plain = generate_parallel(spec_of(sparse), Split::kTrain, 2);
    Dataset ones = to_layout(plain, plain.layout());
    (void)ones.add_sample_weights();
    TrainConfig config;
    config.workers = 2;
    config.batch = 50;
    config.epochs = 3;
    config.shuffle = true;
    const std::vector<double> a = weights_and_bias(train_on_threads(config, plain));
    const std::vector<double> b = weights_and_bias(train_on_threads(config, ones));
    EXPECT_EQ(a, b) << (sparse ? "sparse" : "dense");
  }
}

// The kernel: each sum of a weighted pass is the weighted sum of the rows' own figures.
TEST(SampleWeights, KernelSumsAreWeighted) {
  const Dataset data = reweighted(generate_parallel(spec_of(false), Split::kTrain, 2), Layout::kDense, DType::kF64, false);
  const auto view = data.view<double>();
  std::vector<double> w(view.cols, 0.05);
  PassSums sums;
  std::vector<double> grad(view.cols, 0.0);
  accumulate_gradient(view, nullptr, view.rows, w, 0.1, grad, sums);
  PassSums expected;
  std::vector<double> expected_grad(view.cols, 0.0);
  for (std::size_t i = 0; i < view.rows; ++i) {
    PassSums one;
    std::vector<double> g(view.cols, 0.0);
    auto row = view.slice(i, i + 1);
    row.sample_weight = nullptr;
    accumulate_gradient(row, nullptr, 1, w, 0.1, g, one);
    const double c = weight_of(i);
    expected.count += c;
    expected.loss += c * one.loss;
    expected.correct += c * one.correct;
    expected.residual += c * one.residual;
    for (std::size_t j = 0; j < view.cols; ++j) expected_grad[j] += c * g[j];
  }
  EXPECT_DOUBLE_EQ(sums.count, expected.count);
  EXPECT_NEAR(sums.loss, expected.loss, 1e-10 * expected.loss);
  EXPECT_DOUBLE_EQ(sums.correct, expected.correct);
  EXPECT_NEAR(sums.residual, expected.residual, 1e-10);
  for (std::size_t j = 0; j < view.cols; ++j) EXPECT_NEAR(grad[j], expected_grad[j], 1e-10) << j;
}

}  // namespace
}  // namespace dsgd
