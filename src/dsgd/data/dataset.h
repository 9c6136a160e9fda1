#pragma once
// In-memory labelled data sets and the views the kernels read.
//
// A Dataset holds rows [first_row, first_row + rows) of a (possibly larger) global data set:
// all of it in a single process, or only one worker's shard. Features are dense row-major,
// stored as float or double (DType); labels are 0/1 bytes. Storage is 64-byte aligned.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <variant>

namespace dsgd {

enum class DType { kF32, kF64 };

[[nodiscard]] std::string_view to_string(DType dtype) noexcept;
// Accepts "f32"/"float32"/"float" and "f64"/"float64"/"double"; throws ConfigError otherwise.
[[nodiscard]] DType parse_dtype(std::string_view name);
[[nodiscard]] constexpr std::size_t size_of(DType dtype) noexcept {
  return dtype == DType::kF32 ? sizeof(float) : sizeof(double);
}

// Read-only view of `rows` consecutive dense rows of `cols` features and their labels.
template <typename T>
struct DenseView {
  const T* x = nullptr;
  const std::uint8_t* y = nullptr;
  std::size_t rows = 0;
  std::size_t cols = 0;

  [[nodiscard]] const T* row(std::size_t i) const noexcept { return x + i * cols; }
  [[nodiscard]] DenseView slice(std::size_t begin, std::size_t end) const noexcept {
    return {x + begin * cols, y + begin, end - begin, cols};
  }
};

namespace detail {
struct FreeDeleter {
  void operator()(void* p) const noexcept;
};
// 64-byte aligned, uninitialised storage for n elements of T (pages are touched by the writer,
// so the worker that generates or reads a shard is the one that faults its pages in).
template <typename T>
using AlignedArray = std::unique_ptr<T[], FreeDeleter>;
void* aligned_allocate(std::size_t bytes);
}  // namespace detail

class Dataset {
 public:
  Dataset(DType dtype, std::size_t rows, std::size_t features, std::size_t first_row = 0);

  [[nodiscard]] DType dtype() const noexcept { return dtype_; }
  [[nodiscard]] std::size_t rows() const noexcept { return rows_; }
  [[nodiscard]] std::size_t features() const noexcept { return features_; }
  [[nodiscard]] std::size_t first_row() const noexcept { return first_row_; }
  // Bytes of the feature matrix: what one pass over the data must read at least.
  [[nodiscard]] std::size_t feature_bytes() const noexcept {
    return rows_ * features_ * size_of(dtype_);
  }

  [[nodiscard]] std::span<std::uint8_t> labels() noexcept { return {labels_.get(), rows_}; }
  [[nodiscard]] std::span<const std::uint8_t> labels() const noexcept { return {labels_.get(), rows_}; }
  // The features as T; T must match dtype() (checked).
  template <typename T>
  [[nodiscard]] std::span<T> features_as();
  template <typename T>
  [[nodiscard]] DenseView<T> view() const;

  // Calls fn(DenseView<float>) or fn(DenseView<double>) according to dtype().
  template <typename Fn>
  decltype(auto) visit(Fn&& fn) const {
    if (dtype_ == DType::kF32) return fn(view<float>());
    return fn(view<double>());
  }

 private:
  DType dtype_;
  std::size_t rows_;
  std::size_t features_;
  std::size_t first_row_;
  std::variant<detail::AlignedArray<float>, detail::AlignedArray<double>> x_;
  detail::AlignedArray<std::uint8_t> labels_;
};

// The contiguous shard of `rows` rows owned by worker `worker` of `workers`: [begin, end).
// Balanced: the first rows % workers shards have one row more.
struct RowRange {
  std::size_t begin = 0;
  std::size_t end = 0;
  [[nodiscard]] std::size_t size() const noexcept { return end - begin; }
};
[[nodiscard]] RowRange shard_range(std::size_t rows, std::size_t workers, std::size_t worker) noexcept;

}  // namespace dsgd
