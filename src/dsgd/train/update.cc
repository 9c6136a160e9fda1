#include "dsgd/train/update.h"

#include <algorithm>

#include "dsgd/data/huge_vector.h"

namespace dsgd {
namespace {

class DenseUpdate final : public Update {
 public:
  DenseUpdate(const TrainConfig& config, LinearModel start) : config_(config), model_(std::move(start)) {}

  [[nodiscard]] std::span<double> pairs() noexcept override { return {}; }

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
      if (config_.l2 > 0) {
        const double decay = lr * config_.l2;
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
};

class LazyUpdate final : public Update {
 public:
  LazyUpdate(const TrainConfig& config, const LinearModel& start) : config_(config), bias_(start.bias) {
    const std::size_t d = start.features();
    pairs_.assign(2 * d, 0.0);
    for (std::size_t j = 0; j < d; ++j) pairs_[2 * j] = start.weights[j];
    if (start.standardization) {  // mean-free: a scaling of each feature, kept as 1 / s^2 on the step
      scale_ = start.standardization->scale;
      step_factor_.resize(d);
      for (std::size_t j = 0; j < d; ++j) {
        pairs_[2 * j] = start.weights[j] / scale_[j];
        step_factor_[j] = 1.0 / (scale_[j] * scale_[j]);
      }
    }
  }

  [[nodiscard]] std::span<double> pairs() noexcept override { return pairs_; }

  KernelWeights weights() override { return {{}, alpha_, bias_}; }

  std::size_t apply(StepGradient& g, double lr) override {
    const double count = g.sums.count;
    if (!(count > 0)) {  // no rows in this step anywhere: nothing moves
      clear(g);
      return 0;
    }
    const double scale = lr / count;
    if (config_.l2 > 0) {
      alpha_ *= 1.0 - lr * config_.l2;
      if (!(alpha_ >= kFoldBelow)) fold();
    }
    const double step = scale / alpha_;
    const std::size_t touched =
        step_factor_.empty() ? move_all(g, [step](std::size_t) { return step; })
                             : move_all(g, [step, f = step_factor_.data()](std::size_t j) { return step * f[j]; });
    if (config_.bias) bias_ -= scale * g.sums.residual;
    return touched;
  }

  void store(LinearModel& m) const override {
    const std::size_t d = pairs_.size() / 2;
    m.bias = bias_;
    m.weights.resize(d);
    for (std::size_t j = 0; j < d; ++j) m.weights[j] = alpha_ * pairs_[2 * j];
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

  // u_j -= factor(j) * g_j over the columns the gradient holds, clearing it; returns how many.
  template <typename Factor>
  std::size_t move_all(StepGradient& g, Factor factor) {
    double* p = pairs_.data();
    std::size_t touched = 0;
    switch (g.form) {
      case StepGradient::Form::kDense: {
        double* grad = g.values.data();
        for (std::size_t j = 0; j < g.d; ++j) {
          touched += grad[j] != 0.0 ? 1 : 0;
          p[2 * j] -= factor(j) * grad[j];
          grad[j] = 0.0;
        }
        break;
      }
      case StepGradient::Form::kTouched:
        g.touched.drain([&](std::uint32_t j) {
          ++touched;
          p[2 * j] -= factor(j) * p[2 * j + 1];
          p[2 * j + 1] = 0.0;
        });
        break;
    }
    return touched;
  }

  void fold() {
    for (std::size_t j = 0; j < pairs_.size(); j += 2) pairs_[j] *= alpha_;
    alpha_ = 1.0;
  }
  void clear(StepGradient& g) {
    switch (g.form) {
      case StepGradient::Form::kDense:
        std::fill(g.values.begin(), g.values.begin() + static_cast<std::ptrdiff_t>(g.d), 0.0);
        break;
      case StepGradient::Form::kTouched: g.touched.drain([&](std::uint32_t j) { pairs_[2 * j + 1] = 0.0; }); break;
    }
  }

  const TrainConfig& config_;
  HugeVector<double> pairs_;  // (u_j, g_j)
  double alpha_ = 1.0;
  double bias_ = 0.0;
  std::vector<double> scale_;        // s_j, empty without scaling
  HugeVector<double> step_factor_;  // 1 / s_j^2, empty without scaling
};

}  // namespace

std::unique_ptr<Update> make_update(const TrainConfig& config, const LinearModel& start, bool sparse_data) {
  const bool shifted = start.standardization &&
                       std::any_of(start.standardization->mean.begin(), start.standardization->mean.end(),
                                   [](double m) { return m != 0.0; });
  if (!sparse_data || shifted) return std::make_unique<DenseUpdate>(config, start);
  return std::make_unique<LazyUpdate>(config, start);
}

}  // namespace dsgd
