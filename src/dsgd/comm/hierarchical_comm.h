#pragma once
// Threads inside each process, a ClusterComm between processes: the normal cluster layout of one
// process per host with all its cores. Worker t of process r is global worker r * T + t of
// W = processes x T.
//
// allreduce_sum: every thread publishes its vector in the process's ThreadGroup; thread 0 hands
// all T vectors to ClusterComm::allreduce_parts, which sums the W vectors in the same pairwise
// tree over the global worker index as T x processes single workers would: the bits equal
// those of W threads. Thread 0 is the only thread that talks to the other processes (so MPI needs
// only MPI_THREAD_FUNNELED). The split allreduce meets the process's threads in
// start_allreduce_sum (thread 0 then starts the processes' allreduce) and again in the wait
// (thread 0 arriving once the processes' part is done). allgather_bytes: thread 0 gathers all
// threads' bytes from every process (allgather_parts) and shares the views. alltoall_bytes:
// thread 0 sends each process its threads' parts from all of this process's threads, in one
// all-to-all of the processes, and each thread takes its own from what came.
#include <functional>

#include "dsgd/comm/cluster.h"
#include "dsgd/comm/thread_comm.h"

namespace dsgd {

class HierarchicalComm final : public Communicator {
 public:
  HierarchicalComm(ThreadGroup& group, int thread, ClusterComm& processes) noexcept
      : group_(group), thread_(thread), processes_(processes) {}

  [[nodiscard]] int rank() const noexcept override { return processes_.rank() * group_.size() + thread_; }
  [[nodiscard]] int size() const noexcept override { return processes_.size() * group_.size(); }
  void allreduce_sum(std::span<double> data) override;
  void start_allreduce_sum(std::span<double> data) override;
  bool test_allreduce() override;
  void wait_allreduce() override;
  [[nodiscard]] const GatheredBytes& allgather_bytes(std::span<const std::byte> mine) override;
  [[nodiscard]] const GatheredBytes& alltoall_bytes(std::span<const std::byte> mine,
                                                    std::span<const std::uint64_t> sizes) override;
  void broadcast(std::span<double> data, int root) override;
  void barrier() override;
  [[nodiscard]] std::string_view algorithm() const noexcept override { return processes_.algorithm(); }

 private:
  void wait();
  // Throws CommError naming `what` while a split allreduce waits to be completed.
  void no_allreduce_in_flight(const char* what) const;
  // Runs fn on thread 0 (the one that talks to the other processes) and adds what the process
  // communicator counted meanwhile to this worker's stats.
  void on_leader(const std::function<void()>& fn);

  ThreadGroup& group_;
  int thread_;
  ClusterComm& processes_;
  unsigned calls_ = 0;
  // The allreduce in flight: its vector, call number and the ticket of its second barrier.
  std::span<double> pending_;
  unsigned pending_call_ = 0;
  std::uint32_t pending_ticket_ = 0;
  bool in_flight_ = false;
  // An all-to-all's: this thread's sizes and bytes as published, the parts it takes; the sizes
  // of thread 0's messages to the processes (the messages are in the group's leader_bytes).
  std::vector<std::byte> frame_;
  GatheredBytes parts_;
  std::vector<std::uint64_t> leader_sizes_;
};

// Runs fn(comm) on `threads` threads of this process (the caller is thread 0), each with a
// HierarchicalComm over one ThreadGroup and `processes`. Failure handling as run_threads.
void run_hierarchical(int threads, ClusterComm& processes, const std::function<void(Communicator&)>& fn);

}  // namespace dsgd
