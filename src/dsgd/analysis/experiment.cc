#include "dsgd/analysis/experiment.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "dsgd/analysis/bandwidth.h"
#include "dsgd/base/error.h"
#include "dsgd/base/progress.h"
#include "dsgd/base/timer.h"
#include "dsgd/model/evaluation.h"
#include "dsgd/train/config/memory.h"
#include "dsgd/train/loop/fit.h"

namespace dsgd {

Experiment make_experiment(const SyntheticSpec& spec, int threads, bool show_progress) {
  const auto start = Clock::now();
  const auto n = static_cast<std::size_t>(threads);
  Progress progress("generating", spec.samples + spec.test_samples, "rows", show_progress);
  GenerationTimes times;
  Dataset train = generate_parallel(spec, Split::kTrain, n, &progress, &times);
  Dataset test = generate_parallel(spec, Split::kTest, n, &progress, &times);
  return {std::move(train), std::move(test), spec.samples, seconds_since(start), spec.test_samples, times};
}

Experiment make_local_experiment(const SyntheticSpec& spec, const Cluster& cluster, int threads, bool show_progress) {
  const auto start = Clock::now();
  const auto n = static_cast<std::size_t>(threads);
  const RowRange train_rows = process_rows(spec.samples, cluster.size(), threads, cluster.rank());
  const RowRange test_rows = process_rows(spec.test_samples, cluster.size(), threads, cluster.rank());
  Progress progress("generating this rank's rows", train_rows.size() + test_rows.size(), "rows", show_progress);
  GenerationTimes times;
  Dataset train = generate_parallel(spec, Split::kTrain, train_rows, n, &progress, &times);
  Dataset test = generate_parallel(spec, Split::kTest, test_rows, n, &progress, &times);
  return {std::move(train), std::move(test), spec.samples, seconds_since(start), spec.test_samples, times};
}

MachineBounds measure_bounds(int threads, bool sparse, std::size_t features, bool cached) {
  // The sparse pass's model: a (weight, gradient) pair of doubles per column.
  const std::size_t model_bytes = 2 * sizeof(double) * features;
  if (!cached) {
    return {measure_read_bandwidth(threads), sparse ? measure_random_reads(threads, model_bytes) : 0.0, "measured now"};
  }
  const MachineFigure read = machine_read_bandwidth(threads);
  MachineBounds b{read.value, 0, read.source};
  if (sparse) b.random_reads_per_s = machine_random_reads(threads, model_bytes).value;
  return b;
}

MachineBounds measure_bounds(int threads, const SyntheticSpec& spec, bool cached) {
  return measure_bounds(threads, spec.nnz > 0, spec.features, cached);
}

void set_bounds(RunReport& report, const MachineBounds& bounds, double epochs, const Dataset& rows,
                std::size_t global_rows) {
  // X's bytes and non-zeros over all rows (each process holds its share; the rows of a set are alike).
  const double share = static_cast<double>(global_rows) / static_cast<double>(rows.rows());
  report.bandwidth_gbs = bounds.bandwidth_gbs;
  report.bandwidth_source = bounds.source;
  report.bound_s = epochs * static_cast<double>(rows.feature_bytes()) * share / (bounds.bandwidth_gbs * 1e9);
  if (bounds.random_reads_per_s > 0 && rows.layout() == Layout::kSparse) {
    report.random_reads_per_s = bounds.random_reads_per_s;
    report.random_bound_s = epochs * static_cast<double>(rows.values()) * share / bounds.random_reads_per_s;
  }
}

RunReport run_scored(const TrainConfig& config, const Experiment& data, const MachineBounds& bounds,
                     const EpochCallback& on_epoch, Cluster& cluster, std::optional<int> threads) {
  FitOptions options;
  options.cluster = cluster;
  options.threads = threads;
  options.total_rows = data.global_train_rows;
  if (config.has_target()) {  // a target is met on the test rows, each worker scoring its share
    options.holdout = &data.test;
    options.holdout_rows = data.global_test_rows;
  }
  options.on_epoch = on_epoch;
  RunReport report;
  // Every setting as given (synthetic data has no data defaults), the workers too.
  report.run = fit(data.train, config, [](std::string_view) { return true; }, options).run;
  report.train = evaluate_on_cluster(data.train, report.run.model, cluster.comm());
  report.test = evaluate_on_cluster(data.test, report.run.model, cluster.comm());
  // The epochs run: a met target ends the run early.
  const double epochs = report.run.target.reached ? report.run.target.epoch : static_cast<double>(config.epochs);
  set_bounds(report, bounds, epochs, data.train, data.global_train_rows);
  report.times_s = {report.run.time_s};
  return report;
}

RunReport median_run(std::vector<RunReport> runs) {
  std::vector<double> times;
  for (const RunReport& r : runs) {
    if (r.run.model.weights != runs.front().run.model.weights || r.run.model.bias != runs.front().run.model.bias)
      throw Error("repeated runs of one configuration gave different weights: determinism is broken");
    times.push_back(r.run.time_s);
  }
  std::vector<RunReport*> order;
  for (RunReport& r : runs) order.push_back(&r);
  std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(order.size() / 2), order.end(),
                   [](const RunReport* a, const RunReport* b) { return a->run.time_s < b->run.time_s; });
  RunReport median = std::move(*order[order.size() / 2]);
  median.times_s = std::move(times);
  return median;
}

void check_experiment_memory(const SyntheticSpec& s, const TrainConfig& config, std::size_t max_memory) {
  // The rows of both splits and every worker's state, before any of it is made.
  const double rows = static_cast<double>(s.samples) + static_cast<double>(s.test_samples);
  const auto value_bytes = static_cast<double>(size_of(s.dtype));
  const double data_bytes = s.nnz > 0 ? rows * (static_cast<double>(s.nnz) * (4.0 + value_bytes) + 9.0)
                                      : rows * (static_cast<double>(s.features) * value_bytes + 1.0);
  const double state = static_cast<double>(worker_state_bytes(config, s.features, s.nnz > 0)) * config.workers;
  const std::string shortfall = memory_shortfall(
      static_cast<std::size_t>(std::min(data_bytes + state, 1e19)), max_memory,
      fmt::format("{} of rows, {} for {} worker{}", human_bytes(data_bytes), human_bytes(state), config.workers,
                  config.workers == 1 ? "" : "s"));
  if (!shortfall.empty())
    throw ConfigError(fmt::format("-n {} x --features {}{} {}", s.samples, s.features,
                                  s.nnz > 0 ? fmt::format(" (--nnz {})", s.nnz) : "", shortfall));
}

}  // namespace dsgd
