#include "dsgd/train/config/memory.h"

#include <sys/resource.h>

#include <fmt/format.h>

#include <algorithm>
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

namespace {
// The memory limit of this process's control group (v1 memory.limit_in_bytes, v2 memory.max),
// or 0 where there is none or it cannot be read.
std::size_t cgroup_limit_bytes() {
  std::ifstream groups("/proc/self/cgroup");
  std::string line;
  while (std::getline(groups, line)) {
    const std::size_t first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    std::string file;
    if (controllers == "memory") file = "/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes";
    else if (controllers.empty() && line.starts_with("0::")) file = "/sys/fs/cgroup" + path + "/memory.max";
    else continue;
    std::ifstream in(file);
    std::size_t limit = 0;
    if (in >> limit && limit < (std::size_t{1} << 60)) return limit;  // (no limit reads as ~2^63, or "max")
  }
  return 0;
}
}  // namespace

std::size_t available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::size_t kib = 0;
  std::string unit;
  std::size_t available = 0;
  while (in >> key >> kib >> unit) {
    if (key == "MemAvailable:") {
      available = kib * 1024;
      break;
    }
  }
  const std::size_t limit = cgroup_limit_bytes();
  return limit != 0 && (available == 0 || limit < available) ? limit : available;
}

ReadTally read_tally() {
  ReadTally t;
  std::ifstream io("/proc/self/io");
  std::string key;
  std::size_t value = 0;
  while (io >> key >> value) {
    if (key == "read_bytes:") t.disk_bytes = value;
  }
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) == 0) t.major_faults = static_cast<std::size_t>(usage.ru_majflt);
  return t;
}

namespace {
// The training state of `threads` workers on `data`, with adagrad and scaling assumed (an upper
// estimate, before the data's defaults are decided).
double worst_state_bytes(const TrainConfig& config, const Dataset& data, int threads) {
  const bool sparse = data.layout() == Layout::kSparse;
  TrainConfig worst = config;
  worst.optimizer = Optimizer::kAdagrad;
  worst.scale = sparse ? Scaling::kMaxAbs : Scaling::kStandardize;
  return static_cast<double>(worker_state_bytes(worst, data.features(), sparse)) * threads;
}
}  // namespace

std::size_t rows_memory_bound(const TrainConfig& config, const Dataset& data, std::size_t max_memory, int threads) {
  if (!data.mapped()) return 0;
  const std::size_t limit = max_memory != 0 ? max_memory : available_memory_bytes();
  const auto state = static_cast<std::size_t>(std::min(worst_state_bytes(config, data, threads), 1e19));
  const std::size_t rows = data.rows_bytes({0, data.rows()});
  // What the state leaves, less a margin for the rest of the process; at least 16 MB.
  constexpr std::size_t kMargin = std::size_t{64} << 20, kLeast = std::size_t{16} << 20;
  const std::size_t left = limit > state + kMargin + kLeast ? limit - state - kMargin : kLeast;
  return limit == 0 || rows <= left ? 0 : left;
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

void check_training_memory(const TrainConfig& config, const ReadResult& data, const std::string& path,
                           std::size_t max_memory, int threads, Cluster& cluster) {
  const std::size_t d = data.data.features();
  const double state = worst_state_bytes(config, data.data, threads);
  std::string failure = memory_shortfall(static_cast<std::size_t>(std::min(state, 1e19)), max_memory,
                                         fmt::format("the training state of {} worker{}, {} each, for {} columns",
                                                     threads, threads == 1 ? "" : "s", human_bytes(state / threads), d));
  // The first process that lacks the memory speaks for all.
  const std::vector<std::uint8_t> failed = allgather_one<std::uint8_t>(cluster.comm(), failure.empty() ? 0 : 1);
  const auto first = std::find(failed.begin(), failed.end(), 1);
  if (first == failed.end()) return;
  if (cluster.size() > 1) {
    const int rank = static_cast<int>(first - failed.begin());
    failure = fmt::format("{} (rank {})", broadcast_text(cluster.comm(), failure, rank), rank);
  }
  // The file's own index set d: a bad input, with its line; --features: a bad option.
  if (d == data.highest_index && data.highest_index > 0)
    throw SharedInputError(path, data.highest_index_line, fmt::format("feature index {} {}", d, failure));
  throw ConfigError(fmt::format("--features {} {}", d, failure));
}

}  // namespace dsgd
