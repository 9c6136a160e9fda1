// A model reads data the way its training file was read: CSV columns by name (any order), the
// label where it was, the width it has; and it travels to and from LIBLINEAR. Each case was a
// silent wrong answer of dsgd 0.5 (a label taken for a feature, a reordered header scored as it
// stood, a model widened by --init) and is now the right answer or one clear refusal.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_fixture.h"

namespace {

using namespace cli_testing;

// A CSV of `columns` (header names) in the given order, from the rows of named columns.
void write_csv(const fs::path& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows) {
  std::ofstream out(path);
  for (std::size_t k = 0; k < header.size(); ++k) out << (k ? "," : "") << header[k];
  out << '\n';
  for (const auto& row : rows) {
    for (std::size_t k = 0; k < row.size(); ++k) out << (k ? "," : "") << row[k];
    out << '\n';
  }
}

// The label first in the file, as a user names it with --label-column y.
const std::vector<std::vector<std::string>> kRows = {{"1", "0.5", "2"},    {"0", "-1", "0.3"}, {"1", "2", "1"},
                                                     {"0", "-2", "-1"},    {"1", "1", "1.5"}, {"0", "-1.5", "-0.5"},
                                                     {"1", "0.25", "0.9"}, {"0", "-0.3", "0.1"}};

std::vector<std::vector<std::string>> reordered(const std::vector<std::size_t>& order) {
  std::vector<std::vector<std::string>> out;
  for (const auto& row : kRows) {
    std::vector<std::string> r;
    for (const std::size_t k : order) r.push_back(row[k]);
    out.push_back(r);
  }
  return out;
}

TEST_F(CliTest, ACsvModelReadsItsLabelColumnAndHeaderByName) {
  write_csv(path("t.csv"), {"y", "a", "b"}, kRows);
  const json trained = dsgd_json("train -q t.csv m.txt --label-column y --epochs 5", "train.json");
  const Result p = dsgd("predict t.csv m.txt");
  ASSERT_EQ(p.code, 0) << p.err;
  // The same rows with the columns in another order, or without the label, or without a header
  // (by position, the label where it was): the same probabilities.
  write_csv(path("swapped.csv"), {"b", "y", "a"}, reordered({2, 0, 1}));
  write_csv(path("features.csv"), {"a", "b"}, reordered({1, 2}));
  for (const char* other : {"swapped.csv", "features.csv"}) {
    const Result q = dsgd(std::string("predict ") + other + " m.txt");
    EXPECT_EQ(q.code, 0) << other << ": " << q.err;
    EXPECT_EQ(q.out, p.out) << other;
  }
  ASSERT_EQ(std::system(("tail -n +2 " + quoted(path("t.csv")) + " > " + quoted(path("bare.txt"))).c_str()), 0);
  EXPECT_EQ(dsgd("predict bare.txt m.txt").out, p.out) << "a name that does not say: the model's format, CSV";
  // eval finds the label by name: the accuracy the training run reported.
  const json e = dsgd_json("eval swapped.csv m.txt", "eval.json");
  EXPECT_EQ(e.at("accuracy"), trained.at("train").at("accuracy"));
  EXPECT_EQ(e.at("log_loss"), trained.at("train").at("log_loss"));
  // A column the model lacks, or one it needs missing, is refused by name.
  write_csv(path("unknown.csv"), {"a", "y", "z"}, reordered({1, 0, 2}));
  const Result unknown = dsgd("predict unknown.csv m.txt");
  EXPECT_EQ(unknown.code, 1);
  expect_one_line_error(unknown);
  EXPECT_NE(unknown.err.find("unknown.csv:1: column 'z' is not one the model was trained on"), std::string::npos)
      << unknown.err;
  write_csv(path("missing.csv"), {"y", "a"}, reordered({0, 1}));
  const Result missing = dsgd("eval missing.csv m.txt");
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("missing.csv:1: no column 'b'"), std::string::npos) << missing.err;
  write_csv(path("no_label.csv"), {"b", "a"}, reordered({2, 1}));
  const Result no_label = dsgd("eval no_label.csv m.txt");
  EXPECT_EQ(no_label.code, 1);
  EXPECT_NE(no_label.err.find("no label column 'y'"), std::string::npos) << no_label.err;
}

