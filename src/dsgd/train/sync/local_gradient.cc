#include "dsgd/train/sync/local_gradient.h"

#include <algorithm>
#include <chrono>

#include "dsgd/model/kernel.h"
#include "dsgd/base/timer.h"

namespace dsgd {
namespace {

// Adds the gradient sum over `rows` to g.
void add_gradient(const Shard& shard, const std::uint32_t* order, RowSpan rows, const KernelWeights& w,
                  StepGradient& g) {
  shard.data->visit([&](const auto& view) {
    const auto local = view.slice(shard.rows.begin, shard.rows.end);
    const auto picked_rows = order != nullptr ? local : local.slice(rows.begin, rows.begin + rows.count);
    const std::uint32_t* picked = order != nullptr ? order + rows.begin : nullptr;
    if constexpr (requires { view.offsets; }) {
      if (g.sparse_path()) {
        accumulate_gradient_pairs(picked_rows, picked, rows.count, g.slots, g.stride, g.offset, w.scale, w.bias,
                                  g.touched, g.sums);
        return;
      }
    }
    accumulate_gradient(picked_rows, picked, rows.count, w.weights, w.bias, g.gradient(), g.sums);
  });
}

}  // namespace

void local_gradient(const Shard& shard, const std::uint32_t* order, RowSpan rows, const KernelWeights& w,
                    StepGradient& g) {
  g.sums = {};
  add_gradient(shard, order, rows, w, g);
}

double gradient_ahead(const Shard& shard, const std::uint32_t* order, RowSpan rows, const KernelWeights& w,
                      StepGradient& g, Communicator& comm) {
  const std::size_t micro = std::max<std::size_t>(32, (rows.count + 15) / 16);
  const auto start = Clock::now();
  auto arrived = comm.test_allreduce() ? start : Clock::time_point::max();
  g.sums = {};
  for (std::size_t done = 0; done < rows.count; done += micro) {
    add_gradient(shard, order, {rows.begin + done, std::min(micro, rows.count - done)}, w, g);
    if (arrived == Clock::time_point::max() && comm.test_allreduce()) arrived = Clock::now();
  }
  return std::chrono::duration<double>(std::min(arrived, Clock::now()) - start).count();
}

}  // namespace dsgd
