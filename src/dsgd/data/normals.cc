// Highway compiles this file once per instruction set (foreach_target.h) and dispatches to the
// best one at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dsgd/data/normals.cc"
#include <hwy/foreach_target.h>  // must come before highway.h
// clang-format off
#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>
// clang-format on

#include <algorithm>
#include <cstring>
#include <numbers>

#include "dsgd/data/normals.h"
#include "dsgd/base/rng.h"

HWY_BEFORE_NAMESPACE();
namespace dsgd::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using D = hn::ScalableTag<double>;
using DU = hn::RebindToUnsigned<D>;
using DI = hn::RebindToSigned<D>;
using VU = hn::Vec<DU>;

// a * c mod 2^64 (exact, so the same on every instruction set): AVX-512 multiplies 64-bit lanes;
// elsewhere from 32 x 32 -> 64-bit products, lo(a) lo(c) + (hi(a) lo(c) + lo(a) hi(c)) << 32.
HWY_INLINE VU mul64(DU du, VU a, std::uint64_t c) {
#if HWY_TARGET == HWY_SCALAR
  return hn::Set(du, hn::GetLane(a) * c);  // one lane: the machine's own multiplication
#elif HWY_TARGET <= HWY_AVX3 && HWY_ARCH_X86
  return hn::Mul(a, hn::Set(du, c));  // AVX-512 multiplies 64-bit lanes (vpmullq)
#else
  const hn::Repartition<std::uint32_t, DU> d32;
  const auto c_lo = hn::BitCast(d32, hn::Set(du, c & 0xFFFFFFFFULL));
  const auto c_hi = hn::BitCast(d32, hn::Set(du, c >> 32));
  const VU low = hn::MulEven(hn::BitCast(d32, a), c_lo);
  const VU cross = hn::Add(hn::MulEven(hn::BitCast(d32, hn::ShiftRight<32>(a)), c_lo),
                           hn::MulEven(hn::BitCast(d32, a), c_hi));
  return hn::Add(low, hn::ShiftLeft<32>(cross));
#endif
}

// The SplitMix64 finaliser on each lane (splitmix64_mix).
HWY_INLINE VU mix(DU du, VU z) {
  z = mul64(du, hn::Xor(z, hn::ShiftRight<30>(z)), 0xBF58476D1CE4E5B9ULL);
  z = mul64(du, hn::Xor(z, hn::ShiftRight<27>(z)), 0x94D049BB133111EBULL);
  return hn::Xor(z, hn::ShiftRight<31>(z));
}

// The top 53 bits of each lane as a double in [0, 1), plus `offset` units of 2^-53.
HWY_INLINE hn::Vec<D> unit(D d, VU bits, std::uint64_t offset) {
  const DU du;
  const auto top = hn::Add(hn::ShiftRight<11>(bits), hn::Set(du, offset));
  return hn::Mul(hn::ConvertTo(d, hn::BitCast(DI(), top)), hn::Set(d, 0x1.0p-53));
}

// Stores the interleaved cosines and sines as T (a float is the double rounded to nearest).
HWY_INLINE void store_pairs(D, hn::Vec<D> cosine, hn::Vec<D> sine, double* out) {
  hn::StoreInterleaved2(cosine, sine, D(), out);
}
HWY_INLINE void store_pairs(D, hn::Vec<D> cosine, hn::Vec<D> sine, float* out) {
  const hn::Rebind<float, D> df;
  hn::StoreInterleaved2(hn::DemoteTo(df, cosine), hn::DemoteTo(df, sine), df, out);
}

template <typename T>
void NormalsImpl(std::uint64_t key, std::uint64_t first, std::size_t count, T* out) {
  if (count == 0) return;
  const D d;
  const DU du;
  const std::size_t lanes = hn::Lanes(d);
  // Counter of uniform n: key + (n + 1) * gamma (CounterRng::at). Lane i of a block starting at
  // pair m holds pair m + i: its cosine uniform is number 2(m + i), its sine uniform 2(m + i) + 1.
  const std::uint64_t pair_begin = first / 2, pair_end = (first + count + 1) / 2;
  const VU lane_step = mul64(du, hn::Iota(du, 0), 2 * kSplitMixGamma);
  const VU block_step = hn::Set(du, static_cast<std::uint64_t>(lanes) * 2 * kSplitMixGamma);
  VU counter = hn::Add(hn::Set(du, key + (2 * pair_begin + 1) * kSplitMixGamma), lane_step);
  const auto gamma = hn::Set(du, kSplitMixGamma);
  const auto minus_two = hn::Set(d, -2.0);
  const auto two_pi = hn::Set(d, 2.0 * std::numbers::pi);
  HWY_ALIGN T pairs[2 * hn::MaxLanes(d)];
  for (std::uint64_t m = pair_begin; m < pair_end; m += lanes) {
    const auto u1 = unit(d, mix(du, counter), 1);                   // (0, 1]: its log is finite
    const auto u2 = unit(d, mix(du, hn::Add(counter, gamma)), 0);  // [0, 1)
    counter = hn::Add(counter, block_step);
    const auto radius = hn::Sqrt(hn::Mul(minus_two, hn::Log(d, u1)));
    const auto angle = hn::Mul(two_pi, u2);
    const auto cosine = hn::Mul(radius, hn::Cos(d, angle));
    const auto sine = hn::Mul(radius, hn::Sin(d, angle));
    // Elements [2m, 2m + 2 lanes) of the stream, of which [first, first + count) are wanted.
    const std::uint64_t e_begin = 2 * m, e_end = e_begin + 2 * lanes;
    if (e_begin >= first && e_end <= first + count) {
      store_pairs(d, cosine, sine, out + (e_begin - first));
    } else {
      store_pairs(d, cosine, sine, pairs);
      const std::uint64_t from = std::max(e_begin, first), to = std::min(e_end, first + count);
      std::memcpy(out + (from - first), pairs + (from - e_begin), (to - from) * sizeof(T));
    }
  }
}

void NormalsF64(std::uint64_t key, std::uint64_t first, std::size_t count, double* out) {
  NormalsImpl(key, first, count, out);
}
void NormalsF32(std::uint64_t key, std::uint64_t first, std::size_t count, float* out) {
  NormalsImpl(key, first, count, out);
}

}  // namespace dsgd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace dsgd {
HWY_EXPORT(NormalsF64);
HWY_EXPORT(NormalsF32);

void normals(std::uint64_t key, std::uint64_t first, std::size_t count, double* out) {
  HWY_DYNAMIC_DISPATCH(NormalsF64)(key, first, count, out);
}
void normals(std::uint64_t key, std::uint64_t first, std::size_t count, float* out) {
  HWY_DYNAMIC_DISPATCH(NormalsF32)(key, first, count, out);
}
}  // namespace dsgd
#endif
