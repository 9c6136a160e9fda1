#include "dsgd/timer.h"
#include "dsgd/comm/hierarchical_comm.h"

#include <algorithm>

namespace dsgd {
namespace {
constexpr std::uint64_t kDoubleBytes = sizeof(double);
}  // namespace

void HierarchicalComm::wait() {
  const auto start = Clock::now();
  group_.wait();
  stats_.wait_s += seconds_since(start);
}

void HierarchicalComm::on_leader(const std::function<void()>& fn) {
  if (thread_ != 0) return;
  const CommStats before = processes_.stats();
  fn();
  const CommStats& after = processes_.stats();
  stats_.bytes_sent += after.bytes_sent - before.bytes_sent;
  stats_.bytes_received += after.bytes_received - before.bytes_received;
  stats_.comm_s += after.comm_s - before.comm_s;
  stats_.wait_s += after.wait_s - before.wait_s;
}

void HierarchicalComm::allreduce_sum(std::span<double> data) {
  ++stats_.syncs;
  const unsigned call = calls_++;
  const std::size_t n = data.size();
  const int threads = group_.size();
  auto start = Clock::now();
  group_.publish(thread_, call, data);
  std::vector<double>& result = group_.result(call);
  if (thread_ == 0) result.resize(n);  // last read in call - 2, before the previous call's barriers
  stats_.comm_s += seconds_since(start);
  wait();
  on_leader([&] { processes_.allreduce_parts(group_.parts(call), result); });
  wait();
  start = Clock::now();
  std::copy(result.begin(), result.end(), data.begin());
  stats_.comm_s += seconds_since(start);
  // Inside the process: thread 0 reads the other threads' slots, they read its result.
  const std::uint64_t others = static_cast<std::uint64_t>(threads - 1);
  if (thread_ == 0) {
    stats_.bytes_received += others * n * kDoubleBytes;
    stats_.bytes_sent += others * n * kDoubleBytes;
  } else {
    stats_.bytes_sent += n * kDoubleBytes;
    stats_.bytes_received += n * kDoubleBytes;
  }
}

void HierarchicalComm::broadcast(std::span<double> data, int root) {
  ++stats_.syncs;
  const unsigned call = calls_++;
  const int threads = group_.size();
  const bool root_here = root / threads == processes_.rank();
  group_.publish(thread_, call, root == rank() ? std::span<const double>(data) : std::span<const double>{});
  std::vector<double>& result = group_.result(call);
  if (thread_ == 0) result.resize(data.size());
  wait();
  on_leader([&] {
    if (root_here) std::copy_n(group_.parts(call)[static_cast<std::size_t>(root % threads)], data.size(), result.begin());
    processes_.broadcast(result, root / threads);
  });
  wait();
  std::copy(result.begin(), result.end(), data.begin());
}

void HierarchicalComm::barrier() {
  ++stats_.syncs;
  wait();
  on_leader([&] { processes_.barrier(); });
  wait();
}

void run_hierarchical(int threads, ClusterComm& processes, const std::function<void(Communicator&)>& fn) {
  ThreadGroup group(threads, threads * processes.local_size());
  run_workers(
      threads,
      [&](int thread) {
        HierarchicalComm comm(group, thread, processes);
        fn(comm);
      },
      [&] { group.abort(); });
}

}  // namespace dsgd
