#include "dsgd/analysis/bandwidth.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>

#include "dsgd/base/atomic_file.h"
#include "dsgd/data/dataset.h"
#include "dsgd/base/rng.h"
#include "dsgd/base/timer.h"

namespace dsgd {
namespace {

// Sums a range with eight independent accumulators, enough loads in flight to saturate a core's
// memory path; the compiler vectorises it. The sum is returned so the reads cannot be dropped.
double stream_sum(const double* p, std::size_t n) {
  double acc[8] = {};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) acc[k] += p[i + static_cast<std::size_t>(k)];
  }
  for (; i < n; ++i) acc[0] += p[i];
  double total = 0;
  for (double a : acc) total += a;
  return total;
}

}  // namespace

double measure_read_bandwidth(int threads, const BandwidthOptions& options) {
  threads = std::max(1, threads);
  std::size_t bytes = options.bytes;
  if (bytes == 0) {
    // Four times the last-level cache, within [128 MiB, 256 MiB]: a VM may report its host's
    // whole L3 (hundreds of MB over all its chiplets) where one core sees a tenth of it, and
    // faulting in gigabytes would take longer than the runs measured.
    const long l3 = ::sysconf(_SC_LEVEL3_CACHE_SIZE);  // 0 or -1 where unknown
    bytes = std::clamp<std::size_t>(l3 > 0 ? 4 * static_cast<std::size_t>(l3) : 0, std::size_t{128} << 20,
                                    std::size_t{256} << 20);
  }
  const std::size_t n = bytes / sizeof(double);
  detail::AlignedArray<double> buffer(static_cast<double*>(detail::aligned_allocate(n * sizeof(double))));
  std::vector<std::jthread> pool;
  std::barrier sync(threads);
  std::vector<double> seconds(static_cast<std::size_t>(options.repeats));
  std::atomic<double> sink{0};
  auto body = [&](int t) {
    const RowRange part = shard_range(n, static_cast<std::size_t>(threads), static_cast<std::size_t>(t));
    std::fill(buffer.get() + part.begin, buffer.get() + part.end, 1.0);  // each thread faults its pages in
    double local = 0;
    for (int r = 0; r < options.repeats; ++r) {
      sync.arrive_and_wait();
      const auto start = Clock::now();
      local += stream_sum(buffer.get() + part.begin, part.size());
      sync.arrive_and_wait();  // the pass ends when the slowest thread ends
      if (t == 0) seconds[static_cast<std::size_t>(r)] = seconds_since(start);
    }
    sink.fetch_add(local);
  };
  for (int t = 1; t < threads; ++t) pool.emplace_back(body, t);
  body(0);
  pool.clear();
  const double best = *std::min_element(seconds.begin(), seconds.end());
  return static_cast<double>(n * sizeof(double)) / best / 1e9;
}

double measure_random_reads(int threads, std::size_t bytes, int repeats) {
  threads = std::max(1, threads);
  const std::size_t n = std::max<std::size_t>(bytes / sizeof(double), 1024);
  detail::AlignedArray<double> buffer(static_cast<double*>(detail::aligned_allocate(n * sizeof(double))));
  constexpr std::size_t kReads = std::size_t{1} << 22;  // per thread and pass
  std::barrier sync(threads);
  std::vector<double> seconds(static_cast<std::size_t>(repeats));
  std::atomic<double> sink{0};
  auto body = [&](int t) {
    const RowRange part = shard_range(n, static_cast<std::size_t>(threads), static_cast<std::size_t>(t));
    std::fill(buffer.get() + part.begin, buffer.get() + part.end, 1.0);
    std::vector<std::uint32_t> where(kReads);
    SplitMix64 rng(stream_key(0x5241'4E44'4F4DULL, static_cast<std::uint64_t>(t)));  // "RANDOM"
    for (std::uint32_t& w : where) w = static_cast<std::uint32_t>(rng.below(n));
    double local = 0;
    for (int r = 0; r < repeats; ++r) {
      sync.arrive_and_wait();
      const auto start = Clock::now();
      for (const std::uint32_t w : where) local += buffer[w];
      sync.arrive_and_wait();
      if (t == 0) seconds[static_cast<std::size_t>(r)] = seconds_since(start);
    }
    sink.fetch_add(local);
  };
  {
    std::vector<std::jthread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(body, t);
    body(0);
  }
  const double best = *std::min_element(seconds.begin(), seconds.end());
  return static_cast<double>(kReads) * threads / best;
}

