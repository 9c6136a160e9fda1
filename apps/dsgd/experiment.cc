#include "experiment.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "dsgd/error.h"

namespace dsgd::cli {

Experiment make_experiment(const SyntheticSpec& spec, int threads) {
  const auto start = std::chrono::steady_clock::now();
  const auto n = static_cast<std::size_t>(threads);
  Dataset train = generate_parallel(spec, Split::kTrain, n);
  Dataset test = generate_parallel(spec, Split::kTest, n);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {std::move(train), std::move(test), seconds};
}

RunReport run_scored(const TrainConfig& config, const Experiment& data, double bandwidth_gbs,
                     const std::string& label, bool quiet) {
  EpochCallback progress;
  if (!quiet) {
    progress = [&](const EpochProgress& p) { print_progress(stdout, label, config.epochs, p); };
  }
  RunReport report;
  report.run = train_on_threads(config, data.train, progress);
  report.train = evaluate(data.train, report.run.weights);
  report.test = evaluate(data.test, report.run.weights);
  report.bandwidth_gbs = bandwidth_gbs;
  report.bound_s = static_cast<double>(config.epochs) * static_cast<double>(data.train.feature_bytes()) /
                   (bandwidth_gbs * 1e9);
  report.times_s = {report.run.time_s};
  return report;
}

RunReport median_run(std::vector<RunReport> runs) {
  std::vector<double> times;
  for (const RunReport& r : runs) {
    if (r.run.weights != runs.front().run.weights)
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

}  // namespace dsgd::cli
