#pragma once
// One step's gradient on its way from the local pass, through the exchange, to the update.
//
// Before the exchange it is this worker's gradient sum over its batch:
//  - dense path: in values[0, d);
//  - sparse path: at slots[stride j + offset] for the columns j marked in `touched` (the rest
//    0), beside the update's weights at slots[stride j] (update.h), so a column's weight and
//    gradient share a cache line. offset is 1, or 1 + rank where the workers share one model
//    (each worker's gradient in its own slot of the column).
// values[d, d + kExtras) is room for the exchange's pass sums. After the exchange it is the sum
// over all workers, in one of two forms:
//  - kDense:   in values[0, d), every column (the slots' gradients 0, `touched` empty);
//  - kTouched: at slots[stride j + 1] for the columns marked in `touched` (the union of the
//              workers');
//  - kShared:  not summed yet: every worker's gradient is in its slot of the shared model and
//              its touched set (only the pass sums are summed); the update sums each column.
// The update reads it and leaves everything 0 and empty for the next step.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "dsgd/base/huge_vector.h"
#include "dsgd/model/kernel.h"
#include "dsgd/model/touched.h"

namespace dsgd {

// (column, value) entries with ascending columns, over bytes (a message as it travelled) or
// typed arrays. Read with memcpy: travelled bytes are not typed objects.
struct GradientList {
  const std::byte* values = nullptr;  // n doubles
  const std::byte* index = nullptr;   // n uint32
  std::size_t n = 0;

  [[nodiscard]] double value_at(std::size_t k) const noexcept {
    double v;
    std::memcpy(&v, values + k * sizeof(double), sizeof v);
    return v;
  }
  [[nodiscard]] std::uint32_t index_at(std::size_t k) const noexcept {
    std::uint32_t j;
    std::memcpy(&j, index + k * sizeof(std::uint32_t), sizeof j);
    return j;
  }
  [[nodiscard]] static GradientList of(const HugeVector<std::uint32_t>& index, const HugeVector<double>& value) {
    return {reinterpret_cast<const std::byte*>(value.data()), reinterpret_cast<const std::byte*>(index.data()),
            index.size()};
  }
};

struct StepGradient {
  enum class Form { kDense, kTouched, kShared };
  // Room after the d columns: the 4 pass sums and a count of touched columns.
  static constexpr std::size_t kExtras = 5;

  // `interleaved`: the sparse path's slots, `slot_stride` values a column (weight, gradient and
  // what else the update keeps), this worker's gradient at `slot_offset`; empty: the dense path.
  // The touched set keeps its bits in `touched_storage` when given (TouchedSet::storage_words).
  StepGradient(std::size_t dimension, std::span<double> interleaved, std::size_t slot_stride,
               std::size_t slot_offset = 1, std::span<std::uint64_t> touched_storage = {})
      : d(dimension),
        values(dimension + kExtras, 0.0),
        slots(interleaved),
        stride(slot_stride),
        offset(slot_offset),
        touched(touched_storage.empty() ? TouchedSet(interleaved.empty() ? 0 : dimension)
                                        : TouchedSet(dimension, touched_storage)) {}

  [[nodiscard]] bool sparse_path() const noexcept { return !slots.empty(); }
  // Column j's gradient on the sparse path.
  [[nodiscard]] double& gradient_of(std::size_t j) noexcept { return slots[stride * j + offset]; }
  [[nodiscard]] std::span<double> gradient() noexcept { return {values.data(), d}; }

  std::size_t d;
  HugeVector<double> values;
  std::span<double> slots;
  std::size_t stride = 2;
  std::size_t offset = 1;
  TouchedSet touched;  // the sparse path's touched columns (dimension 0 on the dense path)
  Form form = Form::kDense;
  PassSums sums;  // this worker's, then (after the exchange) every worker's
};

}  // namespace dsgd
