// The CSV line parser: a header row (optional), one label column, every other field a number.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "dsgd/data/parsed_rows.h"
#include "dsgd/base/text.h"

namespace dsgd::detail {
namespace {

// Splits a line (without its '\n'; a trailing '\r' is dropped) at commas, trimming blanks and
// one pair of double quotes around each field.
void split_fields(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    std::string_view f = line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!f.empty() && (f.front() == ' ' || f.front() == '\t')) f.remove_prefix(1);
    while (!f.empty() && (f.back() == ' ' || f.back() == '\t')) f.remove_suffix(1);
    if (f.size() >= 2 && f.front() == '"' && f.back() == '"') f = f.substr(1, f.size() - 2);
    fields.push_back(f);
    if (comma == std::string_view::npos) return;
    start = comma + 1;
  }
}

bool blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

}  // namespace

namespace {

// "a, b, c" (the first few names, then how many more).
std::string listed(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 6;
  std::string out;
  for (std::size_t k = 0; k < std::min(names.size(), kShown); ++k) out += (k == 0 ? "" : ", ") + quoted(names[k]);
  if (names.size() > kShown) out += fmt::format(" and {} more", names.size() - kShown);
  return out;
}

// The field `label_column` names (a header name, else a 0-based position); throws LineError.
std::size_t named_field(const CsvColumns& c, const std::string& label_column) {
  const auto named = std::find(c.names.begin(), c.names.end(), label_column);
  if (c.header && named != c.names.end()) return static_cast<std::size_t>(named - c.names.begin());
  std::size_t position = 0;
  const auto [end, ec] = std::from_chars(label_column.data(), label_column.data() + label_column.size(), position);
  if (ec != std::errc() || end != label_column.data() + label_column.size())
    throw LineError{1, fmt::format("no column named {} for --label-column{}", quoted(label_column),
                                   c.header ? "" : " (the file has no header row)")};
  if (position >= c.names.size())
    throw LineError{1, fmt::format("--label-column {} is out of range: the file has {} columns (0 to {})", position,
                                   c.names.size(), c.names.size() - 1)};
  return position;
}

// The features in file order, the label's field skipped.
void features_in_order(CsvColumns& c) {
  c.feature.assign(c.names.size(), kNoLabel);
  std::size_t next = 0;
  for (std::size_t k = 0; k < c.names.size(); ++k) {
    if (k != c.label) c.feature[k] = next++;
  }
}

// The columns of a file read for a model trained on a CSV file of `schema`'s columns.
void map_to_schema(CsvColumns& c, const CsvSchema& schema, const std::string& label_column, bool label_optional) {
  const std::vector<std::string> model = schema.features();
  const std::size_t n = c.names.size();
  // The label: --label-column's (a name or a position), else the model's label's name where
  // both files have a header, else the column named "label" in a header, else the model's place.
  const auto named = [&](const std::string& name) {
    const auto it = std::find(c.names.begin(), c.names.end(), name);
    return c.header && it != c.names.end() ? static_cast<std::size_t>(it - c.names.begin()) : kNoLabel;
  };
  if (c.header && schema.header) {  // by name, in any order
    const std::string label_name = label_column.empty() ? schema.columns[schema.label] : label_column;
    c.label = label_column.empty() ? named(label_name) : named_field(c, label_column);
    c.feature.assign(n, kNoLabel);
    std::vector<bool> found(model.size(), false);
    for (std::size_t k = 0; k < n; ++k) {
      if (k == c.label) continue;
      const auto it = std::find(model.begin(), model.end(), c.names[k]);
      if (it == model.end())
        throw LineError{1, fmt::format("column {} is not one the model was trained on: its columns are {} features "
                                       "({}) and the label {}",
                                       quoted(c.names[k]), model.size(), listed(model),
                                       quoted(schema.columns[schema.label]))};
      const auto j = static_cast<std::size_t>(it - model.begin());
      if (found[j]) throw LineError{1, fmt::format("column {} appears twice", quoted(c.names[k]))};
      found[j] = true;
      c.feature[k] = j;
    }
    const auto missing = std::find(found.begin(), found.end(), false);
    if (missing != found.end())
      throw LineError{1, fmt::format("no column {}: the model was trained on it (its {} features: {})",
                                     quoted(model[static_cast<std::size_t>(missing - found.begin())]), model.size(),
                                     listed(model))};
    if (c.label == kNoLabel && !label_optional)
      throw LineError{1, fmt::format("no label column {}: the model was trained with that label", quoted(label_name))};
    return;
  }
  // By position: the model's features in their order, the other column the label.
  if (!label_column.empty()) {
    c.label = named_field(c, label_column);
  } else if (const std::size_t by_name = named(schema.header ? schema.columns[schema.label] : "label");
             by_name != kNoLabel) {
    c.label = by_name;
  } else if (n == model.size() + 1) {
    c.label = schema.label;
  } else if (n == model.size() && label_optional) {
    c.label = kNoLabel;
  }
  if (n != model.size() + (c.label == kNoLabel ? 0 : 1))
    throw LineError{1, fmt::format("{} columns, and the model was trained on {} features and a label (column {} of "
                                   "{}): expected {}{}",
                                   n, model.size(), schema.label + 1, schema.columns.size(), model.size() + 1,
                                   label_optional ? fmt::format(", or {} without the label", model.size()) : "")};
  features_in_order(c);
}

}  // namespace

