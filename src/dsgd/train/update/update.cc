#include "dsgd/train/update/update.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "dsgd/base/huge_vector.h"
#include "dsgd/base/error.h"

namespace dsgd {
namespace {

// AdaGrad's move of one column with mean gradient m this step: its squared gradients summed in
// `squares` (m^2 added), the step lr * m / sqrt(squares); a column never moved stays.
inline double adagrad_step(double m, double& squares, double lr) noexcept {
  squares += m * m;
  return squares > 0 ? lr * m / std::sqrt(squares) : 0.0;
}

class DenseUpdate final : public Update {
 public:
  DenseUpdate(const TrainConfig& config, LinearModel start) : config_(config), model_(std::move(start)) {}

  [[nodiscard]] std::span<double> slots() noexcept override { return {}; }
  [[nodiscard]] std::size_t stride() const noexcept override { return 0; }

  KernelWeights weights() override {
    if (!model_.standardization) return {model_.weights, 1.0, model_.bias};
    model_.raw_weights(raw_);
    return {raw_.weights, 1.0, raw_.bias};
  }

  std::size_t apply(StepGradient& g, double lr) override {
    const std::size_t d = model_.features();
    double* grad = g.values.data();
    std::vector<double>& w = model_.weights;
    std::size_t nonzero = 0;
    const double count = g.sums.count;
    if (count > 0) {
      const double scale = lr / count;
      const double residual = g.sums.residual;
      if (model_.standardization) {  // d/dw_j of the loss on (x - mean) / scale
        const Standardization& s = *model_.standardization;
        for (std::size_t j = 0; j < d; ++j) grad[j] = (grad[j] - s.mean[j] * residual) / s.scale[j];
      }
      const double decay = lr * config_.l2;
      if (config_.optimizer == Optimizer::kAdagrad) {
        squares_.resize(d, 0.0);
        for (std::size_t j = 0; j < d; ++j) w[j] -= adagrad_step(grad[j] / count, squares_[j], lr) + decay * w[j];
      } else if (config_.l2 > 0) {
        for (std::size_t j = 0; j < d; ++j) w[j] -= scale * grad[j] + decay * w[j];
      } else {
        for (std::size_t j = 0; j < d; ++j) w[j] -= scale * grad[j];
      }
      if (config_.bias) model_.bias -= scale * residual;
    }
    for (std::size_t j = 0; j < d; ++j) {
      nonzero += grad[j] != 0.0 ? 1 : 0;
      grad[j] = 0.0;
    }
    return nonzero;
  }

  void store(LinearModel& model) const override {
    model.weights.assign(model_.weights.begin(), model_.weights.end());
    model.bias = model_.bias;
    model.standardization = model_.standardization;
  }

  [[nodiscard]] UpdateState save() const override { return {model_.weights, squares_, 1.0, model_.bias}; }
  void restore(const UpdateState& s) override {
    const bool adagrad = config_.optimizer == Optimizer::kAdagrad;
    if (s.weights.size() != model_.features() || (!s.squares.empty() && s.squares.size() != model_.features()) ||
        (!adagrad && !s.squares.empty()))
      throw ConfigError("the checkpoint's weights do not fit this run (features or optimizer)");
    model_.weights = s.weights;
    squares_ = s.squares;
    model_.bias = s.bias;
  }

