// Highway compiles this file once per instruction set (foreach_target.h) and dispatches to the
// best one at run time. CMake compiles it with -ffp-contract=off (margins.h says why).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dsgd/data/margins.cc"
#include <hwy/foreach_target.h>  // must come before highway.h
#include <hwy/highway.h>

#include <cstdint>
#include <limits>
#include <type_traits>

#include "dsgd/data/margins.h"

HWY_BEFORE_NAMESPACE();
namespace dsgd::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using D = hn::ScalableTag<double>;

// Lane k of the result is column j of row k of `x` (rows of d values), as a double.
HWY_INLINE hn::Vec<D> column(D d, const double* x, hn::Vec<hn::RebindToSigned<D>> row_starts) {
  return hn::GatherIndex(d, x, row_starts);
}
HWY_INLINE hn::Vec<D> column(D d, const float* x, hn::Vec<hn::Rebind<std::int32_t, D>> row_starts) {
  return hn::PromoteTo(d, hn::GatherIndex(hn::Rebind<float, D>(), x, row_starts));
}

template <typename T>
void MarginsImpl(const T* x, std::size_t rows, std::size_t features, const double* w, double* margin) {
  const D d;
  const std::size_t lanes = hn::Lanes(d);
  using Index = hn::Rebind<std::conditional_t<sizeof(T) == 8, std::int64_t, std::int32_t>, D>;
  const Index di;
  using IndexT = hn::TFromD<Index>;
  const auto row_starts = hn::Mul(hn::Iota(di, 0), hn::Set(di, static_cast<IndexT>(features)));
  std::size_t i = 0;
  // The gathers' offsets, (lanes - 1) x features, must fit their index type; wider rows (hundreds
  // of millions of features) take the scalar loop.
  const bool gathers = (lanes - 1) * features <= static_cast<std::size_t>(std::numeric_limits<IndexT>::max());
  for (; gathers && i + lanes <= rows; i += lanes) {
    const T* const block = x + i * features;
    auto sum = hn::Zero(d);
    for (std::size_t j = 0; j < features; ++j) sum = hn::Add(sum, hn::Mul(column(d, block + j, row_starts), hn::Set(d, w[j])));
    hn::StoreU(sum, d, margin + i);
  }
  for (; i < rows; ++i) {
    double sum = 0.0;
    for (std::size_t j = 0; j < features; ++j) sum += static_cast<double>(x[i * features + j]) * w[j];
    margin[i] = sum;
  }
}

void MarginsF64(const double* x, std::size_t rows, std::size_t d, const double* w, double* margin) {
  MarginsImpl(x, rows, d, w, margin);
}
void MarginsF32(const float* x, std::size_t rows, std::size_t d, const double* w, double* margin) {
  MarginsImpl(x, rows, d, w, margin);
}

}  // namespace dsgd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace dsgd {
HWY_EXPORT(MarginsF64);
HWY_EXPORT(MarginsF32);

void row_margins(const double* x, std::size_t rows, std::size_t d, const double* w, double* margin) {
  HWY_DYNAMIC_DISPATCH(MarginsF64)(x, rows, d, w, margin);
}
void row_margins(const float* x, std::size_t rows, std::size_t d, const double* w, double* margin) {
  HWY_DYNAMIC_DISPATCH(MarginsF32)(x, rows, d, w, margin);
}
}  // namespace dsgd
#endif
