#include "dsgd/train/config/schedule.h"

#include <algorithm>
#include <cmath>

namespace dsgd {

LearningRate::LearningRate(const TrainConfig& config, std::size_t steps_per_epoch) noexcept
    : schedule_(config.schedule),
      warmup_(config.lr, config.workers,
              static_cast<std::size_t>(std::llround(config.warmup_epochs * static_cast<double>(steps_per_epoch)))),
      steps_per_epoch_(static_cast<double>(steps_per_epoch)),
      step_epochs_(config.step_epochs),
      step_factor_(config.step_factor) {}

double LearningRate::at(std::size_t step) const noexcept {
  const double rate = warmup_.at(step);
  const auto t = static_cast<double>(step);
  switch (schedule_) {
    case LrSchedule::kConstant: return rate;
    case LrSchedule::kInverseSqrt: {
      const double reference = std::max(static_cast<double>(warmup_.warmup_steps()), steps_per_epoch_);
      return t <= reference ? rate : rate * std::sqrt(reference / t);
    }
    case LrSchedule::kStep: {
      const double cuts = std::floor(t / (steps_per_epoch_ * step_epochs_));
      return rate * std::pow(step_factor_, cuts);
    }
  }
  return rate;
}

}  // namespace dsgd
