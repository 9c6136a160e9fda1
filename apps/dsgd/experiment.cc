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
#include "dsgd/model/evaluation.h"
#include "dsgd/base/progress.h"
#include "dsgd/base/text.h"
#include "dsgd/base/timer.h"
#include "dsgd/analysis/bandwidth.h"
#include "dsgd/train/config/config_fields.h"
#include "dsgd/train/loop/fit.h"
#include "dsgd/train/loop/run.h"

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

Experiment make_experiment(const SyntheticSpec& spec, int threads, bool show_progress) {
  const auto start = Clock::now();
  const auto n = static_cast<std::size_t>(threads);
  Progress progress("generating", spec.samples + spec.test_samples, "rows", show_progress);
  GenerationTimes times;
  Dataset train = generate_parallel(spec, Split::kTrain, n, &progress, &times);
  Dataset test = generate_parallel(spec, Split::kTest, n, &progress, &times);
  return {std::move(train), std::move(test), spec.samples, seconds_since(start), spec.test_samples, times};
}

Experiment make_local_experiment(const SyntheticSpec& spec, const Cluster& cluster, int threads, bool show_progress) {
  const auto start = Clock::now();
  const auto n = static_cast<std::size_t>(threads);
  const RowRange train_rows = process_rows(spec.samples, cluster.size(), threads, cluster.rank());
  const RowRange test_rows = process_rows(spec.test_samples, cluster.size(), threads, cluster.rank());
  Progress progress("generating this rank's rows", train_rows.size() + test_rows.size(), "rows", show_progress);
  GenerationTimes times;
  Dataset train = generate_parallel(spec, Split::kTrain, train_rows, n, &progress, &times);
  Dataset test = generate_parallel(spec, Split::kTest, test_rows, n, &progress, &times);
  return {std::move(train), std::move(test), spec.samples, seconds_since(start), spec.test_samples, times};
}

Environment environment_of(const Experiment& data, std::string backend) {
  Environment env{kernel_target(), data.generate_s, std::move(backend)};
  env.generation = data.generation;
  return env;
}

MachineBounds measure_bounds(int threads, bool sparse, std::size_t features, bool cached) {
  // The sparse pass's model: a (weight, gradient) pair of doubles per column.
  const std::size_t model_bytes = 2 * sizeof(double) * features;
  if (!cached) {
    return {measure_read_bandwidth(threads), sparse ? measure_random_reads(threads, model_bytes) : 0.0, "measured now"};
  }
  const MachineFigure read = machine_read_bandwidth(threads);
  MachineBounds b{read.value, 0, read.source};
  if (sparse) b.random_reads_per_s = machine_random_reads(threads, model_bytes).value;
  return b;
}

MachineBounds measure_bounds(int threads, const SyntheticSpec& spec, bool cached) {
  return measure_bounds(threads, spec.nnz > 0, spec.features, cached);
}

void set_bounds(RunReport& report, const MachineBounds& bounds, double epochs, const Dataset& rows,
                std::size_t global_rows) {
  // X's bytes and non-zeros over all rows (each process holds its share; the rows of a set are alike).
  const double share = static_cast<double>(global_rows) / static_cast<double>(rows.rows());
  report.bandwidth_gbs = bounds.bandwidth_gbs;
  report.bandwidth_source = bounds.source;
  report.bound_s = epochs * static_cast<double>(rows.feature_bytes()) * share / (bounds.bandwidth_gbs * 1e9);
  if (bounds.random_reads_per_s > 0 && rows.layout() == Layout::kSparse) {
    report.random_reads_per_s = bounds.random_reads_per_s;
    report.random_bound_s = epochs * static_cast<double>(rows.values()) * share / bounds.random_reads_per_s;
  }
}

