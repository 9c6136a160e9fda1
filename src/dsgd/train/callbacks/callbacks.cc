#include "dsgd/train/callbacks/callbacks.h"

#include <fmt/format.h>

#include <cmath>
#include <utility>

#include "dsgd/base/error.h"

namespace dsgd {

PassSums holdout_sums(const Shard& holdout, const RawWeights& raw, Communicator& comm) {
  PassSums local;
  if (holdout.data != nullptr && holdout.rows.size() > 0) {
    holdout.data->visit([&](const auto& view) {
      accumulate_loss(view.slice(holdout.rows.begin, holdout.rows.end), raw.weights, raw.bias, local);
    });
  }
  std::vector<double> sums = {local.count, local.loss, local.correct};
  comm.allreduce_sum(sums);
  return {sums[0], sums[1], sums[2], 0};
}

bool ProgressLine::after_epoch(TrainingView& v) {
  if (v.comm.rank() == 0 && on_epoch_) on_epoch_(v.state.epochs.back());
  return false;
}

TargetWatch::TargetWatch(const TrainConfig& config, const Shard& holdout) : config_(config) {
  if (holdout.data == nullptr)
    throw ConfigError(fmt::format("{} and {} are met on held-out rows, and this run has none",
                                  field("target_accuracy"), field("target_loss")));
}

bool TargetWatch::met(double loss, double accuracy) const {
  return (!std::isnan(config_.target_accuracy) && accuracy >= config_.target_accuracy) ||
         (!std::isnan(config_.target_loss) && loss <= config_.target_loss);
}

// Records the target met after state.step steps with these held-out figures; whether to stop.
bool TargetWatch::reach(TrainingView& v, double loss, double accuracy) {
  *v.target = {true, v.state.step, static_cast<double>(v.state.step) / static_cast<double>(v.steps),
               seconds_since(v.start), loss, accuracy};
  return config_.target_stop;
}

// Between epochs' ends, every target_every steps (where the workers share one model: the
// synchronisation refused the other steps): the model is stored and scored.
bool TargetWatch::after_step(TrainingView& v) {
  if (v.target->reached || config_.target_every == 0 || v.state.step % config_.target_every != 0 ||
      !v.sync.agreed_after(v.state.step))
    return false;
  v.sync.update().store(v.state.model);
  const PassSums held = holdout_sums(v.holdout, v.state.model.raw_weights(), v.comm);
  if (held.count == 0 || !met(held.loss / held.count, held.correct / held.count)) return false;
  return reach(v, held.loss / held.count, held.correct / held.count);
}

bool TargetWatch::after_epoch(TrainingView& v) {
  const EpochProgress& last = v.state.epochs.back();
  if (v.target->reached || !met(last.holdout_loss, last.holdout_accuracy)) return false;
  return reach(v, last.holdout_loss, last.holdout_accuracy);
}

bool EarlyStopping::after_epoch(TrainingView& v) {
  TrainState& s = v.state;
  if (v.config.patience == 0) {  // no early stopping: the last epoch is the one kept
    s.best_epoch = s.epoch;
    return false;
  }
  const EpochProgress& last = s.epochs.back();
  if (v.held_rows == 0)
    throw ConfigError(fmt::format("early stopping ({}) needs held-out rows, and there are none", field("patience")));
  if (last.holdout_loss < s.best_loss) {
    s.best_loss = last.holdout_loss;
    s.best = s.model;
    s.best_epoch = s.epoch;
    s.epochs_since_best = 0;
    return false;
  }
  return ++s.epochs_since_best >= v.config.patience;
}

bool InterruptWatch::after_epoch(TrainingView& v) {
  double stopped = stop_->load(std::memory_order_relaxed) ? 1.0 : 0.0;
  v.comm.allreduce_sum({&stopped, 1});  // every worker agrees, whenever it saw the flag
  if (stopped > 0)
    throw Interrupted(fmt::format("training interrupted at the end of epoch {} of {}", v.state.epoch, v.config.epochs));
  return false;
}

namespace {
TrainSnapshot snapshot_of(const TrainState& state, std::size_t step_in_epoch, const PassSums& epoch_sums,
                          const Update& update) {
  return {state.epoch,      state.step,      step_in_epoch,           epoch_sums, state.epochs,
          state.best_epoch, state.best_loss, state.epochs_since_best, state.best, update.save()};
}
}  // namespace

CheckpointWrite::CheckpointWrite(const CheckpointPlan& plan, bool writer) : plan_(plan), writer_(writer) {}

CheckpointWrite::~CheckpointWrite() {
  if (thread_.joinable()) thread_.join();
}

void CheckpointWrite::write(TrainSnapshot snapshot) {
  finish();
  thread_ = std::thread([this, s = std::move(snapshot)] {
    try {
      write_checkpoint(plan_, s);
    } catch (...) {
      error_ = std::current_exception();
    }
  });
}

void CheckpointWrite::finish() {
  if (thread_.joinable()) thread_.join();
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

// Every so many steps within an epoch (a checkpoint at its last step waits for the epoch's end,
// which adds the progress line and the held-out score).
bool CheckpointWrite::after_step(TrainingView& v) {
  if (writer_ && plan_.every_steps > 0 && v.state.step % plan_.every_steps == 0 && v.sync.agreed_after(v.state.step))
    write(snapshot_of(v.state, v.step_in_epoch, *v.epoch_sums, v.sync.update()));
  return false;
}

bool CheckpointWrite::after_epoch(TrainingView& v) {
  if (writer_ && v.state.epoch < v.config.epochs &&
      (plan_.every_epoch || (plan_.every_steps > 0 && v.state.step % plan_.every_steps == 0)))
    write(snapshot_of(v.state, 0, {}, v.sync.update()));
  return false;
}

}  // namespace dsgd