 private:
  const TrainConfig& config_;
  LinearModel model_;
  RawWeights raw_;
  std::vector<double> squares_;  // adagrad: each column's summed squared mean gradients
};

// The pairwise tree sum of v[0, n) (the order of tree_sum in communicator.h), n >= 1.
inline double tree_sum_of(const double* v, std::size_t n) noexcept {
  if (n == 1) return v[0];
  const std::size_t h = std::bit_floor(n - 1);
  return tree_sum_of(v, h) + tree_sum_of(v + h, n - h);
}

// n 8-byte words rounded up to whole cache lines, so that workers' parts of a shared block never
// share a line.
constexpr std::size_t in_lines(std::size_t n) noexcept { return (n + 7) / 8 * 8; }

class LazyUpdate final : public Update {
 public:
  // With `block` (from comm.shared_block(shared_bytes(...))): every worker's slots and touched
  // set, in one block all the workers of comm read.
  LazyUpdate(const TrainConfig& config, const LinearModel& start, Communicator* comm = nullptr,
             std::span<std::byte> block = {})
      : config_(config),
        d_(start.features()),
        shared_(!block.empty()),
        workers_(shared_ ? static_cast<std::size_t>(comm->size()) : 1),
        rank_(shared_ ? static_cast<std::size_t>(comm->rank()) : 0),
        stride_(config.optimizer == Optimizer::kAdagrad ? 3 : 2),
        comm_(comm),
        bias_(start.bias) {
    if (start.standardization) {  // mean-free: a scaling of each feature, kept as 1 / s on the step
      scale_ = start.standardization->scale;
      inverse_scale_.resize(d_);
      for (std::size_t j = 0; j < d_; ++j) inverse_scale_[j] = 1.0 / scale_[j];
    }
    if (shared_) {
      auto* base = reinterpret_cast<double*>(block.data());
      const std::size_t replica = in_lines(stride_ * d_);
      auto* words = reinterpret_cast<std::uint64_t*>(base + workers_ * replica);
      for (std::size_t k = 0; k < workers_; ++k) {
        replicas_.push_back(base + k * replica);
        peers_.emplace_back(d_, std::span(words + k * in_lines(TouchedSet::storage_words(d_)),
                                          TouchedSet::storage_words(d_)));
      }
      for (TouchedSet& set : peers_) peer_pointers_.push_back(&set);
      sums_.resize(workers_);
      slots_ = {replicas_[rank_], stride_ * d_};
    } else {
      own_slots_.assign(stride_ * d_, 0.0);
      slots_ = own_slots_;
    }
    for (std::size_t j = 0; j < d_; ++j) slots_[stride_ * j] = start.weights[j] / (scale_.empty() ? 1.0 : scale_[j]);
    if (shared_) comm_->barrier();  // every replica is in place before the first step
  }

  // The bytes of a shared block for d columns and `workers` workers: every worker's slots, then
  // every worker's touched set.
  [[nodiscard]] static std::size_t shared_bytes(std::size_t d, std::size_t workers, Optimizer optimizer) {
    const std::size_t stride = optimizer == Optimizer::kAdagrad ? 3 : 2;
    return workers * (in_lines(stride * d) + in_lines(TouchedSet::storage_words(d))) * sizeof(double);
  }

  [[nodiscard]] std::span<double> slots() noexcept override { return slots_; }
  [[nodiscard]] std::size_t stride() const noexcept override { return stride_; }
  [[nodiscard]] std::span<std::uint64_t> touched_storage() noexcept override {
    if (!shared_) return {};
    auto* words = reinterpret_cast<std::uint64_t*>(replicas_.front() + workers_ * in_lines(stride_ * d_));
    return {words + rank_ * in_lines(TouchedSet::storage_words(d_)), TouchedSet::storage_words(d_)};
  }
  [[nodiscard]] bool shares_model() const noexcept override { return shared_; }

  KernelWeights weights() override { return {{}, alpha_, bias_}; }

  std::size_t apply(StepGradient& g, double lr) override {
    const std::size_t touched = move(g, lr);
    if (shared_) {
      comm_->barrier();  // every column is moved (and every set read) before any worker goes on
      g.touched.clear();
    }
    return touched;
  }

  [[nodiscard]] UpdateState save() const override {
    UpdateState s{std::vector<double>(d_), {}, alpha_, bias_};
    for (std::size_t j = 0; j < d_; ++j) s.weights[j] = slots_[stride_ * j];
    if (stride_ == 3) {
      s.squares.resize(d_);
      for (std::size_t j = 0; j < d_; ++j) s.squares[j] = slots_[3 * j + 2];
    }
    return s;
  }
  // Each worker restores its own replica: all of them hold the same bits.
  void restore(const UpdateState& s) override {
    if (s.weights.size() != d_ || s.squares.size() != (stride_ == 3 ? d_ : 0))
      throw ConfigError("the checkpoint's weights do not fit this run (features or optimizer)");
    for (std::size_t j = 0; j < d_; ++j) slots_[stride_ * j] = s.weights[j];
    if (stride_ == 3) {
      for (std::size_t j = 0; j < d_; ++j) slots_[3 * j + 2] = s.squares[j];
    }
    alpha_ = s.alpha;
    bias_ = s.bias;
  }

  void store(LinearModel& m) const override {
    m.bias = bias_;
    m.weights.resize(d_);
    for (std::size_t j = 0; j < d_; ++j) m.weights[j] = alpha_ * slots_[stride_ * j];
    if (scale_.empty()) {
      m.standardization.reset();
      return;
    }
    for (std::size_t j = 0; j < d_; ++j) m.weights[j] *= scale_[j];
    if (!m.standardization) m.standardization = Standardization{std::vector<double>(d_, 0.0), scale_};
  }

