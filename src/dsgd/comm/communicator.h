#pragma once
// The Communicator: how the workers of one SPMD training run talk to each other.
//
// Contract. A Communicator belongs to one worker (rank 0..size-1) of a group; every worker of
// the group must call the same collectives in the same order (allreduces with vectors of the
// same length; an all-gather may carry a different number of bytes from each worker).
//  - allreduce_sum leaves every worker holding the element-wise sum over all workers,
//    bit-identical on every worker, and summed in a fixed order over the global worker index
//    (the pairwise tree of tree_sum below), never in arrival order: the same inputs give the
//    same bits on every backend.
//  - start_allreduce_sum / test_allreduce / wait_allreduce are the same sum split in two, so
//    that a worker can compute while it travels (the bits are those of allreduce_sum). At most
//    one may be in flight per worker, and the worker calls no other collective before waiting
//    for it; the vector must stay alive and untouched until then.
//  - allgather_bytes gives every worker every worker's bytes, in rank order. The views it
//    returns stay valid until this worker's next collective.
//  - alltoall_bytes sends each worker its own part of this worker's bytes and gives this worker
//    every worker's part for it, in rank order (views valid until its next collective). Where a
//    backend has no all-to-all of its own it all-gathers the parts (and counts those bytes).
//  - shared_block gives every worker the same block of zeroed memory, where the workers can
//    share memory (threads of one process): a model kept once for all of them. What a worker
//    writes there before a collective, every worker sees after it.
// With size() == 1 every collective is the identity and moves nothing. A collective that cannot
// complete (a peer failed, the group was aborted, or the backend's deadline passed) throws
// CommError rather than hanging.
// Each worker counts what it did in stats(): payload bytes it sent and received (both
// directions, as the backend actually moves them), the number of collectives, and the time spent
// moving/summing data apart from the time spent waiting for slower peers.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace dsgd {

struct CommStats {
  std::uint64_t syncs = 0;           // collectives completed (allreduce, all-gather, broadcast, barrier)
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

// Every worker's bytes of one all-gather, by rank.
using GatheredBytes = std::vector<std::span<const std::byte>>;

class Communicator {
 public:
  Communicator() = default;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;
  virtual ~Communicator() = default;

  [[nodiscard]] virtual int rank() const noexcept = 0;
  [[nodiscard]] virtual int size() const noexcept = 0;
  virtual void allreduce_sum(std::span<double> data) = 0;
  virtual void start_allreduce_sum(std::span<double> data) = 0;
  // Moves the started allreduce along (MPI progresses only inside its calls); true once it is
  // complete, and then wait_allreduce returns at once.
  virtual bool test_allreduce() = 0;
  virtual void wait_allreduce() = 0;
  [[nodiscard]] virtual const GatheredBytes& allgather_bytes(std::span<const std::byte> mine) = 0;
  // `mine` holds the parts for workers 0..size()-1 one after another, sizes[k] bytes for worker
  // k; returns, by rank, the part every worker sent this one (its own included). Throws
  // CommError for sizes of another count or sum, or a peer's malformed sizes.
  [[nodiscard]] virtual const GatheredBytes& alltoall_bytes(std::span<const std::byte> mine,
                                                            std::span<const std::uint64_t> sizes);
  // Copies root's data into every worker's data.
  virtual void broadcast(std::span<double> data, int root) = 0;
  virtual void barrier() = 0;
  // A collective: `bytes` of zeroed memory, the same block on every worker, alive as long as the
  // group; empty on every worker where they cannot share memory (the default), or with one
  // worker. Not counted in stats(): nothing travels.
  [[nodiscard]] virtual std::span<std::byte> shared_block(std::size_t bytes);
  // Whether shared_block gives the workers a block (asks nothing of the others).
  [[nodiscard]] virtual bool shares_memory() const noexcept { return false; }
  // A short description of the reduction, for reports (e.g. "shared memory, pairwise tree").
  [[nodiscard]] virtual std::string_view algorithm() const noexcept = 0;

