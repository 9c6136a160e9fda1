// The command line as LIBLINEAR, Vowpal Wabbit and Unix users expect it: prediction on rows
// without labels, data from pipes and standard input, outputs to standard output, devices,
// FIFOs and symlinks, and dsgd started by mpirun without --backend mpi.
#include <sys/stat.h>

#include <string>
#include <thread>
#include <vector>

#include "cli_fixture.h"

namespace {

using namespace cli_testing;

// The probabilities a predict run printed, one a line.
std::vector<double> probabilities_of(const std::string& text) {
  std::vector<double> p;
  for (const std::string& line : lines_of(text)) p.push_back(std::stod(line));
  return p;
}

class Everyday : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    ASSERT_EQ(dsgd("train -q " + data_file("heart_scale") + " -o m.txt").code, 0);
  }
};

TEST_F(Everyday, PredictTakesRowsWithoutLabelsAndIgnoresLabels) {
  const Result labelled = dsgd("predict --model m.txt " + data_file("heart_scale"));
  ASSERT_EQ(labelled.code, 0) << labelled.err;
  // The same rows without their labels (LIBSVM rows that start with index:value).
  ASSERT_EQ(std::system(("cut -d' ' -f2- " + data_file("heart_scale") + " > " + quoted(path("bare.svm"))).c_str()), 0);
  const Result bare = dsgd("predict --model m.txt bare.svm");
  ASSERT_EQ(bare.code, 0) << bare.err;
  EXPECT_EQ(bare.out, labelled.out);
  EXPECT_EQ(probabilities_of(bare.out).size(), 270U);
  // Labels the model does not know are ignored too (predict), refused by eval.
  ASSERT_EQ(std::system(("sed 's/^[-+]*1 /7 /' " +
                         data_file("heart_scale") + " > " + quoted(path("sevens.svm")))
                            .c_str()),
            0);
  EXPECT_EQ(dsgd("predict --model m.txt sevens.svm").out, labelled.out);
  const Result eval = dsgd("eval --model m.txt sevens.svm");
  EXPECT_EQ(eval.code, 1);
  EXPECT_NE(eval.err.find("unknown label 7"), std::string::npos) << eval.err;
  const Result eval_bare = dsgd("eval --model m.txt bare.svm");
  EXPECT_EQ(eval_bare.code, 1);
  EXPECT_NE(eval_bare.err.find("missing label"), std::string::npos) << eval_bare.err;
}

TEST_F(Everyday, PredictReadsACsvOfTheModelsFeaturesOnly) {
  ASSERT_EQ(dsgd("train -q " + data_file("breast_cancer.csv") + " --label-column malignant -o c.txt").code, 0);
  const Result labelled = dsgd("predict --model c.txt --label-column malignant " + data_file("breast_cancer.csv"));
  ASSERT_EQ(labelled.code, 0) << labelled.err;
  // breast_cancer.csv without its last column, the label.
  ASSERT_EQ(std::system(("sed 's/,[^,]*$//' " + data_file("breast_cancer.csv") + " > " + quoted(path("bare.csv"))).c_str()),
            0);
  const Result bare = dsgd("predict --model c.txt bare.csv");
  ASSERT_EQ(bare.code, 0) << bare.err;
  EXPECT_EQ(bare.out, labelled.out);
  // A header that lacks one of the model's columns is refused, naming it, not zero-filled.
  ASSERT_EQ(std::system(("sed 's/,[^,]*$//' " + quoted(path("bare.csv")) + " > " + quoted(path("narrow.csv"))).c_str()), 0);
  const Result narrow = dsgd("predict --model c.txt narrow.csv");
  EXPECT_EQ(narrow.code, 1);
  EXPECT_NE(narrow.err.find("narrow.csv:1: no column 'worst_fractal_dimension': the model was trained on it"),
            std::string::npos)
      << narrow.err;
}

