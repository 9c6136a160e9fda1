#include "dsgd/model/model_file.h"

#include "dsgd/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <cstring>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

#include "dsgd/data/atomic_file.h"
#include "dsgd/data/parsed_rows.h"
#include "dsgd/error.h"
#include "dsgd/version.h"

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
  std::string_view field(std::string_view key) {
    const std::string_view line = next("no '" + std::string(key) + "' line");
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

}  // namespace

Model load_model(const std::string& path) {
  ModelReader r(path);
  Model model;
  const std::string_view format = r.field("format");
  const std::string_view kName = "dsgd-model ";
  if (format.substr(0, kName.size()) != kName) r.fail("not a dsgd model (format line " + quoted(format, 60) + ")");
  const double file_version = r.number(format.substr(kName.size()), "format version");
  if (file_version != kModelFormatVersion)
    r.fail(fmt::format("model format version {}, but this dsgd reads version {}", file_version, kModelFormatVersion));
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

}  // namespace dsgd
