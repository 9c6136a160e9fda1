#include "dsgd/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>

#include <fmt/format.h>

#include "dsgd/data/rng.h"
#include "dsgd/error.h"
#include "dsgd/model/kernel.h"
#include "dsgd/timer.h"
#include "dsgd/train/schedule.h"

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

// Every worker's row count, summed into one vector (each fills its own slot) and reduced to the
// largest: the shard that sets the number of steps.
std::size_t largest_shard(Communicator& comm, std::size_t rows) {
  std::vector<double> all(static_cast<std::size_t>(comm.size()), 0.0);
  all[static_cast<std::size_t>(comm.rank())] = static_cast<double>(rows);
  comm.allreduce_sum(all);
  return static_cast<std::size_t>(*std::max_element(all.begin(), all.end()));
}

// Mean and standard deviation of every feature over all workers' training rows.
Standardization global_standardization(const Shard& shard, std::size_t d, Communicator& comm) {
  std::vector<double> sums(2 * d + 1, 0.0);
  if (shard.data != nullptr) {
    add_moments(*shard.data, shard.rows, std::span(sums).first(d), std::span(sums).subspan(d, d));
    sums[2 * d] = static_cast<double>(shard.rows.size());
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

void add_moments(const Dataset& data, RowRange rows, std::span<double> sum, std::span<double> sum_squares) {
  data.visit([&](const auto& view) {
    using View = std::decay_t<decltype(view)>;
    if constexpr (requires { view.offsets; }) {
      for (std::uint64_t k = view.offsets[rows.begin]; k < view.offsets[rows.end]; ++k) {
        const auto x = static_cast<double>(view.value[k]);
        sum[view.index[k]] += x;
        sum_squares[view.index[k]] += x * x;
      }
    } else {
      static_assert(std::is_same_v<View, DenseView<float>> || std::is_same_v<View, DenseView<double>>);
      for (std::size_t i = rows.begin; i < rows.end; ++i) {
        const auto* row = view.row(i);
        for (std::size_t j = 0; j < view.cols; ++j) {
          const auto x = static_cast<double>(row[j]);
          sum[j] += x;
          sum_squares[j] += x * x;
        }
      }
    }
  });
}

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
    throw ConfigError("--shuffle supports at most 2^32 - 1 rows per worker");

  WorkerResult result;
  LinearModel& model = result.model;
  if (job.init != nullptr) {
    if (job.init->features() != d)
      throw ConfigError(fmt::format("the initial model has {} features, the data {}", job.init->features(), d));
    model = *job.init;
    if (!config.bias) model.bias = 0;
  } else {
    model.weights.assign(d, 0.0);
    if (config.standardize) model.standardization = global_standardization(job.train, d, comm);
  }
  const Standardization* standardization = model.standardization ? &*model.standardization : nullptr;

  const std::size_t steps = steps_per_epoch(largest_shard(comm, rows), config.batch);
  const LearningRate schedule(config, steps);

  std::vector<double>& w = model.weights;
  RawWeights raw;
  // The reduced vector: the gradient sum, then the PassSums (count, loss, correct, residual).
  std::vector<double> buffer(d + 4);
  std::vector<std::uint32_t> order(config.shuffle ? rows : 0);
  const bool early_stop = config.patience > 0;
  LinearModel best = model;
  double best_loss = std::numeric_limits<double>::infinity();
  std::size_t epochs_since_best = 0;

  const CommStats comm_before = comm.stats();  // count this run only
  const auto train_start = Clock::now();
  Clock::duration compute{};
  std::size_t step = 0;
  for (std::size_t epoch = 0; epoch < config.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    if (config.shuffle) shuffle_shard(order, config.seed, comm.rank(), epoch);
    PassSums epoch_sums;
    double lr = 0;
    for (std::size_t s = 0; s < steps; ++s, ++step) {
      const auto compute_start = Clock::now();
      const std::size_t begin = std::min(rows, s * config.batch);
      const std::size_t count = std::min(rows, begin + config.batch) - begin;
      std::fill(buffer.begin(), buffer.end(), 0.0);
      if (standardization != nullptr) model.raw_weights(raw);
      const std::span<const double> weights = standardization != nullptr ? raw.weights : w;
      const double bias = standardization != nullptr ? raw.bias : model.bias;
      PassSums sums;
      data.visit([&](const auto& view) {
        const auto local = view.slice(job.train.rows.begin, job.train.rows.end);
        const std::span<double> grad = std::span(buffer).first(d);
        if (config.shuffle) {
          accumulate_gradient(local, order.data() + begin, count, weights, bias, grad, sums);
        } else {
          accumulate_gradient(local.slice(begin, begin + count), nullptr, count, weights, bias, grad, sums);
        }
      });
      buffer[d] = sums.count;
      buffer[d + 1] = sums.loss;
      buffer[d + 2] = sums.correct;
      buffer[d + 3] = sums.residual;
      compute += Clock::now() - compute_start;

      try {
        comm.allreduce_sum(buffer);
      } catch (const CommError& e) {
        throw CommError("epoch " + std::to_string(epoch + 1) + ", step " + std::to_string(s + 1) + " of " +
                        std::to_string(steps) + " (worker " + std::to_string(comm.rank()) + "): " + e.what());
      }

      const auto update_start = Clock::now();
      lr = schedule.at(step);
      const double global_count = buffer[d];
      if (global_count > 0) {
        const double scale = lr / global_count;
        const double residual = buffer[d + 3];
        if (standardization != nullptr) {  // d/dw_j of the loss on (x - mean) / scale
          for (std::size_t j = 0; j < d; ++j) {
            buffer[j] = (buffer[j] - standardization->mean[j] * residual) / standardization->scale[j];
          }
        }
        if (config.l2 > 0) {
          const double decay = lr * config.l2;
          for (std::size_t j = 0; j < d; ++j) w[j] -= scale * buffer[j] + decay * w[j];
        } else {
          for (std::size_t j = 0; j < d; ++j) w[j] -= scale * buffer[j];
        }
        if (config.bias) model.bias -= scale * residual;
      }
      epoch_sums.count += buffer[d];
      epoch_sums.loss += buffer[d + 1];
      epoch_sums.correct += buffer[d + 2];
      compute += Clock::now() - update_start;
    }
    const PassSums held = job.holdout.data != nullptr ? holdout_sums(job.holdout, model.raw_weights(), comm) : PassSums{};
    const EpochProgress progress{epoch + 1,
                                 epoch_sums.loss / epoch_sums.count,
                                 epoch_sums.correct / epoch_sums.count,
                                 held.count > 0 ? held.loss / held.count : std::nan(""),
                                 held.count > 0 ? held.correct / held.count : std::nan(""),
                                 lr,
                                 seconds_since(epoch_start)};
    result.epochs.push_back(progress);
    if (comm.rank() == 0 && on_epoch) on_epoch(progress);
    result.best_epoch = epoch + 1;
    if (early_stop) {
      if (held.count == 0) throw ConfigError("early stopping (--patience) needs held-out rows, and there are none");
      if (progress.holdout_loss < best_loss) {
        best_loss = progress.holdout_loss;
        best = model;
        epochs_since_best = 0;
      } else if (++epochs_since_best >= config.patience) {
        break;
      }
    }
  }
  if (early_stop) {
    result.best_epoch = result.epochs.size() - epochs_since_best;
    model = std::move(best);
  }
  result.train_s = seconds_since(train_start);
  result.compute_s = seconds(compute);
  result.steps = step;
  result.comm = comm.stats() - comm_before;
  return result;
}

}  // namespace dsgd