TEST_F(Everyday, PredictLabelsAreTheModelsOwnAndTheThresholdMoves) {
  const Result p = dsgd("predict --model m.txt " + data_file("heart_scale"));
  const std::vector<double> prob = probabilities_of(p.out);
  const Result labels = dsgd("predict --labels --threshold 0.7 --model m.txt " + data_file("heart_scale"));
  ASSERT_EQ(labels.code, 0) << labels.err;
  const std::vector<std::string> got = lines_of(labels.out);
  ASSERT_EQ(got.size(), prob.size());
  std::size_t positive = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i], prob[i] > 0.7 ? "1" : "-1") << i;  // heart_scale's labels are -1/+1
    positive += prob[i] > 0.7;
  }
  const json j = dsgd_json("predict --model m.txt -o p.txt --threshold 0.7 " + data_file("heart_scale"), "p.json");
  EXPECT_EQ(j.at("command"), "predict");
  EXPECT_EQ(j.at("rows"), 270);
  EXPECT_EQ(j.at("predicted_positive"), positive);
  EXPECT_EQ(j.at("unlabelled_rows"), 0);
  EXPECT_EQ(read_text(path("p.txt")), p.out);

  // eval --threshold: 0 calls every row positive, 1 none; log-loss and AUC do not move.
  const json half = dsgd_json("eval --model m.txt " + data_file("heart_scale"), "e.json");
  const json zero = dsgd_json("eval --threshold 0 --model m.txt " + data_file("heart_scale"), "e0.json");
  const json one = dsgd_json("eval --threshold 1 --model m.txt " + data_file("heart_scale"), "e1.json");
  EXPECT_EQ(zero.at("confusion").at("true_negatives"), 0);
  EXPECT_EQ(zero.at("confusion").at("false_negatives"), 0);
  EXPECT_EQ(one.at("confusion").at("true_positives"), 0);
  EXPECT_EQ(one.at("confusion").at("false_positives"), 0);
  EXPECT_EQ(zero.at("threshold"), 0.0);
  EXPECT_EQ(dsgd("eval --threshold nan --model m.txt " + data_file("heart_scale")).code, 2);
  // The report is eval's output: a full disk fails the run.
  const Result full = dsgd("eval --model m.txt " + data_file("heart_scale") + " > /dev/full");
  EXPECT_EQ(full.code, 1);
  EXPECT_NE(full.err.find("stdout: write failed"), std::string::npos) << full.err;
  // The model itself from standard input.
  EXPECT_EQ(dsgd("predict --model - " + data_file("heart_scale") + " < m.txt").out, p.out);
  EXPECT_EQ(zero.at("log_loss"), half.at("log_loss"));
  EXPECT_EQ(one.at("auc"), half.at("auc"));
}

TEST_F(Everyday, DataFromPipesAndStandardInputTrainsTheSameBits) {
  const json file = dsgd_json("train -q " + data_file("heart_scale"), "file.json");
  const json piped = dsgd_json("train -q - < " + data_file("heart_scale"), "stdin_file.json");
  const json pipe = [&] {
    (void)dsgd_json_via("cat " + data_file("heart_scale") + " | ", "train -q -", "pipe.json");
    return json::parse(read_text(path("pipe.json")));
  }();
  const json gz = [&] {
    (void)dsgd_json_via("gzip -c " + data_file("heart_scale") + " | ", "train -q /dev/stdin", "gz.json");
    return json::parse(read_text(path("gz.json")));
  }();
  for (const json* j : {&piped, &pipe, &gz}) {
    EXPECT_EQ(j->at("weights"), file.at("weights"));
    EXPECT_EQ(j->at("bias"), file.at("bias"));
    EXPECT_EQ(j->at("data").at("rows"), 270);
  }
  // A named pipe, written by another process.
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  std::thread writer([&] { (void)std::system(("cat " + data_file("heart_scale") + " > " + quoted(path("fifo"))).c_str()); });
  const json fifo = dsgd_json("train -q fifo", "fifo.json");
  writer.join();
  EXPECT_EQ(fifo.at("weights"), file.at("weights"));
  // Prediction from standard input.
  EXPECT_EQ(dsgd("predict --model m.txt - < " + data_file("heart_scale")).out,
            dsgd("predict --model m.txt " + data_file("heart_scale")).out);
  // A stream has no place for a cache, and standard input can be read once.
  const Result cache = dsgd("train -q --cache - < " + data_file("heart_scale"));
  EXPECT_EQ(cache.code, 2);
  EXPECT_NE(cache.err.find("--cache needs a data file"), std::string::npos) << cache.err;
  const Result twice = dsgd("train -q - --test - < " + data_file("heart_scale"));
  EXPECT_EQ(twice.code, 2);
  EXPECT_NE(twice.err.find("both read standard input"), std::string::npos) << twice.err;
  const Result empty = dsgd("train -q - < /dev/null");
  EXPECT_EQ(empty.code, 1);
  EXPECT_NE(empty.err.find("stdin: empty file"), std::string::npos) << empty.err;
}

