#pragma once
// A set of coordinates of [0, d): the ones a sparse batch touched. A two-level bitmap: bit j of
// words[j / 64] is set for each member, and bit (j / 64) % 64 of summary[j / 4096] for each
// non-zero word. Marking is two ORs; listing the members in ascending order and clearing them
// cost O(members + d / 4096), not O(d).
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dsgd/data/huge_vector.h"

namespace dsgd {

class TouchedSet {
 public:
  TouchedSet() = default;
  explicit TouchedSet(std::size_t d) : d_(d), words_((d + 63) / 64, 0), summary_((d + 4095) / 4096, 0) {}

  [[nodiscard]] std::size_t dimension() const noexcept { return d_; }
  void mark(std::uint32_t j) noexcept {
    words_[j >> 6] |= std::uint64_t{1} << (j & 63);
    summary_[j >> 12] |= std::uint64_t{1} << ((j >> 6) & 63);
  }
  [[nodiscard]] bool contains(std::uint32_t j) const noexcept { return (words_[j >> 6] >> (j & 63) & 1) != 0; }

  // Calls fn(j) for every member in ascending order and empties the set.
  template <typename Fn>
  void drain(Fn&& fn) {
    for (std::size_t s = 0; s < summary_.size(); ++s) {
      for (std::uint64_t blocks = summary_[s]; blocks != 0; blocks &= blocks - 1) {
        const std::size_t w = s * 64 + static_cast<std::size_t>(std::countr_zero(blocks));
        for (std::uint64_t bits = words_[w]; bits != 0; bits &= bits - 1)
          fn(static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(std::countr_zero(bits))));
        words_[w] = 0;
      }
      summary_[s] = 0;
    }
  }
  // Calls fn(j) for every member in ascending order, keeping them.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (std::size_t s = 0; s < summary_.size(); ++s) {
      for (std::uint64_t blocks = summary_[s]; blocks != 0; blocks &= blocks - 1) {
        const std::size_t w = s * 64 + static_cast<std::size_t>(std::countr_zero(blocks));
        for (std::uint64_t bits = words_[w]; bits != 0; bits &= bits - 1)
          fn(static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(std::countr_zero(bits))));
      }
    }
  }
  // The number of members: O(members / 64 + d / 4096).
  [[nodiscard]] std::size_t count() const noexcept {
    std::size_t n = 0;
    for (std::size_t s = 0; s < summary_.size(); ++s) {
      for (std::uint64_t blocks = summary_[s]; blocks != 0; blocks &= blocks - 1)
        n += bits_in(words_[s * 64 + static_cast<std::size_t>(std::countr_zero(blocks))]);
    }
    return n;
  }
  // Empties the set without listing it: O(d / 64).
  void clear_all() noexcept {
    std::fill(words_.begin(), words_.end(), 0);
    std::fill(summary_.begin(), summary_.end(), 0);
  }

 private:
  // The set bits of x, without a library call (baseline x86-64 has no POPCNT instruction).
  static std::size_t bits_in(std::uint64_t x) noexcept {
    x -= (x >> 1) & 0x5555555555555555ULL;
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return static_cast<std::size_t>((x * 0x0101010101010101ULL) >> 56);
  }

  std::size_t d_ = 0;
  HugeVector<std::uint64_t> words_;
  HugeVector<std::uint64_t> summary_;
};

}  // namespace dsgd
