#pragma once
// The threads backend: W workers in one process, sharing memory.
//
// A ThreadGroup is the shared state of W workers (a spin barrier and per-worker send slots); each
// worker holds its own ThreadComm onto it. allreduce_sum copies the worker's vector into its
// slot, meets the others at the barrier, and sums the slots in the pairwise tree order:
//  - small vectors: every worker sums the whole vector itself (one barrier per call; the slots
//    are double-buffered by call parity, so a fast worker's next call cannot overwrite a slot a
//    slow worker is still reading);
//  - large vectors: worker k sums slice k into a shared result, and after a second barrier every
//    worker copies the result (reduce-scatter + all-gather: 2(W-1)/W of the vector each way).
// Both give the same bits. Bytes are counted as the slots actually read between workers.
#include <functional>
#include <memory>
#include <vector>

#include "dsgd/comm/communicator.h"
#include "dsgd/comm/spin_barrier.h"

namespace dsgd {

class ThreadGroup {
 public:
  explicit ThreadGroup(int size);
  [[nodiscard]] int size() const noexcept { return size_; }
  // Makes every worker blocked in (or later entering) a collective throw CommError.
  void abort() noexcept { barrier_.abort(); }

 private:
  friend class ThreadComm;
  struct alignas(64) Slot {
    std::vector<double> data;
  };
  int size_;
  SpinBarrier barrier_;
  std::vector<Slot> slots_[2];   // [call parity][rank]
  std::vector<double> result_[2];  // [call parity] large-vector path: the reduced vector
  std::vector<const double*> pointers_[2];  // [call parity][rank] -> slots_[parity][rank].data
};

class ThreadComm final : public Communicator {
 public:
  ThreadComm(ThreadGroup& group, int rank) noexcept : group_(group), rank_(rank) {}

  [[nodiscard]] int rank() const noexcept override { return rank_; }
  [[nodiscard]] int size() const noexcept override { return group_.size(); }
  void allreduce_sum(std::span<double> data) override;
  void broadcast(std::span<double> data, int root) override;
  void barrier() override;
  [[nodiscard]] std::string_view algorithm() const noexcept override {
    return "threads: shared memory, rank-ordered pairwise tree";
  }

  // Vectors of at least this many elements take the reduce-scatter path.
  static constexpr std::size_t kSlicedFrom = 4096;

 private:
  // Publishes data in this call's slot and waits for all; returns the parity used.
  int publish(std::span<const double> data);
  void wait();

  ThreadGroup& group_;
  int rank_;
  unsigned calls_ = 0;
};

// Runs fn(comm) on `workers` threads started once for the run (the caller is rank 0), each with
// its own ThreadComm of one group. If a worker throws, the group is aborted so no peer waits
// forever, and the first exception is rethrown here after every thread has stopped.
void run_threads(int workers, const std::function<void(Communicator&)>& fn);

}  // namespace dsgd
