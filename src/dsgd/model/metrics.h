#pragma once
// Scoring a weight vector on a data set.
#include <cstddef>
#include <cstdint>
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

// The full evaluation of a binary classifier from its scores: decisions at probability >
// `threshold` (0.5: z > 0), the log-loss from the scores, and the ROC AUC from their ranking (ties count half).
// With no rows, every figure is NaN; precision is NaN when nothing is predicted positive and
// recall when there are no positives, F1 when either is. A non-finite score (NaN or +-Inf: the
// weights times the features overflowed) is counted in non_finite and left out of every figure,
// so the figures are those of the other rows (and NaN when there are none).
struct Evaluation {
  std::size_t rows = 0;
  std::size_t non_finite = 0;       // rows whose score is NaN or +-Inf (not in the figures)
  std::size_t first_non_finite = 0;  // the first such row (0-based), when non_finite > 0
  double threshold = 0.5;           // of the decisions (accuracy, precision, recall, F1, the counts)
  double accuracy = 0;
  double log_loss = 0;
  double auc = 0;
  double precision = 0;
  double recall = 0;
  double f1 = 0;
  std::size_t true_positives = 0;
  std::size_t false_positives = 0;
  std::size_t true_negatives = 0;
  std::size_t false_negatives = 0;
};
[[nodiscard]] Evaluation evaluate_scores(std::span<const double> z, std::span<const std::uint8_t> labels,
                                         double threshold = 0.5);
// The score above which a row is decided positive at probability `threshold`: sigmoid(z) > t
// <=> z > log(t / (1 - t)); 0 at 0.5, -inf at 0, +inf at 1.
[[nodiscard]] double decision_cut(double threshold) noexcept;

}  // namespace dsgd
