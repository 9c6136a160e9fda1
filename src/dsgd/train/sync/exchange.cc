#include "dsgd/train/sync/exchange.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>
#include <string>

#include "dsgd/base/huge_vector.h"
#include "dsgd/base/error.h"
#include "dsgd/base/range.h"

namespace dsgd {

bool sparse_is_cheaper(std::uint64_t entries, std::size_t d) noexcept {
  return 12 * entries < 16 * static_cast<std::uint64_t>(d);
}

namespace {

// The pass sums travel after the gradient in the dense vector, and in a list's header.
constexpr std::size_t kSums = 4;
void put_sums(const PassSums& s, double* out) {
  out[0] = s.count;
  out[1] = s.loss;
  out[2] = s.correct;
  out[3] = s.residual;
}
PassSums get_sums(const double* in) { return {in[0], in[1], in[2], in[3]}; }

// One worker's list as it travels: the pass sums (4 doubles), the entry count n (u64), n
// values (f64), n ascending indices (u32), padded to 8 bytes, so every list of a concatenated
// all-gather starts 8-byte aligned. Read with memcpy: the bytes are not typed objects.
constexpr std::size_t kHeaderBytes = kSums * sizeof(double) + sizeof(std::uint64_t);
constexpr std::size_t message_bytes(std::size_t n) noexcept {
  return kHeaderBytes + n * sizeof(double) + (n * sizeof(std::uint32_t) + 7) / 8 * 8;
}

// Worker k's message: its sums and its list; throws CommError unless it is a list of ascending
// columns below d. Every worker checks every message, so all fail at the same point.
struct Message {
  PassSums sums;
  GradientList list;
};
Message read_message(std::span<const std::byte> bytes, std::size_t k, std::size_t d) {
  double sums[kSums];
  std::uint64_t n = 0;
  if (bytes.size() >= kHeaderBytes) {
    std::memcpy(sums, bytes.data(), sizeof sums);
    std::memcpy(&n, bytes.data() + sizeof sums, sizeof n);
  }
  if (bytes.size() < kHeaderBytes || n > bytes.size() || bytes.size() != message_bytes(n))
    throw CommError(fmt::format("worker {} sent a malformed sparse gradient ({} bytes)", k, bytes.size()));
  const std::byte* values = bytes.data() + kHeaderBytes;
  const GradientList list{values, values + n * sizeof(double), n};
  for (std::size_t e = 0; e < n; ++e) {
    const std::uint32_t j = list.index_at(e);
    if (j >= d || (e > 0 && j <= list.index_at(e - 1)))
      throw CommError(fmt::format("worker {} sent a sparse gradient whose columns are not ascending below {}", k, d));
  }
  return {get_sums(sums), list};
}

// out = a + b for ascending lists: a coordinate in both is a_j + b_j, one in either alone is
// v + 0, as the dense sum adds it (the values are never -0: every sum starts from +0). Branch
// free but for the loop: both heads are read and the smaller index (or both) taken.
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

}  // namespace

std::uint64_t DenseExchange::reduce_counting(StepGradient& g, Communicator& comm, bool count_touched) {
  start(g, comm, count_touched);
  return finish(g, comm);
}

void DenseExchange::start(StepGradient& g, Communicator& comm, bool count_touched) {
  const std::size_t d = g.d;
  std::uint64_t touched = 0;
  if (g.sparse_path()) {  // the gradient moves from the slots into the contiguous vector
    g.touched.drain([&](std::uint32_t j) {
      g.values[j] = g.gradient_of(j);
      g.gradient_of(j) = 0.0;
      ++touched;
    });
  }
  put_sums(g.sums, g.values.data() + d);
  std::size_t length = d + kSums;
  if (count_touched) g.values[length++] = static_cast<double>(touched);
  counting_ = count_touched;
  comm.start_allreduce_sum(std::span(g.values).first(length));
}

std::uint64_t DenseExchange::finish(StepGradient& g, Communicator& comm) {
  const std::size_t d = g.d;
  comm.wait_allreduce();
  g.sums = get_sums(g.values.data() + d);
  const std::uint64_t touched = counting_ ? static_cast<std::uint64_t>(g.values[d + kSums]) : 0;
  std::fill(g.values.begin() + static_cast<std::ptrdiff_t>(d), g.values.end(), 0.0);
  g.form = StepGradient::Form::kDense;
  ++stats_.dense_steps;
  return touched;
}

namespace {

class SparseExchange final : public Exchange {
 public:
  void reduce(StepGradient& g, Communicator& comm) override { (void)reduce_counting(g, comm); }

