// Local SGD (--sync-every): between averages each worker is a sequential SGD of its own rows;
// an average is the mean of the workers' models, bit for bit; one worker ignores it; the
// averaged run learns what the every-step run learns; divergence stops every worker together;
// checkpoints fall on averages.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "dsgd/data/holdout.h"
#include "dsgd/data/synthetic.h"
#include "dsgd/error.h"
#include "dsgd/train/run.h"

namespace dsgd {
namespace {

SyntheticSpec spec_of(bool sparse) {
  SyntheticSpec spec;
  spec.samples = 4000;  // even: two equal shards
  spec.features = sparse ? 3000 : 16;
  spec.test_samples = 0;
  spec.noise = 0.1;
  spec.nnz = sparse ? 9 : 0;
  spec.seed = 5;
  return spec;
}

TrainConfig local_config(int workers, std::size_t sync_every) {
  TrainConfig c;
  c.workers = workers;
  c.batch = 64;
  c.epochs = 1;
  c.lr = 0.5;
  c.sync_every = sync_every;
  return c;
}

// Rows [begin, end) of `data` as a data set of their own.
Dataset rows_of(const Dataset& data, std::size_t begin, std::size_t end) {
  std::vector<std::uint8_t> keep(data.rows(), 0);
  for (std::size_t i = begin; i < end; ++i) keep[i] = 1;
  return select_rows(data, keep, 0);
}

class LocalSgd : public ::testing::TestWithParam<std::tuple<bool, Optimizer, double>> {};

// One epoch averaged once at its end is the mean of two sequential runs, one on each shard.
TEST_P(LocalSgd, AnAverageIsTheMeanOfTheWorkersSequentialRuns) {
  const auto [sparse, optimizer, l2] = GetParam();
  const Dataset data = generate_parallel(spec_of(sparse), Split::kTrain, 2);
  TrainConfig two = local_config(2, kSyncEveryEpoch);
  two.optimizer = optimizer;
  two.l2 = l2;
  TrainConfig one = two;
  one.workers = 1;
  const LinearModel averaged = train_on_threads(two, data).model;
  const LinearModel first = train_on_threads(one, rows_of(data, 0, 2000)).model;
  const LinearModel second = train_on_threads(one, rows_of(data, 2000, 4000)).model;
  ASSERT_EQ(averaged.weights.size(), first.weights.size());
  for (std::size_t j = 0; j < first.weights.size(); ++j)
    EXPECT_EQ(averaged.weights[j], (first.weights[j] + second.weights[j]) / 2) << j;
  EXPECT_EQ(averaged.bias, (first.bias + second.bias) / 2);
  EXPECT_NE(first.weights, second.weights);  // the shards' models differ: the test averages something
}

INSTANTIATE_TEST_SUITE_P(Data, LocalSgd,
                         ::testing::Values(std::tuple{false, Optimizer::kSgd, 0.0},
                                           std::tuple{false, Optimizer::kAdagrad, 1e-3},
                                           std::tuple{true, Optimizer::kSgd, 0.0},
                                           std::tuple{true, Optimizer::kSgd, 1e-3},
                                           std::tuple{true, Optimizer::kAdagrad, 0.0}));

TEST(LocalSgdRuns, OneWorkerAndSyncEveryOneKeepTheirBits) {
  for (const bool sparse : {false, true}) {
    const Dataset data = generate_parallel(spec_of(sparse), Split::kTrain, 2);
    TrainConfig plain = local_config(1, 1);
    plain.epochs = 3;
    plain.shuffle = true;
    TrainConfig local = plain;
    local.sync_every = 7;
    EXPECT_EQ(train_on_threads(plain, data).model.weights, train_on_threads(local, data).model.weights);
    plain.workers = 2;
    const RunResult every_step = train_on_threads(plain, data);
    EXPECT_EQ(every_step.exchange.model_averages, 0U);
    EXPECT_EQ(every_step.exchange.local_steps, 0U);
  }
}

TEST(LocalSgdRuns, AveragedRunsLearnWhatEveryStepRunsLearn) {
  for (const bool sparse : {false, true}) {
    const Dataset data = generate_parallel(spec_of(sparse), Split::kTrain, 2);
    TrainConfig c = local_config(2, 1);
    c.epochs = 5;
    c.shuffle = true;
    const RunResult every_step = train_on_threads(c, data);
    for (const std::size_t k : {std::size_t{4}, std::size_t{16}, kSyncEveryEpoch}) {
      c.sync_every = k;
      const RunResult local = train_on_threads(c, data);
      const std::size_t steps = local.steps;
      EXPECT_EQ(local.exchange.local_steps, steps);
      EXPECT_EQ(local.exchange.sparse_steps + local.exchange.dense_steps + local.exchange.shared_steps, 0U);
      // Every k steps and at each of the 5 epochs' ends (32 steps an epoch).
      const std::size_t expected = k == kSyncEveryEpoch ? 5 : 5 * ((32 + k - 1) / k);
      EXPECT_EQ(local.exchange.model_averages, expected) << k;
      const double a = local.epochs.back().accuracy, b = every_step.epochs.back().accuracy;
      EXPECT_NEAR(a, b, 0.02) << "sync every " << k << (sparse ? " sparse" : " dense");
      EXPECT_GT(a, 0.7);
      // Run again: the same bits.
      EXPECT_EQ(train_on_threads(c, data).model.weights, local.model.weights);
    }
  }
}

TEST(LocalSgdRuns, DivergenceStopsEveryWorkerAtTheSameAverage) {
  const Dataset data = generate_parallel(spec_of(false), Split::kTrain, 2);
  TrainConfig c = local_config(3, 5);
  c.lr = 1e308 / 3;
  c.epochs = 3;
  EXPECT_THROW((void)train_on_threads(c, data), DivergedError);
}

TEST(LocalSgdRuns, TheSharedModelIsRefused) {
  TrainConfig c = local_config(2, 4);
  c.exchange = ExchangeMode::kShared;
  EXPECT_THROW(c.validate(), ConfigError);
  EXPECT_EQ(parse_sync_every("epoch"), kSyncEveryEpoch);
  EXPECT_EQ(parse_sync_every("12"), 12U);
  for (const char* bad : {"0", "-1", "1.5", "", "epochs"}) EXPECT_THROW((void)parse_sync_every(bad), ConfigError) << bad;
}

}  // namespace
}  // namespace dsgd
