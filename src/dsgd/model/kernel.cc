// Highway compiles this file once per instruction set (foreach_target.h) and dispatches to the
// best one at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dsgd/model/kernel.cc"
#include <hwy/foreach_target.h>  // must come before highway.h
// clang-format off
#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>
#include <hwy/aligned_allocator.h>
#include <hwy/cache_control.h>
// clang-format on

#include <algorithm>

#include "dsgd/error.h"
#include "dsgd/model/kernel.h"

HWY_BEFORE_NAMESPACE();
namespace dsgd::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using D = hn::ScalableTag<double>;
using V = hn::Vec<D>;

// Rows per block. The block's rows are read twice (dot products, then accumulation); 64 rows of
// up to ~100 doubles stay in L1 in between.
constexpr std::size_t kBlock = 64;
// The bytes of rows a wide-row block holds (fused_pass_any), within L1 with room to spare.
constexpr std::size_t kWideBlockBytes = 32768;
// Rows of at least this many bytes are not prefetched: the hardware prefetcher follows their
// long runs of lines better alone (measured on d = 100 and 256: 1.2x and 1.7x faster passes
// over data in main memory without the prefetches).
constexpr std::size_t kPrefetchRowsBelow = 512;

// The lane-wide column chunks of a row: `full` whole vectors, then a masked tail of `tail` lanes
// (the mask computed once per pass, not per load).
struct Chunks {
  explicit Chunks(D d, std::size_t cols)
      : lanes(hn::Lanes(d)), full(cols / lanes), tail(cols % lanes), tail_mask(hn::FirstN(d, tail)),
        tail_mask_f32(hn::FirstN(hn::Rebind<float, D>(), tail)) {}
  std::size_t lanes, full, tail;
  hn::Mask<D> tail_mask;
  hn::Mask<hn::Rebind<float, D>> tail_mask_f32;
};

// Loads a whole chunk, or (Tail) the masked tail, of features at p, widened to double; masked
// lanes are 0.
template <bool kTail, typename T>
HWY_INLINE V load_chunk(D d, const Chunks& c, const T* p) {
  if constexpr (sizeof(T) == sizeof(double)) {
    if constexpr (kTail) return hn::MaskedLoad(c.tail_mask, d, p);
    return hn::LoadU(d, p);
  } else {
    const hn::Rebind<float, D> df;
    if constexpr (kTail) return hn::PromoteTo(d, hn::MaskedLoad(c.tail_mask_f32, df, p));
    return hn::PromoteTo(d, hn::LoadU(df, p));
  }
}

// When rows are read in order, each row prefetches the row one block ahead: the math of a block
// takes long enough that the hardware prefetcher alone keeps too few reads in flight (measured:
// 1.8x faster passes over data in main memory). Prefetches are spread over the rows rather than
// issued in a burst per block, which overflows the core's miss buffers (measured: slower).
constexpr std::size_t kPrefetchRows = kBlock;

// Prefetches the row `ahead` rows after `row`. The address may lie past the data: a prefetch
// never faults, and it is formed as an integer so no out-of-range pointer is made.
template <typename T>
HWY_INLINE void prefetch_row(const T* row, std::size_t ahead, std::size_t cols) {
  const std::uintptr_t bytes = cols * sizeof(T);
  const std::uintptr_t target = reinterpret_cast<std::uintptr_t>(row) + ahead * bytes;
  for (std::uintptr_t b = 0; b < bytes; b += 64) hwy::Prefetch(reinterpret_cast<const char*>(target + b));
}

// x . w for one row; w is lane-padded (zeros past cols).
template <typename T>
HWY_INLINE double dot(D d, const Chunks& c, const T* x, const double* w) {
  V acc0 = hn::Zero(d);
  V acc1 = hn::Zero(d);
  std::size_t k = 0;
  for (; k + 2 <= c.full; k += 2) {
    acc0 = hn::MulAdd(hn::Load(d, w + k * c.lanes), load_chunk<false>(d, c, x + k * c.lanes), acc0);
    acc1 = hn::MulAdd(hn::Load(d, w + (k + 1) * c.lanes), load_chunk<false>(d, c, x + (k + 1) * c.lanes), acc1);
  }
  if (k < c.full) {
    acc0 = hn::MulAdd(hn::Load(d, w + k * c.lanes), load_chunk<false>(d, c, x + k * c.lanes), acc0);
    ++k;
  }
  if (c.tail != 0) acc1 = hn::MulAdd(hn::Load(d, w + k * c.lanes), load_chunk<true>(d, c, x + k * c.lanes), acc1);
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(acc0, acc1)));
}

