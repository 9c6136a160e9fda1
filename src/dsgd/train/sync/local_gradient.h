#pragma once
// A worker's share of a step: the gradient sum of its rows of the step, at the weights the
// update gives the kernel. Used by the synchronisation strategies (sync.h).
#include <cstddef>
#include <cstdint>

#include "dsgd/comm/communicator.h"
#include "dsgd/data/dataset.h"
#include "dsgd/train/update/step_gradient.h"
#include "dsgd/train/update/update.h"

namespace dsgd {

// Rows [rows.begin, rows.end) of `data`; data == nullptr means none.
struct Shard {
  const Dataset* data = nullptr;
  RowRange rows;
};

// Rows of a shard by their position in it (in its shuffled order when there is one).
struct RowSpan {
  std::size_t begin = 0;
  std::size_t count = 0;
};

// The gradient sum over `rows` of the shard (`order`: its shuffled order, or null) into g,
// emptied first.
void local_gradient(const Shard& shard, const std::uint32_t* order, RowSpan rows, const KernelWeights& w,
                    StepGradient& g);

// The same while a started exchange travels (overlap): in micro-batches (a sixteenth of the
// rows, at least 32) with the exchange moved along between them (MPI moves a started
// collective only inside its calls). Returns the seconds the exchange was still in flight
// during the computation, as the polls saw it. The micro-batches depend on the rows alone, so
// the bits do not depend on the backend.
double gradient_ahead(const Shard& shard, const std::uint32_t* order, RowSpan rows, const KernelWeights& w,
                      StepGradient& g, Communicator& comm);

}  // namespace dsgd
