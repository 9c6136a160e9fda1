#pragma once
// Sparse gradients as they travel between workers, and their sums in the workers' tree order:
// the message format of the sparse and sharded exchanges (exchange.cc, sharded.cc). A list
// summed here has the bits of the dense sum (communicator.h's tree_sum) in every column: a
// column only one side holds is v + 0, as where the dense sum adds a +0.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dsgd/base/huge_vector.h"
#include "dsgd/model/kernel.h"
#include "dsgd/train/update/step_gradient.h"

namespace dsgd {

// The pass sums as 4 doubles (they travel with a gradient), and back.
inline constexpr std::size_t kSums = 4;
void put_sums(const PassSums& s, double* out) noexcept;
[[nodiscard]] PassSums get_sums(const double* in) noexcept;
// The sums of every worker's pass, by rank, in the pairwise tree (as the dense allreduce).
[[nodiscard]] PassSums tree_sum_sums(std::span<const PassSums> by_worker);

// One worker's list as it travels: its pass sums (4 doubles), the entry count n (u64), n values
// (f64), n ascending indices (u32) padded to 8 bytes, so lists placed one after another stay
// 8-byte aligned. Read with memcpy: the bytes are not typed objects.
inline constexpr std::size_t kListHeaderBytes = kSums * sizeof(double) + sizeof(std::uint64_t);
[[nodiscard]] constexpr std::size_t list_bytes(std::size_t n) noexcept {
  return kListHeaderBytes + n * sizeof(double) + (n * sizeof(std::uint32_t) + 7) / 8 * 8;
}

// Where a list's entries go in `out` (list_bytes(n) bytes): the header written, the padding
// zeroed; entry k's value at values + 8k, its index at index + 4k (memcpy them in).
struct ListWriter {
  std::byte* values;
  std::byte* index;
  void put(std::size_t k, std::uint32_t j, double v) const noexcept {
    std::memcpy(index + k * sizeof(std::uint32_t), &j, sizeof j);
    std::memcpy(values + k * sizeof(double), &v, sizeof v);
  }
};
[[nodiscard]] ListWriter start_list(std::byte* out, const PassSums& sums, std::size_t n) noexcept;

// Worker k's list: its sums and entries; throws CommError unless it is a list of ascending
// columns below d. (The sparse exchange's workers all take every list, so all fail at the same
// point; the sharded one's owners tell the others at the next collective.)
struct GradientMessage {
  PassSums sums;
  GradientList list;
};
[[nodiscard]] GradientMessage read_list(std::span<const std::byte> bytes, std::size_t k, std::size_t d);

// out = a + b for ascending lists.
void merge_sum(const GradientList& a, const GradientList& b, HugeVector<std::uint32_t>& out_index,
               HugeVector<double>& out_value);

// Sums of lists in the pairwise tree over their positions, in buffers kept between calls.
class ListTree {
 public:
  // The sum of lists[lo, hi), the left or right child of its parent (the root: left); valid
  // until the next call at the same depth and side.
  GradientList sum(std::span<const GradientList> lists, std::size_t lo, std::size_t hi, std::size_t depth = 0,
                   bool left_child = true);

 private:
  // Merge buffers per tree depth: a left and a right subtree of one depth are alive at once.
  struct Level {
    HugeVector<std::uint32_t> left_index, right_index;
    HugeVector<double> left_value, right_value;
  };
  std::vector<Level> levels_;
};

}  // namespace dsgd
