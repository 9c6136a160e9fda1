// dsgd study: a small sweep end to end, its report folder, and its refusals.
#include "cli_fixture.h"

#include <cstdlib>
#include <map>

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
    EXPECT_EQ(p.at("random_bound_s"), 0);       // dense rows have none
  }
  // The same batch gives the same weights whatever the repetition (median_run checks), and the
  // batches differ in their steps: 20000 / 256 / W against 20000 / 512 / W a epoch.
  EXPECT_GT(j.at("points")[0].at("steps").get<double>(), j.at("points")[2].at("steps").get<double>());
  EXPECT_TRUE(fs::exists(path("out/report.md")));
  EXPECT_TRUE(fs::exists(path("out/plots.gp")));
  // The CSV: a header and a row a point, every row with the header's fields (no commas in the
  // series names here).
  std::istringstream csv(read_text(path("out/results.csv")));
  std::string header, line;
  ASSERT_TRUE(std::getline(csv, header));
  const auto fields = [](const std::string& l) { return std::count(l.begin(), l.end(), ',') + 1; };
  EXPECT_NE(header.find(",random_bound_s"), std::string::npos) << header;
  int rows = 0;
  while (std::getline(csv, line)) {
    ++rows;
    EXPECT_EQ(fields(line), fields(header)) << line;
  }
  EXPECT_EQ(rows, 4);
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

TEST_F(CliTest, StudyOnADataFileTrainsAsTrainDoesAndScoresTheTestFile) {
  const std::string data = data_file("a9a.gz"), test = data_file("a9a.t.gz");
  const Result r =
      dsgd("study " + data + " --test " + test + " --workers 1,2 --repeat 2 --warmup 0 --epochs 3 --report out");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has_line_starting(r.out, "Data  ")) << r.out;
  EXPECT_TRUE(has_line_starting(r.out, "Test  ")) << r.out;
  EXPECT_NE(r.out.find("dsgd study: a9a.gz"), std::string::npos) << r.out;
  const json j = json::parse(read_text(path("out/results.json")));
  ASSERT_EQ(j.at("points").size(), 2u);
  for (const json& p : j.at("points")) {
    EXPECT_EQ(p.at("rows"), 32561);
    EXPECT_EQ(p.at("features"), 123);
    EXPECT_EQ(p.at("nnz"), 14);  // 451592 values over 32561 rows
    EXPECT_EQ(p.at("times_s").size(), 2u);
    EXPECT_GT(p.at("test_accuracy").get<double>(), 0.8);  // a9a's held-out accuracy is about 0.85
    EXPECT_EQ(p.at("convergence").size(), 3u);            // --epochs 3, the test file scored each
    EXPECT_GT(p.at("random_bound_s").get<double>(), 0);   // sparse rows: the random-read bound too
  }
  // The data's default batch is a 128th of the rows whatever W: the same steps at W = 1 and 2.
  EXPECT_EQ(j.at("points")[0].at("steps"), j.at("points")[1].at("steps"));
  // And its defaults scale the features the way dsgd train FILE does: the same held-out accuracy
  // for one worker.
  const Result one = dsgd("train " + data + " --test " + test + " --workers 1 --epochs 3 --json one.json");
  ASSERT_EQ(one.code, 0) << one.err;
  const json t = json::parse(read_text(path("one.json")));
  EXPECT_EQ(t.at("test").at("accuracy").get<double>(), j.at("points")[0].at("test_accuracy").get<double>());
  EXPECT_EQ(t.at("steps"), j.at("points")[0].at("steps"));
}

TEST_F(CliTest, StudyOnADataFileRefusesSyntheticSettings) {
  const std::string data = data_file("heart_scale");
  for (const std::string args :
       {"study " + data + " -n 100", "study " + data + " --nnz 3", "study " + data + " --scaling weak",
        "study " + data + " --vary samples=10,20", "study " + data + " --seed-sweeps",
        std::string("study --test ") + data, std::string("study - --test -")}) {
    SCOPED_TRACE(args);
    const Result r = dsgd(args);
    EXPECT_EQ(r.code, 2);
    expect_one_line_error(r);
  }
  const Result r = dsgd("study " + data_file("no_such_file") + " --workers 1 --repeat 1");
  EXPECT_EQ(r.code, 1);
  expect_one_line_error(r);
  EXPECT_NE(r.err.find("no_such_file"), std::string::npos) << r.err;
}