 private:
  // alpha is folded into u (an O(d) pass) once it falls below this: u stays within 2^32 of w.
  static constexpr double kFoldBelow = 0x1p-32;
  // Columns of a shared update whose lines are fetched together.
  static constexpr std::size_t kSharedBatch = 32;

  std::size_t move(StepGradient& g, double lr) {
    const double count = g.sums.count;
    if (!(count > 0)) {  // no rows in this step anywhere: nothing moves (the gradient is cleared)
      (void)move_all(g, [](std::size_t, double) { return 0.0; });
      return 0;
    }
    const double scale = lr / count;
    if (config_.l2 > 0) {
      alpha_ *= 1.0 - lr * config_.l2;
      if (!(alpha_ >= kFoldBelow)) fold();
    }
    const double step = scale / alpha_;
    const double* inv = inverse_scale_.empty() ? nullptr : inverse_scale_.data();
    std::size_t touched = 0;
    // In raw space a feature scaled by s moves by 1 / s^2 of its sgd step, 1 / s of its adagrad
    // step (whose squares are of the raw gradient); s is a power of two, so this is exact.
    if (config_.optimizer == Optimizer::kAdagrad) {
      const double rate = lr / alpha_;
      double* slots = slots_.data();  // a column's squares are kept by the worker that moves it
      touched =
          inv == nullptr
              ? move_all(g, [&](std::size_t j, double v) { return adagrad_step(v / count, slots[3 * j + 2], rate); })
              : move_all(g, [&](std::size_t j, double v) {
                  return adagrad_step(v / count, slots[3 * j + 2], rate) * inv[j];
                });
    } else {
      touched = inv == nullptr
                    ? move_all(g, [step](std::size_t, double v) { return step * v; })
                    : move_all(g, [step, inv](std::size_t j, double v) { return step * inv[j] * inv[j] * v; });
    }
    if (config_.bias) bias_ -= scale * g.sums.residual;
    return touched;
  }

  // fn(j) for the columns this worker moves: all of them, or (shared) those of every
  // workers_-th summary word of the touched sets from rank_'s.
  template <typename Fn>
  void for_my_columns(Fn fn) const {
    const std::size_t block = shared_ ? TouchedSet::kColumnsPerSummary : d_;
    for (std::size_t first = rank_ * block; first < d_; first += workers_ * block) {
      for (std::size_t j = first; j < std::min(d_, first + block); ++j) fn(j);
    }
  }

  // u_j -= delta(j, g_j) over the columns the gradient holds, clearing it; returns how many.
  template <typename Delta>
  std::size_t move_all(StepGradient& g, Delta delta) {
    double* p = slots_.data();
    const std::size_t k = stride_;
    std::size_t touched = 0;
    switch (g.form) {
      case StepGradient::Form::kDense: {
        double* grad = g.values.data();
        for (std::size_t j = 0; j < g.d; ++j) {
          if (grad[j] != 0.0) {
            ++touched;
            p[k * j] -= delta(j, grad[j]);
          }
          grad[j] = 0.0;
        }
        break;
      }
      case StepGradient::Form::kTouched:
        g.touched.drain([&](std::uint32_t j) {
          ++touched;
          p[k * j] -= delta(j, p[k * j + 1]);
          p[k * j + 1] = 0.0;
        });
        break;
      case StepGradient::Form::kShared:
        touched = move_shared(delta);
        break;
    }
    return touched;
  }

