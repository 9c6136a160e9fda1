#include "dsgd/train/config/memory.h"

#include <sys/resource.h>

#include <fmt/format.h>

#include <fstream>
#include <string>

#include "dsgd/base/error.h"


namespace dsgd {

std::size_t worker_state_bytes(const TrainConfig& config, std::size_t d, bool sparse) noexcept {
  const bool adagrad = config.optimizer == Optimizer::kAdagrad;
  const bool scaled = config.scale != Scaling::kNone;
  double per_column = 1 + 1 + 1;  // the model, the gradient vector, a raw copy of the weights
  if (config.patience > 0) per_column += 1;                 // the best model kept
  if (scaled) per_column += 2 + 2;                          // the scaling in the model and its copies
  if (sparse) {
    per_column += (adagrad ? 3 : 2) + (scaled ? 2 : 0) + 0.25;  // the slots, the scales, the bitmap
  } else {
    per_column += 1 + (adagrad ? 1 : 0) + (scaled ? 1 : 0);  // the update's model, squares, raw weights
  }
  return static_cast<std::size_t>(per_column * 8.0 * static_cast<double>(d)) + (std::size_t{1} << 20);
}

std::size_t peak_resident_bytes() noexcept {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<std::size_t>(usage.ru_maxrss) * 1024;  // (Linux counts it in KiB)
}

std::size_t available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::size_t kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

std::string human_bytes(double bytes) {
  if (bytes >= 1e9) return fmt::format("{:.2f} GB", bytes / 1e9);
  if (bytes >= 1e6) return fmt::format("{:.2f} MB", bytes / 1e6);
  if (bytes >= 1e3) return fmt::format("{:.1f} kB", bytes / 1e3);
  return fmt::format("{:.0f} B", bytes);
}

std::string memory_shortfall(std::size_t needed, std::size_t limit, const std::string& detail) {
  const bool given = limit != 0;
  if (!given) limit = available_memory_bytes();
  if (limit == 0 || needed <= limit) return {};
  return fmt::format("needs {} ({}), more than the {} {}", human_bytes(static_cast<double>(needed)), detail,
                     human_bytes(static_cast<double>(limit)),
                     given ? fmt::format("{} allows", field("max_memory"))
                           : fmt::format("this machine has available ({} sets the limit)", field("max_memory")));
}

}  // namespace dsgd
