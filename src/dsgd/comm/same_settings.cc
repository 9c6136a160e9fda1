#include "dsgd/comm/same_settings.h"

#include <fmt/format.h>

#include <vector>

#include "dsgd/base/error.h"

namespace dsgd {

Setting number_setting(std::string name, double value) { return {std::move(name), fmt::format("{}", value)}; }

Setting given_setting(std::string name, bool given) { return {std::move(name), given ? "1" : "0", true}; }

namespace {

std::vector<std::string> lines(const std::vector<char>& text) {
  std::vector<std::string> out(1);
  for (const char c : text) {
    if (c == '\n') {
      out.emplace_back();
    } else {
      out.back().push_back(c);
    }
  }
  return out;
}

}  // namespace

void check_same_settings(Communicator& comm, std::span<const Setting> settings) {
  std::string mine;  // one value a line
  for (const Setting& s : settings) mine += s.value + '\n';
  const std::vector<std::vector<char>> all = allgather<char>(comm, std::span<const char>(mine));
  const auto shown = [](const std::string& value) { return value.empty() ? std::string("none") : value; };
  const std::vector<std::string> ours = lines(all[0]);
  for (int rank = 1; rank < comm.size(); ++rank) {
    const std::vector<std::string> theirs = lines(all[static_cast<std::size_t>(rank)]);
    for (std::size_t k = 0; k < settings.size(); ++k) {
      const std::string other = k < theirs.size() ? theirs[k] : std::string("none");
      if (other == ours[k]) continue;
      const Setting& s = settings[k];
      const std::string values =
          s.given ? fmt::format("rank {} was given it and rank {} was not", ours[k] == "1" ? 0 : rank,
                                ours[k] == "1" ? rank : 0)
                  : fmt::format("rank 0 has {}, rank {} has {}", shown(ours[k]), rank, shown(other));
      throw ConfigError(fmt::format("ranks disagree on {}: {}; every rank must be started with the same options",
                                    s.name, values));
    }
  }
}

}  // namespace dsgd
