#include "dsgd/base/error.h"

namespace dsgd {
namespace {

// The marks around a field's name: control characters no option's text or message holds (a
// file's bytes in a message are escaped by quoted(), text.h).
constexpr char kOpen = '\x02';
constexpr char kClose = '\x03';

bool is_field_name(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace

std::string field(std::string_view name) {
  std::string out(1, kOpen);
  out.append(name);
  out.push_back(kClose);
  return out;
}

std::string name_fields(std::string_view text, const FieldNamer& name_of) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t open = text.find(kOpen, at);
    const std::size_t close = open == std::string_view::npos ? open : text.find(kClose, open + 1);
    if (close == std::string_view::npos) {
      out.append(text.substr(at));
      break;
    }
    const std::string_view name = text.substr(open + 1, close - open - 1);
    out.append(text.substr(at, open - at));
    if (is_field_name(name)) {
      out.append(name_of ? name_of(name) : std::string(name));
    } else {
      out.append(text.substr(open, close + 1 - open));
    }
    at = close + 1;
  }
  return out;
}

}  // namespace dsgd
