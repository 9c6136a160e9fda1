// The CSV line parser: a header row (optional), one label column, every other field a number.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "dsgd/data/parsed_rows.h"
#include "dsgd/text.h"

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

CsvColumns csv_columns(std::string_view first_line, const std::string& label_column,
                       std::size_t features_without_label) {
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
    return c;
  }
  const auto named = std::find(c.names.begin(), c.names.end(), label_column);
  if (c.header && named != c.names.end()) {
    c.label = static_cast<std::size_t>(named - c.names.begin());
    return c;
  }
  std::size_t position = 0;
  const auto [end, ec] = std::from_chars(label_column.data(), label_column.data() + label_column.size(), position);
  if (ec != std::errc() || end != label_column.data() + label_column.size())
    throw LineError{1, fmt::format("no column named {} for --label-column{}", quoted(label_column),
                                   c.header ? "" : " (the file has no header row)")};
  if (position >= fields.size())
    throw LineError{1, fmt::format("--label-column {} is out of range: the file has {} columns (0 to {})", position,
                                   fields.size(), fields.size() - 1)};
  c.label = position;
  return c;
}

void parse_csv(std::string_view text, const CsvColumns& columns, const ParseLimits& limits, ParsedRows& out) {
  std::vector<std::string_view> fields;
  const std::size_t expected = columns.names.size();
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
    std::size_t column = 0;  // feature column, 0-based (the label field is skipped)
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
      if (limits.features != 0 && column + 1 > limits.features) {
        if (!limits.drop_beyond)
          throw LineError{out.lines, fmt::format("column {} is feature {}, beyond --features {}", quoted(columns.names[k]),
                                                 column + 1, limits.features)};
        if (x != 0.0 && out.dropped++ == 0) out.first_dropped_line = out.lines;
        ++column;
        continue;
      }
      out.add_value(column++, x);
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
