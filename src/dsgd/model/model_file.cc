#include "dsgd/model/model_file.h"

#include "dsgd/base/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <cstring>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

#include "dsgd/base/atomic_file.h"
#include "dsgd/data/parsed_rows.h"
#include "dsgd/base/error.h"
#include "dsgd/base/version.h"

namespace dsgd {

void put_model(const Model& model, AtomicFile& file) {
  const LinearModel& p = model.params;
  const Standardization* s = p.standardization ? &*p.standardization : nullptr;
  fmt::memory_buffer out;
  const auto put = [&]<typename... Args>(fmt::format_string<Args...> format, Args&&... args) {
    fmt::format_to(std::back_inserter(out), format, std::forward<Args>(args)...);
  };
  put("# dsgd logistic-regression model: P(y = {}) = 1 / (1 + exp(-(w . x' + bias))),\n", model.labels.positive);
  put("# x' = (x - mean) / scale when standardized, else x\n");
  put("format dsgd-model {}\n", kModelFormatVersion);
  put("dsgd {}\n", version());
  put("features {}\n", p.features());
  put("bias {}\n", p.bias);
  put("labels {} {}\n", model.labels.negative, model.labels.positive);
  put("standardized {}\n", s != nullptr ? "yes" : "no");
  const ModelInput& in = model.input;
  // (A CSV input without its columns is written as unknown: format 2 has no CSV without them.)
  put("input {}\n", in.format == FileFormat::kCsv && in.csv ? "csv" : in.format == FileFormat::kLibsvm ? "libsvm" : "unknown");
  if (in.format == FileFormat::kCsv && in.csv) {
    put("csv_columns {} label {} header {}\n", in.csv->columns.size(), in.csv->label, in.csv->header ? "yes" : "no");
    for (const std::string& name : in.csv->columns) put("column {}\n", name);
  }
  put("training {}\n", model.training.dump());
  put("weights\n");
  for (std::size_t j = 0; j < p.features(); ++j) {
    if (s != nullptr) {
      put("{} {} {}\n", p.weights[j], s->mean[j], s->scale[j]);
    } else {
      put("{}\n", p.weights[j]);
    }
  }
  put("end\n");
  std::fwrite(out.data(), 1, out.size(), file.stream());
}

void require_liblinear_labels(const LabelMap& labels) {
  const auto whole = [](double v) { return std::isfinite(v) && v == std::round(v) && std::abs(v) < 2147483648.0; };
  if (!whole(labels.negative) || !whole(labels.positive))
    throw ConfigError(fmt::format("--model-format liblinear: LIBLINEAR writes labels as whole numbers, and these "
                                  "are {} and {}",
                                  labels.negative, labels.positive));
}

void put_liblinear_model(const Model& model, AtomicFile& file) {
  require_liblinear_labels(model.labels);
  const RawWeights raw = model.params.raw_weights();
  fmt::memory_buffer out;
  // LIBLINEAR decides its first label where w . x > 0: the positive one.
  fmt::format_to(std::back_inserter(out), "solver_type L2R_LR\nnr_class 2\nlabel {} {}\nnr_feature {}\nbias 1\nw\n",
                 static_cast<long>(model.labels.positive), static_cast<long>(model.labels.negative),
                 raw.weights.size());
  for (const double w : raw.weights) fmt::format_to(std::back_inserter(out), "{:.17g} \n", w);
  fmt::format_to(std::back_inserter(out), "{:.17g} \n", raw.bias);  // the bias feature's weight (its value is 1)
  std::fwrite(out.data(), 1, out.size(), file.stream());
}

void write_model(const Model& model, AtomicFile& file) {
  put_model(model, file);
  file.commit();
}

void save_model(const Model& model, const std::string& path) {
  AtomicFile file(path);
  write_model(model, file);
}

namespace {

// Reads a model file line by line, with the line number at hand for every message.
class ModelReader {
 public:
  // "-": standard input.
  explicit ModelReader(const std::string& path) : path_(path), in_(path == "-" ? "/dev/stdin" : path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw InputError(path, 0, "is a folder, not a model file");
    if (!in_) throw InputError(path, 0, std::string("cannot open the model file: ") + std::strerror(errno));
  }

  [[noreturn]] void fail(const std::string& what) const { throw InputError(path_, line_, what); }

  // The next line that is not a comment; fails at the end of the file with `missing`.
  std::string_view next(const std::string& missing) {
    while (std::getline(in_, text_)) {
      ++line_;
      if (!text_.empty() && text_.back() == '\r') text_.pop_back();
      if (text_.empty() || text_.front() == '#') continue;
      return text_;
    }
    ++line_;
    fail("truncated model: " + missing);
  }

  // The value of a "key value" line.
  std::string_view field(std::string_view key) { return field_of(next("no '" + std::string(key) + "' line"), key); }
  // The value of `line`, which must be "key value".
  std::string_view field_of(std::string_view line, std::string_view key) const {
    if (line.substr(0, key.size()) != key || line.size() <= key.size() || line[key.size()] != ' ')
      fail(fmt::format("expected '{} ...', found {}", key, quoted(line, 60)));
    return line.substr(key.size() + 1);
  }

