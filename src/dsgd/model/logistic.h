#pragma once
// Scalar logistic function and loss, stable for any finite z: exp() is only ever taken of a
// non-positive number, so nothing overflows at |z| = 1000 (or 1e300). The vector kernels in
// kernel.cc use the same formulas.
#include <cmath>

namespace dsgd {

// sigmoid(z) = 1 / (1 + exp(-z)), computed from e = exp(-|z|) <= 1.
[[nodiscard]] inline double sigmoid(double z) noexcept {
  const double e = std::exp(-std::abs(z));
  return z >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

// Log-loss of a 0/1 label y for the score z: log(1 + exp(-z)) if y = 1, log(1 + exp(z)) if y = 0,
// as max(m, 0) + log1p(exp(-|m|)) with m = -z or z.
[[nodiscard]] inline double log_loss(double z, bool y) noexcept {
  const double m = y ? -z : z;
  return std::max(m, 0.0) + std::log1p(std::exp(-std::abs(m)));
}

}  // namespace dsgd
