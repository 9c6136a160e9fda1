#include "dsgd/data/dataset.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <type_traits>

#include "dsgd/base/error.h"

namespace dsgd {

std::string_view to_string(DType dtype) noexcept {
  return dtype == DType::kF32 ? "f32" : dtype == DType::kF64 ? "f64" : "ones";
}
std::string_view to_string(Layout layout) noexcept { return layout == Layout::kDense ? "dense" : "sparse"; }

DType parse_dtype(std::string_view name) {
  if (name == "f32" || name == "float32" || name == "float") return DType::kF32;
  if (name == "f64" || name == "float64" || name == "double") return DType::kF64;
  throw ConfigError("unknown dtype '" + std::string(name) + "' (expected f32 or f64)");
}

namespace {
template <typename T>
detail::AlignedArray<T> make_array(std::size_t n) {
  return detail::AlignedArray<T>(static_cast<T*>(detail::aligned_allocate(n * sizeof(T))));
}
}  // namespace

Dataset::Dataset(Layout layout, DType dtype, std::size_t rows, std::size_t features, std::size_t values,
                 std::size_t first_row)
    : layout_(layout), dtype_(dtype), rows_(rows), features_(features), values_(values), first_row_(first_row),
      labels_(make_array<std::uint8_t>(rows)) {
  if (features == 0) throw ConfigError("a data set needs at least one feature");
  if (dtype == DType::kOnes) {
    if (layout == Layout::kDense) throw Error("Dataset: dense rows store their values (kOnes is sparse only)");
  } else if (dtype == DType::kF32) {
    x_ = make_array<float>(values);
  } else {
    x_ = make_array<double>(values);
  }
  if (layout == Layout::kSparse) {
    offsets_ = make_array<std::uint64_t>(rows + 1);
    indices_ = make_array<std::uint32_t>(values);
    offsets_[0] = 0;
  }
  view_owned();
}

void Dataset::view_owned() noexcept {
  std::visit([&](const auto& array) { x_view_ = array.get(); }, x_);
  offsets_view_ = offsets_.get();
  indices_view_ = indices_.get();
  labels_view_ = labels_.get();
}

void Dataset::throw_read_only() {
  throw Error("Dataset: this array is borrowed (read in place from a cache or an array) and cannot be written");
}

Dataset Dataset::sparse_over(DType dtype, std::size_t rows, std::size_t features, std::size_t nonzeros,
                             std::size_t first_row, std::shared_ptr<const void> owner, const std::uint32_t* indices,
                             const void* values, const std::uint64_t* offsets, const std::uint8_t* labels,
                             bool mapped) {
  Dataset out(Layout::kSparse, dtype, rows, features, 0, first_row);  // owns only what is not given
  out.values_ = nonzeros;
  out.owner_ = std::move(owner);
  out.mapped_ = mapped;
  out.x_ = detail::AlignedArray<double>();
  if (dtype == DType::kF32) out.x_ = detail::AlignedArray<float>();
  out.indices_.reset();
  out.x_view_ = values;
  out.indices_view_ = indices;
  if (offsets != nullptr) {
    out.offsets_.reset();
    out.offsets_view_ = offsets;
  }
  if (labels != nullptr) {
    out.labels_.reset();
    out.labels_view_ = labels;
  }
  return out;
}

Dataset Dataset::dense_over(DType dtype, std::size_t rows, std::size_t features, std::size_t first_row,
                            std::shared_ptr<const void> owner, const void* values, const std::uint8_t* labels) {
  Dataset out(Layout::kDense, dtype, rows, features, 0, first_row);  // owns only the labels, when not given
  out.values_ = rows * features;
  out.owner_ = std::move(owner);
  out.x_ = detail::AlignedArray<double>();
  if (dtype == DType::kF32) out.x_ = detail::AlignedArray<float>();
  out.x_view_ = values;
  if (labels != nullptr) {
    out.labels_.reset();
    out.labels_view_ = labels;
  }
  return out;
}

Dataset::Dataset(DType dtype, std::size_t rows, std::size_t features, std::size_t first_row)
    : Dataset(Layout::kDense, dtype, rows, features, rows * features, first_row) {}

Dataset Dataset::sparse(DType dtype, std::size_t rows, std::size_t features, std::size_t nonzeros,
                        std::size_t first_row) {
  return {Layout::kSparse, dtype, rows, features, nonzeros, first_row};
}

template <typename T>
std::span<T> Dataset::features_as() {
  auto* array = std::get_if<detail::AlignedArray<T>>(&x_);
  if (array == nullptr || dtype_ == DType::kOnes) throw Error("Dataset::features_as: type does not match the dtype");
  return {owned(*array), values_};
}

template <typename T>
std::span<const T> Dataset::features_as() const {
  if (std::get_if<detail::AlignedArray<T>>(&x_) == nullptr || dtype_ == DType::kOnes)
    throw Error("Dataset::features_as: type does not match the dtype");
  return {static_cast<const T*>(x_view_), values_};
}

template <typename T>
DenseView<T> Dataset::view() const {
  if (layout_ != Layout::kDense) throw Error("Dataset::view: the data set is sparse");
  return {features_as<T>().data(), labels_view_, rows_, features_, weights_.get()};
}

template <typename T>
SparseView<T> Dataset::sparse_view() const {
  if (layout_ != Layout::kSparse) throw Error("Dataset::sparse_view: the data set is dense");
  if constexpr (std::is_same_v<T, Ones>) {
    if (dtype_ != DType::kOnes) throw Error("Dataset::sparse_view: the rows store their values");
    return {offsets_view_, indices_view_, nullptr, labels_view_, rows_, features_, weights_.get()};
  } else {
    return {offsets_view_, indices_view_, features_as<T>().data(), labels_view_, rows_, features_, weights_.get()};
  }
}

std::size_t Dataset::rows_bytes(RowRange rows) const noexcept {
  if (layout_ == Layout::kDense) return (rows.end - rows.begin) * features_ * size_of(dtype_);
  return (offsets_view_[rows.end] - offsets_view_[rows.begin]) * (sizeof(std::uint32_t) + size_of(dtype_));
}

void Dataset::advise_rows(RowRange rows, detail::PageAdvice advice) const noexcept {
  if (!mapped_ || rows.begin >= rows.end) return;
  const std::uint64_t v0 = offsets_view_[rows.begin], v1 = offsets_view_[rows.end];
  detail::advise_pages(indices_view_ + v0, (v1 - v0) * sizeof(std::uint32_t), advice);
  if (x_view_ != nullptr)
    detail::advise_pages(static_cast<const char*>(x_view_) + v0 * size_of(dtype_), (v1 - v0) * size_of(dtype_), advice);
}

void Dataset::release(RowRange rows) const noexcept {
  advise_rows(rows, detail::PageAdvice::kRelease);
}

void Dataset::read_at_random(RowRange rows) const noexcept {
  advise_rows(rows, detail::PageAdvice::kRandom);
}

void Dataset::prefetch(std::size_t first, const std::uint32_t* rows, std::size_t count) const noexcept {
  if (!mapped_) return;
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t i = first + (rows != nullptr ? rows[k] : k);
    advise_rows({i, i + 1}, detail::PageAdvice::kWillNeed);
  }
}

