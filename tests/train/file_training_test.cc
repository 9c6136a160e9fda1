// Training on the real files in tests/data/files: held-out accuracy, dense vs sparse storage,
// predictions before and after a model's save/load, early stopping.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "dsgd/data/holdout.h"
#include "dsgd/data/reader.h"
#include "dsgd/model/metrics.h"
#include "dsgd/model/model_file.h"
#include "dsgd/train/loop/run.h"

namespace dsgd {
namespace {

std::string file(const std::string& name) { return std::string(DSGD_TEST_DATA) + "/" + name; }

TrainConfig file_config(int workers, std::size_t batch, std::size_t epochs, double lr) {
  TrainConfig c;
  c.workers = workers;
  c.batch = batch;
  c.epochs = epochs;
  c.lr = lr;
  c.shuffle = true;
  c.schedule = LrSchedule::kStep;
  c.step_epochs = 5;
  return c;
}

double accuracy(const LinearModel& model, const Dataset& data) {
  return evaluate_scores(scores(model, data), data.labels()).accuracy;
}

TEST(FileTraining, A9aReachesLiblinearAccuracy) {
  const ReadResult train = read_data(file("a9a.gz"), {.threads = 2});
  const ReadResult test = read_data(file("a9a.t.gz"), {.features = train.data.features(), .drop_beyond = true,
                                                        .labels = train.labels, .threads = 2});
  const RunResult run = train_on_threads(file_config(2, 128, 10, 1.0), train.data);
  EXPECT_GE(accuracy(run.model, test.data), 0.845);  // LIBLINEAR -s 0: 0.8495
}

TEST(FileTraining, HeartScaleHoldsOut) {
  const ReadResult data = read_data(file("heart_scale"), {});
  const HoldoutSplit split = split_holdout(data.data, 0.25, 7);
  const RunResult run = train_on_threads(file_config(2, 16, 30, 0.5), split.train);
  EXPECT_GE(accuracy(run.model, split.holdout), 0.78);
}

TEST(FileTraining, BreastCancerCsvStandardized) {
  const ReadResult data = read_data(file("breast_cancer.csv"), {});
  const HoldoutSplit split = split_holdout(data.data, 0.25, 3);
  TrainConfig c = file_config(2, 16, 30, 0.5);
  c.scale = Scaling::kStandardize;
  const RunResult run = train_on_threads(c, split.train);
  ASSERT_TRUE(run.model.standardization.has_value());
  EXPECT_GE(accuracy(run.model, split.holdout), 0.94);
}

TEST(FileTraining, DenseAndSparseStorageGiveTheSameWeights) {
  const ReadResult dense = read_data(file("heart_scale"), {.storage = Storage::kDense});
  const ReadResult sparse = read_data(file("heart_scale"), {.storage = Storage::kSparse});
  for (const bool standardize : {false, true}) {
    TrainConfig c = file_config(2, 8, 5, 0.3);
    c.scale = standardize ? Scaling::kStandardize : Scaling::kNone;
    const RunResult a = train_on_threads(c, dense.data);
    const RunResult b = train_on_threads(c, sparse.data);
    ASSERT_EQ(a.model.features(), b.model.features());
    for (std::size_t j = 0; j < a.model.features(); ++j) {
      EXPECT_NEAR(a.model.weights[j], b.model.weights[j], 1e-9 * (1 + std::abs(a.model.weights[j])));
    }
    EXPECT_NEAR(a.model.bias, b.model.bias, 1e-9);
  }
}

TEST(FileTraining, PredictionsAreIdenticalAfterSaveAndLoad) {
  const ReadResult data = read_data(file("breast_cancer.csv"), {});
  TrainConfig c = file_config(2, 16, 5, 0.5);
  c.scale = Scaling::kStandardize;
  const RunResult run = train_on_threads(c, data.data);
  const std::string path = ::testing::TempDir() + "dsgd_file_training_model";
  save_model({run.model, data.labels, {{"epochs", 5}}, ""}, path);
  const Model back = load_model(path);
  EXPECT_EQ(scores(back.params, data.data), scores(run.model, data.data));
  std::remove(path.c_str());
}

TEST(FileTraining, EarlyStoppingKeepsTheBestHeldOutEpoch) {
  const ReadResult data = read_data(file("heart_scale"), {});
  const HoldoutSplit split = split_holdout(data.data, 0.3, 1);
  TrainConfig c = file_config(2, 4, 60, 2.0);  // a high rate: the held-out loss stops improving
  c.schedule = LrSchedule::kConstant;
  c.patience = 2;
  const RunResult run = train_on_threads(c, holdout_jobs(c, split, data.data.rows()));
  ASSERT_LT(run.epochs.size(), 60U);
  ASSERT_GE(run.best_epoch, 1U);
  const EpochProgress& best = run.epochs[run.best_epoch - 1];
  for (const EpochProgress& e : run.epochs) EXPECT_GE(e.holdout_loss, best.holdout_loss);
  EXPECT_EQ(run.epochs.size(), run.best_epoch + 2);
  EXPECT_DOUBLE_EQ(evaluate(split.holdout, run.model).log_loss, best.holdout_loss);
}

TEST(FileTraining, WarmStartContinuesFromTheModel) {
  const ReadResult data = read_data(file("heart_scale"), {});
  const TrainConfig c = file_config(1, 16, 3, 0.3);
  const RunResult first = train_on_threads(c, data.data);
  const RunResult again = train_on_threads(c, balanced_jobs(c, data.data, data.data.rows(), nullptr, 0, &first.model));
  EXPECT_LT(evaluate(data.data, again.model).log_loss, evaluate(data.data, first.model).log_loss);
}

}  // namespace
}  // namespace dsgd
