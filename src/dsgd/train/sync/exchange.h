#pragma once
// How the every-step synchronisation (sync/every_step.h) sums the workers' gradients: what is
// sent, and in which form; one class a way (dense, sparse, shared, auto; the table in
// docs/design.md, "Sparse, wide data"), behind the Exchange seam. The sharded exchange, which
// also divides the update, is a strategy of its own (sync/sharded.h).
//
// Contract. reduce() is a collective: every worker calls it once per step, in the same step,
// with its own StepGradient (step_gradient.h), and afterwards every worker holds the same sum
// over all workers, bit for bit, whichever strategy ran: the sums follow the pairwise tree over
// the global worker index (tree_sum) in every coordinate, so a coordinate that only some
// workers touched adds up exactly as in the dense sum, where the others add +0. Dense data has
// no touched sets: its exchange is always dense. Overlap (sync/overlap.h) runs the dense
// exchange in two halves (DenseExchange::start and finish).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "dsgd/comm/communicator.h"
#include "dsgd/train/config/config.h"
#include "dsgd/train/update/step_gradient.h"

namespace dsgd {

// What a run's synchronisation sent, and how often (each strategy fills its own fields).
struct ExchangeStats {
  std::uint64_t dense_steps = 0;
  std::uint64_t sparse_steps = 0;
  std::uint64_t shared_steps = 0;
  std::uint64_t sharded_steps = 0;
  std::uint64_t entries = 0;  // (index, value) pairs the workers' lists held in sparse steps, all together
  // This worker's: gradient entries it sent to other workers (an entry sent to 3 counts 3) and
  // took from them, and (sharded) updated weights it sent and took.
  std::uint64_t entries_sent = 0;
  std::uint64_t entries_received = 0;
  std::uint64_t weights_sent = 0;
  std::uint64_t weights_received = 0;
  // Local SGD (sync/local_sgd.h): steps taken without an exchange, and the model averages
  // between them.
  std::uint64_t local_steps = 0;
  std::uint64_t model_averages = 0;
  // Overlap (TrainConfig::overlap): steps whose exchange travelled while the next step's
  // gradient was computed; the seconds it was in flight during that computation (hidden), and
  // the seconds the workers still spent starting it and waiting for it (exposed).
  std::uint64_t overlapped_steps = 0;
  double hidden_s = 0;
  double exposed_s = 0;
};

class Exchange {
 public:
  Exchange() = default;
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;
  virtual ~Exchange() = default;

  virtual void reduce(StepGradient& gradient, Communicator& comm) = 0;
  [[nodiscard]] const ExchangeStats& stats() const noexcept { return stats_; }

 protected:
  ExchangeStats stats_;
};

// The dense strategy: one allreduce of the d-vector and the pass sums. Also in two halves, for
// overlap: start() sends the gradient (the allreduce then travels while the worker computes;
// Communicator::test_allreduce moves it along), finish() waits and leaves the sum in `g` as
// reduce() does. Between the two, `g` must stay untouched and no other collective may run.
class DenseExchange final : public Exchange {
 public:
  void reduce(StepGradient& g, Communicator& comm) override { (void)reduce_counting(g, comm, false); }
  // With count_touched, finish() also returns the workers' touched columns in all (the auto
  // strategy's measure).
  std::uint64_t reduce_counting(StepGradient& g, Communicator& comm, bool count_touched);
  void start(StepGradient& g, Communicator& comm, bool count_touched = false);
  std::uint64_t finish(StepGradient& g, Communicator& comm);

 private:
  bool counting_ = false;
};

// The strategy for `mode`; with dense data (no touched sets) every mode exchanges densely, and
// with a shared model (`shared_model`, which make_update decided) it is the shared exchange.
// Sharded (sync/sharded.h) comes here with one worker only, and takes lists (the sum of one).
[[nodiscard]] std::unique_ptr<Exchange> make_exchange(ExchangeMode mode, bool sparse_path, std::size_t d,
                                                      bool shared_model);

// Whether the auto strategy sends lists for a step after one in which the workers touched
// `entries` coordinates in all (counted once per worker that touched them), with d coordinates.
[[nodiscard]] bool sparse_is_cheaper(std::uint64_t entries, std::size_t d) noexcept;

}  // namespace dsgd