// grad[chunk k] += sum over the block's rows of r_i x_i[chunk k], with four accumulators (rows
// i mod 4) so the FMAs do not wait on each other.
template <bool kTail, typename T>
HWY_INLINE void accumulate_chunk(D d, const Chunks& c, std::size_t k, const T* const* rows, const double* r,
                                 std::size_t n, double* grad) {
  const std::size_t j = k * c.lanes;
  V a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    a0 = hn::MulAdd(hn::Set(d, r[i]), load_chunk<kTail>(d, c, rows[i] + j), a0);
    a1 = hn::MulAdd(hn::Set(d, r[i + 1]), load_chunk<kTail>(d, c, rows[i + 1] + j), a1);
    a2 = hn::MulAdd(hn::Set(d, r[i + 2]), load_chunk<kTail>(d, c, rows[i + 2] + j), a2);
    a3 = hn::MulAdd(hn::Set(d, r[i + 3]), load_chunk<kTail>(d, c, rows[i + 3] + j), a3);
  }
  for (; i < n; ++i) a0 = hn::MulAdd(hn::Set(d, r[i]), load_chunk<kTail>(d, c, rows[i] + j), a0);
  const V sum = hn::Add(hn::Add(a0, a1), hn::Add(a2, a3));
  hn::Store(hn::Add(hn::Load(d, grad + j), sum), d, grad + j);
}

// Turns the scores z[0..n) and labels y[0..n) of a block (y padded with zeros to whole vectors;
// z is padded here) into residuals r = sigmoid(z) - y, and adds loss, hit counts and the
// residuals (the gradient of the bias) to the vector sums.
// The loss of a row is max(m, 0) + log1p(e); the log1p terms of the block are summed as the log
// of their product, one Log per lane for the whole block instead of one Log1p per row: each
// lane multiplies at most kBlock / lanes factors in (1, 2], far from overflow, and the error is
// a few ulp of the block's sum (a row with e below 2^-53 adds about e, which is dropped).
// kWeighted: row i weighs sw[i] (padded like y): its residual, loss and hit are multiplied by
// it and the weights summed into `weight`, so a row of weight 2 counts as the row twice; the
// loss then takes one Log1p a row (a weighted product would need a power).
template <bool kWeighted>
HWY_INLINE void residuals(D d, double* z, const double* y, const double* sw, double* r, std::size_t n, V& loss,
                          V& correct, V& residual, V& weight) {
  const std::size_t lanes = hn::Lanes(d);
  for (std::size_t i = n; i < (n + lanes - 1) / lanes * lanes; ++i) z[i] = 0.0;  // masked lanes, but defined
  const V one = hn::Set(d, 1.0);
  const V zero = hn::Zero(d);
  V product = one;
  for (std::size_t i = 0; i < n; i += lanes) {
    const auto valid = hn::FirstN(d, n - i);
    const V zv = hn::Load(d, z + i);
    const V yv = hn::Load(d, y + i);
    const V e = hn::Exp(d, hn::Neg(hn::Abs(zv)));  // in (0, 1]: never overflows
    const auto z_pos = hn::Ge(zv, zero);
    const V p = hn::Div(hn::IfThenElse(z_pos, one, e), hn::Add(one, e));
    const auto positive = hn::Gt(yv, hn::Set(d, 0.5));
    const V m = hn::IfThenElse(positive, hn::Neg(zv), zv);
    const auto hit = hn::Not(hn::Xor(hn::Gt(zv, zero), positive));
    if constexpr (kWeighted) {
      const V wv = hn::IfThenElseZero(valid, hn::Load(d, sw + i));
      const V rv = hn::Mul(wv, hn::Sub(p, yv));
      hn::Store(rv, d, r + i);
      residual = hn::Add(residual, rv);
      loss = hn::MulAdd(wv, hn::Add(hn::Max(m, zero), hn::Log1p(d, e)), loss);
      correct = hn::Add(correct, hn::IfThenElseZero(hit, wv));
      weight = hn::Add(weight, wv);
    } else {
      const V rv = hn::IfThenElseZero(valid, hn::Sub(p, yv));
      hn::Store(rv, d, r + i);
      residual = hn::Add(residual, rv);
      loss = hn::Add(loss, hn::IfThenElseZero(valid, hn::Max(m, zero)));
      product = hn::Mul(product, hn::IfThenElse(valid, hn::Add(one, e), one));
      correct = hn::Add(correct, hn::IfThenElseZero(hn::And(valid, hit), one));
    }
  }
  if constexpr (!kWeighted) loss = hn::Add(loss, hn::Log(d, product));
}