  [[nodiscard]] const CommStats& stats() const noexcept { return stats_; }

 protected:
  // Checks sizes against mine (CommError), for the overrides of alltoall_bytes.
  void check_alltoall(std::span<const std::byte> mine, std::span<const std::uint64_t> sizes) const;
  // An all-to-all's bytes as they are published: the sizes (u64), then `mine`.
  static void put_frame(std::vector<std::byte>& frame, std::span<const std::byte> mine,
                        std::span<const std::uint64_t> sizes);
  // A published frame's n sizes; throws CommError naming its sender ("worker 3": `kind`, `index`)
  // unless they add up to its bytes.
  [[nodiscard]] static std::vector<std::uint64_t> frame_sizes(std::span<const std::byte> frame, std::size_t n,
                                                              std::string_view kind, std::size_t index);
  // Part k of a frame whose sizes are `sizes`.
  [[nodiscard]] static std::span<const std::byte> frame_part(std::span<const std::byte> frame,
                                                             std::span<const std::uint64_t> sizes, std::size_t k);

  CommStats stats_;

 private:
  std::vector<std::byte> alltoall_frame_;  // the default alltoall_bytes: sizes, then bytes
  GatheredBytes alltoall_parts_;
};

// out[k] = the sum of parts[p][offset + k] over p, for k in [0, length), in the fixed pairwise
// order every backend uses: sum(parts[lo, hi)) = sum(parts[lo, lo + h)) + sum(parts[lo + h, hi))
// with h the largest power of two below hi - lo. For 4 parts: ((p0 + p1) + (p2 + p3)).
void tree_sum(std::span<const double* const> parts, std::size_t offset, std::size_t length, double* out);

// Typed all-gathers over allgather_bytes, for values that are trivially copyable.

// Every worker's `mine`, by rank (lengths may differ).
template <typename T>
[[nodiscard]] std::vector<std::vector<T>> allgather(Communicator& comm, std::span<const T> mine) {
  static_assert(std::is_trivially_copyable_v<T>);
  const GatheredBytes& parts = comm.allgather_bytes(std::as_bytes(mine));
  std::vector<std::vector<T>> out(parts.size());
  for (std::size_t k = 0; k < parts.size(); ++k) {
    out[k].resize(parts[k].size() / sizeof(T));
    if (!parts[k].empty()) std::memcpy(out[k].data(), parts[k].data(), out[k].size() * sizeof(T));
  }
  return out;
}

// One value from every worker, by rank.
template <typename T>
[[nodiscard]] std::vector<T> allgather_one(Communicator& comm, const T& mine) {
  static_assert(std::is_trivially_copyable_v<T>);
  const GatheredBytes& parts = comm.allgather_bytes(std::as_bytes(std::span<const T>(&mine, 1)));
  std::vector<T> out(parts.size());
  for (std::size_t k = 0; k < parts.size(); ++k) std::memcpy(&out[k], parts[k].data(), sizeof(T));
  return out;
}

// Every worker's `mine` (the same length on each), concatenated in rank order, on every worker.
[[nodiscard]] std::vector<double> gather(Communicator& comm, std::span<const double> mine);

// Root's value or text on every worker (the others' arguments are ignored).
template <typename T>
[[nodiscard]] T broadcast_one(Communicator& comm, const T& value, int root) {
  static_assert(std::is_trivially_copyable_v<T>);
  const bool sender = comm.rank() == root;
  const GatheredBytes& parts =
      comm.allgather_bytes(sender ? std::as_bytes(std::span<const T>(&value, 1)) : std::span<const std::byte>());
  T out;
  std::memcpy(&out, parts[static_cast<std::size_t>(root)].data(), sizeof(T));
  return out;
}
[[nodiscard]] std::string broadcast_text(Communicator& comm, std::string_view text, int root);

// Whether `mine` is true on any worker; the same answer on every worker.
[[nodiscard]] bool any_worker(Communicator& comm, bool mine);

}  // namespace dsgd
