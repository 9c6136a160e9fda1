#include "training.h"

#include <fmt/format.h>

#include <algorithm>

#include "dsgd/base/error.h"
#include "dsgd/report/report.h"
#include "dsgd/model/evaluation.h"
#include "dsgd/train/config/memory.h"
#include "dsgd/train/loop/run.h"
#include "dsgd/base/version.h"
#include "experiment.h"

namespace dsgd::cli {

TrainOutputs open_outputs(const std::string& model_path, const std::string& model_format, const TrainOptions& train,
                          Cluster& cluster) {
  TrainOutputs out;
  out.model_path = model_path;
  out.liblinear = model_format == "liblinear";
  std::optional<InputError> unwritable;
  try {
    const bool root = cluster.rank() == 0;
    if (root && !train.json.empty()) out.json.emplace(train.json);
    if (root && !model_path.empty()) out.model.emplace(model_path);
  } catch (const InputError& e) {
    unwritable = e;
  }
  if (any_worker(cluster.comm(), unwritable.has_value())) {
    if (unwritable) throw SharedInputError(unwritable->file(), unwritable->line(), unwritable->message());
    throw SharedInputError("", 0, "rank 0 could not open an output file");
  }
  return out;
}

RunBounds run_bounds(const Dataset& rows, double epochs, int threads, Cluster& cluster) {
  const bool sparse = rows.layout() == Layout::kSparse;
  const bool alone = cluster.size() == 1;
  const MachineBounds measured = measure_bounds(threads, sparse, rows.features(), alone);
  RunBounds b;
  b.bandwidth_gbs = measured.bandwidth_gbs;
  b.source = alone ? measured.source : "measured now by every rank at once";
  b.time_s = epochs * static_cast<double>(rows.feature_bytes()) / (b.bandwidth_gbs * 1e9);
  if (sparse && measured.random_reads_per_s > 0) {
    b.random_reads_per_s = measured.random_reads_per_s;
    b.random_time_s = epochs * static_cast<double>(rows.values()) / b.random_reads_per_s;
  }
  const std::vector<double> all = allgather_one<double>(cluster.comm(), b.time_s);
  b.time_s = *std::max_element(all.begin(), all.end());
  const std::vector<double> random = allgather_one<double>(cluster.comm(), b.random_time_s);
  b.random_time_s = *std::max_element(random.begin(), random.end());
  return b;
}

int finish_training(TrainingReport& report, Model model, const TrainOptions& train, TrainOutputs& out,
                    const Cluster& cluster) {
  if (cluster.rank() != 0) return 0;
  report.model_path = out.model ? out.model_path : "";
  report.peak_resident_bytes = peak_resident_bytes();
  if (!train.quiet) print_training_summary(stdout, report, train.verbose);
  model.params = report.run.model;
  model.dsgd_version = version();
  std::vector<AtomicFile*> outputs;  // committed together: all, or (a write failed) none
  if (out.model) {
    if (out.liblinear) {
      put_liblinear_model(model, *out.model);
    } else {
      put_model(model, *out.model);
    }
    outputs.push_back(&*out.model);
  }
  if (out.json) {
    put_json(*out.json, to_json(report));
    outputs.push_back(&*out.json);
  }
  commit_together(outputs);
  return 0;
}

}  // namespace dsgd::cli
