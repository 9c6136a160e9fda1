#include "dsgd/model/model_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "dsgd/base/error.h"

namespace dsgd {
namespace {

std::string temp_path(const std::string& name) { return ::testing::TempDir() + "dsgd_model_test_" + name; }

Model some_model(bool standardized) {
  Model m;
  m.params.weights = {0.1, -1.0 / 3.0, 1e-300, -2.5e17, 0.0};
  m.params.bias = std::nextafter(0.7, 1.0);
  if (standardized) m.params.standardization = Standardization{{1, 2, 3, 4, 5}, {0.5, 1.0 / 7.0, 1, 2, 3}};
  m.labels = {-1, 1};
  m.training = {{"epochs", 3}, {"seed", 42}};
  return m;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_all(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string error_of(const std::string& path) {
  try {
    (void)load_model(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ModelFile, RoundTripIsBitExact) {
  for (const bool standardized : {false, true}) {
    const Model m = some_model(standardized);
    const std::string path = temp_path("round_trip");
    save_model(m, path);
    const Model back = load_model(path);
    EXPECT_EQ(back.params.weights, m.params.weights);
    EXPECT_EQ(back.params.bias, m.params.bias);
    EXPECT_EQ(back.labels, m.labels);
    ASSERT_EQ(back.params.standardization.has_value(), standardized);
    if (standardized) {
      EXPECT_EQ(back.params.standardization->mean, m.params.standardization->mean);
      EXPECT_EQ(back.params.standardization->scale, m.params.standardization->scale);
    }
    EXPECT_EQ(back.training, m.training);
    EXPECT_FALSE(back.dsgd_version.empty());
    std::remove(path.c_str());
  }
}

TEST(ModelFile, RejectsOtherVersionsTruncationAndWrongDimensions) {
  const std::string path = temp_path("bad");
  save_model(some_model(false), path);
  const std::string good = read_all(path);

  std::string other = good;
  other.replace(other.find("dsgd-model 2"), 12, "dsgd-model 3");
  write_all(path, other);
  EXPECT_NE(error_of(path).find(":3: model format version 3, but this dsgd reads versions 1 to 2"), std::string::npos)
      << error_of(path);

  write_all(path, good.substr(0, good.find("end\n")));
  EXPECT_NE(error_of(path).find("truncated model: 5 of 5 weights and no 'end' line"), std::string::npos)
      << error_of(path);

  write_all(path, good.substr(0, good.find("weights\n") + 20));
  EXPECT_NE(error_of(path).find("truncated model"), std::string::npos) << error_of(path);

  std::string wrong = good;
  wrong.replace(wrong.find("features 5"), 10, "features 6");
  write_all(path, wrong);
  EXPECT_NE(error_of(path).find("declares 6 features but holds 5 weights"), std::string::npos) << error_of(path);

  std::string garbage = good;
  garbage.replace(garbage.find("\n0.1\n"), 5, "\n0.1x\n");
  write_all(path, garbage);
  EXPECT_NE(error_of(path).find("bad weight '0.1x'"), std::string::npos) << error_of(path);

  write_all(path, "hello\n");
  EXPECT_NE(error_of(path).find(":1: expected 'format ...'"), std::string::npos) << error_of(path);
  std::remove(path.c_str());
  EXPECT_NE(error_of(path).find("cannot open"), std::string::npos);
}

// A model keeps how its training file was read: the format and a CSV file's columns.
TEST(ModelFile, KeepsTheInputAndReadsFormatOne) {
  const std::string path = temp_path("input");
  Model m = some_model(false);
  m.input.format = FileFormat::kCsv;
  m.input.csv = CsvSchema{true, {"a", "y", "b c", "", "#d", "e"}, 1};
  save_model(m, path);
  const Model back = load_model(path);
  EXPECT_EQ(back.input.format, FileFormat::kCsv);
  ASSERT_TRUE(back.input.csv.has_value());
  EXPECT_EQ(*back.input.csv, *m.input.csv);
  EXPECT_EQ(back.input.csv->features(), (std::vector<std::string>{"a", "b c", "", "#d", "e"}));

  m.input = {FileFormat::kLibsvm, std::nullopt};
  save_model(m, path);
  EXPECT_EQ(load_model(path).input.format, FileFormat::kLibsvm);
  // dsgd 0.5's format 1: no input section; read, the input not known.
  std::string one = read_all(path);
  one.replace(one.find("dsgd-model 2"), 12, "dsgd-model 1");
  one.erase(one.find("input libsvm\n"), 13);
  write_all(path, one);
  const Model old = load_model(path);
  EXPECT_EQ(old.input.format, FileFormat::kAuto);
  EXPECT_EQ(old.params.weights, m.params.weights);
  // A broken input section is named by line.
  std::string bad = read_all(path);
  bad.replace(bad.find("dsgd-model 1"), 12, "dsgd-model 2");
  bad.insert(bad.find("training "), "input csv\ncsv_columns 3 label 5 header yes\n");
  write_all(path, bad);
  EXPECT_NE(error_of(path).find(":10: 3 CSV columns with the label at 5"), std::string::npos) << error_of(path);
  std::remove(path.c_str());
}

// LIBLINEAR's -s 0 files both ways: the positive label first, the intercept as the bias
// feature's weight; a file whose first label is the smaller reads with its weights negated.
TEST(ModelFile, LiblinearModelsBothWays) {
  const std::string path = temp_path("liblinear");
  Model m = some_model(true);
  m.labels = {1, 2};
  {
    AtomicFile file(path);
    put_liblinear_model(m, file);
    file.commit();
  }
  const std::string text = read_all(path);
  EXPECT_TRUE(text.starts_with("solver_type L2R_LR\nnr_class 2\nlabel 2 1\nnr_feature 5\nbias 1\nw\n")) << text;
  const Model back = load_model(path);
  const RawWeights raw = m.params.raw_weights();
  EXPECT_EQ(back.labels, m.labels);
  EXPECT_EQ(back.params.weights, raw.weights);  // %.17g: the same doubles
  EXPECT_EQ(back.params.bias, raw.bias);
  EXPECT_FALSE(back.params.standardization.has_value());

  write_all(path, "solver_type L2R_LR\nnr_class 2\nlabel -1 1\nnr_feature 2\nbias -1\nw\n0.5 \n-0.25 \n");
  const Model negated = load_model(path);
  EXPECT_EQ(negated.labels, (LabelMap{-1, 1}));
  EXPECT_EQ(negated.params.weights, (std::vector<double>{-0.5, 0.25}));
  EXPECT_EQ(negated.params.bias, 0.0);

  write_all(path, "solver_type L2R_L2LOSS_SVC_DUAL\nnr_class 2\n");
  EXPECT_NE(error_of(path).find(":1: a LIBLINEAR model of solver 'L2R_L2LOSS_SVC_DUAL'"), std::string::npos)
      << error_of(path);
  write_all(path, "solver_type L2R_LR\nnr_class 3\n");
  EXPECT_NE(error_of(path).find(":2: a LIBLINEAR model of 3 classes"), std::string::npos) << error_of(path);
  write_all(path, "solver_type L2R_LR\nnr_class 2\nlabel 1 -1\nnr_feature 2\nbias 1\nw\n0.5\n");
  EXPECT_NE(error_of(path).find("truncated model: 1 of 3 weights"), std::string::npos) << error_of(path);

  m.labels = {0.5, 1};
  AtomicFile refused(path);
  try {
    put_liblinear_model(m, refused);
    ADD_FAILURE() << "labels 0.5 and 1 written for LIBLINEAR";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("whole numbers"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

}  // namespace
}  // namespace dsgd