std::span<double> Dataset::add_sample_weights() {
  if (!weighted()) {
    weights_ = make_array<double>(rows_);
    std::fill_n(weights_.get(), rows_, 1.0);
  }
  return sample_weights();
}

template std::span<float> Dataset::features_as<float>();
template std::span<double> Dataset::features_as<double>();
template std::span<const float> Dataset::features_as<float>() const;
template std::span<const double> Dataset::features_as<double>() const;
template DenseView<float> Dataset::view<float>() const;
template DenseView<double> Dataset::view<double>() const;
template SparseView<float> Dataset::sparse_view<float>() const;
template SparseView<double> Dataset::sparse_view<double>() const;
template SparseView<Ones> Dataset::sparse_view<Ones>() const;

namespace {

template <typename T>
Dataset dense_to_sparse(const Dataset& data) {
  const DenseView<T> v = data.view<T>();
  std::size_t nonzeros = 0;
  for (std::size_t k = 0; k < v.rows * v.cols; ++k) nonzeros += v.x[k] != T{0};
  Dataset out = Dataset::sparse(data.dtype(), v.rows, v.cols, nonzeros, data.first_row());
  auto offsets = out.offsets();
  auto index = out.indices();
  auto value = out.features_as<T>();
  std::size_t k = 0;
  for (std::size_t i = 0; i < v.rows; ++i) {
    for (std::size_t j = 0; j < v.cols; ++j) {
      if (v.row(i)[j] == T{0}) continue;
      index[k] = static_cast<std::uint32_t>(j);
      value[k++] = v.row(i)[j];
    }
    offsets[i + 1] = k;
  }
  return out;
}

// (Ones become f64 values.)
template <typename T>
Dataset sparse_to_dense(const Dataset& data) {
  using Value = std::conditional_t<std::is_same_v<T, Ones>, double, T>;
  const SparseView<T> v = data.sparse_view<T>();
  Dataset out(std::is_same_v<T, Ones> ? DType::kF64 : data.dtype(), v.rows, v.cols, data.first_row());
  auto x = out.features_as<Value>();
  std::fill(x.begin(), x.end(), Value{0});
  for (std::size_t i = 0; i < v.rows; ++i) {
    for (std::uint64_t k = v.offsets[i]; k < v.offsets[i + 1]; ++k)
      x[i * v.cols + v.index[k]] = static_cast<Value>(v.value_of(k));
  }
  return out;
}

template <typename T>
Dataset copy_of(const Dataset& data) {
  Dataset out = data.layout() == Layout::kSparse
                    ? Dataset::sparse(data.dtype(), data.rows(), data.features(), data.values(), data.first_row())
                    : Dataset(data.dtype(), data.rows(), data.features(), data.first_row());
  std::copy(data.offsets().begin(), data.offsets().end(), out.offsets().begin());
  std::copy(data.indices().begin(), data.indices().end(), out.indices().begin());
  if constexpr (!std::is_same_v<T, Ones>) {
    const auto values = data.features_as<T>();
    std::copy(values.begin(), values.end(), out.features_as<T>().begin());
  }
  return out;
}

template <typename T>
Dataset convert(const Dataset& data, Layout layout) {
  if (data.layout() == layout) return copy_of<T>(data);
  if constexpr (std::is_same_v<T, Ones>) {
    return sparse_to_dense<T>(data);
  } else {
    return layout == Layout::kSparse ? dense_to_sparse<T>(data) : sparse_to_dense<T>(data);
  }
}

}  // namespace

