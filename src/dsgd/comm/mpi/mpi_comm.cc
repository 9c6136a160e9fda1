#include "dsgd/base/timer.h"
#include "dsgd/comm/mpi/mpi_comm.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "dsgd/base/range.h"
#include "dsgd/base/error.h"

namespace dsgd {
namespace {

constexpr std::uint64_t kDoubleBytes = sizeof(double);

int as_int(std::size_t n) {
  if (n > static_cast<std::size_t>(INT_MAX)) throw CommError("a vector too long for one MPI message");
  return static_cast<int>(n);
}

class MpiCluster final : public Cluster {
 public:
  explicit MpiCluster(const ClusterOptions& options) {
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
      throw CommError("MPI_Init_thread failed");
    if (provided < MPI_THREAD_FUNNELED) {
      MPI_Finalize();
      throw CommError("the MPI library does not support threads (MPI_THREAD_FUNNELED)");
    }
    comm_ = std::make_unique<MpiComm>(MPI_COMM_WORLD, options);
  }
  ~MpiCluster() override {
    comm_.reset();
    MPI_Finalize();
  }
  [[nodiscard]] int rank() const noexcept override { return comm_->rank(); }
  [[nodiscard]] int size() const noexcept override { return comm_->size(); }
  [[nodiscard]] ClusterComm& comm() noexcept override { return *comm_; }
  [[noreturn]] void abort(int code) noexcept override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);  // MPI_Abort does not return; this is for the compiler
  }

 private:
  std::unique_ptr<MpiComm> comm_;
};

}  // namespace

MpiComm::MpiComm(MPI_Comm comm, const ClusterOptions& options) : options_(options) {
  check(MPI_Comm_dup(comm, &comm_), "MPI_Comm_dup");
  check(MPI_Comm_dup(comm, &roll_call_), "MPI_Comm_dup");
  // Errors come back as codes (and become CommError) instead of aborting inside MPI.
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  MPI_Comm_set_errhandler(roll_call_, MPI_ERRORS_RETURN);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
  MPI_Comm host;
  check(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &host), "MPI_Comm_split_type");
  MPI_Comm_size(host, &local_size_);
  MPI_Comm_free(&host);
}

MpiComm::~MpiComm() {
  MPI_Comm_free(&roll_call_);
  MPI_Comm_free(&comm_);
}

CommError MpiComm::timed_out(const std::string& what) {
  // The other ranks time out at about the same moment (they wait on the same collective); the
  // grace covers their skew. Requests left open do not matter: the job ends after this.
  const double grace = std::clamp(options_.timeout_s / 2, 0.5, 3.0);
  const auto w = static_cast<std::size_t>(size_);
  std::vector<int> theirs(w, -1);
  std::vector<MPI_Request> sent(w, MPI_REQUEST_NULL);
  std::vector<MPI_Request> heard(w, MPI_REQUEST_NULL);
  const int mine = rank_;
  for (int p = 0; p < size_; ++p) {
    if (p == rank_) continue;
    const auto k = static_cast<std::size_t>(p);
    (void)MPI_Isend(&mine, 1, MPI_INT, p, 0, roll_call_, &sent[k]);
    (void)MPI_Irecv(&theirs[k], 1, MPI_INT, p, 0, roll_call_, &heard[k]);
  }
  const auto deadline = Clock::now() + std::chrono::duration<double>(grace);
  std::vector<int> missing;
  while (true) {
    missing.clear();
    for (int p = 0; p < size_; ++p) {
      const auto k = static_cast<std::size_t>(p);
      if (p == rank_ || theirs[k] == p) continue;
      int flag = 0;
      if (heard[k] != MPI_REQUEST_NULL && MPI_Test(&heard[k], &flag, MPI_STATUS_IGNORE) == MPI_SUCCESS && flag != 0)
        continue;
      missing.push_back(p);
    }
    if (missing.empty() || Clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::string who;
  for (const int p : missing) who += fmt::format("{}{}", who.empty() ? "" : ", ", p);
  const std::string lost =
      missing.empty() ? std::string("every rank answers the roll after it, so one of them is stalled or stopped "
                                    "calling collectives")
      : missing.size() == 1
          ? fmt::format("rank {} is lost: it does not answer the roll after it (its process died or stopped, or its link is down)",
                        who)
          : fmt::format("ranks {} are lost: they do not answer the roll after it (their processes died or stopped, or their "
                        "links are down)",
                        who);
  return CommError(fmt::format("timed out after {:g} s waiting for the other ranks in {}; {}", options_.timeout_s,
                               what, lost));
}

std::string_view MpiComm::algorithm() const noexcept {
  return options_.allreduce == AllreduceAlgorithm::kDeterministic
             ? "mpi deterministic: all-to-all of slices, rank-ordered pairwise tree, all-gather"
             : "mpi native: MPI_Allreduce (bits may differ from the threads backend)";
}

void MpiComm::check(int code, const char* what) const {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw CommError(fmt::format("{} failed on rank {}: {}", what, rank_, std::string_view(text, static_cast<std::size_t>(length))));
}

double MpiComm::wait(MPI_Request& request, const char* what) {
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(options_.timeout_s);
  for (std::uint64_t polls = 0;; ++polls) {
    int done = 0;
    check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), what);
    if (done) return seconds_since(start);
    // After a short spin, give the core away between polls: with more ranks than cores (an
    // oversubscribed test machine) a spinning rank starves the one it waits for.
    if (polls >= 256) std::this_thread::yield();
    if (polls % 1024 == 1023 && Clock::now() > deadline) throw timed_out(what);
  }
}

