#pragma once
// fit: the library's entry point for training on data in memory, on this machine's threads.
// The caller gives a configuration and says which of its fields it set; the data's defaults
// (defaults.h: workers that pay, scaling, optimizer, batch, epochs, rate, schedule) fill the
// rest, in the same order and with the same bits as `dsgd train FILE` (without --test,
// --holdout or --weights; Python's module calls this).
#include <atomic>
#include <cstddef>
#include <string>

#include "dsgd/data/dataset.h"
#include "dsgd/model/linear_model.h"
#include "dsgd/train/config.h"
#include "dsgd/train/defaults.h"
#include "dsgd/train/run.h"

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
};

struct FitResult {
  RunResult run;
  TrainConfig config;  // as trained: the data's defaults decided, workers the ones that ran
  std::string note;    // why fewer workers ran than config.workers asked for, or ""
};

// Trains on every row of `data` (its sample weights, if any, weigh the rows). Where `given` does
// not name "workers", config.workers is ignored: up to default_workers() run, fewer where more
// would not pay (worker_count.h), as on the command line.
// Throws ConfigError for a configuration that cannot run.
[[nodiscard]] FitResult fit(const Dataset& data, TrainConfig config, const GivenField& given,
                            const FitOptions& options = {});

}  // namespace dsgd