TEST_F(Everyday, OutputsGoToStandardOutputDevicesFifosAndSymlinkTargets) {
  // "-": the model on standard output, the report on standard error.
  const Result to_stdout = dsgd("train " + data_file("heart_scale") + " -o -");
  ASSERT_EQ(to_stdout.code, 0) << to_stdout.err;
  EXPECT_EQ(to_stdout.out, read_text(path("m.txt")));  // the same model, the same bits
  EXPECT_NE(to_stdout.err.find("; written to standard output"), std::string::npos) << to_stdout.err;
  EXPECT_FALSE(fs::exists(path("-")));
  // /dev/stdout is written through; the device link stays what it was.
  const Result dev = dsgd("predict --model m.txt -o /dev/stdout " + data_file("heart_scale"));
  ASSERT_EQ(dev.code, 0) << dev.err;
  EXPECT_EQ(probabilities_of(dev.out).size(), 270U);
  EXPECT_TRUE(fs::is_symlink("/dev/stdout"));
  EXPECT_EQ(dsgd("predict --model m.txt -o /dev/null " + data_file("heart_scale")).code, 0);
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  // A symlink keeps pointing where it did; its target gets the content.
  fs::create_directories(path("real"));
  fs::create_symlink("real/predictions.txt", path("link.txt"));
  ASSERT_EQ(dsgd("predict --model m.txt -o link.txt " + data_file("heart_scale")).code, 0);
  EXPECT_TRUE(fs::is_symlink(path("link.txt")));
  EXPECT_EQ(read_text(path("real/predictions.txt")), dev.out);
  ASSERT_EQ(dsgd("predict --labels --model m.txt -o link.txt " + data_file("heart_scale")).code, 0);
  EXPECT_TRUE(fs::is_symlink(path("link.txt")));
  EXPECT_EQ(lines_of(read_text(path("real/predictions.txt"))).front().size() <= 2, true);
  // A FIFO is written through, to the process reading it.
  ASSERT_EQ(::mkfifo(path("out.fifo").c_str(), 0600), 0);
  std::thread reader([&] { (void)std::system(("cat " + quoted(path("out.fifo")) + " > " + quoted(path("got"))).c_str()); });
  ASSERT_EQ(dsgd("predict --model m.txt -o out.fifo " + data_file("heart_scale")).code, 0);
  reader.join();
  EXPECT_EQ(read_text(path("got")), dev.out);
  EXPECT_TRUE(fs::is_fifo(path("out.fifo")));
  // Files under /dev that are files (/dev/shm) are replaced atomically, like any other.
  const std::string shm = "/dev/shm/dsgd_everyday_" + std::to_string(::getpid()) + ".txt";
  if (fs::is_directory("/dev/shm")) {
    ASSERT_EQ(dsgd("predict --model m.txt -o " + shm + " " + data_file("heart_scale")).code, 0);
    EXPECT_EQ(read_text(shm), dev.out);
    fs::remove(shm);
  }
  // Two outputs cannot share standard output.
  const Result both = dsgd("predict --model m.txt --json - " + data_file("heart_scale"));
  EXPECT_EQ(both.code, 2);
  EXPECT_NE(both.err.find("both write to standard output"), std::string::npos) << both.err;
}

TEST_F(Everyday, GenWritesTrainAndTestFilesWithTheSameLabels) {
  ASSERT_EQ(dsgd("gen -n 2000 --features 5 -o train.svm --test-output test.csv").code, 0);
  ASSERT_EQ(dsgd("train -q train.svm -o g.txt").code, 0);
  const Result eval = dsgd("eval --model g.txt test.csv");
  EXPECT_EQ(eval.code, 0) << eval.err;
  // Generated data to standard output, the message on standard error.
  const Result out = dsgd("gen -n 100 --features 3 -o -");
  ASSERT_EQ(out.code, 0) << out.err;
  EXPECT_EQ(lines_of(out.out).size(), 100U);
  EXPECT_NE(out.err.find("to standard output"), std::string::npos) << out.err;
}