bool MpiComm::done(MPI_Request& request, const char* what) {
  int flag = 0;
  check(MPI_Test(&request, &flag, MPI_STATUS_IGNORE), what);
  return flag != 0;
}

void MpiComm::allreduce_parts(std::span<const double* const> local_parts, std::span<double> out) {
  start_allreduce_parts(local_parts, out);
  wait_allreduce();
}

void MpiComm::start_allreduce_parts(std::span<const double* const> local_parts, std::span<double> out) {
  if (phase_ != Phase::kIdle) throw CommError("start_allreduce: an allreduce is already in flight");
  ++stats_.syncs;
  const std::size_t n = out.size();
  const std::size_t parts = local_parts.size();
  const auto w = static_cast<std::size_t>(size_);
  const auto start = Clock::now();
  out_ = out;
  parts_ = parts;
  deadline_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options_.timeout_s));
  if (options_.allreduce == AllreduceAlgorithm::kNative || w == 1) {
    // Sum the local parts in the tree (for one rank that is the whole sum), then across ranks.
    slice_.resize(n);
    tree_sum(local_parts, 0, n, slice_.data());
    if (w == 1) {
      std::copy(slice_.begin(), slice_.end(), out.begin());
      stats_.comm_s += seconds_since(start);
      return;
    }
    check(MPI_Iallreduce(slice_.data(), out.data(), as_int(n), MPI_DOUBLE, MPI_SUM, comm_, &request_),
          "MPI_Iallreduce");
    phase_ = Phase::kNative;
    stats_.comm_s += seconds_since(start);
    return;
  }
  // Phase 1, all-to-all: slice k of every local part goes to rank k.
  send_.resize(n * parts);
  send_counts_.assign(w, 0);
  send_displs_.assign(w, 0);
  receive_counts_.assign(w, 0);
  receive_displs_.assign(w, 0);
  slice_counts_.assign(w, 0);
  slice_displs_.assign(w, 0);
  const RowRange mine = shard_range(n, w, static_cast<std::size_t>(rank_));
  std::size_t at = 0;
  for (std::size_t k = 0; k < w; ++k) {
    const RowRange slice = shard_range(n, w, k);
    send_displs_[k] = as_int(at);
    for (std::size_t p = 0; p < parts; ++p) {
      std::copy(local_parts[p] + slice.begin, local_parts[p] + slice.end, send_.begin() + static_cast<std::ptrdiff_t>(at));
      at += slice.size();
    }
    send_counts_[k] = as_int(parts * slice.size());
    receive_counts_[k] = as_int(parts * mine.size());
    receive_displs_[k] = as_int(k * parts * mine.size());
    slice_counts_[k] = as_int(slice.size());
    slice_displs_[k] = as_int(slice.begin);
  }
  receive_.resize(w * parts * mine.size());
  check(MPI_Ialltoallv(send_.data(), send_counts_.data(), send_displs_.data(), MPI_DOUBLE, receive_.data(),
                       receive_counts_.data(), receive_displs_.data(), MPI_DOUBLE, comm_, &request_),
        "MPI_Ialltoallv");
  phase_ = Phase::kAllToAll;
  stats_.comm_s += seconds_since(start);
}

void MpiComm::reduce_slice() {
  // The W = ranks x parts vectors of my slice, in global order (rank-major), summed in the tree.
  const auto start = Clock::now();
  const auto w = static_cast<std::size_t>(size_);
  const RowRange mine = shard_range(out_.size(), w, static_cast<std::size_t>(rank_));
  std::vector<const double*> pointers(w * parts_);
  for (std::size_t g = 0; g < pointers.size(); ++g) pointers[g] = receive_.data() + g * mine.size();
  slice_.resize(mine.size());
  tree_sum(pointers, 0, mine.size(), slice_.data());
  // Phase 2, all-gather of the reduced slices.
  check(MPI_Iallgatherv(slice_.data(), as_int(mine.size()), MPI_DOUBLE, out_.data(), slice_counts_.data(),
                        slice_displs_.data(), MPI_DOUBLE, comm_, &request_),
        "MPI_Iallgatherv");
  phase_ = Phase::kAllGather;
  stats_.comm_s += seconds_since(start);
}

