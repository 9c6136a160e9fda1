#include <cstdio>
#include <cstdlib>
#include <vector>

#include "dsgd/comm/cluster.h"

namespace dsgd {
namespace {

// The communicator of a cluster of one process: nothing travels, nothing is counted.
class LocalComm final : public ClusterComm {
 public:
  [[nodiscard]] int rank() const noexcept override { return 0; }
  [[nodiscard]] int size() const noexcept override { return 1; }
  void allreduce_parts(std::span<const double* const> local_parts, std::span<double> out) override {
    if (local_parts.size() == 1 && local_parts[0] == out.data()) return;
    tree_sum(local_parts, 0, out.size(), out.data());
  }
  void start_allreduce_parts(std::span<const double* const> local_parts, std::span<double> out) override {
    allreduce_parts(local_parts, out);
  }
  bool test_allreduce() override { return true; }
  void wait_allreduce() override {}
  [[nodiscard]] const GatheredBytes& allgather_parts(std::span<const std::span<const std::byte>> local_parts) override {
    gathered_.assign(local_parts.begin(), local_parts.end());
    return gathered_;
  }
  void broadcast(std::span<double> /*data*/, int /*root*/) override {}
  void barrier() override {}
  [[nodiscard]] std::string_view algorithm() const noexcept override { return "one process"; }

 private:
  GatheredBytes gathered_;
};

}  // namespace

LocalCluster::LocalCluster() : comm_(std::make_unique<LocalComm>()) {}
LocalCluster::~LocalCluster() = default;

Cluster& this_process() noexcept {
  thread_local LocalCluster local;
  return local;
}

void LocalCluster::abort(int code) noexcept {
  std::fflush(nullptr);
  std::_Exit(code);
}

bool launched_by_mpi() noexcept {
  // Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE; PMI/PMIx launchers (srun, mpiexec.hydra) set these.
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMI_SIZE") != nullptr ||
         std::getenv("PMIX_RANK") != nullptr;
}

}  // namespace dsgd
