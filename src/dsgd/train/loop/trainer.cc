#include "dsgd/train/loop/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "dsgd/base/rng.h"
#include "dsgd/base/error.h"
#include "dsgd/model/kernel.h"
#include "dsgd/base/timer.h"
#include "dsgd/train/callbacks/callbacks.h"
#include "dsgd/train/config/scaling.h"
#include "dsgd/train/config/schedule.h"
#include "dsgd/train/sync/strategies.h"

namespace dsgd {
namespace {

// Stream of the shuffle of worker `rank` in `epoch`: the same on every backend.
constexpr std::uint64_t kShuffleStream = 0x5348'5546'464C'45ULL;  // "SHUFFLE"

void shuffle_shard(std::vector<std::uint32_t>& order, std::uint64_t seed, int rank, std::size_t epoch) {
  std::iota(order.begin(), order.end(), 0U);
  SplitMix64 rng(stream_key(stream_key(seed, kShuffleStream + static_cast<std::uint64_t>(rank)), epoch));
  for (std::size_t i = order.size(); i > 1; --i) {  // Fisher-Yates
    std::swap(order[i - 1], order[rng.below(i)]);
  }
}

// The largest of the workers' row counts: the shard that sets the number of steps.
std::size_t largest_shard(Communicator& comm, std::size_t rows) {
  const std::vector<std::uint64_t> all = allgather_one<std::uint64_t>(comm, rows);
  return static_cast<std::size_t>(*std::max_element(all.begin(), all.end()));
}

// Mean and standard deviation of every feature over all workers' training rows.
Standardization global_standardization(const Shard& shard, std::size_t d, Communicator& comm) {
  std::vector<double> sums(2 * d + 1, 0.0);
  if (shard.data != nullptr) {
    sums[2 * d] = add_moments(*shard.data, shard.rows, std::span(sums).first(d), std::span(sums).subspan(d, d));
  }
  comm.allreduce_sum(sums);
  const double n = sums[2 * d];
  Standardization s{std::vector<double>(d, 0.0), std::vector<double>(d, 1.0)};
  if (n == 0) return s;
  for (std::size_t j = 0; j < d; ++j) {
    const double mean = sums[j] / n;
    const double variance = std::max(0.0, sums[d + j] / n - mean * mean);
    const double scale = std::sqrt(variance);
    s.mean[j] = mean;
    if (scale > 0 && std::isfinite(scale)) s.scale[j] = scale;  // a constant feature keeps scale 1
  }
  return s;
}

}  // namespace

std::size_t steps_per_epoch(std::size_t largest_shard, std::size_t batch) noexcept {
  return std::max<std::size_t>(1, (largest_shard + batch - 1) / batch);
}

double add_moments(const Dataset& data, RowRange rows, std::span<double> sum, std::span<double> sum_squares) {
  const std::span<const double> weights = data.sample_weights();
  double total = 0;  // of the weights
  const auto weight = [&](std::size_t i) {
    const double w = weights.empty() ? 1.0 : weights[i];
    total += w;
    return w;
  };
  data.visit([&](const auto& view) {
    using View = std::decay_t<decltype(view)>;
    if constexpr (requires { view.offsets; }) {
      for (std::size_t i = rows.begin; i < rows.end; ++i) {
        const double w = weight(i);
        for (std::uint64_t k = view.offsets[i]; k < view.offsets[i + 1]; ++k) {
          const auto x = view.value_of(k);
          sum[view.index[k]] += w * x;
          sum_squares[view.index[k]] += w * x * x;
        }
      }
    } else {
      static_assert(std::is_same_v<View, DenseView<float>> || std::is_same_v<View, DenseView<double>>);
      for (std::size_t i = rows.begin; i < rows.end; ++i) {
        const auto* row = view.row(i);
        const double w = weight(i);
        for (std::size_t j = 0; j < view.cols; ++j) {
          const auto x = static_cast<double>(row[j]);
          sum[j] += w * x;
          sum_squares[j] += w * x * x;
        }
      }
    }
  });
  return weights.empty() ? static_cast<double>(rows.size()) : total;
}

namespace {

// The model a run starts from: --init's, or zeros with the standardisation the config asks for.
LinearModel starting_model(const TrainConfig& config, const WorkerJob& job, Communicator& comm) {
  const std::size_t d = job.train.data->features();
  LinearModel model;
  if (job.init != nullptr) {
    if (job.init->features() != d)
      throw ConfigError(fmt::format("the initial model has {} features, the data {}", job.init->features(), d));
    model = *job.init;
    if (!config.bias) model.bias = 0;
  } else {
    model.weights.assign(d, 0.0);
    if (config.scale == Scaling::kStandardize) model.standardization = global_standardization(job.train, d, comm);
    if (config.scale == Scaling::kMaxAbs) model.standardization = maxabs_scaling(*job.train.data, job.train.rows, comm);
  }
  return model;
}

// The model a run goes on from, and the step it starts at: a warm start's epoch, or a
// checkpoint's step (its weights restored into the update). Returns the checkpoint's step in
// its epoch (0 otherwise) and fills `sums` with its epoch's sums so far.
std::size_t go_on(const TrainConfig& config, const WorkerJob& job, std::size_t steps, TrainState& state, Sync& sync,
                  PassSums& sums) {
  if (job.start_epoch > 0 && job.resume == nullptr) {
    if (job.init == nullptr || job.start_epoch >= config.epochs)
      throw ConfigError(fmt::format("a warm start at epoch {} needs an initial model and more than {} epochs (not {})",
                                    job.start_epoch, job.start_epoch, config.epochs));
    state.epoch = job.start_epoch;
    state.step = job.start_epoch * steps;
  }
  if (job.resume == nullptr) return 0;
  const TrainSnapshot& r = *job.resume;
  if (r.step != r.epoch * steps + r.step_in_epoch || r.step_in_epoch >= steps || r.epoch > config.epochs)
    throw ConfigError(fmt::format("the checkpoint is at epoch {}, step {}, which a run of {} steps an epoch never reaches",
                                  r.epoch, r.step, steps));
  sync.update().restore(r.update);
  state.epoch = r.epoch;
  state.step = r.step;
  state.epochs = r.epochs;
  state.best_epoch = r.best_epoch;
  state.best_loss = r.best_loss;
  state.epochs_since_best = r.epochs_since_best;
  if (config.patience > 0) state.best = r.best;
  sync.update().store(state.model);
  sums = r.epoch_sums;
  return r.step_in_epoch;
}

// The callbacks of a run, in the order they are called.
std::vector<std::unique_ptr<Callback>> callbacks_of(const TrainConfig& config, const WorkerJob& job, int rank,
                                                    const EpochCallback& on_epoch) {
  std::vector<std::unique_ptr<Callback>> out;
  out.push_back(std::make_unique<ProgressLine>(on_epoch));
  if (config.has_target()) out.push_back(std::make_unique<TargetWatch>(config, job.holdout));
  out.push_back(std::make_unique<EarlyStopping>());
  if (job.stop != nullptr) out.push_back(std::make_unique<InterruptWatch>(job.stop));
  const CheckpointPlan* plan = job.checkpoint;
  if (plan != nullptr && (plan->every_steps > 0 || plan->every_epoch))
    out.push_back(std::make_unique<CheckpointWrite>(*plan, rank == 0));
  return out;
}

}  // namespace

WorkerResult train_worker(const TrainConfig& config, const WorkerJob& job, Communicator& comm,
                          const EpochCallback& on_epoch) {
  check_config(config);
  if (comm.size() != config.workers)
    throw ConfigError("the communicator has " + std::to_string(comm.size()) + " workers, the configuration " +
                      std::to_string(config.workers));
  const std::size_t rows = job.train.rows.size();
  if (config.shuffle && rows > std::numeric_limits<std::uint32_t>::max())
    throw ConfigError(fmt::format("{} supports at most 2^32 - 1 rows per worker", field("shuffle")));

  TrainState state;
  state.model = starting_model(config, job, comm);
  if (config.patience > 0) state.best = state.model;
  const ExchangeChoice exchange = choose_exchange_for(config, job.train, state.model, comm);
  TrainConfig sync_config = config;
  sync_config.exchange = exchange.mode;
  const std::unique_ptr<Sync> sync =
      make_sync(sync_config, state.model, job.train.data->layout() == Layout::kSparse, comm);
  const std::size_t steps = steps_per_epoch(largest_shard(comm, rows), config.batch);
  TrainConfig schedule_config = config;
  if (config.local_sgd()) schedule_config.workers = 1;  // (one worker's rate)
  const LearningRate schedule(schedule_config, steps);
  PassSums epoch_sums;
  std::size_t first_step = go_on(config, job, steps, state, *sync, epoch_sums);  // (a resume goes on mid-epoch)
  const std::vector<std::unique_ptr<Callback>> callbacks = callbacks_of(config, job, comm.rank(), on_epoch);
  sync->refuse(config, job.checkpoint, first_step > 0);

  WorkerResult result;
  const CommStats comm_before = comm.stats();  // count this run only
  const std::size_t first_run_step = state.step;  // steps before this call: a warm start's, a resumed run's
  TrainingView view{config, comm, *sync, state, job.holdout, steps, 0, &epoch_sums, 0, Clock::now(), &result.target};
  std::vector<std::uint32_t> order(config.shuffle ? rows : 0);
  // Rows larger than their bound are given back every `release_every` steps (0: never).
  const Dataset& train_data = *job.train.data;
  const std::size_t shard_bytes = train_data.rows_bytes(job.train.rows);
  std::size_t release_every = 0;
  if (job.resident_bytes > 0 && train_data.mapped() && shard_bytes > job.resident_bytes && rows > 0) {
    const double step_bytes = static_cast<double>(shard_bytes) / static_cast<double>(rows) * static_cast<double>(config.batch);
    release_every = std::max<std::size_t>(1, static_cast<std::size_t>(static_cast<double>(job.resident_bytes) / step_bytes / 2));
    if (config.shuffle) train_data.read_at_random(job.train.rows);
  }
  // With rows streamed, the next step's are asked of the file while this one computes.
  const auto prefetch_step = [&](std::size_t s) {
    const std::size_t begin = std::min(rows, s * config.batch), end = std::min(rows, begin + config.batch);
    if (config.shuffle) {
      train_data.prefetch(job.train.rows.begin, order.data() + begin, end - begin);
    } else {
      train_data.prefetch(job.train.rows.begin + begin, nullptr, end - begin);
    }
  };
  std::size_t prefetched = steps;  // the step whose rows were asked for last (steps: none)
  double touched = 0;
  double lr = 0;
  bool stopped = false;
  while (state.epoch < config.epochs && !stopped) {
    const auto epoch_start = Clock::now();
    if (config.shuffle) shuffle_shard(order, config.seed, comm.rank(), state.epoch);
    for (std::size_t s = std::exchange(first_step, 0); s < steps && !stopped; ++s) {
      if (release_every > 0) {
        if (prefetched != s) prefetch_step(s);
        if (s + 1 < steps) prefetch_step(s + 1);
        prefetched = s + 1;
      }
      lr = schedule.at(state.step);
      const StepOutcome outcome = sync->step({&job.train, config.shuffle ? order.data() : nullptr, config.batch, s,
                                              steps, state.epoch, state.step, lr});
      touched += static_cast<double>(outcome.touched);
      epoch_sums.count += outcome.sums.count;
      epoch_sums.loss += outcome.sums.loss;
      epoch_sums.correct += outcome.sums.correct;
      ++state.step;
      if (release_every > 0 && state.step % release_every == 0) {
        train_data.release(job.train.rows);
        ++result.releases;
      }
      if (s + 1 == steps) break;  // (the epoch's end is the callbacks' after_epoch)
      view.step_in_epoch = s + 1;
      for (const auto& c : callbacks) stopped = c->after_step(view) || stopped;
    }
    if (stopped) break;  // mid-epoch: the model is stored, the epoch not counted
    sync->update().store(state.model);
    check_finite(std::isfinite(state.model.bias) && std::all_of(state.model.weights.begin(), state.model.weights.end(),
                                                                [](double w) { return std::isfinite(w); }),
                 "model (a weight or the bias)", {&job.train, nullptr, 0, steps - 1, steps, state.epoch, 0, lr});
    ++state.epoch;
    const PassSums held = job.holdout.data != nullptr ? holdout_sums(job.holdout, state.model.raw_weights(), comm)
                                                      : PassSums{};
    state.epochs.push_back({state.epoch, epoch_sums.loss / epoch_sums.count, epoch_sums.correct / epoch_sums.count,
                            held.count > 0 ? held.loss / held.count : std::nan(""),
                            held.count > 0 ? held.correct / held.count : std::nan(""), lr,
                            seconds_since(epoch_start)});
    epoch_sums = {};
    view.held_rows = held.count;
    for (const auto& c : callbacks) {
      if (c->after_epoch(view)) {
        stopped = true;
        break;
      }
    }
  }
  for (const auto& c : callbacks) c->finish();
  if (sync->touched_is_share()) {  // each worker counted the columns of its share
    std::vector<double> all = {touched};
    comm.allreduce_sum(all);
    touched = all[0];
  }
  result.train_s = seconds_since(view.start);
  result.compute_s = sync->compute_s();
  result.exchange_s = sync->exchange_s();
  result.update_s = sync->update_s();
  result.columns_updated = sync->columns_updated();
  // A warm start counts its own steps; a resumed run those of the run it goes on with.
  result.steps = job.resume != nullptr ? state.step : state.step - first_run_step;
  result.comm = comm.stats() - comm_before;
  result.exchange_why = exchange.why;
  result.exchange = sync->stats();
  result.sparse_update = sync->sparse_update();
  const std::size_t run_steps = state.step - first_run_step;  // the steps `touched` counts
  const auto d = static_cast<double>(state.model.features());
  result.touched_share = run_steps > 0 ? touched / static_cast<double>(run_steps) / d : 0.0;
  result.best_epoch = state.best_epoch;
  result.epochs = std::move(state.epochs);
  // A met target ends the run with the model that met it, early stopping's best or not.
  const bool stopped_at_target = result.target.reached && config.target_stop;
  result.model = config.patience > 0 && !stopped_at_target ? std::move(state.best) : std::move(state.model);
  if (stopped_at_target) result.best_epoch = state.epoch;  // (a target met mid-epoch: the epochs completed)
  return result;
}

}  // namespace dsgd
