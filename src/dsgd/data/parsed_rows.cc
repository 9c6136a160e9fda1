#include "dsgd/data/parsed_rows.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace dsgd::detail {


void ParsedRows::add_label(double label) {
  labels.push_back(label);
  if (distinct_labels.size() >= 3) return;
  for (const Seen& s : distinct_labels) {
    if (s.label == label) return;
  }
  distinct_labels.push_back({label, lines});
}

void ParsedRows::add_first_other(double x) {
  ones = false;
  value.reserve(index.capacity());
  value.assign(index.size() - 1, 1.0);
  value.push_back(x);
  f32_exact = static_cast<double>(static_cast<float>(x)) == x;
}

namespace {

bool is_data_line(const char* p, const char* end, bool csv) noexcept {
  for (; p < end; ++p) {
    const char c = *p;
    if (csv ? (c == ' ' || c == '\t' || c == '\r') : (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'))
      continue;
    return csv || c != '#';
  }
  return false;
}

// Walks the lines of text until `stop_at_row` data rows have gone by (or to the end).
RowStart walk_rows(std::string_view text, bool csv, std::size_t stop_at_row, std::size_t& rows) noexcept {
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  const char* p = begin;
  std::size_t lines = 0;
  rows = 0;
  while (p < end) {
    const char* newline = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* line_end = newline != nullptr ? newline : end;
    if (is_data_line(p, line_end, csv)) {
      if (rows == stop_at_row) break;
      ++rows;
    }
    ++lines;
    p = newline != nullptr ? newline + 1 : end;
  }
  return {static_cast<std::size_t>(p - begin), lines};
}

}  // namespace

RowCount count_rows(std::string_view text, bool csv) noexcept {
  std::size_t rows = 0;
  const RowStart end = walk_rows(text, csv, static_cast<std::size_t>(-1), rows);
  return {rows, end.lines};
}

RowStart find_row(std::string_view text, bool csv, std::size_t row) noexcept {
  std::size_t rows = 0;
  return walk_rows(text, csv, row, rows);
}

bool parse_number(std::string_view token, double& out) noexcept {
  if (token.size() > 1 && token.front() == '+' && token[1] != '-' && token[1] != '+') token.remove_prefix(1);
  if (token.empty()) return false;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), out);
  return ec == std::errc() && end == token.data() + token.size() && std::isfinite(out);
}

}  // namespace dsgd::detail
