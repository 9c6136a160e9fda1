#include "dsgd/train/sync/strategies.h"
#include "dsgd/train/loop/run.h"

#include <algorithm>
#include <chrono>
#include <string>

#include <fmt/format.h>

#include "dsgd/comm/hierarchical_comm.h"
#include "dsgd/comm/thread_comm.h"
#include "dsgd/model/linear_model.h"
#include "dsgd/base/error.h"
#include "dsgd/base/timer.h"

namespace dsgd {

RunResult combine(std::vector<WorkerResult> workers, std::string algorithm) {
  if (workers.empty()) throw Error("combine: no worker results");
  RunResult run;
  run.algorithm = std::move(algorithm);
  const double n = static_cast<double>(workers.size());
  for (const WorkerResult& w : workers) {
    run.time_s = std::max(run.time_s, w.train_s);
    run.compute_s += w.compute_s / n;
    run.exchange_s += w.exchange_s / n;
    run.update_s += w.update_s / n;
    run.work.push_back({w.compute_s, w.update_s, w.exchange_s, w.columns_updated, w.exchange.entries_sent,
                        w.exchange.entries_received, w.exchange.weights_sent, w.exchange.weights_received});
    run.comm_s += w.comm.comm_s / n;
    run.wait_s += w.comm.wait_s / n;
    run.per_worker.push_back(w.comm);
  }
  run.steps = workers.front().steps;
  run.exchange = workers.front().exchange;
  run.exchange_why = workers.front().exchange_why;
  run.sparse_update = workers.front().sparse_update;
  for (const WorkerResult& w : workers) run.releases += w.releases;
  run.touched_share = workers.front().touched_share;
  run.best_epoch = workers.front().best_epoch;
  run.target = workers.front().target;
  run.epochs = std::move(workers.front().epochs);
  run.model = std::move(workers.front().model);
  return run;
}

double worker_sum(std::span<const double> local, ClusterComm& comm) {
  std::vector<const double*> parts;
  for (const double& v : local) parts.push_back(&v);
  double sum = 0;
  comm.allreduce_parts(parts, {&sum, 1});
  return sum;
}

JobOf balanced_jobs(const TrainConfig& config, const Dataset& train, std::size_t global_train_rows,
                    const Dataset* holdout, std::size_t global_holdout_rows, const LinearModel* init) {
  const auto workers = static_cast<std::size_t>(config.workers);
  const auto local = [workers](const Dataset& data, std::size_t global_rows, int worker) {
    const RowRange rows = shard_range(global_rows, workers, static_cast<std::size_t>(worker));
    if (rows.begin < data.first_row() || rows.end > data.first_row() + data.rows())
      throw Error(fmt::format("worker {} owns rows [{}, {}), but this process holds [{}, {})", worker, rows.begin,
                              rows.end, data.first_row(), data.first_row() + data.rows()));
    return Shard{&data, {rows.begin - data.first_row(), rows.end - data.first_row()}};
  };
  return [=, &train](int worker) {
    WorkerJob job;
    job.train = local(train, global_train_rows, worker);
    if (holdout != nullptr) job.holdout = local(*holdout, global_holdout_rows, worker);
    job.init = init;
    return job;
  };
}

JobOf holdout_jobs(const TrainConfig& config, const HoldoutSplit& split, std::size_t global_rows,
                   const LinearModel* init) {
  const auto workers = static_cast<std::size_t>(config.workers);
  return [=, &split](int worker) {
    const RowRange file = shard_range(global_rows, workers, static_cast<std::size_t>(worker));
    const std::size_t held = split.kept_before.size() - 1;
    if (file.begin < split.first_row || file.end > split.first_row + held)
      throw Error(fmt::format("worker {} owns rows [{}, {}), but this process holds [{}, {})", worker, file.begin,
                              file.end, split.first_row, split.first_row + held));
    const std::size_t a = file.begin - split.first_row;
    const std::size_t b = file.end - split.first_row;
    const std::size_t kept_a = split.kept_before[a];
    const std::size_t kept_b = split.kept_before[b];
    WorkerJob job;
    job.train = {&split.train, {kept_a, kept_b}};
    job.holdout = {&split.holdout, {a - kept_a, b - kept_b}};
    job.init = init;
    return job;
  };
}

RunResult train_on_cluster(const TrainConfig& config, Cluster& cluster, int threads, const JobOf& job_of,
                           const EpochCallback& on_epoch) {
  check_config(config);
  if (config.workers != cluster.size() * threads)
    throw ConfigError(fmt::format("{} workers configured, but {} processes x {} threads run", config.workers,
                                  cluster.size(), threads));
  const auto start = Clock::now();
  std::vector<WorkerResult> results(static_cast<std::size_t>(threads));
  if (threads == 1) {
    results[0] = train_worker(config, job_of(cluster.rank()), cluster.comm(), on_epoch);
  } else {
    run_hierarchical(threads, cluster.comm(), [&](Communicator& comm) {
      results[static_cast<std::size_t>(comm.rank() - cluster.rank() * threads)] =
          train_worker(config, job_of(comm.rank()), comm, on_epoch);
    });
  }
  RunResult run = combine(results, std::string(cluster.comm().algorithm()));
  // Every worker's figures to every process.
  struct Figures {
    double train_s;
    double compute_s;
    double exchange_s;
    double update_s;
    std::uint64_t columns_updated;
    std::uint64_t entries_sent, entries_received, weights_sent, weights_received;
    CommStats comm;
  };
  std::vector<Figures> mine;
  for (const WorkerResult& r : results)
    mine.push_back({r.train_s, r.compute_s, r.exchange_s, r.update_s, r.columns_updated, r.exchange.entries_sent,
                    r.exchange.entries_received, r.exchange.weights_sent, r.exchange.weights_received, r.comm});
  std::vector<WorkerResult> everyone;
  for (const std::vector<Figures>& theirs : allgather<Figures>(cluster.comm(), mine)) {
    for (const Figures& f : theirs) {
      everyone.emplace_back();
      everyone.back().train_s = f.train_s;
      everyone.back().compute_s = f.compute_s;
      everyone.back().exchange_s = f.exchange_s;
      everyone.back().update_s = f.update_s;
      everyone.back().columns_updated = f.columns_updated;
      everyone.back().exchange.entries_sent = f.entries_sent;
      everyone.back().exchange.entries_received = f.entries_received;
      everyone.back().exchange.weights_sent = f.weights_sent;
      everyone.back().exchange.weights_received = f.weights_received;
      everyone.back().comm = f.comm;
    }
  }
  WorkerResult& first = everyone.at(0);
  const ExchangeStats own = first.exchange;  // (its counts, which run.exchange's are on another process)
  first.exchange = run.exchange;
  first.exchange_why = run.exchange_why;
  first.exchange.entries_sent = own.entries_sent;
  first.exchange.entries_received = own.entries_received;
  first.exchange.weights_sent = own.weights_sent;
  first.exchange.weights_received = own.weights_received;
  first.sparse_update = run.sparse_update;
  first.touched_share = run.touched_share;
  first.model = std::move(run.model);
  first.epochs = std::move(run.epochs);
  first.steps = run.steps;
  first.best_epoch = run.best_epoch;
  first.target = run.target;
  RunResult global = combine(std::move(everyone), std::move(run.algorithm));
  global.bytes_measured = cluster.comm().bytes_measured();
  global.response_time_s = seconds_since(start);
  return global;
}

RunResult train_on(const TrainConfig& config, Cluster& cluster, int threads, const JobOf& job_of,
                   const EpochCallback& on_epoch) {
  if (cluster.size() > 1) return train_on_cluster(config, cluster, threads, job_of, on_epoch);
  if (config.workers != threads)
    throw ConfigError(fmt::format("{} workers configured, but {} threads run", config.workers, threads));
  return train_on_threads(config, job_of, on_epoch);
}

RunResult train_on_threads(const TrainConfig& config, const JobOf& job_of, const EpochCallback& on_epoch) {
  check_config(config);
  const auto start = Clock::now();
  std::vector<WorkerResult> results(static_cast<std::size_t>(config.workers));
  std::string algorithm;
  run_threads(config.workers, [&](Communicator& comm) {
    results[static_cast<std::size_t>(comm.rank())] = train_worker(config, job_of(comm.rank()), comm, on_epoch);
    if (comm.rank() == 0) algorithm = comm.algorithm();
  });
  RunResult run = combine(std::move(results), std::move(algorithm));
  run.response_time_s = seconds_since(start);
  return run;
}

RunResult train_on_threads(const TrainConfig& config, const Dataset& data, const EpochCallback& on_epoch) {
  return train_on_threads(config, balanced_jobs(config, data, data.rows()), on_epoch);
}

}  // namespace dsgd
