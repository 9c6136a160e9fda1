#include "dsgd/train/config/row_weights.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "dsgd/base/error.h"
#include "dsgd/base/text.h"
#include "dsgd/train/config/defaults.h"
#include "dsgd/train/loop/run.h"

namespace dsgd {

std::optional<ClassWeights> parse_class_weights(const std::string& text) {
  if (text == "balanced") return std::nullopt;
  const std::size_t comma = text.find(',');
  ClassWeights w;
  const auto number = [&](std::string_view part, double& out) {
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
    return ec == std::errc() && end == part.data() + part.size() && std::isfinite(out) && out > 0;
  };
  if (comma == std::string::npos || !number(std::string_view(text).substr(0, comma), w.positive) ||
      !number(std::string_view(text).substr(comma + 1), w.negative))
    throw ConfigError(fmt::format("--class-weight {}: expected 'balanced' or POS,NEG (two numbers > 0, the positive "
                                  "class's weight first)",
                                  dsgd::quoted(text)));
  return w;
}

namespace {

// This process's rows of `path`'s weights onto `rows`; a failure anywhere ends every process.
void read_weights(const std::string& path, const ReadResult& data, Dataset& rows, Cluster& cluster) {
  std::optional<InputError> failed;
  std::vector<double> weights;
  try {
    weights = read_weights_file(path, data.total_rows, {rows.first_row(), rows.first_row() + rows.rows()});
  } catch (const InputError& e) {
    failed = e;
  }
  if (any_worker(cluster.comm(), failed.has_value())) {
    if (failed) throw SharedInputError(failed->file(), failed->line(), failed->message());
    throw SharedInputError(path, 0, "another rank could not read the weights file");
  }
  std::copy(weights.begin(), weights.end(), rows.add_sample_weights().begin());
}

}  // namespace

nlohmann::json weigh_rows(const RowWeighting& weighting, ReadResult& data, const TrainConfig& config, int threads,
                          Cluster& cluster) {
  if (weighting.file.empty() && weighting.class_weight.empty()) return nullptr;
  Dataset& rows = data.data;
  const int first = cluster.rank() * threads;
  const auto total_of = [&](int label) {  // label -1: all rows
    const auto weights = rows.sample_weights();
    const auto labels = rows.labels();
    return worker_sum(shard_sums(rows, data.total_rows, config.workers, first, threads,
                                 [&](RowRange local) {
                                   double sum = 0;
                                   for (std::size_t i = local.begin; i < local.end; ++i) {
                                     if (label < 0 || labels[i] == label) sum += weights.empty() ? 1.0 : weights[i];
                                   }
                                   return sum;
                                 }),
                      cluster.comm());
  };
  if (!weighting.file.empty()) read_weights(weighting.file, data, rows, cluster);
  const auto or_null = [](const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
  nlohmann::json out = {{"file", or_null(weighting.file)}, {"class_weight", or_null(weighting.class_weight)}};
  ClassWeights w;
  if (!weighting.class_weight.empty()) {
    const std::optional<ClassWeights> given = parse_class_weights(weighting.class_weight);
    w = given ? *given : balanced_class_weights({total_of(0), total_of(1)});
    apply_class_weights(rows, w);
  }
  out["positive"] = w.positive;
  out["negative"] = w.negative;
  out["total"] = total_of(-1);
  if (!(out["total"].get<double>() > 0))
    throw ConfigError(fmt::format("--weights {}: every row weighs 0: there is nothing to train on", weighting.file));
  return out;
}

std::string describe_weights(const nlohmann::json& w) {
  std::string text = w["file"].is_null() ? std::string("every row 1") : w["file"].get<std::string>();
  if (!w["class_weight"].is_null()) {
    text += fmt::format(", class weights {:.6g} positive and {:.6g} negative{}", w["positive"].get<double>(),
                        w["negative"].get<double>(), w["class_weight"] == "balanced" ? " (balanced)" : "");
  }
  return text + fmt::format("; total weight {:.6g}", w["total"].get<double>());
}

}  // namespace dsgd