void MpiComm::count_allreduce_bytes() {
  const std::size_t n = out_.size();
  const auto w = static_cast<std::size_t>(size_);
  const std::size_t slice = shard_range(n, w, static_cast<std::size_t>(rank_)).size();
  const std::uint64_t others = w - 1;
  stats_.bytes_sent += (parts_ * (n - slice) + others * slice) * kDoubleBytes;
  stats_.bytes_received += (others * parts_ * slice + (n - slice)) * kDoubleBytes;
}

void MpiComm::no_allreduce_in_flight(const char* what) const {
  if (phase_ != Phase::kIdle) throw CommError(std::string(what) + " while an allreduce is in flight (wait for it first)");
}

bool MpiComm::test_allreduce() {
  if (phase_ != Phase::kIdle && Clock::now() > deadline_) throw timed_out("a started allreduce");
  switch (phase_) {
    case Phase::kIdle: return true;
    case Phase::kNative:
      if (!done(request_, "an allreduce (MPI_Iallreduce)")) return false;
      phase_ = Phase::kIdle;
      return true;
    case Phase::kAllToAll:
      if (!done(request_, "an allreduce (all-to-all of slices)")) return false;
      reduce_slice();
      [[fallthrough]];
    case Phase::kAllGather:
      if (!done(request_, "an allreduce (all-gather of slices)")) return false;
      count_allreduce_bytes();
      phase_ = Phase::kIdle;
      return true;
  }
  return true;
}

void MpiComm::wait_allreduce() {
  switch (phase_) {
    case Phase::kIdle: return;
    case Phase::kNative:
      // MPI's own wait and transfer cannot be told apart.
      stats_.comm_s += wait(request_, "an allreduce (MPI_Iallreduce)");
      phase_ = Phase::kIdle;
      return;
    case Phase::kAllToAll:
      // Waiting for the all-to-all is mostly waiting for the slowest rank to arrive.
      stats_.wait_s += wait(request_, "an allreduce (all-to-all of slices)");
      reduce_slice();
      [[fallthrough]];
    case Phase::kAllGather:
      stats_.comm_s += wait(request_, "an allreduce (all-gather of slices)");
      count_allreduce_bytes();
      phase_ = Phase::kIdle;
      return;
  }
}

const GatheredBytes& MpiComm::allgather_parts(std::span<const std::span<const std::byte>> local_parts) {
  no_allreduce_in_flight("an all-gather");
  ++stats_.syncs;
  const std::size_t parts = local_parts.size();
  const auto w = static_cast<std::size_t>(size_);
  if (w == 1) {
    gathered_.assign(local_parts.begin(), local_parts.end());
    return gathered_;
  }
  auto start = Clock::now();
  // 1. Every part's size, to every rank.
  std::vector<std::uint64_t> mine(parts);
  std::uint64_t my_total = 0;
  for (std::size_t p = 0; p < parts; ++p) {
    mine[p] = local_parts[p].size();
    my_total += mine[p];
  }
  gather_sizes_.resize(w * parts);
  MPI_Request request;
  check(MPI_Iallgather(mine.data(), as_int(parts), MPI_UINT64_T, gather_sizes_.data(), as_int(parts), MPI_UINT64_T,
                       comm_, &request),
        "MPI_Iallgather");
  stats_.wait_s += wait(request, "an all-gather (of sizes)");
  // 2. The bytes, each rank's parts one after another.
  gather_counts_.assign(w, 0);
  gather_displs_.assign(w, 0);
  std::size_t total = 0;
  for (std::size_t r = 0; r < w; ++r) {
    std::size_t bytes = 0;
    for (std::size_t p = 0; p < parts; ++p) bytes += gather_sizes_[r * parts + p];
    gather_displs_[r] = as_int(total);
    gather_counts_[r] = as_int(bytes);
    total += bytes;
  }
  (void)as_int(total);
  gather_send_.resize(my_total);
  std::size_t at = 0;
  for (const std::span<const std::byte> part : local_parts) {
    std::copy(part.begin(), part.end(), gather_send_.begin() + static_cast<std::ptrdiff_t>(at));
    at += part.size();
  }
  gather_receive_.resize(total);
  check(MPI_Iallgatherv(gather_send_.data(), as_int(my_total), MPI_BYTE, gather_receive_.data(), gather_counts_.data(),
                        gather_displs_.data(), MPI_BYTE, comm_, &request),
        "MPI_Iallgatherv");
  stats_.comm_s += seconds_since(start);
  stats_.comm_s += wait(request, "an all-gather (of bytes)");
  start = Clock::now();
  gathered_.resize(w * parts);
  at = 0;
  for (std::size_t g = 0; g < gathered_.size(); ++g) {
    gathered_[g] = {gather_receive_.data() + at, static_cast<std::size_t>(gather_sizes_[g])};
    at += gather_sizes_[g];
  }
  stats_.comm_s += seconds_since(start);
  const std::uint64_t others = w - 1;
  const std::uint64_t size_bytes = parts * sizeof(std::uint64_t);
  stats_.bytes_sent += others * (my_total + size_bytes);
  stats_.bytes_received += (total - my_total) + others * size_bytes;
  return gathered_;
}