TEST_F(Everyday, StartedByMpirunWithoutTheMpiBackendRefuses) {
  const std::string env = "OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_RANK=";
  // dsgd() runs its arguments through the shell: the variables go before the program.
  const auto run = [&](const std::string& rank, const std::string& args) {
    return dsgd_env(env + rank, args);
  };
  const Result rank0 = run("0", "train -q " + data_file("heart_scale") + " -o x.txt");
  EXPECT_EQ(rank0.code, 2);
  expect_one_line_error(rank0);
  EXPECT_NE(rank0.err.find("without --backend mpi"), std::string::npos) << rank0.err;
  EXPECT_FALSE(fs::exists(path("x.txt")));
  const Result rank1 = run("1", "train -q " + data_file("heart_scale") + " -o x.txt");
  EXPECT_EQ(rank1.code, 2);
  EXPECT_TRUE(rank1.err.empty()) << rank1.err;  // only rank 0 speaks
  const Result predict = run("0", "predict --model m.txt " + data_file("heart_scale"));
  EXPECT_EQ(predict.code, 2);
  EXPECT_NE(predict.err.find("run it without mpirun"), std::string::npos) << predict.err;
  // One process under mpirun is fine.
  EXPECT_EQ(dsgd_env("OMPI_COMM_WORLD_SIZE=1 OMPI_COMM_WORLD_RANK=0", "train -q " + data_file("heart_scale")).code, 0);
}

TEST_F(Everyday, HeldOutRowsAndTrainingRowsAreScoredApart) {
  const json j = dsgd_json("train -q " + data_file("heart_scale") + " --holdout 0.3", "h.json");
  const std::size_t train_rows = j.at("train").at("rows"), held_rows = j.at("holdout").at("rows");
  EXPECT_EQ(train_rows + held_rows, 270U);
  EXPECT_GT(held_rows, 50U);
  EXPECT_LT(held_rows, 110U);
  EXPECT_EQ(j.at("early_stopping").at("on"), "holdout");
  EXPECT_EQ(j.at("early_stopping").at("patience"), 3);
  const Result text = dsgd("train " + data_file("heart_scale") + " --holdout 0.3");
  EXPECT_TRUE(has_line_starting(text.out, "Result  train ")) << text.out;
  EXPECT_NE(text.out.find("(" + std::to_string(train_rows) + " rows)"), std::string::npos) << text.out;
  EXPECT_TRUE(has_line_starting(text.out, "        held-out ")) << text.out;
  EXPECT_NE(text.out.find("(" + std::to_string(held_rows) + " rows)"), std::string::npos) << text.out;
  // Early stopping on --test says that the test set chose the epoch.
  const Result on_test = dsgd("train " + data_file("heart_scale") + " --test " + data_file("heart_scale") +
                              " --patience 2");
  EXPECT_NE(on_test.out.find("the test set picks the epoch"), std::string::npos) << on_test.out;
  const json t = dsgd_json("train -q " + data_file("heart_scale") + " --test " + data_file("heart_scale") +
                               " --patience 2",
                           "t.json");
  EXPECT_EQ(t.at("early_stopping").at("on"), "test");
  EXPECT_TRUE(dsgd_json("train -q " + data_file("heart_scale"), "n.json").at("early_stopping").is_null());
}

// Two runs of 5 epochs, the second from the first's model, give the bits of one run of 10.
TEST_F(Everyday, AWarmStartGoesOnWithTheSchedule) {
  for (const std::string workers : {"1", "2"}) {
    const std::string base = "train -q " + data_file("heart_scale") + " --workers " + workers;
    const json ten = dsgd_json(base + " --epochs 10", "ten.json");
    ASSERT_EQ(dsgd(base + " --epochs 5 --model five.txt").code, 0);
    const json more = dsgd_json(base + " --epochs 5 --init five.txt --model ten.txt", "more.json");
    EXPECT_EQ(more.at("weights"), ten.at("weights")) << workers;
    EXPECT_EQ(more.at("bias"), ten.at("bias")) << workers;
    ASSERT_EQ(more.at("epochs").size(), 5U);
    EXPECT_EQ(more.at("epochs").at(0).at("epoch"), 6);
    EXPECT_EQ(more.at("epochs").at(0).at("lr"), ten.at("epochs").at(5).at("lr"));
    EXPECT_NE(read_text(path("ten.txt")).find("\"epochs_trained\":10"), std::string::npos);
    EXPECT_EQ(more.at("steps").get<std::size_t>() * 2, ten.at("steps").get<std::size_t>());  // its own steps
  }
  const Result said = dsgd("train " + data_file("heart_scale") + " --epochs 5 --init five.txt");
  EXPECT_NE(said.out.find("trained for 5 epochs; this run goes on with epochs 6 to 10"), std::string::npos)
      << said.out;
}

