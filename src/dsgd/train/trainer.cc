#include "dsgd/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <utility>
#include <thread>
#include <exception>

#include <fmt/format.h>

#include "dsgd/data/rng.h"
#include "dsgd/error.h"
#include "dsgd/model/kernel.h"
#include "dsgd/timer.h"
#include "dsgd/train/model_average.h"
#include "dsgd/train/scaling.h"
#include "dsgd/train/schedule.h"
#include "dsgd/train/step_gradient.h"
#include "dsgd/train/update.h"

namespace dsgd {
namespace {

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

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

// Loss and accuracy of the model on every worker's held-out rows together (a collective: every
// worker's job has held-out data, or none has).
PassSums holdout_sums(const Shard& holdout, const RawWeights& raw, Communicator& comm) {
  PassSums local;
  if (holdout.data != nullptr && holdout.rows.size() > 0) {
    holdout.data->visit([&](const auto& view) {
      accumulate_loss(view.slice(holdout.rows.begin, holdout.rows.end), raw.weights, raw.bias, local);
    });
  }
  std::vector<double> sums = {local.count, local.loss, local.correct};
  comm.allreduce_sum(sums);
  return {sums[0], sums[1], sums[2], 0};
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
          const auto x = static_cast<double>(view.value[k]);
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

// Adds this worker's gradient sum over `count` rows of its shard from `begin` (in shuffled
// order when `order` is given) to g, with the weights the update keeps.
void add_gradient(const Shard& shard, const std::uint32_t* order, std::size_t begin, std::size_t count,
                  const KernelWeights& w, StepGradient& g) {
  shard.data->visit([&](const auto& view) {
    const auto local = view.slice(shard.rows.begin, shard.rows.end);
    const auto rows = order != nullptr ? local : local.slice(begin, begin + count);
    const std::uint32_t* picked = order != nullptr ? order + begin : nullptr;
    if constexpr (requires { view.offsets; }) {
      if (g.sparse_path()) {
        accumulate_gradient_pairs(rows, picked, count, g.slots, g.stride, g.offset, w.scale, w.bias, g.touched,
                                  g.sums);
        return;
      }
    }
    accumulate_gradient(rows, picked, count, w.weights, w.bias, g.gradient(), g.sums);
  });
}

// The local step: this worker's gradient sum over its batch into g (empty before).
void local_gradient(const Shard& shard, const std::uint32_t* order, std::size_t begin, std::size_t count,
                    const KernelWeights& w, StepGradient& g) {
  g.sums = {};
  add_gradient(shard, order, begin, count, w, g);
}

// Overlap: the next step's gradient, computed while this step's exchange travels, in
// micro-batches (a sixteenth of the batch, at least 32 rows) with the exchange moved along
// between them (MPI moves a started collective only inside its calls). Returns the seconds the
// exchange was still in flight during the computation, as the polls saw it (to a micro-batch).
// The micro-batches depend on the batch alone, so the bits do not depend on the backend.
double gradient_ahead(const Shard& shard, const std::uint32_t* order, std::size_t begin, std::size_t count,
                      const KernelWeights& w, StepGradient& g, Communicator& comm) {
  const std::size_t micro = std::max<std::size_t>(32, (count + 15) / 16);
  const auto start = Clock::now();
  auto arrived = comm.test_allreduce() ? start : Clock::time_point::max();
  g.sums = {};
  for (std::size_t done = 0; done < count; done += micro) {
    add_gradient(shard, order, begin + done, std::min(micro, count - done), w, g);
    if (arrived == Clock::time_point::max() && comm.test_allreduce()) arrived = Clock::now();
  }
  return seconds(std::min(arrived, Clock::now()) - start);
}

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
    if (config.scale == Scaling::kMaxAbs) model.standardization = maxabs_scaling(*job.train.data, job.train.rows, &comm);
  }
  return model;
}

// After an epoch: scores the held-out rows, records the progress and the best epoch; returns
// whether training stops early.
bool end_epoch(const TrainConfig& config, const WorkerJob& job, Communicator& comm, TrainState& state,
               const PassSums& epoch_sums, double lr, Clock::time_point epoch_start, const EpochCallback& on_epoch) {
  const PassSums held =
      job.holdout.data != nullptr ? holdout_sums(job.holdout, state.model.raw_weights(), comm) : PassSums{};
  const EpochProgress progress{state.epoch,
                               epoch_sums.loss / epoch_sums.count,
                               epoch_sums.correct / epoch_sums.count,
                               held.count > 0 ? held.loss / held.count : std::nan(""),
                               held.count > 0 ? held.correct / held.count : std::nan(""),
                               lr,
                               seconds_since(epoch_start)};
  state.epochs.push_back(progress);
  if (comm.rank() == 0 && on_epoch) on_epoch(progress);
  if (config.patience == 0) {
    state.best_epoch = state.epoch;
    return false;
  }
  if (held.count == 0) throw ConfigError(fmt::format("early stopping ({}) needs held-out rows, and there are none", field("patience")));
  if (progress.holdout_loss < state.best_loss) {
    state.best_loss = progress.holdout_loss;
    state.best = state.model;
    state.best_epoch = state.epoch;
    state.epochs_since_best = 0;
    return false;
  }
  return ++state.epochs_since_best >= config.patience;
}

// Rank 0's checkpoint writer: one file at a time, in its own thread, so that no worker waits in
// a collective while the file is written; a failed write is rethrown at the next checkpoint or
// at the end of the run.
class CheckpointWriter {
 public:
  explicit CheckpointWriter(const CheckpointPlan* plan) : plan_(plan) {}
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;
  ~CheckpointWriter() {
    if (thread_.joinable()) thread_.join();
  }
  void write(TrainSnapshot snapshot) {
    finish();
    thread_ = std::thread([this, s = std::move(snapshot)] {
      try {
        write_checkpoint(*plan_, s);
      } catch (...) {
        error_ = std::current_exception();
      }
    });
  }
  // Waits for the file being written; rethrows its failure.
  void finish() {
    if (thread_.joinable()) thread_.join();
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  const CheckpointPlan* plan_;
  std::thread thread_;
  std::exception_ptr error_;
};

TrainSnapshot snapshot_of(const TrainState& state, std::size_t step_in_epoch, const PassSums& epoch_sums,
                          const Update& update) {
  return {state.epoch,      state.step, step_in_epoch,           epoch_sums, state.epochs,
          state.best_epoch, state.best_loss, state.epochs_since_best, state.best, update.save()};
}

// Stops a run whose numbers left the finite doubles, with where and a hint. Every worker holds
// the same sums and weights, so all stop at the same step.
void check_finite(bool finite, const char* what, const TrainState& state, std::size_t step, std::size_t steps,
                  double lr) {
  if (finite) return;
  throw DivergedError(fmt::format("epoch {}, step {} of {}: the {} is not finite (learning rate {:.3g}): training "
                                  "diverged; lower {}, or scale the features ({} maxabs or standardize)",
                                  state.epoch + 1, step + 1, steps, what, lr, field("lr"), field("scale")));
}

}  // namespace

WorkerResult train_worker(const TrainConfig& config, const WorkerJob& job, Communicator& comm,
                          const EpochCallback& on_epoch) {
  config.validate();
  if (comm.size() != config.workers)
    throw ConfigError("the communicator has " + std::to_string(comm.size()) + " workers, the configuration " +
                      std::to_string(config.workers));
  const Dataset& data = *job.train.data;
  const std::size_t d = data.features();
  const std::size_t rows = job.train.rows.size();
  if (config.shuffle && rows > std::numeric_limits<std::uint32_t>::max())
    throw ConfigError(fmt::format("{} supports at most 2^32 - 1 rows per worker", field("shuffle")));

  TrainState state;
  state.model = starting_model(config, job, comm);
  if (config.patience > 0) state.best = state.model;
  // Local SGD (config.sync_every != 1) on more than one worker: steps without communication,
  // the models averaged at sync points; each worker keeps its own replica (never a shared one).
  const bool local_sgd = config.sync_every != 1 && comm.size() > 1;
  TrainConfig update_config = config;
  if (local_sgd) update_config.exchange = ExchangeMode::kSparse;
  // Overlap (config.overlap) on more than one worker: the dense exchange in two halves, the next
  // step's gradient computed between them into a second buffer. Both buffers are dense vectors,
  // so sparse data takes the dense update too (its slots hold one gradient, not two).
  const bool overlap = config.overlap && comm.size() > 1;
  const std::unique_ptr<Update> update =
      make_update(update_config, state.model, data.layout() == Layout::kSparse && !overlap, comm);
  StepGradient gradient(d, update->slots(), update->stride(), update->gradient_offset(), update->touched_storage());
  StepGradient ahead(overlap ? d : 0, {}, 2);  // overlap's second buffer
  StepGradient* current = &gradient;           // this step's gradient; overlap swaps the two
  bool in_flight = false;                      // overlap: this step's exchange was started last step
  const std::unique_ptr<Exchange> exchange =
      make_exchange(config.exchange, gradient.sparse_path(), d, update->shares_model());
  DenseExchange pipeline;  // overlap's exchange

  const std::size_t steps = steps_per_epoch(largest_shard(comm, rows), config.batch);
  // Local SGD steps on one worker's batch, so at the rate of one worker's batch: lr, without the
  // linear scaling by the worker count (and so without its warm-up).
  TrainConfig schedule_config = config;
  if (local_sgd) schedule_config.workers = 1;
  const LearningRate schedule(schedule_config, steps);
  std::vector<std::uint32_t> order(config.shuffle ? rows : 0);

  std::size_t first_step = 0;  // of the first epoch run: a resumed run goes on mid-epoch
  PassSums resumed_sums;
  if (job.start_epoch > 0 && job.resume == nullptr) {
    if (job.init == nullptr || job.start_epoch >= config.epochs)
      throw ConfigError(fmt::format("a warm start at epoch {} needs an initial model and more than {} epochs (not {})",
                                    job.start_epoch, job.start_epoch, config.epochs));
    state.epoch = job.start_epoch;
    state.step = job.start_epoch * steps;
  }
  if (job.resume != nullptr) {
    const TrainSnapshot& r = *job.resume;
    if (r.step != r.epoch * steps + r.step_in_epoch || r.step_in_epoch >= steps || r.epoch > config.epochs)
      throw ConfigError(fmt::format("the checkpoint is at epoch {}, step {}, which a run of {} steps an epoch "
                                    "never reaches",
                                    r.epoch, r.step, steps));
    update->restore(r.update);
    state.epoch = r.epoch;
    state.step = r.step;
    state.epochs = r.epochs;
    state.best_epoch = r.best_epoch;
    state.best_loss = r.best_loss;
    state.epochs_since_best = r.epochs_since_best;
    if (config.patience > 0) state.best = r.best;
    update->store(state.model);
    first_step = r.step_in_epoch;
    resumed_sums = r.epoch_sums;
  }
  const CheckpointPlan* plan = job.checkpoint;
  CheckpointWriter writer(comm.rank() == 0 ? plan : nullptr);
  const bool checkpoints = plan != nullptr && (plan->every_steps > 0 || plan->every_epoch);
  if (overlap && ((checkpoints && plan->every_steps > 0) || first_step > 0))
    throw ConfigError(fmt::format("{} takes checkpoints at epochs' ends only ({} epoch), and resumes there: between "
                                  "an epoch's steps a gradient is in flight, which a checkpoint does not hold",
                                  field("overlap"), field("checkpoint_every")));
  // A checkpoint holds one model: with local SGD, only where the replicas were just averaged.
  if (local_sgd && checkpoints && plan->every_steps > 0 &&
      (config.sync_every == kSyncEveryEpoch || plan->every_steps % config.sync_every != 0))
    throw ConfigError(config.sync_every == kSyncEveryEpoch
                          ? fmt::format("{} epoch takes {} epoch: a checkpoint holds one model, which the workers "
                                        "share only at an epoch's end",
                                        field("sync_every"), field("checkpoint_every"))
                          : fmt::format("{} {} must be a multiple of {} {}: a checkpoint holds one model, which the "
                                        "workers share only where they average",
                                        field("checkpoint_every"), plan->every_steps, field("sync_every"),
                                        config.sync_every));
  // Targets: scored on the held-out rows, also between epochs every target_every steps (with
  // local SGD, where the replicas were just averaged).
  if (config.has_target() && job.holdout.data == nullptr)
    throw ConfigError(fmt::format("{} and {} are met on held-out rows, and this run has none",
                                  field("target_accuracy"), field("target_loss")));
  if (local_sgd && config.has_target() && config.target_every > 0 &&
      (config.sync_every == kSyncEveryEpoch || config.target_every % config.sync_every != 0))
    throw ConfigError(fmt::format("{} {} must be {}: the held-out rows score one model, which the workers share only "
                                  "where they average",
                                  field("target_every"), config.target_every,
                                  config.sync_every == kSyncEveryEpoch
                                      ? fmt::format("'epoch' with {} epoch", field("sync_every"))
                                      : fmt::format("a multiple of {} {}", field("sync_every"), config.sync_every)));
  const auto met = [&](double loss, double accuracy) {
    return (!std::isnan(config.target_accuracy) && accuracy >= config.target_accuracy) ||
           (!std::isnan(config.target_loss) && loss <= config.target_loss);
  };
  const auto sync_due = [&](std::size_t s) {  // after step s of the epoch (state.step its global number)
    return s + 1 == steps || (config.sync_every != kSyncEveryEpoch && (state.step + 1) % config.sync_every == 0);
  };

  WorkerResult result;
  const CommStats comm_before = comm.stats();  // count this run only
  const auto train_start = Clock::now();
  const std::size_t first_run_step = state.step;  // steps before this call: a warm start's, a resumed run's
  Clock::duration compute{};
  double touched = 0;
  Clock::duration exchanging{};
  std::uint64_t averages = 0;  // local SGD's model averages
  double hidden = 0;           // overlap: seconds an exchange travelled while the next gradient was computed
  std::uint64_t overlapped = 0;  // overlap: steps whose exchange travelled so
  // Records the target met after `done` steps, with the held-out figures that met it.
  const auto reach = [&](std::size_t done, double loss, double accuracy) {
    result.target = {true, done, static_cast<double>(done) / static_cast<double>(steps), seconds_since(train_start),
                     loss, accuracy};
  };
  while (state.epoch < config.epochs) {
    const auto epoch_start = Clock::now();
    if (config.shuffle) shuffle_shard(order, config.seed, comm.rank(), state.epoch);
    PassSums epoch_sums = first_step > 0 ? resumed_sums : PassSums{};
    PassSums unsynced;        // local SGD: this worker's sums since the last average
    bool local_finite = true;  // local SGD: this worker's loss and gradient stayed finite since then
    double lr = 0;
    const std::uint32_t* shuffled = config.shuffle ? order.data() : nullptr;
    const auto batch_of = [&](std::size_t s) {  // (begin, count) of step s's rows
      const std::size_t begin = std::min(rows, s * config.batch);
      return std::pair{begin, std::min(rows, begin + config.batch) - begin};
    };
    for (std::size_t s = std::exchange(first_step, 0); s < steps; ++s, ++state.step) {
      const auto compute_start = Clock::now();
      StepGradient& g = *current;
      if (!in_flight) {  // (overlap computed it during the last step)
        const auto [begin, count] = batch_of(s);
        local_gradient(job.train, shuffled, begin, count, update->weights(), g);
      }
      compute += Clock::now() - compute_start;

      const auto where = [&] {
        return "epoch " + std::to_string(state.epoch + 1) + ", step " + std::to_string(s + 1) + " of " +
               std::to_string(steps) + " (worker " + std::to_string(comm.rank()) + "): ";
      };
      const auto exchange_start = Clock::now();
      Clock::duration computing_ahead{};
      try {
        if (local_sgd) {
          g.form = g.sparse_path() ? StepGradient::Form::kTouched : StepGradient::Form::kDense;
        } else if (overlap) {
          if (!in_flight) pipeline.start(g, comm);  // an epoch's first step: nothing to hide it behind
          if (s + 1 < steps) {  // the next step's gradient at these weights, while this one travels
            const auto ahead_start = Clock::now();
            const auto [begin, count] = batch_of(s + 1);
            StepGradient& next = current == &gradient ? ahead : gradient;
            hidden += gradient_ahead(job.train, shuffled, begin, count, update->weights(), next, comm);
            computing_ahead = Clock::now() - ahead_start;
            ++overlapped;
          }
          pipeline.finish(g, comm);
          in_flight = false;
        } else {
          exchange->reduce(g, comm);
        }
        exchanging += Clock::now() - exchange_start - computing_ahead;
        compute += computing_ahead;
      } catch (const CommError& e) {
        throw CommError(where() + e.what());
      }

      const auto update_start = Clock::now();
      lr = schedule.at(state.step);
      if (local_sgd) {  // a worker alone cannot stop: all learn of it at the next average
        local_finite = local_finite && std::isfinite(g.sums.loss) && std::isfinite(g.sums.residual);
      } else {
        check_finite(std::isfinite(g.sums.loss), "training loss", state, s, steps, lr);
        check_finite(std::isfinite(g.sums.residual), "gradient", state, s, steps, lr);
      }
      touched += static_cast<double>(update->apply(g, lr));
      PassSums& sums = local_sgd ? unsynced : epoch_sums;
      sums.count += g.sums.count;
      sums.loss += g.sums.loss;
      sums.correct += g.sums.correct;
      compute += Clock::now() - update_start;
      if (local_sgd && sync_due(s)) {
        const auto average_start = Clock::now();
        AverageResult averaged;
        try {
          averaged = average_models(*update, comm, unsynced, local_finite);
        } catch (const CommError& e) {
          throw CommError(where() + e.what());
        }
        exchanging += Clock::now() - average_start;
        ++averages;
        check_finite(averaged.finite, "training loss or gradient of some worker", state, s, steps, lr);
        epoch_sums.count += averaged.sums.count;
        epoch_sums.loss += averaged.sums.loss;
        epoch_sums.correct += averaged.sums.correct;
        unsynced = {};
      }
      // A checkpoint every so many steps inside an epoch (one at its last step waits for the
      // epoch's end, which adds the progress line and the held-out score).
      if (checkpoints && plan->every_steps > 0 && (state.step + 1) % plan->every_steps == 0 && s + 1 < steps &&
          comm.rank() == 0) {
        ++state.step;
        writer.write(snapshot_of(state, s + 1, epoch_sums, *update));
        --state.step;
      }
      if (config.has_target() && !result.target.reached && config.target_every > 0 &&
          (state.step + 1) % config.target_every == 0 && s + 1 < steps) {  // (an epoch's end scores anyway)
        update->store(state.model);
        const PassSums held = holdout_sums(job.holdout, state.model.raw_weights(), comm);
        if (held.count > 0 && met(held.loss / held.count, held.correct / held.count)) {
          reach(state.step + 1, held.loss / held.count, held.correct / held.count);
          if (config.target_stop) {
            ++state.step;
            break;
          }
        }
      }
      if (overlap && s + 1 < steps) {  // the next step's gradient sets off (nothing else is in flight)
        const auto start = Clock::now();
        current = current == &gradient ? &ahead : &gradient;
        try {
          pipeline.start(*current, comm);
        } catch (const CommError& e) {
          throw CommError(where() + e.what());
        }
        in_flight = true;
        exchanging += Clock::now() - start;
      }
    }
    if (result.target.reached && config.target_stop) break;  // mid-epoch: the model is stored, the epoch not counted
    update->store(state.model);
    check_finite(std::isfinite(state.model.bias) &&
                     std::all_of(state.model.weights.begin(), state.model.weights.end(),
                                 [](double w) { return std::isfinite(w); }),
                 "model (a weight or the bias)", state, steps - 1, steps, lr);
    ++state.epoch;
    const bool stop = end_epoch(config, job, comm, state, epoch_sums, lr, epoch_start, on_epoch);
    if (config.has_target() && !result.target.reached &&
        met(state.epochs.back().holdout_loss, state.epochs.back().holdout_accuracy)) {
      reach(state.step, state.epochs.back().holdout_loss, state.epochs.back().holdout_accuracy);
      if (config.target_stop) break;
    }
    if (stop) break;
    if (job.stop != nullptr) {
      double stopped = job.stop->load(std::memory_order_relaxed) ? 1.0 : 0.0;
      comm.allreduce_sum({&stopped, 1});
      if (stopped > 0)
        throw Interrupted(fmt::format("training interrupted at the end of epoch {} of {}", state.epoch, config.epochs));
    }
    if (checkpoints && comm.rank() == 0 && state.epoch < config.epochs &&
        (plan->every_epoch || (plan->every_steps > 0 && state.step % plan->every_steps == 0)))
      writer.write(snapshot_of(state, 0, {}, *update));
  }
  writer.finish();
  if (update->shares_model()) {  // each worker counted the columns of its share
    std::vector<double> all = {touched};
    comm.allreduce_sum(all);
    touched = all[0];
  }
  result.train_s = seconds_since(train_start);
  result.compute_s = seconds(compute);
  result.exchange_s = seconds(exchanging);
  // A warm start counts its own steps; a resumed run those of the run it goes on with.
  result.steps = job.resume != nullptr ? state.step : state.step - first_run_step;
  result.comm = comm.stats() - comm_before;
  result.exchange = overlap ? pipeline.stats() : exchange->stats();
  if (overlap) {
    result.exchange.overlapped_steps = overlapped;
    result.exchange.hidden_s = hidden;
    result.exchange.exposed_s = seconds(exchanging);
  }
  result.exchange.model_averages = averages;
  result.exchange.local_steps = local_sgd ? state.step - first_run_step : 0;
  result.sparse_update = gradient.sparse_path();
  const std::size_t run_steps = state.step - first_run_step;  // the steps `touched` counts
  result.touched_share = run_steps > 0 ? touched / static_cast<double>(run_steps) / static_cast<double>(d) : 0.0;
  result.best_epoch = state.best_epoch;
  result.epochs = std::move(state.epochs);
  // A met target ends the run with the model that met it, early stopping's best or not.
  const bool stopped_at_target = result.target.reached && config.target_stop;
  result.model = config.patience > 0 && !stopped_at_target ? std::move(state.best) : std::move(state.model);
  if (stopped_at_target) result.best_epoch = state.epoch;  // (a target met mid-epoch: the epochs completed)
  return result;
}

}  // namespace dsgd
