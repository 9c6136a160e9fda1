#pragma once
// The sharded step (TrainConfig::exchange sharded): every column has one owner among the
// workers (column_owner: interleaved runs of 64, so popular columns spread), and each step
//  1. a worker hands each owner its gradient entries of the owner's columns (an all-to-all),
//  2. the owner sums each of its columns over the workers in the pairwise tree order (the bits
//     of the dense sum) and moves its columns only (sgd or adagrad, lazy L2, the bias from the
//     summed pass sums, which travel with every list),
//  3. the owners' new weights (and adagrad's squares) go to every worker (an all-gather), which
//     writes them into its replica.
// So a worker's share of the update falls as 1/W, and it sends its own rows' entries and its
// columns' weights. The same bits as every-step SGD with any exchange, on every backend.
// Without touched columns (dense data, or a model centred by a standardisation) it sums
// densely. Made by make_sync (strategies.cc).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dsgd/base/huge_vector.h"
#include "dsgd/train/sync/exchange.h"
#include "dsgd/train/sync/gradient_lists.h"
#include "dsgd/train/sync/sync.h"

namespace dsgd {

// The worker of `workers` that owns column j.
[[nodiscard]] constexpr std::size_t column_owner(std::size_t j, std::size_t workers) noexcept {
  return (j >> 6) % workers;
}

class ShardedSync final : public Sync {
 public:
  ShardedSync(const TrainConfig& config, const LinearModel& start, bool sparse, Communicator& comm);
  // Local SGD keeps a model per worker; the sharded step keeps one, divided (ConfigError).
  static void refuse_options(const TrainConfig& config);
  void refuse(const TrainConfig&, const CheckpointPlan*, bool) const override {}
  StepOutcome step(const StepContext& work) override;
  [[nodiscard]] bool agreed_after(std::size_t) const override { return true; }
  [[nodiscard]] ExchangeStats stats() const override;
  // (without touched columns every worker moves them all)
  [[nodiscard]] bool touched_is_share() const noexcept override { return gradient_->sparse_path(); }

 private:
  // 1: this worker's entries to their owners.
  void send_entries(StepGradient& g);
  // 2: the sum of every worker's entries of my columns into g (form kTouched), the pass sums
  // summed.
  void sum_mine(StepGradient& g);
  // 3: the weights of my columns just moved to every worker, and theirs into my replica. With
  // `failure` (what 2 found wrong in the lists it took) it sends a mark instead, so that every
  // worker throws CommError at this collective, not only the one that found it.
  void share_weights(const std::string& failure);

  std::size_t workers_;
  std::size_t rank_;
  DenseExchange dense_;  // without touched columns
  ExchangeStats stats_;
  HugeVector<std::byte> out_;           // this step's lists, one an owner
  std::vector<std::uint64_t> sizes_;    // their bytes
  std::vector<GradientList> lists_;     // the lists for my columns, by sender
  std::vector<PassSums> sums_;          // and their senders' pass sums
  ListTree tree_;
  GradientList mine_;                   // their sum: my columns this step
  HugeVector<std::byte> weights_out_;   // my columns' new weights
};

}  // namespace dsgd
