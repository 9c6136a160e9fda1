// End-to-end tests of the dsgd command line: runs the built binary (DSGD_EXE) as a child process
// and checks exit codes, messages, the printed report, the JSON report and the files `gen` writes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "cli_fixture.h"

namespace {

using namespace cli_testing;

TEST_F(CliTest, HelpListsEachSubcommandsOptions) {
  const Result top = dsgd("--help");
  EXPECT_EQ(top.code, 0);
  for (const char* sub : {"  gen ", "  train ", "  bench "}) EXPECT_TRUE(has_line_starting(top.out, sub)) << sub;

  for (const char* sub : {"train", "bench"}) {
    const Result r = dsgd(std::string(sub) + " --help");
    EXPECT_EQ(r.code, 0) << sub;
    EXPECT_TRUE(r.err.empty()) << r.err;
    for (const char* option : {"--samples", "--features", "--workers", "--dtype", "--json", "--epochs", "--batch",
                               "--lr", "--seed", "--quiet"}) {
      EXPECT_NE(r.out.find(option), std::string::npos) << sub << " " << option;
    }
  }
  const Result gen = dsgd("gen --help");
  EXPECT_EQ(gen.code, 0);
  for (const char* option : {"--samples", "--dtype", "--output", "--test-output", "--format"}) {
    EXPECT_NE(gen.out.find(option), std::string::npos) << option;
  }
  EXPECT_NE(gen.out.find("--workers"), std::string::npos) << "gen's generating threads are --workers too";
  EXPECT_EQ(gen.out.find("--epochs"), std::string::npos) << "gen does not train";
}

TEST_F(CliTest, VersionPrintsName) {
  const Result r = dsgd("--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(r.out.starts_with("dsgd ")) << r.out;
}

TEST_F(CliTest, BadOptionsExitTwoWithOneLineError) {
  for (const char* args : {"train --bogus", "bench --batch 0", "bench --dtype f16", "bench --noise 0.7",
                           "bench --workers 0", "bench --lr -1", "train --lr nan", "train --samples abc",
                           "frobnicate", "gen -n 10", "train --seed -1", "train --threads-per-rank 2",
                           "bench --timeout 5", "train --allreduce native", "train --backend mpi --workers 2",
                           "train --backend mpi --epochs 1 -n 100", "train -n 100 --no-bias=x",
                           "train -n 100 --shuffle=99999999999999999999", "gen -n 10 -o - --no-bias=--x"}) {
    SCOPED_TRACE(args);
    const Result r = dsgd(args);
    EXPECT_EQ(r.code, 2);
    expect_one_line_error(r);
  }
}

// With nothing to do, dsgd and dsgd train say how to ask (exit 2); train with options but no
// data says what it lacks, and synthetic data is asked for by name.
TEST_F(CliTest, WithoutDataCommandsPrintUsage) {
  const Result top = dsgd("");
  EXPECT_EQ(top.code, 2);
  EXPECT_NE(top.out.find("Usage: dsgd"), std::string::npos) << top.out;
  EXPECT_NE(top.out.find("dsgd train DATA [MODEL]"), std::string::npos) << top.out;
  const Result train = dsgd("train");
  EXPECT_EQ(train.code, 2);
  EXPECT_NE(train.out.find("Usage: dsgd train [OPTIONS] [DATA] [MODEL]"), std::string::npos) << train.out;
  EXPECT_EQ(epoch_rows(train.out), 0U) << "nothing trained";
  const Result options_only = dsgd("train --epochs 2");
  EXPECT_EQ(options_only.code, 2);
  expect_one_line_error(options_only);
  EXPECT_NE(options_only.err.find("--synthetic"), std::string::npos) << options_only.err;
  const Result synthetic = dsgd("train --synthetic -q --epochs 1");
  EXPECT_EQ(synthetic.code, 0) << synthetic.err;
  EXPECT_TRUE(synthetic.out.empty()) << synthetic.out;
}

// Renamed options keep working, each with one line naming its new spelling; the new spellings
// work without a word.
TEST_F(CliTest, OldSpellingsWarnOnceAndWork) {
  const std::string heart = data_file("heart_scale");
  for (const auto& [old_args, new_args, warning] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"train -q " + heart + " --model a.txt", "train -q " + heart + " -o b.txt", "--model is now -o/--output"},
           {"train -q " + heart + " --input-format libsvm -o a.txt", "train -q " + heart + " --format libsvm -o b.txt",
            "--input-format is now --format"},
           {"predict " + heart + " a.txt --threads 2", "predict " + heart + " a.txt --workers 2",
            "--threads is now --workers"},
           {"eval " + heart + " a.txt --threads 1", "eval " + heart + " a.txt -w 1", "--threads is now --workers"},
           {"gen -n 10 -d 3 -o a.svm", "gen -n 10 --features 3 -o b.svm", "-d is now --features"}}) {
    SCOPED_TRACE(old_args);
    const Result old = dsgd(old_args);
    const Result now = dsgd(new_args);
    EXPECT_EQ(old.code, 0) << old.err;
    EXPECT_EQ(now.code, 0) << now.err;
    EXPECT_TRUE(old.err.starts_with("dsgd: warning: " + warning)) << old.err;
    EXPECT_EQ(std::count(old.err.begin(), old.err.end(), '\n'), 1) << old.err;
    EXPECT_EQ(now.err, "");
    EXPECT_EQ(old.out.size(), now.out.size());  // (predict, eval: the same text)
  }
  EXPECT_EQ(read_text(path("a.txt")), read_text(path("b.txt")));
  // The model is named once: MODEL and -o together are refused.
  const Result twice = dsgd("train " + heart + " m.txt -o n.txt");
  EXPECT_EQ(twice.code, 2);
  expect_one_line_error(twice);
}

