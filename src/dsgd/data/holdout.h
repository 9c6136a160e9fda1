#pragma once
// Setting rows aside for early stopping: row g of the file is held out when a hash of (seed, g)
// falls below the fraction. The choice depends only on the row's global index, never on how
// the rows are split among workers or processes, so every backend holds out the same rows, and
// a file sorted by label still gives a held-out set with both classes.
#include <cstdint>
#include <vector>

#include "dsgd/data/dataset.h"

namespace dsgd {

struct HoldoutSplit {
  Dataset train;
  Dataset holdout;
  std::size_t first_row = 0;            // global row of the split data's row 0
  std::vector<std::size_t> kept_before;  // [i]: rows kept for training among the first i rows
};

[[nodiscard]] bool held_out(std::uint64_t row, double fraction, std::uint64_t seed) noexcept;

// The rows of `data` (global rows data.first_row() ...) kept for training and those held out,
// each in file order.
[[nodiscard]] HoldoutSplit split_holdout(const Dataset& data, double fraction, std::uint64_t seed);

// The rows of `data` whose keep[i] is non-zero, in order (with their labels and sample weights),
// with first_row `first_row`.
[[nodiscard]] Dataset select_rows(const Dataset& data, const std::vector<std::uint8_t>& keep, std::size_t first_row);

}  // namespace dsgd