  // Returns the entries all workers sent.
  std::uint64_t reduce_counting(StepGradient& g, Communicator& comm) {
    ++stats_.sparse_steps;
    if (comm.size() == 1) {  // the sum of one worker is its own
      g.form = StepGradient::Form::kTouched;
      return 0;
    }
    // My list, ascending, from the touched set (which stays: the others' columns join it).
    const std::size_t n = g.touched.count();
    message_.resize(message_bytes(n));
    std::byte* out = message_.data();
    double sums[kSums];
    put_sums(g.sums, sums);
    const std::uint64_t count = n;
    std::memcpy(out, sums, sizeof sums);
    std::memcpy(out + sizeof sums, &count, sizeof count);
    std::byte* values = out + kHeaderBytes;
    std::byte* index = values + n * sizeof(double);
    std::size_t k = 0;
    g.touched.for_each([&](std::uint32_t j) {
      std::memcpy(index + k * sizeof(std::uint32_t), &j, sizeof j);
      std::memcpy(values + k * sizeof(double), &g.gradient_of(j), sizeof(double));
      ++k;
    });
    std::fill(index + n * sizeof(std::uint32_t), out + message_.size(), std::byte{0});

    const GatheredBytes& parts = comm.allgather_bytes(message_);
    messages_.clear();
    std::uint64_t entries = 0;
    for (std::size_t p = 0; p < parts.size(); ++p) {
      messages_.push_back(read_message(parts[p], p, g.d));
      entries += messages_.back().list.n;
    }
    // The pass sums in the tree, as the dense allreduce sums them.
    std::vector<double> all_sums(kSums * messages_.size());
    std::vector<const double*> pointers;
    for (std::size_t p = 0; p < messages_.size(); ++p) {
      put_sums(messages_[p].sums, all_sums.data() + kSums * p);
      pointers.push_back(all_sums.data() + kSums * p);
    }
    double total[kSums];
    tree_sum(pointers, 0, kSums, total);
    g.sums = get_sums(total);
    // My gradients become the root's sums: up the tree from my leaf, each sibling subtree added.
    climb(g, 0, messages_.size(), static_cast<std::size_t>(comm.rank()));
    g.form = StepGradient::Form::kTouched;
    stats_.entries += entries;
    return entries;
  }

 private:
  // g holds the sum of the subtree [lo, hi) that holds worker `me` once this returns (on entry,
  // its own leaf): each sibling subtree's list is added into its gradients, left + right being
  // right + left exactly, and a column only one side has v + 0, as in the dense sum.
  void climb(StepGradient& g, std::size_t lo, std::size_t hi, std::size_t me) {
    if (hi - lo == 1) return;
    const std::size_t mid = lo + std::bit_floor(hi - lo - 1);
    const bool left = me < mid;
    if (left) {
      climb(g, lo, mid, me);
    } else {
      climb(g, mid, hi, me);
    }
    const GradientList other = left ? subtree(mid, hi, 0, false) : subtree(lo, mid, 0, true);
    for (std::size_t k = 0; k < other.n; ++k) {
      const std::uint32_t j = other.index_at(k);  // below d: read_message checked
      g.gradient_of(j) += other.value_at(k);
      g.touched.mark(j);
    }
  }

  // The sum of the workers [lo, hi), the left or right child of its parent: a worker's list, or
  // a merge in the buffers of tree depth `depth` (its children in those of depth + 1).
  GradientList subtree(std::size_t lo, std::size_t hi, std::size_t depth, bool left_child) {
    if (hi - lo == 1) return messages_[lo].list;
    const std::size_t mid = lo + std::bit_floor(hi - lo - 1);
    const GradientList left = subtree(lo, mid, depth + 1, true);
    const GradientList right = subtree(mid, hi, depth + 1, false);
    if (levels_.size() <= depth) levels_.resize(depth + 1);
    Level& level = levels_[depth];
    HugeVector<std::uint32_t>& index = left_child ? level.left_index : level.right_index;
    HugeVector<double>& value = left_child ? level.left_value : level.right_value;
    merge_sum(left, right, index, value);
    return GradientList::of(index, value);
  }

  // Merge buffers per tree depth: a left and a right subtree of one depth are alive at once.
  struct Level {
    HugeVector<std::uint32_t> left_index, right_index;
    HugeVector<double> left_value, right_value;
  };

  HugeVector<std::byte> message_;
  std::vector<Message> messages_;  // this step's, by worker
  std::vector<Level> levels_;
};

class SharedExchange final : public Exchange {
 public:
  void reduce(StepGradient& g, Communicator& comm) override {
    put_sums(g.sums, sums_);
    comm.allreduce_sum(sums_);
    g.sums = get_sums(sums_);
    g.form = StepGradient::Form::kShared;
    ++stats_.shared_steps;
  }

 private:
  double sums_[kSums] = {};
};

class AutoExchange final : public Exchange {
 public:
  explicit AutoExchange(std::size_t d) : d_(d), last_entries_(2 * static_cast<std::uint64_t>(d)) {}
  void reduce(StepGradient& g, Communicator& comm) override {
    if (sparse_is_cheaper(last_entries_, d_)) {
      last_entries_ = sparse_.reduce_counting(g, comm);
    } else {
      last_entries_ = dense_.reduce_counting(g, comm, true);
    }
    stats_.dense_steps = dense_.stats().dense_steps;
    stats_.sparse_steps = sparse_.stats().sparse_steps;
    stats_.entries = sparse_.stats().entries;
  }

 private:
  std::size_t d_;
  std::uint64_t last_entries_;  // before the first step: more than the dense vector is worth
  DenseExchange dense_;
  SparseExchange sparse_;
};

}  // namespace

std::unique_ptr<Exchange> make_exchange(ExchangeMode mode, bool sparse_path, std::size_t d, bool shared_model) {
  if (shared_model) return std::make_unique<SharedExchange>();
  if (!sparse_path || mode == ExchangeMode::kDense) return std::make_unique<DenseExchange>();
  if (mode == ExchangeMode::kSparse) return std::make_unique<SparseExchange>();
  return std::make_unique<AutoExchange>(d);
}

}  // namespace dsgd