// A block's scores, labels, sample weights (weighted passes only) and residuals.
struct BlockScratch {
  HWY_ALIGN double z[kBlock];
  HWY_ALIGN double y[kBlock];
  HWY_ALIGN double sw[kBlock];
  HWY_ALIGN double r[kBlock];
};

// Per-pass state shared by both shapes of the dense pass: lane-padded copies of w and of the
// gradient (zeros past cols, so no vector reads past the caller's arrays and the tail needs no
// masked store), and the block's scratch arrays.
struct PassBuffers : BlockScratch {
  PassBuffers(std::size_t padded, const double* weights, std::size_t cols, bool gradient)
      : w(hwy::AllocateAligned<double>(padded)), grad(hwy::AllocateAligned<double>(gradient ? padded : 1)) {
    std::fill(std::copy(weights, weights + cols, w.get()), w.get() + padded, 0.0);
    std::fill(grad.get(), grad.get() + (gradient ? padded : 1), 0.0);
  }
  hwy::AlignedFreeUniquePtr<double[]> w;
  hwy::AlignedFreeUniquePtr<double[]> grad;
};

// The vector sums of a pass, reduced to PassSums at its end. With `sample_weight` (the rows'
// weights, indexed like the labels) the pass is weighted and its count is the sum of weights.
struct VecSums {
  explicit VecSums(const double* sample_weight)
      : loss(hn::Zero(D())), correct(loss), residual(loss), weight(loss), weights(sample_weight) {}
  V loss;
  V correct;
  V residual;
  V weight;
  const double* weights;

  void add_to(PassSums& sums, std::size_t count) const {
    const D d;
    sums.count += weights != nullptr ? hn::GetLane(hn::SumOfLanes(d, weight)) : static_cast<double>(count);
    sums.loss += hn::GetLane(hn::SumOfLanes(d, loss));
    sums.correct += hn::GetLane(hn::SumOfLanes(d, correct));
    sums.residual += hn::GetLane(hn::SumOfLanes(d, residual));
  }
  // The residuals of the block's n rows; row k of the block is row rows[start + k] of the pass
  // (rows == nullptr: row start + k), whose weight a weighted pass gathers here.
  void add_block(D d, BlockScratch& b, std::size_t n, const std::uint32_t* rows, std::size_t start) {
    if (weights == nullptr) {
      residuals<false>(d, b.z, b.y, nullptr, b.r, n, loss, correct, residual, weight);
      return;
    }
    const std::size_t lanes = hn::Lanes(d);
    for (std::size_t i = 0; i < n; ++i) b.sw[i] = weights[rows != nullptr ? rows[start + i] : start + i];
    for (std::size_t i = n; i < (n + lanes - 1) / lanes * lanes; ++i) b.sw[i] = 0.0;
    residuals<true>(d, b.z, b.y, b.sw, b.r, n, loss, correct, residual, weight);
  }
};

