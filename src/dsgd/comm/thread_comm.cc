#include "dsgd/base/timer.h"
#include "dsgd/comm/thread_comm.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

#include "dsgd/base/range.h"
#include "dsgd/base/error.h"

namespace dsgd {
namespace {
constexpr std::uint64_t kDoubleBytes = sizeof(double);
}  // namespace

ThreadGroup::ThreadGroup(int size, int machine_threads) : size_(size), barrier_(size, machine_threads) {
  if (size < 1) throw ConfigError("a worker group needs at least one worker");
  for (int parity = 0; parity < 2; ++parity) {
    slots_[parity].resize(static_cast<std::size_t>(size));
    pointers_[parity].resize(static_cast<std::size_t>(size));
    byte_views_[parity].resize(static_cast<std::size_t>(size));
  }
}

void ThreadGroup::publish(int rank, unsigned call, std::span<const double> data) {
  auto& slot = slots_[call % 2][static_cast<std::size_t>(rank)].data;
  slot.assign(data.begin(), data.end());
  pointers_[call % 2][static_cast<std::size_t>(rank)] = slot.data();
}

void ThreadGroup::publish_bytes(int rank, unsigned call, std::span<const std::byte> bytes) {
  auto& slot = slots_[call % 2][static_cast<std::size_t>(rank)].bytes;
  slot.assign(bytes.begin(), bytes.end());
  byte_views_[call % 2][static_cast<std::size_t>(rank)] = {slot.data(), slot.size()};
}

void ThreadComm::wait() {
  const auto start = Clock::now();
  group_.wait();
  stats_.wait_s += seconds_since(start);
}

void ThreadComm::wait(std::uint32_t ticket) {
  const auto start = Clock::now();
  group_.wait(ticket);
  stats_.wait_s += seconds_since(start);
}

unsigned ThreadComm::publish(std::span<const double> data) {
  const unsigned call = calls_++;
  const auto start = Clock::now();
  group_.publish(rank_, call, data);
  stats_.comm_s += seconds_since(start);
  wait();
  return call;
}

void ThreadComm::allreduce_sum(std::span<double> data) {
  start_allreduce_sum(data);
  wait_allreduce();
}

void ThreadComm::start_allreduce_sum(std::span<double> data) {
  if (in_flight_) throw CommError("start_allreduce_sum: an allreduce is already in flight");
  ++stats_.syncs;
  if (size() == 1) return;
  in_flight_ = true;
  pending_ = data;
  pending_call_ = calls_++;
  const auto start = Clock::now();
  // Rank 0 sizes the result buffer of this call's parity before arriving at the barrier;
  // nobody reads that buffer any more (its last readers passed the previous call's barrier).
  if (data.size() >= kSlicedFrom && rank_ == 0) group_.result(pending_call_).resize(data.size());
  group_.publish(rank_, pending_call_, data);
  stats_.comm_s += seconds_since(start);
  pending_ticket_ = group_.arrive();
}

bool ThreadComm::test_allreduce() { return !in_flight_ || group_.arrived(pending_ticket_); }

void ThreadComm::wait_allreduce() {
  if (!in_flight_) return;  // one worker, or nothing started
  in_flight_ = false;
  wait(pending_ticket_);
  const int w = size();
  const std::span<double> data = pending_;
  const unsigned call = pending_call_;
  const std::size_t n = data.size();
  const std::uint64_t others = static_cast<std::uint64_t>(w - 1);
  const std::span<const double* const> parts = group_.parts(call);
  if (n < kSlicedFrom) {
    const auto start = Clock::now();
    tree_sum(parts, 0, n, data.data());
    stats_.comm_s += seconds_since(start);
    stats_.bytes_received += others * n * kDoubleBytes;
    stats_.bytes_sent += others * n * kDoubleBytes;
    return;
  }
  // Reduce-scatter into the shared result, then all-gather from it.
  const RowRange mine = shard_range(n, static_cast<std::size_t>(w), static_cast<std::size_t>(rank_));
  std::vector<double>& result = group_.result(call);
  auto start = Clock::now();
  tree_sum(parts, mine.begin, mine.size(), result.data() + mine.begin);
  stats_.comm_s += seconds_since(start);
  wait();
  start = Clock::now();
  std::copy(result.begin(), result.end(), data.begin());
  stats_.comm_s += seconds_since(start);
  // Phase 1 read my slice from w-1 others and they read theirs from me; phase 2 likewise with
  // the reduced slices.
  const std::uint64_t slice = mine.size();
  stats_.bytes_received += (others * slice + (n - slice)) * kDoubleBytes;
  stats_.bytes_sent += ((n - slice) + others * slice) * kDoubleBytes;
}

void ThreadComm::no_allreduce_in_flight(const char* what) const {
  if (in_flight_) throw CommError(std::string(what) + " while an allreduce is in flight (wait for it first)");
}

const GatheredBytes& ThreadComm::allgather_bytes(std::span<const std::byte> mine) {
  no_allreduce_in_flight("allgather_bytes");
  ++stats_.syncs;
  if (size() == 1) {
    single_.assign(1, mine);
    return single_;
  }
  const unsigned call = calls_++;
  const auto start = Clock::now();
  group_.publish_bytes(rank_, call, mine);
  stats_.comm_s += seconds_since(start);
  wait();
  const GatheredBytes& parts = group_.byte_parts(call);
  std::uint64_t total = 0;
  for (const std::span<const std::byte> part : parts) total += part.size();
  stats_.bytes_received += total - mine.size();
  stats_.bytes_sent += static_cast<std::uint64_t>(size() - 1) * mine.size();
  return parts;
}

// Each worker publishes its sizes and bytes; each reads its parts from the others' slots.
const GatheredBytes& ThreadComm::alltoall_bytes(std::span<const std::byte> mine, std::span<const std::uint64_t> sizes) {
  no_allreduce_in_flight("alltoall_bytes");
  check_alltoall(mine, sizes);
  ++stats_.syncs;
  const auto w = static_cast<std::size_t>(size());
  if (w == 1) {
    parts_.assign(1, mine);
    return parts_;
  }
  const unsigned call = calls_++;
  const auto start = Clock::now();
  put_frame(frame_, mine, sizes);
  group_.publish_bytes(rank_, call, frame_);
  stats_.comm_s += seconds_since(start);
  wait();
  const GatheredBytes& frames = group_.byte_parts(call);
  const auto me = static_cast<std::size_t>(rank_);
  parts_.assign(w, {});
  for (std::size_t p = 0; p < w; ++p) {
    parts_[p] = frame_part(frames[p], frame_sizes(frames[p], w, "worker", p), me);
    if (p != me) {
      stats_.bytes_received += parts_[p].size();
      stats_.bytes_sent += sizes[p];
    }
  }
  return parts_;
}

void ThreadComm::broadcast(std::span<double> data, int root) {
  no_allreduce_in_flight("broadcast");
  ++stats_.syncs;
  if (size() == 1) return;
  const unsigned call = publish(rank_ == root ? data : std::span<const double>{});
  if (rank_ != root) {
    const auto start = Clock::now();
    std::copy_n(group_.parts(call)[static_cast<std::size_t>(root)], data.size(), data.begin());
    stats_.comm_s += seconds_since(start);
    stats_.bytes_received += data.size() * kDoubleBytes;
  } else {
    stats_.bytes_sent += static_cast<std::uint64_t>(size() - 1) * data.size() * kDoubleBytes;
  }
}

void ThreadComm::barrier() {
  no_allreduce_in_flight("barrier");
  ++stats_.syncs;
  if (size() > 1) wait();
}

std::span<std::byte> ThreadGroup::add_block(std::size_t bytes) {
  auto block = std::make_unique<HugeVector<std::byte>>();  // on huge pages: the model is read at random
  block->assign(bytes, std::byte{0});
  blocks_.push_back(std::move(block));
  return *blocks_.back();
}

std::span<std::byte> ThreadComm::shared_block(std::size_t bytes) {
  no_allreduce_in_flight("shared_block");
  if (size() == 1) return {};
  // Worker 0 makes the block between two meetings: no worker reads the list while it grows.
  if (rank_ == 0) (void)group_.add_block(bytes);
  wait();
  const std::span<std::byte> block = group_.block(blocks_++);
  wait();
  return block;
}

void run_workers(int workers, const std::function<void(int rank)>& fn, const std::function<void()>& abort) {
  std::exception_ptr first_error;
  std::mutex error_mutex;
  auto body = [&](int rank) {
    try {
      fn(rank);
    } catch (...) {
      {
        const std::lock_guard lock(error_mutex);
        // Peers fail (with CommError) only after abort() below, so the first error is the cause.
        if (!first_error) first_error = std::current_exception();
      }
      abort();
    }
  };
  {
    std::vector<std::jthread> threads;
    threads.reserve(static_cast<std::size_t>(workers - 1));
    for (int rank = 1; rank < workers; ++rank) threads.emplace_back(body, rank);
    body(0);
  }
  if (first_error) std::rethrow_exception(first_error);
}

void run_threads(int workers, const std::function<void(Communicator&)>& fn) {
  ThreadGroup group(workers);
  run_workers(
      workers,
      [&](int rank) {
        ThreadComm comm(group, rank);
        fn(comm);
      },
      [&] { group.abort(); });
}

}  // namespace dsgd
