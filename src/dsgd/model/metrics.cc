#include "dsgd/model/metrics.h"

#include <cmath>

#include "dsgd/error.h"
#include "dsgd/model/kernel.h"

namespace dsgd {

PassSums score(const Dataset& data, const LinearModel& model) {
  if (model.features() != data.features()) throw Error("score: weight and feature counts differ");
  const RawWeights raw = model.raw_weights();
  PassSums sums;
  if (data.rows() > 0) data.visit([&](const auto& view) { accumulate_loss(view, raw.weights, raw.bias, sums); });
  return sums;
}

Metrics to_metrics(const PassSums& sums) noexcept {
  if (sums.count == 0) return {std::nan(""), std::nan("")};
  return {sums.correct / sums.count, sums.loss / sums.count};
}

Metrics evaluate(const Dataset& data, const LinearModel& model) { return to_metrics(score(data, model)); }

}  // namespace dsgd
