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

// The bound of a sparse pass, which reads and writes its model at random: random 8-byte reads
// per second (all threads together) of `threads` threads, each reading its own random places
// of one buffer of `bytes` (the size of the model's arrays), with independent addresses, so as
// many reads are in flight as the cores allow. The best of `repeats` passes.
[[nodiscard]] double measure_random_reads(int threads, std::size_t bytes, int repeats = 3);

}  // namespace dsgd
