#pragma once
// What `train` and `bench` share: generating the train/test sets, and one scored, bounded run.
#include <string>

#include "dsgd/data/dataset.h"
#include "dsgd/report/report.h"
#include "options.h"

namespace dsgd::cli {

struct Experiment {
  Dataset train;
  Dataset test;
  double generate_s = 0;
};

// Generates both sets with `threads` threads (each worker's rows by the thread that trains them).
[[nodiscard]] Experiment make_experiment(const SyntheticSpec& spec, int threads);

// Trains with `config` on the threads backend, printing progress as `label` unless quiet, and
// scores the weights on both sets. bandwidth_gbs is the read bandwidth of config.workers cores.
[[nodiscard]] RunReport run_scored(const TrainConfig& config, const Experiment& data, double bandwidth_gbs,
                                   const std::string& label, bool quiet);

// The run of median time among repetitions of one configuration, with every repetition's time.
// Throws Error if the repetitions did not all end with the same bits: dsgd is deterministic.
[[nodiscard]] RunReport median_run(std::vector<RunReport> runs);

}  // namespace dsgd::cli
