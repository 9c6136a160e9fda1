#include "dsgd/train/sync/model_average.h"

#include <vector>

namespace dsgd {

AverageResult average_models(Update& update, Communicator& comm, const PassSums& local, bool finite) {
  UpdateState state = update.save();
  const std::size_t d = state.weights.size();
  const std::size_t squares = state.squares.size();
  std::vector<double> sum;
  sum.reserve(d + squares + 5);
  for (const double u : state.weights) sum.push_back(state.alpha * u);
  sum.insert(sum.end(), state.squares.begin(), state.squares.end());
  sum.push_back(state.bias);
  sum.push_back(local.count);
  sum.push_back(local.loss);
  sum.push_back(local.correct);
  sum.push_back(finite ? 0.0 : 1.0);
  comm.allreduce_sum(sum);
  const auto workers = static_cast<double>(comm.size());
  for (std::size_t j = 0; j < d; ++j) state.weights[j] = sum[j] / workers;
  for (std::size_t j = 0; j < squares; ++j) state.squares[j] = sum[d + j] / workers;
  const double* tail = sum.data() + d + squares;
  state.alpha = 1.0;
  state.bias = tail[0] / workers;
  update.restore(state);
  return {{tail[1], tail[2], tail[3], 0.0}, tail[4] == 0.0};
}

}  // namespace dsgd
