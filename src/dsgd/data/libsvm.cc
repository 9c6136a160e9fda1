// The LIBSVM/SVMlight line parser.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include "dsgd/data/parsed_rows.h"
#include "dsgd/base/text.h"

namespace dsgd::detail {
namespace {

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// The next whitespace-separated token of [p, end), advancing p past it; empty at the end.
std::string_view next_token(const char*& p, const char* end) noexcept {
  while (p < end && is_space(*p)) ++p;
  const char* start = p;
  while (p < end && !is_space(*p)) ++p;
  return {start, static_cast<std::size_t>(p - start)};
}

// A plain "index:value" pair at p (an index of digits in [1, 2^32 - 1], a colon, a finite number
// that ends at a blank or `end`), advancing p past it; nothing (p unmoved) for anything else.
std::optional<std::pair<std::size_t, double>> fast_pair(const char*& p, const char* end) noexcept {
  const char* q = p;
  std::uint64_t index = 0;
  while (q < end && *q >= '0' && *q <= '9' && q - p < 10) index = index * 10 + static_cast<std::uint64_t>(*q++ - '0');
  if (q == p || q == end || *q != ':' || index == 0 || index > std::numeric_limits<std::uint32_t>::max())
    return std::nullopt;
  ++q;
  if (q < end && *q == '1' && (q + 1 == end || is_space(q[1]))) {  // the common value of presence features
    p = q + 1;
    return std::pair<std::size_t, double>{index, 1.0};
  }
  double x = 0;
  const auto [after, ec] = std::from_chars(q, end, x);
  if (ec != std::errc() || after == q || (after < end && !is_space(*after)) || !std::isfinite(x)) return std::nullopt;
  p = after;
  return std::pair<std::size_t, double>{index, x};
}

// A 1-based column index: digits only, in [1, 2^32 - 1].
std::size_t parse_index(std::string_view text, std::string_view token, std::size_t line) {
  if (!text.empty() && text.front() == '-') throw LineError{line, "negative feature index in " + quoted(token)};
  std::uint64_t v = 0;
  if (text.empty()) throw LineError{line, "missing feature index in " + quoted(token)};
  for (const char c : text) {
    if (c < '0' || c > '9') throw LineError{line, "bad feature index in " + quoted(token)};
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
    if (v > std::numeric_limits<std::uint32_t>::max()) throw LineError{line, "feature index too large in " + quoted(token)};
  }
  if (v == 0) throw LineError{line, "feature index 0 in " + quoted(token) + " (indices start at 1)"};
  return v;
}

}  // namespace

void parse_libsvm(std::string_view text, const ParseLimits& limits, ParsedRows& out) {
  const char* p = text.data();
  const char* const end = p + text.size();
  // Lines are searched for a comment only when the text holds one.
  const bool any_hash = std::memchr(p, '#', text.size()) != nullptr;
  while (p < end) {
    const char* newline = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* line_end = newline != nullptr ? newline : end;
    ++out.lines;
    const std::size_t line = out.lines;
    const char* hash =
        any_hash ? static_cast<const char*>(std::memchr(p, '#', static_cast<std::size_t>(line_end - p))) : nullptr;
    const char* content_end = hash != nullptr ? hash : line_end;
    const char* q = p;
    p = newline != nullptr ? newline + 1 : end;

    std::string_view token = next_token(q, content_end);
    if (token.empty()) continue;  // blank or comment-only line
    if (token.find(':') == std::string_view::npos) {
      double label = 0;
      if (!parse_number(token, label)) throw LineError{line, "bad label " + quoted(token)};
      out.add_label(label);
      token = next_token(q, content_end);
    } else if (limits.labels_optional) {
      out.add_missing_label();  // the row starts with its first feature
    } else {
      throw LineError{line, "missing label (the line starts with " + quoted(token) + ")"};
    }

    std::size_t previous = 0;
    // The fast path reads a plain "index:value" in place (digits, a colon, a number from_chars
    // takes whole up to a blank); anything else is re-read as a token below, which accepts or
    // rejects it with its message, so the two paths agree on every input.
    q = token.data();
    for (;;) {
      while (q < content_end && is_space(*q)) ++q;
      if (q == content_end) break;
      const char* const start = q;
      if (std::optional<std::pair<std::size_t, double>> pair = fast_pair(q, content_end)) {
        const auto [index, x] = *pair;
        if (index > previous && (limits.features == 0 || index <= limits.features)) {
          previous = index;
          out.add_value(index - 1, x);
          continue;
        }
        q = start;
      }
      token = next_token(q, content_end);
      const std::size_t colon = token.find(':');
      if (colon == std::string_view::npos)
        throw LineError{line, "expected index:value, found " + quoted(token)};
      const std::string_view index_text = token.substr(0, colon);
      if (index_text == "qid") continue;  // SVMlight query id: not a feature
      const std::size_t index = parse_index(index_text, token, line);
      double x = 0;
      if (!parse_number(token.substr(colon + 1), x))
        throw LineError{line, fmt::format("bad value {} for feature {}", quoted(token.substr(colon + 1)), index)};
      if (index <= previous)
        throw LineError{line, fmt::format("feature indices not ascending ({} after {})", index, previous)};
      previous = index;
      if (limits.features != 0 && index > limits.features) {
        if (!limits.drop_beyond)
          throw LineError{line, fmt::format("feature index {} beyond --features {}", index, limits.features)};
        if (out.dropped++ == 0) out.first_dropped_line = line;
        continue;
      }
      out.add_value(index - 1, x);
    }
    out.end_row();
  }
}

}  // namespace dsgd::detail
