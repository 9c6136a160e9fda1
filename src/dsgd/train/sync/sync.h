#pragma once
// How the workers synchronise: one class a strategy, behind this one seam. A strategy owns a
// step from this worker's rows to its updated model: the local gradient (computed now, or
// ahead by the step before), what is sent and when, the update, its timers and counters, the
// combinations of options it refuses, and when every worker holds the same model. The loop
// (trainer.cc) only asks it for steps; a new strategy is a new file here and a line in
// make_sync (strategies.cc).
//
// Strategies:
//  - every step (every_step.cc): the gradients summed every step by an Exchange (exchange.h:
//    dense, sparse lists, shared model, auto), the same update on every worker;
//  - local SGD (local_sgd.cc, TrainConfig::sync_every != 1): K steps (or an epoch) on the
//    worker's own replica, then the replicas averaged;
//  - overlap (overlap.cc, TrainConfig::overlap): each step's dense exchange travels while the
//    next step's gradient is computed;
//  - sharded (sharded.cc, TrainConfig::exchange sharded): each column summed and moved by its
//    owner, the new weights sent to every worker.
// Contract: step() is a collective (every worker calls it once a step, the same steps); the
// same seed and workers give the same bits on every backend.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "dsgd/comm/communicator.h"
#include "dsgd/model/kernel.h"
#include "dsgd/model/linear_model.h"
#include "dsgd/base/timer.h"
#include "dsgd/train/state/checkpoint.h"
#include "dsgd/train/config/config.h"
#include "dsgd/train/sync/exchange.h"
#include "dsgd/train/sync/local_gradient.h"
#include "dsgd/train/update/update.h"

namespace dsgd {

// Where a step is, and the rows it works on.
struct StepContext {
  const Shard* shard = nullptr;          // this worker's rows
  const std::uint32_t* order = nullptr;  // their shuffled order this epoch, or null (in order)
  std::size_t batch = 0;                 // rows a step
  std::size_t step = 0;                  // in the epoch, 0-based
  std::size_t steps = 0;                 // steps an epoch
  std::size_t epoch = 0;                 // epochs completed
  std::size_t global_step = 0;           // steps completed: the position in the schedule
  double lr = 0;                         // this step's rate

  // This step's rows of the shard (begin, count), or those of step s.
  [[nodiscard]] RowSpan rows(std::size_t s) const noexcept;
  [[nodiscard]] RowSpan rows() const noexcept { return rows(step); }
};

// What a step adds to its epoch's progress: every worker's pass sums together (a local SGD
// step between averages adds none), and the columns the update touched.
struct StepOutcome {
  PassSums sums;
  std::size_t touched = 0;
};

class Sync {
 public:
  Sync() = default;
  Sync(const Sync&) = delete;
  Sync& operator=(const Sync&) = delete;
  virtual ~Sync() = default;

  // Throws ConfigError for what this strategy cannot do: checkpoints every `plan->every_steps`
  // steps, a resume in the middle of an epoch (`resume_in_epoch`), a target scored every
  // config.target_every steps, where the workers' models may differ then.
  virtual void refuse(const TrainConfig& config, const CheckpointPlan* plan, bool resume_in_epoch) const = 0;
  // One step. Throws DivergedError when the numbers leave the finite doubles (every worker
  // alike), CommError for a collective that failed.
  virtual StepOutcome step(const StepContext& work) = 0;
  // Whether every worker holds the same model after `steps_done` global steps (always at an
  // epoch's end): where checkpoints and targets may look at it.
  [[nodiscard]] virtual bool agreed_after(std::size_t steps_done) const = 0;
  // What was sent, and how often, over the run.
  [[nodiscard]] virtual ExchangeStats stats() const = 0;

  // The update the strategy keeps the weights in (store, save and restore them).
  [[nodiscard]] Update& update() noexcept { return *update_; }
  // Whether the update ran on touched columns (the sparse path).
  [[nodiscard]] bool sparse_update() const noexcept { return gradient_->sparse_path(); }
  // Time in the kernel and the update, and in the exchange (its own work, communicating and
  // waiting), over the run.
  [[nodiscard]] double compute_s() const noexcept { return seconds_of(compute_time_); }
  [[nodiscard]] double exchange_s() const noexcept { return seconds_of(exchange_time_); }
  // Of compute_s, the time in the update; and the columns this worker's updates moved (on a
  // shared model, its share of them).
  [[nodiscard]] double update_s() const noexcept { return seconds_of(update_time_); }
  [[nodiscard]] std::uint64_t columns_updated() const noexcept { return columns_updated_; }
  // Whether a step's StepOutcome::touched counts this worker's share of the columns only (the
  // run's count is then the sum over the workers).
  [[nodiscard]] virtual bool touched_is_share() const noexcept { return update_->shares_model(); }

 protected:
  // Keeps a copy of `config`, which the update made from it refers to for the whole run.
  Sync(const TrainConfig& config, Communicator& comm) : config_(config), comm_(comm) {}
  // The step gradient of the update's form (its slots on the sparse path), of `d` columns.
  [[nodiscard]] std::unique_ptr<StepGradient> gradient_for(std::size_t d);
  // The update at rate lr of a step's summed gradient in `g`, after the finite checks of its
  // loss and gradient (unless `unchecked`: local SGD checks at its averages).
  std::size_t apply(StepGradient& g, const StepContext& work, bool unchecked = false);
  [[nodiscard]] static double seconds_of(Clock::duration d) noexcept;

  TrainConfig config_;  // (declared before update_, which holds a reference to it)
  std::unique_ptr<Update> update_;
  std::unique_ptr<StepGradient> gradient_;
  Communicator& comm_;
  Clock::duration compute_time_{};
  Clock::duration exchange_time_{};
  Clock::duration update_time_{};  // (counted by apply)
  std::uint64_t columns_updated_ = 0;
};

// Throws DivergedError naming the step when `finite` is false: "epoch 2, step 6 of 17: the
// training loss is not finite (learning rate 1e+308): training diverged; ...".
void check_finite(bool finite, const char* what, const StepContext& work);

// "epoch 2, step 6 of 17 (worker 1): " for a message of a failed collective.
[[nodiscard]] std::string step_where(const StepContext& work, int rank);

}  // namespace dsgd
