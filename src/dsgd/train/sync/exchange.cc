#include "dsgd/train/sync/exchange.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>
#include <string>

#include "dsgd/base/huge_vector.h"
#include "dsgd/base/error.h"
#include "dsgd/base/range.h"
#include "dsgd/train/sync/gradient_lists.h"

namespace dsgd {

bool sparse_is_cheaper(std::uint64_t entries, std::size_t d) noexcept {
  return 12 * entries < 16 * static_cast<std::uint64_t>(d);
}

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
    message_.resize(list_bytes(n));
    const ListWriter out = start_list(message_.data(), g.sums, n);
    std::size_t k = 0;
    g.touched.for_each([&](std::uint32_t j) { out.put(k++, j, g.gradient_of(j)); });

    const GatheredBytes& parts = comm.allgather_bytes(message_);
    messages_.clear();
    lists_.clear();
    std::vector<PassSums> sums;
    std::uint64_t entries = 0;
    for (std::size_t p = 0; p < parts.size(); ++p) {
      messages_.push_back(read_list(parts[p], p, g.d));
      lists_.push_back(messages_.back().list);
      sums.push_back(messages_.back().sums);
      entries += messages_.back().list.n;
    }
    g.sums = tree_sum_sums(sums);  // in the tree, as the dense allreduce sums them
    stats_.entries_sent += n * (parts.size() - 1);  // (each entry to every other worker)
    stats_.entries_received += entries - n;
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
    const GradientList other = left ? tree_.sum(lists_, mid, hi, 0, false) : tree_.sum(lists_, lo, mid, 0, true);
    for (std::size_t k = 0; k < other.n; ++k) {
      const std::uint32_t j = other.index_at(k);  // below d: read_list checked
      g.gradient_of(j) += other.value_at(k);
      g.touched.mark(j);
    }
  }

  HugeVector<std::byte> message_;
  std::vector<GradientMessage> messages_;  // this step's, by worker
  std::vector<GradientList> lists_;        // their lists
  ListTree tree_;
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
    stats_.entries_sent = sparse_.stats().entries_sent;
    stats_.entries_received = sparse_.stats().entries_received;
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
  if (mode == ExchangeMode::kSparse || mode == ExchangeMode::kSharded) return std::make_unique<SparseExchange>();
  return std::make_unique<AutoExchange>(d);
}

}  // namespace dsgd
