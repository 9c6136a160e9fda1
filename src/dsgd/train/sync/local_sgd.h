#pragma once
// Local SGD (TrainConfig::sync_every K > 1, or once an epoch): each worker takes K steps on its
// own rows with its own replica of the model, at the rate of one worker's batch, then the
// replicas are averaged (model_average.h; Stich 2019; Vowpal Wabbit's averaging per pass), and
// at every epoch's end. The workers share a model only there: checkpoints and targets between
// epochs' ends must fall on an average. A worker's numbers that left the finite doubles are
// found at the next average, by every worker alike.
#include <cstddef>
#include <cstdint>

#include "dsgd/train/sync/sync.h"

namespace dsgd {

class LocalSgdSync final : public Sync {
 public:
  LocalSgdSync(const TrainConfig& config, const LinearModel& start, bool sparse, Communicator& comm);
  // Throws ConfigError for the options local SGD cannot take with config.sync_every != 1.
  static void refuse_options(const TrainConfig& config);
  void refuse(const TrainConfig& config, const CheckpointPlan* plan, bool resume_in_epoch) const override;
  StepOutcome step(const StepContext& work) override;
  [[nodiscard]] bool agreed_after(std::size_t steps_done) const override;
  [[nodiscard]] ExchangeStats stats() const override;

 private:
  std::size_t sync_every_;
  PassSums unsynced_;    // this worker's sums since the last average
  bool finite_ = true;   // and whether its numbers stayed finite since then
  std::uint64_t steps_ = 0;
  std::uint64_t averages_ = 0;
};

}  // namespace dsgd
