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

#include "dsgd/base/error.h"
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
// Below AVX2 Highway's MaskedLoad is an aligned load of the whole vector, masked afterwards: on
// a row's tail it faulted (rows are not aligned to vectors) and could read past the data. There
// the tail's c.tail values are copied to an aligned, zeroed vector first.
template <bool kTail, typename T>
HWY_INLINE V load_chunk(D d, const Chunks& c, const T* p) {
#if HWY_TARGET > HWY_AVX2
  if constexpr (kTail) {
    if (c.tail == c.lanes) return load_chunk<false>(d, c, p);  // a whole vector (the small pass's last)
    HWY_ALIGN T part[hn::MaxLanes(D())] = {};
    std::copy_n(p, c.tail, part);
    return load_chunk<false>(d, c, part);
  }
#endif
  if constexpr (sizeof(T) == sizeof(double)) {
    if constexpr (kTail) return hn::MaskedLoad(c.tail_mask, d, p);
    return hn::LoadU(d, p);
  } else {
    const hn::Rebind<float, D> df;
    if constexpr (kTail) return hn::PromoteTo(d, hn::MaskedLoad(c.tail_mask_f32, df, p));
    return hn::PromoteTo(d, hn::LoadU(df, p));
  }
}

// When rows are read in order, the passes prefetch the lines this many bytes ahead of the rows
// they compute, a row (or a small-row group) at a time: the math takes long enough that the
// hardware prefetcher alone keeps too few reads in flight. Measured in main memory (kernel_bench,
// the 2-core VM): against prefetching each row a block (64 rows) ahead, issued a block at a time
// (rows under 512 bytes) or not at all (longer rows), 1.1x to 1.3x faster from d = 20 to 256, f64
// and f32; 1 to 2.5 KiB ahead are alike, 4 KiB and more lose it again.
constexpr std::size_t kPrefetchBytes = 2048;

