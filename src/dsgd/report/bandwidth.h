#pragma once
// The memory-bandwidth bound of a run: a pass over X cannot take less than bytes / bandwidth.
// The bandwidth is measured on the spot, streaming a buffer much larger than the caches.
#include <cstddef>

namespace dsgd {

struct BandwidthOptions {
  std::size_t bytes = 0;  // buffer size; 0: 4 x the last-level cache, at least 128 MiB
  int repeats = 4;        // the best pass counts
};

// Read bandwidth in GB/s (1e9 bytes/s) of `threads` threads, each streaming its own part of one
// buffer at the same time. The best of `repeats` passes: what streaming can reach, i.e. a bound.
[[nodiscard]] double measure_read_bandwidth(int threads, const BandwidthOptions& options = {});

}  // namespace dsgd
