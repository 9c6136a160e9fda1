#pragma once
// The registry of synchronisation strategies (sync.h): which one a configuration asks for.
// Called once a run by the loop (trainer.cc); a new strategy adds its line to make_sync.
#include <memory>

#include "dsgd/comm/communicator.h"
#include "dsgd/model/linear_model.h"
#include "dsgd/train/config/config.h"
#include "dsgd/train/sync/sync.h"

namespace dsgd {

// The strategy `config` asks for on `comm` (local SGD and overlap need more than one worker:
// with one they are every-step SGD), with its update from `start` for data stored `sparse`. A
// collective (the update may share memory between the workers).
[[nodiscard]] std::unique_ptr<Sync> make_sync(const TrainConfig& config, const LinearModel& start, bool sparse,
                                              Communicator& comm);

}  // namespace dsgd
