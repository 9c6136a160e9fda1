#include "dsgd/train/state/resume.h"

#include <fmt/format.h>

#include <filesystem>

#include "dsgd/base/atomic_file.h"
#include "dsgd/base/error.h"
#include "dsgd/train/config/config.h"

namespace dsgd {

std::string first_difference(const nlohmann::json& a, const nlohmann::json& b, const std::string& prefix) {
  if (a.is_object() && b.is_object()) {
    for (const auto& [key, value] : a.items()) {
      if (key == "path") continue;
      const std::string name = prefix.empty() ? key : prefix + "." + key;
      if (!b.contains(key)) return name;
      if (std::string d = first_difference(value, b.at(key), name); !d.empty()) return d;
    }
    for (const auto& [key, value] : b.items()) {
      if (key != "path" && !a.contains(key)) return prefix.empty() ? key : prefix + "." + key;
    }
    return {};
  }
  return a == b ? std::string() : (prefix.empty() ? std::string("(all)") : prefix);
}

JobOf Checkpoints::added_to(JobOf jobs) const {
  if (!plan && !resume) return jobs;
  return [inner = std::move(jobs), this](int worker) {
    WorkerJob job = inner(worker);
    job.checkpoint = plan ? &*plan : nullptr;
    job.resume = resume ? &*resume : nullptr;
    return job;
  };
}

namespace {

// Rank 0's checkpoint of `dir`, checked against `meta`, on every process.
TrainSnapshot load_resume(const std::string& dir, const nlohmann::json& meta, Cluster& cluster) {
  std::string bytes, failure, failed_file, path;
  if (cluster.rank() == 0) {
    try {
      LoadedCheckpoint loaded = load_latest_checkpoint(dir);
      const std::string differs = first_difference(nlohmann::json::parse(loaded.meta, nullptr, false), meta);
      if (!differs.empty())
        throw InputError(loaded.path, 0,
                         fmt::format("written by another run: its {} differs from this one's (resume with the data "
                                     "and options that wrote it)",
                                     differs));
      bytes = checkpoint_bytes(loaded.meta, loaded.snapshot);
      path = loaded.path;
    } catch (const InputError& e) {
      failure = e.message();
      failed_file = e.file();
    }
  }
  failure = broadcast_text(cluster.comm(), failure, 0);
  failed_file = broadcast_text(cluster.comm(), failed_file, 0);
  if (!failure.empty()) throw SharedInputError(failed_file, 0, failure);
  bytes = broadcast_text(cluster.comm(), bytes, 0);
  path = broadcast_text(cluster.comm(), path, 0);
  return parse_checkpoint(path, bytes).snapshot;
}

}  // namespace

Checkpoints prepare_checkpoints(const CheckpointSettings& settings, const nlohmann::json& meta, Cluster& cluster) {
  Checkpoints out;
  if (!settings.dir.empty()) {
    CheckpointPlan plan{settings.dir, 0, false, settings.keep, meta.dump()};
    plan.every_steps = parse_steps_or_epoch("--checkpoint-every", settings.every);
    plan.every_epoch = plan.every_steps == 0;
    if (cluster.rank() == 0) {  // a folder that cannot take the files fails now, not after the first epoch
      std::error_code ec;
      std::filesystem::create_directories(plan.dir, ec);
      if (ec) throw InputError(plan.dir, 0, "cannot create the checkpoint folder: " + ec.message());
      (void)AtomicFile((std::filesystem::path(plan.dir) / "ckpt-000000000000.dsgdckpt").string());
    }
    out.plan = std::move(plan);
  }
  if (!settings.resume.empty()) out.resume = load_resume(settings.resume, meta, cluster);
  return out;
}

}  // namespace dsgd
