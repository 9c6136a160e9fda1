#pragma once
// The SPMD training loop: the same code for 1 and for W workers, on any Communicator.
//
// Every worker owns a contiguous shard of the rows. In each step it computes the gradient sum of
// its next micro-batch (up to `batch` rows; none once its shard is used up), the workers sum
// (gradient, row count, loss, hits, bias gradient) with one allreduce, and every worker applies
// the identical update
//   w -= lr(step) * (gradient_sum / global_count + l2 * w),   b -= lr(step) * bias_sum / global_count
// to its own replica of the model. Dividing the sum by the global count weighs every row the
// same, also when batches differ in size (short last batches, uneven shards). All workers agree
// on the number of steps per epoch up front (from the largest shard, found by an allreduce), so
// nobody skips a collective. Standardisation moments and the held-out loss for early stopping
// are allreduced the same way, so every worker takes the same decisions.
#include <cstddef>
#include <functional>
#include <vector>

#include "dsgd/comm/communicator.h"
#include "dsgd/data/dataset.h"
#include "dsgd/model/linear_model.h"
#include "dsgd/train/config.h"

namespace dsgd {

// One line of the progress table: the epoch's progressive loss and accuracy (each row scored
// with the weights before the step that used it, summed over all workers), and the held-out
// loss and accuracy after the epoch (NaN without held-out rows).
struct EpochProgress {
  std::size_t epoch = 0;  // 1-based
  double loss = 0;
  double accuracy = 0;
  double holdout_loss = 0;
  double holdout_accuracy = 0;
  double lr = 0;          // rate of the epoch's last step
  double time_s = 0;      // seconds this epoch took
};
using EpochCallback = std::function<void(const EpochProgress&)>;

struct WorkerResult {
  LinearModel model;
  std::size_t steps = 0;
  std::size_t best_epoch = 0;  // the epoch whose model was kept (the last one without early stop)
  double train_s = 0;          // first step to last update
  double compute_s = 0;        // kernel and update
  CommStats comm;
  std::vector<EpochProgress> epochs;
};

// Rows [rows.begin, rows.end) of `data`; data == nullptr means none.
struct Shard {
  const Dataset* data = nullptr;
  RowRange rows;
};

// What one worker works on.
struct WorkerJob {
  Shard train;
  Shard holdout;                      // scored after each epoch (early stopping with patience); set on
                                      // every worker or on none (it is a collective)
  const LinearModel* init = nullptr;  // warm start; its standardisation, if any, is kept
};

[[nodiscard]] std::size_t steps_per_epoch(std::size_t largest_shard, std::size_t batch) noexcept;

// Sums of x and x^2 per feature over rows `rows` of `data` (each of size data.features(),
// added to).
void add_moments(const Dataset& data, RowRange rows, std::span<double> sum, std::span<double> sum_squares);

// Runs the loop on this worker. comm.size() must equal config.workers. on_epoch is called on
// rank 0 only, after each epoch.
[[nodiscard]] WorkerResult train_worker(const TrainConfig& config, const WorkerJob& job, Communicator& comm,
                                        const EpochCallback& on_epoch = {});

}  // namespace dsgd
