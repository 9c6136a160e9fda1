#include "dsgd/train/sync/every_step.h"

#include "dsgd/base/error.h"

namespace dsgd {

EveryStepSync::EveryStepSync(const TrainConfig& config, const LinearModel& start, bool sparse, Communicator& comm)
    : Sync(config, comm) {
  update_ = make_update(config_, start, sparse, comm);
  gradient_ = gradient_for(start.features());
  exchange_ = make_exchange(config.exchange, gradient_->sparse_path(), start.features(), update_->shares_model());
}

StepOutcome EveryStepSync::step(const StepContext& work) {
  StepGradient& g = *gradient_;
  const auto start = Clock::now();
  local_gradient(*work.shard, work.order, work.rows(), update_->weights(), g);
  const auto exchange_start = Clock::now();
  compute_time_ += exchange_start - start;
  try {
    exchange_->reduce(g, comm_);
  } catch (const CommError& e) {
    throw CommError(step_where(work, comm_.rank()) + e.what());
  }
  const auto update_start = Clock::now();
  exchange_time_ += update_start - exchange_start;
  StepOutcome out{g.sums, 0};
  out.touched = apply(g, work);
  compute_time_ += Clock::now() - update_start;
  return out;
}

}  // namespace dsgd