// The memory-bandwidth probe runs only where its figure is shown: a plain train writes nothing
// under the cache folder (and allocates no probe buffer); -v measures it and caches it there.
TEST_F(CliTest, OnlyVerboseRunsTheBandwidthProbe) {
  const std::string heart = data_file("heart_scale");
  const std::string cache = "XDG_CACHE_HOME=" + quoted(path("cache"));
  for (const std::string& args : {"train -q " + heart, "train " + heart + " --workers 2 -o m.txt",
                                  "eval " + heart + " m.txt", "predict " + heart + " m.txt -o p.txt",
                                  std::string("train --synthetic -n 2000 -q")}) {
    EXPECT_EQ(dsgd_env(cache, args).code, 0) << args;
    EXPECT_FALSE(fs::exists(path("cache"))) << args << " wrote under its cache folder";
  }
  const Result verbose = dsgd_env(cache, "train " + heart + " -v");
  EXPECT_EQ(verbose.code, 0) << verbose.err;
  EXPECT_TRUE(has_line_starting(verbose.out, "Bound   memory bandwidth ")) << verbose.out;
  EXPECT_TRUE(fs::exists(path("cache/dsgd/bandwidth.json")));
}

// Outside mpirun (this test's environment), --backend mpi says how to start it.
TEST_F(CliTest, MpiBackendOutsideMpirunSaysHowToLaunch) {
  const Result r = dsgd("train --backend mpi -n 100 --quiet");
  EXPECT_EQ(r.code, 2);
  expect_one_line_error(r);
  EXPECT_TRUE(r.err.find("mpirun") != std::string::npos || r.err.find("without MPI") != std::string::npos) << r.err;
}

TEST_F(CliTest, BenchJsonHasTheReport) {
  const json j = dsgd_json(std::string("bench ") + kSmall + " --workers 2 --lr 0.2 --dtype f32 --seed 11 --quiet",
                           "bench.json");
  expect_keys(j, "", {"config", "sequential", "parallel", "speedup", "communication", "bound"});
  expect_keys(j, "config", {"samples", "features", "epochs", "batch", "workers", "lr", "dtype", "seed"});
  expect_keys(j, "sequential", {"time_s", "train_accuracy", "test_accuracy", "test_log_loss", "weights"});
  expect_keys(j, "parallel", {"time_s", "response_time_s", "train_accuracy", "test_accuracy", "test_log_loss",
                              "compute_s", "comm_s", "wait_s", "weights"});
  expect_keys(j, "communication", {"syncs", "bytes_sent", "bytes_received"});
  expect_keys(j, "bound", {"read_bandwidth_gbs", "sequential_time_s", "parallel_time_s"});

  const json& config = j.at("config");
  EXPECT_EQ(config.at("samples"), 20000);
  EXPECT_EQ(config.at("features"), 8);
  EXPECT_EQ(config.at("epochs"), 2);
  EXPECT_EQ(config.at("batch"), 512);
  EXPECT_EQ(config.at("workers"), 2);
  EXPECT_EQ(config.at("lr"), 0.2);
  EXPECT_EQ(config.at("dtype"), "f32");
  EXPECT_EQ(config.at("seed"), 11);

  for (const char* run : {"sequential", "parallel"}) {
    EXPECT_EQ(j.at(run).at("weights").size(), 8U) << run;
    EXPECT_GT(j.at(run).at("test_accuracy").get<double>(), 0.9) << run;
  }
  // One allreduce per step; every worker takes as many steps as the largest shard needs:
  // ceil(ceil(20000 / 2) / 512) = 20 per epoch (19.5 rounded up, not down).
  const std::size_t steps = 20 * 2;
  EXPECT_EQ(j.at("communication").at("syncs").get<std::size_t>(), steps);
  EXPECT_GT(j.at("communication").at("bytes_sent").get<double>(), 0);
  EXPECT_GT(j.at("bound").at("read_bandwidth_gbs").get<double>(), 0);
  EXPECT_TRUE(std::isfinite(j.at("speedup").get<double>()));
}

TEST_F(CliTest, WeightsAreDeterministicAcrossProcesses) {
  const std::string train = std::string("train ") + kSmall + " --quiet";
  const json a = dsgd_json(train + " --workers 3 --seed 5", "a.json");
  const json b = dsgd_json(train + " --workers 3 --seed 5", "b.json");
  const json other_seed = dsgd_json(train + " --workers 3 --seed 6", "c.json");
  ASSERT_EQ(a.at("weights").size(), 8U);
  EXPECT_EQ(a.at("weights"), b.at("weights"));
  EXPECT_NE(a.at("weights"), other_seed.at("weights"));

  // bench generates its data with 3 threads, train --workers 1 with one: the data and so the
  // weights must not depend on that.
  const json one = dsgd_json(train + " --workers 1 --seed 5", "one.json");
  const json bench = dsgd_json(std::string("bench ") + kSmall + " --quiet --workers 3 --seed 5", "bench.json");
  EXPECT_EQ(one.at("weights"), bench.at("sequential").at("weights"));
  EXPECT_EQ(a.at("weights"), bench.at("parallel").at("weights"));
  EXPECT_NE(one.at("weights"), a.at("weights"));
}

