#pragma once
// Every step, the workers' gradients summed by an Exchange (exchange.h: dense, sparse lists, a
// shared model, or auto) and the same update applied on every worker: sequential SGD on the
// global batch, bit for bit. The default strategy, and the only one of a single worker.
#include <memory>

#include "dsgd/train/sync/sync.h"

namespace dsgd {

class EveryStepSync final : public Sync {
 public:
  EveryStepSync(const TrainConfig& config, const LinearModel& start, bool sparse, Communicator& comm);
  void refuse(const TrainConfig&, const CheckpointPlan*, bool) const override {}
  StepOutcome step(const StepContext& work) override;
  [[nodiscard]] bool agreed_after(std::size_t) const override { return true; }
  [[nodiscard]] ExchangeStats stats() const override { return exchange_->stats(); }

 private:
  std::unique_ptr<Exchange> exchange_;
};

}  // namespace dsgd
