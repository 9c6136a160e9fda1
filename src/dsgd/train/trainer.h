#pragma once
// The SPMD training loop: the same code for 1 and for W workers, on any Communicator.
//
// Every worker owns a contiguous shard of the rows. In each step it computes the gradient sum of
// its next micro-batch (up to `batch` rows; none once its shard is used up), the workers sum
// (gradient, row count, loss, hits) with one allreduce, and every worker applies the identical
// update w -= lr(step) * gradient_sum / global_count to its own replica of w. Dividing the sum by
// the global count weighs every row the same, also when batches differ in size (short last
// batches, uneven shards). All workers agree on the number of steps per epoch up front (from
// the largest shard), so nobody skips a collective.
#include <cstddef>
#include <functional>
#include <vector>

#include "dsgd/comm/communicator.h"
#include "dsgd/data/dataset.h"
#include "dsgd/train/config.h"

namespace dsgd {

// One line of the progress table: the epoch's progressive loss and accuracy (each row scored
// with the weights before the step that used it, summed over all workers).
struct EpochProgress {
  std::size_t epoch = 0;  // 1-based
  double loss = 0;
  double accuracy = 0;
  double lr = 0;          // rate of the epoch's last step
  double time_s = 0;      // seconds this epoch took
};
using EpochCallback = std::function<void(const EpochProgress&)>;

struct WorkerResult {
  std::vector<double> weights;
  std::size_t steps = 0;
  double train_s = 0;    // first step to last update
  double compute_s = 0;  // kernel and update
  CommStats comm;
  std::vector<EpochProgress> epochs;
};

// What one worker trains on: rows [rows.begin, rows.end) of `data`, out of `global_rows` rows in
// all workers' shards together.
struct Shard {
  const Dataset* data = nullptr;
  RowRange rows;
  std::size_t global_rows = 0;
};

[[nodiscard]] std::size_t steps_per_epoch(std::size_t global_rows, int workers, std::size_t batch) noexcept;

// Runs the loop on this worker. comm.size() must equal config.workers. on_epoch is called on
// rank 0 only, after each epoch.
[[nodiscard]] WorkerResult train_worker(const TrainConfig& config, const Shard& shard, Communicator& comm,
                                        const EpochCallback& on_epoch = {});

}  // namespace dsgd
