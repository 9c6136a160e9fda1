#pragma once
// The threads backend: W workers in one process, sharing memory.
//
// A ThreadGroup is the shared state of the workers of one process (a spin barrier, per-worker
// send slots and a result buffer); each worker holds its own ThreadComm onto it. allreduce_sum
// copies the worker's vector into its slot, meets the others at the barrier, and sums the slots
// in the pairwise tree order:
//  - small vectors: every worker sums the whole vector itself (one barrier per call; the slots
//    are double-buffered by call parity, so a fast worker's next call cannot overwrite a slot a
//    slow worker is still reading);
//  - large vectors: worker k sums slice k into a shared result, and after a second barrier every
//    worker copies the result (reduce-scatter + all-gather: 2(W-1)/W of the vector each way).
// Both give the same bits. The split allreduce publishes and arrives at the barrier in
// start_allreduce_sum, and waits and sums in wait_allreduce. allgather_bytes copies the bytes
// into the slot and meets the others; the views point into the peers' slots. Bytes are counted
// as the slots actually read between workers.
#include <functional>
#include <memory>
#include <vector>

#include "dsgd/comm/communicator.h"
#include "dsgd/comm/spin_barrier.h"
#include "dsgd/base/huge_vector.h"

namespace dsgd {

class ThreadGroup {
 public:
  // machine_threads: busy threads of the whole job on this host, if more than `size` (it decides
  // whether waiting workers spin; see SpinBarrier).
  explicit ThreadGroup(int size, int machine_threads = 0);
  [[nodiscard]] int size() const noexcept { return size_; }
  // Makes every worker blocked in (or later entering) a collective throw CommError.
  void abort() noexcept { barrier_.abort(); }

  // For the communicators built on the group (ThreadComm, HierarchicalComm). `call` counts the
  // caller's collectives; its parity picks the buffers of this call.
  // Copies data (or bytes) into the caller's slot of this call's parity.
  void publish(int rank, unsigned call, std::span<const double> data);
  void publish_bytes(int rank, unsigned call, std::span<const std::byte> bytes);
  [[nodiscard]] std::uint32_t arrive() { return barrier_.arrive(); }
  [[nodiscard]] bool arrived(std::uint32_t ticket) const { return barrier_.done(ticket); }
  void wait(std::uint32_t ticket) { barrier_.wait(ticket); }
  void wait() { barrier_.arrive_and_wait(); }
  [[nodiscard]] std::span<const double* const> parts(unsigned call) const noexcept { return pointers_[call % 2]; }
  [[nodiscard]] const GatheredBytes& byte_parts(unsigned call) const noexcept { return byte_views_[call % 2]; }
  [[nodiscard]] std::vector<double>& result(unsigned call) noexcept { return result_[call % 2]; }
  // An all-gather's views that one worker (the leader of a process) fills for all, and bytes it
  // keeps for all (alive as long as the group, not only as long as the leader's communicator).
  [[nodiscard]] GatheredBytes& gathered(unsigned call) noexcept { return gathered_[call % 2]; }
  [[nodiscard]] std::vector<std::byte>& leader_bytes(unsigned call) noexcept { return leader_bytes_[call % 2]; }
  // A new zeroed block of the group's memory (called by one worker), alive as long as the group.
  [[nodiscard]] std::span<std::byte> add_block(std::size_t bytes);
  [[nodiscard]] std::span<std::byte> block(std::size_t k) const noexcept { return *blocks_[k]; }

 private:
  struct alignas(64) Slot {
    std::vector<double> data;
    std::vector<std::byte> bytes;
  };
  int size_;
  SpinBarrier barrier_;
  std::vector<Slot> slots_[2];              // [call parity][rank]
  std::vector<const double*> pointers_[2];  // [call parity][rank] -> slots_[parity][rank].data
  GatheredBytes byte_views_[2];             // [call parity][rank] -> slots_[parity][rank].bytes
  std::vector<double> result_[2];           // [call parity] a reduced vector
  GatheredBytes gathered_[2];               // [call parity]
  std::vector<std::byte> leader_bytes_[2];  // [call parity]
  std::vector<std::unique_ptr<HugeVector<std::byte>>> blocks_;  // shared_block's, in the order made
};

class ThreadComm final : public Communicator {
 public:
  ThreadComm(ThreadGroup& group, int rank) noexcept : group_(group), rank_(rank) {}

  [[nodiscard]] int rank() const noexcept override { return rank_; }
  [[nodiscard]] int size() const noexcept override { return group_.size(); }
  void allreduce_sum(std::span<double> data) override;
  void start_allreduce_sum(std::span<double> data) override;
  bool test_allreduce() override;
  void wait_allreduce() override;
  [[nodiscard]] const GatheredBytes& allgather_bytes(std::span<const std::byte> mine) override;
  [[nodiscard]] const GatheredBytes& alltoall_bytes(std::span<const std::byte> mine,
                                                    std::span<const std::uint64_t> sizes) override;
  void broadcast(std::span<double> data, int root) override;
  void barrier() override;
  [[nodiscard]] std::span<std::byte> shared_block(std::size_t bytes) override;
  [[nodiscard]] bool shares_memory() const noexcept override { return size() > 1; }
  [[nodiscard]] std::string_view algorithm() const noexcept override {
    return "threads: shared memory, rank-ordered pairwise tree";
  }

  // Vectors of at least this many elements take the reduce-scatter path.
  static constexpr std::size_t kSlicedFrom = 4096;

 private:
  // Publishes data in this call's slot and waits for all; returns the call's number.
  unsigned publish(std::span<const double> data);
  void wait();
  // Throws CommError naming `what` while a split allreduce waits to be completed.
  void no_allreduce_in_flight(const char* what) const;
  void wait(std::uint32_t ticket);

  ThreadGroup& group_;
  int rank_;
  unsigned calls_ = 0;
  // The allreduce in flight: its vector, call number and barrier ticket.
  std::span<double> pending_;
  unsigned pending_call_ = 0;
  std::uint32_t pending_ticket_ = 0;
  bool in_flight_ = false;
  GatheredBytes single_;  // one worker's all-gather: a view of its own bytes
  GatheredBytes parts_;   // an all-to-all's parts for this worker, by rank
  std::vector<std::byte> frame_;  // an all-to-all's sizes and bytes, as published
  std::size_t blocks_ = 0;  // shared_block calls so far
};

// Runs fn(rank) on `workers` threads started once for the run (the caller is rank 0, so a
// library that must be called from the main thread, like MPI, can be called from rank 0). If a
// worker throws, abort() is called so no peer waits forever, and the first exception is
// rethrown here after every thread has stopped.
void run_workers(int workers, const std::function<void(int rank)>& fn, const std::function<void()>& abort);

// Runs fn(comm) on `workers` threads, each with its own ThreadComm of one group.
void run_threads(int workers, const std::function<void(Communicator&)>& fn);

}  // namespace dsgd
