#include "dsgd/model/metrics.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "dsgd/base/error.h"
#include "dsgd/model/kernel.h"
#include "dsgd/model/logistic.h"

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

double decision_cut(double threshold) noexcept {
  return threshold == 0.5 ? 0.0 : std::log(threshold / (1.0 - threshold));
}

Evaluation evaluate_scores(std::span<const double> z, std::span<const std::uint8_t> labels, double threshold) {
  if (z.size() != labels.size()) throw Error("evaluate_scores: score and label counts differ");
  Evaluation e;
  e.rows = z.size();
  e.threshold = threshold;
  const double cut = decision_cut(threshold);
  const double nan = std::nan("");
  std::vector<std::size_t> order;  // the rows with finite scores
  order.reserve(z.size());
  for (std::size_t i = 0; i < z.size(); ++i) {
    if (std::isfinite(z[i])) {
      order.push_back(i);
    } else if (e.non_finite++ == 0) {
      e.first_non_finite = i;
    }
  }
  if (order.empty()) {
    e.accuracy = e.log_loss = e.auc = e.precision = e.recall = e.f1 = nan;
    return e;
  }
  double loss = 0;
  for (const std::size_t i : order) {
    const bool y = labels[i] != 0;
    const bool predicted = z[i] > cut;
    e.true_positives += y && predicted;
    e.false_positives += !y && predicted;
    e.true_negatives += !y && !predicted;
    e.false_negatives += y && !predicted;
    loss += log_loss(z[i], y);
  }
  const auto n = static_cast<double>(order.size());
  const auto tp = static_cast<double>(e.true_positives);
  e.accuracy = (tp + static_cast<double>(e.true_negatives)) / n;
  e.log_loss = loss / n;
  const double predicted_positive = tp + static_cast<double>(e.false_positives);
  const double positives = tp + static_cast<double>(e.false_negatives);
  e.precision = predicted_positive > 0 ? tp / predicted_positive : nan;
  e.recall = positives > 0 ? tp / positives : nan;
  e.f1 = predicted_positive > 0 && positives > 0 ? 2 * tp / (predicted_positive + positives) : nan;

  // AUC = P(score of a random positive > score of a random negative), ties half: the
  // Mann-Whitney U from the ranks of the positives, tied scores sharing their mean rank.
  const double negatives = n - positives;
  if (positives == 0 || negatives == 0) {
    e.auc = nan;
    return e;
  }
  // Finite keys only: a strict weak order, and the tie loop below always advances.
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return z[a] < z[b]; });
  double positive_rank_sum = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    double tied_positives = 0;
    while (j < order.size() && z[order[j]] == z[order[i]]) tied_positives += labels[order[j++]] != 0;
    const double mean_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;  // ranks i+1 .. j
    positive_rank_sum += tied_positives * mean_rank;
    i = j;
  }
  e.auc = (positive_rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
  return e;
}

Metrics evaluate(const Dataset& data, const LinearModel& model) { return to_metrics(score(data, model)); }

}  // namespace dsgd
