#pragma once
// A cluster: the processes of one run (MPI ranks, on one or many hosts), each running one or
// more workers. A run on this machine's threads alone is the cluster of one process
// (LocalCluster), so code that agrees, sums or gathers across processes has no case of its own
// for it. This header knows nothing of MPI: the MPI backend (comm/mpi/) implements it when dsgd
// is built with MPI, and join_mpi_cluster says plainly when it is not.
#include <memory>
#include <span>

#include "dsgd/comm/communicator.h"

namespace dsgd {

// The communicator between the processes of a cluster, one per process.
//
// Contract (beyond Communicator's): allreduce_parts sums `local_parts` (the same number of
// equally long vectors on every process) over all processes into `out`, in the pairwise tree
// over the global part index rank * parts + k, the order tree_sum defines. So a process that
// holds T threads' vectors can reproduce, bit for bit, the sum of W = size * T single workers.
// allreduce_sum(v) is allreduce_parts({v}, v), allgather_bytes(b) is allgather_parts({b}). A
// collective that cannot complete in the configured time throws CommError naming what it
// waited for.
class ClusterComm : public Communicator {
 public:
  virtual void allreduce_parts(std::span<const double* const> local_parts, std::span<double> out) = 0;
  // The same split in two (see Communicator): the parts are read before it returns, `out` must
  // stay alive until the wait.
  virtual void start_allreduce_parts(std::span<const double* const> local_parts, std::span<double> out) = 0;
  // Every part of every process, in the global order rank * parts + k (the same number of parts
  // on every process, of any lengths); the views stay valid until this process's next collective.
  [[nodiscard]] virtual const GatheredBytes& allgather_parts(std::span<const std::span<const std::byte>> local_parts) = 0;

  void allreduce_sum(std::span<double> data) override {
    const double* part = data.data();
    allreduce_parts({&part, 1}, data);
  }
  void start_allreduce_sum(std::span<double> data) override {
    const double* part = data.data();
    start_allreduce_parts({&part, 1}, data);
  }
  [[nodiscard]] const GatheredBytes& allgather_bytes(std::span<const std::byte> mine) override {
    return allgather_parts({&mine, 1});
  }
  // False where the backend's own reduction is used and bytes cannot be counted (native MPI).
  [[nodiscard]] virtual bool bytes_measured() const noexcept { return true; }
  // Processes of this cluster on this host (they share its cores).
  [[nodiscard]] virtual int local_size() const noexcept { return 1; }
};

class Cluster {
 public:
  Cluster() = default;
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;
  virtual ~Cluster() = default;

  [[nodiscard]] virtual int rank() const noexcept = 0;
  [[nodiscard]] virtual int size() const noexcept = 0;
  [[nodiscard]] virtual ClusterComm& comm() noexcept = 0;
  // Ends every process of the job with `code`, after a failure on this one.
  [[noreturn]] virtual void abort(int code) noexcept = 0;
};

// The cluster of this process alone: rank 0 of 1. Its collectives move nothing (allreduce_parts
// is the tree sum of this process's parts, allgather_parts hands the parts back), and abort ends
// the process. One for each run; not shared between threads that run at once.
class LocalCluster final : public Cluster {
 public:
  LocalCluster();
  ~LocalCluster() override;
  [[nodiscard]] int rank() const noexcept override { return 0; }
  [[nodiscard]] int size() const noexcept override { return 1; }
  [[nodiscard]] ClusterComm& comm() noexcept override { return *comm_; }
  [[noreturn]] void abort(int code) noexcept override;

 private:
  std::unique_ptr<ClusterComm> comm_;
};

// The calling thread's cluster of one process (a LocalCluster that lives as long as the thread).
[[nodiscard]] Cluster& this_process() noexcept;

enum class AllreduceAlgorithm {
  kDeterministic,  // all-to-all of slices, ordered sums, all-gather: the same bits as threads
  kNative,         // MPI_Allreduce: the MPI library's choice; bits may differ
};

struct ClusterOptions {
  AllreduceAlgorithm allreduce = AllreduceAlgorithm::kDeterministic;
  double timeout_s = 60;  // longest wait in one collective before giving up
};

// Whether this dsgd was built with an MPI backend.
[[nodiscard]] bool mpi_available() noexcept;
// Whether this process was started by mpirun/mpiexec (checked before touching MPI).
[[nodiscard]] bool launched_by_mpi() noexcept;
// Initialises MPI and joins the job's cluster. Throws ConfigError if this dsgd has no MPI or the
// process was not started by mpirun.
[[nodiscard]] std::unique_ptr<Cluster> join_mpi_cluster(const ClusterOptions& options);

}  // namespace dsgd
