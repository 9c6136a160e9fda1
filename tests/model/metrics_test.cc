// The evaluation is total over NaN and Inf scores: it always ends, counts the non-finite rows
// apart and gives the figures of the others.
#include "dsgd/model/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace dsgd {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(Evaluation, TiedScoresShareTheirRankInTheAuc) {
  // positives 0.5, 2; negatives -1, 0.5: pairs (0.5 vs -1) 1, (0.5 vs 0.5) 1/2, (2 vs -1) 1, (2 vs 0.5) 1
  const Evaluation e = evaluate_scores(std::vector{0.5, -1.0, 0.5, 2.0}, std::vector<std::uint8_t>{1, 0, 0, 1});
  EXPECT_DOUBLE_EQ(e.auc, 3.5 / 4);
  EXPECT_EQ(e.non_finite, 0U);
}

TEST(Evaluation, NonFiniteScoresAreCountedApartAndNeverHang) {
  const std::vector<double> z = {kNan, 0.5, -1.0, kInf, 0.5, kNan, 2.0, -kInf};
  const std::vector<std::uint8_t> y = {1, 1, 0, 0, 0, 0, 1, 1};
  const Evaluation e = evaluate_scores(z, y);
  EXPECT_EQ(e.rows, 8U);
  EXPECT_EQ(e.non_finite, 4U);
  EXPECT_EQ(e.first_non_finite, 0U);
  const Evaluation finite = evaluate_scores(std::vector{0.5, -1.0, 0.5, 2.0}, std::vector<std::uint8_t>{1, 0, 0, 1});
  EXPECT_EQ(e.auc, finite.auc);
  EXPECT_EQ(e.accuracy, finite.accuracy);
  EXPECT_EQ(e.log_loss, finite.log_loss);
  EXPECT_EQ(e.true_positives + e.false_positives + e.true_negatives + e.false_negatives, 4U);
}

TEST(Evaluation, OnlyNonFiniteScoresGiveNoFigures) {
  const Evaluation e = evaluate_scores(std::vector{kNan, kNan, kInf}, std::vector<std::uint8_t>{1, 0, 1});
  EXPECT_EQ(e.non_finite, 3U);
  EXPECT_TRUE(std::isnan(e.accuracy));
  EXPECT_TRUE(std::isnan(e.auc));
  EXPECT_TRUE(std::isnan(e.log_loss));
}

}  // namespace
}  // namespace dsgd
