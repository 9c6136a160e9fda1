// A train report's JSON read back (run_report_from_json): what dsgd study reads of a run it
// started in another process must be what the run wrote.
#include <gtest/gtest.h>

#include <cmath>

#include "dsgd/base/error.h"
#include "dsgd/report/report.h"
#include "dsgd/report/training_report.h"

namespace dsgd {
namespace {

TrainingReport known_report() {
  TrainingReport report;
  SyntheticSpec spec;
  spec.samples = 1000;
  spec.test_samples = 200;
  spec.features = 3;
  report.data = summary_of(spec, Split::kTrain, 0.01);
  report.test = summary_of(spec, Split::kTest, 0.0);
  report.config.workers = 2;
  RunResult& r = report.run;
  r.model.weights = {0.1, -2.5e-17, 3.0 / 7.0};
  r.model.bias = -1.0 / 3.0;
  r.steps = 16;
  r.best_epoch = 2;
  r.time_s = 0.125;
  r.response_time_s = 0.130;
  r.compute_s = 0.1;
  r.exchange_s = 0.02;
  r.comm_s = 0.015;
  r.wait_s = 0.005;
  r.per_worker = {{16, 1536, 1537, 0.015, 0.005}, {17, 10, 11, 0.25, 0.5}};
  r.algorithm = "threads: shared memory, rank-ordered pairwise tree";
  r.epochs = {{1, 0.6, 0.7, std::nan(""), std::nan(""), 0.15, 0.06}, {2, 0.5, 0.8, 0.55, 0.75, 0.2, 0.065}};
  report.train.rows = 1000;
  report.train.accuracy = 0.8;
  report.train.log_loss = 0.5;
  report.test_scores.emplace();
  report.test_scores->rows = 200;
  report.test_scores->accuracy = 0.75;
  report.test_scores->log_loss = 0.55;
  report.bound = RunBounds{35.5, 0.001, "measured now", 3e8, 0.002};
  return report;
}

TEST(RunReportJson, ReadsBackWhatTheReportWrote) {
  const TrainingReport report = known_report();
  const RunResult& w = report.run;
  // Through text, as a file is read: the numbers must round-trip exactly.
  const RunReport r = run_report_from_json(nlohmann::json::parse(to_json(report).dump()));
  EXPECT_EQ(r.run.model.weights, w.model.weights);
  EXPECT_EQ(r.run.model.bias, w.model.bias);
  EXPECT_EQ(r.run.steps, w.steps);
  EXPECT_EQ(r.run.best_epoch, w.best_epoch);
  EXPECT_EQ(r.run.time_s, w.time_s);
  EXPECT_EQ(r.run.response_time_s, w.response_time_s);
  EXPECT_EQ(r.run.compute_s, w.compute_s);
  EXPECT_EQ(r.run.exchange_s, w.exchange_s);
  EXPECT_EQ(r.run.comm_s, w.comm_s);
  EXPECT_EQ(r.run.wait_s, w.wait_s);
  EXPECT_EQ(r.run.algorithm, w.algorithm);
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
  EXPECT_EQ(r.times_s, std::vector<double>{w.time_s});  // one run
  EXPECT_EQ(r.train.accuracy, 0.8);
  EXPECT_EQ(r.test.log_loss, 0.55);
  EXPECT_EQ(r.bound_s, report.bound->time_s);
  EXPECT_EQ(r.bandwidth_gbs, report.bound->bandwidth_gbs);
  EXPECT_EQ(r.bandwidth_source, report.bound->source);
  EXPECT_EQ(r.random_bound_s, report.bound->random_time_s);
  EXPECT_EQ(r.random_reads_per_s, report.bound->random_reads_per_s);
}

// A run without --verbose has no bound, and one without test rows a null test object.
TEST(RunReportJson, ReadsAReportWithoutBoundOrTestRows) {
  TrainingReport report = known_report();
  report.bound.reset();
  report.test.reset();
  report.test_scores.reset();
  const nlohmann::json j = to_json(report);
  EXPECT_TRUE(j.at("bound").is_null());
  EXPECT_TRUE(j.at("test").is_null());
  EXPECT_TRUE(j.at("test_data").is_null());
  const RunReport r = run_report_from_json(j);
  EXPECT_TRUE(std::isnan(r.test.accuracy));
  EXPECT_TRUE(std::isnan(r.test.log_loss));
  EXPECT_EQ(r.train.log_loss, 0.5);
  EXPECT_EQ(r.bound_s, 0.0);
  EXPECT_EQ(r.random_bound_s, 0.0);
  nlohmann::json no_bound = j;
  no_bound.erase("bound");  // every report has the key
  EXPECT_THROW((void)run_report_from_json(no_bound), Error);
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