namespace {

// A cached figure is measured again after an hour: a host's bandwidth moves with its neighbours.
constexpr double kCacheSeconds = 3600;
// A new figure below this share of the one it replaces is used, not stored.
constexpr double kKeepAbove = 0.5;

std::string boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

// The cached figure `key`, or a fresh one from `measure` (then stored).
template <class Measure>
MachineFigure cached(const std::string& key, Measure measure) {
  const std::string path = bandwidth_cache_path();
  const std::string boot = boot_id();
  if (path.empty() || boot.empty()) return {measure(), "measured now"};
  // Parsed without exceptions: a garbled or half-foreign file is simply measured over.
  std::ifstream in(path);
  std::ostringstream stored;
  stored << in.rdbuf();
  nlohmann::json cache = nlohmann::json::parse(stored.str(), nullptr, /*allow_exceptions=*/false);
  if (!cache.is_object() || !cache.contains("boot_id") || cache["boot_id"] != boot) {
    cache = nlohmann::json::object();
    cache["boot_id"] = boot;
  }
  if (!cache.contains("figures") || !cache["figures"].is_object()) cache["figures"] = nlohmann::json::object();
  const nlohmann::json& figures = cache["figures"];
  double previous = 0;  // this boot's last figure, when it is too old to use
  std::string previous_at;
  bool low_before = false;  // the last measurement, too, was under half of it (and not kept)
  if (const auto entry = figures.find(key); entry != figures.end() && entry->is_object()) {
    const nlohmann::json value = entry->value("value", nlohmann::json());
    const nlohmann::json at = entry->value("at", nlohmann::json());
    const double age_s = at.is_number() ? static_cast<double>(std::time(nullptr)) - at.get<double>() : -1;
    if (value.is_number() && value.get<double>() > 0 && age_s >= 0) {
      const auto when = static_cast<std::time_t>(at.get<double>());
      std::tm utc{};
      ::gmtime_r(&when, &utc);
      previous_at = fmt::format("{:02}:{:02} UTC", utc.tm_hour, utc.tm_min);
      if (age_s < kCacheSeconds) {
        return {value.get<double>(), fmt::format("measured {}, cached for this boot in {}", previous_at, path)};
      }
      previous = value.get<double>();
      low_before = entry->value("low", nlohmann::json()).is_number();
    }
  }
  const double value = measure();
  // A figure under half of this boot's last one was most likely taken beside other work (a
  // compile measured 1 GB/s where the quiet machine streams 40): it serves this run, which
  // shares the machine with that work too, but is not kept for the hour's later runs. The
  // entry notes it ("low"); a second such figure in a row is believed (the host slowed down).
  const bool low = value < kKeepAbove * previous && !low_before;
  try {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    // Set field by field: clang 14 leaks the replaced entry when it is assigned from a braced
    // list (LeakSanitizer, the fuzz build's dsgd on a stale cache).
    nlohmann::json& stored_entry = cache["figures"][key];
    if (low) {
      stored_entry["low"] = value;
    } else {
      stored_entry = nlohmann::json::object();
      stored_entry["value"] = value;
      stored_entry["at"] = static_cast<double>(std::time(nullptr));
    }
    AtomicFile out(path);
    const std::string text = cache.dump(1) + "\n";
    if (std::fputs(text.c_str(), out.stream()) >= 0) out.commit();
  } catch (const std::exception&) {  // a cache we cannot write costs a measurement next time, no more
  }
  if (low) {
    return {value, fmt::format("measured now; not cached: under half of the {:.3g} measured at {} (a busy machine?)",
                               previous, previous_at)};
  }
  return {value, "measured now"};
}

}  // namespace

std::string bandwidth_cache_path() {
  const char* off = std::getenv("DSGD_BANDWIDTH_CACHE");
  if (off != nullptr && std::string_view(off) == "off") return {};
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && *xdg == '/') return std::string(xdg) + "/dsgd/bandwidth.json";
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home == '/') return std::string(home) + "/.cache/dsgd/bandwidth.json";
  return {};
}

MachineFigure machine_read_bandwidth(int threads) {
  threads = std::max(1, threads);
  return cached(fmt::format("read_gbs/{}", threads), [&] { return measure_read_bandwidth(threads); });
}

MachineFigure machine_random_reads(int threads, std::size_t bytes) {
  threads = std::max(1, threads);
  const int log2 = static_cast<int>(std::ceil(std::log2(static_cast<double>(std::max<std::size_t>(bytes, 8192)))));
  return cached(fmt::format("random_reads/{}/2^{}", threads, log2),
                [&] { return measure_random_reads(threads, std::size_t{1} << log2); });
}

}  // namespace dsgd
