#pragma once
// The exchange strategies by name (exchange.h has the strategies themselves).
#include <string_view>

namespace dsgd {

enum class ExchangeMode { kAuto, kDense, kSparse };
[[nodiscard]] std::string_view to_string(ExchangeMode mode) noexcept;
// Accepts "auto", "dense", "sparse"; throws ConfigError otherwise.
[[nodiscard]] ExchangeMode parse_exchange(std::string_view name);

}  // namespace dsgd
