#include "dsgd/train/sync/sync.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "dsgd/base/error.h"

namespace dsgd {

RowSpan StepContext::rows(std::size_t s) const noexcept {
  const std::size_t size = shard->rows.size();
  const std::size_t begin = std::min(size, s * batch);
  return {begin, std::min(size, begin + batch) - begin};
}

std::unique_ptr<StepGradient> Sync::gradient_for(std::size_t d) {
  return std::make_unique<StepGradient>(d, update_->slots(), update_->stride(), update_->gradient_offset(),
                                        update_->touched_storage());
}

double Sync::seconds_of(Clock::duration d) noexcept { return std::chrono::duration<double>(d).count(); }

void check_finite(bool finite, const char* what, const StepContext& work) {
  if (finite) return;
  throw DivergedError(fmt::format("epoch {}, step {} of {}: the {} is not finite (learning rate {:.3g}): training "
                                  "diverged; lower {}, or scale the features ({} maxabs or standardize)",
                                  work.epoch + 1, work.step + 1, work.steps, what, work.lr, field("lr"),
                                  field("scale")));
}

std::string step_where(const StepContext& work, int rank) {
  return fmt::format("epoch {}, step {} of {} (worker {}): ", work.epoch + 1, work.step + 1, work.steps, rank);
}

std::size_t Sync::apply(StepGradient& g, const StepContext& work, bool unchecked) {
  if (!unchecked) {
    check_finite(std::isfinite(g.sums.loss), "training loss", work);
    check_finite(std::isfinite(g.sums.residual), "gradient", work);
  }
  const auto start = Clock::now();
  const std::size_t touched = update_->apply(g, work.lr);
  update_time_ += Clock::now() - start;
  columns_updated_ += touched;
  return touched;
}

}  // namespace dsgd
