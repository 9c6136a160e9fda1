// A train report's JSON read back (run_report_from_json): what dsgd study reads of a run it
// started in another process must be what the run wrote.
#include <gtest/gtest.h>

#include <cmath>

#include "dsgd/error.h"
#include "dsgd/report/report.h"

namespace dsgd {
namespace {

TrainReport known_report() {
  TrainReport report;
  report.data.samples = 1000;
  report.data.test_samples = 200;
  report.data.features = 3;
  report.config.workers = 2;
  RunReport& r = report.result;
  r.run.model.weights = {0.1, -2.5e-17, 3.0 / 7.0};
  r.run.model.bias = -1.0 / 3.0;
  r.run.steps = 16;
  r.run.best_epoch = 2;
  r.run.time_s = 0.125;
  r.run.response_time_s = 0.130;
  r.run.compute_s = 0.1;
  r.run.exchange_s = 0.02;
  r.run.comm_s = 0.015;
  r.run.wait_s = 0.005;
  r.run.per_worker = {{16, 1536, 1537, 0.015, 0.005}, {17, 10, 11, 0.25, 0.5}};
  r.run.algorithm = "threads: shared memory, rank-ordered pairwise tree";
  r.run.epochs = {{1, 0.6, 0.7, std::nan(""), std::nan(""), 0.15, 0.06}, {2, 0.5, 0.8, 0.55, 0.75, 0.2, 0.065}};
  r.times_s = {0.125, 0.25, 0.0625};
  r.train = {0.8, 0.5};
  r.test = {0.75, 0.55};
  r.bound_s = 0.001;
  r.bandwidth_gbs = 35.5;
  r.bandwidth_source = "measured now";
  r.random_bound_s = 0.002;
  r.random_reads_per_s = 3e8;
  return report;
}

TEST(RunReportJson, ReadsBackWhatTheReportWrote) {
  const TrainReport report = known_report();
  const RunReport& w = report.result;
  // Through text, as a file is read: the numbers must round-trip exactly.
  const RunReport r = run_report_from_json(nlohmann::json::parse(to_json(report).dump()));
  EXPECT_EQ(r.run.model.weights, w.run.model.weights);
  EXPECT_EQ(r.run.model.bias, w.run.model.bias);
  EXPECT_EQ(r.run.steps, w.run.steps);
  EXPECT_EQ(r.run.best_epoch, w.run.best_epoch);
  EXPECT_EQ(r.run.time_s, w.run.time_s);
  EXPECT_EQ(r.run.response_time_s, w.run.response_time_s);
  EXPECT_EQ(r.run.compute_s, w.run.compute_s);
  EXPECT_EQ(r.run.exchange_s, w.run.exchange_s);
  EXPECT_EQ(r.run.comm_s, w.run.comm_s);
  EXPECT_EQ(r.run.wait_s, w.run.wait_s);
  EXPECT_EQ(r.run.algorithm, w.run.algorithm);
  EXPECT_TRUE(r.run.bytes_measured);
  ASSERT_EQ(r.run.per_worker.size(), 2u);
  EXPECT_EQ(r.run.per_worker[1].syncs, 17u);
  EXPECT_EQ(r.run.per_worker[1].bytes_sent, 10u);
  EXPECT_EQ(r.run.per_worker[1].bytes_received, 11u);
  EXPECT_EQ(r.run.per_worker[1].comm_s, 0.25);
  EXPECT_EQ(r.run.per_worker[1].wait_s, 0.5);
  ASSERT_EQ(r.run.epochs.size(), 2u);
  EXPECT_TRUE(std::isnan(r.run.epochs[0].holdout_loss));  // written as null
  EXPECT_EQ(r.run.epochs[1].holdout_loss, 0.55);
  EXPECT_EQ(r.run.epochs[1].holdout_accuracy, 0.75);
  EXPECT_EQ(r.run.epochs[1].lr, 0.2);
  EXPECT_EQ(r.run.epochs[1].time_s, 0.065);
  EXPECT_EQ(r.times_s, w.times_s);
  EXPECT_EQ(r.train.accuracy, 0.8);
  EXPECT_EQ(r.test.log_loss, 0.55);
  EXPECT_EQ(r.bound_s, w.bound_s);
  EXPECT_EQ(r.bandwidth_gbs, w.bandwidth_gbs);
  EXPECT_EQ(r.bandwidth_source, w.bandwidth_source);
  EXPECT_EQ(r.random_bound_s, w.random_bound_s);
  EXPECT_EQ(r.random_reads_per_s, w.random_reads_per_s);
}

// A data file's report (dsgd train FILE) has one run, no random-read bound for dense rows, and a
// null test object without --test.
TEST(RunReportJson, ReadsADataFileReportWithoutTheSyntheticKeys) {
  nlohmann::json j = to_json(known_report());
  for (const char* key : {"time_s_runs", "random_bound_s", "test_accuracy", "test_log_loss", "train_accuracy",
                          "train_log_loss", "bound_s"})
    j.erase(key);
  j["bound"].erase("random_time_s");
  j["bound"].erase("random_reads_per_s");
  j["test"] = nullptr;
  const RunReport r = run_report_from_json(j);
  EXPECT_EQ(r.times_s, std::vector<double>{0.125});
  EXPECT_TRUE(std::isnan(r.test.accuracy));
  EXPECT_TRUE(std::isnan(r.test.log_loss));
  EXPECT_EQ(r.train.log_loss, 0.5);
  EXPECT_EQ(r.random_bound_s, 0.0);
  EXPECT_EQ(r.random_reads_per_s, 0.0);
  EXPECT_EQ(r.bound_s, 0.001);
  j.erase("bound");  // every report has its bound
  EXPECT_THROW((void)run_report_from_json(j), Error);
}

TEST(RunReportJson, NamesAMissingOrMistypedKey) {
  nlohmann::json j = to_json(known_report());
  j["communication"].erase("per_worker");
  try {
    (void)run_report_from_json(j);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'communication.per_worker'"), std::string::npos) << e.what();
  }
  j = to_json(known_report());
  j["steps"] = "sixteen";
  EXPECT_THROW((void)run_report_from_json(j), Error);
  j = to_json(known_report());
  j["time_s"] = "fast";
  EXPECT_THROW((void)run_report_from_json(j), Error);
}

}  // namespace
}  // namespace dsgd
