#pragma once
// Launching a training run: the SPMD loop of trainer.h on a backend, with the per-worker results
// gathered into one RunResult.
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "dsgd/comm/cluster.h"
#include "dsgd/comm/communicator.h"
#include "dsgd/model/metrics.h"
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
  bool bytes_measured = true;          // false where MPI's own allreduce moved the bytes
};

// Folds the workers' results (index = rank) into a RunResult (response_time_s left to the caller).
[[nodiscard]] RunResult combine(std::vector<WorkerResult> workers, std::string algorithm);

// The rows process `rank` of `processes`, each running `threads` workers, holds: the union of
// its workers' shards, global workers rank * threads .. rank * threads + threads - 1.
[[nodiscard]] RowRange process_rows(std::size_t global_rows, int processes, int threads, int rank) noexcept;

// Trains on a cluster. This process holds `local`, the rows process_rows() gives it (local's
// first_row says where they start), out of `global_rows`; it runs `threads` workers (threads
// inside the process, the cluster between processes); config.workers must be processes x
// threads. Every process must call it. The result is the same on every process and covers all
// workers (time_s the slowest, per_worker every one).
[[nodiscard]] RunResult train_on_cluster(const TrainConfig& config, const Dataset& local, std::size_t global_rows,
                                         Cluster& cluster, int threads, const EpochCallback& on_epoch = {});

// Metrics of w over every process's `local` rows together.
[[nodiscard]] Metrics evaluate_on_cluster(const Dataset& local, std::span<const double> w, Communicator& comm);

// Every process's `mine` (the same length on each), concatenated in rank order, on every process:
// an allreduce of a vector in which each process fills its own part (adding zeros is exact).
[[nodiscard]] std::vector<double> gather(Communicator& comm, std::span<const double> mine);

// Trains on all rows of `data` with config.workers threads (persistent for the run), worker k
// owning shard_range(rows, workers, k).
[[nodiscard]] RunResult train_on_threads(const TrainConfig& config, const Dataset& data,
                                         const EpochCallback& on_epoch = {});

}  // namespace dsgd
