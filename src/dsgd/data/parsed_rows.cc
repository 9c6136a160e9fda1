#include "dsgd/data/parsed_rows.h"

#include <charconv>
#include <cmath>

namespace dsgd::detail {

void ParsedRows::add_label(double label) {
  labels.push_back(label);
  if (distinct_labels.size() >= 3) return;
  for (const Seen& s : distinct_labels) {
    if (s.label == label) return;
  }
  distinct_labels.push_back({label, lines});
}

bool parse_number(std::string_view token, double& out) noexcept {
  if (token.size() > 1 && token.front() == '+' && token[1] != '-' && token[1] != '+') token.remove_prefix(1);
  if (token.empty()) return false;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), out);
  return ec == std::errc() && end == token.data() + token.size() && std::isfinite(out);
}

}  // namespace dsgd::detail
