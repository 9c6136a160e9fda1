#pragma once
// In-memory labelled data sets and the views the kernels read.
//
// A Dataset holds rows [first_row, first_row + rows) of a (possibly larger) global data set:
// all of it in a single process, or only one worker's shard. Features are stored dense
// (row-major) or sparse (CSR: per-row offsets into 0-based ascending column indices and their
// values), as float or double (DType); labels are 0/1 bytes; per-row sample weights (double) are
// optional, and a data set without them weighs every row 1. Storage is 64-byte aligned, or,
// for sparse data read in place from a memory-mapped cache (sparse_over), borrowed read-only.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <type_traits>
#include <variant>

#include "dsgd/base/aligned_memory.h"
#include "dsgd/base/range.h"

namespace dsgd {

// kOnes: sparse only, every stored non-zero is 1 and no value is kept.
enum class DType { kF32, kF64, kOnes };

[[nodiscard]] std::string_view to_string(DType dtype) noexcept;
// Accepts "f32"/"float32"/"float" and "f64"/"float64"/"double"; throws ConfigError otherwise.
[[nodiscard]] DType parse_dtype(std::string_view name);
[[nodiscard]] constexpr std::size_t size_of(DType dtype) noexcept {
  return dtype == DType::kF32 ? sizeof(float) : dtype == DType::kF64 ? sizeof(double) : 0;
}

// The value type of SparseView<Ones>: rows of DType::kOnes, whose `value` is null.
struct Ones {};

// Read-only view of `rows` consecutive dense rows of `cols` features, their labels and their
// sample weights (sample_weight == nullptr: every row weighs 1).
template <typename T>
struct DenseView {
  const T* x = nullptr;
  const std::uint8_t* y = nullptr;
  std::size_t rows = 0;
  std::size_t cols = 0;
  const double* sample_weight = nullptr;

  [[nodiscard]] const T* row(std::size_t i) const noexcept { return x + i * cols; }
  [[nodiscard]] DenseView slice(std::size_t begin, std::size_t end) const noexcept {
    return {x + begin * cols, y + begin, end - begin, cols, sample_weight != nullptr ? sample_weight + begin : nullptr};
  }
};

// Read-only view of `rows` consecutive CSR rows: row i holds the values value[k] at columns
// index[k] for k in [offsets[i], offsets[i + 1]). Offsets count from the start of the whole
// index/value arrays, so a slice only moves the offsets and labels.
template <typename T>
struct SparseView {
  const std::uint64_t* offsets = nullptr;  // rows + 1 entries
  const std::uint32_t* index = nullptr;
  const T* value = nullptr;
  const std::uint8_t* y = nullptr;
  std::size_t rows = 0;
  std::size_t cols = 0;
  const double* sample_weight = nullptr;  // as in DenseView

