#pragma once
// Threads inside each process, a ClusterComm between processes: the normal cluster layout of one
// process per host with all its cores. Worker t of process r is global worker r * T + t of
// W = processes x T.
//
// allreduce_sum: every thread publishes its vector in the process's ThreadGroup; thread 0 hands
// all T vectors to ClusterComm::allreduce_parts, which sums the W vectors in the same pairwise
// tree over the global worker index as T x processes single workers would: the bits equal
// those of W threads. Thread 0 is the only thread that talks to the other processes (so MPI needs
// only MPI_THREAD_FUNNELED).
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
  void broadcast(std::span<double> data, int root) override;
  void barrier() override;
  [[nodiscard]] std::string_view algorithm() const noexcept override { return processes_.algorithm(); }

 private:
  void wait();
  // Runs fn on thread 0 (the one that talks to the other processes) and adds what the process
  // communicator counted meanwhile to this worker's stats.
  void on_leader(const std::function<void()>& fn);

  ThreadGroup& group_;
  int thread_;
  ClusterComm& processes_;
  unsigned calls_ = 0;
};

// Runs fn(comm) on `threads` threads of this process (the caller is thread 0), each with a
// HierarchicalComm over one ThreadGroup and `processes`. Failure handling as run_threads.
void run_hierarchical(int threads, ClusterComm& processes, const std::function<void(Communicator&)>& fn);

}  // namespace dsgd
