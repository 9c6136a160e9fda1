#pragma once
// The parameters of a logistic-regression model and the scores they give.
//
// With standardisation, training sees x'_j = (x_j - mean_j) / scale_j. The kernels never build
// x': the model's raw_weights() fold the transform into weights v_j = w_j / scale_j and bias
// b - sum_j v_j mean_j for the raw x, so sparse data stays sparse and nothing is copied.
#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "dsgd/data/dataset.h"

namespace dsgd {

struct Standardization {
  std::vector<double> mean;
  std::vector<double> scale;  // > 0 (a constant feature gets 1)
};

// Raw-space weights: z = x . weights + bias for an unstandardised row x.
struct RawWeights {
  std::vector<double> weights;
  double bias = 0;
};

struct LinearModel {
  std::vector<double> weights;  // one per feature, in the standardised space when there is one
  double bias = 0;
  std::optional<Standardization> standardization;

  [[nodiscard]] std::size_t features() const noexcept { return weights.size(); }
  // Whether its standardisation shifts a feature (a non-zero mean): then a sparse row is dense
  // in the model's space, and no update of it can be lazy.
  [[nodiscard]] bool centred() const noexcept {
    return standardization && std::any_of(standardization->mean.begin(), standardization->mean.end(),
                                          [](double m) { return m != 0.0; });
  }
  // Fills out (resized to features()) with the raw-space weights.
  void raw_weights(RawWeights& out) const;
  [[nodiscard]] RawWeights raw_weights() const {
    RawWeights out;
    raw_weights(out);
    return out;
  }
};

// z = x . w + b for every row of data (data.features() must equal the model's; checked).
[[nodiscard]] std::vector<double> scores(const LinearModel& model, const Dataset& data);
// The same with the model's raw weights made once (for many calls: a data set streamed in blocks).
[[nodiscard]] std::vector<double> scores(const RawWeights& raw, const Dataset& data);

}  // namespace dsgd
