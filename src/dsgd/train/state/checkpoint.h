#pragma once
// Checkpoints: the training state at a step boundary, written so that a run resumed from it
// ends with the bits of the uninterrupted run. What is kept: the epoch and step (the rate
// schedule is a function of the step, each epoch's shuffle of the seed and the epoch), the
// pass sums of the epoch so far, the progress table, the early-stopping state and best model,
// and the update's own form of the weights (update.h: the lazy update's u, scale factor alpha,
// adagrad's squares; the dense update's weights and squares), which every worker holds alike,
// so one process writes it. A checkpoint file holds a caller's description (`meta`: the
// configuration and the data, compared on resume by the caller), then the state, then a
// checksum of everything; it is written atomically, and the last `keep` are kept.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "dsgd/model/kernel.h"
#include "dsgd/train/state/state.h"

namespace dsgd {

// The update's weights as it keeps them (Update::save / restore).
struct UpdateState {
  std::vector<double> weights;  // u (lazy) or w (dense), one a column
  std::vector<double> squares;  // adagrad's summed squares, one a column (empty with sgd)
  double alpha = 1.0;           // the lazy update's scale factor
  double bias = 0.0;
};

struct TrainSnapshot {
  std::size_t epoch = 0;          // epochs completed
  std::size_t step = 0;           // steps completed in all
  std::size_t step_in_epoch = 0;  // steps of epoch `epoch` completed (0 at an epoch boundary)
  PassSums epoch_sums;            // over those steps
  std::vector<EpochProgress> epochs;
  std::size_t best_epoch = 0;
  double best_loss = 0;
  std::size_t epochs_since_best = 0;
  LinearModel best;  // with early stopping; else empty
  UpdateState update;
};

// When and where a run writes checkpoints (every_steps 0 and every_epoch false: never).
struct CheckpointPlan {
  std::string dir;
  std::size_t every_steps = 0;
  bool every_epoch = false;
  std::size_t keep = 3;
  std::string meta;  // the caller's description of the run, stored and given back on load
};

// Writes `snapshot` into plan.dir as ckpt-<step>.dsgdckpt (atomically) and removes all but the
// plan.keep newest; throws InputError naming the file.
void write_checkpoint(const CheckpointPlan& plan, const TrainSnapshot& snapshot);

struct LoadedCheckpoint {
  std::string path;
  std::string meta;
  TrainSnapshot snapshot;
};

// The newest checkpoint in `dir` (by step); throws InputError when there is none, or when it is
// truncated or corrupt (its checksum), naming the file.
[[nodiscard]] LoadedCheckpoint load_latest_checkpoint(const std::string& dir);

// The bytes of a checkpoint file and back (for sending one process's load to the others).
[[nodiscard]] std::string checkpoint_bytes(const std::string& meta, const TrainSnapshot& snapshot);
[[nodiscard]] LoadedCheckpoint parse_checkpoint(const std::string& path, std::string_view bytes);

}  // namespace dsgd
