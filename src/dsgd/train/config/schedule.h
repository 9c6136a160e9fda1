#pragma once
// Learning-rate schedules. All start with linear scaling and a per-step warm-up (Goyal et al.
// 2017): with W workers the global batch is W times larger, so the peak rate is lr x W, reached
// by a linear ramp from lr over the first warmup_steps steps, one increment per step. After the
// warm-up the rate is
//   constant      the peak;
//   inverse-sqrt  peak x sqrt(T / t) at step t >= T, where T = max(warm-up, one epoch) steps;
//   step          the peak times factor^k, k = whole multiples of `step_epochs` epochs done.
#include <cstddef>

#include "dsgd/train/config/config.h"

namespace dsgd {

class LinearWarmup {
 public:
  LinearWarmup(double base_lr, int workers, std::size_t warmup_steps) noexcept
      : base_(base_lr), target_(base_lr * workers), warmup_steps_(warmup_steps) {}

  // The rate of step `step` (0-based): base at step 0, target from step warmup_steps on.
  [[nodiscard]] double at(std::size_t step) const noexcept {
    if (step >= warmup_steps_) return target_;
    return base_ + (target_ - base_) * (static_cast<double>(step) / static_cast<double>(warmup_steps_));
  }
  [[nodiscard]] double target() const noexcept { return target_; }
  [[nodiscard]] std::size_t warmup_steps() const noexcept { return warmup_steps_; }

 private:
  double base_;
  double target_;
  std::size_t warmup_steps_;
};

class LearningRate {
 public:
  // steps_per_epoch >= 1: the steps every worker takes in one epoch.
  LearningRate(const TrainConfig& config, std::size_t steps_per_epoch) noexcept;

  [[nodiscard]] double at(std::size_t step) const noexcept;

 private:
  LrSchedule schedule_;
  LinearWarmup warmup_;
  double steps_per_epoch_;
  double step_epochs_;
  double step_factor_;
};

}  // namespace dsgd
