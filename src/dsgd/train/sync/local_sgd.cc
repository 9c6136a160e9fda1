#include "dsgd/train/sync/local_sgd.h"

#include <fmt/format.h>

#include <cmath>

#include "dsgd/base/error.h"
#include "dsgd/train/sync/model_average.h"

namespace dsgd {
LocalSgdSync::LocalSgdSync(const TrainConfig& config, const LinearModel& start, bool sparse, Communicator& comm)
    : Sync(config, comm), sync_every_(config.sync_every) {
  config_.exchange = ExchangeMode::kSparse;  // each worker keeps its own replica, never a shared one
  update_ = make_update(config_, start, sparse, comm);
  gradient_ = gradient_for(start.features());
}

void LocalSgdSync::refuse_options(const TrainConfig& config) {
  if (config.sync_every != 1 && config.exchange == ExchangeMode::kShared)
    throw ConfigError(fmt::format("{} keeps a model on every worker: it cannot take {} shared, one model the workers "
                                  "share",
                                  field("sync_every"), field("exchange")));
}

void LocalSgdSync::refuse(const TrainConfig& config, const CheckpointPlan* plan, bool) const {
  // A checkpoint holds one model: only where the replicas were just averaged.
  if (plan != nullptr && plan->every_steps > 0 &&
      (sync_every_ == kSyncEveryEpoch || plan->every_steps % sync_every_ != 0))
    throw ConfigError(sync_every_ == kSyncEveryEpoch
                          ? fmt::format("{} epoch takes {} epoch: a checkpoint holds one model, which the workers "
                                        "share only at an epoch's end",
                                        field("sync_every"), field("checkpoint_every"))
                          : fmt::format("{} {} must be a multiple of {} {}: a checkpoint holds one model, which the "
                                        "workers share only where they average",
                                        field("checkpoint_every"), plan->every_steps, field("sync_every"),
                                        sync_every_));
  // The held-out rows score one model: targets between epochs' ends only at averages.
  if (config.has_target() && config.target_every > 0 &&
      (sync_every_ == kSyncEveryEpoch || config.target_every % sync_every_ != 0))
    throw ConfigError(fmt::format("{} {} must be {}: the held-out rows score one model, which the workers share only "
                                  "where they average",
                                  field("target_every"), config.target_every,
                                  sync_every_ == kSyncEveryEpoch
                                      ? fmt::format("'epoch' with {} epoch", field("sync_every"))
                                      : fmt::format("a multiple of {} {}", field("sync_every"), sync_every_)));
}

bool LocalSgdSync::agreed_after(std::size_t steps_done) const {
  return sync_every_ != kSyncEveryEpoch && steps_done % sync_every_ == 0;
}

StepOutcome LocalSgdSync::step(const StepContext& work) {
  StepGradient& g = *gradient_;
  const auto start = Clock::now();
  local_gradient(*work.shard, work.order, work.rows(), update_->weights(), g);
  g.form = g.sparse_path() ? StepGradient::Form::kTouched : StepGradient::Form::kDense;  // this worker's alone
  finite_ = finite_ && std::isfinite(g.sums.loss) && std::isfinite(g.sums.residual);
  StepOutcome out;
  out.touched = apply(g, work, /*unchecked=*/true);  // (a worker alone cannot stop: all learn of it at the average)
  unsynced_.count += g.sums.count;
  unsynced_.loss += g.sums.loss;
  unsynced_.correct += g.sums.correct;
  ++steps_;
  const auto average_start = Clock::now();
  compute_time_ += average_start - start;
  if (work.step + 1 == work.steps || agreed_after(work.global_step + 1)) {
    AverageResult averaged;
    try {
      averaged = average_models(*update_, comm_, unsynced_, finite_);
    } catch (const CommError& e) {
      throw CommError(step_where(work, comm_.rank()) + e.what());
    }
    exchange_time_ += Clock::now() - average_start;
    ++averages_;
    check_finite(averaged.finite, "training loss or gradient of some worker", work);
    out.sums = {averaged.sums.count, averaged.sums.loss, averaged.sums.correct, 0};
    unsynced_ = {};
    finite_ = true;
  }
  return out;
}

ExchangeStats LocalSgdSync::stats() const {
  ExchangeStats s;
  s.local_steps = steps_;
  s.model_averages = averages_;
  return s;
}

}  // namespace dsgd