// Points rows_out at the block's n rows and copies their labels as doubles, padded with zeros to
// whole vectors. `rows` == nullptr means rows start, start + 1, ... in order (then the rows
// `ahead` rows on are prefetched, unless ahead is 0, and the labels converted a vector at a time).
template <typename T>
HWY_INLINE void gather_block(D d, const T* x, const std::uint8_t* y, std::size_t cols, const std::uint32_t* rows,
                             std::size_t start, std::size_t n, const T** rows_out,
                             double* y_out, std::size_t ahead = kPrefetchRows) {
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t padded = (n + lanes - 1) / lanes * lanes;
  if (rows != nullptr) {
    for (std::size_t i = 0; i < n; ++i) {
      rows_out[i] = x + rows[start + i] * cols;
      y_out[i] = y[rows[start + i]];
    }
    for (std::size_t i = n; i < padded; ++i) y_out[i] = 0.0;
    return;
  }
  const T* first = x + start * cols;
  for (std::size_t i = 0; i < n; ++i) {
    rows_out[i] = first + i * cols;
    if (ahead != 0) prefetch_row(rows_out[i], ahead, cols);
  }
  const hn::Rebind<std::uint8_t, D> d8;
  const hn::Rebind<std::int32_t, D> d32;
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    hn::Store(hn::PromoteTo(d, hn::PromoteTo(d32, hn::LoadU(d8, y + start + i))), d, y_out + i);
  }
  for (; i < n; ++i) y_out[i] = y[start + i];
  for (; i < padded; ++i) y_out[i] = 0.0;
}

// The pass for rows of up to 4 vectors (d <= 32 with AVX-512): w and the gradient stay in
// registers for the whole pass, and every loop over chunks is unrolled. The last chunk is
// loaded masked (a full mask when cols is a multiple of the lane count).
template <std::size_t kChunks, bool kGradient, typename T>
void fused_pass_small(const T* x, const std::uint8_t* y, std::size_t cols, const std::uint32_t* rows,
                      std::size_t count, double bias, PassBuffers& b, VecSums& sums) {
  const D d;
  const std::size_t lanes = hn::Lanes(d);
  Chunks c(d, cols);
  c.tail_mask = hn::FirstN(d, cols - (kChunks - 1) * lanes);
  c.tail_mask_f32 = hn::FirstN(hn::Rebind<float, D>(), cols - (kChunks - 1) * lanes);
  V w[kChunks];
  V g_even[kChunks];
  V g_odd[kChunks];
  for (std::size_t k = 0; k < kChunks; ++k) {
    w[k] = hn::Load(d, b.w.get() + k * lanes);
    g_even[k] = g_odd[k] = hn::Zero(d);
  }
  const auto load = [&](const T* row, std::size_t k) {
    return k + 1 == kChunks ? load_chunk<true>(d, c, row + k * lanes) : load_chunk<false>(d, c, row + k * lanes);
  };
  const T* row_ptr[kBlock];
  for (std::size_t start = 0; start < count; start += kBlock) {
    const std::size_t n = std::min(kBlock, count - start);
    gather_block(d, x, y, cols, rows, start, n, row_ptr, b.y);
    for (std::size_t i = 0; i < n; ++i) {
      V acc = hn::Mul(w[0], load(row_ptr[i], 0));
      for (std::size_t k = 1; k < kChunks; ++k) acc = hn::MulAdd(w[k], load(row_ptr[i], k), acc);
      b.z[i] = hn::GetLane(hn::SumOfLanes(d, acc)) + bias;
    }
    sums.add_block(d, b, n, rows, start);
    if constexpr (kGradient) {
      // Even and odd rows in separate accumulators, so consecutive FMAs do not wait on each other.
      std::size_t i = 0;
      for (; i + 2 <= n; i += 2) {
        const V r0 = hn::Set(d, b.r[i]);
        const V r1 = hn::Set(d, b.r[i + 1]);
        for (std::size_t k = 0; k < kChunks; ++k) {
          g_even[k] = hn::MulAdd(r0, load(row_ptr[i], k), g_even[k]);
          g_odd[k] = hn::MulAdd(r1, load(row_ptr[i + 1], k), g_odd[k]);
        }
      }
      if (i < n) {
        const V r0 = hn::Set(d, b.r[i]);
        for (std::size_t k = 0; k < kChunks; ++k) g_even[k] = hn::MulAdd(r0, load(row_ptr[i], k), g_even[k]);
      }
    }
  }
  if constexpr (kGradient) {
    for (std::size_t k = 0; k < kChunks; ++k) hn::Store(hn::Add(g_even[k], g_odd[k]), d, b.grad.get() + k * lanes);
  }
}

// Rows per block for rows of `row_bytes`: the block is read twice (dot products, then the
// gradient), so it should stay in L1 between the two; wide rows take smaller blocks (at least 8).
HWY_INLINE std::size_t wide_block(std::size_t row_bytes) {
  return std::clamp<std::size_t>(kWideBlockBytes / row_bytes / 8 * 8, 8, kBlock);
}