  // The k-th stored value, as the kernels use it: 1 for Ones.
  [[nodiscard]] double value_of(std::uint64_t k) const noexcept {
    if constexpr (std::is_same_v<T, Ones>) {
      return 1.0;
    } else {
      return static_cast<double>(value[k]);
    }
  }
  [[nodiscard]] SparseView slice(std::size_t begin, std::size_t end) const noexcept {
    return {offsets + begin, index,         value, y + begin, end - begin, cols,
            sample_weight != nullptr ? sample_weight + begin : nullptr};
  }
};

enum class Layout { kDense, kSparse };
[[nodiscard]] std::string_view to_string(Layout layout) noexcept;

class Dataset {
 public:
  // Dense storage for rows x features values.
  Dataset(DType dtype, std::size_t rows, std::size_t features, std::size_t first_row = 0);
  // Sparse (CSR) storage for `nonzeros` values over `rows` rows; the caller fills offsets()
  // (offsets()[0] == 0, non-decreasing, offsets()[rows] == nonzeros), indices() and the values.
  // (DType::kOnes: no values to fill.)
  [[nodiscard]] static Dataset sparse(DType dtype, std::size_t rows, std::size_t features, std::size_t nonzeros,
                                      std::size_t first_row = 0);
  // Sparse data whose column indices and values (`dtype`, `nonzeros` of each) are read in place
  // from memory that `owner` keeps alive, as are the offsets (starting at 0) and labels when
  // given; those given as null are allocated for the caller to fill. Borrowed arrays are
  // read-only: their mutable accessors throw.
  // `mapped`: the borrowed memory is a read-only mapping of a file, whose pages release() may
  // give back.
  [[nodiscard]] static Dataset sparse_over(DType dtype, std::size_t rows, std::size_t features, std::size_t nonzeros,
                                           std::size_t first_row, std::shared_ptr<const void> owner,
                                           const std::uint32_t* indices, const void* values,
                                           const std::uint64_t* offsets, const std::uint8_t* labels,
                                           bool mapped = false);
  // Dense data whose rows x features values (`dtype`, row-major) are read in place from memory
  // that `owner` keeps alive (a NumPy array), as are the labels when given (null: allocated for
  // the caller to fill). Borrowed arrays are read-only, as with sparse_over.
  [[nodiscard]] static Dataset dense_over(DType dtype, std::size_t rows, std::size_t features, std::size_t first_row,
                                          std::shared_ptr<const void> owner, const void* values,
                                          const std::uint8_t* labels);
  // Whether some array is borrowed (sparse_over, dense_over).
  [[nodiscard]] bool borrows() const noexcept { return owner_ != nullptr; }
  // Whether the column indices and values are read from a file's mapping (sparse_over, mapped).
  [[nodiscard]] bool mapped() const noexcept { return mapped_; }
  // Gives back the memory pages of the column indices and values of rows [rows.begin, rows.end)
  // of mapped data (mapped()); they are read from the file again when next used, so that rows
  // larger than memory can be passed over with a bounded resident set. Otherwise does nothing.
  void release(RowRange rows) const noexcept;
  // For mapped data read in a shuffled order (else nothing): no read-ahead around the pages of
  // rows [rows.begin, rows.end) ...
  void read_at_random(RowRange rows) const noexcept;
  // ... and the pages of rows first + rows[k], k < count (first + k where rows is null), asked
  // of the file ahead of their use, all at once.
  void prefetch(std::size_t first, const std::uint32_t* rows, std::size_t count) const noexcept;
  // Bytes of the column indices and values of rows [rows.begin, rows.end) (sparse; dense: rows x
  // features values).
  [[nodiscard]] std::size_t rows_bytes(RowRange rows) const noexcept;

  [[nodiscard]] Layout layout() const noexcept { return layout_; }
  [[nodiscard]] DType dtype() const noexcept { return dtype_; }
  [[nodiscard]] std::size_t rows() const noexcept { return rows_; }
  [[nodiscard]] std::size_t features() const noexcept { return features_; }
  [[nodiscard]] std::size_t first_row() const noexcept { return first_row_; }
  // Stored values: rows x features when dense, the non-zeros when sparse.
  [[nodiscard]] std::size_t values() const noexcept { return values_; }
  // Bytes of the feature matrix: what one pass over the data must read at least.
  [[nodiscard]] std::size_t feature_bytes() const noexcept {
    if (layout_ == Layout::kDense) return values_ * size_of(dtype_);
    return values_ * (size_of(dtype_) + sizeof(std::uint32_t)) + (rows_ + 1) * sizeof(std::uint64_t);
  }

  [[nodiscard]] std::span<std::uint8_t> labels() { return {owned(labels_), rows_}; }
  [[nodiscard]] std::span<const std::uint8_t> labels() const noexcept { return {labels_view_, rows_}; }
  // Per-row sample weights: none until add_sample_weights() makes them (every row then weighs
  // 1 until written); the views carry them to the kernels.
  [[nodiscard]] bool weighted() const noexcept { return weights_ != nullptr; }
  std::span<double> add_sample_weights();
  [[nodiscard]] std::span<double> sample_weights() noexcept { return {weights_.get(), weighted() ? rows_ : 0}; }
  [[nodiscard]] std::span<const double> sample_weights() const noexcept {
    return {weights_.get(), weighted() ? rows_ : 0};
  }
  // The stored values as T (all values(); row-major when dense); T must match dtype() (checked).
  template <typename T>
  [[nodiscard]] std::span<T> features_as();
  template <typename T>
  [[nodiscard]] std::span<const T> features_as() const;
  // The CSR structure; empty for dense storage.
  [[nodiscard]] std::span<std::uint64_t> offsets() {
    return layout_ == Layout::kSparse ? std::span<std::uint64_t>(owned(offsets_), rows_ + 1) : std::span<std::uint64_t>();
  }
  [[nodiscard]] std::span<const std::uint64_t> offsets() const noexcept {
    return {offsets_view_, offsets_view_ != nullptr ? rows_ + 1 : 0};
  }
  [[nodiscard]] std::span<std::uint32_t> indices() {
    return layout_ == Layout::kSparse ? std::span<std::uint32_t>(owned(indices_), values_) : std::span<std::uint32_t>();
  }
  [[nodiscard]] std::span<const std::uint32_t> indices() const noexcept {
    return {indices_view_, indices_view_ != nullptr ? values_ : 0};
  }
  // Views; the layout and T must match (checked).
  template <typename T>
  [[nodiscard]] DenseView<T> view() const;
  template <typename T>
  [[nodiscard]] SparseView<T> sparse_view() const;