const GatheredBytes& MpiComm::alltoall_bytes(std::span<const std::byte> mine, std::span<const std::uint64_t> sizes) {
  no_allreduce_in_flight("an all-to-all");
  check_alltoall(mine, sizes);
  ++stats_.syncs;
  const auto w = static_cast<std::size_t>(size_);
  if (w == 1) {
    alltoall_parts_.assign(1, mine);
    return alltoall_parts_;
  }
  auto start = Clock::now();
  alltoall_sizes_.resize(w);
  MPI_Request request;
  check(MPI_Ialltoall(sizes.data(), 1, MPI_UINT64_T, alltoall_sizes_.data(), 1, MPI_UINT64_T, comm_, &request),
        "MPI_Ialltoall");
  stats_.wait_s += wait(request, "an all-to-all (of sizes)");
  alltoall_send_counts_.resize(w);
  alltoall_send_displs_.resize(w);
  alltoall_receive_counts_.resize(w);
  alltoall_receive_displs_.resize(w);
  std::size_t sent = 0, received = 0;
  for (std::size_t k = 0; k < w; ++k) {
    alltoall_send_displs_[k] = as_int(sent);
    alltoall_send_counts_[k] = as_int(sizes[k]);
    sent += sizes[k];
    alltoall_receive_displs_[k] = as_int(received);
    alltoall_receive_counts_[k] = as_int(alltoall_sizes_[k]);
    received += alltoall_sizes_[k];
  }
  (void)as_int(received);
  alltoall_receive_.resize(received);
  check(MPI_Ialltoallv(mine.data(), alltoall_send_counts_.data(), alltoall_send_displs_.data(), MPI_BYTE,
                       alltoall_receive_.data(), alltoall_receive_counts_.data(), alltoall_receive_displs_.data(),
                       MPI_BYTE, comm_, &request),
        "MPI_Ialltoallv");
  stats_.comm_s += seconds_since(start);
  stats_.comm_s += wait(request, "an all-to-all (of bytes)");
  alltoall_parts_.resize(w);
  for (std::size_t k = 0; k < w; ++k) {
    alltoall_parts_[k] = {alltoall_receive_.data() + static_cast<std::size_t>(alltoall_receive_displs_[k]), alltoall_sizes_[k]};
  }
  const auto me = static_cast<std::size_t>(rank_);
  const std::uint64_t others = w - 1;
  stats_.bytes_sent += (sent - sizes[me]) + others * sizeof(std::uint64_t);
  stats_.bytes_received += (received - alltoall_sizes_[me]) + others * sizeof(std::uint64_t);
  return alltoall_parts_;
}

void MpiComm::broadcast(std::span<double> data, int root) {
  no_allreduce_in_flight("a broadcast");
  ++stats_.syncs;
  if (size_ == 1) return;
  MPI_Request request;
  check(MPI_Ibcast(data.data(), as_int(data.size()), MPI_DOUBLE, root, comm_, &request), "MPI_Ibcast");
  stats_.comm_s += wait(request, "a broadcast");
  // What the root sends depends on MPI's tree; count the payload each rank took or gave once.
  (rank_ == root ? stats_.bytes_sent : stats_.bytes_received) += data.size() * kDoubleBytes;
}

void MpiComm::barrier() {
  no_allreduce_in_flight("a barrier");
  ++stats_.syncs;
  if (size_ == 1) return;
  MPI_Request request;
  check(MPI_Ibarrier(comm_, &request), "MPI_Ibarrier");
  stats_.wait_s += wait(request, "a barrier");
}

bool mpi_available() noexcept { return true; }

std::unique_ptr<Cluster> join_mpi_cluster(const ClusterOptions& options) {
  if (!launched_by_mpi())
    throw ConfigError(field("backend") + " mpi needs the program started by mpirun, e.g. 'mpirun -np 2 dsgd train --backend mpi'");
  return std::make_unique<MpiCluster>(options);
}

}  // namespace dsgd
