// Overlap (--overlap, pipelined SGD): each step's exchange travels while the next step's gradient
// is computed at the weights before that exchange's update. So an update uses the gradient one
// step old (and an epoch's first update a fresh one); an epoch of one step is plain SGD; one
// worker is sequential SGD; the run reports how much exchange time it hid.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "dsgd/train/sync/strategies.h"
#include "dsgd/data/synthetic.h"
#include "dsgd/base/error.h"
#include "dsgd/train/loop/run.h"

namespace dsgd {
namespace {

Dataset data_of(bool sparse) {
  SyntheticSpec spec;
  spec.samples = 4000;  // two shards of 2000
  spec.features = sparse ? 3000 : 16;
  spec.test_samples = 0;
  spec.noise = 0.1;
  spec.nnz = sparse ? 9 : 0;
  spec.seed = 11;
  return generate_parallel(spec, Split::kTrain, 2);
}

TrainConfig overlap_config(int workers) {
  TrainConfig c;
  c.workers = workers;
  c.batch = 1000;
  c.epochs = 1;
  c.lr = 0.5;
  c.warmup_epochs = 0;  // lr x workers from the first step
  c.overlap = true;
  return c;
}

double largest_difference(const LinearModel& a, const LinearModel& b) {
  double most = std::abs(a.bias - b.bias);
  for (std::size_t j = 0; j < a.weights.size(); ++j) most = std::max(most, std::abs(a.weights[j] - b.weights[j]));
  return most;
}

class Overlap : public ::testing::TestWithParam<bool> {};

// Two workers, two steps: step 1's gradient was computed at the starting weights, while step 0's
// travelled. So the run ends where one step over all 4000 rows at the starting weights goes (at
// the rate that gives each row the same weight: 4 x lr for one worker's 4000-row step against
// 2 x lr over each 2000-row step of two workers), to rounding; plain SGD, which computes step 1 at
// the weights after step 0, does not.
TEST_P(Overlap, TheSecondUpdateUsesTheGradientOfTheStartingWeights) {
  const Dataset data = data_of(GetParam());
  const TrainConfig overlapped = overlap_config(2);
  TrainConfig plain = overlapped;
  plain.overlap = false;
  TrainConfig full_batch = plain;
  full_batch.workers = 1;
  full_batch.batch = 4000;
  full_batch.lr = 4 * overlapped.lr;
  const RunResult run = train_on_threads(overlapped, data);
  const LinearModel reference = train_on_threads(full_batch, data).model;
  EXPECT_LT(largest_difference(run.model, reference), 1e-12);
  EXPECT_GT(largest_difference(train_on_threads(plain, data).model, reference), 1e-4);
  EXPECT_EQ(run.steps, 2U);
  EXPECT_EQ(run.exchange.overlapped_steps, 1U);  // the last step has nothing after it to hide behind
  EXPECT_EQ(run.exchange.dense_steps, 2U);
  // Rank 0's time with an exchange behind its computing and its time exposed to exchanges are
  // apart, both within its training time (at most the slowest worker's).
  EXPECT_GT(run.exchange.exposed_s, 0.0);
  EXPECT_LE(run.exchange.hidden_s + run.exchange.exposed_s, run.time_s);
}

// The pipeline empties at every epoch's end: with one step an epoch nothing is ever one step old.
TEST_P(Overlap, AnEpochOfOneStepIsPlainSgd) {
  const Dataset data = data_of(GetParam());
  TrainConfig overlapped = overlap_config(2);
  overlapped.batch = 2000;
  overlapped.epochs = 4;
  TrainConfig plain = overlapped;
  plain.overlap = false;
  const RunResult run = train_on_threads(overlapped, data);
  EXPECT_LT(largest_difference(run.model, train_on_threads(plain, data).model), 1e-12);
  EXPECT_EQ(run.exchange.overlapped_steps, 0U);
}

// One worker has no exchange to hide: it is sequential SGD, bit for bit.
TEST_P(Overlap, OneWorkerIsSequentialSgd) {
  const Dataset data = data_of(GetParam());
  TrainConfig overlapped = overlap_config(1);
  overlapped.batch = 64;
  overlapped.epochs = 2;
  overlapped.shuffle = true;
  TrainConfig plain = overlapped;
  plain.overlap = false;
  const LinearModel a = train_on_threads(overlapped, data).model;
  const LinearModel b = train_on_threads(plain, data).model;
  EXPECT_EQ(a.weights, b.weights);
  EXPECT_EQ(a.bias, b.bias);
}

// Many steps, shuffled, three workers: the same bits twice, and it learns what plain SGD learns.
TEST_P(Overlap, IsRepeatableAndLearnsWhatPlainSgdLearns) {
  const Dataset data = data_of(GetParam());
  TrainConfig overlapped = overlap_config(3);
  overlapped.batch = 50;
  overlapped.epochs = 3;
  overlapped.shuffle = true;
  overlapped.warmup_epochs = 1;
  TrainConfig plain = overlapped;
  plain.overlap = false;
  const RunResult a = train_on_threads(overlapped, data);
  const RunResult b = train_on_threads(overlapped, data);
  EXPECT_EQ(a.model.weights, b.model.weights);
  EXPECT_EQ(a.model.bias, b.model.bias);
  const RunResult p = train_on_threads(plain, data);
  EXPECT_NE(a.model.weights, p.model.weights);
  EXPECT_NEAR(a.epochs.back().accuracy, p.epochs.back().accuracy, 0.02);
  EXPECT_NEAR(a.epochs.back().loss, p.epochs.back().loss, 0.02);
  EXPECT_EQ(a.exchange.overlapped_steps, a.steps - 3);  // all but each epoch's last
}

INSTANTIATE_TEST_SUITE_P(DenseAndSparse, Overlap, ::testing::Bool());

TEST(OverlapConfig, RefusesWhatItCannotOverlap) {
  TrainConfig c = overlap_config(2);
  c.sync_every = 4;
  EXPECT_THROW(check_config(c), ConfigError);
  c.sync_every = 1;
  c.exchange = ExchangeMode::kSparse;
  EXPECT_THROW(check_config(c), ConfigError);
  c.exchange = ExchangeMode::kShared;
  EXPECT_THROW(check_config(c), ConfigError);
  c.exchange = ExchangeMode::kDense;
  EXPECT_NO_THROW(c.validate());
}

}  // namespace
}  // namespace dsgd