// A row of weight 2 in --weights trains as the row written twice, in steps over all rows at
// once, on 1 and 2 workers, dense and sparse; class weights are weights of every row of a class.
TEST_F(Everyday, AWeightOfTwoTrainsAsTheRowWrittenTwice) {
  const std::string heart = data_file("heart_scale");
  ASSERT_EQ(std::system(("awk 'NF { n++; print (n % 7 == 3) ? 2 : 1 }' " + heart + " > " + quoted(path("w.txt")))
                            .c_str()),
            0);
  ASSERT_EQ(std::system(("awk 'NF { n++; print; if (n % 7 == 3) print }' " + heart + " > " + quoted(path("twice.svm")))
                            .c_str()),
            0);
  const auto close = [](const json& a, const json& b) {
    EXPECT_NEAR(a.at("bias").get<double>(), b.at("bias").get<double>(), 1e-10);
    ASSERT_EQ(a.at("weights").size(), b.at("weights").size());
    for (std::size_t j = 0; j < a.at("weights").size(); ++j)
      EXPECT_NEAR(a.at("weights")[j].get<double>(), b.at("weights")[j].get<double>(), 1e-10) << j;
  };
  for (const std::string opts : {"--workers 1", "--workers 2", "--workers 2 --storage sparse"}) {
    const std::string full = " -q --batch 100000 --epochs 5 --lr 0.5 --scale none " + opts;
    const json weighted = dsgd_json("train " + heart + " --weights w.txt" + full, "a.json");
    const json twice = dsgd_json("train twice.svm" + full, "b.json");
    close(weighted, twice);
    EXPECT_NE(weighted.at("weights"), dsgd_json("train " + heart + full, "c.json").at("weights"));
    EXPECT_EQ(weighted.at("sample_weights").at("total"), 270 + 39);
    EXPECT_EQ(weighted.at("sample_weights").at("file"), "w.txt");
    EXPECT_TRUE(twice.at("sample_weights").is_null());
    // Every positive row (label +1) twice is --class-weight 2,1.
    ASSERT_EQ(std::system(("awk '$1 == \"+1\" { print } { print }' " + heart + " > " + quoted(path("pos.svm"))).c_str()), 0);
    close(dsgd_json("train " + heart + " --class-weight 2,1" + full, "d.json"),
          dsgd_json("train pos.svm" + full, "e.json"));
  }
  // Balanced: each class half the total weight.
  const json balanced = dsgd_json("train -q " + heart + " --class-weight balanced", "f.json");
  const json& w = balanced.at("sample_weights");
  EXPECT_EQ(w.at("class_weight"), "balanced");
  EXPECT_DOUBLE_EQ(w.at("positive").get<double>(), 270.0 / (2 * 120));  // heart_scale: 120 positive, 150 negative
  EXPECT_DOUBLE_EQ(w.at("negative").get<double>(), 270.0 / (2 * 150));
  EXPECT_NEAR(w.at("total").get<double>(), 270.0, 1e-12);
  const Result text = dsgd("train " + heart + " --weights w.txt --class-weight balanced");
  EXPECT_TRUE(has_line_starting(text.out, "Weights w.txt, class weights ")) << text.out;
}