  // The shared update: a column is moved by the one worker that touched it, or, touched by
  // several, by the worker whose turn its run of 4096 columns is, which sums the gradients of
  // the replicas that touched it (the others hold +0, as in the dense sum) and writes the new
  // weight (and squares) into every replica. Returns the columns this worker moved. The sets
  // are only read: each worker clears its own after the closing barrier.
  template <typename Delta>
  std::size_t move_shared(Delta delta) {
    const std::size_t w = workers_;
    const std::size_t k = stride_;
    double* sums = sums_.data();
    std::size_t touched = 0;
    // A batch of columns at a time: their lines in every replica are asked for (many sit in
    // another core's cache or in memory) before the first is read.
    std::uint32_t batch[kSharedBatch];
    std::uint64_t who[kSharedBatch];  // bit r: replica r touched the column
    std::size_t n = 0;
    const auto flush = [&] {
      for (std::size_t b = 0; b < n; ++b) {
        for (double* replica : replicas_) __builtin_prefetch(replica + k * batch[b], 1);
      }
      for (std::size_t b = 0; b < n; ++b) {
        const std::size_t j = batch[b];
        for (std::size_t r = 0; r < w; ++r) {
          sums[r] = 0.0;
          if ((who[b] >> r & 1) != 0) {
            sums[r] = replicas_[r][k * j + 1];
            replicas_[r][k * j + 1] = 0.0;
          }
        }
        const double* mine = slots_.data() + k * j;
        const double u = mine[0] - delta(j, tree_sum_of(sums, w));  // adagrad adds to mine[2]
        for (double* replica : replicas_) {
          replica[k * j] = u;
          if (k == 3) replica[k * j + 2] = mine[2];
        }
      }
      touched += n;
      n = 0;
    };
    const std::size_t summaries = peers_.front().summary_words();
    for (std::size_t s = 0; s < summaries; ++s) {
      std::uint64_t blocks = 0;
      for (const TouchedSet* set : peer_pointers_) blocks |= set->summary(s);
      const bool my_turn = s % w == rank_;
      for (; blocks != 0; blocks &= blocks - 1) {
        const std::size_t word = s * 64 + static_cast<std::size_t>(std::countr_zero(blocks));
        std::uint64_t seen = 0, several = 0;
        for (const TouchedSet* set : peer_pointers_) {
          const std::uint64_t bits = set->word(word);
          several |= seen & bits;
          seen |= bits;
        }
        std::uint64_t mine = (peer_pointers_[rank_]->word(word) & ~several) | (my_turn ? several : 0);
        for (; mine != 0; mine &= mine - 1) {
          const auto bit = static_cast<unsigned>(std::countr_zero(mine));
          std::uint64_t touchers = 0;
          for (std::size_t r = 0; r < w; ++r) touchers |= (peer_pointers_[r]->word(word) >> bit & 1) << r;
          batch[n] = static_cast<std::uint32_t>(word * 64 + bit);
          who[n++] = touchers;
          if (n == kSharedBatch) flush();
        }
      }
    }
    flush();
    return touched;
  }

  void fold() {
    for_my_columns([&](std::size_t j) {
      for (double* replica : replicas_) replica[stride_ * j] *= alpha_;
      if (!shared_) slots_[stride_ * j] *= alpha_;
    });
    alpha_ = 1.0;
    if (shared_) comm_->barrier();  // every replica is folded before any column moves
  }

  const TrainConfig& config_;
  std::size_t d_;
  // Shared: every worker keeps a replica of the model beside its gradient, and moves its share of
  // the columns (every workers_-th run of 4096) in every replica, summing the replicas' gradients.
  bool shared_;
  std::size_t workers_;   // comm's workers when shared, else 1
  std::size_t rank_;      // this worker's replica (0 unless shared)
  std::size_t stride_;    // 2: (u_j, g_j); 3 with adagrad: (u_j, g_j, summed squares)
  Communicator* comm_;    // when shared
  std::span<double> slots_;       // this worker's replica
  HugeVector<double> own_slots_;  // the slots, unless shared
  std::vector<double*> replicas_;           // shared: every worker's slots, by rank
  std::vector<TouchedSet> peers_;           // shared: every worker's touched set, by rank
  std::vector<TouchedSet*> peer_pointers_;  // -> peers_
  std::vector<double> sums_;                // shared: one column's gradient in every replica
  double alpha_ = 1.0;
  double bias_ = 0.0;
  std::vector<double> scale_;         // s_j, empty without scaling
  HugeVector<double> inverse_scale_;  // 1 / s_j, empty without scaling
};

}  // namespace

std::unique_ptr<Update> make_update(const TrainConfig& config, const LinearModel& start, bool sparse_data,
                                    Communicator& comm) {
  if (!sparse_data || start.centred()) {
    if (config.exchange == ExchangeMode::kShared && comm.size() > 1)
      throw ConfigError(fmt::format("{} shared needs sparse data without a centring standardisation", field("exchange")));
    return std::make_unique<DenseUpdate>(config, start);
  }
  const std::size_t replica_bytes = (config.optimizer == Optimizer::kAdagrad ? 3 : 2) * start.features() * sizeof(double);
  if (comm.size() > 1 && (config.exchange == ExchangeMode::kShared ||
                          (config.exchange == ExchangeMode::kAuto && replica_bytes >= kSharedFromBytes))) {
    const std::span<std::byte> block = comm.shared_block(
        LazyUpdate::shared_bytes(start.features(), static_cast<std::size_t>(comm.size()), config.optimizer));
    if (!block.empty()) return std::make_unique<LazyUpdate>(config, start, &comm, block);
    if (config.exchange == ExchangeMode::kShared)
      throw ConfigError(fmt::format("{} shared needs workers that share memory (the threads backend)", field("exchange")));
  }
  return std::make_unique<LazyUpdate>(config, start);
}

}  // namespace dsgd
