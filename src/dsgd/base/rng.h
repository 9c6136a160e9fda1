#pragma once
// dsgd's own random numbers. No std::*_distribution: their outputs differ between standard
// libraries, and ours must be the same bits everywhere (pinned in tests/data/rng_test.cc).
//
// SplitMix64 is counter-based by construction: output n of the stream with key k is
// mix(k + (n + 1) * gamma). So any element of any stream can be computed on its own, which is
// what lets each worker (and later each MPI rank) generate only its own rows.
#include <cmath>
#include <cstdint>
#include <numbers>

namespace dsgd {

// The SplitMix64 finaliser (Steele, Lea and Flood 2014; the constants of Vigna's reference).
[[nodiscard]] constexpr std::uint64_t splitmix64_mix(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

inline constexpr std::uint64_t kSplitMixGamma = 0x9E3779B97F4A7C15ULL;

// Sequential SplitMix64, as in Vigna's reference: state += gamma; return mix(state).
class SplitMix64 {
 public:
  explicit constexpr SplitMix64(std::uint64_t seed) noexcept : state_(seed) {}
  constexpr std::uint64_t next() noexcept { return splitmix64_mix(state_ += kSplitMixGamma); }
  // A uniform double in [0, 1) with 53 random bits.
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // A uniform integer in [0, n) by Lemire's multiply-shift (bias below 2^-32 for n < 2^32).
  std::uint64_t below(std::uint64_t n) noexcept {
    __extension__ using U128 = unsigned __int128;
    return static_cast<std::uint64_t>((static_cast<U128>(next()) * n) >> 64);
  }

 private:
  std::uint64_t state_;
};

// Random access into the SplitMix64 stream whose seed is `key`: at(n) equals the (n+1)-th
// SplitMix64(key).next().
class CounterRng {
 public:
  explicit constexpr CounterRng(std::uint64_t key) noexcept : key_(key) {}
  [[nodiscard]] constexpr std::uint64_t at(std::uint64_t n) const noexcept {
    return splitmix64_mix(key_ + (n + 1) * kSplitMixGamma);
  }
  // Uniform in (0, 1]: never 0, so log() of it is finite.
  [[nodiscard]] double uniform_open0(std::uint64_t n) const noexcept {
    return static_cast<double>((at(n) >> 11) + 1) * 0x1.0p-53;
  }
  // Uniform in [0, 1).
  [[nodiscard]] double uniform(std::uint64_t n) const noexcept {
    return static_cast<double>(at(n) >> 11) * 0x1.0p-53;
  }
  // Standard normal number n of this stream, by Box-Muller on the uniforms 2*(n/2) and
  // 2*(n/2)+1: even n take the cosine branch, odd n the sine branch of the same pair.
  [[nodiscard]] double normal(std::uint64_t n) const noexcept {
    const std::uint64_t pair = n / 2;
    const double radius = std::sqrt(-2.0 * std::log(uniform_open0(2 * pair)));
    const double angle = 2.0 * std::numbers::pi * uniform(2 * pair + 1);
    return radius * ((n % 2 == 0) ? std::cos(angle) : std::sin(angle));
  }

 private:
  std::uint64_t key_;
};

// Independent stream keys derived from one user seed: stream s of seed is keyed by
// mix(seed ^ mix(s)), so streams never share a counter sequence in practice.
[[nodiscard]] constexpr std::uint64_t stream_key(std::uint64_t seed, std::uint64_t stream) noexcept {
  return splitmix64_mix(seed ^ splitmix64_mix(stream + 0x5851F42D4C957F2DULL));
}

}  // namespace dsgd
