#include "dsgd/model/metrics.h"

#include <cmath>

#include "dsgd/error.h"
#include "dsgd/model/kernel.h"

namespace dsgd {

Metrics evaluate(const Dataset& data, std::span<const double> w) {
  if (w.size() != data.features()) throw Error("evaluate: weight and feature counts differ");
  if (data.rows() == 0) return {std::nan(""), std::nan("")};
  PassSums sums;
  data.visit([&](const auto& view) { accumulate_loss(view, w, sums); });
  return {sums.correct / sums.count, sums.loss / sums.count};
}

}  // namespace dsgd
