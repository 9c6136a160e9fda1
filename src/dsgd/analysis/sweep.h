#pragma once
// A scaling study's sweep: every combination of the swept settings (--vary: a synthetic-data
// setting, a configuration field, or the backend) from each starting point, at every worker
// count, each point timed after a warm-up and recorded in a Study (study.h). Points on this
// process's threads run here; points on a backend of processes are the caller's (`dsgd study`
// starts a job of `dsgd train` for each run). Called by `dsgd study`.
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dsgd/analysis/study.h"
#include "dsgd/analysis/study_points.h"
#include "dsgd/data/synthetic.h"
#include "dsgd/train/config/config.h"
#include "dsgd/train/config/defaults.h"

namespace dsgd {

// One axis of --vary: a data setting, a configuration field or "backend", and its values.
struct Axis {
  std::string name;
  std::vector<std::string> values;
};

// The backends a study sweeps: threads (this process), mpi, hybrid, hosts (jobs of processes).
[[nodiscard]] bool is_backend(std::string_view name) noexcept;
// Whether --vary `name` sweeps a synthetic-data setting (data/synthetic_fields.h; not the seed).
[[nodiscard]] bool is_data_axis(std::string_view name) noexcept;
// "NAME=V1,V2,...", every value checked now (the field's own parser), not after an hour of
// sweeping; throws ConfigError naming --vary NAME.
[[nodiscard]] Axis parse_axis(const std::string& text);
// "a,b,c": the values, none empty; throws ConfigError naming `what`.
[[nodiscard]] std::vector<std::string> split_list(const std::string& text, const std::string& what);

// A study's starting point: the data and configuration every --vary combination starts from.
struct Base {
  std::string label;
  SyntheticSpec spec;
  TrainConfig config;
};
// "1M", "150k", "1234": a count of rows for a label.
[[nodiscard]] std::string size_label(std::size_t n);
// The seed report's three experiments: 1M x 20, 8 epochs, batch 8192; 150k x 64, 6 epochs,
// warm-up 3; 600k x 256, batch 16384.
[[nodiscard]] std::vector<Base> seed_bases(const SyntheticSpec& spec, const TrainConfig& config);

// A point on a backend of processes (the caller runs its jobs), for the synthetic data `spec`
// (its rows made for this point) or the data file; nullopt when the backend skips it here.
// `label` names the point's series for a line saying why it was skipped.
using JobPoint = std::function<std::optional<StudyPoint>(const SyntheticSpec& spec, const TrainConfig& config,
                                                         const std::string& backend, int workers,
                                                         const std::string& label)>;

struct SweepPlan {
  std::vector<Axis> axes;
  std::vector<int> workers;
  bool weak = false;  // --scaling weak: spec.samples rows a worker
  int warmup = 1;
  int repeat = 5;
  bool convergence = true;      // one more run a point, scoring the held-out rows every epoch
  bool test_samples_given = false;  // else a fifth of the rows
  std::size_t max_memory = 0;  // a synthetic point that needs more is refused (0: what is available)
  const FileStudy* file = nullptr;  // a study on a data file (no data axes, strong scaling)
  GivenField given_or_varied;  // a file's points take the data's defaults for the other fields
  JobPoint job_point;
  std::function<void(const StudyPoint& point, const std::string& label)> on_point;

  [[nodiscard]] const Axis* axis(std::string_view name) const;
};

// The synthetic rows of a point of `workers` workers: weak scaling grows them; the test rows
// are a fifth of them unless given. Throws ConfigError for data that cannot be made.
[[nodiscard]] SyntheticSpec point_spec(const SweepPlan& plan, SyntheticSpec spec, int workers);

// Every point of every base into study.points (study.cores: the cores the points may use).
void sweep(const SweepPlan& plan, std::span<const Base> bases, Study& study);

}  // namespace dsgd
