#pragma once
// What dsgd prints and writes: the per-epoch progress lines, the final summaries of `train` and
// `bench`, and the same as JSON (numbers with round-trip precision, so two runs can be compared
// bit for bit).
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dsgd/analysis/step_model.h"
#include "dsgd/analysis/experiment.h"
#include "dsgd/base/atomic_file.h"
#include "dsgd/data/labels.h"
#include "dsgd/data/synthetic.h"
#include "dsgd/model/metrics.h"
#include "dsgd/train/config/config.h"
#include "dsgd/train/config/config_fields.h"  // to_json(TrainConfig)
#include "dsgd/train/loop/run.h"

namespace dsgd {

// The machine-side facts a report states next to the results.
struct Environment {
  std::string kernel_target;  // SIMD instruction set the kernel runs on
  double generate_s = 0;      // time to generate the data set(s)
  std::string backend = "threads";  // threads or mpi
  std::size_t peak_resident_bytes = 0;  // this process's, at the end of the run (0: not known)
  GenerationTimes generation;  // generate_s split into first touch of the memory and the rows
};

struct BenchReport {
  SyntheticSpec data;
  TrainConfig config;  // config.workers: the parallel run's workers
  RunReport sequential;
  RunReport parallel;
  Environment env;
  std::optional<StepModel> step_model;  // sparse data: the exchanges' cost model put to these runs
  [[nodiscard]] double speedup() const { return sequential.run.time_s / parallel.run.time_s; }
};

// "[label] epoch 3/8  loss 0.123456  acc 0.98765  lr 0.2000  0.0123 s"
void print_progress(std::FILE* out, const std::string& label, std::size_t epochs, const EpochProgress& p);

void print_report(std::FILE* out, const BenchReport& report);

// The run of a train report's JSON read back (training_report.h's to_json): times, breakdown,
// steps, every worker's counters, epochs, weights, scores and bounds; null numbers (NaN when
// written) read as NaN, a null bound as no bound (0). How dsgd study reads the report of a run
// it started in another process (an MPI job). Throws Error naming a missing or mistyped key.
[[nodiscard]] RunReport run_report_from_json(const nlohmann::json& report);
[[nodiscard]] nlohmann::json to_json(const BenchReport& report);

// The per-epoch progress (held-out figures null when there are none).
[[nodiscard]] nlohmann::json to_json(const std::vector<EpochProgress>& epochs);

// A run's "bound" object: the read-bandwidth bound (epochs x bytes of X / bandwidth) and where
// the bandwidth came from, and for sparse rows (random_time_s > 0) the random-read bound
// (non-zeros read / random reads a second).
[[nodiscard]] nlohmann::json bound_json(double bandwidth_gbs, double time_s, const std::string& source,
                                        double random_reads_per_s = 0, double random_time_s = 0);
// "Exchange  sparse every step (...): 1.2 MB a step per worker, 3.1% of the columns touched": what
// the exchange strategy did (exchange.h), for `train DATA` as for the synthetic runs.
void print_exchange(std::FILE* out, const RunResult& run, std::size_t features);
// {algorithm, syncs, bytes_sent, bytes_received, bytes_measured, per_worker}
[[nodiscard]] nlohmann::json communication_json(const RunResult& run);
// {mode, update, sparse_steps, dense_steps, shared_steps, entries, bytes_per_step, touched_share}
[[nodiscard]] nlohmann::json exchange_json(const RunResult& run, const TrainConfig& config);
// The "Target" line of a run with a target (config.has_target()): met where and when, or not.
void print_target(std::FILE* out, const TrainConfig& config, const RunResult& run);
// Its JSON: null without a target.
[[nodiscard]] nlohmann::json target_json(const TrainConfig& config, const RunResult& run);

// "compute 0.0265 s, exchange 0.0012 s, communication 0.0003 s, waiting 0.0029 s (mean per worker)"
void print_time_split(std::FILE* out, const RunResult& run);
// "Communication cost: S syncs of ...; per worker B sent + B received; ... moved in all (how)",
// and, where MPI's own allreduce summed, that the bits may differ.
void print_communication(std::FILE* out, const RunResult& run, std::size_t features);

// "{title}accuracy 0.8497  log-loss 0.32345  AUC 0.9012  precision 0.7200  recall 0.6012  F1 0.6553
// (16281 rows)" (`full`: with precision, recall and F1), and the rows of a non-finite score.
void print_scores(std::FILE* out, const std::string& title, const Evaluation& e, bool full);
// The confusion matrix under `title` (8 columns), in the labels' own values, and the threshold
// of its decisions when it is not 0.5.
void print_confusion(std::FILE* out, const std::string& title, const Evaluation& e, const LabelMap& labels);
// {rows, accuracy, log_loss, auc, precision, recall, f1, confusion: {tp, fp, tn, fn}}; NaN as null.
[[nodiscard]] nlohmann::json to_json(const Evaluation& e);

// Writes json (indented, numbers with round-trip precision) into `file` and commits it. Open the
// AtomicFile before the run, so an unwritable path fails at once and a failed run leaves
// nothing behind. Throws InputError naming the path.
void write_json(AtomicFile& file, const nlohmann::json& json);
// The same without the commit, for outputs committed together (commit_together).
void put_json(AtomicFile& file, const nlohmann::json& json);

// What every JSON report begins with (schemas/report.schema.json): command, dsgd (the version)
// and environment {kernel_target, hardware_threads}.
[[nodiscard]] nlohmann::json report_header(const std::string& command);

}  // namespace dsgd
