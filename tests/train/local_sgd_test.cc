// When to communicate and when to stop. Local SGD (--sync-every): between averages each worker
// is a sequential SGD of its own rows; an average is the mean of the workers' models, bit for
// bit; one worker ignores it; the averaged run learns what the every-step run learns;
// divergence stops every worker together. Targets (--target-accuracy, --target-loss): a run
// stops where the held-out rows first meet one, with the model of that step.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "dsgd/train/sync/strategies.h"
#include "dsgd/data/holdout.h"
#include "dsgd/data/synthetic.h"
#include "dsgd/base/error.h"
#include "dsgd/train/config/config_fields.h"
#include "dsgd/train/loop/run.h"

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
  EXPECT_THROW(check_config(c), ConfigError);
  set_field(c, "sync_every", "epoch");
  EXPECT_EQ(c.sync_every, kSyncEveryEpoch);
  set_field(c, "sync_every", "12");
  EXPECT_EQ(c.sync_every, 12U);
  for (const char* bad : {"0", "-1", "1.5", "", "epochs"}) EXPECT_THROW(set_field(c, "sync_every", bad), ConfigError) << bad;
  EXPECT_EQ(c.sync_every, 12U);  // a refused value leaves the field as it was
}

}  // namespace
// Held-out rows for worker k of `workers`: its shard of `holdout`.
JobOf jobs_with_holdout(const TrainConfig& c, const Dataset& train, const Dataset& holdout) {
  return balanced_jobs(c, train, train.rows(), &holdout, holdout.rows());
}

TEST(Targets, ARunStopsWhereTheHeldOutRowsMeetTheTarget) {
  SyntheticSpec spec = spec_of(false);
  spec.test_samples = 1000;
  const Dataset train = generate_parallel(spec, Split::kTrain, 2);
  const Dataset held = generate_parallel(spec, Split::kTest, 2);
  for (const std::size_t sync : {std::size_t{1}, std::size_t{4}}) {
    TrainConfig c = local_config(2, sync);
    c.epochs = 20;
    c.lr = 0.05;
    const RunResult full = train_on_threads(c, jobs_with_holdout(c, train, held));
    ASSERT_FALSE(full.target.reached);
    ASSERT_EQ(full.epochs.size(), 20U);
    // A target the third epoch's model meets: the run ends there, with that model's bits.
    const double third = full.epochs[2].holdout_accuracy;
    ASSERT_LT(full.epochs[1].holdout_accuracy, third) << "the test needs a rising held-out accuracy";
    c.target_accuracy = third;
    const RunResult met = train_on_threads(c, jobs_with_holdout(c, train, held));
    ASSERT_TRUE(met.target.reached);
    EXPECT_EQ(met.epochs.size(), 3U);
    EXPECT_EQ(met.target.step, met.steps);
    EXPECT_EQ(met.steps, 3 * full.steps / 20);
    EXPECT_EQ(met.target.holdout_accuracy, third);
    EXPECT_DOUBLE_EQ(met.target.epoch, 3.0);
    EXPECT_LE(met.target.time_s, met.time_s);  // met before the run ended
    TrainConfig three = c;
    three.target_accuracy = std::nan("");
    three.epochs = 3;
    EXPECT_EQ(met.model.weights, train_on_threads(three, jobs_with_holdout(three, train, held)).model.weights);
    // Scored every 8 steps as well: met no later, mid-epoch steps allowed.
    c.target_every = 8;
    const RunResult often = train_on_threads(c, jobs_with_holdout(c, train, held));
    ASSERT_TRUE(often.target.reached);
    EXPECT_LE(often.target.step, met.target.step);
    EXPECT_GE(often.target.holdout_accuracy, third);
    EXPECT_EQ(often.steps, often.target.step);
    // A loss target works the same way.
    TrainConfig by_loss = local_config(2, sync);
    by_loss.epochs = 20;
    by_loss.lr = 0.05;
    by_loss.target_loss = full.epochs[4].holdout_loss;
    const RunResult loss = train_on_threads(by_loss, jobs_with_holdout(by_loss, train, held));
    ASSERT_TRUE(loss.target.reached);
    EXPECT_LE(loss.target.holdout_loss, by_loss.target_loss);
    EXPECT_LE(loss.epochs.size(), 5U);
  }
  TrainConfig without = local_config(2, 1);
  without.target_accuracy = 0.9;
  EXPECT_THROW((void)train_on_threads(without, train), ConfigError);  // no held-out rows
  TrainConfig between = local_config(2, 4);
  between.target_accuracy = 0.9;
  between.target_every = 6;
  EXPECT_THROW((void)train_on_threads(between, jobs_with_holdout(between, train, held)), ConfigError);
}

}  // namespace dsgd
