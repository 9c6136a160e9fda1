#pragma once
// TrainConfig: every training option in one place, with its default. config_fields.h describes
// each field (its names, help and check) for the command line, JSON and Python.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace dsgd {

// How the rate moves after the warm-up (see schedule.h).
enum class LrSchedule { kConstant, kInverseSqrt, kStep };
[[nodiscard]] std::string_view to_string(LrSchedule schedule) noexcept;
// Accepts "constant", "inverse-sqrt", "step"; throws ConfigError otherwise.
[[nodiscard]] LrSchedule parse_schedule(std::string_view name);

// How the workers sum sparse gradients (exchange.h).
enum class ExchangeMode { kAuto, kDense, kSparse, kShared, kSharded };
[[nodiscard]] std::string_view to_string(ExchangeMode mode) noexcept;
// Accepts "auto", "dense", "sparse", "shared", "sharded"; throws ConfigError otherwise.
[[nodiscard]] ExchangeMode parse_exchange(std::string_view name);

// How features are scaled before training (scaling.h).
enum class Scaling { kNone, kMaxAbs, kStandardize };
[[nodiscard]] std::string_view to_string(Scaling scaling) noexcept;
// Accepts "none", "maxabs", "standardize"; throws ConfigError otherwise.
[[nodiscard]] Scaling parse_scaling(std::string_view name);

// How a step's gradient moves the weights (update.h): one rate for every column (sgd), or per
// column, divided by the root of the column's summed squared gradients (adagrad, Duchi et al.
// 2011), so that rarely seen columns take large steps and common ones small.
enum class Optimizer { kSgd, kAdagrad };
[[nodiscard]] std::string_view to_string(Optimizer optimizer) noexcept;
// Accepts "sgd", "adagrad"; throws ConfigError otherwise.
[[nodiscard]] Optimizer parse_optimizer(std::string_view name);

// TrainConfig::sync_every's value for averaging once an epoch, at its end.
inline constexpr std::size_t kSyncEveryEpoch = 0;
// "1", "16" or "epoch" (kSyncEveryEpoch).
[[nodiscard]] std::string to_string_sync_every(std::size_t sync_every);
// A positive number of steps, or "epoch" (0), for `option`; throws ConfigError naming it otherwise.
[[nodiscard]] std::size_t parse_steps_or_epoch(std::string_view option, std::string_view text);
// parse_steps_or_epoch for --sync-every (kSyncEveryEpoch is 0).
[[nodiscard]] std::size_t parse_sync_every(std::string_view text);

struct TrainConfig {
  std::size_t epochs = 8;          // passes over the data (at most, with early stopping)
  std::size_t batch = 8192;        // rows per worker per step; the global batch is workers x batch
  double lr = 0.1;                 // base rate; the rate used is lr x workers after warm-up
  double warmup_epochs = 1.0;      // per-step linear ramp from lr to lr x workers; 0 disables
  LrSchedule schedule = LrSchedule::kConstant;
  double step_epochs = 2.0;        // step schedule: epochs between two cuts of the rate
  double step_factor = 0.5;        // step schedule: what each cut multiplies the rate by
  bool bias = true;                // learn an intercept (not regularised)
  double l2 = 0.0;                 // adds l2/2 |w|^2 to the mean loss
  Scaling scale = Scaling::kNone;  // standardize: train on (x - mean) / std, the moments found by an
                                   // allreduce; maxabs: on x / s (s from the data or the start model)
  std::size_t patience = 0;        // early stop after this many epochs without a better held-out
                                   // loss (0: never); needs held-out rows
  bool shuffle = false;            // seeded permutation of each shard per epoch (the seed had none)
  std::uint64_t seed = 42;         // data generation, hold-out selection and shuffling
  int workers = 1;                 // SPMD workers
  ExchangeMode exchange = ExchangeMode::kAuto;  // how sparse gradients travel (exchange.h)
  Optimizer optimizer = Optimizer::kSgd;
  // When the workers communicate (trainer.h). 1: every step, the gradients summed (the
  // exchange's strategy). K > 1: local SGD: each worker takes K steps on its own rows with its
  // own replica of the model, then the workers average their models (and adagrad's sums), and
  // at every epoch's end; kSyncEveryEpoch: once an epoch (Vowpal Wabbit's averaging per pass).
  std::size_t sync_every = 1;
  // Overlap (pipelined SGD): each step's dense exchange travels while the worker computes the
  // next step's gradient, at the weights before that exchange's update: every update but an
  // epoch's first uses a gradient one step old. The pipeline empties at every epoch's end. With
  // one worker there is nothing to hide, and it is sequential SGD.
  bool overlap = false;
  // Stop once the held-out rows (which the run needs) reach this accuracy, or this mean
  // log-loss (NaN: no such target), scored every target_every steps and at every epoch's end
  // (target_every 0: at epochs' ends only): the measure by which strategies are compared.
  double target_accuracy = std::numeric_limits<double>::quiet_NaN();
  double target_loss = std::numeric_limits<double>::quiet_NaN();
  std::size_t target_every = 0;
  // false: a met target is recorded (step, time, figures) and training goes on to its end, so
  // that one run gives both the time to the target and the final accuracy.
  bool target_stop = true;
  // Local SGD (sync_every != 1 on more than one worker): each worker steps on its own batch at
  // one worker's rate, lr, without the scaling by the worker count and its warm-up.
  [[nodiscard]] bool local_sgd() const noexcept { return workers > 1 && sync_every != 1; }
  [[nodiscard]] bool has_target() const noexcept { return !std::isnan(target_accuracy) || !std::isnan(target_loss); }

  // Throws ConfigError naming (error.h's field()) the field that is out of its range
  // (config_fields.h), or the fields that cannot go together. Defined in config_fields.cc.
  void validate() const;
};

}  // namespace dsgd