// The backend axis: every run of an MPI point is a `dsgd train --backend mpi` job of its own,
// which gives the threads backend's weights, so the same held-out figures, steps and bytes; the
// cost model fits each backend its own exchange costs.
TEST_F(CliTest, StudyOverMpiMeasuresTheThreadsRunsAsJobs) {
  if (std::system("command -v mpirun >/dev/null 2>&1") != 0) GTEST_SKIP() << "no mpirun (openmpi-bin)";
  const Result r =
      dsgd_starting_mpi_jobs(std::string("study ") + kSmall +
                             " --workers 1,2,3 --vary backend=threads,mpi,hybrid --repeat 2 --warmup 0 --report out");
  ASSERT_EQ(r.code, 0) << r.err;
  // hybrid runs ranks of 2 threads: W = 1 and 3 are skipped, saying why.
  EXPECT_NE(r.out.find("W=3   skipped: hybrid runs ranks of 2 threads"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("per sync and tree level, mpi"), std::string::npos) << r.out;
  const json j = json::parse(read_text(path("out/results.json")));
  ASSERT_EQ(j.at("points").size(), 7u);  // threads and mpi at 1, 2, 3; hybrid at 2
  std::map<std::pair<std::string, int>, json> at;
  for (const json& p : j.at("points")) at[{p.at("series").get<std::string>(), p.at("workers").get<int>()}] = p;
  for (const int w : {1, 2, 3}) {
    SCOPED_TRACE(w);
    const json& threads = at.at({"backend=threads", w});
    const json& mpi = at.at({"backend=mpi", w});
    EXPECT_EQ(mpi.at("backend"), "mpi");
    EXPECT_EQ(threads.at("backend"), "threads");
    EXPECT_EQ(mpi.at("times_s").size(), 2u);
    // The same weights: the same held-out accuracy, and log-loss to rounding (the ranks sum
    // their test rows' losses in another order).
    EXPECT_EQ(mpi.at("test_accuracy"), threads.at("test_accuracy"));
    EXPECT_NEAR(mpi.at("test_log_loss").get<double>(), threads.at("test_log_loss").get<double>(), 1e-12);
    EXPECT_EQ(mpi.at("steps"), threads.at("steps"));
    EXPECT_EQ(mpi.at("bytes_per_step").get<double>() > 0, w > 1);
    EXPECT_EQ(mpi.at("rows"), 20000);
    EXPECT_GT(mpi.at("load_s").get<double>(), 0);  // the job made its own rows
    EXPECT_TRUE(mpi.at("convergence").empty());
  }
  EXPECT_EQ(at.at({"backend=hybrid", 2}).at("test_accuracy"), at.at({"backend=threads", 2}).at("test_accuracy"));
}

TEST_F(CliTest, StudyOverMpiOnADataFileScoresLikeThreads) {
  if (std::system("command -v mpirun >/dev/null 2>&1") != 0) GTEST_SKIP() << "no mpirun (openmpi-bin)";
  const std::string data = data_file("a9a.gz"), test = data_file("a9a.t.gz");
  const Result r =
      dsgd_starting_mpi_jobs("study " + data + " --test " + test +
                             " --workers 2 --vary backend=threads,mpi --repeat 1 --warmup 0 --epochs 2 --report out");
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(read_text(path("out/results.json")));
  ASSERT_EQ(j.at("points").size(), 2u);
  const json &threads = j.at("points")[0], &mpi = j.at("points")[1];
  EXPECT_EQ(mpi.at("series"), "backend=mpi");
  EXPECT_GT(mpi.at("test_accuracy").get<double>(), 0.8);
  EXPECT_EQ(mpi.at("test_accuracy"), threads.at("test_accuracy"));
  EXPECT_NEAR(mpi.at("test_log_loss").get<double>(), threads.at("test_log_loss").get<double>(), 1e-12);
  EXPECT_EQ(mpi.at("steps"), threads.at("steps"));  // the data's default batch, as threads
  EXPECT_EQ(mpi.at("nnz"), 14);
}

TEST_F(CliTest, StudyRefusesBadSweepsWithOneLine) {
  for (const char* args :
       {"study --vary bogus=1,2", "study --vary batch=0", "study --vary batch=", "study --vary batch",
        "study --vary workers=1,2", "study --workers 0", "study --workers 1,,2", "study --network 50",
        "study --network 50,0", "study --vary dtype=f16", "study --seed-sweeps --epochs 2", "study --scaling sideways",
        "study --repeat 0", "study --vary backend=gpu", "study --link-rate 1gbit", "study --threads-per-rank 2",
        "study --vary backend=mpi --link-rate 1gbit", "study --vary backend=hybrid --threads-per-rank 0"}) {
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
