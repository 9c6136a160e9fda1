#pragma once
// What dsgd train's two paths (a data file, synthetic data) share: the output files opened
// before any work, the model scored, its bounds (--verbose), and the run's report printed and
// written with the model, all outputs or none.
#include <optional>
#include <string>

#include "dsgd/comm/cluster.h"
#include "dsgd/base/atomic_file.h"
#include "dsgd/model/model_file.h"
#include "dsgd/report/training_report.h"
#include "options.h"

namespace dsgd::cli {

// The files a run writes (rank 0's), opened before it starts.
struct TrainOutputs {
  std::optional<AtomicFile> model;
  std::optional<AtomicFile> json;
  std::string model_path;
  bool liblinear = false;  // --model-format liblinear
};
// Opens -o (`model_path`) and --json on rank 0; a failure ends every rank alike (exit code 1,
// rank 0 saying why).
[[nodiscard]] TrainOutputs open_outputs(const std::string& model_path, const std::string& model_format,
                                        const TrainOptions& train, Cluster& cluster);

// The bounds of `epochs` over `rows` (this process's) with `threads` threads a process: from
// this boot's figures in one process; on a cluster of several every process measures now, at
// once (ranks on one host share its bandwidth), and the slowest process's bound holds.
[[nodiscard]] RunBounds run_bounds(const Dataset& rows, double epochs, int threads, Cluster& cluster);

// The end of a run: the report printed (root, unless --quiet: the summary; the rest was printed
// as the run went), the model (`model`'s parameters, labels, input and record; the report's
// run) and the JSON report written and committed together. Returns the exit code.
int finish_training(TrainingReport& report, Model model, const TrainOptions& train, TrainOutputs& out,
                    const Cluster& cluster);

}  // namespace dsgd::cli