// The pass for rows of any length: column chunks in loops, the gradient accumulated per block.
template <bool kGradient, typename T>
void fused_pass_any(const T* x, const std::uint8_t* y, std::size_t cols, const std::uint32_t* rows,
                    std::size_t count, double bias, PassBuffers& b, VecSums& sums) {
  const D d;
  const Chunks chunks(d, cols);
  const T* row_ptr[kBlock];
  const std::size_t block = wide_block(cols * sizeof(T));
  const std::size_t ahead = cols * sizeof(T) < kPrefetchRowsBelow ? kPrefetchRows : 0;
  for (std::size_t start = 0; start < count; start += block) {
    const std::size_t n = std::min(block, count - start);
    gather_block(d, x, y, cols, rows, start, n, row_ptr, b.y, ahead);
    for (std::size_t i = 0; i < n; ++i) b.z[i] = dot(d, chunks, row_ptr[i], b.w.get()) + bias;
    sums.add_block(d, b, n, rows, start);
    if constexpr (kGradient) {
      for (std::size_t k = 0; k < chunks.full; ++k) accumulate_chunk<false>(d, chunks, k, row_ptr, b.r, n, b.grad.get());
      if (chunks.tail != 0) accumulate_chunk<true>(d, chunks, chunks.full, row_ptr, b.r, n, b.grad.get());
    }
  }
}

template <typename T, bool kGradient>
void fused_pass(const DenseView<T>& data, const std::uint32_t* rows, std::size_t count, const double* w,
                double bias, double* grad_out, PassSums& sums) {
  const D d;
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t cols = data.cols;
  const std::size_t chunks = (cols + lanes - 1) / lanes;
  PassBuffers buffers(chunks * lanes, w, cols, kGradient);
  VecSums vec(data.sample_weight);
  const T* x = data.x;
  const std::uint8_t* y = data.y;
  switch (chunks) {
    case 1: fused_pass_small<1, kGradient>(x, y, cols, rows, count, bias, buffers, vec); break;
    case 2: fused_pass_small<2, kGradient>(x, y, cols, rows, count, bias, buffers, vec); break;
    case 3: fused_pass_small<3, kGradient>(x, y, cols, rows, count, bias, buffers, vec); break;
    case 4: fused_pass_small<4, kGradient>(x, y, cols, rows, count, bias, buffers, vec); break;
    default: fused_pass_any<kGradient>(x, y, cols, rows, count, bias, buffers, vec); break;
  }
  if constexpr (kGradient) {
    for (std::size_t j = 0; j < cols; ++j) grad_out[j] += buffers.grad[j];
  }
  vec.add_to(sums, count);
}

// x . w + bias of one CSR row, with two accumulators (even and odd non-zeros); column j's
// weight is w[j * stride]; kStride 0: the stride is known only at run time.
template <std::size_t kStride, typename T>
HWY_INLINE double sparse_dot(const SparseView<T>& data, std::size_t row, const double* w,
                             std::size_t stride = kStride) {
  if constexpr (kStride != 0) stride = kStride;
  const std::uint64_t end = data.offsets[row + 1];
  double even = 0.0;
  double odd = 0.0;
  std::uint64_t k = data.offsets[row];
  for (; k + 2 <= end; k += 2) {
    even += static_cast<double>(data.value[k]) * w[stride * data.index[k]];
    odd += static_cast<double>(data.value[k + 1]) * w[stride * data.index[k + 1]];
  }
  if (k < end) even += static_cast<double>(data.value[k]) * w[stride * data.index[k]];
  return even + odd;
}

