#include "dsgd/data/sample_weights.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>

#include "dsgd/data/file_bytes.h"
#include "dsgd/data/parsed_rows.h"
#include "dsgd/base/error.h"
#include "dsgd/base/text.h"

namespace dsgd {

std::vector<double> read_weights_file(const std::string& path, std::size_t total_rows, RowRange rows) {
  const FileBytes bytes(path);
  const std::string_view text = bytes.text();
  std::vector<double> out;
  out.reserve(rows.size());
  std::size_t row = 0;
  std::size_t line = 0;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t newline = text.find('\n', at);
    const std::size_t end = newline == std::string_view::npos ? text.size() : newline;
    std::string_view field = text.substr(at, end - at);
    at = end + 1;
    ++line;
    while (!field.empty() && std::strchr(" \t\r\v\f", field.front()) != nullptr) field.remove_prefix(1);
    while (!field.empty() && std::strchr(" \t\r\v\f", field.back()) != nullptr) field.remove_suffix(1);
    if (field.empty() || field.front() == '#') continue;
    double w = 0;
    if (!detail::parse_number(field, w))
      throw InputError(path, line, fmt::format("bad weight {} (expected one number a line)", quoted(field)));
    if (w < 0) throw InputError(path, line, fmt::format("negative weight {}", quoted(field)));
    if (row == total_rows)
      throw InputError(path, line, fmt::format("more weights than the {} rows of the data", total_rows));
    if (row >= rows.begin && row < rows.end) out.push_back(w);
    ++row;
  }
  if (row != total_rows)
    throw InputError(path, 0, fmt::format("{} weights for the {} rows of the data", row, total_rows));
  return out;
}

std::array<double, 2> class_totals(const Dataset& data) {
  std::array<double, 2> totals{0.0, 0.0};
  const auto labels = data.labels();
  const auto weights = data.sample_weights();
  for (std::size_t i = 0; i < data.rows(); ++i) totals[labels[i] != 0 ? 1 : 0] += weights.empty() ? 1.0 : weights[i];
  return totals;
}

ClassWeights balanced_class_weights(std::array<double, 2> totals) {
  if (!(totals[0] > 0) || !(totals[1] > 0))
    throw ConfigError(fmt::format("{} balanced: the classes weigh {} (negative) and {} (positive): both need rows of "
                                  "some weight",
                                  field("class_weight"), totals[0], totals[1]));
  const double total = totals[0] + totals[1];
  return {total / (2 * totals[0]), total / (2 * totals[1])};
}

void apply_class_weights(Dataset& data, const ClassWeights& weights) {
  const auto labels = data.labels();
  const std::span<double> w = data.add_sample_weights();
  for (std::size_t i = 0; i < data.rows(); ++i) w[i] *= labels[i] != 0 ? weights.positive : weights.negative;
}

}  // namespace dsgd
