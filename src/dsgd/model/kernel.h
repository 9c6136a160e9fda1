#pragma once
// The hot path: one fused pass over the rows of a micro-batch.
//
// For each row i: z = x_i . w + b (double), p = sigmoid(z), r = p - y_i; grad += r * x_i. The same
// pass adds the row's log-loss and whether sign(z) matched the label, so training reports a
// progressive loss without a second pass. Rows are processed in blocks that stay in L1 between
// the dot products and the accumulation; the math is vectorised with Highway and dispatched to
// the best instruction set of the running CPU. Float data is widened to double, and rows of
// ones (SparseView<Ones>) take the sparse pass with x = 1: every sum is accumulated in double,
// and ones give the bits of the same rows stored with values. The order of every sum depends only on the rows and the CPU's vector
// width, so the same inputs give the same bits on every call.
//
// Data with sample weights (the view's sample_weight) is weighted in every sum: row i's
// residual, loss and hit are multiplied by its weight c_i, and the count is the sum of the
// weights, so a row of weight 2 contributes what the row written twice would.
#include <cstddef>
#include <cstdint>
#include <span>

#include "dsgd/data/dataset.h"
#include "dsgd/model/touched.h"

namespace dsgd {

// Running sums of one pass. Everything is a double so the whole struct can be allreduced.
struct PassSums {
  double count = 0;     // rows seen (their total weight, for weighted data)
  double loss = 0;      // sum of log-loss
  double correct = 0;   // rows with (z > 0) == y
  double residual = 0;  // sum of sigmoid(z) - y: the gradient of the bias
};

// Adds the gradient sum over rows `rows` of `data` (rows[k] indexes data; nullptr means rows
// 0..count-1 in order) to grad[0..d), and their sums to `sums`, for the model z = x . w + bias.
// w and grad have data.cols elements (checked). Dense data takes the blocked SIMD pass; sparse
// data gathers w at each row's columns and scatters the gradient back.
void accumulate_gradient(const DenseView<double>& data, const std::uint32_t* rows, std::size_t count,
                         std::span<const double> w, double bias, std::span<double> grad, PassSums& sums);
void accumulate_gradient(const DenseView<float>& data, const std::uint32_t* rows, std::size_t count,
                         std::span<const double> w, double bias, std::span<double> grad, PassSums& sums);
void accumulate_gradient(const SparseView<double>& data, const std::uint32_t* rows, std::size_t count,
                         std::span<const double> w, double bias, std::span<double> grad, PassSums& sums);
void accumulate_gradient(const SparseView<float>& data, const std::uint32_t* rows, std::size_t count,
                         std::span<const double> w, double bias, std::span<double> grad, PassSums& sums);
void accumulate_gradient(const SparseView<Ones>& data, const std::uint32_t* rows, std::size_t count,
                         std::span<const double> w, double bias, std::span<double> grad, PassSums& sums);

// The sparse pass of training on interleaved slots: column j's weight is slots[stride * j] and
// its gradient sum slots[stride * j + offset] (added to), 0 < offset < stride; stride is 2, or
// more where the update keeps other values a column beside them (adagrad's squares, the other
// workers' gradients of a shared model). So the random reads and writes of a column touch one
// cache line, not two. The model's weights are w_scale * the stored ones (the scale factor in which a
// lazy L2 penalty is kept); every column the rows hold is marked in `touched`. slots has
// stride * data.cols elements. With w_scale 1 the sums are the bits of the overloads above.
void accumulate_gradient_pairs(const SparseView<double>& data, const std::uint32_t* rows, std::size_t count,
                               std::span<double> slots, std::size_t stride, std::size_t offset, double w_scale,
                               double bias, TouchedSet& touched, PassSums& sums);
void accumulate_gradient_pairs(const SparseView<float>& data, const std::uint32_t* rows, std::size_t count,
                               std::span<double> slots, std::size_t stride, std::size_t offset, double w_scale,
                               double bias, TouchedSet& touched, PassSums& sums);
void accumulate_gradient_pairs(const SparseView<Ones>& data, const std::uint32_t* rows, std::size_t count,
                               std::span<double> slots, std::size_t stride, std::size_t offset, double w_scale,
                               double bias, TouchedSet& touched, PassSums& sums);

// Loss and accuracy sums over all rows of `data`, without a gradient.
void accumulate_loss(const DenseView<double>& data, std::span<const double> w, double bias, PassSums& sums);
void accumulate_loss(const DenseView<float>& data, std::span<const double> w, double bias, PassSums& sums);
void accumulate_loss(const SparseView<double>& data, std::span<const double> w, double bias, PassSums& sums);
void accumulate_loss(const SparseView<float>& data, std::span<const double> w, double bias, PassSums& sums);
void accumulate_loss(const SparseView<Ones>& data, std::span<const double> w, double bias, PassSums& sums);

// z[i] = x_i . w + bias for every row of `data` (z has data.rows elements).
void compute_scores(const DenseView<double>& data, std::span<const double> w, double bias, std::span<double> z);
void compute_scores(const DenseView<float>& data, std::span<const double> w, double bias, std::span<double> z);
void compute_scores(const SparseView<double>& data, std::span<const double> w, double bias, std::span<double> z);
void compute_scores(const SparseView<float>& data, std::span<const double> w, double bias, std::span<double> z);
void compute_scores(const SparseView<Ones>& data, std::span<const double> w, double bias, std::span<double> z);

// The instruction set Highway chose on this CPU (e.g. "AVX3_ZEN4"), for reports.
[[nodiscard]] const char* kernel_target() noexcept;

}  // namespace dsgd