TEST_F(CliTest, BenchPrintsReportAndProgress) {
  const Result r = dsgd(std::string("bench ") + kSmall + " --workers 2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  for (const char* prefix : {"Samples: 20000", "Sequential time:", "Parallel time:", "Speedup:", "Response time:",
                             "Communication cost: 40 syncs"}) {
    EXPECT_TRUE(has_line_starting(r.out, prefix)) << prefix << "\n" << r.out;
  }
  EXPECT_EQ(progress_lines(r.out), 4U) << r.out;  // 2 epochs of each run
  EXPECT_TRUE(has_line_starting(r.out, "[sequential] epoch 1/2")) << r.out;
  EXPECT_TRUE(has_line_starting(r.out, "[parallel] epoch 2/2")) << r.out;

  const Result quiet = dsgd(std::string("bench ") + kSmall + " --workers 2 --quiet");
  ASSERT_EQ(quiet.code, 0) << quiet.err;
  EXPECT_EQ(progress_lines(quiet.out), 0U) << quiet.out;
  EXPECT_TRUE(has_line_starting(quiet.out, "Speedup:")) << quiet.out;
}

TEST_F(CliTest, GenWritesLibsvmAndCsv) {
  const Result r = dsgd("gen -n 100 --features 3 -o F.libsvm --test-output T.csv");
  ASSERT_EQ(r.code, 0) << r.err;

  const std::vector<std::string> rows = lines_of(read_text(path("F.libsvm")));
  ASSERT_EQ(rows.size(), 100U);
  static const std::regex libsvm(R"(^[+-]1 1:\S+ 2:\S+ 3:\S+$)");
  int positives = 0;
  for (const std::string& row : rows) {
    ASSERT_TRUE(std::regex_match(row, libsvm)) << row;
    positives += row.starts_with("+1") ? 1 : 0;
  }
  EXPECT_GT(positives, 0);
  EXPECT_LT(positives, 100);

  const std::vector<std::string> csv = lines_of(read_text(path("T.csv")));
  ASSERT_EQ(csv.size(), 21U);  // the header and 20% of 100 rows
  EXPECT_EQ(csv.front(), "x1,x2,x3,label");
  static const std::regex csv_row(R"(^([^,]+,){3}-?1$)");  // the training file's labels, -1/+1
  for (std::size_t i = 1; i < csv.size(); ++i) EXPECT_TRUE(std::regex_match(csv[i], csv_row)) << csv[i];
}

TEST_F(CliTest, UnwritableJsonPathFailsAndLeavesNoFile) {
  const std::string train = "train -n 1000 --features 3 -e 1 --quiet --json ";
  const Result missing_dir = dsgd(train + "/nonexistent-dir/x.json");
  EXPECT_EQ(missing_dir.code, 1);
  EXPECT_TRUE(missing_dir.err.starts_with("dsgd: error: /nonexistent-dir/x.json")) << missing_dir.err;
  EXPECT_EQ(std::count(missing_dir.err.begin(), missing_dir.err.end(), '\n'), 1) << missing_dir.err;
  EXPECT_FALSE(fs::exists("/nonexistent-dir/x.json"));

  // A directory in the way: the report is written to a temporary file first, which must go.
  fs::create_directories(path("taken") / "inside");
  const Result taken = dsgd(train + "taken");
  EXPECT_EQ(taken.code, 1);
  EXPECT_TRUE(taken.err.starts_with("dsgd: error: taken")) << taken.err;
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(dir_)) left.push_back(entry.path().filename().string());
  EXPECT_EQ(left, std::vector<std::string>{"taken"});
  EXPECT_TRUE(fs::is_directory(path("taken") / "inside"));
}



// ---- Data files: dsgd train DATA, predict, eval ----


TEST_F(CliTest, TrainOnAFileWritesTheModelAndTheTestFigures) {
  const json j = dsgd_json("train -q " + data_file("heart_scale") + " --test " + data_file("heart_scale") +
                               " -o m.txt",
                           "report.json");
  expect_keys(j, "test", {"accuracy", "log_loss", "auc", "precision", "recall", "f1", "confusion"});
  expect_keys(j, "data", {"rows", "features", "storage", "labels", "load_s"});
  EXPECT_EQ(j.at("data").at("rows"), 270);
  EXPECT_GT(j.at("test").at("accuracy").get<double>(), 0.8);
  ASSERT_TRUE(fs::exists(path("m.txt")));

  // eval scores the saved model exactly as train scored it.
  const json e = dsgd_json("eval --model m.txt " + data_file("heart_scale"), "eval.json");
  EXPECT_EQ(e.at("accuracy"), j.at("test").at("accuracy"));
  EXPECT_EQ(e.at("log_loss"), j.at("test").at("log_loss"));
  EXPECT_EQ(e.at("auc"), j.at("test").at("auc"));

  const Result p = dsgd("predict --model m.txt " + data_file("heart_scale"));
  ASSERT_EQ(p.code, 0) << p.err;
  const std::vector<std::string> probabilities = lines_of(p.out);
  ASSERT_EQ(probabilities.size(), 270U);
  for (const std::string& line : probabilities) {
    const double v = std::stod(line);
    EXPECT_TRUE(v > 0 && v < 1) << line;
  }
  const Result labels = dsgd("predict --labels --model m.txt -o out.txt " + data_file("heart_scale"));
  ASSERT_EQ(labels.code, 0) << labels.err;
  std::size_t ones = 0;
  for (const std::string& line : lines_of(read_text(path("out.txt")))) {
    EXPECT_TRUE(line == "-1" || line == "1") << line;  // heart_scale's own labels
    ones += line == "1";
  }
  const auto& c = j.at("test").at("confusion");
  EXPECT_EQ(ones, c.at("true_positives").get<std::size_t>() + c.at("false_positives").get<std::size_t>());
}

