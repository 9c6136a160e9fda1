#include "dsgd/model/logistic.h"

#include <gtest/gtest.h>

#include <cmath>

namespace dsgd {
namespace {

TEST(Sigmoid, IsFiniteAndSaturatesAtExtremeScores) {
  EXPECT_EQ(sigmoid(0.0), 0.5);
  EXPECT_EQ(sigmoid(1000.0), 1.0);
  EXPECT_EQ(sigmoid(-1000.0), 0.0);
  EXPECT_EQ(sigmoid(1e300), 1.0);
  EXPECT_GT(sigmoid(-700.0), 0.0);  // exp(-700) is representable: no underflow to 0 yet
  EXPECT_NEAR(sigmoid(2.0) + sigmoid(-2.0), 1.0, 3e-16);  // a rounding or two
  EXPECT_NEAR(sigmoid(1.0), 1.0 / (1.0 + std::exp(-1.0)), 1e-16);
}

TEST(LogLoss, IsExactAndFiniteAtExtremeScores) {
  EXPECT_NEAR(log_loss(0.0, true), std::log(2.0), 1e-16);
  EXPECT_EQ(log_loss(1000.0, true), 0.0);
  EXPECT_EQ(log_loss(-1000.0, true), 1000.0);  // log(1 + e^1000) = 1000 + log1p(e^-1000)
  EXPECT_EQ(log_loss(1000.0, false), 1000.0);
  EXPECT_EQ(log_loss(-1000.0, false), 0.0);
  EXPECT_TRUE(std::isfinite(log_loss(-1e300, true)));
  EXPECT_NEAR(log_loss(-30.0, true), 30.0 + std::log1p(std::exp(-30.0)), 1e-13);
  // Tiny losses keep their precision (a naive log(1 + exp(-z)) gives 0 here).
  EXPECT_NEAR(log_loss(40.0, true), std::exp(-40.0), 1e-30);
}

}  // namespace
}  // namespace dsgd
