#pragma once
// The Communicator: how the workers of one SPMD training run talk to each other.
//
// Contract. A Communicator belongs to one worker (rank 0..size-1) of a group; every worker of
// the group must call the same collectives in the same order with vectors of the same length.
// allreduce_sum leaves every worker holding the element-wise sum over all workers, bit-identical
// on every worker, and summed in a fixed order over the global worker index (the pairwise tree of
// tree_sum below), never in arrival order: the same inputs give the same bits on every backend.
// With size() == 1 every collective is the identity and costs nothing. A collective that cannot
// complete (a peer failed or the group was aborted) throws CommError rather than hanging.
// Each worker counts what it did in stats(): payload bytes it sent and received (both
// directions, as the backend actually moves them), the number of collectives, and the time spent
// moving/summing data apart from the time spent waiting for slower peers.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace dsgd {

struct CommStats {
  std::uint64_t syncs = 0;           // collectives completed (allreduce, broadcast, barrier)
  std::uint64_t bytes_sent = 0;      // payload bytes other workers took from this one
  std::uint64_t bytes_received = 0;  // payload bytes this worker took from others
  double comm_s = 0;                 // seconds copying and summing payload
  double wait_s = 0;                 // seconds waiting for peers to arrive
};

// What a stretch of work added to the counters: after - before.
[[nodiscard]] inline CommStats operator-(const CommStats& after, const CommStats& before) noexcept {
  return {after.syncs - before.syncs, after.bytes_sent - before.bytes_sent, after.bytes_received - before.bytes_received,
          after.comm_s - before.comm_s, after.wait_s - before.wait_s};
}

class Communicator {
 public:
  Communicator() = default;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;
  virtual ~Communicator() = default;

  [[nodiscard]] virtual int rank() const noexcept = 0;
  [[nodiscard]] virtual int size() const noexcept = 0;
  virtual void allreduce_sum(std::span<double> data) = 0;
  // Copies root's data into every worker's data.
  virtual void broadcast(std::span<double> data, int root) = 0;
  virtual void barrier() = 0;
  // A short description of the reduction, for reports (e.g. "shared memory, pairwise tree").
  [[nodiscard]] virtual std::string_view algorithm() const noexcept = 0;

  [[nodiscard]] const CommStats& stats() const noexcept { return stats_; }

 protected:
  CommStats stats_;
};

// out[k] = the sum of parts[p][offset + k] over p, for k in [0, length), in the fixed pairwise
// order every backend uses: sum(parts[lo, hi)) = sum(parts[lo, lo + h)) + sum(parts[lo + h, hi))
// with h the largest power of two below hi - lo. For 4 parts: ((p0 + p1) + (p2 + p3)).
void tree_sum(std::span<const double* const> parts, std::size_t offset, std::size_t length, double* out);

// Every worker's `mine` (the same length on each), concatenated in rank order, on every worker:
// an allreduce of a vector in which each worker fills its own part (adding zeros is exact).
[[nodiscard]] std::vector<double> gather(Communicator& comm, std::span<const double> mine);

// Whether `mine` is true on any worker; the same answer on every worker.
[[nodiscard]] bool any_worker(Communicator& comm, bool mine);

}  // namespace dsgd
