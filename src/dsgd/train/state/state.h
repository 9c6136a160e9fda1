#pragma once
// The training state of one worker: with the update's weights (Update::save) and the epoch's
// pass sums so far, everything a checkpoint needs to go on from a step boundary (checkpoint.h).
// Every worker holds the same bits.
#include <cstddef>
#include <limits>
#include <vector>

#include "dsgd/model/linear_model.h"

namespace dsgd {

// One line of the progress table: the epoch's progressive loss and accuracy (each row scored
// with the weights before the step that used it, summed over all workers), and the held-out
// loss and accuracy after the epoch (NaN without held-out rows).
struct EpochProgress {
  std::size_t epoch = 0;  // 1-based
  double loss = 0;
  double accuracy = 0;
  double holdout_loss = 0;
  double holdout_accuracy = 0;
  double lr = 0;          // rate of the epoch's last step
  double time_s = 0;      // seconds this epoch took
};

// Where a run met its target (TrainConfig::target_accuracy, target_loss) on the held-out rows.
struct TargetResult {
  bool reached = false;
  std::size_t step = 0;  // steps done when it was found (a resumed run's count includes the run before)
  double epoch = 0;      // those steps in epochs
  double time_s = 0;     // seconds from the run's first step (the held-out scoring included)
  double holdout_loss = 0;
  double holdout_accuracy = 0;
};

struct TrainState {
  LinearModel model;        // after `step` steps (brought up to date at every epoch's end)
  std::size_t epoch = 0;    // epochs completed
  std::size_t step = 0;     // steps completed: the position in the rate schedule
  // Early stopping: the best held-out epoch so far, its loss and model, and the epochs since.
  std::size_t best_epoch = 0;
  double best_loss = std::numeric_limits<double>::infinity();
  LinearModel best;
  std::size_t epochs_since_best = 0;
  std::vector<EpochProgress> epochs;  // one per completed epoch
};

}  // namespace dsgd
