#pragma once
// Launching a training run: the SPMD loop of trainer.h on a backend, with the per-worker results
// gathered into one RunResult.
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "dsgd/comm/cluster.h"
#include "dsgd/comm/communicator.h"
#include "dsgd/model/metrics.h"
#include "dsgd/data/dataset.h"
#include "dsgd/data/holdout.h"
#include "dsgd/train/config/config.h"
#include "dsgd/train/loop/trainer.h"

namespace dsgd {

// What one worker did over a run: its time in the kernel and update (compute_s), of which the
// update, in the exchange, and the columns its updates moved.
struct WorkerWork {
  double compute_s = 0;
  double update_s = 0;
  double exchange_s = 0;
  std::uint64_t columns_updated = 0;
  // Gradient entries it sent to other workers and took from them; updated weights (sharded).
  std::uint64_t entries_sent = 0;
  std::uint64_t entries_received = 0;
  std::uint64_t weights_sent = 0;
  std::uint64_t weights_received = 0;
};

struct RunResult {
  LinearModel model;                   // rank 0's (all workers hold the same bits)
  std::size_t steps = 0;               // per worker = number of syncs of the gradient
  std::size_t best_epoch = 0;          // the epoch whose model was kept
  std::size_t releases = 0;            // times the workers gave back their rows' pages (resident_bytes)
  double time_s = 0;                   // training loop, slowest worker
  double response_time_s = 0;          // call to return: thread start, training, join
  double compute_s = 0;                // means over the workers
  double exchange_s = 0;               // all of the exchange, communication and waiting included
  double comm_s = 0;
  double wait_s = 0;
  double update_s = 0;                 // of compute_s, in the update
  std::vector<CommStats> per_worker;   // each worker's own counters
  std::vector<WorkerWork> work;        // and its own times and columns moved
  std::vector<EpochProgress> epochs;
  std::string algorithm;               // the communicator's reduction
  bool bytes_measured = true;          // false where MPI's own allreduce moved the bytes
  ExchangeStats exchange;              // rank 0's (every worker takes the same decisions)
  std::string exchange_why;            // auto's choice of the exchange, in one line (or empty)
  bool sparse_update = false;          // the lazy update on touched columns ran
  double touched_share = 0;            // mean share of the d columns a step's summed gradient touched
  TargetResult target;                 // rank 0's (every worker finds the same)
};

// Folds the workers' results (index = rank) into a RunResult (response_time_s left to the caller).
[[nodiscard]] RunResult combine(std::vector<WorkerResult> workers, std::string algorithm);

// The job of global worker k (0 <= k < config.workers), as this process can build it from the
// rows it holds.
using JobOf = std::function<WorkerJob(int worker)>;

// The usual jobs: worker k trains on shard_range(global rows, workers, k) of the training rows,
// and scores shard_range of the held-out rows (when given), of which this process holds `train`
// and `holdout` (their first_row() says where they start: process_rows() for a cluster).
[[nodiscard]] JobOf balanced_jobs(const TrainConfig& config, const Dataset& train, std::size_t global_train_rows,
                                  const Dataset* holdout = nullptr, std::size_t global_holdout_rows = 0,
                                  const LinearModel* init = nullptr);

// The jobs of a run with held-out rows set aside from the training file (holdout.h): worker k
// trains on the kept rows of its file shard shard_range(global_rows, workers, k) and scores
// the held-out ones, the same rows on every backend. `split` holds this process's file rows.
[[nodiscard]] JobOf holdout_jobs(const TrainConfig& config, const HoldoutSplit& split, std::size_t global_rows,
                                 const LinearModel* init = nullptr);

// Trains on a cluster, running `threads` workers in this process (threads inside the process,
// the cluster between processes); config.workers must be processes x threads, and job_of must
// be able to build the jobs of this process's workers rank * threads .. rank * threads +
// threads - 1. Every process must call it. The result is the same on every process and covers
// all workers (time_s the slowest, per_worker every one).
[[nodiscard]] RunResult train_on_cluster(const TrainConfig& config, Cluster& cluster, int threads,
                                         const JobOf& job_of, const EpochCallback& on_epoch = {});

// The sum of one value per worker in the global worker tree order (tree_sum): `local` holds the
// values of this process's workers, and every backend and split gives the same bits.
[[nodiscard]] double worker_sum(std::span<const double> local, ClusterComm& comm);

// Trains on `cluster` with `threads` workers in this process: a cluster of one process runs
// train_on_threads (threads == config.workers), one of several train_on_cluster. The same bits
// either way.
[[nodiscard]] RunResult train_on(const TrainConfig& config, Cluster& cluster, int threads, const JobOf& job_of,
                                 const EpochCallback& on_epoch = {});

// Trains with config.workers threads (persistent for the run) on the jobs job_of gives.
[[nodiscard]] RunResult train_on_threads(const TrainConfig& config, const JobOf& job_of,
                                         const EpochCallback& on_epoch = {});
// The same on all rows of `data`, worker k owning shard_range(rows, workers, k).
[[nodiscard]] RunResult train_on_threads(const TrainConfig& config, const Dataset& data,
                                         const EpochCallback& on_epoch = {});

}  // namespace dsgd
