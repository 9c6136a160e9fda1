#include "dsgd/train/config/worker_count.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <thread>

namespace dsgd {

int hardware_threads() noexcept { return static_cast<int>(std::max(1U, std::thread::hardware_concurrency())); }

int default_workers() noexcept { return std::min(hardware_threads(), 4); }

double step_seconds(const StepWork& work) noexcept {
  return work.rows * kRowSeconds + work.values * (work.sparse ? kSparseValueSeconds : kDenseValueSeconds);
}

StepWork batch_work(double batch, double rows, int workers, double per_row, bool sparse, double columns) noexcept {
  const double share = std::min(batch, std::ceil(rows / workers));
  return {share, share * per_row, sparse, columns};
}

bool workers_pay(int workers, const StepWork& work) noexcept {
  if (workers <= 1) return true;
  if (step_seconds(work) < kMinStepSeconds) return false;
  if (!work.sparse) return true;
  const double w = workers;
  return work.values * (w - 1) >= std::min(work.values, work.columns) * w;
}

WorkerChoice paying_workers(int most, const std::function<StepWork(int workers)>& work_of) {
  int w = most;
  while (w > 1 && !workers_pay(w, work_of(w))) --w;
  WorkerChoice choice{w, {}};
  if (w < most) {
    const StepWork work = work_of(most);
    const std::string what =
        step_seconds(work) < kMinStepSeconds
            ? fmt::format("{:.0f} rows a step each, {:.2g} us of work: too little to pay for their syncs",
                          work.rows, 1e6 * step_seconds(work))
            : fmt::format("up to {:.0f} of the {:.0f} columns a step each: their exchange would cost more than the "
                          "kernel time it saves",
                          std::min(work.values, work.columns), work.columns);
    choice.why = fmt::format("{} worker{}, not {}: {} (--workers {} forces it)", w, w == 1 ? "" : "s", most, what, most);
  }
  return choice;
}

}  // namespace dsgd
