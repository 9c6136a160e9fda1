#pragma once
// Local SGD's synchronisation (TrainConfig::sync_every > 1): between two of them every worker
// steps its own replica of the model on its own rows, without communicating; here the replicas
// are averaged, so that every worker goes on from the same model (Stich 2019, "Local SGD
// converges fast and communicates little"; Vowpal Wabbit's averaging per pass).
#include "dsgd/comm/communicator.h"
#include "dsgd/model/kernel.h"
#include "dsgd/train/update/update.h"

namespace dsgd {

struct AverageResult {
  PassSums sums;        // the workers' pass sums since the last average, summed (residual 0)
  bool finite = false;  // whether every worker's numbers stayed finite since then
};

// Averages the model `update` keeps over all workers (a collective): the weights in raw space
// (the lazy update's scale factor folded in), the bias, and adagrad's sums of squares, summed
// in the workers' tree order (allreduce_sum: the same bits on every backend) and divided by the
// worker count; every worker then holds the same model, bit for bit. One allreduce of about d
// (2d with adagrad) doubles. This worker's pass sums since the last average (`local`) and
// whether its numbers stayed finite ride along.
[[nodiscard]] AverageResult average_models(Update& update, Communicator& comm, const PassSums& local, bool finite);

}  // namespace dsgd
