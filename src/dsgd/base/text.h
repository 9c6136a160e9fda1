#pragma once
// Text for messages. Bytes from input files, shown safely in one-line messages: control characters, NUL and bytes
// that are not UTF-8 escaped (\t, \n, \0, \x1b), a byte-order mark named as such, and long
// tokens shortened, so that a data file can neither retitle a terminal nor cut a message short.
#include <cstddef>
#include <string>
#include <string_view>

namespace dsgd {

// The length of the UTF-8 sequence that starts s[i] (2 to 4), or 0 when it is not one.
[[nodiscard]] inline std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
  const auto b = static_cast<unsigned char>(s[i]);
  const std::size_t n = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 && b <= 0xDF ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return n;
}

// `text` with every byte that is not printable escaped; at most `max` bytes of it shown ("..."
// after them).
[[nodiscard]] inline std::string printable(std::string_view text, std::size_t max = std::string_view::npos) {
  std::string out;
  std::size_t i = 0;
  if (text.starts_with("\xEF\xBB\xBF")) {
    out += "<BOM>";
    i = 3;
  }
  for (; i < text.size() && i < max; ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b >= 0x20 && b < 0x7F) {
      out += static_cast<char>(b);
    } else if (const std::size_t n = b >= 0x80 ? utf8_sequence(text, i) : 0; n > 0) {
      out.append(text.substr(i, n));
      i += n - 1;
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      switch (b) {
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case 0: out += "\\0"; break;
        default:
          out += "\\x";
          out += kHex[b >> 4];
          out += kHex[b & 15];
      }
    }
  }
  if (i < text.size()) out += "...";
  return out;
}

// A token of input for a message: printable(token, 40) in single quotes.
[[nodiscard]] inline std::string quoted(std::string_view token, std::size_t max = 40) {
  std::string out(1, '\'');  // (not "'" + ...: GCC 12 warns of a false -Wrestrict on that at -O3)
  out += printable(token, max);
  out += '\'';
  return out;
}

// "1 epoch", "3 epochs".
[[nodiscard]] inline std::string plural(std::size_t n, std::string_view what) {
  std::string text = std::to_string(n);
  text += ' ';
  text += what;
  if (n != 1) text += 's';
  return text;
}

}  // namespace dsgd
