// dsgd study: a small sweep end to end, its report folder, and its refusals.
#include "cli_fixture.h"

namespace cli_testing {
namespace {

TEST_F(CliTest, StudySweepsWorkersAndWritesTheReport) {
  const Result r = dsgd(std::string("study ") + kSmall +
                        " --workers 1,2 --vary batch=256,512 --repeat 2 --warmup 0 --network 50,10 --report out");
  ASSERT_EQ(r.code, 0) << r.err;
  // Four points (two batches x two worker counts), each a line as it is measured, then the table.
  for (const char* series : {"batch=256", "batch=512"}) {
    EXPECT_TRUE(has_line_starting(r.out, std::string(series) + " ")) << series << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("Cost model fitted to 4 points"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hosts, 50 us, 10 Gbit/s"), std::string::npos) << r.out;
  const json j = json::parse(read_text(path("out/results.json")));
  ASSERT_EQ(j.at("points").size(), 4u);
  for (const json& p : j.at("points")) {
    EXPECT_EQ(p.at("times_s").size(), 2u);
    EXPECT_EQ(p.at("rows"), 20000);
    EXPECT_GT(p.at("predicted_s").get<double>(), 0);
    EXPECT_EQ(p.at("convergence").size(), 2u);  // --epochs 2, held-out loss each
  }
  // The same batch gives the same weights whatever the repetition (median_run checks), and the
  // batches differ in their steps: 20000 / 256 / W against 20000 / 512 / W a epoch.
  EXPECT_GT(j.at("points")[0].at("steps").get<double>(), j.at("points")[2].at("steps").get<double>());
  EXPECT_TRUE(fs::exists(path("out/report.md")));
  EXPECT_TRUE(fs::exists(path("out/results.csv")));
  EXPECT_TRUE(fs::exists(path("out/plots.gp")));
}

TEST_F(CliTest, StudyWeakScalingGrowsTheRowsWithTheWorkers) {
  const Result r = dsgd(std::string("study ") + kSmall +
                        " --workers 1,2 --scaling weak --repeat 1 --warmup 0 --no-convergence --report out");
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(read_text(path("out/results.json")));
  ASSERT_EQ(j.at("points").size(), 2u);
  EXPECT_EQ(j.at("points")[0].at("rows"), 20000);
  EXPECT_EQ(j.at("points")[1].at("rows"), 40000);
  EXPECT_TRUE(j.at("points")[1].at("convergence").empty());
}

TEST_F(CliTest, StudyRefusesBadSweepsWithOneLine) {
  for (const char* args : {"study --vary bogus=1,2", "study --vary batch=0", "study --vary batch=", "study --vary batch",
                           "study --vary workers=1,2", "study --workers 0", "study --workers 1,,2",
                           "study --network 50", "study --network 50,0", "study --vary dtype=f16",
                           "study --seed-sweeps --epochs 2", "study --scaling sideways", "study --repeat 0"}) {
    SCOPED_TRACE(args);
    const Result r = dsgd(args);
    EXPECT_EQ(r.code, 2);
    expect_one_line_error(r);
  }
  const Result r = dsgd(std::string("study ") + kSmall + " --report /proc/no/such/folder");
  EXPECT_EQ(r.code, 1);
  expect_one_line_error(r);
  EXPECT_NE(r.err.find("/proc/no/such/folder"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cli_testing
