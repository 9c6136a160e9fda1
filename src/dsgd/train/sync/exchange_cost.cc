#include "dsgd/train/sync/exchange_cost.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "dsgd/model/touched.h"

namespace dsgd {
namespace {

// The collectives' fixed cost: a pairwise tree of ceil(log2 W) levels.
double levels(double workers) noexcept { return workers > 1 ? std::ceil(std::log2(workers)) : 0.0; }

}  // namespace

StepCost step_cost(ExchangeMode mode, const StepShape& s, const LinkCost& link, const MachineCosts& m) noexcept {
  const double w = std::max(1.0, s.workers);
  const double t = s.touched, u = s.union_columns;
  StepCost c;
  c.kernel_s = s.values * m.value_s;
  if (w == 1) {
    c.update_s = t * m.column_s;
    return c;
  }
  switch (mode) {
    case ExchangeMode::kDense:  // the d-vector allreduced, every column moved in order
      c.bytes = 2 * (w - 1) / w * s.columns * 8 * 2;
      c.update_s = s.columns * m.entry_s;
      c.exchange_s = t * m.column_s + s.columns * m.entry_s;
      break;
    case ExchangeMode::kShared:  // each column summed over the replicas and moved in all of them
      c.kernel_s *= m.shared_kernel;
      c.update_s = u / w * m.shared_column_s;
      break;
    case ExchangeMode::kSharded:  // own entries listed; owners sum, move and list theirs; all written back
      c.bytes = 2 * (w - 1) / w * (t + u) * kEntryBytes;
      c.update_s = u / w * m.column_s;
      c.exchange_s = (t + u + u / w) * m.column_s + t * m.entry_s;
      break;
    default:  // lists: every list to every worker, merged, the others' added; the union moved everywhere
      c.bytes = 2 * (w - 1) * t * kEntryBytes;
      c.update_s = u * m.column_s;
      c.exchange_s = (t + std::min(u, (w - 1) * t)) * m.column_s + (w - 1) * t * m.entry_s;
      break;
  }
  if (m.cores > 0 && w > m.cores) {  // workers beyond the cores take turns on them
    const double share = w / m.cores;
    c.kernel_s *= share;
    c.update_s *= share;
    c.exchange_s *= share;
  }
  // Two collectives a step (one for lists and the shared model), each a tree of ceil(log2 W)
  // levels; the bytes over the link, which carries both directions at once.
  const double collectives = mode == ExchangeMode::kSharded || mode == ExchangeMode::kShared ? 2 : 1;
  c.exchange_s += collectives * levels(w) * link.latency_s + c.bytes / 2 / link.bytes_per_s;
  return c;
}

StepShape rows_shape(const Dataset& data, std::size_t first, std::size_t end, std::size_t batch) {
  StepShape shape;
  shape.columns = static_cast<double>(data.features());
  data.visit([&](const auto& view) {
    if constexpr (requires { view.offsets; }) {
      TouchedSet seen(view.cols);
      const std::size_t mine = std::min(end, first + batch);
      double distinct = 0;
      for (std::size_t i = first; i < end; ++i) {
        if (i == mine) shape.touched = distinct;
        for (std::uint64_t k = view.offsets[i]; k < view.offsets[i + 1]; ++k) {
          distinct += seen.contains(view.index[k]) ? 0 : 1;
          seen.mark(view.index[k]);
        }
      }
      if (mine == end) shape.touched = distinct;
      shape.values = static_cast<double>(view.offsets[mine] - view.offsets[first]);
      shape.union_columns = distinct;
    }
  });
  return shape;
}

StepShape first_step_shape(const Shard& shard, std::size_t batch, Communicator& comm) {
  const auto w = static_cast<std::size_t>(comm.size());
  std::vector<double> sums(3, 0.0);  // values, touched, union
  if (shard.data != nullptr) {
    const StepShape mine =
        rows_shape(*shard.data, shard.rows.begin, std::min(shard.rows.end, shard.rows.begin + w * batch), batch);
    sums = {mine.values, mine.touched, mine.union_columns};
  }
  comm.allreduce_sum(sums);
  const double n = static_cast<double>(w);
  return {n, sums[0] / n, sums[1] / n, sums[2] / n,
          shard.data != nullptr ? static_cast<double>(shard.data->features()) : 0.0};
}

ExchangeChoice choose_exchange(const StepShape& shape, bool shared_model, const LinkCost& link) {
  const StepCost sharded = step_cost(ExchangeMode::kSharded, shape, link);
  const StepCost lists = step_cost(ExchangeMode::kSparse, shape, link);
  const StepCost dense = step_cost(ExchangeMode::kDense, shape, link);
  const ExchangeMode other = shared_model ? ExchangeMode::kShared
                             : lists.total() <= dense.total() ? ExchangeMode::kSparse
                                                               : ExchangeMode::kDense;
  const StepCost otherwise = step_cost(other, shape, link);
  const std::string figures =
      fmt::format("{:.0f} columns touched a worker, {:.0f} by all; a step ~{:.3g} ms sharded, {}", shape.touched,
                  shape.union_columns, 1e3 * sharded.total(),
                  other == ExchangeMode::kShared
                      ? fmt::format("{:.3g} ms on the shared model", 1e3 * otherwise.total())
                      : fmt::format("{:.3g} ms with lists, {:.3g} ms dense", 1e3 * lists.total(), 1e3 * dense.total()));
  if (sharded.total() < otherwise.total()) return {ExchangeMode::kSharded, "auto chose sharded: " + figures};
  if (other == ExchangeMode::kShared) return {ExchangeMode::kAuto, "auto chose the shared model: " + figures};
  return {ExchangeMode::kAuto, "auto sums lists or the dense vector, step by step: " + figures};
}

}  // namespace dsgd