CsvColumns csv_columns(std::string_view first_line, const std::string& label_column,
                       std::size_t features_without_label, const CsvSchema* schema) {
  std::vector<std::string_view> fields;
  split_fields(first_line, fields);
  if (fields.size() < 2 && features_without_label == 0)
    throw LineError{1, "a CSV file needs at least two columns (features and a label)"};
  CsvColumns c;
  double ignored = 0;
  c.header = std::any_of(fields.begin(), fields.end(), [&](std::string_view f) { return !parse_number(f, ignored); });
  for (std::size_t k = 0; k < fields.size(); ++k) {
    c.names.push_back(c.header ? std::string(fields[k]) : fmt::format("column {}", k + 1));
  }
  if (schema != nullptr && schema->columns.size() >= 2 && schema->label < schema->columns.size()) {
    map_to_schema(c, *schema, label_column, features_without_label > 0);
    return c;
  }
  if (c.header) {  // a model keeps the names, and reads its data by them: each must be one column's
    std::vector<std::string_view> sorted(fields.begin(), fields.end());
    std::sort(sorted.begin(), sorted.end());
    if (const auto twice = std::adjacent_find(sorted.begin(), sorted.end()); twice != sorted.end())
      throw LineError{1, fmt::format("the header names column {} twice: rename one (a model reads its columns by "
                                     "name)",
                                     quoted(*twice))};
  }
  c.label = fields.size() - 1;
  if (label_column.empty()) {
    const auto named = std::find(c.names.begin(), c.names.end(), "label");
    if (named != c.names.end()) {
      c.label = static_cast<std::size_t>(named - c.names.begin());
    } else if (fields.size() == features_without_label) {
      c.label = kNoLabel;  // the model's features only: rows to predict on
    } else if (features_without_label > 0 && fields.size() != features_without_label + 1) {
      throw LineError{1, fmt::format("{} columns, and the model has {} features: expected {} (the features only) or "
                                     "{} (and a label column: the last, or --label-column)",
                                     fields.size(), features_without_label, features_without_label,
                                     features_without_label + 1)};
    }
  } else {
    c.label = named_field(c, label_column);
  }
  features_in_order(c);
  return c;
}

void parse_csv(std::string_view text, const CsvColumns& columns, const ParseLimits& limits, ParsedRows& out) {
  std::vector<std::string_view> fields;
  const std::size_t expected = columns.names.size();
  // A header in another order than the model's: each row's values go through a row buffer, so
  // that they are added in column order.
  bool in_order = true;
  std::size_t features = 0;
  for (const std::size_t j : columns.feature) {
    if (j == kNoLabel) continue;
    in_order = in_order && j == features;
    ++features;
  }
  std::vector<double> row(in_order ? 0 : features);
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t newline = text.find('\n', pos);
    const std::string_view line = text.substr(pos, newline == std::string_view::npos ? std::string_view::npos
                                                                                      : newline - pos);
    pos = newline == std::string_view::npos ? text.size() : newline + 1;
    ++out.lines;
    if (blank(line)) continue;
    split_fields(line, fields);
    if (fields.size() != expected)
      throw LineError{out.lines, fmt::format("expected {} fields, found {}", expected, fields.size())};
    double label = 0;
    for (std::size_t k = 0; k < fields.size(); ++k) {
      double x = 0;
      if (!parse_number(fields[k], x)) {
        const std::string_view f = fields[k];
        const bool missing = f.empty() || f == "NA" || f == "na" || f == "NaN" || f == "nan" || f == "?" || f == "null";
        throw LineError{out.lines, missing ? fmt::format("missing value in column {}", quoted(columns.names[k]))
                                           : fmt::format("bad number {} in column {}", quoted(f),
                                                         quoted(columns.names[k]))};
      }
      if (k == columns.label) {
        label = x;
        continue;
      }
      const std::size_t column = columns.feature[k];
      if (limits.features != 0 && column + 1 > limits.features) {
        if (!limits.drop_beyond)
          throw LineError{out.lines, fmt::format("column {} is feature {}, beyond --features {}",
                                                 quoted(columns.names[k]), column + 1, limits.features)};
        if (x != 0.0 && out.dropped++ == 0) out.first_dropped_line = out.lines;
        continue;
      }
      if (in_order) {
        out.add_value(column, x);
      } else {
        row[column] = x;
      }
    }
    if (!in_order) {
      for (std::size_t j = 0; j < features; ++j) out.add_value(j, row[j]);
    }
    if (columns.label == kNoLabel) {
      out.add_missing_label();
    } else {
      out.add_label(label);
    }
    out.end_row();
  }
}

}  // namespace dsgd::detail