TEST_F(Everyday, BadWeightsAreRefusedWithTheirLine) {
  const std::string heart = data_file("heart_scale");
  const auto refused = [&](const std::string& weights, const std::string& options, int code,
                           const std::string& message) {
    std::ofstream(path("w.txt")) << weights;
    const Result r = dsgd("train " + heart + " --weights w.txt " + options + " -o out.txt");
    EXPECT_EQ(r.code, code) << weights;
    EXPECT_TRUE(r.err.starts_with("dsgd: error: ")) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(path("out.txt")));
  };
  std::string ones;
  for (int i = 0; i < 270; ++i) ones += "1\n";
  refused("1\n1\nx\n", "", 1, "w.txt:3: bad weight 'x' (expected one number a line)");
  refused("1\n-2\n", "", 1, "w.txt:2: negative weight '-2'");
  refused("1\n1 2\n", "", 1, "w.txt:2: bad weight '1 2'");
  refused("1\n# a comment\n\n1\n", "", 1, "w.txt: 2 weights for the 270 rows of the data");
  refused(ones + "1\n", "", 1, "w.txt:271: more weights than the 270 rows of the data");
  refused(ones + "inf\n", "", 1, "w.txt:271: bad weight 'inf'");
  std::string zeros;
  for (int i = 0; i < 270; ++i) zeros += "0\n";
  refused(zeros, "", 2, "every row weighs 0");
  refused(ones, "--class-weight 2", 2, "--class-weight '2': expected 'balanced' or POS,NEG");
  refused(ones, "--class-weight 1,0", 2, "--class-weight '1,0'");
  refused(ones, "--class-weight 1,x", 2, "--class-weight '1,x'");
  // Only the positive rows weigh: balanced cannot weigh the negatives up.
  std::ofstream(path("pos_only.sh")) << "awk 'NF { print ($1 == \"+1\") ? 1 : 0 }' " << heart << " > w2.txt\n";
  ASSERT_EQ(std::system(("sh " + quoted(path("pos_only.sh")) + " && mv w2.txt " + quoted(path("w2.txt"))).c_str()), 0);
  const Result r = dsgd("train " + heart + " --weights w2.txt --class-weight balanced");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--class-weight balanced: the classes weigh 0 (negative) and 120 (positive)"), std::string::npos)
      << r.err;
  const Result synthetic = dsgd("train --weights w.txt");
  EXPECT_EQ(synthetic.code, 2);
  EXPECT_NE(synthetic.err.find("--weights needs a data file"), std::string::npos) << synthetic.err;
}

// An option given '' is refused by name (not read as not given); a CSV on standard input says
// how to read it; the old --format's bad value names the option.
TEST_F(Everyday, EmptyValuesAndUnannouncedCsvAreNamed) {
  const std::string heart = data_file("heart_scale");
  for (const auto& [args, option] :
       std::vector<std::pair<std::string, std::string>>{{"predict --model m.txt " + heart + " -o ''", "--output"},
                                                        {"train ''", "DATA"},
                                                        {"train " + heart + " -o ''", "--output"},
                                                        {"train " + heart + " --weights ''", "--weights"},
                                                        {"gen -n 10 -o ''", "--output"}}) {
    const Result r = dsgd(args);
    EXPECT_EQ(r.code, 2) << args;
    expect_one_line_error(r);
    EXPECT_TRUE(r.err.starts_with("dsgd: error: " + option + ": an empty value")) << r.err;
  }
  EXPECT_FALSE(fs::exists(path("''")));
  const Result csv = dsgd_after("cat " + data_file("breast_cancer.csv") + " | ", "train -q -");
  EXPECT_EQ(csv.code, 1);
  EXPECT_NE(csv.err.find("stdin:1: bad label"), std::string::npos) << csv.err;
  EXPECT_NE(csv.err.find("--format csv reads it as CSV"), std::string::npos) << csv.err;
  EXPECT_EQ(dsgd_after("cat " + data_file("breast_cancer.csv") + " | ", "train -q - --format csv --epochs 1").code, 0);
  // The old spelling works, with one line naming the new one.
  const Result old = dsgd_after("cat " + data_file("breast_cancer.csv") + " | ", "train -q - --input-format csv --epochs 1");
  EXPECT_EQ(old.code, 0) << old.err;
  EXPECT_EQ(old.err, "dsgd: warning: --input-format is now --format\n");
  // Numbers in messages as given, in one style.
  for (const auto& [args, message] : std::vector<std::pair<std::string, std::string>>{
           {"--holdout 2", "--holdout: must be a fraction strictly between 0 and 1, got 2"},
           {"--holdout 1e-400", "--holdout: must be a fraction strictly between 0 and 1, got 1e-400"},
           {"--epochs 1.5", "--epochs: expected a whole number, got '1.5'"},
           {"--batch 0", "--batch: must be a whole number of at least 1, got 0"},
           {"--batch 1e3", "--batch: expected a whole number, got '1e3'"}}) {
    const Result r = dsgd("train " + heart + " " + args);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_TRUE(r.err.starts_with("dsgd: error: " + message)) << r.err;
  }
  const Result format = dsgd("train " + heart + " --format bogus");
  EXPECT_EQ(format.code, 2);
  EXPECT_NE(format.err.find("dsgd: error: --format: expected auto, libsvm or csv, got bogus"), std::string::npos)
      << format.err;
  const Result storage = dsgd("train " + heart + " --format sparse");  // dsgd 0.5's --format was the storage
  EXPECT_EQ(storage.code, 2);
  EXPECT_NE(storage.err.find("sparse is a storage (--storage sparse)"), std::string::npos) << storage.err;
}