  // Calls fn with the DenseView<float> or DenseView<double> of this dense data set.
  template <typename Fn>
  decltype(auto) visit_dense(Fn&& fn) const {
    if (dtype_ == DType::kF32) return fn(view<float>());
    return fn(view<double>());
  }
  // Calls fn with the DenseView<float|double> or SparseView<float|double|Ones> of this data set.
  template <typename Fn>
  decltype(auto) visit(Fn&& fn) const {
    if (layout_ == Layout::kSparse) {
      if (dtype_ == DType::kOnes) return fn(sparse_view<Ones>());
      if (dtype_ == DType::kF32) return fn(sparse_view<float>());
      return fn(sparse_view<double>());
    }
    if (dtype_ == DType::kF32) return fn(view<float>());
    return fn(view<double>());
  }

 private:
  Dataset(Layout layout, DType dtype, std::size_t rows, std::size_t features, std::size_t values,
          std::size_t first_row);

  // The array a mutable accessor may write: owned, or the call throws.
  template <typename T>
  [[nodiscard]] static T* owned(const detail::AlignedArray<T>& array) {
    if (!array) throw_read_only();
    return array.get();
  }
  [[noreturn]] static void throw_read_only();
  // `advice` on the pages of the indices and values of rows [rows.begin, rows.end) of mapped data.
  void advise_rows(RowRange rows, detail::PageAdvice advice) const noexcept;
  void view_owned() noexcept;

  Layout layout_;
  DType dtype_;
  std::size_t rows_;
  std::size_t features_;
  std::size_t values_;
  std::size_t first_row_;
  // Owned arrays (null where borrowed or absent) ...
  std::variant<detail::AlignedArray<float>, detail::AlignedArray<double>> x_;
  detail::AlignedArray<std::uint64_t> offsets_;
  detail::AlignedArray<std::uint32_t> indices_;
  detail::AlignedArray<std::uint8_t> labels_;
  detail::AlignedArray<double> weights_;  // null: unweighted
  // ... and what the read accessors see: the owned arrays or the borrowed memory.
  std::shared_ptr<const void> owner_;
  bool mapped_ = false;
  const void* x_view_ = nullptr;
  const std::uint64_t* offsets_view_ = nullptr;
  const std::uint32_t* indices_view_ = nullptr;
  const std::uint8_t* labels_view_ = nullptr;
};

// Writes `count` CSR rows into rows [at, at + count) of `data`, dense or sparse, of any DType:
// row i holds value[k] (1 where `value` is null) at column index[k] for k in [offsets[i],
// offsets[i + 1]) (the offsets may start anywhere); sparse data gets the rows' values from its
// value position `value_at` on. DType::kOnes data takes the indices only (its values are 1).
// The labels are the caller's to set. Rows of one data set can be written by several threads.
void put_csr_rows(Dataset& data, std::size_t at, std::size_t count, std::size_t value_at,
                  const std::uint64_t* offsets, const std::uint32_t* index, const double* value);
void put_csr_rows(Dataset& data, std::size_t at, std::size_t count, std::size_t value_at,
                  const std::uint64_t* offsets, const std::uint32_t* index, const float* value);

// A copy of `data` in `layout` (the same dtype, rows, labels, sample weights and first_row; ones
// made dense are f64); to sparse keeps the non-zero values only.
[[nodiscard]] Dataset to_layout(const Dataset& data, Layout layout);

}  // namespace dsgd