namespace {

template <typename T, typename V>
void put_rows_as(Dataset& data, std::size_t at, std::size_t count, std::size_t value_at,
                 const std::uint64_t* offsets, const std::uint32_t* index, const V* value) {
  const auto x_of = [&](std::uint64_t k) {
    if constexpr (std::is_same_v<T, Ones>) {
      return 1.0;
    } else {
      return value != nullptr ? static_cast<T>(value[k]) : T{1};
    }
  };
  if (data.layout() == Layout::kSparse) {
    const std::uint64_t first = offsets[0];
    auto out = data.offsets();
    for (std::size_t i = 0; i < count; ++i) out[at + i + 1] = value_at + (offsets[i + 1] - first);
    std::copy(index + first, index + offsets[count], data.indices().begin() + static_cast<std::ptrdiff_t>(value_at));
    if constexpr (!std::is_same_v<T, Ones>) {
      T* x = data.features_as<T>().data() + value_at;
      for (std::uint64_t k = first; k < offsets[count]; ++k) x[k - first] = x_of(k);
    }
    return;
  }
  if constexpr (!std::is_same_v<T, Ones>) {
    const std::size_t d = data.features();
    T* rows = data.features_as<T>().data() + at * d;
    std::fill(rows, rows + count * d, T{0});
    for (std::size_t i = 0; i < count; ++i) {
      for (std::uint64_t k = offsets[i]; k < offsets[i + 1]; ++k) rows[i * d + index[k]] = x_of(k);
    }
  }
}

template <typename V>
void put_rows(Dataset& data, std::size_t at, std::size_t count, std::size_t value_at, const std::uint64_t* offsets,
              const std::uint32_t* index, const V* value) {
  if (data.dtype() == DType::kOnes) {
    put_rows_as<Ones>(data, at, count, value_at, offsets, index, value);
  } else if (data.dtype() == DType::kF32) {
    put_rows_as<float>(data, at, count, value_at, offsets, index, value);
  } else {
    put_rows_as<double>(data, at, count, value_at, offsets, index, value);
  }
}

}  // namespace

void put_csr_rows(Dataset& data, std::size_t at, std::size_t count, std::size_t value_at,
                  const std::uint64_t* offsets, const std::uint32_t* index, const double* value) {
  put_rows(data, at, count, value_at, offsets, index, value);
}
void put_csr_rows(Dataset& data, std::size_t at, std::size_t count, std::size_t value_at,
                  const std::uint64_t* offsets, const std::uint32_t* index, const float* value) {
  put_rows(data, at, count, value_at, offsets, index, value);
}

Dataset to_layout(const Dataset& data, Layout layout) {
  Dataset out = data.dtype() == DType::kOnes  ? convert<Ones>(data, layout)
                : data.dtype() == DType::kF32 ? convert<float>(data, layout)
                                              : convert<double>(data, layout);
  std::copy(data.labels().begin(), data.labels().end(), out.labels().begin());
  if (data.weighted()) std::ranges::copy(data.sample_weights(), out.add_sample_weights().begin());
  return out;
}

}  // namespace dsgd
