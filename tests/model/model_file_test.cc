#include "dsgd/model/model_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "dsgd/error.h"

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
  other.replace(other.find("dsgd-model 1"), 12, "dsgd-model 2");
  write_all(path, other);
  EXPECT_NE(error_of(path).find(":3: model format version 2, but this dsgd reads version 1"), std::string::npos)
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

}  // namespace
}  // namespace dsgd
