#pragma once
// The memory-bandwidth bound of a run: a pass over X cannot take less than bytes / bandwidth.
// The bandwidth is measured streaming a buffer much larger than the caches: on the spot
// (measure_*), or once per boot of the machine and then read from a small cache file
// (machine_*), so that a run does not pay a quarter of a gigabyte and a tenth of a second
// for its bound every time.
#include <cstddef>
#include <string>

namespace dsgd {

struct BandwidthOptions {
  std::size_t bytes = 0;  // buffer size; 0: 4 x the last-level cache, at least 128 MiB
  int repeats = 4;        // the best pass counts
};

// Read bandwidth in GB/s (1e9 bytes/s) of `threads` threads, each streaming its own part of one
// buffer at the same time. The best of `repeats` passes: what streaming can reach, i.e. a bound.
[[nodiscard]] double measure_read_bandwidth(int threads, const BandwidthOptions& options = {});

// The bound of a sparse pass, which reads and writes its model at random: random 8-byte reads
// per second (all threads together) of `threads` threads, each reading its own random places
// of one buffer of `bytes` (the size of the model's arrays), with independent addresses, so as
// many reads are in flight as the cores allow. The best of `repeats` passes.
[[nodiscard]] double measure_random_reads(int threads, std::size_t bytes, int repeats = 3);

// A machine figure and where it came from: "measured now", or "measured 04:41 UTC (cached for
// this boot in PATH)".
struct MachineFigure {
  double value = 0;
  std::string source;
};

// The cache file: $XDG_CACHE_HOME/dsgd/bandwidth.json, else $HOME/.cache/dsgd/bandwidth.json;
// "" (no caching) where neither is set, or DSGD_BANDWIDTH_CACHE is "off".
[[nodiscard]] std::string bandwidth_cache_path();

// measure_read_bandwidth(threads) and measure_random_reads(threads, bytes), each measured once
// per boot and hour (the file keeps /proc's boot_id: a reboot, which may land the VM on another
// host, measures again) and for each thread count (and model size, to the power of two), then
// read from the cache. A cache that cannot be read or written is measured around, silently. A
// new figure under half of the expired one it would replace is used but not stored (the source
// says so): it was most likely measured beside other work. A second such figure in a row is
// stored: the host itself slowed down.
[[nodiscard]] MachineFigure machine_read_bandwidth(int threads);
[[nodiscard]] MachineFigure machine_random_reads(int threads, std::size_t bytes);

}  // namespace dsgd