// The sparse pass: per block, the scores by gathering w at each row's columns, the residuals
// vectorised as in the dense pass, then the gradient scattered back to the same columns (and
// those columns marked in `touched`, when given). Column j's weight is w[j * kStride] and its
// gradient grad_out[j * kStride] (kStride 2: interleaved pairs, grad_out = w + 1; kStride 0: the
// run-time `stride`); the weights are w_scale * w. A block's rows touch few columns, so the
// gradient goes straight into the caller's array.
template <typename T, bool kGradient, std::size_t kStride = 1>
void sparse_pass(const SparseView<T>& data, const std::uint32_t* rows, std::size_t count, const double* w,
                 double w_scale, double bias, double* grad_out, TouchedSet* touched, PassSums& sums,
                 std::size_t stride = kStride) {
  if constexpr (kStride != 0) stride = kStride;
  const D d;
  const std::size_t lanes = hn::Lanes(d);
  BlockScratch b;
  VecSums vec(data.sample_weight);
  std::size_t row_of[kBlock];
  for (std::size_t start = 0; start < count; start += kBlock) {
    const std::size_t n = std::min(kBlock, count - start);
    for (std::size_t i = 0; i < n; ++i) {
      row_of[i] = rows != nullptr ? rows[start + i] : start + i;
      b.z[i] = w_scale * sparse_dot<kStride>(data, row_of[i], w, stride) + bias;
      b.y[i] = data.y[row_of[i]];
    }
    for (std::size_t i = n; i < (n + lanes - 1) / lanes * lanes; ++i) b.y[i] = 0.0;
    vec.add_block(d, b, n, rows, start);
    if constexpr (kGradient) {
      for (std::size_t i = 0; i < n; ++i) {
        const double r = b.r[i];
        const std::uint64_t end = data.offsets[row_of[i] + 1];
        if (touched != nullptr) {
          for (std::uint64_t k = data.offsets[row_of[i]]; k < end; ++k) {
            grad_out[stride * data.index[k]] += r * static_cast<double>(data.value[k]);
            touched->mark(data.index[k]);
          }
        } else {
          for (std::uint64_t k = data.offsets[row_of[i]]; k < end; ++k) {
            grad_out[stride * data.index[k]] += r * static_cast<double>(data.value[k]);
          }
        }
      }
    }
  }
  vec.add_to(sums, count);
}

// z = x . w + bias for every row, a block of rows at a time.
template <typename T>
void dense_scores(const DenseView<T>& data, const double* w, double bias, double* z) {
  const D d;
  const std::size_t lanes = hn::Lanes(d);
  const Chunks chunks(d, data.cols);
  PassBuffers b((data.cols + lanes - 1) / lanes * lanes, w, data.cols, false);
  for (std::size_t i = 0; i < data.rows; ++i) z[i] = dot(d, chunks, data.row(i), b.w.get()) + bias;
}
template <typename T>
void sparse_scores(const SparseView<T>& data, const double* w, double bias, double* z) {
  for (std::size_t i = 0; i < data.rows; ++i) z[i] = sparse_dot<1>(data, i, w) + bias;
}