// Prefetches the lines of [p + kPrefetchBytes, p + kPrefetchBytes + bytes), which may lie past
// the data (a prefetch never faults; the addresses are integers, so no out-of-range pointer is
// made).
template <typename T>
HWY_INLINE void prefetch_bytes(const T* p, std::size_t bytes) {
  const std::uintptr_t from = reinterpret_cast<std::uintptr_t>(p) + kPrefetchBytes;
  for (std::uintptr_t a = from & ~std::uintptr_t{63}; a < from + bytes; a += 64) {
    hwy::Prefetch(reinterpret_cast<const char*>(a));
  }
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

// Turns the scores z and labels y of a block's rows (both padded to whole vectors, z's padding
// defined) into residuals r = sigmoid(z) - y, and adds loss, hit counts and the residuals (the
// gradient of the bias) to the vector sums.
// The loss of a row is max(m, 0) + log1p(e); the log1p terms of the block are summed as the log
// of their product, one Log per lane for the whole block instead of one Log1p per row: each
// lane multiplies at most kBlock / lanes factors in (1, 2], far from overflow, and the error is
// a few ulp of the block's sum (a row with e below 2^-53 adds about e, which is dropped).
// kWeighted: row i weighs sw[i] (padded like y): its residual, loss and hit are multiplied by
// it and the weights summed into `weight`, so a row of weight 2 counts as the row twice; the
// loss then takes one Log1p a row (a weighted product would need a power).
// residual_step does one vector of rows (those of `valid`), multiplying the block's log1p
// factors into `product`; the block's Log of it is taken by residuals_done (VecSums::add_rows
// and finish run them over a block).
template <bool kWeighted>
HWY_INLINE void residual_step(D d, const double* z, const double* y, const double* sw, double* r,
                              hn::Mask<D> valid, V& loss, V& correct, V& residual, V& weight, V& product) {
  const V one = hn::Set(d, 1.0);
  const V zero = hn::Zero(d);
  const V zv = hn::Load(d, z);
  const V yv = hn::Load(d, y);
  const V e = hn::Exp(d, hn::Neg(hn::Abs(zv)));  // in (0, 1]: never overflows
  const auto z_pos = hn::Ge(zv, zero);
  const V p = hn::Div(hn::IfThenElse(z_pos, one, e), hn::Add(one, e));
  const auto positive = hn::Gt(yv, hn::Set(d, 0.5));
  const V m = hn::IfThenElse(positive, hn::Neg(zv), zv);
  const auto hit = hn::Not(hn::Xor(hn::Gt(zv, zero), positive));
  if constexpr (kWeighted) {
    const V wv = hn::IfThenElseZero(valid, hn::Load(d, sw));
    const V rv = hn::Mul(wv, hn::Sub(p, yv));
    hn::Store(rv, d, r);
    residual = hn::Add(residual, rv);
    loss = hn::MulAdd(wv, hn::Add(hn::Max(m, zero), hn::Log1p(d, e)), loss);
    correct = hn::Add(correct, hn::IfThenElseZero(hit, wv));
    weight = hn::Add(weight, wv);
  } else {
    (void)sw;
    (void)weight;
    const V rv = hn::IfThenElseZero(valid, hn::Sub(p, yv));
    hn::Store(rv, d, r);
    residual = hn::Add(residual, rv);
    loss = hn::Add(loss, hn::IfThenElseZero(valid, hn::Max(m, zero)));
    product = hn::Mul(product, hn::IfThenElse(valid, hn::Add(one, e), one));
    correct = hn::Add(correct, hn::IfThenElseZero(hn::And(valid, hit), one));
  }
}

template <bool kWeighted>
HWY_INLINE void residuals_done(D d, V product, V& loss) {
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
    const std::size_t lanes = hn::Lanes(d);
    for (std::size_t i = n; i < (n + lanes - 1) / lanes * lanes; ++i) b.z[i] = 0.0;  // masked lanes, but defined
    V product = hn::Set(d, 1.0);
    if (weights == nullptr) {
      add_rows<false>(d, b, 0, n, n, product);
      finish<false>(d, product);
      return;
    }
    gather_weights(d, b, n, rows, start);
    add_rows<true>(d, b, 0, n, n, product);
    finish<true>(d, product);
  }
  // The block's weights into b.sw, padded with zeros to whole vectors (weighted passes only).
  void gather_weights(D d, BlockScratch& b, std::size_t n, const std::uint32_t* rows, std::size_t start) const {
    const std::size_t lanes = hn::Lanes(d);
    for (std::size_t i = 0; i < n; ++i) b.sw[i] = weights[rows != nullptr ? rows[start + i] : start + i];
    for (std::size_t i = n; i < (n + lanes - 1) / lanes * lanes; ++i) b.sw[i] = 0.0;
  }
  // The residuals of rows [from, to) of a block of n rows, a vector at a time (`from` a multiple
  // of the lane count), as add_block computes them; `product` carries the block's log1p factors
  // from one call to the next and goes to `finish` after the block's last.
  template <bool kWeighted>
  HWY_INLINE void add_rows(D d, BlockScratch& b, std::size_t from, std::size_t to, std::size_t n, V& product) {
    for (std::size_t i = from; i < to; i += hn::Lanes(d)) {
      residual_step<kWeighted>(d, b.z + i, b.y + i, b.sw + i, b.r + i, hn::FirstN(d, n - i), loss, correct, residual,
                               weight, product);
    }
  }
  template <bool kWeighted>
  HWY_INLINE void finish(D d, V product) {
    residuals_done<kWeighted>(d, product, loss);
  }
};

// Points rows_out at the block's n rows and copies their labels as doubles, padded with zeros to
// whole vectors. `rows` == nullptr means rows start, start + 1, ... in order (then the labels are
// converted a vector at a time).
template <typename T>
HWY_INLINE void gather_block(D d, const T* x, const std::uint8_t* y, std::size_t cols, const std::uint32_t* rows,
                             std::size_t start, std::size_t n, const T** rows_out, double* y_out) {
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
  for (std::size_t i = 0; i < n; ++i) rows_out[i] = first + i * cols;
  const hn::Rebind<std::uint8_t, D> d8;
  const hn::Rebind<std::int32_t, D> d32;
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    hn::Store(hn::PromoteTo(d, hn::PromoteTo(d32, hn::LoadU(d8, y + start + i))), d, y_out + i);
  }
  for (; i < n; ++i) y_out[i] = y[start + i];
  for (; i < padded; ++i) y_out[i] = 0.0;
}

// The horizontal sums of a group of rows' dot-product vectors: sums[i] = the sum of acc[i]'s
// lanes, for i < group_rows(d). On 512- and 256-bit x86 the group is one vector of rows, and
// their sums come out as one vector by a transposing tree of shuffles and adds: 21 operations
// for 8 rows where 8 separate reductions take 56, and no trip through memory. The tree adds
// the lanes in the pairs and order that SumOfLanes adds them in (lanes i and i + 4, then i and
// i + 2, then i and i + 1 with AVX-512, as g++'s _mm512_reduce_add_pd does; i and i + 2, then i
// and i + 1 with AVX2), so the bits are those of one SumOfLanes a row. Elsewhere each row is
// reduced on its own.
HWY_INLINE constexpr std::size_t group_rows(D d) { return std::max<std::size_t>(hn::MaxLanes(d), 2); }

