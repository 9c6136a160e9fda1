#pragma once
// The one clock dsgd times itself with (monotonic), and seconds elapsed on it.
#include <chrono>

namespace dsgd {

using Clock = std::chrono::steady_clock;

[[nodiscard]] inline double seconds_since(Clock::time_point start) noexcept {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace dsgd
