#pragma once
// The report of one `dsgd train` run, on a data file or on synthetic data, on threads or MPI:
// one text layout and one JSON shape (schemas/report.schema.json) whatever the data and the
// backend. The command line fills a TrainingReport once the run is scored; rank 0 prints it.
//
// The text, in order: Data (and Test) lines, the Train line (what will run), the epoch table
// as epochs end, then Result, Model and Time; --verbose adds the engineering detail (time split,
// memory-bandwidth bounds, communication, exchange, peak memory, confusion matrices).
#include <cstdio>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "dsgd/report/data_summary.h"
#include "dsgd/model/metrics.h"
#include "dsgd/train/config/config.h"
#include "dsgd/train/loop/run.h"

namespace dsgd {

// The memory-bandwidth bounds of a run (--verbose: measured, or from this boot's cache).
struct RunBounds {
  double bandwidth_gbs = 0;
  double time_s = 0;  // the epochs' bytes of X at that bandwidth
  std::string source;
  double random_reads_per_s = 0;  // sparse rows; 0 for dense
  double random_time_s = 0;       // the epochs' non-zeros at that rate
};

struct TrainingReport {
  DataSummary data;
  std::optional<DataSummary> test;
  TrainConfig config;  // as trained
  std::string backend = "threads";
  int ranks = 1;
  int threads_per_rank = 1;
  std::string workers_note;  // why fewer workers ran than the machine has, or ""
  nlohmann::json sample_weights;  // null: every row weighs 1
  RunResult run;
  Evaluation train;  // the training rows (with a holdout: those not held out)
  std::optional<Evaluation> holdout;
  std::optional<Evaluation> test_scores;
  std::optional<RunBounds> bound;  // measured with --verbose only
  std::string model_path;          // "" when no model was written
  std::string init_path;           // --init
  std::size_t peak_resident_bytes = 0;
};

// "Train   30 epochs, batch 16 x 1 worker, sgd at 3.5, x0.5 every 5 epochs" (a warm start:
// "epochs 6 to 35"), and, under it, why fewer workers ran than the machine has.
void print_training_plan(std::FILE* out, const TrainConfig& config, std::size_t start_epoch,
                         const std::string& workers_note, const std::string& where);

// The epoch table, a row as each epoch ends: epoch, training loss, held-out loss and accuracy
// (when the run scores held-out rows every epoch), rate, seconds. The header comes with the
// first row.
class EpochTable {
 public:
  EpochTable(std::FILE* out, std::size_t epochs) : out_(out), epochs_(epochs) {}
  void row(const EpochProgress& p);

 private:
  std::FILE* out_;
  std::size_t epochs_;
  bool header_ = false;
  bool held_out_ = false;
};

// Result, Model and Time; with `verbose`, the engineering detail after them.
void print_training_summary(std::FILE* out, const TrainingReport& report, bool verbose);

[[nodiscard]] nlohmann::json to_json(const TrainingReport& report);

}  // namespace dsgd
