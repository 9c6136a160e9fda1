#pragma once
// Scoring a weight vector on a data set.
#include <span>

#include "dsgd/data/dataset.h"
#include "dsgd/model/kernel.h"
#include "dsgd/model/linear_model.h"

namespace dsgd {

struct Metrics {
  double accuracy = 0;  // share of rows with (x . w > 0) == label
  double log_loss = 0;  // mean log-loss
};

// Scores w on every row of data; a data set without rows has no score (both NaN, which the
// reports print as n/a and JSON as null).
[[nodiscard]] Metrics evaluate(const Dataset& data, const LinearModel& model);

// The sums behind evaluate(), so that shards scored apart can be added up (a sum over no rows
// gives NaN metrics).
[[nodiscard]] PassSums score(const Dataset& data, const LinearModel& model);
[[nodiscard]] Metrics to_metrics(const PassSums& sums) noexcept;

}  // namespace dsgd
