#pragma once
// The data's defaults: the settings a run on a data file or an in-memory array (the command
// line's `dsgd train FILE`, Python's fit) takes where the caller set none, decided from the
// data's shape alone so that every backend and both front ends decide the same. Chosen so that
// training reaches LIBLINEAR's held-out accuracy without tuning (bench/compare_liblinear.py and
// the README): 30 epochs of about 128 steps, the global batch a 128th of the rows whatever the
// worker count, shuffled, the rate halved every 5 epochs from a peak of 32 / (mean |x|^2 + 1).
// (A synthetic run keeps TrainConfig's own defaults, the seed experiment's.)
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsgd/comm/cluster.h"
#include "dsgd/data/dataset.h"
#include "dsgd/model/linear_model.h"
#include "dsgd/train/config/config.h"

namespace dsgd {

inline constexpr std::size_t kDataEpochs = 30;
inline constexpr std::size_t kDataStepsPerEpoch = 128;
inline constexpr std::size_t kDataMinBatch = 16;
inline constexpr std::size_t kDataMaxBatch = 1024;
inline constexpr double kDataRateScale = 32.0;
inline constexpr double kDataStepEpochs = 5.0;
// Sparse data this wide trains with adagrad: with many columns most are rare, and one rate that
// suits the common ones leaves the rare ones unlearnt (measured: 74.7% against adagrad's 79.7%
// and LIBLINEAR's 80.3% on 1M rows x 4M Zipf columns; a9a, w8a and the other narrow sets keep
// sgd, which matches LIBLINEAR there). Adagrad's rate is scale-free: a peak of 0.1, constant, for
// about kAdagradSteps steps (3 to 30 epochs).
inline constexpr std::size_t kAdagradFromColumns = 10'000;
inline constexpr double kAdagradRate = 0.1;
inline constexpr std::size_t kAdagradSteps = 1500;

// Whether the caller set a TrainConfig field, by its name in the configuration's JSON
// ("optimizer", "batch", "epochs", "lr", "schedule", "lr_step_epochs", "shuffle", "workers",
// "scale"): the fields not set take the data's defaults.
using GivenField = std::function<bool(std::string_view field)>;

// The batch a run on `rows` rows takes with `workers` workers where none is given.
[[nodiscard]] std::size_t data_batch(std::size_t rows, int workers) noexcept;

// The scaling data gets where the caller chose none: unscaled features (some |x| > 1 in any
// process's rows) are standardised when stored dense, scaled by their largest |x| when sparse
// (which keeps zeros zero); features within [-1, 1] are left as they are.
[[nodiscard]] Scaling default_scaling(const Dataset& data, Cluster& cluster);

// The scaling training takes, set in config.scale: the warm start's (`init`, when given), the
// caller's (config.scale as it is, when `scale_given`), or default_scaling. A maxabs scaling is
// found here, over every process's rows (the rate's default depends on it), and training starts
// from the model returned: zero weights and that scaling (nothing otherwise).
[[nodiscard]] std::optional<LinearModel> decide_scaling(TrainConfig& config, const Dataset& data, bool scale_given,
                                                        const LinearModel* init, Cluster& cluster);

// The workers of a run and the threads of each process, decided once (fit calls it; so does
// `dsgd train FILE`, which sums its row weights by worker shards before fitting): on a cluster
// whose processes run a fixed number of `threads` (MPI's --threads-per-rank), processes x
// threads; in one process, config.workers where `given` names "workers", else the most, up to
// default_workers(), that pay for a step of this data (worker_count.h), the batch being
// config.batch where given and data_batch otherwise. `why` says why fewer were taken.
struct DataWorkers {
  int workers = 1;
  int threads = 1;  // this process's worker threads
  std::string why;
};
[[nodiscard]] DataWorkers decide_workers(const TrainConfig& config, const Dataset& data, std::size_t total_rows,
                                         const GivenField& given, const Cluster& cluster,
                                         std::optional<int> threads);

// Sets the fields `given` does not name (config.scale and config.workers decided already):
// optimizer, batch, epochs, rate, schedule and shuffling. `data` holds rows data.first_row() ..
// of the `total_rows` (all of them, or this process's on a cluster of processes running
// `threads` workers each: config.workers in one process); `start` is the model training starts from (its scaling is the one
// trained with), if any. The same on every backend.
void apply_data_defaults(TrainConfig& config, const Dataset& data, std::size_t total_rows, const GivenField& given,
                         Cluster& cluster, int threads, const LinearModel* start);

// fn(local rows) for the rows of each of this process's workers (rows data.first_row() .. of
// `data`, worker k of `workers` owning shard_range(total_rows, workers, k)), for workers
// first_worker .. first_worker + count - 1: what worker_sum adds in the same order on every backend.
[[nodiscard]] std::vector<double> shard_sums(const Dataset& data, std::size_t total_rows, int workers, int first_worker,
                                             int count, const std::function<double(RowRange)>& fn);

}  // namespace dsgd