// Local SGD from the command line: reported as such, resumed mid-epoch from a checkpoint at an
// average to the uninterrupted bits; a checkpoint between averages is refused; a target stops
// the run.
TEST_F(Everyday, LocalSgdRunsReportAndResume) {
  const std::string base = "train -q " + data_file("a9a.gz") + " --workers 2 --sync-every 4 --epochs 4";
  const json whole = dsgd_json(base, "whole.json");
  EXPECT_EQ(whole.at("config").at("sync_every"), 4);
  EXPECT_EQ(whole.at("exchange").at("local_steps"), whole.at("steps"));
  EXPECT_EQ(whole.at("exchange").at("model_averages"), 4 * ((129 + 3) / 4));  // 129 steps an epoch
  ASSERT_EQ(dsgd(base + " --checkpoint ck --checkpoint-every 200 --keep-checkpoints 9").code, 0);
  ASSERT_TRUE(fs::exists(path("ck/ckpt-000000000400.dsgdckpt")));
  fs::remove(path("ck/ckpt-000000000400.dsgdckpt"));  // resume from step 200, mid-epoch 2
  const json resumed = dsgd_json(base + " --resume ck", "resumed.json");
  EXPECT_EQ(resumed.at("weights"), whole.at("weights"));
  EXPECT_EQ(resumed.at("bias"), whole.at("bias"));
  const Result between = dsgd(base + " --checkpoint ck2 --checkpoint-every 201");
  EXPECT_EQ(between.code, 2);
  EXPECT_NE(between.err.find("--checkpoint-every 201 must be a multiple of --sync-every 4"), std::string::npos)
      << between.err;
  const Result text = dsgd("train " + data_file("heart_scale") + " --workers 2 --sync-every epoch -v");
  EXPECT_NE(text.out.find("Exchange  local SGD: "), std::string::npos) << text.out;
  // A target ends the run where the held-out rows meet it, and says so.
  const json target = dsgd_json(base + " --holdout 0.2 --target-accuracy 0.84 --target-every 8", "target.json");
  EXPECT_EQ(target.at("target").at("reached"), true);
  EXPECT_EQ(target.at("target").at("step"), target.at("steps"));
  EXPECT_GE(target.at("target").at("holdout_accuracy").get<double>(), 0.84);
  EXPECT_LT(target.at("steps").get<std::size_t>(), whole.at("steps").get<std::size_t>());
  EXPECT_TRUE(whole.at("target").is_null());
  const Result said = dsgd("train " + data_file("a9a.gz") + " --holdout 0.2 --target-loss 0.01 --epochs 2");
  EXPECT_TRUE(has_line_starting(said.out, "Target held-out log-loss <= 0.01: not met in 2 epochs")) << said.out;
  const Result no_rows = dsgd(base + " --target-accuracy 0.9");
  EXPECT_EQ(no_rows.code, 2);
  EXPECT_NE(no_rows.err.find("are met on held-out rows"), std::string::npos) << no_rows.err;
  const Result shared = dsgd(base + " --exchange shared");
  EXPECT_EQ(shared.code, 2);
  EXPECT_NE(shared.err.find("--sync-every keeps a model on every worker"), std::string::npos) << shared.err;
}