TEST_F(CliTest, CacheIsWrittenThenLoadedAndGivesTheSameModel) {
  fs::copy_file(fs::path(DSGD_TEST_DATA) / "a9a.gz", path("a9a.gz"));
  const Result first = dsgd("train a9a.gz --cache --epochs 3 -o first.txt -v");
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_NE(first.out.find("Cache   a9a.gz.dsgdcache written (there was none)"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("Time    "), std::string::npos) << first.out;
  ASSERT_TRUE(fs::exists(path("a9a.gz.dsgdcache")));
  const json second = dsgd_json("train -q a9a.gz --cache --epochs 3 -o second.txt", "second.json");
  EXPECT_TRUE(second.at("data").at("from_cache").get<bool>());
  EXPECT_EQ(read_text(path("first.txt")), read_text(path("second.txt")));
  // eval and predict take --cache too; a model's scores do not depend on where the rows came from.
  const Result eval = dsgd("eval --cache --model second.txt a9a.gz");
  ASSERT_EQ(eval.code, 0) << eval.err;
  EXPECT_NE(eval.err.find("dsgd: cache: loaded from a9a.gz.dsgdcache"), std::string::npos) << eval.err;
  EXPECT_EQ(dsgd("predict --cache --model second.txt a9a.gz").out, dsgd("predict --model second.txt a9a.gz").out);
}

TEST_F(CliTest, MalformedFilesExitOneWithFileAndLineAndLeaveNoModel) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"bad_value.libsvm", ":2: bad value"},       {"bad_label.libsvm", ":2: bad label"},
      {"index_zero.libsvm", ":2: feature index 0"}, {"negative_index.libsvm", ":2: negative feature index"},
      {"not_ascending.libsvm", ":2: feature indices not ascending"},
      {"missing_label.libsvm", ":2: missing label"}, {"third_label.libsvm", ":3: a third label value 0"},
      {"missing_value.csv", ":2: missing value in column 'x2'"}, {"ragged.csv", ":3: expected 3 fields"},
      {"empty.libsvm", ": empty file"},             {"one_class.libsvm", ": only one class"},
  };
  for (const auto& [name, message] : cases) {
    const Result r = dsgd("train " + data_file(name) + " -o m.txt --json r.json");
    EXPECT_EQ(r.code, 1) << name;
    expect_one_line_error(r);
    EXPECT_NE(r.err.find(name + message), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(path("m.txt"))) << name;
    EXPECT_FALSE(fs::exists(path("r.json"))) << name;
    EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 0) << name << ": temporaries left";
  }
  const Result beyond = dsgd("train " + data_file("high_index.libsvm") + " --features 3 -o m.txt");
  EXPECT_EQ(beyond.code, 1);
  EXPECT_NE(beyond.err.find("high_index.libsvm:2: feature index 7 beyond --features 3"), std::string::npos);
  EXPECT_FALSE(fs::exists(path("m.txt")));
}

// Numbers that overflow end with one line and exit 1: training that diverges writes no model
// and no JSON; predict and eval on rows whose score is not finite name the file and the rows.
TEST_F(CliTest, NonFiniteNumbersExitOneAndWriteNothing) {
  const Result diverged = dsgd("train " + data_file("heart_scale") + " --workers 1 --lr 1e308 -o m.txt --json r.json");
  EXPECT_EQ(diverged.code, 1);
  EXPECT_TRUE(diverged.err.starts_with("dsgd: error: epoch ")) << diverged.err;  // stdout has the data line
  EXPECT_EQ(std::count(diverged.err.begin(), diverged.err.end(), '\n'), 1);
  EXPECT_NE(diverged.err.find("not finite"), std::string::npos) << diverged.err;
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 0) << "files left";

  std::ofstream(path("m.txt")) << "format dsgd-model 1\ndsgd 0.4.0\nfeatures 2\nbias 0\nlabels -1 1\n"
                                   "standardized no\ntraining {}\nweights\n10\n-10\nend\n";
  std::ofstream(path("huge.libsvm")) << "1 1:1e308 2:1e308\n-1 1:1 2:2\n";
  for (const std::string args : {"eval --model m.txt huge.libsvm --json e.json", "predict --model m.txt huge.libsvm -o out.txt"}) {
    const Result r = dsgd(args);
    EXPECT_EQ(r.code, 1) << args;
    expect_one_line_error(r);
    EXPECT_NE(r.err.find("huge.libsvm: 1 of 2 rows have a non-finite score"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(path("out.txt")));
  EXPECT_FALSE(fs::exists(path("e.json")));
}

// Bytes of the input are shown escaped: an escape sequence, a NUL and a byte-order mark cannot
// reach the terminal or cut the message, which stays one line.
TEST_F(CliTest, MessagesShowInputBytesEscaped) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {std::string("1 1:\x1b]0;title\x07 2:1\n", 19), "bad value '\\x1b]0;title\\x07'"},
      {std::string("1 1:1\n-1 1:x\0y\n", 15), "bad value 'x\\0y'"},
      {"\xEF\xBB\xBF" "1 1:1\n", "bad label '<BOM>1'"},
      {"a,b,label\n1,\x1b[31m,1\n", "bad number '\\x1b[31m' in column 'b'"},
  };
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const std::string name = "f" + std::to_string(k) + (k == 3 ? ".csv" : ".libsvm");
    std::ofstream(path(name), std::ios::binary) << cases[k].first;
    const Result r = dsgd("train " + name);
    EXPECT_EQ(r.code, 1) << name;
    expect_one_line_error(r);
    EXPECT_NE(r.err.find(cases[k].second), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << name;
    EXPECT_EQ(r.err.find('\0'), std::string::npos) << name;
  }
}

