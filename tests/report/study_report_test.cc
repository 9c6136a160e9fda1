// dsgd study's report: the files it writes, their contents, and what happens without gnuplot.
#include "dsgd/report/study_report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace dsgd {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Study small_study() {
  Study study;
  study.title = "test study";
  study.repeat = 3;
  study.cores = 2;
  study.kernel_target = "test";
  const double times[] = {0.100, 0.052, 0.080};
  const int workers[] = {1, 2, 4};
  for (int i = 0; i < 3; ++i) {
    StudyPoint p;
    p.workers = workers[i];
    p.rows = 1000000;
    p.features = 20;
    p.dtype = "f64";
    p.times_s = {times[i] * 1.01, times[i], times[i] * 0.99};
    p.median_s = times[i];
    p.min_s = times[i] * 0.99;
    p.max_s = times[i] * 1.01;
    p.compute_s = 0.1 / workers[i];
    p.steps = 1000.0 / workers[i];
    p.bytes_per_step = workers[i] > 1 ? 384 : 0;
    p.bound_s = 0.07 / std::min(workers[i], 2);
    p.bandwidth_gbs = 20.0 * std::min(workers[i], 2);
    for (std::size_t e = 1; e <= 3; ++e) {
      EpochProgress progress;
      progress.epoch = e;
      progress.holdout_loss = 0.5 / static_cast<double>(e);
      progress.time_s = 0.01;
      p.convergence.push_back(progress);
    }
    p.sample = {workers[i], 2, 8, 1e6 / workers[i], "dense d=20 f64", "threads", p.steps, p.steps * p.bytes_per_step, 0};
    study.points.push_back(p);
  }
  return study;
}

class StudyReport : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dsgd_study_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(StudyReport, FitsEveryPointAndSpeedupsFollowTheMedians) {
  Study study = small_study();
  fit_study(study, {8}, {{"50 us, 10 Gbit/s", {50e-6, 1.25e9}}});
  EXPECT_DOUBLE_EQ(measured_speedup(study, study.points[1]), 0.100 / 0.052);
  for (const StudyPoint& p : study.points) EXPECT_NEAR(p.predicted_s / p.median_s, 1.0, 0.2);
  // W = 8 on this machine's cores, and W = 2, 4, 8 on the network.
  ASSERT_EQ(study.extrapolations.size(), 4u);
  EXPECT_EQ(study.extrapolations[0].workers, 8);
  EXPECT_EQ(study.extrapolations[1].where, "hosts, 50 us, 10 Gbit/s");
}

TEST_F(StudyReport, WritesTheReportTheResultsAndThePlots) {
  Study study = small_study();
  fit_study(study, {}, {});
  const std::string note = write_study_report(dir_.string(), study);
  const std::string md = read(dir_ / "report.md");
  EXPECT_NE(md.find("# test study"), std::string::npos);
  EXPECT_NE(md.find("## Cost model"), std::string::npos);
  EXPECT_NE(md.find("![speedup](speedup.png)"), std::string::npos);
  std::istringstream csv(read(dir_ / "results.csv"));
  std::string line;
  int lines = 0;
  while (std::getline(csv, line)) ++lines;
  EXPECT_EQ(lines, 4);  // the header and three points
  const auto json = nlohmann::json::parse(read(dir_ / "results.json"));
  EXPECT_EQ(json.at("command"), "study");
  ASSERT_EQ(json.at("points").size(), 3u);
  EXPECT_EQ(json.at("points")[2].at("workers"), 4);
  EXPECT_EQ(json.at("points")[0].at("convergence").size(), 3u);
  const std::string gp = read(dir_ / "plots.gp");
  EXPECT_NE(gp.find("set output 'speedup.png'"), std::string::npos);
  EXPECT_NE(gp.find("set xlabel 'workers W'"), std::string::npos);
  if (!note.empty()) GTEST_SKIP() << note;  // no gnuplot: the text files are checked above
  for (const char* png : {"speedup.png", "breakdown.png", "convergence.png", "bytes.png"}) {
    const std::string bytes = read(dir_ / png);
    ASSERT_GT(bytes.size(), 1000u) << png;
    EXPECT_EQ(bytes.substr(1, 3), "PNG") << png;
  }
}

TEST_F(StudyReport, WithoutGnuplotSaysSoAndStillWritesTheText) {
  Study study = small_study();
  fit_study(study, {}, {});
  const char* path = std::getenv("PATH");
  const std::string saved = path != nullptr ? path : "";
  ::setenv("PATH", "/nonexistent", 1);
  const std::string note = write_study_report(dir_.string(), study);
  ::setenv("PATH", saved.c_str(), 1);
  EXPECT_NE(note.find("gnuplot"), std::string::npos) << note;
  EXPECT_TRUE(fs::exists(dir_ / "results.csv"));
  EXPECT_TRUE(fs::exists(dir_ / "report.md"));
  EXPECT_FALSE(fs::exists(dir_ / "speedup.png"));
}

}  // namespace
}  // namespace dsgd
