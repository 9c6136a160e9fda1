#include "dsgd/train/config/schedule.h"

#include <gtest/gtest.h>

namespace dsgd {
namespace {

TEST(LinearWarmup, RampsPerStepFromBaseToBaseTimesWorkers) {
  const LinearWarmup s(0.1, 4, 10);
  EXPECT_DOUBLE_EQ(s.at(0), 0.1);
  EXPECT_DOUBLE_EQ(s.at(5), 0.1 + 0.3 * 0.5);
  EXPECT_DOUBLE_EQ(s.at(9), 0.1 + 0.3 * 0.9);
  EXPECT_DOUBLE_EQ(s.at(10), 0.4);
  EXPECT_DOUBLE_EQ(s.at(1000), 0.4);
  EXPECT_DOUBLE_EQ(s.target(), 0.4);
}

TEST(LinearWarmup, NoWarmupStartsAtTheTarget) {
  const LinearWarmup s(0.1, 3, 0);
  EXPECT_DOUBLE_EQ(s.at(0), 0.1 * 3);
}

TEST(LinearWarmup, OneWorkerIsConstant) {
  const LinearWarmup s(0.25, 1, 7);
  for (std::size_t step = 0; step < 20; ++step) EXPECT_EQ(s.at(step), 0.25);
}

}  // namespace
}  // namespace dsgd