void GradientF64(const DenseView<double>& data, const std::uint32_t* rows, std::size_t count, const double* w,
                 double bias, double* grad, PassSums& sums) {
  fused_pass<double, true>(data, rows, count, w, bias, grad, sums);
}
void GradientF32(const DenseView<float>& data, const std::uint32_t* rows, std::size_t count, const double* w,
                 double bias, double* grad, PassSums& sums) {
  fused_pass<float, true>(data, rows, count, w, bias, grad, sums);
}
void SparseGradientF64(const SparseView<double>& data, const std::uint32_t* rows, std::size_t count,
                       const double* w, double bias, double* grad, PassSums& sums) {
  sparse_pass<double, true>(data, rows, count, w, 1.0, bias, grad, nullptr, sums);
}
void SparseGradientF32(const SparseView<float>& data, const std::uint32_t* rows, std::size_t count,
                       const double* w, double bias, double* grad, PassSums& sums) {
  sparse_pass<float, true>(data, rows, count, w, 1.0, bias, grad, nullptr, sums);
}
template <typename T>
void sparse_slots(const SparseView<T>& data, const std::uint32_t* rows, std::size_t count, double* slots,
                  std::size_t stride, std::size_t offset, double w_scale, double bias, TouchedSet* touched,
                  PassSums& sums) {
  if (stride == 2) {
    sparse_pass<T, true, 2>(data, rows, count, slots, w_scale, bias, slots + offset, touched, sums);
  } else if (stride == 3) {
    sparse_pass<T, true, 3>(data, rows, count, slots, w_scale, bias, slots + offset, touched, sums);
  } else {
    sparse_pass<T, true, 0>(data, rows, count, slots, w_scale, bias, slots + offset, touched, sums, stride);
  }
}
void SparsePairsF64(const SparseView<double>& data, const std::uint32_t* rows, std::size_t count, double* slots,
                    std::size_t stride, std::size_t offset, double w_scale, double bias, TouchedSet* touched,
                    PassSums& sums) {
  sparse_slots(data, rows, count, slots, stride, offset, w_scale, bias, touched, sums);
}
void SparsePairsF32(const SparseView<float>& data, const std::uint32_t* rows, std::size_t count, double* slots,
                    std::size_t stride, std::size_t offset, double w_scale, double bias, TouchedSet* touched,
                    PassSums& sums) {
  sparse_slots(data, rows, count, slots, stride, offset, w_scale, bias, touched, sums);
}
void LossF64(const DenseView<double>& data, const double* w, double bias, PassSums& sums) {
  fused_pass<double, false>(data, nullptr, data.rows, w, bias, nullptr, sums);
}
void LossF32(const DenseView<float>& data, const double* w, double bias, PassSums& sums) {
  fused_pass<float, false>(data, nullptr, data.rows, w, bias, nullptr, sums);
}
void SparseLossF64(const SparseView<double>& data, const double* w, double bias, PassSums& sums) {
  sparse_pass<double, false>(data, nullptr, data.rows, w, 1.0, bias, nullptr, nullptr, sums);
}
void SparseLossF32(const SparseView<float>& data, const double* w, double bias, PassSums& sums) {
  sparse_pass<float, false>(data, nullptr, data.rows, w, 1.0, bias, nullptr, nullptr, sums);
}
void ScoresF64(const DenseView<double>& data, const double* w, double bias, double* z) {
  dense_scores(data, w, bias, z);
}
void ScoresF32(const DenseView<float>& data, const double* w, double bias, double* z) {
  dense_scores(data, w, bias, z);
}
void SparseScoresF64(const SparseView<double>& data, const double* w, double bias, double* z) {
  sparse_scores(data, w, bias, z);
}
void SparseScoresF32(const SparseView<float>& data, const double* w, double bias, double* z) {
  sparse_scores(data, w, bias, z);
}
const char* TargetNameHere() { return hwy::TargetName(HWY_TARGET); }

}  // namespace dsgd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace dsgd {

HWY_EXPORT(GradientF64);
HWY_EXPORT(GradientF32);
HWY_EXPORT(SparseGradientF64);
HWY_EXPORT(SparseGradientF32);
HWY_EXPORT(SparsePairsF64);
HWY_EXPORT(SparsePairsF32);
HWY_EXPORT(LossF64);
HWY_EXPORT(LossF32);
HWY_EXPORT(SparseLossF64);
HWY_EXPORT(SparseLossF32);
HWY_EXPORT(ScoresF64);
HWY_EXPORT(ScoresF32);
HWY_EXPORT(SparseScoresF64);
HWY_EXPORT(SparseScoresF32);
HWY_EXPORT(TargetNameHere);

namespace {
void check_sizes(std::size_t cols, std::span<const double> w, std::size_t grad) {
  if (w.size() != cols || grad != cols) throw Error("kernel: weight or gradient size differs from the feature count");
}
template <typename View>
void check_scores(const View& data, std::span<const double> w, std::span<double> z) {
  check_sizes(data.cols, w, data.cols);
  if (z.size() != data.rows) throw Error("compute_scores: output size differs from the row count");
}
}  // namespace