RunReport run_scored(const TrainConfig& config, const Experiment& data, const MachineBounds& bounds,
                     const std::string& label, bool quiet, Cluster& cluster, std::optional<int> threads) {
  FitOptions options;
  options.cluster = cluster;
  options.threads = threads;
  options.total_rows = data.global_train_rows;
  if (config.has_target()) {  // a target is met on the test rows, each worker scoring its share
    options.holdout = &data.test;
    options.holdout_rows = data.global_test_rows;
  }
  if (!quiet) options.on_epoch = [&](const EpochProgress& p) { print_progress(stdout, label, config.epochs, p); };
  RunReport report;
  // Every setting as given (synthetic data has no data defaults), the workers too.
  report.run = fit(data.train, config, [](std::string_view) { return true; }, options).run;
  report.train = evaluate_on_cluster(data.train, report.run.model, cluster.comm());
  report.test = evaluate_on_cluster(data.test, report.run.model, cluster.comm());
  // The epochs run: a met target ends the run early.
  const double epochs = report.run.target.reached ? report.run.target.epoch : static_cast<double>(config.epochs);
  set_bounds(report, bounds, epochs, data.train, data.global_train_rows);
  report.times_s = {report.run.time_s};
  return report;
}

RunReport median_run(std::vector<RunReport> runs) {
  std::vector<double> times;
  for (const RunReport& r : runs) {
    if (r.run.model.weights != runs.front().run.model.weights || r.run.model.bias != runs.front().run.model.bias)
      throw Error("repeated runs of one configuration gave different weights: determinism is broken");
    times.push_back(r.run.time_s);
  }
  std::vector<RunReport*> order;
  for (RunReport& r : runs) order.push_back(&r);
  std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(order.size() / 2), order.end(),
                   [](const RunReport* a, const RunReport* b) { return a->run.time_s < b->run.time_s; });
  RunReport median = std::move(*order[order.size() / 2]);
  median.times_s = std::move(times);
  return median;
}

Setting number_setting(std::string name, double value) { return {std::move(name), fmt::format("{}", value)}; }

Setting given_setting(std::string name, bool given) { return {std::move(name), given ? "1" : "0", true}; }

void check_same_config(Cluster& cluster, const SyntheticSpec& data, const TrainConfig& config,
                       const BackendOptions& backend, std::span<const Setting> more) {
  std::vector<Setting> settings = {
      number_setting("--threads-per-rank", static_cast<double>(backend.threads())),
      {"--allreduce", backend.allreduce.value_or("deterministic")},
  };
  for (const SyntheticField& f : synthetic_fields()) settings.push_back({std::string(f.flag), f.text(data)});
  for (const ConfigField& f : config_fields()) settings.push_back({flag_of(f.name), value_text(f, config)});
  settings.insert(settings.end(), more.begin(), more.end());
  // Every rank's settings, one value a line.
  std::string mine;
  for (const Setting& s : settings) mine += s.value + '\n';
  const std::vector<std::vector<char>> all = allgather<char>(cluster.comm(), std::span<const char>(mine));
  const auto lines = [](const std::vector<char>& text) {
    std::vector<std::string> out(1);
    for (const char c : text) {
      if (c == '\n') {
        out.emplace_back();
      } else {
        out.back().push_back(c);
      }
    }
    return out;
  };
  const auto shown = [](const std::string& value) { return value.empty() ? std::string("none") : value; };
  const std::vector<std::string> ours = lines(all[0]);
  for (int rank = 1; rank < cluster.size(); ++rank) {
    const std::vector<std::string> theirs = lines(all[static_cast<std::size_t>(rank)]);
    for (std::size_t k = 0; k < settings.size(); ++k) {
      const std::string other = k < theirs.size() ? theirs[k] : std::string("none");
      if (other == ours[k]) continue;
      const Setting& s = settings[k];
      const std::string values =
          s.given ? fmt::format("rank {} was given it and rank {} was not", ours[k] == "1" ? 0 : rank,
                                ours[k] == "1" ? rank : 0)
                  : fmt::format("rank 0 has {}, rank {} has {}", shown(ours[k]), rank, shown(other));
      throw ConfigError(fmt::format("ranks disagree on {}: {}; every rank must be started with the same options",
                                    s.name, values));
    }
  }
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
