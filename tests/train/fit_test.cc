// fit (train/loop/fit.h): the library's entry point for data in memory. The data's defaults fill the
// fields not given and only those; borrowed rows train as owned ones; a stop request ends every
// worker at the same epoch's end; bad starts are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string_view>

#include "dsgd/data/synthetic.h"
#include "dsgd/base/error.h"
#include "dsgd/train/config/worker_count.h"
#include "dsgd/train/loop/fit.h"
#include "dsgd/train/state/resume.h"

namespace dsgd {
namespace {

Dataset data_of(std::size_t features, std::size_t nnz) {
  SyntheticSpec spec;
  spec.samples = 3000;
  spec.features = features;
  spec.test_samples = 0;
  spec.noise = 0.1;
  spec.nnz = nnz;
  spec.seed = 5;
  return generate_parallel(spec, Split::kTrain, 2);
}

GivenField given(std::initializer_list<std::string_view> fields) {
  return [names = std::vector<std::string_view>(fields)](std::string_view f) {
    return std::find(names.begin(), names.end(), f) != names.end();
  };
}

TEST(Fit, TheDataDefaultsFillOnlyTheFieldsNotGiven) {
  const Dataset data = data_of(12, 0);
  TrainConfig config;
  config.workers = 2;
  config.epochs = 3;
  const FitResult defaults = fit(data, config, given({"workers"}));
  EXPECT_EQ(defaults.config.epochs, kDataEpochs);
  EXPECT_EQ(defaults.config.batch, data_batch(data.rows(), 2));
  EXPECT_EQ(defaults.config.schedule, LrSchedule::kStep);
  EXPECT_TRUE(defaults.config.shuffle);
  EXPECT_EQ(defaults.run.epochs.size(), kDataEpochs);
  const FitResult mine = fit(data, config, given({"workers", "epochs"}));
  EXPECT_EQ(mine.config.epochs, 3U);
  EXPECT_EQ(mine.run.epochs.size(), 3U);
  EXPECT_EQ(mine.config.workers, 2);
}

TEST(Fit, WideSparseDataTakesAdagradAndMaxabsScaling) {
  Dataset data = data_of(20000, 8);
  for (auto& v : data.features_as<double>()) v *= 4.0;  // values beyond [-1, 1]
  TrainConfig config;
  config.workers = 1;
  const FitResult r = fit(data, config, given({"workers"}));
  EXPECT_EQ(r.config.optimizer, Optimizer::kAdagrad);
  EXPECT_EQ(r.config.scale, Scaling::kMaxAbs);
  ASSERT_TRUE(r.run.model.standardization.has_value());
  EXPECT_EQ(r.run.model.standardization->scale.size(), 20000U);
}

// The same rows, stored without their values (every value 1).
Dataset ones_of(const Dataset& data) {
  Dataset out = Dataset::sparse(DType::kOnes, data.rows(), data.features(), data.values(), data.first_row());
  std::ranges::copy(data.offsets(), out.offsets().begin());
  std::ranges::copy(data.indices(), out.indices().begin());
  std::ranges::copy(data.labels(), out.labels().begin());
  return out;
}

TEST(Fit, RowsOfOnesTrainToTheBitsOfTheSameRowsWithValues) {
  const Dataset values = data_of(5000, 6);  // binary: every stored value is 1.0
  ASSERT_TRUE(std::ranges::all_of(values.features_as<double>(), [](double v) { return v == 1.0; }));
  const Dataset ones = ones_of(values);
  EXPECT_EQ(ones.feature_bytes(), values.values() * 4 + (values.rows() + 1) * 8);
  for (const Optimizer optimizer : {Optimizer::kSgd, Optimizer::kAdagrad}) {
    for (const int workers : {1, 2}) {
      TrainConfig config;
      config.workers = workers;
      config.optimizer = optimizer;
      config.l2 = 1e-4;
      const FitResult a = fit(values, config, given({"workers", "optimizer", "l2"}));
      const FitResult b = fit(ones, config, given({"workers", "optimizer", "l2"}));
      EXPECT_EQ(a.run.model.weights, b.run.model.weights) << workers << " workers";
      EXPECT_EQ(a.run.model.bias, b.run.model.bias);
      EXPECT_EQ(a.run.epochs.back().loss, b.run.epochs.back().loss);
    }
  }
}

TEST(Fit, BorrowedDenseRowsTrainAsOwnedOnes) {
  const Dataset owned = data_of(10, 0);
  const auto x = owned.features_as<double>();
  const Dataset borrowed = Dataset::dense_over(DType::kF64, owned.rows(), owned.features(), 0,
                                               std::shared_ptr<const void>(x.data(), [](const void*) {}), x.data(),
                                               owned.labels().data());
  EXPECT_TRUE(borrowed.borrows());
  EXPECT_FALSE(owned.borrows());
  TrainConfig config;
  config.workers = 2;
  const FitResult a = fit(owned, config, given({"workers"}));
  const FitResult b = fit(borrowed, config, given({"workers"}));
  EXPECT_EQ(a.run.model.weights, b.run.model.weights);
  EXPECT_EQ(a.run.model.bias, b.run.model.bias);
  Dataset writable = Dataset::dense_over(DType::kF64, owned.rows(), owned.features(), 0,
                                         std::shared_ptr<const void>(x.data(), [](const void*) {}), x.data(), nullptr);
  EXPECT_THROW((void)writable.features_as<double>(), Error);  // borrowed: read-only
  EXPECT_EQ(writable.labels().size(), owned.rows());           // labels not given: owned, to fill
}

TEST(Fit, AStopRequestEndsEveryWorkerWithInterrupted) {
  const Dataset data = data_of(10, 0);
  TrainConfig config;
  config.workers = 2;
  std::atomic<bool> stop{true};
  FitOptions options;
  options.stop = &stop;
  EXPECT_THROW((void)fit(data, config, given({"workers"}), options), Interrupted);
  stop = false;
  EXPECT_EQ(fit(data, config, given({"workers"}), options).run.epochs.size(), kDataEpochs);
}

TEST(Fit, RefusesAStartOfOtherFeaturesAndEmptyData) {
  const Dataset data = data_of(10, 0);
  LinearModel init;
  init.weights.assign(7, 0.0);
  FitOptions options;
  options.init = &init;
  EXPECT_THROW((void)fit(data, TrainConfig{}, given({}), options), ConfigError);
  const Dataset empty(DType::kF64, 0, 4);
  EXPECT_THROW((void)fit(empty, TrainConfig{}, given({}), {}), ConfigError);
  TrainConfig bad;
  bad.batch = 0;
  EXPECT_THROW((void)fit(data, bad, given({"batch"}), {}), ConfigError);
}

// The one place a run's workers are decided: fixed threads a process (MPI) give processes x
// threads; in one process, the workers given, else those that pay (at most default_workers()).
TEST(DecideWorkers, FixedThreadsGivenWorkersOrThoseThatPay) {
  const Dataset data = data_of(12, 0);
  TrainConfig config;
  config.workers = 3;
  LocalCluster alone;
  const DataWorkers fixed = decide_workers(config, data, data.rows(), given({}), alone, 2);
  EXPECT_EQ(fixed.workers, 2);
  EXPECT_EQ(fixed.threads, 2);
  const DataWorkers asked = decide_workers(config, data, data.rows(), given({"workers"}), alone, std::nullopt);
  EXPECT_EQ(asked.workers, 3);
  EXPECT_EQ(asked.threads, 3);
  EXPECT_TRUE(asked.why.empty());
  // 3000 rows of 12 columns: a step of the data's batch is far under the work that pays a worker.
  const DataWorkers paid = decide_workers(config, data, data.rows(), given({}), alone, std::nullopt);
  EXPECT_EQ(paid.workers, 1);
  EXPECT_EQ(paid.threads, 1);
  if (default_workers() > 1) EXPECT_FALSE(paid.why.empty());
  // fit decides the same.
  EXPECT_EQ(fit(data, config, given({})).config.workers, paid.workers);
}

// A checkpoint goes on only with a run of the same description: the first key that differs is
// named ("path" keys aside: where the data lies may change).
TEST(Resume, FirstDifferenceNamesTheKey) {
  const nlohmann::json a = {{"config", {{"batch", 64}, {"lr", 0.1}}}, {"data", {{"path", "a"}, {"rows", 10}}}};
  nlohmann::json b = a;
  EXPECT_EQ(first_difference(a, b), "");
  b["data"]["path"] = "elsewhere";
  EXPECT_EQ(first_difference(a, b), "");
  b["config"]["lr"] = 0.2;
  EXPECT_EQ(first_difference(a, b), "config.lr");
  b = a;
  b["data"]["bytes"] = 5;
  EXPECT_EQ(first_difference(a, b), "data.bytes");
  b = a;
  b.erase("config");
  EXPECT_EQ(first_difference(a, b), "config");
  EXPECT_EQ(first_difference(nlohmann::json(1), nlohmann::json(2)), "(all)");
}

}  // namespace
}  // namespace dsgd
