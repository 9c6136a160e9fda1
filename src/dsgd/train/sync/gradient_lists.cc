#include "dsgd/train/sync/gradient_lists.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>

#include "dsgd/base/error.h"
#include "dsgd/comm/communicator.h"

namespace dsgd {

void put_sums(const PassSums& s, double* out) noexcept {
  out[0] = s.count;
  out[1] = s.loss;
  out[2] = s.correct;
  out[3] = s.residual;
}

PassSums get_sums(const double* in) noexcept { return {in[0], in[1], in[2], in[3]}; }

PassSums tree_sum_sums(std::span<const PassSums> by_worker) {
  std::vector<double> all(kSums * by_worker.size());
  std::vector<const double*> pointers;
  for (std::size_t p = 0; p < by_worker.size(); ++p) {
    put_sums(by_worker[p], all.data() + kSums * p);
    pointers.push_back(all.data() + kSums * p);
  }
  double total[kSums];
  tree_sum(pointers, 0, kSums, total);
  return get_sums(total);
}

ListWriter start_list(std::byte* out, const PassSums& sums, std::size_t n) noexcept {
  double s[kSums];
  put_sums(sums, s);
  const std::uint64_t count = n;
  std::memcpy(out, s, sizeof s);
  std::memcpy(out + sizeof s, &count, sizeof count);
  std::byte* values = out + kListHeaderBytes;
  std::byte* index = values + n * sizeof(double);
  std::fill(index + n * sizeof(std::uint32_t), out + list_bytes(n), std::byte{0});
  return {values, index};
}

GradientMessage read_list(std::span<const std::byte> bytes, std::size_t k, std::size_t d) {
  double sums[kSums];
  std::uint64_t n = 0;
  if (bytes.size() >= kListHeaderBytes) {
    std::memcpy(sums, bytes.data(), sizeof sums);
    std::memcpy(&n, bytes.data() + sizeof sums, sizeof n);
  }
  if (bytes.size() < kListHeaderBytes || n > bytes.size() || bytes.size() != list_bytes(n))
    throw CommError(fmt::format("worker {} sent a malformed sparse gradient ({} bytes)", k, bytes.size()));
  const std::byte* values = bytes.data() + kListHeaderBytes;
  const GradientList list{values, values + n * sizeof(double), n};
  for (std::size_t e = 0; e < n; ++e) {
    const std::uint32_t j = list.index_at(e);
    if (j >= d || (e > 0 && j <= list.index_at(e - 1)))
      throw CommError(fmt::format("worker {} sent a sparse gradient whose columns are not ascending below {}", k, d));
  }
  return {get_sums(sums), list};
}

// Branch free but for the loop: both heads are read and the smaller index (or both) taken. The
// values are never -0 (every sum starts from +0), so v + 0 is v.
void merge_sum(const GradientList& a, const GradientList& b, HugeVector<std::uint32_t>& out_index,
               HugeVector<double>& out_value) {
  out_index.resize(a.n + b.n);
  out_value.resize(a.n + b.n);
  std::size_t i = 0, k = 0, o = 0;
  while (i < a.n && k < b.n) {
    const std::uint32_t ja = a.index_at(i);
    const std::uint32_t jb = b.index_at(k);
    const bool take_a = ja <= jb;
    const bool take_b = jb <= ja;
    out_index[o] = take_a ? ja : jb;
    out_value[o] = (take_a ? a.value_at(i) : 0.0) + (take_b ? b.value_at(k) : 0.0);
    i += take_a ? 1 : 0;
    k += take_b ? 1 : 0;
    ++o;
  }
  for (; i < a.n; ++i, ++o) {
    out_index[o] = a.index_at(i);
    out_value[o] = a.value_at(i) + 0.0;
  }
  for (; k < b.n; ++k, ++o) {
    out_index[o] = b.index_at(k);
    out_value[o] = b.value_at(k) + 0.0;
  }
  out_index.resize(o);
  out_value.resize(o);
}

GradientList ListTree::sum(std::span<const GradientList> lists, std::size_t lo, std::size_t hi, std::size_t depth,
                           bool left_child) {
  if (hi - lo == 1) return lists[lo];
  const std::size_t mid = lo + std::bit_floor(hi - lo - 1);
  const GradientList left = sum(lists, lo, mid, depth + 1, true);
  const GradientList right = sum(lists, mid, hi, depth + 1, false);
  if (levels_.size() <= depth) levels_.resize(depth + 1);
  Level& level = levels_[depth];
  HugeVector<std::uint32_t>& index = left_child ? level.left_index : level.right_index;
  HugeVector<double>& value = left_child ? level.left_value : level.right_value;
  merge_sum(left, right, index, value);
  return GradientList::of(index, value);
}

}  // namespace dsgd
