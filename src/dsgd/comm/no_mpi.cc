// The cluster entry points of a dsgd built without MPI (CMake compiles this file instead of
// comm/mpi/ when MPI is not found).
#include "dsgd/comm/cluster.h"
#include "dsgd/base/error.h"

namespace dsgd {

bool mpi_available() noexcept { return false; }

std::unique_ptr<Cluster> join_mpi_cluster(const ClusterOptions&) {
  throw ConfigError("this dsgd was built without MPI (install libopenmpi-dev and rebuild)");
}

}  // namespace dsgd
