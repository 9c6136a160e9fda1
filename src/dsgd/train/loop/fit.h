#pragma once
// fit: the library's entry point for training on a dataset, on this machine's threads or on a
// cluster of processes. The caller gives a configuration and says which of its fields it set;
// the data's defaults (defaults.h: workers that pay, scaling, optimizer, batch, epochs, rate,
// schedule) fill the rest. The command line's `dsgd train FILE` and Python's fit both train
// through it, so that the same data and options give the same bits from either.
#include <atomic>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "dsgd/comm/cluster.h"
#include "dsgd/data/dataset.h"
#include "dsgd/data/holdout.h"
#include "dsgd/model/linear_model.h"
#include "dsgd/train/config/config.h"
#include "dsgd/train/config/defaults.h"
#include "dsgd/train/loop/run.h"

namespace dsgd {

struct FitOptions {
  // A warm start (its scaling is kept; config.scale is then ignored), and the epochs it was
  // trained for: a run goes on with epochs start_epoch + 1 .. start_epoch + config.epochs of the
  // schedule (0: the schedule starts again).
  const LinearModel* init = nullptr;
  std::size_t start_epoch = 0;
  // Set by another thread or a signal handler: the run throws Interrupted at the next epoch's end.
  const std::atomic<bool>* stop = nullptr;
  EpochCallback on_epoch;
  // The processes that train, each on its rows of the data (`data` holds rows data.first_row()
  // .. of total_rows), and the worker threads of each when fixed (MPI's --threads-per-rank:
  // config.workers is then processes x threads, given or not). By default this process alone,
  // its threads decided by decide_workers (defaults.h).
  std::reference_wrapper<Cluster> cluster = this_process();
  std::optional<int> threads;
  std::size_t total_rows = 0;  // 0: data.rows()
  // Held-out rows for early stopping (config.patience) and targets: a share of the data's rows
  // set aside (holdout_fraction, chosen by a seeded hash of the row number, data/holdout.h), or
  // other rows (holdout: this process's of holdout_rows in all).
  double holdout_fraction = 0;
  const Dataset* holdout = nullptr;
  std::size_t holdout_rows = 0;
  // A bound on the memory of the rows when they are read in place from a file's mapping (a
  // cache): past it the workers give back their rows' pages as they go (WorkerJob::resident_bytes,
  // this shared out), so that data larger than memory trains to the same bits. 0: none.
  std::size_t resident_rows_bytes = 0;
  // Called once the configuration is decided, before training (every process): it may add to
  // each worker's job (checkpoints, resumption) and say what the run is about to do.
  std::function<JobOf(const TrainConfig& config, JobOf jobs)> before_training;
};

struct FitResult {
  RunResult run;
  TrainConfig config;  // as trained: the data's defaults decided, workers the ones that ran
  std::string note;    // why fewer workers ran than config.workers asked for, or ""
  // With holdout_fraction: the rows trained on and those set aside (this process's).
  std::optional<HoldoutSplit> split;
};

// Trains on the rows of `data` (its sample weights, if any, weigh the rows), the workers decided
// by decide_workers. Every process of a cluster calls it alike.
// Throws ConfigError for a configuration that cannot run.
[[nodiscard]] FitResult fit(const Dataset& data, TrainConfig config, const GivenField& given,
                            const FitOptions& options = {});

}  // namespace dsgd
