#pragma once
// The registry of synchronisation strategies (sync.h): which one a configuration asks for, and
// the option combinations each refuses. make_sync is called once a run by the loop
// (trainer.cc); check_config by every front end before any work. A new strategy adds its line
// to make_sync (and to check_config, if it refuses options).
#include <memory>

#include "dsgd/comm/communicator.h"
#include "dsgd/model/linear_model.h"
#include "dsgd/train/config/config.h"
#include "dsgd/train/sync/exchange_cost.h"
#include "dsgd/train/sync/sync.h"

namespace dsgd {

// The strategy `config` asks for on `comm` (local SGD and overlap need more than one worker:
// with one they are every-step SGD), with its update from `start` for data stored `sparse`. A
// collective (the update may share memory between the workers).
// TrainConfig::validate (each field's range, the rules between fields), then the option
// combinations each strategy refuses (its refuse_options); throws ConfigError.
void check_config(const TrainConfig& config);

// Where `config` leaves the exchange to auto (several workers, sparse data with a sparse update,
// every-step sync): sharded or not, by the cost of a step of the run's first batch
// (exchange_cost.h), with one line saying why; otherwise `config`'s own, and no line. A
// collective: every worker gets the same choice.
[[nodiscard]] ExchangeChoice choose_exchange_for(const TrainConfig& config, const Shard& shard,
                                                 const LinearModel& start, Communicator& comm);

[[nodiscard]] std::unique_ptr<Sync> make_sync(const TrainConfig& config, const LinearModel& start, bool sparse,
                                              Communicator& comm);

}  // namespace dsgd
