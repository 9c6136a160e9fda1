#pragma once
// Learning-rate schedule: linear scaling with a per-step warm-up (Goyal et al. 2017). With W
// workers the global batch is W times larger, so the target rate is lr x W; it is reached by a
// linear ramp from lr over the first warmup_steps steps, one increment per step (not per epoch).
#include <cstddef>

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

 private:
  double base_;
  double target_;
  std::size_t warmup_steps_;
};

}  // namespace dsgd
