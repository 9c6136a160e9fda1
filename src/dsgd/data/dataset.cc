#include "dsgd/data/dataset.h"

#include <sys/mman.h>

#include <cstdlib>
#include <string>

#include "dsgd/error.h"

namespace dsgd {

std::string_view to_string(DType dtype) noexcept { return dtype == DType::kF32 ? "f32" : "f64"; }

DType parse_dtype(std::string_view name) {
  if (name == "f32" || name == "float32" || name == "float") return DType::kF32;
  if (name == "f64" || name == "float64" || name == "double") return DType::kF64;
  throw ConfigError("unknown dtype '" + std::string(name) + "' (expected f32 or f64)");
}

namespace detail {

void FreeDeleter::operator()(void* p) const noexcept { std::free(p); }

void* aligned_allocate(std::size_t bytes) {
  constexpr std::size_t kAlign = 64;
  constexpr std::size_t kHugePage = std::size_t{2} << 20;
  const std::size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
  // Large arrays on 2 MiB boundaries so transparent huge pages can back them: a streaming pass
  // over hundreds of MB then takes few TLB misses.
  const std::size_t align = rounded >= kHugePage ? kHugePage : kAlign;
  const std::size_t size = (rounded + align - 1) / align * align;
  // One spare vector at the end: a vector tail load that reads past the last element (allowed
  // by some instruction sets for masked-out lanes) stays inside the allocation.
  void* p = std::aligned_alloc(align, size + align);
  if (p == nullptr) throw Error("out of memory allocating " + std::to_string(bytes) + " bytes");
  if (size >= kHugePage) (void)madvise(p, size, MADV_HUGEPAGE);  // a hint; failure is harmless
  return p;
}

}  // namespace detail

namespace {
template <typename T>
detail::AlignedArray<T> make_array(std::size_t n) {
  return detail::AlignedArray<T>(static_cast<T*>(detail::aligned_allocate(n * sizeof(T))));
}
}  // namespace

Dataset::Dataset(DType dtype, std::size_t rows, std::size_t features, std::size_t first_row)
    : dtype_(dtype), rows_(rows), features_(features), first_row_(first_row),
      labels_(make_array<std::uint8_t>(rows)) {
  if (features == 0) throw ConfigError("a data set needs at least one feature");
  if (dtype == DType::kF32) {
    x_ = make_array<float>(rows * features);
  } else {
    x_ = make_array<double>(rows * features);
  }
}

template <typename T>
std::span<T> Dataset::features_as() {
  auto* array = std::get_if<detail::AlignedArray<T>>(&x_);
  if (array == nullptr) throw Error("Dataset::features_as: type does not match the dtype");
  return {array->get(), rows_ * features_};
}

template <typename T>
DenseView<T> Dataset::view() const {
  const auto* array = std::get_if<detail::AlignedArray<T>>(&x_);
  if (array == nullptr) throw Error("Dataset::view: type does not match the dtype");
  return {array->get(), labels_.get(), rows_, features_};
}

template std::span<float> Dataset::features_as<float>();
template std::span<double> Dataset::features_as<double>();
template DenseView<float> Dataset::view<float>() const;
template DenseView<double> Dataset::view<double>() const;

RowRange shard_range(std::size_t rows, std::size_t workers, std::size_t worker) noexcept {
  const std::size_t base = rows / workers;
  const std::size_t extra = rows % workers;
  const std::size_t begin = worker * base + (worker < extra ? worker : extra);
  return {begin, begin + base + (worker < extra ? 1 : 0)};
}

}  // namespace dsgd
