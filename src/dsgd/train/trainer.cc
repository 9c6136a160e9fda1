#include "dsgd/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>

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

}  // namespace

std::size_t steps_per_epoch(std::size_t global_rows, int workers, std::size_t batch) noexcept {
  const std::size_t w = static_cast<std::size_t>(workers);
  const std::size_t largest_shard = (global_rows + w - 1) / w;
  return std::max<std::size_t>(1, (largest_shard + batch - 1) / batch);
}

WorkerResult train_worker(const TrainConfig& config, const Shard& shard, Communicator& comm,
                          const EpochCallback& on_epoch) {
  config.validate();
  if (comm.size() != config.workers)
    throw ConfigError("the communicator has " + std::to_string(comm.size()) + " workers, the configuration " +
                      std::to_string(config.workers));
  const Dataset& data = *shard.data;
  const std::size_t d = data.features();
  const std::size_t rows = shard.rows.size();
  if (config.shuffle && rows > std::numeric_limits<std::uint32_t>::max())
    throw ConfigError("--shuffle supports at most 2^32 - 1 rows per worker");

  const std::size_t steps = steps_per_epoch(shard.global_rows, config.workers, config.batch);
  const auto warmup_steps = static_cast<std::size_t>(std::llround(config.warmup_epochs * static_cast<double>(steps)));
  const LinearWarmup schedule(config.lr, config.workers, warmup_steps);

  WorkerResult result;
  result.weights.assign(d, 0.0);
  std::vector<double>& w = result.weights;
  // The reduced vector: the gradient sum, then the PassSums (count, loss, correct).
  std::vector<double> buffer(d + 3);
  std::vector<std::uint32_t> order(config.shuffle ? rows : 0);

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
      PassSums sums;
      data.visit([&](const auto& view) {
        const auto local = view.slice(shard.rows.begin, shard.rows.end);
        if (config.shuffle) {
          accumulate_gradient(local, order.data() + begin, count, w, std::span(buffer).first(d), sums);
        } else {
          accumulate_gradient(local.slice(begin, begin + count), nullptr, count, w, std::span(buffer).first(d), sums);
        }
      });
      buffer[d] = sums.count;
      buffer[d + 1] = sums.loss;
      buffer[d + 2] = sums.correct;
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
        for (std::size_t j = 0; j < d; ++j) w[j] -= scale * buffer[j];
      }
      epoch_sums.count += buffer[d];
      epoch_sums.loss += buffer[d + 1];
      epoch_sums.correct += buffer[d + 2];
      compute += Clock::now() - update_start;
    }
    const EpochProgress progress{epoch + 1, epoch_sums.loss / epoch_sums.count,
                                 epoch_sums.correct / epoch_sums.count, lr, seconds_since(epoch_start)};
    result.epochs.push_back(progress);
    if (comm.rank() == 0 && on_epoch) on_epoch(progress);
  }
  result.train_s = seconds_since(train_start);
  result.compute_s = seconds(compute);
  result.steps = step;
  result.comm = comm.stats() - comm_before;
  return result;
}

}  // namespace dsgd