// A warm start on a file whose header is in another order keeps the model's order: the model it
// writes reads both files alike. A header that names a column twice is refused at training (a
// model reads its columns by name); a file without a header takes a column named "label" as
// the label; --label-column may give a position where the files have headers too.
TEST_F(CliTest, CsvColumnsByNameHoldThroughWarmStartsAndLabelsByNameOrPlace) {
  write_csv(path("t.csv"), {"y", "a", "b"}, kRows);
  write_csv(path("swapped.csv"), {"b", "y", "a"}, reordered({2, 0, 1}));
  ASSERT_EQ(dsgd("train -q t.csv first.model --label-column y --epochs 2").code, 0);
  const Result warm = dsgd("train -q swapped.csv second.model --init first.model --epochs 2");
  ASSERT_EQ(warm.code, 0) << warm.err;
  EXPECT_NE(read_text(path("second.model")).find("column y\ncolumn a\ncolumn b\n"), std::string::npos)
      << "the model's columns in its own order";
  const json original = dsgd_json("eval t.csv second.model", "o.json");
  const json swapped = dsgd_json("eval swapped.csv second.model", "s.json");
  EXPECT_EQ(original.at("log_loss"), swapped.at("log_loss"));
  EXPECT_EQ(dsgd("predict t.csv second.model").out, dsgd("predict swapped.csv second.model").out);
  // --label-column as a position, with headers on both sides.
  const json by_position = dsgd_json("eval swapped.csv second.model --label-column 1", "p.json");
  EXPECT_EQ(by_position.at("log_loss"), swapped.at("log_loss"));

  std::ofstream(path("twice.csv")) << "a,a,label\n1,2,0\n3,4,1\n";
  const Result twice = dsgd("train twice.csv");
  EXPECT_EQ(twice.code, 1);
  expect_one_line_error(twice);
  EXPECT_NE(twice.err.find("twice.csv:1: the header names column 'a' twice"), std::string::npos) << twice.err;

  // A model of a file without a header (label last) reads a file whose header puts "label" first.
  ASSERT_EQ(std::system(("tail -n +2 " + quoted(path("t.csv")) + " | awk -F, -v OFS=, '{ print $2, $3, $1 }' > " +
                         quoted(path("bare.csv")))
                            .c_str()),
            0);
  ASSERT_EQ(dsgd("train -q bare.csv bare.model --epochs 2").code, 0);
  write_csv(path("labelled.csv"), {"label", "a", "b"}, kRows);
  EXPECT_EQ(dsgd("predict labelled.csv bare.model").out, dsgd("predict bare.csv bare.model").out);
  EXPECT_EQ(dsgd_json("eval labelled.csv bare.model", "l.json").at("log_loss"),
            dsgd_json("eval bare.csv bare.model", "b.json").at("log_loss"));
}

TEST_F(CliTest, AReorderedCsvHeaderScoresAsTheOriginal) {
  const std::string csv = data_file("breast_cancer.csv");
  ASSERT_EQ(dsgd("train -q " + csv + " m.txt --label-column malignant --epochs 3").code, 0);
  // Columns 1 and 2 swapped, and the label (the last) moved to the front.
  {
    std::ifstream in(fs::path(DSGD_TEST_DATA) / "breast_cancer.csv");
    std::ofstream out(path("swapped.csv"));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();  // (the file has CRLF line ends)
      std::vector<std::string> f;
      std::stringstream fields(line);
      for (std::string field; std::getline(fields, field, ',');) f.push_back(field);
      std::swap(f[0], f[1]);
      f.insert(f.begin(), f.back());
      f.pop_back();
      for (std::size_t k = 0; k < f.size(); ++k) out << (k ? "," : "") << f[k];
      out << '\n';
    }
  }
  const Result original = dsgd("predict " + csv + " m.txt");
  const Result swapped = dsgd("predict swapped.csv m.txt");
  ASSERT_EQ(swapped.code, 0) << swapped.err;
  EXPECT_EQ(swapped.out, original.out);
  const json a = dsgd_json("eval swapped.csv m.txt", "a.json"), b = dsgd_json("eval " + csv + " m.txt", "b.json");
  for (const char* key : {"accuracy", "log_loss", "auc", "confusion"}) EXPECT_EQ(a.at(key), b.at(key)) << key;
}

