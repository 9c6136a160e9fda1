#include "dsgd/train/loop/trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "dsgd/comm/thread_comm.h"
#include "dsgd/data/synthetic.h"
#include "dsgd/base/error.h"
#include "dsgd/model/kernel.h"
#include "dsgd/model/logistic.h"
#include "dsgd/model/metrics.h"
#include "dsgd/train/loop/run.h"

namespace dsgd {
namespace {

SyntheticSpec spec_of(std::size_t samples, std::size_t features, DType dtype = DType::kF64) {
  SyntheticSpec spec;
  spec.samples = samples;
  spec.features = features;
  spec.test_samples = samples / 5;
  spec.noise = 0.05;
  spec.dtype = dtype;
  spec.seed = 42;
  return spec;
}

TrainConfig config_of(int workers, std::size_t batch, std::size_t epochs = 3) {
  TrainConfig c;
  c.workers = workers;
  c.batch = batch;
  c.epochs = epochs;
  c.lr = 0.5;
  return c;
}

// The sequential algorithm written out plainly (no communicator, no threads): what one worker
// must reproduce bit for bit.
std::vector<double> sequential_reference(const Dataset& data, const TrainConfig& c) {
  const auto v = data.view<double>();
  std::vector<double> w(v.cols, 0.0), grad(v.cols);
  double bias = 0;
  const std::size_t steps = (v.rows + c.batch - 1) / c.batch;
  for (std::size_t epoch = 0; epoch < c.epochs; ++epoch) {
    for (std::size_t s = 0; s < steps; ++s) {
      const std::size_t begin = s * c.batch, end = std::min(v.rows, begin + c.batch);
      std::fill(grad.begin(), grad.end(), 0.0);
      PassSums sums;
      accumulate_gradient(v.slice(begin, end), nullptr, end - begin, w, bias, grad, sums);
      const double scale = c.lr / static_cast<double>(end - begin);
      for (std::size_t j = 0; j < v.cols; ++j) w[j] -= scale * grad[j];
      bias -= scale * sums.residual;
    }
  }
  w.push_back(bias);
  return w;
}

TEST(Trainer, OneWorkerIsBitForBitTheSequentialAlgorithm) {
  const Dataset data = generate_parallel(spec_of(10007, 20), Split::kTrain, 2);
  const TrainConfig c = config_of(1, 512);  // 20 steps per epoch, the last one short
  const RunResult run = train_on_threads(c, data);
  std::vector<double> weights_and_bias = run.model.weights;
  weights_and_bias.push_back(run.model.bias);
  EXPECT_EQ(weights_and_bias, sequential_reference(data, c));
  EXPECT_EQ(run.steps, 3U * 20U);
}

class Determinism : public ::testing::TestWithParam<std::tuple<int, bool, DType>> {};

TEST_P(Determinism, SameSeedAndWorkersGiveTheSameBitsRunToRun) {
  const auto [workers, shuffle, dtype] = GetParam();
  const Dataset data = generate_parallel(spec_of(20011, 9, dtype), Split::kTrain, 2);
  TrainConfig c = config_of(workers, 700);
  c.shuffle = shuffle;
  const RunResult first = train_on_threads(c, data);
  for (int again = 0; again < 3; ++again) EXPECT_EQ(train_on_threads(c, data).model.weights, first.model.weights);
  c.seed += 1;  // the shuffle depends on the seed; without shuffle nothing does
  EXPECT_EQ(train_on_threads(c, data).model.weights == first.model.weights, !shuffle);
}

INSTANTIATE_TEST_SUITE_P(Workers, Determinism,
                         ::testing::Combine(::testing::Values(2, 3, 4), ::testing::Bool(),
                                            ::testing::Values(DType::kF64, DType::kF32)));

TEST(Trainer, AllWorkersEndWithIdenticalWeights) {
  const Dataset data = generate_parallel(spec_of(5003, 6), Split::kTrain, 2);
  std::vector<std::vector<double>> weights(3);
  const TrainConfig c = config_of(3, 256);
  run_threads(3, [&](Communicator& comm) {
    const auto rank = static_cast<std::size_t>(comm.rank());
    weights[rank] = train_worker(c, {{&data, shard_range(data.rows(), 3, rank)}, {}, nullptr}, comm).model.weights;
  });
  EXPECT_EQ(weights[0], weights[1]);
  EXPECT_EQ(weights[0], weights[2]);
}

// One step over all rows: 1,000,003 rows on 3 uneven shards, each worker's batch its whole
// shard. From w = 0 the update is the full-batch gradient step, computed here by hand.
TEST(Trainer, UnevenShardsGiveTheHandComputedLargeBatchStep) {
  const Dataset data = generate_parallel(spec_of(1'000'003, 5), Split::kTrain, 2);
  TrainConfig c = config_of(3, 333'335, 1);
  c.warmup_epochs = 0;  // the first step runs at lr x workers
  c.bias = false;
  const RunResult run = train_on_threads(c, data);
  ASSERT_EQ(run.steps, 1U);
  const auto v = data.view<double>();
  std::vector<long double> sum(5, 0.0L);
  for (std::size_t i = 0; i < v.rows; ++i) {
    const long double r = 0.5L - v.y[i];  // sigmoid(0) - y
    for (std::size_t j = 0; j < 5; ++j) sum[j] += r * v.row(i)[j];
  }
  for (std::size_t j = 0; j < 5; ++j) {
    const double expected = static_cast<double>(-(0.5L * 3) * sum[j] / 1'000'003.0L);
    EXPECT_NEAR(run.model.weights[j], expected, 1e-12 * std::abs(expected) + 1e-15) << "j = " << j;
  }
}

// Ten rows, three workers (shards of 4, 3, 3), batch 2: the second step reduces 2 + 1 + 1 rows
// and must weigh each of the four rows alike (the seed averaged per-worker means instead).
TEST(Trainer, ShortLastBatchesAreWeightedByTheirRowCounts) {
  const Dataset data = generate_parallel(spec_of(10, 3), Split::kTrain, 1);
  TrainConfig c = config_of(3, 2, 1);
  c.warmup_epochs = 0;
  c.bias = false;
  const RunResult run = train_on_threads(c, data);
  ASSERT_EQ(run.steps, 2U);
  const auto v = data.view<double>();
  const std::vector<std::vector<std::size_t>> steps = {{0, 1, 4, 5, 7, 8}, {2, 3, 6, 9}};
  std::vector<double> w(3, 0.0);
  for (const auto& rows : steps) {
    std::vector<double> g(3, 0.0);
    for (std::size_t i : rows) {
      double z = 0;
      for (std::size_t j = 0; j < 3; ++j) z += v.row(i)[j] * w[j];
      for (std::size_t j = 0; j < 3; ++j) g[j] += (sigmoid(z) - v.y[i]) * v.row(i)[j];
    }
    for (std::size_t j = 0; j < 3; ++j) w[j] -= 0.5 * 3 * g[j] / static_cast<double>(rows.size());
  }
  for (std::size_t j = 0; j < 3; ++j) EXPECT_NEAR(run.model.weights[j], w[j], 1e-14);
}

TEST(Trainer, MoreWorkersThanRowsFinishes) {
  const Dataset data = generate_parallel(spec_of(2, 4), Split::kTrain, 1);
  const RunResult run = train_on_threads(config_of(4, 8, 2), data);
  EXPECT_EQ(run.steps, 2U);
  EXPECT_EQ(run.model.weights.size(), 4U);
  EXPECT_NE(run.model.weights, std::vector<double>(4, 0.0));
}

// A rate that overflows the weights stops the run at the step it happens, on every worker alike,
// with the epoch, the step and a hint; no hang, no model. Dense and sparse, 1 and 3 workers.
TEST(Trainer, NonFiniteNumbersStopTrainingAtOnce) {
  for (const int workers : {1, 3}) {
    for (const bool sparse : {false, true}) {
      SyntheticSpec spec = spec_of(3000, 8);
      if (sparse) {
        spec.features = 3000;
        spec.nnz = 10;
      }
      const Dataset data = generate_parallel(spec, Split::kTrain, 2);
      TrainConfig c = config_of(workers, 100, 3);
      c.lr = 1e308 / workers;
      try {
        (void)train_on_threads(c, data);
        ADD_FAILURE() << "trained to the end at lr " << c.lr;
      } catch (const DivergedError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("epoch "), std::string::npos) << what;
        EXPECT_NE(what.find(", step "), std::string::npos) << what;
        EXPECT_NE(what.find("not finite"), std::string::npos) << what;
        EXPECT_NE(what.find("lower lr, or scale the features (scale maxabs"), std::string::npos) << what;
        EXPECT_NE(e.named([](std::string_view f) { return "--" + std::string(f); }).find("lower --lr"), std::string::npos);
      }
    }
  }
  TrainConfig c = config_of(2, 100, 3);
  c.lr = 1e308;  // x 2 workers overflows before a step
  EXPECT_THROW(c.validate(), ConfigError);
}

TEST(Trainer, ReportsEveryEpochOnRankZeroOnly) {
  const Dataset data = generate_parallel(spec_of(4000, 5), Split::kTrain, 2);
  std::vector<EpochProgress> seen;
  const RunResult run = train_on_threads(config_of(2, 100, 4), data, [&](const EpochProgress& p) { seen.push_back(p); });
  ASSERT_EQ(seen.size(), 4U);
  for (std::size_t e = 0; e < 4; ++e) EXPECT_EQ(seen[e].epoch, e + 1);
  EXPECT_LT(seen.back().loss, seen.front().loss);
  EXPECT_DOUBLE_EQ(seen.back().lr, 0.5 * 2);
  EXPECT_EQ(run.per_worker.size(), 2U);
  EXPECT_EQ(run.per_worker[0].syncs, run.steps);
}

// The seed experiment at a tenth of its size: 100,000 x 20, 8 epochs, batch 8192, lr 0.1.
TEST(Trainer, SeedExperimentAtReducedSizeReachesHeldOutAccuracy) {
  SyntheticSpec spec = spec_of(100'000, 20);
  spec.noise = 0;
  const Dataset train = generate_parallel(spec, Split::kTrain, 2);
  const Dataset test = generate_parallel(spec, Split::kTest, 2);
  TrainConfig c = config_of(1, 8192, 8);
  c.lr = 0.1;
  const Metrics sequential = evaluate(test, train_on_threads(c, train).model);
  c.workers = 2;
  const Metrics parallel = evaluate(test, train_on_threads(c, train).model);
  EXPECT_GE(sequential.accuracy, 0.99);
  EXPECT_GE(parallel.accuracy, 0.99);
}

TEST(Trainer, RejectsAMismatchedCommunicatorAndBadConfigs) {
  const Dataset data = generate_parallel(spec_of(100, 2), Split::kTrain, 1);
  EXPECT_THROW(run_threads(2, [&](Communicator& comm) {
                 (void)train_worker(config_of(3, 10), {{&data, {0, 50}}, {}, nullptr}, comm);
               }),
               ConfigError);
  TrainConfig bad = config_of(1, 10);
  bad.lr = -1;
  EXPECT_THROW((void)train_on_threads(bad, data), ConfigError);
  bad = config_of(1, 0);
  EXPECT_THROW((void)train_on_threads(bad, data), ConfigError);
}

}  // namespace
}  // namespace dsgd