void accumulate_gradient(const DenseView<double>& data, const std::uint32_t* rows, std::size_t count,
                         std::span<const double> w, double bias, std::span<double> grad, PassSums& sums) {
  check_sizes(data.cols, w, grad.size());
  HWY_DYNAMIC_DISPATCH(GradientF64)(data, rows, count, w.data(), bias, grad.data(), sums);
}
void accumulate_gradient(const DenseView<float>& data, const std::uint32_t* rows, std::size_t count,
                         std::span<const double> w, double bias, std::span<double> grad, PassSums& sums) {
  check_sizes(data.cols, w, grad.size());
  HWY_DYNAMIC_DISPATCH(GradientF32)(data, rows, count, w.data(), bias, grad.data(), sums);
}
void accumulate_gradient(const SparseView<double>& data, const std::uint32_t* rows, std::size_t count,
                         std::span<const double> w, double bias, std::span<double> grad, PassSums& sums) {
  check_sizes(data.cols, w, grad.size());
  HWY_DYNAMIC_DISPATCH(SparseGradientF64)(data, rows, count, w.data(), bias, grad.data(), sums);
}
void accumulate_gradient(const SparseView<float>& data, const std::uint32_t* rows, std::size_t count,
                         std::span<const double> w, double bias, std::span<double> grad, PassSums& sums) {
  check_sizes(data.cols, w, grad.size());
  HWY_DYNAMIC_DISPATCH(SparseGradientF32)(data, rows, count, w.data(), bias, grad.data(), sums);
}
namespace {
void check_slots(std::size_t cols, std::span<double> slots, std::size_t stride, std::size_t offset,
                 const TouchedSet& touched) {
  if (stride < 2 || offset == 0 || offset >= stride || slots.size() != stride * cols || touched.dimension() != cols)
    throw Error("kernel: the interleaved slots or the touched set do not fit the feature count");
}
}  // namespace
void accumulate_gradient_pairs(const SparseView<double>& data, const std::uint32_t* rows, std::size_t count,
                               std::span<double> slots, std::size_t stride, std::size_t offset, double w_scale,
                               double bias, TouchedSet& touched, PassSums& sums) {
  check_slots(data.cols, slots, stride, offset, touched);
  HWY_DYNAMIC_DISPATCH(SparsePairsF64)(data, rows, count, slots.data(), stride, offset, w_scale, bias, &touched,
                                            sums);
}
void accumulate_gradient_pairs(const SparseView<float>& data, const std::uint32_t* rows, std::size_t count,
                               std::span<double> slots, std::size_t stride, std::size_t offset, double w_scale,
                               double bias, TouchedSet& touched, PassSums& sums) {
  check_slots(data.cols, slots, stride, offset, touched);
  HWY_DYNAMIC_DISPATCH(SparsePairsF32)(data, rows, count, slots.data(), stride, offset, w_scale, bias, &touched,
                                            sums);
}
void accumulate_loss(const DenseView<double>& data, std::span<const double> w, double bias, PassSums& sums) {
  check_sizes(data.cols, w, data.cols);
  HWY_DYNAMIC_DISPATCH(LossF64)(data, w.data(), bias, sums);
}
void accumulate_loss(const DenseView<float>& data, std::span<const double> w, double bias, PassSums& sums) {
  check_sizes(data.cols, w, data.cols);
  HWY_DYNAMIC_DISPATCH(LossF32)(data, w.data(), bias, sums);
}
void accumulate_loss(const SparseView<double>& data, std::span<const double> w, double bias, PassSums& sums) {
  check_sizes(data.cols, w, data.cols);
  HWY_DYNAMIC_DISPATCH(SparseLossF64)(data, w.data(), bias, sums);
}
void accumulate_loss(const SparseView<float>& data, std::span<const double> w, double bias, PassSums& sums) {
  check_sizes(data.cols, w, data.cols);
  HWY_DYNAMIC_DISPATCH(SparseLossF32)(data, w.data(), bias, sums);
}
void compute_scores(const DenseView<double>& data, std::span<const double> w, double bias, std::span<double> z) {
  check_scores(data, w, z);
  HWY_DYNAMIC_DISPATCH(ScoresF64)(data, w.data(), bias, z.data());
}
void compute_scores(const DenseView<float>& data, std::span<const double> w, double bias, std::span<double> z) {
  check_scores(data, w, z);
  HWY_DYNAMIC_DISPATCH(ScoresF32)(data, w.data(), bias, z.data());
}
void compute_scores(const SparseView<double>& data, std::span<const double> w, double bias, std::span<double> z) {
  check_scores(data, w, z);
  HWY_DYNAMIC_DISPATCH(SparseScoresF64)(data, w.data(), bias, z.data());
}
void compute_scores(const SparseView<float>& data, std::span<const double> w, double bias, std::span<double> z) {
  check_scores(data, w, z);
  HWY_DYNAMIC_DISPATCH(SparseScoresF32)(data, w.data(), bias, z.data());
}
const char* kernel_target() noexcept { return HWY_DYNAMIC_DISPATCH(TargetNameHere)(); }

}  // namespace dsgd
#endif  // HWY_ONCE
