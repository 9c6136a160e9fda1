#pragma once
// Launching a training run: the SPMD loop of trainer.h on a backend, with the per-worker results
// gathered into one RunResult.
#include <cstddef>
#include <vector>

#include "dsgd/comm/communicator.h"
#include "dsgd/data/dataset.h"
#include "dsgd/train/config.h"
#include "dsgd/train/trainer.h"

namespace dsgd {

struct RunResult {
  std::vector<double> weights;         // rank 0's (all workers hold the same bits)
  std::size_t steps = 0;               // per worker = number of syncs of the gradient
  double time_s = 0;                   // training loop, slowest worker
  double response_time_s = 0;          // call to return: thread start, training, join
  double compute_s = 0;                // means over the workers
  double comm_s = 0;
  double wait_s = 0;
  std::vector<CommStats> per_worker;   // each worker's own counters
  std::vector<EpochProgress> epochs;
  std::string algorithm;               // the communicator's reduction
};

// Folds the workers' results (index = rank) into a RunResult (response_time_s left to the caller).
[[nodiscard]] RunResult combine(std::vector<WorkerResult> workers, std::string algorithm);

// Trains on all rows of `data` with config.workers threads (persistent for the run), worker k
// owning shard_range(rows, workers, k).
[[nodiscard]] RunResult train_on_threads(const TrainConfig& config, const Dataset& data,
                                         const EpochCallback& on_epoch = {});

}  // namespace dsgd
