#include "dsgd/train/fit.h"

#include <optional>
#include <utility>

#include "dsgd/error.h"
#include "dsgd/train/worker_count.h"

namespace dsgd {

FitResult fit(const Dataset& data, TrainConfig config, const GivenField& given, const FitOptions& options) {
  if (data.rows() == 0) throw ConfigError("fit: the data has no rows");
  if (options.init != nullptr && options.init->features() != data.features())
    throw ConfigError("fit: the initial model has " + std::to_string(options.init->features()) +
                      " features and the data " + std::to_string(data.features()));
  config.validate();
  FitResult out;
  if (!given("workers")) {
    config.workers = default_workers();
    const DataWorkers choice = paying_data_workers(config, data, data.rows(), given);
    config.workers = choice.workers;
    out.note = choice.why;
  }
  const std::optional<LinearModel> scaled_start = decide_scaling(config, data, given("scale"), options.init, nullptr);
  const LinearModel* start = options.init != nullptr ? options.init : scaled_start ? &*scaled_start : nullptr;
  apply_data_defaults(config, data, data.rows(), given, nullptr, config.workers, start);
  if (options.start_epoch > 0) config.epochs += options.start_epoch;

  JobOf jobs = balanced_jobs(config, data, data.rows(), nullptr, 0, start);
  if (options.start_epoch > 0 || options.stop != nullptr) {
    jobs = [inner = std::move(jobs), &options](int worker) {
      WorkerJob job = inner(worker);
      job.start_epoch = options.start_epoch;
      job.stop = options.stop;
      return job;
    };
  }
  out.run = train_on_threads(config, jobs, options.on_epoch);
  out.config = config;
  return out;
}

}  // namespace dsgd
