// Highway compiles this file once per instruction set (foreach_target.h) and dispatches to the
// best one at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dsgd/model/kernel.cc"
#include <hwy/foreach_target.h>  // must come before highway.h
// clang-format off
#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>
#include <hwy/aligned_allocator.h>
// clang-format on

#include <algorithm>

#include "dsgd/model/kernel.h"

HWY_BEFORE_NAMESPACE();
namespace dsgd::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using D = hn::ScalableTag<double>;
using V = hn::Vec<D>;

// Rows per block. The block's rows are read twice (dot products, then accumulation); 64 rows of
// up to ~100 doubles stay in L1 in between.
constexpr std::size_t kBlock = 64;

// Loads `n` (<= Lanes) consecutive features starting at p, widened to double; lanes past n are 0.
template <typename T>
HWY_INLINE V load_features(D d, const T* p, std::size_t n) {
  if constexpr (sizeof(T) == sizeof(double)) {
    return n == hn::Lanes(d) ? hn::LoadU(d, p) : hn::MaskedLoad(hn::FirstN(d, n), d, p);
  } else {
    const hn::Rebind<float, D> df;
    const auto v = n == hn::Lanes(d) ? hn::LoadU(df, p) : hn::MaskedLoad(hn::FirstN(df, n), df, p);
    return hn::PromoteTo(d, v);
  }
}

template <typename T>
HWY_INLINE double dot(D d, const T* x, const double* w, std::size_t cols) {
  const std::size_t lanes = hn::Lanes(d);
  V acc0 = hn::Zero(d);
  V acc1 = hn::Zero(d);
  std::size_t j = 0;
  for (; j + 2 * lanes <= cols; j += 2 * lanes) {
    acc0 = hn::MulAdd(hn::LoadU(d, w + j), load_features(d, x + j, lanes), acc0);
    acc1 = hn::MulAdd(hn::LoadU(d, w + j + lanes), load_features(d, x + j + lanes, lanes), acc1);
  }
  for (; j < cols; j += lanes) {
    const std::size_t n = std::min(lanes, cols - j);
    acc0 = hn::MulAdd(hn::Load(d, w + j), load_features(d, x + j, n), acc0);  // w is padded
  }
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(acc0, acc1)));
}

// Turns the scores z[0..n) and labels y[0..n) of a block (arrays padded to a multiple of the
// lane count) into residuals r = sigmoid(z) - y, and adds loss and hit counts to the vector sums.
HWY_INLINE void residuals(D d, const double* z, const double* y, double* r, std::size_t n, V& loss,
                          V& correct) {
  const std::size_t lanes = hn::Lanes(d);
  const V one = hn::Set(d, 1.0);
  const V zero = hn::Zero(d);
  for (std::size_t i = 0; i < n; i += lanes) {
    const auto valid = hn::FirstN(d, n - i);
    const V zv = hn::Load(d, z + i);
    const V yv = hn::Load(d, y + i);
    const V e = hn::Exp(d, hn::Neg(hn::Abs(zv)));  // in (0, 1]: never overflows
    const auto z_pos = hn::Ge(zv, zero);
    const V p = hn::Div(hn::IfThenElse(z_pos, one, e), hn::Add(one, e));
    hn::Store(hn::IfThenElseZero(valid, hn::Sub(p, yv)), d, r + i);
    const auto positive = hn::Gt(yv, hn::Set(d, 0.5));
    const V m = hn::IfThenElse(positive, hn::Neg(zv), zv);  // loss = max(m, 0) + log1p(e)
    loss = hn::Add(loss, hn::IfThenElseZero(valid, hn::Add(hn::Max(m, zero), hn::Log1p(d, e))));
    const auto hit = hn::Not(hn::Xor(hn::Gt(zv, zero), positive));
    correct = hn::Add(correct, hn::IfThenElseZero(hn::And(valid, hit), one));
  }
}