// Memory is asked for, not grabbed: a file whose one feature index is 3e8 is refused with the
// line and the bytes it would need (the machine's available memory or --max-memory the limit),
// as is a synthetic set too large for the machine; a model file claiming 4e9 features but
// holding one weight is refused by its count, not by an allocation.
TEST_F(CliTest, MemoryIsAskedForNotGrabbed) {
  std::ofstream(path("wide.libsvm")) << "1 1:1\n-1 2:1 300000000:1\n1 3:1\n";
  const Result wide = dsgd("train wide.libsvm -o m.txt");
  EXPECT_EQ(wide.code, 1);
  EXPECT_NE(wide.err.find("wide.libsvm:2: feature index 300000000 needs "), std::string::npos) << wide.err;
  EXPECT_FALSE(fs::exists(path("m.txt")));
  const Result limited = dsgd("train " + data_file("heart_scale") + " --max-memory 100K");
  EXPECT_EQ(limited.code, 1);
  EXPECT_NE(limited.err.find("more than the 100.0 kB --max-memory allows"), std::string::npos) << limited.err;
  EXPECT_EQ(dsgd("train " + data_file("heart_scale") + " --max-memory 1G -q").code, 0);
  const Result huge = dsgd("train -n 4000000000 --features 100");
  EXPECT_EQ(huge.code, 2);
  EXPECT_NE(huge.err.find("-n 4000000000 x --features 100 needs "), std::string::npos) << huge.err;
  std::ofstream(path("claims.txt")) << "format dsgd-model 1\ndsgd 0.4.0\nfeatures 4000000000\nbias 0\nlabels -1 1\n"
                                       "standardized no\ntraining {}\nweights\n1\nend\n";
  const Result claims = dsgd("eval --model claims.txt " + data_file("heart_scale"));
  EXPECT_EQ(claims.code, 1);
  EXPECT_NE(claims.err.find("declares 4000000000 features but holds 1 weights"), std::string::npos) << claims.err;
}

// Outputs that name an input are refused before any work; temporaries that a killed process of
// this host left are removed by the next run that writes the same path.
TEST_F(CliTest, OutputsNeverReplaceInputsAndStaleTemporariesGo) {
  fs::copy_file(fs::path(DSGD_TEST_DATA) / "heart_scale", path("d.libsvm"));
  const auto before = fs::file_size(path("d.libsvm"));
  for (const std::string args : {"train d.libsvm -o d.libsvm", "train d.libsvm --json ./d.libsvm",
                                 "train d.libsvm -o m.txt --json m.txt", "gen -n 10 -o g.svm --test-output g.svm"}) {
    const Result r = dsgd(args);
    EXPECT_EQ(r.code, 2) << args;
    expect_one_line_error(r);
    EXPECT_EQ(fs::file_size(path("d.libsvm")), before) << args;
  }
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  std::string name = host;
  std::replace(name.begin(), name.end(), '.', '_');
  const std::string dead = "m.txt.tmp." + name + ".999999999.abcdef";  // no such process
  const std::string alive = "m.txt.tmp." + name + "." + std::to_string(::getpid()) + ".abcdef";  // this test
  std::ofstream(path(dead)) << "half a model";
  std::ofstream(path(alive)) << "being written";
  EXPECT_EQ(dsgd("train d.libsvm -o m.txt -q").code, 0);
  EXPECT_FALSE(fs::exists(path(dead)));
  EXPECT_TRUE(fs::exists(path(alive)));
  EXPECT_TRUE(fs::exists(path("m.txt")));
  // A checkpoint folder: each step's file has its own name, and a writer killed mid-write left
  // one of another step; the next run that writes or resumes there removes it.
  fs::create_directories(path("ck"));
  const std::string half = "ck/ckpt-000000000007.dsgdckpt.tmp." + name + ".999999999.abcdef";
  const std::string live = "ck/ckpt-000000000007.dsgdckpt.tmp." + name + "." + std::to_string(::getpid()) + ".abcdef";
  std::ofstream(path(half)) << "half a checkpoint";
  std::ofstream(path(live)) << "being written";
  EXPECT_EQ(dsgd("train d.libsvm -q --checkpoint ck --checkpoint-every 20").code, 0);
  EXPECT_FALSE(fs::exists(path(half)));
  EXPECT_TRUE(fs::exists(path(live)));
  std::ofstream(path(half)) << "half a checkpoint";
  EXPECT_EQ(dsgd("train d.libsvm -q --checkpoint-every 20 --resume ck").code, 0);
  EXPECT_FALSE(fs::exists(path(half)));
}

