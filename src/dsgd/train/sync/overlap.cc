#include "dsgd/train/sync/overlap.h"

#include <fmt/format.h>

#include "dsgd/base/error.h"

namespace dsgd {

OverlapSync::OverlapSync(const TrainConfig& config, const LinearModel& start, Communicator& comm)
    : Sync(config, comm) {
  update_ = make_update(config_, start, /*sparse_data=*/false, comm);
  gradient_ = gradient_for(start.features());
  ahead_ = std::make_unique<StepGradient>(start.features(), std::span<double>(), 2);
  current_ = gradient_.get();
}

void OverlapSync::refuse_options(const TrainConfig& config) {
  if (!config.overlap) return;
  if (config.sync_every != 1)
    throw ConfigError(fmt::format("{} hides each step's exchange; with {} {} the steps between averages exchange nothing",
                                  field("overlap"), field("sync_every"), to_string_sync_every(config.sync_every)));
  if (config.exchange == ExchangeMode::kSparse || config.exchange == ExchangeMode::kShared ||
      config.exchange == ExchangeMode::kSharded)
    throw ConfigError(fmt::format("{} starts a dense allreduce and computes while it travels: it cannot take {} {}",
                                  field("overlap"), field("exchange"), to_string(config.exchange)));
}

void OverlapSync::refuse(const TrainConfig&, const CheckpointPlan* plan, bool resume_in_epoch) const {
  if ((plan != nullptr && plan->every_steps > 0) || resume_in_epoch)
    throw ConfigError(fmt::format("{} takes checkpoints at epochs' ends only ({} epoch), and resumes there: between "
                                  "an epoch's steps a gradient is in flight, which a checkpoint does not hold",
                                  field("overlap"), field("checkpoint_every")));
}

StepOutcome OverlapSync::step(const StepContext& work) {
  StepGradient& g = *current_;
  StepGradient& next = current_ == gradient_.get() ? *ahead_ : *gradient_;
  const auto start = Clock::now();
  if (!pending_) local_gradient(*work.shard, work.order, work.rows(), update_->weights(), g);
  const auto exchange_start = Clock::now();
  compute_time_ += exchange_start - start;
  Clock::duration computing_ahead{};
  const bool more = work.step + 1 < work.steps;
  try {
    pipeline_.start(g, comm_);
    if (more) {  // the next step's gradient at these weights, while this one travels
      const auto ahead_start = Clock::now();
      hidden_s_ += gradient_ahead(*work.shard, work.order, work.rows(work.step + 1), update_->weights(), next, comm_);
      computing_ahead = Clock::now() - ahead_start;
      ++overlapped_;
    }
    pipeline_.finish(g, comm_);
  } catch (const CommError& e) {
    throw CommError(step_where(work, comm_.rank()) + e.what());
  }
  const auto update_start = Clock::now();
  exchange_time_ += update_start - exchange_start - computing_ahead;
  compute_time_ += computing_ahead;
  StepOutcome out{g.sums, 0};
  out.touched = apply(g, work);
  compute_time_ += Clock::now() - update_start;
  pending_ = more;  // an epoch's last step: the pipeline is empty
  if (more) current_ = &next;
  return out;
}

ExchangeStats OverlapSync::stats() const {
  ExchangeStats s = pipeline_.stats();
  s.overlapped_steps = overlapped_;
  s.hidden_s = hidden_s_;
  s.exposed_s = exchange_s();
  return s;
}

}  // namespace dsgd
