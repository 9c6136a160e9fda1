#include <cstdlib>

#include "dsgd/comm/cluster.h"

namespace dsgd {

bool launched_by_mpi() noexcept {
  // Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE; PMI/PMIx launchers (srun, mpiexec.hydra) set these.
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMI_SIZE") != nullptr ||
         std::getenv("PMIX_RANK") != nullptr;
}

}  // namespace dsgd
