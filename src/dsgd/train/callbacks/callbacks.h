#pragma once
// What the training loop (trainer.cc) calls between steps and at epochs' ends: small classes
// that see the training state and may stop the run, as ensmallen's callbacks do. Each worker
// runs the same callbacks in the same order, and a callback that runs a collective (scoring
// held-out rows, agreeing on an interrupt) runs it on every worker at the same point.
//
//  - ProgressLine:   the epoch's line, to the caller's function (rank 0);
//  - TargetWatch:    a target accuracy or loss on the held-out rows, every target_every steps
//                    and at epochs' ends: records where it was met, and stops (or goes on);
//  - EarlyStopping:  the best held-out epoch so far, and the stop after `patience` worse ones;
//  - InterruptWatch: a stop flag (Python's Ctrl-C), agreed at epochs' ends: Interrupted;
//  - CheckpointWrite: the training state written as the plan says (rank 0, in a thread).
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "dsgd/comm/communicator.h"
#include "dsgd/model/kernel.h"
#include "dsgd/base/timer.h"
#include "dsgd/train/state/checkpoint.h"
#include "dsgd/train/config/config.h"
#include "dsgd/train/state/state.h"
#include "dsgd/train/sync/sync.h"

namespace dsgd {

using EpochCallback = std::function<void(const EpochProgress&)>;

// What a callback sees of the run.
struct TrainingView {
  const TrainConfig& config;
  Communicator& comm;
  Sync& sync;
  TrainState& state;
  const Shard& holdout;          // the held-out rows (data null: none)
  std::size_t steps = 0;         // steps an epoch
  std::size_t step_in_epoch = 0; // steps done in the current epoch (after_step)
  const PassSums* epoch_sums = nullptr;  // the current epoch's sums so far (after_step)
  double held_rows = 0;          // the held-out rows scored at this epoch's end (after_epoch)
  Clock::time_point start;       // of the run's first step
  TargetResult* target = nullptr;
};

class Callback {
 public:
  Callback() = default;
  Callback(const Callback&) = delete;
  Callback& operator=(const Callback&) = delete;
  virtual ~Callback() = default;
  // After a step that is not its epoch's last (that one ends at after_epoch); true stops the run
  // there, within the epoch (every callback still sees the step).
  virtual bool after_step(TrainingView&) { return false; }
  // After an epoch, its progress in state.epochs (the held-out figures scored); true stops the
  // run (the callbacks after this one are not called).
  virtual bool after_epoch(TrainingView&) { return false; }
  // At the run's end (every worker).
  virtual void finish() {}
};

// Loss and accuracy of the model on every worker's held-out rows together (a collective).
[[nodiscard]] PassSums holdout_sums(const Shard& holdout, const RawWeights& raw, Communicator& comm);

class ProgressLine final : public Callback {
 public:
  explicit ProgressLine(EpochCallback on_epoch) : on_epoch_(std::move(on_epoch)) {}
  bool after_epoch(TrainingView& v) override;

 private:
  EpochCallback on_epoch_;
};

class TargetWatch final : public Callback {
 public:
  // Throws ConfigError when the run has no held-out rows to score.
  TargetWatch(const TrainConfig& config, const Shard& holdout);
  bool after_step(TrainingView& v) override;
  bool after_epoch(TrainingView& v) override;

 private:
  [[nodiscard]] bool met(double loss, double accuracy) const;
  bool reach(TrainingView& v, double loss, double accuracy);
  const TrainConfig& config_;
};

class EarlyStopping final : public Callback {
 public:
  bool after_epoch(TrainingView& v) override;
};

class InterruptWatch final : public Callback {
 public:
  explicit InterruptWatch(const std::atomic<bool>* stop) : stop_(stop) {}
  bool after_epoch(TrainingView& v) override;

 private:
  const std::atomic<bool>* stop_;
};

// Rank 0 writes the checkpoints, one file at a time, in a thread of its own, so that no worker
// waits in a collective while a file is written; a failed write is rethrown at the next
// checkpoint or at the run's end. (The synchronisation refused a plan it cannot keep.)
class CheckpointWrite final : public Callback {
 public:
  CheckpointWrite(const CheckpointPlan& plan, bool writer);
  ~CheckpointWrite() override;
  bool after_step(TrainingView& v) override;
  bool after_epoch(TrainingView& v) override;
  void finish() override;

 private:
  void write(TrainSnapshot snapshot);
  const CheckpointPlan& plan_;
  bool writer_;
  std::thread thread_;
  std::exception_ptr error_;
};

}  // namespace dsgd
