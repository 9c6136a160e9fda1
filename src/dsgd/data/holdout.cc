#include "dsgd/data/holdout.h"

#include <algorithm>
#include <span>
#include <type_traits>
#include <vector>

#include "dsgd/base/rng.h"

namespace dsgd {
namespace {
constexpr std::uint64_t kHoldoutStream = 0x484F'4C44'4F55'54ULL;  // "HOLDOUT"

// (T = Ones: the indices only.)
template <typename T>
void copy_selected(const Dataset& from, const std::vector<std::uint8_t>& keep, Dataset& to) {
  constexpr bool kOnes = std::is_same_v<T, Ones>;
  using Value = std::conditional_t<kOnes, double, T>;
  const auto in = kOnes ? std::span<const Value>() : from.features_as<Value>();
  auto out = kOnes ? std::span<Value>() : to.features_as<Value>();
  std::size_t r = 0;
  std::size_t k = 0;
  const std::size_t d = from.features();
  for (std::size_t i = 0; i < from.rows(); ++i) {
    if (keep[i] == 0) continue;
    to.labels()[r] = from.labels()[i];
    if (from.weighted()) to.sample_weights()[r] = from.sample_weights()[i];
    if (from.layout() == Layout::kDense) {
      std::copy_n(in.begin() + static_cast<std::ptrdiff_t>(i * d), d, out.begin() + static_cast<std::ptrdiff_t>(r * d));
    } else {
      for (std::uint64_t v = from.offsets()[i]; v < from.offsets()[i + 1]; ++v, ++k) {
        to.indices()[k] = from.indices()[v];
        if constexpr (!kOnes) out[k] = in[v];
      }
      to.offsets()[r + 1] = k;
    }
    ++r;
  }
}
}  // namespace

bool held_out(std::uint64_t row, double fraction, std::uint64_t seed) noexcept {
  SplitMix64 rng(stream_key(stream_key(seed, kHoldoutStream), row));
  return rng.uniform() < fraction;
}

Dataset select_rows(const Dataset& data, const std::vector<std::uint8_t>& keep, std::size_t first_row) {
  std::size_t rows = 0;
  std::size_t values = 0;
  for (std::size_t i = 0; i < data.rows(); ++i) {
    if (keep[i] == 0) continue;
    ++rows;
    if (data.layout() == Layout::kSparse) values += data.offsets()[i + 1] - data.offsets()[i];
  }
  Dataset out = data.layout() == Layout::kSparse
                    ? Dataset::sparse(data.dtype(), rows, data.features(), values, first_row)
                    : Dataset(data.dtype(), rows, data.features(), first_row);
  if (data.weighted()) (void)out.add_sample_weights();
  if (data.dtype() == DType::kOnes) {
    copy_selected<Ones>(data, keep, out);
  } else if (data.dtype() == DType::kF32) {
    copy_selected<float>(data, keep, out);
  } else {
    copy_selected<double>(data, keep, out);
  }
  return out;
}

HoldoutSplit split_holdout(const Dataset& data, double fraction, std::uint64_t seed) {
  std::vector<std::uint8_t> keep(data.rows());
  std::vector<std::size_t> kept_before(data.rows() + 1, 0);
  for (std::size_t i = 0; i < data.rows(); ++i) {
    keep[i] = held_out(data.first_row() + i, fraction, seed) ? 0 : 1;
    kept_before[i + 1] = kept_before[i] + keep[i];
  }
  Dataset train = select_rows(data, keep, 0);
  for (auto& k : keep) k = k == 0 ? 1 : 0;
  Dataset holdout = select_rows(data, keep, 0);
  return {std::move(train), std::move(holdout), data.first_row(), std::move(kept_before)};
}

}  // namespace dsgd
