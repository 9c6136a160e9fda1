#include "dsgd/analysis/study_points.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dsgd/model/metrics.h"
#include "dsgd/train/loop/fit.h"

namespace dsgd {

StudyPoint make_point(const std::string& series, int workers, int cores, const PointData& data, double epochs,
                      const RunReport& median, const std::string& backend) {
  StudyPoint p;
  p.series = series;
  p.workers = workers;
  p.rows = data.rows;
  p.features = data.features;
  p.nnz = data.nnz;
  p.dtype = data.dtype;
  p.times_s = median.times_s;
  p.median_s = median.run.time_s;
  p.min_s = *std::min_element(p.times_s.begin(), p.times_s.end());
  p.max_s = *std::max_element(p.times_s.begin(), p.times_s.end());
  p.compute_s = median.run.compute_s;
  p.exchange_s = median.run.exchange_s;
  p.comm_s = median.run.comm_s;
  p.wait_s = median.run.wait_s;
  p.load_s = data.load_s;
  p.steps = static_cast<double>(median.run.steps);
  const CommStats& c0 = median.run.per_worker.front();
  const double moved = static_cast<double>(c0.bytes_sent + c0.bytes_received);
  p.bytes_per_step = p.steps > 0 ? moved / p.steps : 0;
  p.test_accuracy = median.test.accuracy;
  p.test_log_loss = median.test.log_loss;
  p.bound_s = median.bound_s;
  p.bandwidth_gbs = median.bandwidth_gbs;
  p.random_bound_s = median.random_bound_s;
  p.sample = {workers,
              cores,
              epochs,
              static_cast<double>(data.rows) / workers,
              p.nnz > 0 ? fmt::format("sparse d={} nnz={} {}", p.features, p.nnz, p.dtype)
                        : fmt::format("dense d={} {}", p.features, p.dtype),
              backend,
              workers > 1 ? static_cast<double>(c0.syncs) : 0.0,
              workers > 1 ? moved : 0.0,
              p.median_s};
  return p;
}


namespace {

// One run of a point on a file: fit's run, scored on the test rows, with its bounds. With
// `score_epochs`, the test rows are also scored at every epoch's end (the convergence run).
RunReport run_on_file(const FileStudy& file, const TrainConfig& config, const GivenField& given,
                      const MachineBounds& bounds, bool score_epochs) {
  FitOptions options;
  if (score_epochs && file.test) {
    options.holdout = &file.test->data;
    options.holdout_rows = file.test->total_rows;
  }
  RunReport report;
  report.run = fit(file.data.data, config, given, options).run;
  const Metrics none{std::nan(""), std::nan("")};
  report.test = file.test ? evaluate(file.test->data, report.run.model) : none;
  const Dataset& x = file.data.data;
  set_bounds(report, bounds, static_cast<double>(report.run.epochs.size()), x, x.rows());
  report.times_s = {report.run.time_s};
  return report;
}

}  // namespace

PointData described(const FileStudy& file) {
  const Dataset& x = file.data.data;
  const bool sparse = x.layout() == Layout::kSparse;
  return {x.rows(), x.features(),
          sparse ? static_cast<std::size_t>(std::lround(static_cast<double>(x.values()) / std::max(1.0, static_cast<double>(x.rows()))))
                 : 0,
          std::string(to_string(x.dtype())), file.data.seconds + (file.test ? file.test->seconds : 0.0)};
}

// A point of a file study: `warmup` untimed runs, `repeat` timed ones, and the convergence run.
StudyPoint file_point(const FileStudy& file, TrainConfig config, const GivenField& given, int workers, int cores,
                      int warmup, int repeat, bool convergence) {
  config.workers = workers;
  const Dataset& x = file.data.data;
  const bool sparse = x.layout() == Layout::kSparse;
  const MachineBounds bounds = measure_bounds(std::min(workers, cores), sparse, x.features());
  for (int r = 0; r < warmup; ++r) (void)run_on_file(file, config, given, bounds, false);
  std::vector<RunReport> runs;
  for (int r = 0; r < repeat; ++r) runs.push_back(run_on_file(file, config, given, bounds, false));
  const RunReport median = median_run(std::move(runs));
  StudyPoint p =
      make_point("", workers, cores, described(file), static_cast<double>(median.run.epochs.size()), median);
  if (convergence && file.test)
    p.convergence = run_on_file(file, config, given, bounds, true).run.epochs;
  return p;
}


}  // namespace dsgd