// The sharded exchange keeps a checkpoint's bits: a run resumed from a checkpoint of the middle
// of an epoch (the later ones removed) writes the uninterrupted run's model, with adagrad and L2
// (each worker keeps the squares of every column in its replica).
TEST_F(CliTest, ShardedRunsResumeFromAMidEpochCheckpointToTheSameBits) {
  ASSERT_EQ(dsgd("gen -n 3000 --features 5000 --nnz 8 -o s.svm").code, 0);
  const std::string opts = " s.svm --epochs 4 --batch 100 --workers 3 --exchange sharded --optimizer adagrad --l2 1e-3 -q";
  ASSERT_EQ(dsgd("train" + opts + " -o whole.txt").code, 0);
  ASSERT_EQ(dsgd("train" + opts + " --checkpoint ck --checkpoint-every 13 -o first.txt").code, 0);
  EXPECT_EQ(read_text(path("whole.txt")), read_text(path("first.txt")));
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(path("ck")))
    if (e.path().extension() == ".dsgdckpt") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 3U);
  for (std::size_t k = 2; k < files.size(); ++k) fs::remove(files[k]);  // keep steps 13 and 26 (epoch 1 of 30 steps)
  const Result resumed = dsgd("train" + opts + " --resume ck -o resumed.txt");
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(read_text(path("whole.txt")), read_text(path("resumed.txt")));
}

// SIGTERM while an output is being written: the temporary file is removed and the exit status
// is the shell's 143.
TEST_F(CliTest, SignalsRemoveTemporaries) {
  const std::string command = "cd " + quoted(dir_) + " && exec " + quoted(DSGD_EXE) + " gen -n 4000000 --features 40 -o big.svm";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  bool writing = false;
  for (int k = 0; k < 600 && !writing; ++k) {  // up to a minute for the rows to be generated
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (const auto& entry : fs::directory_iterator(dir_)) writing |= entry.path().filename().string().starts_with("big.svm.tmp.");
  }
  EXPECT_TRUE(writing);
  ::kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 143);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 0) << "files left";
}

// Checkpoints: a run killed (SIGKILL) mid-training and resumed from its newest checkpoint writes
// the uninterrupted run's model byte for byte; a checkpoint of other options, a corrupt one and
// a folder without one are refused with one line.
TEST_F(CliTest, AKilledRunResumesToTheSameBits) {
  ASSERT_EQ(dsgd("gen -n 60000 --features 30 --noise 0.05 -o d.svm").code, 0);
  const std::string opts = " d.svm --epochs 150 --workers 2 -q";
  ASSERT_EQ(dsgd("train" + opts + " -o whole.txt").code, 0);
  const std::string command = "cd " + quoted(dir_) + " && exec " + quoted(DSGD_EXE) + " train" + opts +
                              " --checkpoint ck --checkpoint-every 250 -o killed.txt";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto checkpoints = [&] {
    std::size_t n = 0;
    if (fs::exists(path("ck")))
      for (const auto& e : fs::directory_iterator(path("ck"))) n += e.path().extension() == ".dsgdckpt" ? 1 : 0;
    return n;
  };
  for (int k = 0; k < 1200 && checkpoints() < 2; ++k) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  ::kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run ended before it was killed";
  EXPECT_FALSE(fs::exists(path("killed.txt")));
  const Result resumed = dsgd("train" + opts + " --resume ck -o resumed.txt");
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(read_text(path("whole.txt")), read_text(path("resumed.txt")));

  const Result other = dsgd("train" + opts + " --lr 0.3 --resume ck");
  EXPECT_EQ(other.code, 1);
  expect_one_line_error(other);
  EXPECT_NE(other.err.find("written by another run: its config.lr differs"), std::string::npos) << other.err;
  std::ofstream(path("ck/ckpt-999999999999.dsgdckpt")) << "DSGDCKP1 and then nothing that adds up";
  const Result corrupt = dsgd("train" + opts + " --resume ck");
  EXPECT_EQ(corrupt.code, 1);
  EXPECT_NE(corrupt.err.find("ckpt-999999999999.dsgdckpt: a corrupt checkpoint"), std::string::npos) << corrupt.err;
  const Result none = dsgd("train" + opts + " --resume nothing-here");
  EXPECT_EQ(none.code, 1);
  EXPECT_NE(none.err.find("nothing-here: no checkpoint here"), std::string::npos) << none.err;
  EXPECT_EQ(dsgd("train" + opts + " --checkpoint ck --checkpoint-every often").code, 2);
}

