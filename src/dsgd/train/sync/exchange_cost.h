#pragma once
// What one step costs a worker under each exchange, from the step's shape (the non-zeros of a
// worker's batch, the columns it touches, the columns all the workers touch): how auto chooses
// between the exchanges (make_sync, the same choice on every worker), and what the study
// extrapolates beyond this machine (analysis/). The constants were measured on the project's
// 2-core VM; docs/design.md ("Choosing the exchange") gives the formulas and the fit.
#include <string>

#include "dsgd/comm/communicator.h"
#include "dsgd/train/config/config.h"
#include "dsgd/train/sync/local_gradient.h"

namespace dsgd {

// What the machine takes for each kind of work (defaults: the project's 2-core VM, a model of
// 4M columns; a study calibrates them on the machine it runs on).
struct MachineCosts {
  double value_s = 6e-9;           // the kernel, a non-zero (gather and scatter)
  double column_s = 13e-9;         // a pass touching a column's line at random
  double entry_s = 2e-9;           // an entry of a list read or merged in order
  double shared_column_s = 42e-9;  // a shared model's column, summed and moved in every replica
  double shared_kernel = 1.5;      // the kernel's slowdown on lines another core wrote
  double cores = 0;                // 0: a core a worker; else workers beyond it share them
};
inline constexpr double kEntryBytes = 12;  // a (u32 column, f64 value) pair

// One step, seen from one worker.
struct StepShape {
  double workers = 1;
  double values = 0;         // non-zeros in one worker's batch
  double touched = 0;        // distinct columns in one worker's batch
  double union_columns = 0;  // distinct columns in all the workers' batches together
  double columns = 0;        // the model's d
};

// How the workers' bytes travel: a collective's fixed cost, and bytes a second one way.
struct LinkCost {
  double latency_s = 2e-6;  // threads: a barrier
  double bytes_per_s = 8e9;  // threads: a copy
};

struct StepCost {
  double kernel_s = 0;
  double update_s = 0;
  double exchange_s = 0;  // the exchange's own passes, and its bytes and collectives over the link
  double bytes = 0;       // one worker sent + received
  [[nodiscard]] double total() const noexcept { return kernel_s + update_s + exchange_s; }
};

// The cost of a step with `mode` (dense, sparse lists, shared or sharded; auto is not a mode
// here) on `shape`, over `link`; with one worker, the sequential step.
[[nodiscard]] StepCost step_cost(ExchangeMode mode, const StepShape& shape, const LinkCost& link,
                                 const MachineCosts& machine = {}) noexcept;

// The shape of rows [first, end) of sparse `data` as one worker's steps: the non-zeros and
// distinct columns of its first `batch` rows, and the distinct columns of all the rows (the
// union of that many rows' batches); workers 1. All zero on dense data.
[[nodiscard]] StepShape rows_shape(const Dataset& data, std::size_t first, std::size_t end, std::size_t batch);

// The shape of the first step of a run: each worker counts its batch's distinct columns and
// those of its first `workers` batches (standing for the union of the workers' batches), and
// the counts are averaged over the workers. A collective: the same shape on every worker.
[[nodiscard]] StepShape first_step_shape(const Shard& shard, std::size_t batch, Communicator& comm);

struct ExchangeChoice {
  ExchangeMode mode = ExchangeMode::kAuto;  // kAuto: auto's per-step choice of lists or dense
  std::string why;                          // one line
};
// Auto's choice for a run of sparse data on shape: sharded where its step costs less than the
// way auto sums otherwise (the shared model, on workers that share memory and a replica of
// kSharedFromBytes or more, else lists or the dense vector, whichever is cheaper).
[[nodiscard]] ExchangeChoice choose_exchange(const StepShape& shape, bool shared_model, const LinkCost& link);

}  // namespace dsgd
