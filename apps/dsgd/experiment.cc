#include "experiment.h"

#include <fmt/format.h>

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>

#include "dsgd/base/error.h"
#include "dsgd/data/synthetic_fields.h"
#include "dsgd/model/kernel.h"
#include "dsgd/base/text.h"
#include "dsgd/analysis/bandwidth.h"
#include "dsgd/train/config/config_fields.h"

namespace dsgd::cli {
void BackendOptions::check(const TrainOptions& train) const {
  if (!mpi()) {
    if (threads_per_rank) throw ConfigError("--threads-per-rank needs --backend mpi (use --workers for threads)");
    if (allreduce) throw ConfigError("--allreduce needs --backend mpi");
    if (timeout_s) throw ConfigError("--timeout needs --backend mpi");
  } else if (train.is_given("workers")) {
    throw ConfigError("--workers is for --backend threads; with mpi the workers are ranks x --threads-per-rank");
  }
}

ClusterOptions BackendOptions::cluster_options() const {
  ClusterOptions options;
  if (allreduce == "native") options.allreduce = AllreduceAlgorithm::kNative;
  options.timeout_s = timeout_s.value_or(options.timeout_s);
  return options;
}

void add_backend_options(CLI::App& app, BackendOptions& backend) {
  auto* group = "Backend";
  choice_option(app.add_option("--backend", backend.backend,
                               "threads (one process), or mpi (under mpirun: a rank a worker, each reading its rows)"),
                {"threads", "mpi"})
      ->group(group);
  app.add_option("--threads-per-rank", backend.threads_per_rank, "mpi: worker threads in each rank [default: 1]")
      ->group(group)
      ->check(positive())
      ->type_name("N");
  choice_option(app.add_option("--allreduce", backend.allreduce,
                               "mpi: deterministic (the bits of threads), or native (MPI_Allreduce's order: bits may "
                               "differ) [default: deterministic]"),
                {"deterministic", "native"})
      ->group(group);
  app.add_option("--timeout", backend.timeout_s,
                 "mpi: seconds a rank waits in one collective before the job fails [default: 60]")
      ->group(group)
      ->check(positive())
      ->type_name("SECONDS");
}

Environment environment_of(const Experiment& data, std::string backend) {
  Environment env{kernel_target(), data.generate_s, std::move(backend)};
  env.generation = data.generation;
  return env;
}

void check_same_config(Cluster& cluster, const SyntheticSpec& data, const TrainConfig& config,
                       const BackendOptions& backend, std::span<const Setting> more) {
  std::vector<Setting> settings = {
      number_setting("--threads-per-rank", static_cast<double>(backend.threads())),
      {"--allreduce", backend.allreduce.value_or("deterministic")},
  };
  for (const SyntheticField& f : synthetic_fields()) settings.push_back({std::string(f.flag), f.text(data)});
  for (const ConfigField& f : config_fields()) settings.push_back({flag_of(f.name), value_text(f, config)});
  settings.insert(settings.end(), more.begin(), more.end());
  check_same_settings(cluster.comm(), settings);
}

void warn_if_bound_too_tightly(const Cluster& cluster, int threads) {
  cpu_set_t cpus;
  if (sched_getaffinity(0, sizeof(cpus), &cpus) != 0) return;
  const int allowed = CPU_COUNT(&cpus);
  if (allowed < threads) {
    fmt::print(stderr,
               "dsgd: warning: rank {} may run on {} CPU(s) but has {} worker threads; start mpirun with "
               "--bind-to none (or --map-by slot:PE={})\n",
               cluster.rank(), allowed, threads, threads);
  }
}

ClusterSetup prepare_cluster_run(Cluster& cluster, const DataOptions& data, TrainOptions& train,
                                 const BackendOptions& backend) {
  const int threads = backend.threads();
  warn_if_bound_too_tightly(cluster, threads);
  train.config.workers = cluster.size() * threads;
  train.given.emplace("workers");
  train.resolve(data.spec);
  check_same_config(cluster, data.spec, train.config, backend);
  std::optional<AtomicFile> json = cluster.rank() == 0 ? train.open_json() : std::nullopt;
  Experiment local = make_local_experiment(data.spec, cluster, threads, !train.quiet && cluster.rank() == 0);
  const MachineBounds mine = measure_bounds(threads, data.spec, false);  // every rank at once, as they train
  std::vector<double> bounds = {mine.bandwidth_gbs, mine.random_reads_per_s};
  cluster.comm().allreduce_sum(bounds);
  return {train.config, threads, std::move(json), std::move(local),
          {bounds[0], bounds[1], "measured now by every rank at once, summed"}};
}

int run_on_cluster(Cluster& cluster, const std::function<int()>& body) {
  try {
    return body();
  } catch (const ConfigError& e) {
    if (cluster.rank() == 0) fmt::print(stderr, "dsgd: error: {}\n", printable(message_of(e)));
    return 2;
  } catch (const SharedInputError& e) {
    if (cluster.rank() == 0) fmt::print(stderr, "dsgd: error: {}\n", printable(message_of(e)));
    return 1;
  } catch (const DivergedError& e) {
    if (cluster.rank() == 0) fmt::print(stderr, "dsgd: error: {}\n", printable(message_of(e)));
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "dsgd: error: rank {}: {}\n", cluster.rank(), printable(message_of(e)));
    std::fflush(stderr);
    cluster.abort(1);
  }
  return 1;  // not reached: abort() ends the process
}

}  // namespace dsgd::cli
