#include "dsgd/base/progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace dsgd {
namespace {

TEST(Progress, LinesSayHowFarHowLongAndHowLongLeft) {
  EXPECT_EQ(Progress::line("generating", 30'000'000, 120'000'000, "rows", 5, false),
            "generating: 25% (30.0M of 120.0M rows) in 5 s, about 15 s left");
  EXPECT_EQ(Progress::line("reading f", 12'345, 12'345, "bytes", 2, true),
            "reading f [##############################] 100% 12.3k/12.3k bytes 2 s");
  // Half done: half the bar; too early for an estimate of what is left; past the end: the total.
  EXPECT_EQ(Progress::line("x", 50, 100, "rows", 1, true), "x [###############               ]  50% 50/100 rows 1 s, about 1 s left");
  EXPECT_EQ(Progress::line("x", 1, 100, "rows", 1, false), "x: 1% (1 of 100 rows) in 1 s");
  EXPECT_EQ(Progress::line("x", 300, 100, "rows", 1, false), "x: 100% (100 of 100 rows) in 1 s");
}

TEST(Progress, ATaskDoneBeforeTheFirstShowingShowsNothing) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  {
    Progress progress("quick", 10, "rows", true, out);
    progress.add(10);
  }
  EXPECT_EQ(std::ftell(out), 0);
  std::fclose(out);
}

}  // namespace
}  // namespace dsgd