TEST_F(CliTest, BadModelsAndOptionsAreReportedPlainly) {
  std::ofstream(path("truncated.txt")) << "format dsgd-model 1\ndsgd 0.4.0\nfeatures 13\nbias 0\n";
  const Result truncated = dsgd("eval --model truncated.txt " + data_file("heart_scale"));
  EXPECT_EQ(truncated.code, 1);
  expect_one_line_error(truncated);
  EXPECT_NE(truncated.err.find("truncated.txt:5: truncated model"), std::string::npos) << truncated.err;

  ASSERT_EQ(dsgd("train -q " + data_file("heart_scale") + " -o m.txt").code, 0);
  const Result wrong_labels = dsgd("eval --model m.txt " + data_file("labels_12.libsvm"));
  EXPECT_EQ(wrong_labels.code, 1);
  EXPECT_NE(wrong_labels.err.find("labels_12.libsvm:2: unknown label 2"), std::string::npos) << wrong_labels.err;

  const Result patience = dsgd("train " + data_file("heart_scale") + " --patience 2");
  EXPECT_EQ(patience.code, 2);
  EXPECT_NE(patience.err.find("--patience needs held-out rows"), std::string::npos) << patience.err;
  const Result synthetic_only = dsgd("train " + data_file("heart_scale") + " --samples 10");
  EXPECT_EQ(synthetic_only.code, 2);
  const Result file_only = dsgd("train --holdout 0.2");
  EXPECT_EQ(file_only.code, 2);
  EXPECT_NE(file_only.err.find("--holdout needs a data file"), std::string::npos) << file_only.err;
}

TEST_F(CliTest, HoldoutStopsEarlyAndInitWarmStarts) {
  const json j = dsgd_json("train -q " + data_file("heart_scale") + " --holdout 0.3 -o m.txt", "r.json");
  EXPECT_EQ(j.at("config").at("patience"), 3);
  EXPECT_FALSE(j.at("epochs").at(0).at("holdout_loss").is_null());
  // A small rate from the saved model stays near it; from zero the same run is far worse.
  const std::string small = " --epochs 1 --lr 0.001 --warmup-epochs 0";
  const json again = dsgd_json("train -q " + data_file("heart_scale") + " --init m.txt" + small, "r2.json");
  const json fresh = dsgd_json("train -q " + data_file("heart_scale") + small, "r3.json");
  // (The saved model on all rows: the run's own "train" figures are its training rows'.)
  const double saved = dsgd_json("eval --model m.txt " + data_file("heart_scale"), "e.json").at("log_loss").get<double>();
  EXPECT_NEAR(again.at("train").at("log_loss").get<double>(), saved, 0.01);
  EXPECT_GT(fresh.at("train").at("log_loss").get<double>(), saved + 0.1);
  const Result mismatch = dsgd("train -q " + data_file("heart_scale") + " --init m.txt --features 20");
  EXPECT_EQ(mismatch.code, 2);
}

}  // namespace

namespace {

// The weight lines of a model file (between "weights" and "end").
std::vector<std::string> weights_of(const std::string& model) {
  const std::vector<std::string> lines = lines_of(model);
  const auto at = std::find(lines.begin(), lines.end(), "weights");
  const auto end = std::find(lines.begin(), lines.end(), "end");
  return at == lines.end() || end < at ? std::vector<std::string>() : std::vector<std::string>(at + 1, end);
}

}  // namespace

// --exchange changes how the gradients travel, never the model; the JSON says what ran.
TEST_F(CliTest, EveryExchangeWritesTheSameModel) {
  std::vector<std::string> models;
  for (const char* mode : {"dense", "sparse", "auto"}) {
    const std::string model = std::string(mode) + ".txt";
    const json j = dsgd_json("train -q " + data_file("a9a.gz") + " --workers 2 --epochs 3 --l2 1e-4 --exchange " +
                                 mode + " -o " + model,
                             std::string(mode) + ".json");
    expect_keys(j, "exchange", {"mode", "update", "sparse_steps", "dense_steps", "bytes_per_step", "touched_share"});
    expect_keys(j, "", {"compute_s", "exchange_s", "comm_s", "wait_s", "communication"});
    EXPECT_EQ(j.at("exchange").at("mode"), mode);
    const auto steps = j.at("steps").get<std::uint64_t>();
    const std::string counted = std::string(mode) == "dense" ? "dense_steps" : "sparse_steps";
    if (std::string(mode) != "auto") {
      EXPECT_EQ(j.at("exchange").at(counted).get<std::uint64_t>(), steps);
    }
    models.push_back(read_text(path(model)));
    EXPECT_EQ(weights_of(models.back()).size(), 123U);
  }
  EXPECT_EQ(weights_of(models[0]), weights_of(models[1]));
  EXPECT_EQ(weights_of(models[0]), weights_of(models[2]));
  const Result r = dsgd("train " + data_file("a9a.gz") + " --workers 2 --epochs 1 -v");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has_line_starting(r.out, "Exchange  ")) << r.out;
  const Result plain = dsgd("train " + data_file("a9a.gz") + " --workers 2 --epochs 1");
  EXPECT_FALSE(has_line_starting(plain.out, "Exchange")) << "engineering detail is for --verbose: " << plain.out;
}

