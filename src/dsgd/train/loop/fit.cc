#include "dsgd/train/sync/strategies.h"
#include "dsgd/train/loop/fit.h"

#include <fmt/format.h>

#include <optional>
#include <utility>

#include "dsgd/base/error.h"
#include "dsgd/train/config/worker_count.h"

namespace dsgd {

FitResult fit(const Dataset& data, TrainConfig config, const GivenField& given, const FitOptions& options) {
  Cluster& cluster = options.cluster;
  const std::size_t total_rows = options.total_rows != 0 ? options.total_rows : data.rows();
  if (total_rows == 0) throw ConfigError("fit: the data has no rows");
  if (options.init != nullptr && options.init->features() != data.features())
    throw ConfigError("fit: the initial model has " + std::to_string(options.init->features()) +
                      " features and the data " + std::to_string(data.features()));
  FitResult out;
  const DataWorkers decided = decide_workers(config, data, total_rows, given, cluster, options.threads);
  config.workers = decided.workers;
  out.note = decided.why;
  check_config(config);
  const std::optional<LinearModel> scaled_start = decide_scaling(config, data, given("scale"), options.init, cluster);
  const LinearModel* start = options.init != nullptr ? options.init : scaled_start ? &*scaled_start : nullptr;
  apply_data_defaults(config, data, total_rows, given, cluster, decided.threads, start);
  if (options.start_epoch > 0) config.epochs += options.start_epoch;

  JobOf jobs;
  if (options.holdout_fraction > 0) {
    out.split = split_holdout(data, options.holdout_fraction, config.seed);
    std::vector<double> counts = {static_cast<double>(out.split->holdout.rows()),
                                  static_cast<double>(out.split->train.rows())};
    cluster.comm().allreduce_sum(counts);
    if (counts[0] == 0 || counts[1] == 0)
      throw ConfigError(fmt::format("{} {} leaves {} held-out and {} training rows of {}", field("holdout"),
                                    options.holdout_fraction, counts[0], counts[1], total_rows));
    jobs = holdout_jobs(config, *out.split, total_rows, start);
  } else {
    jobs = balanced_jobs(config, data, total_rows, options.holdout, options.holdout_rows, start);
  }
  if (options.start_epoch > 0 || options.stop != nullptr || options.resident_rows_bytes > 0) {
    jobs = [inner = std::move(jobs), &options, threads = static_cast<std::size_t>(std::max(1, decided.threads))](int worker) {
      WorkerJob job = inner(worker);
      job.start_epoch = options.start_epoch;
      job.stop = options.stop;
      job.resident_bytes = options.resident_rows_bytes / threads;  // (this process's workers share it)
      return job;
    };
  }
  if (options.before_training) jobs = options.before_training(config, std::move(jobs));
  out.run = train_on(config, cluster, decided.threads, jobs, options.on_epoch);
  out.config = config;
  return out;
}

}  // namespace dsgd
