#include "dsgd/model/evaluation.h"

#include <cstdint>
#include <vector>

namespace dsgd {

Metrics evaluate_on_cluster(const Dataset& local, const LinearModel& model, Communicator& comm) {
  const PassSums sums = score(local, model);
  std::vector<double> total = {sums.count, sums.loss, sums.correct};
  comm.allreduce_sum(total);
  return to_metrics({total[0], total[1], total[2]});
}

Evaluation evaluate_all(const Dataset& local, const LinearModel& model, Communicator& comm) {
  const std::vector<double> z = scores(model, local);
  if (comm.size() == 1) return evaluate_scores(z, local.labels());
  std::vector<double> all_z;
  for (const std::vector<double>& theirs : allgather<double>(comm, z)) all_z.insert(all_z.end(), theirs.begin(), theirs.end());
  std::vector<std::uint8_t> all_y;
  for (const std::vector<std::uint8_t>& theirs : allgather<std::uint8_t>(comm, local.labels()))
    all_y.insert(all_y.end(), theirs.begin(), theirs.end());
  return evaluate_scores(all_z, all_y);
}

}  // namespace dsgd
