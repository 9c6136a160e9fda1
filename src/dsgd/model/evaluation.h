#pragma once
// Scoring a model over rows held by several processes or workers (a Communicator's members
// each hold theirs): the figures one process would give over all the rows in order. Called by
// training (held-out scores), fit and the apps' eval, predict and --test.
#include "dsgd/comm/communicator.h"
#include "dsgd/data/dataset.h"
#include "dsgd/model/linear_model.h"
#include "dsgd/model/metrics.h"

namespace dsgd {

// Metrics of the model over every process's `local` rows together.
[[nodiscard]] Metrics evaluate_on_cluster(const Dataset& local, const LinearModel& model, Communicator& comm);

// The full evaluation of the model over every process's `local` rows together, in row order:
// the same figures evaluate_scores gives over all rows in one process. Every score is gathered
// to every process (score and label, 16 bytes a row), which the ROC AUC's ranking needs.
[[nodiscard]] Evaluation evaluate_all(const Dataset& local, const LinearModel& model, Communicator& comm);

}  // namespace dsgd
