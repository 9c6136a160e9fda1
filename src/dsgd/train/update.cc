#include "dsgd/train/update.h"

#include <algorithm>
#include <cmath>

#include "dsgd/data/huge_vector.h"

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

 private:
  const TrainConfig& config_;
  LinearModel model_;
  RawWeights raw_;
  std::vector<double> squares_;  // adagrad: each column's summed squared mean gradients
};

class LazyUpdate final : public Update {
 public:
  LazyUpdate(const TrainConfig& config, const LinearModel& start)
      : config_(config), stride_(config.optimizer == Optimizer::kAdagrad ? 3 : 2), bias_(start.bias) {
    const std::size_t d = start.features();
    if (start.standardization) {  // mean-free: a scaling of each feature, kept as 1 / s on the step
      scale_ = start.standardization->scale;
      inverse_scale_.resize(d);
      for (std::size_t j = 0; j < d; ++j) inverse_scale_[j] = 1.0 / scale_[j];
    }
    slots_.assign(stride_ * d, 0.0);
    for (std::size_t j = 0; j < d; ++j) slots_[stride_ * j] = start.weights[j] / (scale_.empty() ? 1.0 : scale_[j]);
  }

  [[nodiscard]] std::span<double> slots() noexcept override { return slots_; }
  [[nodiscard]] std::size_t stride() const noexcept override { return stride_; }

  KernelWeights weights() override { return {{}, alpha_, bias_}; }

  std::size_t apply(StepGradient& g, double lr) override {
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
      double* slots = slots_.data();
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

  void store(LinearModel& m) const override {
    const std::size_t d = slots_.size() / stride_;
    m.bias = bias_;
    m.weights.resize(d);
    for (std::size_t j = 0; j < d; ++j) m.weights[j] = alpha_ * slots_[stride_ * j];
    if (scale_.empty()) {
      m.standardization.reset();
      return;
    }
    for (std::size_t j = 0; j < d; ++j) m.weights[j] *= scale_[j];
    if (!m.standardization) m.standardization = Standardization{std::vector<double>(d, 0.0), scale_};
  }

 private:
  // alpha is folded into u (an O(d) pass) once it falls below this: u stays within 2^32 of w.
  static constexpr double kFoldBelow = 0x1p-32;

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
    }
    return touched;
  }

  void fold() {
    for (std::size_t j = 0; j < slots_.size(); j += stride_) slots_[j] *= alpha_;
    alpha_ = 1.0;
  }

  const TrainConfig& config_;
  std::size_t stride_;  // 2: (u_j, g_j); 3 with adagrad: (u_j, g_j, summed squares)
  HugeVector<double> slots_;
  double alpha_ = 1.0;
  double bias_ = 0.0;
  std::vector<double> scale_;         // s_j, empty without scaling
  HugeVector<double> inverse_scale_;  // 1 / s_j, empty without scaling
};

}  // namespace

std::unique_ptr<Update> make_update(const TrainConfig& config, const LinearModel& start, bool sparse_data) {
  const bool shifted =
      start.standardization && std::any_of(start.standardization->mean.begin(), start.standardization->mean.end(),
                                           [](double m) { return m != 0.0; });
  if (!sparse_data || shifted) return std::make_unique<DenseUpdate>(config, start);
  return std::make_unique<LazyUpdate>(config, start);
}

}  // namespace dsgd
