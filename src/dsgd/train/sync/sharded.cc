#include "dsgd/train/sync/sharded.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "dsgd/base/error.h"

namespace dsgd {
namespace {

// Calls fn(w, bits) for every non-zero word w of the set (bits: its columns 64 w + bit).
template <typename Fn>
void for_each_word(const TouchedSet& set, Fn fn) {
  for (std::size_t s = 0; s < set.summary_words(); ++s) {
    for (std::uint64_t blocks = set.summary(s); blocks != 0; blocks &= blocks - 1) {
      const std::size_t w = s * 64 + static_cast<std::size_t>(std::countr_zero(blocks));
      fn(w, set.word(w));
    }
  }
}

// An owner's weights list that says it took a malformed gradient list instead.
constexpr std::uint64_t kFailed = ~std::uint64_t{0};

// A list of an owner's new weights: the count n (u64), n weights (f64), n squares (f64, adagrad
// only), n ascending indices (u32) padded to 8 bytes.
constexpr std::size_t weights_bytes(std::size_t n, bool squares) noexcept {
  return sizeof(std::uint64_t) + n * sizeof(double) * (squares ? 2 : 1) + (n * sizeof(std::uint32_t) + 7) / 8 * 8;
}

// fn(k, j) for the n u32 columns at `index`, the line of slots[stride * j] asked for kAhead
// columns before: the slots are random reads, mostly from memory, and this keeps several in
// flight.
template <typename Fn>
void gather_slots(const std::byte* index, std::size_t n, Fn fn, const double* slots, std::size_t stride) {
  constexpr std::size_t kAhead = 16;
  const auto column = [&](std::size_t k) {
    std::uint32_t j;
    std::memcpy(&j, index + k * sizeof j, sizeof j);
    return j;
  };
  for (std::size_t k = 0; k < std::min(n, kAhead); ++k) __builtin_prefetch(slots + stride * column(k), 1);
  for (std::size_t k = 0; k < n; ++k) {
    if (k + kAhead < n) __builtin_prefetch(slots + stride * column(k + kAhead), 1);
    fn(k, column(k));
  }
}

}  // namespace

ShardedSync::ShardedSync(const TrainConfig& config, const LinearModel& start, bool sparse, Communicator& comm)
    : Sync(config, comm),
      workers_(static_cast<std::size_t>(comm.size())),
      rank_(static_cast<std::size_t>(comm.rank())),
      sizes_(workers_),
      lists_(workers_),
      sums_(workers_) {
  update_ = make_update(config_, start, sparse, comm);
  gradient_ = gradient_for(start.features());
}

void ShardedSync::refuse_options(const TrainConfig& config) {
  if (config.exchange == ExchangeMode::kSharded && config.sync_every != 1)
    throw ConfigError(fmt::format("{} sharded keeps one model, each column moved by its owner; {} {} keeps a model "
                                  "a worker (use {} sparse)",
                                  field("exchange"), field("sync_every"), to_string_sync_every(config.sync_every),
                                  field("exchange")));
}

ExchangeStats ShardedSync::stats() const {
  ExchangeStats s = stats_;
  const ExchangeStats& dense = dense_.stats();
  s.dense_steps = dense.dense_steps;
  return s;
}

void ShardedSync::send_entries(StepGradient& g) {
  const std::size_t w = workers_;
  std::vector<std::size_t> counts(w, 0);
  for_each_word(g.touched, [&](std::size_t word, std::uint64_t bits) {
    counts[word % w] += static_cast<std::size_t>(std::popcount(bits));
  });
  std::size_t total = 0;
  for (std::size_t o = 0; o < w; ++o) {
    sizes_[o] = list_bytes(counts[o]);
    total += sizes_[o];
  }
  out_.resize(total);
  std::vector<ListWriter> writers;
  std::size_t at = 0;
  for (std::size_t o = 0; o < w; ++o) {
    writers.push_back(start_list(out_.data() + at, g.sums, counts[o]));
    at += sizes_[o];
  }
  // The columns first (bit work only), then their gradients gathered with the lines asked for
  // ahead, each slot zeroed for the next step.
  std::vector<std::size_t> next(w, 0);
  for_each_word(g.touched, [&](std::size_t word, std::uint64_t bits) {
    const std::size_t o = word % w;
    std::size_t k = next[o];
    for (; bits != 0; bits &= bits - 1) {
      const auto j = static_cast<std::uint32_t>(word * 64 + static_cast<std::size_t>(std::countr_zero(bits)));
      std::memcpy(writers[o].index + k++ * sizeof j, &j, sizeof j);
    }
    next[o] = k;
  });
  g.touched.clear();
  const std::size_t stride = g.stride;
  double* slots = g.slots.data() + g.offset;
  for (std::size_t o = 0; o < w; ++o) {
    const ListWriter& out = writers[o];
    gather_slots(out.index, counts[o], [&](std::size_t k, std::uint32_t j) {
      double& v = slots[stride * j];
      std::memcpy(out.values + k * sizeof(double), &v, sizeof v);
      v = 0.0;
    }, slots, stride);
  }
  std::uint64_t sent = 0;
  for (std::size_t o = 0; o < w; ++o) {
    if (o != rank_) sent += counts[o];
  }
  stats_.entries_sent += sent;
}

void ShardedSync::sum_mine(StepGradient& g) {
  const GatheredBytes& parts = comm_.alltoall_bytes(out_, sizes_);
  std::uint64_t received = 0;
  for (std::size_t p = 0; p < workers_; ++p) {
    const GradientMessage m = read_list(parts[p], p, g.d);
    for (std::size_t k = 0; k < m.list.n; ++k) {
      if (column_owner(m.list.index_at(k), workers_) != rank_)
        throw CommError(fmt::format("worker {} sent column {} to worker {}, which does not own it", p,
                                    m.list.index_at(k), rank_));
    }
    lists_[p] = m.list;
    sums_[p] = m.sums;
    if (p != rank_) received += m.list.n;
  }
  stats_.entries_received += received;
  g.sums = tree_sum_sums(sums_);
  mine_ = tree_.sum(lists_, 0, workers_);
  const std::size_t stride = g.stride;
  double* slots = g.slots.data() + g.offset;
  gather_slots(mine_.index, mine_.n, [&](std::size_t k, std::uint32_t j) {
    slots[stride * j] = mine_.value_at(k);
    g.touched.mark(j);
  }, slots, stride);
  g.form = StepGradient::Form::kTouched;
}

void ShardedSync::share_weights(const std::string& failure) {
  if (!failure.empty()) {
    weights_out_.resize(sizeof kFailed);
    std::memcpy(weights_out_.data(), &kFailed, sizeof kFailed);
    (void)comm_.allgather_bytes(weights_out_);
    throw CommError(failure);
  }
  Update& update = *update_;
  const std::span<const double> slots = update.slots();
  const std::size_t stride = update.stride();
  const bool squares = stride == 3;
  const std::size_t n = mine_.n;
  weights_out_.resize(weights_bytes(n, squares));
  std::byte* out = weights_out_.data();
  const std::uint64_t count = n;
  std::memcpy(out, &count, sizeof count);
  std::byte* values = out + sizeof count;
  std::byte* square_values = values + n * sizeof(double);
  std::byte* index = square_values + (squares ? n * sizeof(double) : 0);
  std::fill(index + n * sizeof(std::uint32_t), out + weights_out_.size(), std::byte{0});
  for (std::size_t k = 0; k < n; ++k) {  // (lines just moved by the update: in cache)
    const std::uint32_t j = mine_.index_at(k);
    std::memcpy(index + k * sizeof j, &j, sizeof j);
    std::memcpy(values + k * sizeof(double), &slots[stride * j], sizeof(double));
    if (squares) std::memcpy(square_values + k * sizeof(double), &slots[stride * j + 2], sizeof(double));
  }
  const GatheredBytes& parts = comm_.allgather_bytes(weights_out_);
  const std::span<double> mine = update.slots();
  const std::size_t d = mine.size() / stride;
  for (std::size_t p = 0; p < workers_; ++p) {
    if (p == rank_) continue;
    const std::span<const std::byte> bytes = parts[p];
    std::uint64_t m = 0;
    if (bytes.size() >= sizeof m) std::memcpy(&m, bytes.data(), sizeof m);
    if (m == kFailed) throw CommError(fmt::format("worker {} took a malformed gradient list", p));
    if (bytes.size() < sizeof m || m > bytes.size() || bytes.size() != weights_bytes(m, squares))
      throw CommError(fmt::format("worker {} sent malformed weights ({} bytes)", p, bytes.size()));
    const std::byte* v = bytes.data() + sizeof m;
    const std::byte* sq = v + m * sizeof(double);
    const std::byte* ix = sq + (squares ? m * sizeof(double) : 0);
    for (std::size_t k = 0; k < m; ++k) {  // checked first: a bad list changes nothing
      std::uint32_t j;
      std::memcpy(&j, ix + k * sizeof j, sizeof j);
      if (j >= d || column_owner(j, workers_) != p)
        throw CommError(fmt::format("worker {} sent the weight of column {}, which it does not own", p, j));
    }
    gather_slots(ix, m, [&](std::size_t k, std::uint32_t j) {
      std::memcpy(&mine[stride * j], v + k * sizeof(double), sizeof(double));
      if (squares) std::memcpy(&mine[stride * j + 2], sq + k * sizeof(double), sizeof(double));
    }, mine.data(), stride);
    stats_.weights_received += m;
  }
  stats_.weights_sent += n * (workers_ - 1);
}

StepOutcome ShardedSync::step(const StepContext& work) {
  StepGradient& g = *gradient_;
  const auto start = Clock::now();
  local_gradient(*work.shard, work.order, work.rows(), update_->weights(), g);
  auto exchange_start = Clock::now();
  compute_time_ += exchange_start - start;
  StepOutcome out;
  try {
    if (!g.sparse_path()) {
      dense_.reduce(g, comm_);
      const auto update_start = Clock::now();
      exchange_time_ += update_start - exchange_start;
      out.sums = g.sums;
      out.touched = apply(g, work);
      compute_time_ += Clock::now() - update_start;
      return out;
    }
    send_entries(g);
    std::string failure;
    try {
      sum_mine(g);
    } catch (const CommError& e) {
      failure = e.what();
    }
    ++stats_.sharded_steps;
    auto update_start = Clock::now();
    exchange_time_ += update_start - exchange_start;
    out.sums = g.sums;
    if (failure.empty()) out.touched = apply(g, work);
    exchange_start = Clock::now();
    compute_time_ += exchange_start - update_start;
    share_weights(failure);
    exchange_time_ += Clock::now() - exchange_start;
  } catch (const CommError& e) {
    throw CommError(step_where(work, comm_.rank()) + e.what());
  }
  return out;
}

}  // namespace dsgd
