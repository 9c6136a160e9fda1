#include "dsgd/model/linear_model.h"

#include <fmt/format.h>

#include "dsgd/base/error.h"
#include "dsgd/model/kernel.h"

namespace dsgd {

void LinearModel::raw_weights(RawWeights& out) const {
  const std::size_t d = weights.size();
  out.weights.resize(d);
  if (!standardization) {
    std::copy(weights.begin(), weights.end(), out.weights.begin());
    out.bias = bias;
    return;
  }
  const Standardization& s = *standardization;
  double shift = 0;
  for (std::size_t j = 0; j < d; ++j) {
    out.weights[j] = weights[j] / s.scale[j];
    shift += out.weights[j] * s.mean[j];
  }
  out.bias = bias - shift;
}

std::vector<double> scores(const LinearModel& model, const Dataset& data) {
  if (model.features() != data.features())
    throw Error(fmt::format("the model has {} features, the data {}", model.features(), data.features()));
  return scores(model.raw_weights(), data);
}

std::vector<double> scores(const RawWeights& raw, const Dataset& data) {
  if (raw.weights.size() != data.features())
    throw Error(fmt::format("the model has {} features, the data {}", raw.weights.size(), data.features()));
  std::vector<double> z(data.rows());
  if (data.rows() > 0) data.visit([&](const auto& view) { compute_scores(view, raw.weights, raw.bias, z); });
  return z;
}

}  // namespace dsgd
