#pragma once
// A run's checkpoints and where it resumes: the plan of checkpoints to write (--checkpoint,
// --checkpoint-every, --keep-checkpoints) and the state to go on from (--resume), refused
// unless the checkpoint was written by a run of the same description. Every process of a
// cluster calls prepare_checkpoints alike; rank 0 reads the checkpoint and sends it to the
// others, and a failure ends them all with rank 0's message. Called by `dsgd train FILE`.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "dsgd/comm/cluster.h"
#include "dsgd/train/loop/run.h"
#include "dsgd/train/state/checkpoint.h"

namespace dsgd {

struct CheckpointSettings {
  std::string dir;             // --checkpoint DIR ("": none written)
  std::string every = "epoch";  // STEPS or epoch
  std::size_t keep = 3;
  std::string resume;  // --resume DIR ("": a fresh start)
};

struct Checkpoints {
  std::optional<CheckpointPlan> plan;
  std::optional<TrainSnapshot> resume;

  // `jobs` with this plan and this state in every worker's job (kept alive by the caller).
  [[nodiscard]] JobOf added_to(JobOf jobs) const;
};

// The plan (its folder made and checked writable now, not after an epoch) and the state to
// resume from, for a run described by `meta` (the dsgd version, configuration, data, ...): a
// checkpoint whose description differs in any key but "path" is refused, naming the key.
[[nodiscard]] Checkpoints prepare_checkpoints(const CheckpointSettings& settings, const nlohmann::json& meta,
                                              Cluster& cluster);

// The first key (a.b.c) whose values differ between two JSON objects, or "" when none does;
// keys named "path" are not compared (where the data lies may differ between two runs on it).
[[nodiscard]] std::string first_difference(const nlohmann::json& a, const nlohmann::json& b,
                                           const std::string& prefix = "");

}  // namespace dsgd
