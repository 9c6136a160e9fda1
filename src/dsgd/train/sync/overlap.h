#pragma once
// Overlap (pipelined SGD, TrainConfig::overlap): each step's dense exchange travels while the
// worker computes the next step's gradient, at the weights before this step's update, so every
// update but an epoch's first uses a gradient one step old (a different algorithm from plain
// SGD; the same bits on every backend). Both gradients are dense vectors, so sparse data takes
// the dense update. The pipeline empties at every epoch's end: checkpoints and resumption at
// epochs' ends only.
#include <cstdint>
#include <memory>

#include "dsgd/train/sync/sync.h"

namespace dsgd {

class OverlapSync final : public Sync {
 public:
  OverlapSync(const TrainConfig& config, const LinearModel& start, Communicator& comm);
  void refuse(const TrainConfig& config, const CheckpointPlan* plan, bool resume_in_epoch) const override;
  // Throws ConfigError for the options overlap cannot take with config.overlap.
  static void refuse_options(const TrainConfig& config);
  StepOutcome step(const StepContext& work) override;
  [[nodiscard]] bool agreed_after(std::size_t) const override { return true; }
  [[nodiscard]] ExchangeStats stats() const override;

 private:
  DenseExchange pipeline_;
  std::unique_ptr<StepGradient> ahead_;  // the second buffer: the next step's gradient
  StepGradient* current_;                // this step's gradient (the two buffers take turns)
  bool pending_ = false;                 // current_ was computed by the step before
  std::uint64_t overlapped_ = 0;         // steps whose exchange travelled behind the next gradient
  double hidden_s_ = 0;                  // seconds it was in flight during that computation
};

}  // namespace dsgd
