#pragma once
// A set of coordinates of [0, d): the ones a sparse batch touched. A two-level bitmap: bit j of
// words[j / 64] is set for each member, and bit (j / 64) % 64 of summary[j / 4096] for each
// non-zero word. Marking is two ORs; listing the members in ascending order and clearing them
// cost O(members + d / 4096), not O(d). The bitmap lives in its own storage, or in storage the
// caller gives (memory that workers sharing a model read together).
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

#include "dsgd/base/huge_vector.h"

namespace dsgd {

class TouchedSet {
 public:
  TouchedSet() = default;
  explicit TouchedSet(std::size_t d) : d_(d), own_(storage_words(d), 0) { point_into(own_.data()); }
  // Over `storage` (storage_words(d) zeroed words that outlive the set).
  TouchedSet(std::size_t d, std::span<std::uint64_t> storage) : d_(d) {
    if (storage.size() != storage_words(d)) throw std::invalid_argument("TouchedSet: storage of the wrong size");
    point_into(storage.data());
  }
  TouchedSet(const TouchedSet&) = delete;
  TouchedSet& operator=(const TouchedSet&) = delete;
  TouchedSet(TouchedSet&&) noexcept = default;  // the moved storage keeps its address
  TouchedSet& operator=(TouchedSet&&) noexcept = default;

  // The 64-bit words a set over d columns keeps: one a 64 columns, and one a 4096.
  [[nodiscard]] static constexpr std::size_t storage_words(std::size_t d) noexcept {
    return (d + 63) / 64 + (d + 4095) / 4096;
  }
  // The columns one summary word covers.
  static constexpr std::size_t kColumnsPerSummary = 64 * 64;

  [[nodiscard]] std::size_t dimension() const noexcept { return d_; }
  void mark(std::uint32_t j) noexcept {
    words_[j >> 6] |= std::uint64_t{1} << (j & 63);
    summary_[j >> 12] |= std::uint64_t{1} << ((j >> 6) & 63);
  }
  [[nodiscard]] bool contains(std::uint32_t j) const noexcept { return (words_[j >> 6] >> (j & 63) & 1) != 0; }

  // Calls fn(j) for every member in ascending order and empties the set.
  template <typename Fn>
  void drain(Fn&& fn) {
    for (std::size_t s = 0; s < summaries_; ++s) {
      for (std::uint64_t blocks = summary_[s]; blocks != 0; blocks &= blocks - 1) {
        const std::size_t w = s * 64 + static_cast<std::size_t>(std::countr_zero(blocks));
        for (std::uint64_t bits = words_[w]; bits != 0; bits &= bits - 1)
          fn(static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(std::countr_zero(bits))));
        words_[w] = 0;
      }
      summary_[s] = 0;
    }
  }
  // Empties the set: O(members / 64 + d / 4096).
  void clear() noexcept {
    drain([](std::uint32_t) {});
  }
  // The raw words, for reading several sets together: word w holds columns [64 w, 64 w + 64),
  // summary word s the non-zero words among [64 s, 64 s + 64).
  [[nodiscard]] std::uint64_t word(std::size_t w) const noexcept { return words_[w]; }
  [[nodiscard]] std::uint64_t summary(std::size_t s) const noexcept { return summary_[s]; }
  // Calls fn(j) for every member in ascending order, keeping them.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (std::size_t s = 0; s < summaries_; ++s) {
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
    for (std::size_t s = 0; s < summaries_; ++s) {
      for (std::uint64_t blocks = summary_[s]; blocks != 0; blocks &= blocks - 1)
        n += bits_in(words_[s * 64 + static_cast<std::size_t>(std::countr_zero(blocks))]);
    }
    return n;
  }
  // Empties the set without listing it: O(d / 64).
  void clear_all() noexcept { std::fill(words_, words_ + storage_words(d_), 0); }

  [[nodiscard]] std::size_t summary_words() const noexcept { return summaries_; }

 private:
  void point_into(std::uint64_t* storage) noexcept {
    words_ = storage;
    summary_ = storage + (d_ + 63) / 64;
    summaries_ = (d_ + 4095) / 4096;
  }

  // The set bits of x, without a library call (baseline x86-64 has no POPCNT instruction).
  static std::size_t bits_in(std::uint64_t x) noexcept {
    x -= (x >> 1) & 0x5555555555555555ULL;
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return static_cast<std::size_t>((x * 0x0101010101010101ULL) >> 56);
  }

  std::size_t d_ = 0;
  HugeVector<std::uint64_t> own_;  // the storage, unless the caller gave it
  std::uint64_t* words_ = nullptr;
  std::uint64_t* summary_ = nullptr;
  std::size_t summaries_ = 0;
};

}  // namespace dsgd
