#include "dsgd/train/run.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "dsgd/comm/thread_comm.h"

namespace dsgd {

RunResult combine(std::vector<WorkerResult> workers, std::string algorithm) {
  RunResult run;
  run.algorithm = std::move(algorithm);
  const double n = static_cast<double>(workers.size());
  for (const WorkerResult& w : workers) {
    run.time_s = std::max(run.time_s, w.train_s);
    run.compute_s += w.compute_s / n;
    run.comm_s += w.comm.comm_s / n;
    run.wait_s += w.comm.wait_s / n;
    run.per_worker.push_back(w.comm);
  }
  run.steps = workers.front().steps;
  run.epochs = std::move(workers.front().epochs);
  run.weights = std::move(workers.front().weights);
  return run;
}

RunResult train_on_threads(const TrainConfig& config, const Dataset& data, const EpochCallback& on_epoch) {
  config.validate();
  const auto start = std::chrono::steady_clock::now();
  std::vector<WorkerResult> results(static_cast<std::size_t>(config.workers));
  std::string algorithm;
  run_threads(config.workers, [&](Communicator& comm) {
    const auto rank = static_cast<std::size_t>(comm.rank());
    const Shard shard{&data, shard_range(data.rows(), results.size(), rank), data.rows()};
    results[rank] = train_worker(config, shard, comm, on_epoch);
    if (rank == 0) algorithm = comm.algorithm();
  });
  RunResult run = combine(std::move(results), std::move(algorithm));
  run.response_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return run;
}

}  // namespace dsgd