TEST_F(CliTest, InitFromAModelOfAnotherWidthIsRefusedWithBothWidths) {
  write_csv(path("t.csv"), {"y", "a", "b"}, kRows);
  ASSERT_EQ(dsgd("train -q t.csv narrow.txt --label-column y --epochs 2").code, 0);
  ASSERT_EQ(dsgd("train -q " + data_file("heart_scale") + " wide.txt --epochs 2").code, 0);
  const Result wider = dsgd("train " + data_file("heart_scale") + " --init narrow.txt -o out.txt");
  EXPECT_EQ(wider.code, 1);
  expect_one_line_error(wider);
  EXPECT_NE(wider.err.find("heart_scale:1: feature index 13: the data has 13 features and --init narrow.txt has 2: a "
                           "model of another width"),
            std::string::npos)
      << wider.err;
  const Result csv = dsgd("train t.csv --label-column y --init wide.txt -o out.txt");
  EXPECT_EQ(csv.code, 1);
  expect_one_line_error(csv);
  EXPECT_NE(csv.err.find("t.csv:1: 2 feature columns and the label 'y', and --init wide.txt has 13 features"),
            std::string::npos)
      << csv.err;
  EXPECT_FALSE(fs::exists(path("out.txt")));
  // A LIBSVM file narrower than the model is its rows with zeros beyond: trained on.
  std::ofstream(path("narrow.svm")) << "+1 1:0.5\n-1 2:1\n";
  EXPECT_EQ(dsgd("train -q narrow.svm --init wide.txt -o out.txt --epochs 1").code, 0);
}

// LIBLINEAR (Debian's liblinear-tools) and dsgd read each other's models: the same labels.
TEST_F(CliTest, LiblinearModelsGoBothWays) {
  if (std::system("command -v liblinear-train >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "liblinear-train is not installed (Debian's liblinear-tools)";
  const std::string heart = data_file("heart_scale");
  const auto shell = [&](const std::string& command) {
    return std::system(("cd " + quoted(dir_) + " && " + command + " >/dev/null 2>&1").c_str());
  };
  // dsgd's model (standardized: the scaling folded into LIBLINEAR's weights) in liblinear-predict.
  ASSERT_EQ(dsgd("train -q " + heart + " d.model --model-format liblinear --scale standardize").code, 0);
  EXPECT_TRUE(read_text(path("d.model")).starts_with("solver_type L2R_LR\nnr_class 2\nlabel 1 -1\nnr_feature 13\n"));
  ASSERT_EQ(shell("liblinear-predict " + heart + " d.model ll.out"), 0);
  const Result ours = dsgd("predict --labels " + heart + " d.model");
  ASSERT_EQ(ours.code, 0) << ours.err;
  EXPECT_EQ(ours.out, read_text(path("ll.out")));
  // LIBLINEAR's model (with and without its bias feature) in dsgd predict.
  for (const char* bias : {"", " -B 1"}) {
    ASSERT_EQ(shell(std::string("liblinear-train -s 0") + bias + " " + heart + " l.model"), 0) << bias;
    ASSERT_EQ(shell("liblinear-predict " + heart + " l.model l.out"), 0);
    const Result read = dsgd("predict --labels " + heart + " l.model");
    ASSERT_EQ(read.code, 0) << read.err;
    EXPECT_EQ(read.out, read_text(path("l.out"))) << bias;
    const Result eval = dsgd("eval " + heart + " l.model");
    EXPECT_EQ(eval.code, 0) << eval.err;
  }
  // An SVM model is refused: its scores are not probabilities.
  ASSERT_EQ(shell("liblinear-train -s 2 " + heart + " svm.model"), 0);
  const Result svm = dsgd("predict " + heart + " svm.model");
  EXPECT_EQ(svm.code, 1);
  EXPECT_NE(svm.err.find("a LIBLINEAR model of solver 'L2R_L2LOSS_SVC'"), std::string::npos) << svm.err;
}

}  // namespace