// z[i] = sums[i] + bias for the group's first m rows, 0 past them.
HWY_INLINE void group_scores(D d, const V* acc, std::size_t m, double bias, double* z) {
#if HWY_ARCH_X86 && (HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL)
  // Level 1, rows a and b: [a_lo + a_hi | b_lo + b_hi] (halves of 256 bits).
  const auto halves = [](V a, V b) {
    return V{_mm512_add_pd(_mm512_shuffle_f64x2(a.raw, b.raw, _MM_SHUFFLE(1, 0, 1, 0)),
                           _mm512_shuffle_f64x2(a.raw, b.raw, _MM_SHUFFLE(3, 2, 3, 2)))};
  };
  // Level 2, two level-1 vectors p (rows a, b) and q (rows c, d): per row, its 128-bit blocks 0 + 1.
  const auto quarters = [](V p, V q) {
    return V{_mm512_add_pd(_mm512_shuffle_f64x2(p.raw, q.raw, _MM_SHUFFLE(2, 0, 2, 0)),
                           _mm512_shuffle_f64x2(p.raw, q.raw, _MM_SHUFFLE(3, 1, 3, 1)))};
  };
  // Level 3: even + odd lanes; r holds rows 0, 2, 4, 6 and s rows 1, 3, 5, 7, so the lanes of
  // the result are rows 0..7 in order.
  const V r = quarters(halves(acc[0], acc[2]), halves(acc[4], acc[6]));
  const V s = quarters(halves(acc[1], acc[3]), halves(acc[5], acc[7]));
  const V sums{_mm512_add_pd(_mm512_unpacklo_pd(r.raw, s.raw), _mm512_unpackhi_pd(r.raw, s.raw))};
  hn::Store(hn::IfThenElseZero(hn::FirstN(d, m), hn::Add(sums, hn::Set(d, bias))), d, z);
#elif HWY_ARCH_X86 && HWY_TARGET == HWY_AVX2
  // [a_lo + a_hi | b_lo + b_hi] (halves of 128 bits), for rows (0, 2) and (1, 3); then even + odd.
  const auto halves = [](V a, V b) {
    return V{_mm256_add_pd(_mm256_permute2f128_pd(a.raw, b.raw, 0x20), _mm256_permute2f128_pd(a.raw, b.raw, 0x31))};
  };
  const V r = halves(acc[0], acc[2]);
  const V s = halves(acc[1], acc[3]);
  const V sums{_mm256_add_pd(_mm256_unpacklo_pd(r.raw, s.raw), _mm256_unpackhi_pd(r.raw, s.raw))};
  hn::Store(hn::IfThenElseZero(hn::FirstN(d, m), hn::Add(sums, hn::Set(d, bias))), d, z);
#else
  for (std::size_t i = 0; i < group_rows(d); ++i) z[i] = i < m ? hn::GetLane(hn::SumOfLanes(d, acc[i])) + bias : 0.0;
#endif
}

