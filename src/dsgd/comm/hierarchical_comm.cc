#include "dsgd/base/timer.h"
#include "dsgd/comm/hierarchical_comm.h"

#include <algorithm>
#include <cstring>

#include "dsgd/base/error.h"

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
  start_allreduce_sum(data);
  wait_allreduce();
}

void HierarchicalComm::start_allreduce_sum(std::span<double> data) {
  if (in_flight_) throw CommError("start_allreduce_sum: an allreduce is already in flight");
  ++stats_.syncs;
  in_flight_ = true;
  pending_ = data;
  pending_call_ = calls_++;
  const unsigned call = pending_call_;
  const auto start = Clock::now();
  group_.publish(thread_, call, data);
  std::vector<double>& result = group_.result(call);
  if (thread_ == 0) result.resize(data.size());  // last read in call - 2, before the previous call's barriers
  stats_.comm_s += seconds_since(start);
  wait();
  on_leader([&] { processes_.start_allreduce_parts(group_.parts(call), result); });
  // The others are done until the copy; thread 0 arrives when the processes' allreduce is.
  if (thread_ != 0) pending_ticket_ = group_.arrive();
}

bool HierarchicalComm::test_allreduce() {
  if (!in_flight_) return true;
  if (thread_ != 0) return group_.arrived(pending_ticket_);
  bool done = false;
  on_leader([&] { done = processes_.test_allreduce(); });
  return done;
}

void HierarchicalComm::wait_allreduce() {
  if (!in_flight_) return;
  in_flight_ = false;
  on_leader([&] {
    processes_.wait_allreduce();
    pending_ticket_ = group_.arrive();
  });
  auto start = Clock::now();
  group_.wait(pending_ticket_);
  stats_.wait_s += seconds_since(start);
  const std::size_t n = pending_.size();
  const std::vector<double>& result = group_.result(pending_call_);
  start = Clock::now();
  std::copy(result.begin(), result.end(), pending_.begin());
  stats_.comm_s += seconds_since(start);
  // Inside the process: thread 0 reads the other threads' slots, they read its result.
  const std::uint64_t others = static_cast<std::uint64_t>(group_.size() - 1);
  if (thread_ == 0) {
    stats_.bytes_received += others * n * kDoubleBytes;
    stats_.bytes_sent += others * n * kDoubleBytes;
  } else {
    stats_.bytes_sent += n * kDoubleBytes;
    stats_.bytes_received += n * kDoubleBytes;
  }
}

void HierarchicalComm::no_allreduce_in_flight(const char* what) const {
  if (in_flight_) throw CommError(std::string(what) + " while an allreduce is in flight (wait for it first)");
}

const GatheredBytes& HierarchicalComm::allgather_bytes(std::span<const std::byte> mine) {
  no_allreduce_in_flight("allgather_bytes");
  ++stats_.syncs;
  const unsigned call = calls_++;
  auto start = Clock::now();
  group_.publish_bytes(thread_, call, mine);
  stats_.comm_s += seconds_since(start);
  wait();
  on_leader([&] { group_.gathered(call) = processes_.allgather_parts(group_.byte_parts(call)); });
  wait();
  const GatheredBytes& all = group_.gathered(call);
  // Inside the process as for the allreduce: thread 0 reads the other threads' slots, they
  // read what it gathered.
  std::uint64_t total = 0;
  for (const std::span<const std::byte> part : all) total += part.size();
  const std::uint64_t others = static_cast<std::uint64_t>(group_.size() - 1);
  if (thread_ == 0) {
    std::uint64_t local = 0;
    for (const std::span<const std::byte> part : group_.byte_parts(call)) local += part.size();
    stats_.bytes_received += local - mine.size();
    stats_.bytes_sent += others * total;
  } else {
    stats_.bytes_sent += mine.size();
    stats_.bytes_received += total;
  }
  return all;
}

const GatheredBytes& HierarchicalComm::alltoall_bytes(std::span<const std::byte> mine,
                                                      std::span<const std::uint64_t> sizes) {
  no_allreduce_in_flight("alltoall_bytes");
  check_alltoall(mine, sizes);
  ++stats_.syncs;
  const auto threads = static_cast<std::size_t>(group_.size());
  const auto processes = static_cast<std::size_t>(processes_.size());
  const std::size_t w = threads * processes;
  const unsigned call = calls_++;
  auto start = Clock::now();
  put_frame(frame_, mine, sizes);
  group_.publish_bytes(thread_, call, frame_);
  stats_.comm_s += seconds_since(start);
  wait();
  on_leader([&] {
    // To process q: a table of T x T sizes (from thread t to q's thread u), then the parts.
    const GatheredBytes& frames = group_.byte_parts(call);
    std::vector<std::vector<std::uint64_t>> of(threads);
    std::vector<std::vector<std::uint64_t>> at(threads, std::vector<std::uint64_t>(w + 1, 0));
    for (std::size_t t = 0; t < threads; ++t) {
      of[t] = frame_sizes(frames[t], w, "thread", t);
      for (std::size_t g = 0; g < w; ++g) at[t][g + 1] = at[t][g] + of[t][g];
    }
    std::vector<std::byte>& out = group_.leader_bytes(call);  // (views of it may outlive this communicator)
    out.clear();
    leader_sizes_.assign(processes, 0);
    for (std::size_t q = 0; q < processes; ++q) {
      const std::size_t begin = out.size();
      for (std::size_t t = 0; t < threads; ++t) {
        for (std::size_t u = 0; u < threads; ++u) {
          const std::uint64_t n = of[t][q * threads + u];
          const auto* p = reinterpret_cast<const std::byte*>(&n);
          out.insert(out.end(), p, p + sizeof n);
        }
      }
      for (std::size_t t = 0; t < threads; ++t) {
        const std::byte* bytes = frames[t].data() + w * sizeof(std::uint64_t);
        out.insert(out.end(), bytes + at[t][q * threads], bytes + at[t][(q + 1) * threads]);
      }
      leader_sizes_[q] = out.size() - begin;
    }
    const GatheredBytes& came = processes_.alltoall_bytes(out, leader_sizes_);
    // Views by [local thread u][global worker p T + t], in gathered(call).
    GatheredBytes& views = group_.gathered(call);
    views.assign(threads * w, {});
    for (std::size_t p = 0; p < processes; ++p) {
      const std::vector<std::uint64_t> table = frame_sizes(came[p], threads * threads, "process", p);
      std::size_t offset = threads * threads * sizeof(std::uint64_t);
      for (std::size_t t = 0; t < threads; ++t) {
        for (std::size_t u = 0; u < threads; ++u) {
          const std::uint64_t n = table[t * threads + u];
          views[u * w + p * threads + t] = came[p].subspan(offset, n);
          offset += n;
        }
      }
    }
  });
  wait();
  const GatheredBytes& views = group_.gathered(call);
  const auto me = static_cast<std::size_t>(thread_);
  parts_.assign(views.begin() + static_cast<std::ptrdiff_t>(me * w),
                views.begin() + static_cast<std::ptrdiff_t>((me + 1) * w));
  if (thread_ != 0) {  // (thread 0 counted what the processes moved)
    for (std::size_t g = 0; g < w; ++g) {
      if (g == static_cast<std::size_t>(rank())) continue;
      stats_.bytes_sent += sizes[g];
      stats_.bytes_received += parts_[g].size();
    }
  }
  return parts_;
}

void HierarchicalComm::broadcast(std::span<double> data, int root) {
  no_allreduce_in_flight("broadcast");
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
  no_allreduce_in_flight("barrier");
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