  double number(std::string_view text, std::string_view what) const {
    double v = 0;
    if (!detail::parse_number(text, v)) fail(fmt::format("bad {} {}", what, quoted(text, 60)));
    return v;
  }

  // Whitespace-separated numbers of one line.
  std::vector<double> numbers(std::string_view line, std::string_view what) const {
    std::vector<double> out;
    std::size_t pos = 0;
    while (pos < line.size()) {
      const std::size_t start = line.find_first_not_of(" \t", pos);
      if (start == std::string_view::npos) break;
      const std::size_t end = std::min(line.find_first_of(" \t", start), line.size());
      out.push_back(number(line.substr(start, end - start), what));
      pos = end;
    }
    return out;
  }

  [[nodiscard]] bool at_end() {
    while (std::getline(in_, text_)) {
      ++line_;
      if (!text_.empty() && text_.back() == '\r') text_.pop_back();
      if (!text_.empty() && text_.front() != '#') return false;
    }
    return true;
  }

 private:
  std::string path_;
  std::ifstream in_;
  std::string text_;
  std::size_t line_ = 0;
};

// A LIBLINEAR model file, after its first line `solver_type`: logistic regression of two classes.
Model read_liblinear(ModelReader& r, const std::string& path, std::string_view solver_line) {
  const std::string_view solver = r.field_of(solver_line, "solver_type");
  if (solver != "L2R_LR" && solver != "L1R_LR" && solver != "L2R_LR_DUAL")
    r.fail(fmt::format("a LIBLINEAR model of solver {}: dsgd reads logistic regression (L2R_LR, L1R_LR, "
                       "L2R_LR_DUAL: liblinear-train -s 0, 6 or 7)",
                       quoted(solver, 40)));
  const double classes = r.number(r.field("nr_class"), "class count");
  if (classes != 2) r.fail(fmt::format("a LIBLINEAR model of {} classes: dsgd's models are binary", classes));
  const std::vector<double> labels = r.numbers(r.field("label"), "label");
  if (labels.size() != 2 || labels[0] == labels[1]) r.fail("'label' needs the two classes' labels");
  const double features = r.number(r.field("nr_feature"), "feature count");
  if (!(features >= 1 && features <= 4294967295.0 && features == std::floor(features)))
    r.fail(fmt::format("bad feature count {}", features));
  const double bias_value = r.number(r.field("bias"), "bias");
  std::string_view line = r.next("no 'w' line");
  while (!line.empty() && line != "w") {  // (later LIBLINEARs may add lines here, such as rho)
    if (line.starts_with("rho ")) {
      line = r.next("no 'w' line");
      continue;
    }
    r.fail(fmt::format("expected 'w', found {}", quoted(line, 60)));
  }
  const auto d = static_cast<std::size_t>(features);
  const std::size_t count = d + (bias_value >= 0 ? 1 : 0);
  std::error_code size_error;
  const std::uintmax_t bytes = std::filesystem::file_size(path, size_error);
  std::vector<double> w;
  w.reserve(std::min<std::size_t>(count, size_error ? 0 : static_cast<std::size_t>(bytes / 2)));
  while (w.size() < count) {
    const std::vector<double> v = r.numbers(r.next(fmt::format("{} of {} weights", w.size(), count)), "weight");
    if (v.size() != 1) r.fail(fmt::format("expected one weight a line, found {} numbers", v.size()));
    w.push_back(v[0]);
  }
  if (!r.at_end()) r.fail(fmt::format("more than the {} weights of {} features{}", count, d, bias_value >= 0 ? " and the bias" : ""));
  // LIBLINEAR decides its first label where w . x > 0; dsgd's positive class is the larger label.
  const double sign = labels[0] > labels[1] ? 1.0 : -1.0;
  Model model;
  model.labels = {std::min(labels[0], labels[1]), std::max(labels[0], labels[1])};
  model.params.weights.resize(d);
  for (std::size_t j = 0; j < d; ++j) model.params.weights[j] = sign * w[j];
  model.params.bias = bias_value >= 0 ? sign * w[d] * bias_value : 0.0;
  model.training = {{"source", "liblinear"}, {"solver_type", std::string(solver)}};
  model.dsgd_version = "liblinear";
  model.input.format = FileFormat::kLibsvm;
  return model;
}

// The input section of a format 2 model: "input FORMAT", and for CSV its columns.
void read_input(ModelReader& r, ModelInput& input) {
  const std::string_view format = r.field("input");
  if (format == "unknown") return;
  if (format == "libsvm") {
    input.format = FileFormat::kLibsvm;
    return;
  }
  if (format != "csv") r.fail(fmt::format("'input' must be libsvm, csv or unknown, not {}", quoted(format, 40)));
  input.format = FileFormat::kCsv;
  const std::string_view line = r.field("csv_columns");
  std::size_t columns = 0, label = 0;
  char header[4] = {};
  const std::string text(line);
  int used = 0;
  if (std::sscanf(text.c_str(), "%zu label %zu header %3s%n", &columns, &label, header, &used) != 3 ||
      static_cast<std::size_t>(used) != text.size() || (std::strcmp(header, "yes") != 0 && std::strcmp(header, "no") != 0))
    r.fail("expected 'csv_columns N label K header yes|no'");
  if (columns < 2 || label >= columns) r.fail(fmt::format("{} CSV columns with the label at {}: not a CSV file's columns", columns, label));
  CsvSchema& csv = input.csv.emplace();
  csv.header = std::strcmp(header, "yes") == 0;
  csv.label = label;
  for (std::size_t k = 0; k < columns; ++k) csv.columns.emplace_back(r.field("column"));
}

}  // namespace

Model load_model(const std::string& path) {
  ModelReader r(path);
  const std::string_view first = r.next("no 'format' line");
  if (first.starts_with("solver_type ")) return read_liblinear(r, path, first);
  Model model;
  const std::string_view format = r.field_of(first, "format");
  const std::string_view kName = "dsgd-model ";
  if (format.substr(0, kName.size()) != kName) r.fail("not a dsgd model (format line " + quoted(format, 60) + ")");
  const double file_version = r.number(format.substr(kName.size()), "format version");
  if (file_version != 1 && file_version != kModelFormatVersion)
    r.fail(fmt::format("model format version {}, but this dsgd reads versions 1 to {}", file_version,
                       kModelFormatVersion));
  model.dsgd_version = std::string(r.field("dsgd"));
  const double features = r.number(r.field("features"), "feature count");
  if (!(features >= 1 && features <= 4294967295.0 && features == static_cast<double>(static_cast<std::uint64_t>(features))))
    r.fail(fmt::format("bad feature count {}", features));
  const auto d = static_cast<std::size_t>(features);
  model.params.bias = r.number(r.field("bias"), "bias");
  const std::vector<double> labels = r.numbers(r.field("labels"), "label");
  if (labels.size() != 2 || !(labels[0] < labels[1]))
    r.fail("'labels' needs two values, the negative class's first");
  model.labels = {labels[0], labels[1]};
  const std::string_view standardized = r.field("standardized");
  if (standardized != "yes" && standardized != "no") r.fail("'standardized' must be yes or no");
  const bool has_standardization = standardized == "yes";
  if (file_version >= 2) read_input(r, model.input);
  if (model.input.csv && model.input.csv->columns.size() != d + 1)
    r.fail(fmt::format("{} CSV columns, for a model of {} features: expected {} (the features and the label)",
                       model.input.csv->columns.size(), d, d + 1));
  const std::string_view training = r.field("training");
  model.training = nlohmann::json::parse(training, nullptr, false);
  if (model.training.is_discarded() || !model.training.is_object()) r.fail("'training' is not a JSON object");
  if (r.next("no 'weights' line") != "weights") r.fail("expected 'weights'");

  LinearModel& p = model.params;
  // Room for the weights the file can hold (a line is at least 2 bytes), not for what it claims.
  std::error_code size_error;
  const std::uintmax_t bytes = std::filesystem::file_size(path, size_error);
  p.weights.reserve(std::min<std::size_t>(d, size_error ? 0 : static_cast<std::size_t>(bytes / 2)));
  if (has_standardization) p.standardization.emplace();
  const std::size_t per_line = has_standardization ? 3 : 1;
  while (true) {
    const std::string_view line = r.next(fmt::format("{} of {} weights and no 'end' line", p.weights.size(), d));
    if (line == "end") break;
    if (p.weights.size() == d) r.fail(fmt::format("more weights than the {} features", d));
    const std::vector<double> v = r.numbers(line, "weight");
    if (v.size() != per_line)
      r.fail(fmt::format("expected {} per line, found {} numbers", has_standardization ? "'weight mean scale'" : "one weight",
                         v.size()));
    p.weights.push_back(v[0]);
    if (has_standardization) {
      if (!(v[2] > 0)) r.fail("standardization scale must be positive");
      p.standardization->mean.push_back(v[1]);
      p.standardization->scale.push_back(v[2]);
    }
  }
  if (p.weights.size() != d) r.fail(fmt::format("the model declares {} features but holds {} weights", d, p.weights.size()));
  if (!r.at_end()) r.fail("text after 'end'");
  return model;
}

std::size_t epochs_trained(const Model& model, const std::string& path) {
  for (const char* key : {"epochs_trained", "best_epoch"}) {
    if (!model.training.is_object() || !model.training.contains(key)) continue;
    const nlohmann::json& v = model.training.at(key);
    if (!v.is_number_unsigned() || v.get<std::size_t>() > (std::size_t{1} << 40))
      throw InputError(path, 0, fmt::format("the training record's {} is {}, not a count of epochs", key, v.dump()));
    return v.get<std::size_t>();
  }
  return 0;
}

}  // namespace dsgd
