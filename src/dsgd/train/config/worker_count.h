#pragma once
// How many workers pay for themselves: the most, up to those asked for, whose share of a step
// outweighs what its synchronisation and exchange cost, decided from the data's shape alone
// (so a command always picks the same count, and the same bits). Called once a run, by
// decide_workers (defaults.h) where no worker count is given. The rule and its constants, calibrated on the
// project's 2-core VM, are in docs/design.md ("Workers that pay for themselves").
#include <cstddef>
#include <functional>
#include <string>

namespace dsgd {

inline constexpr double kRowSeconds = 5e-9;            // scores, sigmoid, loss of a row
inline constexpr double kDenseValueSeconds = 0.25e-9;  // a vectorised multiply-add
inline constexpr double kSparseValueSeconds = 3e-9;    // a gather and a scatter at a random column
inline constexpr double kMinStepSeconds = 5e-6;

// The machine's hardware threads, at least 1 (what generating or reading data uses).
[[nodiscard]] int hardware_threads() noexcept;
// Hardware threads, capped at 4 (the seed's worker count); at least 1: the most workers a run
// takes where none are asked for.
[[nodiscard]] int default_workers() noexcept;

// One worker's share of one step.
struct StepWork {
  double rows = 0;     // rows a worker's batch holds
  double values = 0;   // stored values in them (non-zeros when sparse)
  bool sparse = false;
  double columns = 0;  // the data's columns (sparse: the most a worker's step can touch)
};

// Whether `workers` workers pay for a step of `work` each (the rules above).
[[nodiscard]] bool workers_pay(int workers, const StepWork& work) noexcept;

[[nodiscard]] double step_seconds(const StepWork& work) noexcept;

// One worker's share of a step of `batch` rows a worker (no more than its shard of `rows`
// rows over W workers), of `per_row` values a row.
[[nodiscard]] StepWork batch_work(double batch, double rows, int workers, double per_row, bool sparse,
                                  double columns) noexcept;

struct WorkerChoice {
  int workers = 1;
  std::string why;  // when fewer than `most`: one line saying why
};

// The most workers, from `most` down to 1, whose steps each still carry kMinStepSeconds of work
// (work_of(W): a worker's share of a step with W workers).
[[nodiscard]] WorkerChoice paying_workers(int most, const std::function<StepWork(int workers)>& work_of);

}  // namespace dsgd
