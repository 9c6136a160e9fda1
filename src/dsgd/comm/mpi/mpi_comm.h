#pragma once
// The MPI backend: one ClusterComm per process over MPI_COMM_WORLD, for `mpirun -np N dsgd ...`
// on one host or many. Only this folder includes <mpi.h>.
//
// Deterministic allreduce (the default): an all-to-all sends slice k of every local part to
// rank k; rank k sums the W parts of its slice in the pairwise tree over the global part index;
// an all-gather returns every reduced slice to everyone. Each rank sends and receives
// 2(W-1)/W of the vector (times the local parts in the first phase), like a ring, and the bits
// equal those of the threads backend. Native: MPI_Allreduce of the locally summed parts, the
// MPI library's own algorithm, whose bits may differ.
//
// The split allreduce starts the all-to-all, moves on to the all-gather when a test or the wait
// finds it done, and completes in the wait. allgather_parts gathers every rank's part sizes, then
// the bytes (MPI_Iallgatherv); alltoall_bytes the sizes (MPI_Ialltoall), then the bytes
// (MPI_Ialltoallv).
//
// Every collective is non-blocking and polled against a deadline (ClusterOptions::timeout_s), so
// a rank that died or stalled makes the others throw CommError instead of hanging.
#include <mpi.h>

#include <memory>
#include <vector>

#include <string>

#include "dsgd/comm/cluster.h"
#include "dsgd/base/error.h"
#include "dsgd/base/timer.h"

namespace dsgd {

class MpiComm final : public ClusterComm {
 public:
  MpiComm(MPI_Comm comm, const ClusterOptions& options);
  ~MpiComm() override;

  [[nodiscard]] int rank() const noexcept override { return rank_; }
  [[nodiscard]] int size() const noexcept override { return size_; }
  void allreduce_parts(std::span<const double* const> local_parts, std::span<double> out) override;
  void start_allreduce_parts(std::span<const double* const> local_parts, std::span<double> out) override;
  bool test_allreduce() override;
  void wait_allreduce() override;
  [[nodiscard]] const GatheredBytes& allgather_parts(std::span<const std::span<const std::byte>> local_parts) override;
  [[nodiscard]] const GatheredBytes& alltoall_bytes(std::span<const std::byte> mine,
                                                    std::span<const std::uint64_t> sizes) override;
  void broadcast(std::span<double> data, int root) override;
  void barrier() override;
  [[nodiscard]] std::string_view algorithm() const noexcept override;
  [[nodiscard]] int local_size() const noexcept override { return local_size_; }
  [[nodiscard]] bool bytes_measured() const noexcept override {
    return options_.allreduce == AllreduceAlgorithm::kDeterministic;
  }

 private:
  // Where the allreduce in flight is: the deterministic one's all-to-all, then its all-gather;
  // or MPI's own.
  enum class Phase { kIdle, kAllToAll, kAllGather, kNative };

  // Polls request until it completes; throws CommError after the timeout. Returns the seconds.
  double wait(MPI_Request& request, const char* what);
  // Whether request has completed (one MPI_Test).
  bool done(MPI_Request& request, const char* what);
  void check(int code, const char* what) const;
  // The deterministic allreduce after its all-to-all: sums this rank's slice and starts the
  // all-gather of the slices.
  void reduce_slice();
  // Counts the bytes of a completed deterministic allreduce.
  void count_allreduce_bytes();
  // Throws CommError naming `what` while a split allreduce waits to be completed.
  void no_allreduce_in_flight(const char* what) const;
  // The CommError of a collective (`what`) that timed out, naming the ranks that are lost: after
  // a timeout every rank still running calls the roll (roll_call_), each sending its rank to all
  // and listening for a grace period; the ranks not heard from are named (a dead process, a cut
  // link), or, when all answer, the rank is called stalled.
  [[nodiscard]] CommError timed_out(const std::string& what);

  MPI_Comm comm_;
  MPI_Comm roll_call_;  // the roll after a timeout, apart from the collectives left in flight
  ClusterOptions options_;
  int rank_ = 0;
  int size_ = 1;
  int local_size_ = 1;
  // The allreduce in flight.
  Phase phase_ = Phase::kIdle;
  MPI_Request request_ = MPI_REQUEST_NULL;
  std::span<double> out_;
  std::size_t parts_ = 0;
  Clock::time_point deadline_;  // when a test of the allreduce in flight gives up
  // Scratch of the deterministic allreduce, kept between calls.
  std::vector<double> send_, receive_, slice_;
  std::vector<int> send_counts_, send_displs_, receive_counts_, receive_displs_, slice_counts_, slice_displs_;
  // The all-gather's buffers and views.
  std::vector<std::byte> gather_send_, gather_receive_;
  std::vector<std::uint64_t> gather_sizes_;
  std::vector<int> gather_counts_, gather_displs_;
  GatheredBytes gathered_;
  // The all-to-all's: every rank's size for this one, counts, and the parts received.
  std::vector<std::uint64_t> alltoall_sizes_;
  std::vector<int> alltoall_send_counts_, alltoall_send_displs_, alltoall_receive_counts_, alltoall_receive_displs_;
  std::vector<std::byte> alltoall_receive_;
  GatheredBytes alltoall_parts_;
};

}  // namespace dsgd