// A sparse file whose few count columns reach 1e8 is scaled by max |x| unless told otherwise,
// the scales stored in the model (mean 0, powers of two); --scale and --standardize must agree.
TEST_F(CliTest, UnscaledSparseDataIsScaledByMaxAbs) {
  {
    std::ofstream out(path("counts.svm"));
    for (int i = 0; i < 400; ++i) {
      const int a = i % 7, b = (i * 3) % 11;
      const bool y = (a + b) % 2 == 0;
      out << (y ? "+1" : "-1") << " " << 1 + a << ":1 " << 10 + b << ":0.5 40:" << (y ? 9e7 : 1e7) + i << "\n";
    }
  }
  const json j = dsgd_json("train -q counts.svm -o m.txt", "scaled.json");
  EXPECT_EQ(j.at("config").at("scale"), "maxabs");
  const std::string model = read_text(path("m.txt"));
  EXPECT_NE(model.find("standardized yes"), std::string::npos);
  const std::vector<std::string> rows = weights_of(model);
  ASSERT_EQ(rows.size(), 40U);
  EXPECT_NE(rows[39].find(" 0 134217728"), std::string::npos) << rows[39];  // mean 0, scale 2^27 >= 9e7 + 399
  EXPECT_NE(rows[0].find(" 0 1"), std::string::npos) << rows[0];
  const Result said = dsgd("train counts.svm --epochs 1");
  EXPECT_NE(said.out.find("scaled by max |x|"), std::string::npos) << said.out;
  const json none = dsgd_json("train -q counts.svm --scale none", "none.json");
  EXPECT_EQ(none.at("config").at("scale"), "none");
  EXPECT_LT(j.at("train").at("log_loss").get<double>(), none.at("train").at("log_loss").get<double>());
  const Result clash = dsgd("train counts.svm --scale maxabs --no-standardize");
  EXPECT_EQ(clash.code, 2);
  expect_one_line_error(clash);
  const Result init = dsgd("train counts.svm --init m.txt --scale standardize");
  EXPECT_EQ(init.code, 2);
  EXPECT_NE(init.err.find("was trained with --scale maxabs"), std::string::npos) << init.err;
}

// gen --nnz: LIBSVM rows of exactly nnz ascending columns that train reads back as sparse.
TEST_F(CliTest, GenWritesSparseRowsAsLibsvmOnly) {
  const Result r = dsgd("gen -n 300 --features 100000 --nnz 7 --zipf 1.1 -o sparse.svm --test-output sparse.t.svm");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<std::string> rows = lines_of(read_text(path("sparse.svm")));
  ASSERT_EQ(rows.size(), 300U);
  for (const std::string& row : rows) {
    std::istringstream in(row);
    std::string label, pair;
    in >> label;
    EXPECT_TRUE(label == "+1" || label == "-1") << row;
    long last = 0;
    int n = 0;
    while (in >> pair) {
      const long column = std::stol(pair.substr(0, pair.find(':')));
      EXPECT_GT(column, last) << row;
      EXPECT_LE(column, 100000) << row;
      EXPECT_EQ(pair.substr(pair.find(':')), ":1") << row;
      last = column;
      ++n;
    }
    EXPECT_EQ(n, 7) << row;
  }
  const json j = dsgd_json("train -q sparse.svm --test sparse.t.svm --features 100000 -o m.txt", "j.json");
  EXPECT_EQ(j.at("data").at("storage"), "sparse");
  EXPECT_EQ(j.at("data").at("dtype"), "ones");  // rows of ones: no values stored
  EXPECT_EQ(j.at("data").at("bytes"), 300 * 7 * 4 + 301 * 8);
  // The test file was scored as it was read, to the figures of the same rows held whole.
  EXPECT_TRUE(j.at("test_data").at("streamed").get<bool>());
  EXPECT_FALSE(j.at("data").at("streamed").get<bool>());
  const json held = dsgd_json("eval sparse.t.svm m.txt", "eval.json");
  EXPECT_FALSE(held.at("data").at("streamed").get<bool>());
  EXPECT_EQ(j.at("test").at("log_loss"), held.at("log_loss")) << held.dump();
  EXPECT_EQ(j.at("test").at("auc"), held.at("auc"));
  EXPECT_EQ(j.at("test").at("accuracy"), held.at("accuracy"));
  EXPECT_EQ(j.at("config").at("optimizer"), "adagrad");  // wide sparse data
  EXPECT_EQ(j.at("config").at("schedule"), "constant");
  const json narrow = dsgd_json("train -q " + data_file("a9a.gz") + " --epochs 1", "narrow.json");
  EXPECT_EQ(narrow.at("config").at("optimizer"), "sgd");
  EXPECT_EQ(dsgd_json("train -q sparse.svm --optimizer sgd --epochs 1", "sgd.json").at("config").at("optimizer"), "sgd");
  const Result csv = dsgd("gen -n 10 --features 100 --nnz 3 -o sparse.csv");
  EXPECT_EQ(csv.code, 2);
  expect_one_line_error(csv);
  EXPECT_FALSE(fs::exists(path("sparse.csv")));
}

// Without --workers a tiny file trains on one worker and says why; --workers is obeyed.
TEST_F(CliTest, DefaultWorkersPayForThemselves) {
  const Result small = dsgd("train " + data_file("heart_scale") + " --epochs 1");
  ASSERT_EQ(small.code, 0) << small.err;
  EXPECT_NE(small.out.find(" x 1 worker,"), std::string::npos) << small.out;
  if (std::thread::hardware_concurrency() >= 2) {
    EXPECT_TRUE(has_line_starting(small.out, "Note    1 worker, not ")) << small.out;
    EXPECT_NE(small.out.find("--workers"), std::string::npos);
  }
  const Result forced = dsgd("train " + data_file("heart_scale") + " --epochs 1 --workers 2");
  EXPECT_NE(forced.out.find(" x 2 workers,"), std::string::npos) << forced.out;
  EXPECT_FALSE(has_line_starting(forced.out, "Note")) << forced.out;
}
