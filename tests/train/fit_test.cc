// fit (train/loop/fit.h): the library's entry point for data in memory. The data's defaults fill the
// fields not given and only those; borrowed rows train as owned ones; a stop request ends every
// worker at the same epoch's end; bad starts are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string_view>

#include "dsgd/data/synthetic.h"
#include "dsgd/base/error.h"
#include "dsgd/train/loop/fit.h"

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

}  // namespace
}  // namespace dsgd
