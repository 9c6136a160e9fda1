#include "dsgd/train/sync/strategies.h"

#include "dsgd/train/sync/every_step.h"
#include "dsgd/train/sync/local_sgd.h"
#include "dsgd/train/sync/overlap.h"
#include "dsgd/train/sync/sharded.h"

namespace dsgd {

void check_config(const TrainConfig& config) {
  config.validate();
  LocalSgdSync::refuse_options(config);
  OverlapSync::refuse_options(config);
  ShardedSync::refuse_options(config);
}

ExchangeChoice choose_exchange_for(const TrainConfig& config, const Shard& shard, const LinearModel& start,
                                   Communicator& comm) {
  const bool sparse = shard.data != nullptr && shard.data->layout() == Layout::kSparse;
  if (config.exchange != ExchangeMode::kAuto || comm.size() == 1 || !sparse || start.centred() || config.local_sgd() ||
      config.overlap)
    return {config.exchange, ""};
  const StepShape shape = first_step_shape(shard, config.batch, comm);
  const double replica = (config.optimizer == Optimizer::kAdagrad ? 3 : 2) * shape.columns * sizeof(double);
  const bool shared = comm.shares_memory() && replica >= static_cast<double>(kSharedFromBytes);
  // Processes: MPI's collectives on one host (its shared-memory transport) or across hosts.
  const LinkCost link = comm.shares_memory() ? LinkCost{} : LinkCost{20e-6, 2e9};
  return choose_exchange(shape, shared, link);
}

std::unique_ptr<Sync> make_sync(const TrainConfig& config, const LinearModel& start, bool sparse, Communicator& comm) {
  if (config.local_sgd()) return std::make_unique<LocalSgdSync>(config, start, sparse, comm);
  if (comm.size() > 1 && config.overlap) return std::make_unique<OverlapSync>(config, start, comm);
  if (comm.size() > 1 && config.exchange == ExchangeMode::kSharded)
    return std::make_unique<ShardedSync>(config, start, sparse, comm);
  return std::make_unique<EveryStepSync>(config, start, sparse, comm);
}

}  // namespace dsgd
