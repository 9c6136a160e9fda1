#pragma once
// The SPMD training loop, the same for 1 and for W workers on any Communicator: each worker
// takes steps on its shard of the rows, the synchronisation strategy (sync/sync.h) sums and
// applies them, and the callbacks (callbacks.h) see every step and epoch. Guarantees: every
// worker ends with the same model, the same seed and workers give the same bits on every
// backend, and one worker is sequential SGD. Called by run.h's train_on_threads and
// train_on_cluster, one call a worker.
#include <atomic>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "dsgd/comm/communicator.h"
#include "dsgd/data/dataset.h"
#include "dsgd/model/linear_model.h"
#include "dsgd/train/callbacks/callbacks.h"
#include "dsgd/train/state/checkpoint.h"
#include "dsgd/train/config/config.h"
#include "dsgd/train/sync/exchange.h"
#include "dsgd/train/state/state.h"
#include "dsgd/train/sync/local_gradient.h"

namespace dsgd {

struct WorkerResult {
  LinearModel model;
  std::size_t steps = 0;
  std::size_t best_epoch = 0;  // the epoch whose model was kept (the last one without early stop)
  double train_s = 0;          // first step to last update
  double compute_s = 0;        // kernel and update
  double exchange_s = 0;       // in the exchange: its own work on the lists, communicating and waiting
  double update_s = 0;         // of compute_s, in the update
  std::uint64_t columns_updated = 0;  // columns its updates moved, over the run (shared: its share)
  CommStats comm;
  std::vector<EpochProgress> epochs;
  ExchangeStats exchange;
  std::string exchange_why;    // auto's choice of the exchange, in one line (empty: none made)
  bool sparse_update = false;  // the lazy update on touched coordinates ran (update.h)
  std::size_t releases = 0;    // times the worker gave back its rows' pages (WorkerJob::resident_bytes)
  double touched_share = 0;    // mean over steps of the share of the d coordinates the summed gradient touched
  TargetResult target;         // with a target (config.has_target()): whether and where it was met
};

// What one worker works on.
struct WorkerJob {
  Shard train;
  Shard holdout;                      // scored after each epoch (early stopping with patience); set on
                                      // every worker or on none (it is a collective)
  const LinearModel* init = nullptr;  // warm start; its standardisation, if any, is kept
  // A warm start that goes on: the epochs `init` was trained for. The run starts at that epoch
  // and at step start_epoch x steps an epoch, so that its rate schedule and shuffles continue,
  // and ends at config.epochs (which counts them too). 0: a fresh schedule.
  std::size_t start_epoch = 0;
  // Checkpoints to write (rank 0 writes them, in a thread of its own, while training goes on),
  // and one to go on from: every worker gets the same one, and the run then ends with the bits
  // of the run it was taken from.
  const CheckpointPlan* checkpoint = nullptr;
  const TrainSnapshot* resume = nullptr;
  // When given, read at every epoch's end (one allreduce of one value, so that all workers agree
  // even where they read it at different moments): once set on any worker, every worker throws
  // Interrupted there. Python's fit sets it on Ctrl-C.
  const std::atomic<bool>* stop = nullptr;
  // A bound on the memory of this worker's rows read in place from a file's mapping (0: none):
  // when its rows take more, the worker gives back their pages (Dataset::release) each time it
  // has read about this many bytes of them, so that data larger than memory trains, the same bits.
  std::size_t resident_bytes = 0;
};

[[nodiscard]] std::size_t steps_per_epoch(std::size_t largest_shard, std::size_t batch) noexcept;

// Sums of x and x^2 per feature over rows `rows` of `data` (each of size data.features(),
// added to), each row multiplied by its sample weight; returns the rows' total weight (their
// count when unweighted).
double add_moments(const Dataset& data, RowRange rows, std::span<double> sum, std::span<double> sum_squares);

// Runs the loop on this worker. comm.size() must equal config.workers. on_epoch is called on
// rank 0 only, after each epoch.
[[nodiscard]] WorkerResult train_worker(const TrainConfig& config, const WorkerJob& job, Communicator& comm,
                                        const EpochCallback& on_epoch = {});

}  // namespace dsgd