// The pass for rows of up to 4 vectors (d <= 32 with AVX-512): w and the gradient stay in
// registers for the whole pass, and every loop over chunks is unrolled. The last chunk is
// loaded masked (a full mask when cols is a multiple of the lane count).
// The rows go a group at a time (group_rows: one vector of rows) through all three stages, the
// scores, the residuals and the gradient, so that the next group's loads from memory overlap
// this group's arithmetic: stage by stage over a whole block of 64 rows, the core waited for
// memory and then computed, at about the sum of the two times. The arithmetic and its order are
// those of that block-at-a-time pass (which this one replaced), and so are the bits. (A group
// is one vector of rows; two rows where a vector holds one double.)
template <std::size_t kChunks, bool kGradient, typename T>
void fused_pass_small(const T* x, const std::uint8_t* y, std::size_t cols, const std::uint32_t* rows,
                      std::size_t count, double bias, bool prefetch, PassBuffers& b, VecSums& sums) {
  const D d;
  const std::size_t lanes = hn::Lanes(d);
  constexpr std::size_t kGroup = group_rows(D());
  static_assert(kBlock % kGroup == 0);
  Chunks c(d, cols);
  c.tail = cols - (kChunks - 1) * lanes;  // the last chunk's lanes: all of them where lanes divides cols
  c.tail_mask = hn::FirstN(d, c.tail);
  c.tail_mask_f32 = hn::FirstN(hn::Rebind<float, D>(), c.tail);
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
  const bool weighted = sums.weights != nullptr;
  const T* row_ptr[kBlock];
  // Float rows are widened once: the gradient reads the group's doubles from here (in L1) rather
  // than widening the rows again, which costs as much as the multiply-adds.
  constexpr bool kWiden = kGradient && sizeof(T) < sizeof(double);
  HWY_ALIGN double widened[kWiden ? kGroup * kChunks * hn::MaxLanes(D()) : 1];
  const auto x_of = [&](std::size_t i, std::size_t g, std::size_t k) {  // row i's chunk k, for the gradient
    if constexpr (kWiden) {
      return hn::Load(d, widened + ((i - g) * kChunks + k) * lanes);
    } else {
      (void)g;
      return load(row_ptr[i], k);
    }
  };
  for (std::size_t start = 0; start < count; start += kBlock) {
    const std::size_t n = std::min(kBlock, count - start);
    gather_block(d, x, y, cols, rows, start, n, row_ptr, b.y);
    if (weighted) sums.gather_weights(d, b, n, rows, start);
    V product = hn::Set(d, 1.0);
    for (std::size_t g = 0; g < n; g += kGroup) {
      const std::size_t m = std::min(kGroup, n - g);
      if (prefetch) prefetch_bytes(x + (start + g) * cols, kGroup * cols * sizeof(T));
      if (m < kGroup) {  // the pass's last rows: real rows stand in for the missing ones (masked)
        for (std::size_t i = m; i < kGroup; ++i) row_ptr[g + i] = row_ptr[g];
      }
      V acc[kGroup];
      for (std::size_t i = 0; i < kGroup; ++i) {
        for (std::size_t k = 0; k < kChunks; ++k) {
          const V xv = load(row_ptr[g + i], k);
          if constexpr (kWiden) hn::Store(xv, d, widened + (i * kChunks + k) * lanes);
          acc[i] = k == 0 ? hn::Mul(w[0], xv) : hn::MulAdd(w[k], xv, acc[i]);
        }
      }
      group_scores(d, acc, m, bias, b.z + g);
      if (weighted) {
        sums.add_rows<true>(d, b, g, g + m, n, product);
      } else {
        sums.add_rows<false>(d, b, g, g + m, n, product);
      }
      if constexpr (kGradient) {
        // Even and odd rows in separate accumulators, so consecutive FMAs do not wait on each other.
        std::size_t i = g;
        for (; i + 2 <= g + m; i += 2) {
          const V r0 = hn::Set(d, b.r[i]);
          const V r1 = hn::Set(d, b.r[i + 1]);
          for (std::size_t k = 0; k < kChunks; ++k) {
            g_even[k] = hn::MulAdd(r0, x_of(i, g, k), g_even[k]);
            g_odd[k] = hn::MulAdd(r1, x_of(i + 1, g, k), g_odd[k]);
          }
        }
        if (i < g + m) {
          const V r0 = hn::Set(d, b.r[i]);
          for (std::size_t k = 0; k < kChunks; ++k) g_even[k] = hn::MulAdd(r0, x_of(i, g, k), g_even[k]);
        }
      }
    }
    if (weighted) {
      sums.finish<true>(d, product);
    } else {
      sums.finish<false>(d, product);
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
                    std::size_t count, double bias, bool prefetch, PassBuffers& b, VecSums& sums) {
  const D d;
  const Chunks chunks(d, cols);
  const T* row_ptr[kBlock];
  const std::size_t block = wide_block(cols * sizeof(T));
  for (std::size_t start = 0; start < count; start += block) {
    const std::size_t n = std::min(block, count - start);
    gather_block(d, x, y, cols, rows, start, n, row_ptr, b.y);
    for (std::size_t i = 0; i < n; ++i) {
      if (prefetch) prefetch_bytes(row_ptr[i], cols * sizeof(T));
      b.z[i] = dot(d, chunks, row_ptr[i], b.w.get()) + bias;
    }
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
  // Rows in order are prefetched. The view is often a slice (a step's batch) of larger data,
  // so its size says nothing of where the rows are: data already in L2 pays for the prefetches
  // (passes over 1 MB of rows of 100 or 256 doubles in L2 1.2x to 1.6x slower; at d = 20 no
  // slower).
  const bool prefetch = rows == nullptr;
  switch (chunks) {
    case 1: fused_pass_small<1, kGradient>(x, y, cols, rows, count, bias, prefetch, buffers, vec); break;
    case 2: fused_pass_small<2, kGradient>(x, y, cols, rows, count, bias, prefetch, buffers, vec); break;
    case 3: fused_pass_small<3, kGradient>(x, y, cols, rows, count, bias, prefetch, buffers, vec); break;
    case 4: fused_pass_small<4, kGradient>(x, y, cols, rows, count, bias, prefetch, buffers, vec); break;
    default: fused_pass_any<kGradient>(x, y, cols, rows, count, bias, prefetch, buffers, vec); break;
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
    even += data.value_of(k) * w[stride * data.index[k]];
    odd += data.value_of(k + 1) * w[stride * data.index[k + 1]];
  }
  if (k < end) even += data.value_of(k) * w[stride * data.index[k]];
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
            grad_out[stride * data.index[k]] += r * data.value_of(k);
            touched->mark(data.index[k]);
          }
        } else {
          for (std::uint64_t k = data.offsets[row_of[i]]; k < end; ++k) {
            grad_out[stride * data.index[k]] += r * data.value_of(k);
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
void SparseGradientOnes(const SparseView<Ones>& data, const std::uint32_t* rows, std::size_t count,
                        const double* w, double bias, double* grad, PassSums& sums) {
  sparse_pass<Ones, true>(data, rows, count, w, 1.0, bias, grad, nullptr, sums);
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
void SparsePairsOnes(const SparseView<Ones>& data, const std::uint32_t* rows, std::size_t count, double* slots,
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
void SparseLossOnes(const SparseView<Ones>& data, const double* w, double bias, PassSums& sums) {
  sparse_pass<Ones, false>(data, nullptr, data.rows, w, 1.0, bias, nullptr, nullptr, sums);
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
void SparseScoresOnes(const SparseView<Ones>& data, const double* w, double bias, double* z) {
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
HWY_EXPORT(SparseGradientOnes);
HWY_EXPORT(SparsePairsF64);
HWY_EXPORT(SparsePairsF32);
HWY_EXPORT(SparsePairsOnes);
HWY_EXPORT(LossF64);
HWY_EXPORT(LossF32);
HWY_EXPORT(SparseLossF64);
HWY_EXPORT(SparseLossF32);
HWY_EXPORT(SparseLossOnes);
HWY_EXPORT(ScoresF64);
HWY_EXPORT(ScoresF32);
HWY_EXPORT(SparseScoresF64);
HWY_EXPORT(SparseScoresF32);
HWY_EXPORT(SparseScoresOnes);
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
void accumulate_gradient(const SparseView<Ones>& data, const std::uint32_t* rows, std::size_t count,
                         std::span<const double> w, double bias, std::span<double> grad, PassSums& sums) {
  check_sizes(data.cols, w, grad.size());
  HWY_DYNAMIC_DISPATCH(SparseGradientOnes)(data, rows, count, w.data(), bias, grad.data(), sums);
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
void accumulate_gradient_pairs(const SparseView<Ones>& data, const std::uint32_t* rows, std::size_t count,
                               std::span<double> slots, std::size_t stride, std::size_t offset, double w_scale,
                               double bias, TouchedSet& touched, PassSums& sums) {
  check_slots(data.cols, slots, stride, offset, touched);
  HWY_DYNAMIC_DISPATCH(SparsePairsOnes)(data, rows, count, slots.data(), stride, offset, w_scale, bias, &touched,
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
void accumulate_loss(const SparseView<Ones>& data, std::span<const double> w, double bias, PassSums& sums) {
  check_sizes(data.cols, w, data.cols);
  HWY_DYNAMIC_DISPATCH(SparseLossOnes)(data, w.data(), bias, sums);
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
void compute_scores(const SparseView<Ones>& data, std::span<const double> w, double bias, std::span<double> z) {
  check_scores(data, w, z);
  HWY_DYNAMIC_DISPATCH(SparseScoresOnes)(data, w.data(), bias, z.data());
}
const char* kernel_target() noexcept { return HWY_DYNAMIC_DISPATCH(TargetNameHere)(); }

}  // namespace dsgd
#endif  // HWY_ONCE
