#include "dsgd/train/config/defaults.h"

#include <algorithm>

#include "dsgd/base/error.h"
#include "dsgd/train/loop/run.h"
#include "dsgd/train/config/scaling.h"
#include "dsgd/train/loop/trainer.h"
#include "dsgd/train/config/worker_count.h"

namespace dsgd {

namespace {

// Sum of the squared (scaled) values of the rows of each of this process's workers (shard_sums);
// feature j is divided by scale[j] when `scale` is given.
std::vector<double> shard_squared_sums(const Dataset& data, std::size_t total_rows, int workers, int first_worker,
                                       int count, const std::vector<double>* scale) {
  return shard_sums(data, total_rows, workers, first_worker, count, [&](RowRange local) {
    const std::size_t begin = local.begin;
    const std::size_t end = local.end;
    double sum = 0;
    data.visit([&](const auto& v) {
      if constexpr (requires { v.offsets; }) {
        for (std::size_t j = v.offsets[begin]; j < v.offsets[end]; ++j) {
          const double x = v.value_of(j) / (scale != nullptr ? (*scale)[v.index[j]] : 1.0);
          sum += x * x;
        }
      } else {
        for (std::size_t i = begin; i < end; ++i) {
          for (std::size_t j = 0; j < v.cols; ++j) {
            const double x = static_cast<double>(v.row(i)[j]) / (scale != nullptr ? (*scale)[j] : 1.0);
            sum += x * x;
          }
        }
      }
    });
    return sum;
  });
}

}  // namespace

std::vector<double> shard_sums(const Dataset& data, std::size_t total_rows, int workers, int first_worker, int count,
                               const std::function<double(RowRange)>& fn) {
  std::vector<double> sums;
  for (int k = first_worker; k < first_worker + count; ++k) {
    const RowRange rows = shard_range(total_rows, static_cast<std::size_t>(workers), static_cast<std::size_t>(k));
    sums.push_back(fn({rows.begin - data.first_row(), rows.end - data.first_row()}));
  }
  return sums;
}

std::size_t data_batch(std::size_t rows, int workers) noexcept {
  return std::clamp<std::size_t>(rows / (static_cast<std::size_t>(workers) * kDataStepsPerEpoch), kDataMinBatch,
                                 kDataMaxBatch);
}

Scaling default_scaling(const Dataset& data, Cluster& cluster) {
  if (!has_values_beyond_one(data, cluster.comm())) return Scaling::kNone;
  return data.layout() == Layout::kDense ? Scaling::kStandardize : Scaling::kMaxAbs;
}

std::optional<LinearModel> decide_scaling(TrainConfig& config, const Dataset& data, bool scale_given,
                                          const LinearModel* init, Cluster& cluster) {
  if (init != nullptr) {
    config.scale = scaling_of(*init);
    return std::nullopt;
  }
  if (!scale_given) config.scale = default_scaling(data, cluster);
  if (config.scale != Scaling::kMaxAbs) return std::nullopt;
  LinearModel start;
  start.weights.assign(data.features(), 0.0);
  start.standardization = maxabs_scaling(data, {0, data.rows()}, cluster.comm());
  return start;
}

DataWorkers decide_workers(const TrainConfig& config, const Dataset& data, std::size_t total_rows,
                           const GivenField& given, const Cluster& cluster, std::optional<int> threads) {
  if (threads) return {cluster.size() * *threads, *threads, ""};
  if (cluster.size() > 1) throw Error("decide_workers: the threads of each process of a cluster must be given");
  if (given("workers")) return {config.workers, config.workers, ""};
  const bool sparse = data.layout() == Layout::kSparse;
  const double rows = static_cast<double>(total_rows);
  const double per_row = sparse ? static_cast<double>(data.values()) / static_cast<double>(std::max<std::size_t>(data.rows(), 1))
                                : static_cast<double>(data.features());
  const WorkerChoice choice = paying_workers(default_workers(), [&](int w) {
    const auto batch = static_cast<double>(given("batch") ? config.batch : data_batch(total_rows, w));
    return batch_work(batch, rows, w, per_row, sparse, static_cast<double>(data.features()));
  });
  return {choice.workers, choice.workers, choice.why};
}

void apply_data_defaults(TrainConfig& config, const Dataset& data, std::size_t total_rows, const GivenField& given,
                         Cluster& cluster, int threads, const LinearModel* start) {
  const std::size_t rows = total_rows;
  if (!given("optimizer")) {
    const bool wide = data.layout() == Layout::kSparse && data.features() >= kAdagradFromColumns;
    config.optimizer = wide ? Optimizer::kAdagrad : Optimizer::kSgd;
  }
  if (!given("batch")) config.batch = data_batch(rows, config.workers);
  if (config.optimizer == Optimizer::kAdagrad) {
    const auto workers = static_cast<std::size_t>(config.workers);
    const std::size_t steps = steps_per_epoch((rows + workers - 1) / workers, config.batch);
    if (!given("epochs")) config.epochs = std::clamp<std::size_t>((kAdagradSteps + steps - 1) / steps, 3, kDataEpochs);
    if (!given("lr")) config.lr = kAdagradRate / static_cast<double>(config.workers);
    if (!given("schedule")) config.schedule = LrSchedule::kConstant;
    if (!given("shuffle")) config.shuffle = true;
    return;
  }
  if (!given("epochs")) config.epochs = kDataEpochs;
  if (!given("lr")) {
    // The peak rate (lr x workers after warm-up) is kDataRateScale / (E|x|^2 + 1): a step size
    // in units of the rows' curvature (the +1 is the bias), so scaled and unscaled, dense and
    // sparse rows move the model alike. E|x|^2 (of the scaled x) is summed per worker shard, in
    // the workers' tree order, so that every backend computes the same bits.
    double mean = static_cast<double>(data.features());  // standardised features
    if (config.scale != Scaling::kStandardize) {
      const int first = cluster.rank() * threads;
      const std::vector<double>* scale =
          start != nullptr && start->standardization ? &start->standardization->scale : nullptr;
      const std::vector<double> sums = shard_squared_sums(data, rows, config.workers, first, threads, scale);
      mean = worker_sum(sums, cluster.comm()) / static_cast<double>(rows);
    }
    config.lr = kDataRateScale / (mean + 1.0) / static_cast<double>(config.workers);
  }
  if (!given("schedule")) config.schedule = LrSchedule::kStep;
  if (!given("lr_step_epochs")) config.step_epochs = kDataStepEpochs;
  if (!given("shuffle")) config.shuffle = true;
}

}  // namespace dsgd