template <typename T, bool kGradient>
void fused_pass(const T* x, const std::uint8_t* y, std::size_t cols, const std::uint32_t* rows,
                std::size_t count, const double* w, double* grad_out, PassSums& sums) {
  const D d;
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t padded = (cols + lanes - 1) / lanes * lanes;
  // w is copied to, and the gradient accumulated in, lane-padded buffers (zeros past cols), so
  // no vector reads past the caller's arrays and the tail needs no masked store.
  auto wp = hwy::AllocateAligned<double>(padded);
  std::fill(std::copy(w, w + cols, wp.get()), wp.get() + padded, 0.0);
  auto grad = hwy::AllocateAligned<double>(kGradient ? padded : 1);
  if constexpr (kGradient) std::fill(grad.get(), grad.get() + padded, 0.0);
  HWY_ALIGN double z[kBlock];
  HWY_ALIGN double yb[kBlock];
  HWY_ALIGN double r[kBlock];
  V loss = hn::Zero(d);
  V correct = hn::Zero(d);
  for (std::size_t start = 0; start < count; start += kBlock) {
    const std::size_t n = std::min(kBlock, count - start);
    const T* row_ptr[kBlock];
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t row = rows != nullptr ? rows[start + i] : start + i;
      row_ptr[i] = x + row * cols;
      yb[i] = y[row];
      z[i] = dot(d, row_ptr[i], wp.get(), cols);
    }
    for (std::size_t i = n; i < (n + lanes - 1) / lanes * lanes; ++i) z[i] = yb[i] = 0.0;
    residuals(d, z, yb, r, n, loss, correct);
    if constexpr (kGradient) {
      // grad += sum_i r_i x_i, one lane-wide column chunk at a time over the block's rows, with
      // four accumulators (rows i mod 4) so the FMAs do not wait on each other.
      for (std::size_t j = 0; j < cols; j += lanes) {
        const std::size_t width = std::min(lanes, cols - j);
        V a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
        std::size_t i = 0;
        for (; i + 4 <= n; i += 4) {
          a0 = hn::MulAdd(hn::Set(d, r[i]), load_features(d, row_ptr[i] + j, width), a0);
          a1 = hn::MulAdd(hn::Set(d, r[i + 1]), load_features(d, row_ptr[i + 1] + j, width), a1);
          a2 = hn::MulAdd(hn::Set(d, r[i + 2]), load_features(d, row_ptr[i + 2] + j, width), a2);
          a3 = hn::MulAdd(hn::Set(d, r[i + 3]), load_features(d, row_ptr[i + 3] + j, width), a3);
        }
        for (; i < n; ++i) a0 = hn::MulAdd(hn::Set(d, r[i]), load_features(d, row_ptr[i] + j, width), a0);
        const V sum = hn::Add(hn::Add(a0, a1), hn::Add(a2, a3));
        hn::Store(hn::Add(hn::Load(d, grad.get() + j), sum), d, grad.get() + j);
      }
    }
  }
  if constexpr (kGradient) {
    for (std::size_t j = 0; j < cols; ++j) grad_out[j] += grad[j];
  }
  sums.count += static_cast<double>(count);
  sums.loss += hn::GetLane(hn::SumOfLanes(d, loss));
  sums.correct += hn::GetLane(hn::SumOfLanes(d, correct));
}

void GradientF64(const DenseView<double>& data, const std::uint32_t* rows, std::size_t count,
                 const double* w, double* grad, PassSums& sums) {
  fused_pass<double, true>(data.x, data.y, data.cols, rows, count, w, grad, sums);
}
void GradientF32(const DenseView<float>& data, const std::uint32_t* rows, std::size_t count,
                 const double* w, double* grad, PassSums& sums) {
  fused_pass<float, true>(data.x, data.y, data.cols, rows, count, w, grad, sums);
}
void LossF64(const DenseView<double>& data, const double* w, PassSums& sums) {
  fused_pass<double, false>(data.x, data.y, data.cols, nullptr, data.rows, w, nullptr, sums);
}
void LossF32(const DenseView<float>& data, const double* w, PassSums& sums) {
  fused_pass<float, false>(data.x, data.y, data.cols, nullptr, data.rows, w, nullptr, sums);
}
const char* TargetNameHere() { return hwy::TargetName(HWY_TARGET); }

}  // namespace dsgd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace dsgd {

HWY_EXPORT(GradientF64);
HWY_EXPORT(GradientF32);
HWY_EXPORT(LossF64);
HWY_EXPORT(LossF32);
HWY_EXPORT(TargetNameHere);

void accumulate_gradient(const DenseView<double>& data, const std::uint32_t* rows, std::size_t count,
                         std::span<const double> w, std::span<double> grad, PassSums& sums) {
  HWY_DYNAMIC_DISPATCH(GradientF64)(data, rows, count, w.data(), grad.data(), sums);
}
void accumulate_gradient(const DenseView<float>& data, const std::uint32_t* rows, std::size_t count,
                         std::span<const double> w, std::span<double> grad, PassSums& sums) {
  HWY_DYNAMIC_DISPATCH(GradientF32)(data, rows, count, w.data(), grad.data(), sums);
}
void accumulate_loss(const DenseView<double>& data, std::span<const double> w, PassSums& sums) {
  HWY_DYNAMIC_DISPATCH(LossF64)(data, w.data(), sums);
}
void accumulate_loss(const DenseView<float>& data, std::span<const double> w, PassSums& sums) {
  HWY_DYNAMIC_DISPATCH(LossF32)(data, w.data(), sums);
}
const char* kernel_target() noexcept { return HWY_DYNAMIC_DISPATCH(TargetNameHere)(); }

}  // namespace dsgd
#endif  // HWY_ONCE
