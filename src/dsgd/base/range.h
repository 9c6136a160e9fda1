#pragma once
// Contiguous index ranges and their balanced split among workers: the rows of a data set that a
// worker owns, the slice of a vector a rank reduces. Shared by every layer.
#include <cstddef>

namespace dsgd {

// [begin, end).
struct RowRange {
  std::size_t begin = 0;
  std::size_t end = 0;
  [[nodiscard]] std::size_t size() const noexcept { return end - begin; }
};

// The contiguous shard of `rows` rows owned by worker `worker` of `workers`: [begin, end).
// Balanced: the first rows % workers shards have one row more.
[[nodiscard]] constexpr RowRange shard_range(std::size_t rows, std::size_t workers, std::size_t worker) noexcept {
  const std::size_t base = rows / workers;
  const std::size_t extra = rows % workers;
  const std::size_t begin = worker * base + (worker < extra ? worker : extra);
  return {begin, begin + base + (worker < extra ? 1 : 0)};
}

// The rows process `rank` of `processes`, each running `threads` workers, holds: the union of
// its workers' shards, global workers rank * threads .. rank * threads + threads - 1.
[[nodiscard]] constexpr RowRange process_rows(std::size_t global_rows, int processes, int threads, int rank) noexcept {
  const auto workers = static_cast<std::size_t>(processes) * static_cast<std::size_t>(threads);
  const auto first = static_cast<std::size_t>(rank) * static_cast<std::size_t>(threads);
  return {shard_range(global_rows, workers, first).begin,
          shard_range(global_rows, workers, first + static_cast<std::size_t>(threads) - 1).end};
}

}  // namespace dsgd
