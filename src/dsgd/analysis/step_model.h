#pragma once
// The per-step cost of the exchanges (train/sync/exchange_cost.h) put to a bench's runs on
// sparse data: the step's shape measured on the data for each worker count, the machine's costs
// calibrated on the same bench's sequential run, the parallel run predicted (the check of the
// model), and steps predicted beyond this machine, W = 2 to 64 hosts at 1, 10 and 100 Gbit/s
// (extrapolations). Called by the bench command; docs/performance.md shows its figures.
#include <optional>
#include <string>
#include <vector>

#include "dsgd/data/dataset.h"
#include "dsgd/train/loop/run.h"
#include "dsgd/train/sync/exchange_cost.h"

namespace dsgd {

// The shape of a step of `global_batch` rows split over `workers`, measured on the first rows
// of `data` (sparse): one worker's non-zeros and distinct columns, and the step's.
[[nodiscard]] StepShape measured_shape(const Dataset& data, std::size_t global_batch, int workers);

// The exchange a run's steps took ("sharded", "shared", "sparse" or "dense").
[[nodiscard]] ExchangeMode exchange_taken(const RunResult& run) noexcept;

struct HostPrediction {
  int workers = 0;
  double gbit = 0;    // the link of each host
  double one_s = 0;   // a step on one worker
  StepCost sharded;   // a step of each worker, sharded
  StepCost lists;     // and with lists
};

struct StepModel {
  MachineCosts costs;        // calibrated on the sequential run
  ExchangeMode mode = ExchangeMode::kAuto;  // the parallel run's
  StepShape shape;           // of the parallel run's steps
  StepCost step;             // predicted for one of them
  double predicted_s = 0;    // the parallel run's time, predicted
  double measured_s = 0;     // and measured
  std::vector<HostPrediction> hosts;
};

// The model of a bench on sparse `data` (nullopt on dense data or a one-worker parallel run):
// `global_batch` rows a step, the sequential and parallel runs, `cores` the machine's, and
// whether the parallel workers were processes (their link then MPI's on one host).
[[nodiscard]] std::optional<StepModel> model_steps(const Dataset& data, std::size_t global_batch,
                                                   const RunResult& sequential, const RunResult& parallel,
                                                   std::size_t epochs, int cores, bool processes);

}  // namespace dsgd
