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

std::unique_ptr<Sync> make_sync(const TrainConfig& config, const LinearModel& start, bool sparse, Communicator& comm) {
  if (config.local_sgd()) return std::make_unique<LocalSgdSync>(config, start, sparse, comm);
  if (comm.size() > 1 && config.overlap) return std::make_unique<OverlapSync>(config, start, comm);
  if (comm.size() > 1 && config.exchange == ExchangeMode::kSharded)
    return std::make_unique<ShardedSync>(config, start, sparse, comm);
  return std::make_unique<EveryStepSync>(config, start, sparse, comm);
}

}  // namespace dsgd
