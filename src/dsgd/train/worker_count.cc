#include "dsgd/train/worker_count.h"

#include <fmt/format.h>

namespace dsgd {

double step_seconds(const StepWork& work) noexcept {
  return work.rows * kRowSeconds + work.values * (work.sparse ? kSparseValueSeconds : kDenseValueSeconds);
}

WorkerChoice paying_workers(int most, const std::function<StepWork(int workers)>& work_of) {
  int w = most;
  while (w > 1 && step_seconds(work_of(w)) < kMinStepSeconds) --w;
  WorkerChoice choice{w, {}};
  if (w < most) {
    const StepWork work = work_of(most);
    choice.why = fmt::format(
        "{} worker{} of {}: with {}, a step would give each {:.0f} rows x {:.1f} {} (about {:.2g} us of work), too "
        "little to pay for synchronising them (--workers {} forces it)",
        w, w == 1 ? "" : "s", most, most, work.rows, work.rows > 0 ? work.values / work.rows : 0.0,
        work.sparse ? "non-zeros" : "values", 1e6 * step_seconds(work), most);
  }
  return choice;
}

}  // namespace dsgd
