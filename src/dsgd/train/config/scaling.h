#pragma once
// How features are scaled before training: none, by each feature's largest |x| (sparse data:
// no shift, so zeros stay zeros), or standardised (dense data: mean and standard deviation).
// Either way the model keeps raw-space scores: the transform is stored as a Standardization
// (maxabs: mean 0) and folded into the weights (linear_model.h).
#include "dsgd/comm/communicator.h"
#include "dsgd/data/dataset.h"
#include "dsgd/model/linear_model.h"
#include "dsgd/train/config/config.h"

namespace dsgd {

// The maxabs scaling of the features of rows `rows` of `data` (with `comm`, those of every
// worker of the group together, a collective): feature j is divided by its largest |x| rounded up to a power
// of two, so that every scaled value lies in [-1, 1] and dividing by the scale (and folding it
// into the weights) is exact in floating point; a feature that is 0 in every row gets 1.
[[nodiscard]] Standardization maxabs_scaling(const Dataset& data, RowRange rows, Communicator& comm);

// The smallest power of two >= m (m > 0 and finite), or 1 for m == 0 or not finite.
[[nodiscard]] double power_of_two_scale(double m) noexcept;

// Whether some value of `data` has |x| > 1 in any worker's rows of `comm` (a collective).
[[nodiscard]] bool has_values_beyond_one(const Dataset& data, Communicator& comm);

// The scaling a model's standardisation stands for: none, maxabs (every mean 0) or standardize.
[[nodiscard]] Scaling scaling_of(const LinearModel& model) noexcept;

}  // namespace dsgd
