#pragma once
// The update: how a worker's weights move with each step's summed gradient (sgd or adagrad, L2),
// and the form it keeps them in between steps. Every worker applies the same update to its own
// copy, so all hold the same bits. Made by make_update for a run's synchronisation (sync/).
//  - DenseUpdate: every step moves all d weights (dense data, or a model standardised with means).
//  - LazyUpdate: a sparse step moves only the columns it touched, the weights kept as alpha * u
//    beside the gradient's slots (step_gradient.h); with l2 = 0 and no scaling it is exactly
//    the dense update. On a shared model (threads) each touched column is moved by one worker,
//    summing the replicas' gradients in the workers' tree order.
// docs/design.md ("Sparse, wide data") gives the formulas and the layout.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "dsgd/comm/communicator.h"
#include "dsgd/model/linear_model.h"
#include "dsgd/train/state/checkpoint.h"
#include "dsgd/train/config/config.h"
#include "dsgd/train/update/step_gradient.h"

namespace dsgd {

// The weights the kernel reads: z = scale * (x . weights) + bias, the weights in `weights`
// (dense path) or in the step gradient's slots (sparse path).
struct KernelWeights {
  std::span<const double> weights;
  double scale = 1.0;
  double bias = 0.0;
};

class Update {
 public:
  Update() = default;
  Update(const Update&) = delete;
  Update& operator=(const Update&) = delete;
  virtual ~Update() = default;

  // The interleaved slots of the sparse path (empty on the dense path), stride() values a column
  // (weight, gradient, and adagrad's summed squares), for the step's StepGradient: the update
  // owns them.
  [[nodiscard]] virtual std::span<double> slots() noexcept = 0;
  [[nodiscard]] virtual std::size_t stride() const noexcept = 0;
  // This worker's gradient in a column's slots, and where its touched set keeps its bits (empty:
  // its own storage).
  [[nodiscard]] virtual std::size_t gradient_offset() const noexcept { return 1; }
  [[nodiscard]] virtual std::span<std::uint64_t> touched_storage() noexcept { return {}; }
  // Whether the workers keep one model in shared memory, each applying the summed gradient to
  // its share of the columns (then apply() returns the columns of its share).
  [[nodiscard]] virtual bool shares_model() const noexcept { return false; }
  // The weights for the next step's kernel (valid until the next apply).
  [[nodiscard]] virtual KernelWeights weights() = 0;
  // Applies the step's global gradient at rate lr and leaves `g` zero (its touched set empty).
  // Returns how many coordinates the gradient touched (non-zero ones, for a dense result).
  virtual std::size_t apply(StepGradient& g, double lr) = 0;
  // Writes the model the weights stand for into `model` (the feature scaling kept as a
  // mean-free standardisation), reusing its storage.
  virtual void store(LinearModel& model) const = 0;
  // The weights in the update's own form, for a checkpoint, and back (between steps; restore
  // throws ConfigError when the state is of another size or optimizer).
  [[nodiscard]] virtual UpdateState save() const = 0;
  virtual void restore(const UpdateState& state) = 0;
};

// The replica size from which auto shares the model: below it the replicas sit in the cores'
// caches, where a column written by another core costs more than copying lists (on the
// project's 2-core VM, 2 workers on 40 non-zeros a row: lists ahead up to 2^18 columns, even at
// 2^20, shared ahead at 2^22).
inline constexpr std::size_t kSharedFromBytes = std::size_t{32} << 20;

// The update for `config` starting from `start`, on data stored `sparse_data`: lazy when the
// data is sparse and the start model has no standardisation with a non-zero mean. A collective:
// the lazy update with exchange shared, or auto with replicas of kSharedFromBytes or more,
// shares the model between workers that can share memory (comm.shared_block); shared where
// they cannot is a ConfigError. The update refers to `config`, which must outlive it.
[[nodiscard]] std::unique_ptr<Update> make_update(const TrainConfig& config, const LinearModel& start,
                                                  bool sparse_data, Communicator& comm);

}  // namespace dsgd