// A synthetic run meets a target on its test rows, and stops there.
TEST_F(Everyday, SyntheticRunsStopAtATargetOnTheTestRows) {
  const std::string base = "train -q -n 20000 --features 20 --workers 2 --batch 500 --epochs 5";
  const json whole = dsgd_json(base, "whole.json");
  EXPECT_TRUE(whole.at("target").is_null());
  const json met = dsgd_json(base + " --target-accuracy 0.9 --target-every 4", "met.json");
  ASSERT_EQ(met.at("target").at("reached"), true) << met.dump();
  EXPECT_EQ(met.at("target").at("step").get<std::size_t>() % 4, 0U);
  EXPECT_LT(met.at("steps").get<std::size_t>(), whole.at("steps").get<std::size_t>());
  EXPECT_GE(met.at("target").at("holdout_accuracy").get<double>(), 0.9);
  // Going on after the target trains exactly what the run without one trains.
  const json went_on = dsgd_json(base + " --target-accuracy 0.9 --target-every 4 --after-target continue", "on.json");
  EXPECT_EQ(went_on.at("target").at("step"), met.at("target").at("step"));
  EXPECT_EQ(went_on.at("steps"), whole.at("steps"));
  EXPECT_EQ(went_on.at("weights"), whole.at("weights"));
  const Result text = dsgd(base.substr(0, base.find(" -q")) + base.substr(base.find(" -q") + 3) + " --target-loss 0.01");
  EXPECT_TRUE(has_line_starting(text.out, "Target held-out log-loss <= 0.01: not met in 5 epochs")) << text.out;
  EXPECT_TRUE(dsgd(base + " --target-loss 0.01").out.empty()) << "-q prints nothing on success";
  const Result none = dsgd(base + " --test-samples 0 --target-accuracy 0.9");
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.err.find("--test-samples must not be 0"), std::string::npos) << none.err;
}

TEST_F(Everyday, OverlapRunsReportsAndResumesAtEpochEnds) {
  const std::string base = "train -q " + data_file("a9a.gz") + " --workers 2 --overlap --epochs 3";
  const json whole = dsgd_json(base, "whole.json");
  EXPECT_EQ(whole.at("config").at("overlap"), true);
  EXPECT_EQ(whole.at("exchange").at("overlapped_steps"), 3 * 128);  // 129 steps an epoch: all but the last
  EXPECT_GT(whole.at("exchange").at("exposed_s").get<double>(), 0.0);
  const json plain = dsgd_json("train -q " + data_file("a9a.gz") + " --workers 2 --epochs 3", "plain.json");
  EXPECT_NE(plain.at("weights"), whole.at("weights"));  // pipelined SGD is another algorithm
  EXPECT_EQ(plain.at("exchange").at("overlapped_steps"), 0);
  ASSERT_EQ(dsgd(base + " --checkpoint ck --checkpoint-every epoch --keep-checkpoints 9").code, 0);
  fs::remove(path("ck/ckpt-000000000258.dsgdckpt"));  // resume after epoch 1
  const json resumed = dsgd_json(base + " --resume ck", "resumed.json");
  EXPECT_EQ(resumed.at("weights"), whole.at("weights"));
  EXPECT_EQ(resumed.at("bias"), whole.at("bias"));
  const Result mid_epoch = dsgd(base + " --checkpoint ck2 --checkpoint-every 50");
  EXPECT_EQ(mid_epoch.code, 2);
  EXPECT_NE(mid_epoch.err.find("--overlap takes checkpoints at epochs' ends only"), std::string::npos) << mid_epoch.err;
  const Result text = dsgd("train " + data_file("heart_scale") + " --workers 2 --overlap --batch 16 -v");
  EXPECT_TRUE(has_line_starting(text.out, "Overlap   ")) << text.out;
  const Result sparse = dsgd(base + " --exchange sparse");
  EXPECT_EQ(sparse.code, 2);
  EXPECT_NE(sparse.err.find("--overlap starts a dense allreduce"), std::string::npos) << sparse.err;
  const Result local = dsgd(base + " --sync-every 4");
  EXPECT_EQ(local.code, 2);
  EXPECT_NE(local.err.find("--overlap hides each step's exchange"), std::string::npos) << local.err;
}

}  // namespace
