#pragma once
// A scaling study (dsgd study): the measured points of a sweep, the cost model fitted to them
// (cost_model.h) and its predictions beyond the machine. The apps' study command fills the
// points; report/study_report.h prints and writes them.
#include <cstdio>
#include <string>
#include <vector>

#include "dsgd/analysis/cost_model.h"
#include "dsgd/train/state/state.h"

namespace dsgd {

// One point of the sweep: one configuration, run `times_s.size()` times after its warm-up.
struct StudyPoint {
  std::string series;  // the settings besides the workers ("batch=8192 dtype=f32"), "" when none vary
  int workers = 1;
  std::size_t rows = 0;       // training rows (all workers)
  std::size_t features = 0;
  std::size_t nnz = 0;        // non-zeros a row; 0: dense
  std::string dtype;
  std::vector<double> times_s;  // the timed repetitions, in run order
  double median_s = 0, min_s = 0, max_s = 0;
  // The median run's means per worker (run.h's RunResult).
  double compute_s = 0, exchange_s = 0, comm_s = 0, wait_s = 0;
  double load_s = 0;  // generating (or reading) the data
  double steps = 0;
  double bytes_per_step = 0;  // one worker's sent + received a step
  double test_accuracy = 0, test_log_loss = 0;
  double bound_s = 0, bandwidth_gbs = 0;  // memory-bandwidth bound of the run's cores
  // Sparse points: the epochs' non-zeros at the random-read rate of the run's cores (each reads
  // and writes the model at a random place); 0 for dense points.
  double random_bound_s = 0;
  std::vector<EpochProgress> convergence;  // a scored run's epochs (held-out loss each)
  CostSample sample;
  double predicted_s = 0;  // by the model fitted to all points
  double loo_s = 0;        // by the model fitted to the others (NaN: they cannot tell)
};

// A prediction beyond the points measured.
struct StudyExtrapolation {
  std::string series;
  int workers = 1;
  std::string where;  // "this machine's cores, one a worker" or "hosts, 50 us, 10 Gbit/s"
  CostParts parts;
  double speedup = 0;  // against the series' own smallest measured worker count
};

struct Study {
  std::string title;
  std::string scaling = "strong";  // strong (data fixed) or weak (rows per worker fixed)
  // The global batch stays as W grows (a data file's default batch, a share of the rows): the
  // steps, and so the syncs, of a predicted point are those measured, not fewer with more workers.
  bool fixed_global_batch = false;
  int repeat = 5, warmup = 1;
  int cores = 1;
  std::string kernel_target;
  std::vector<StudyPoint> points;
  CostModel model;
  std::vector<StudyExtrapolation> extrapolations;
  // Figures of the seed report, where a point matches one (title of the seed experiment, its W,
  // its speedup): printed beside ours.
  struct SeedFigure {
    std::string series;
    int workers = 1;
    double speedup = 0;
    std::string what;
  };
  std::vector<SeedFigure> seed;
};

// A network to predict for (--network LAT_US,GBPS), named as the user wrote it.
struct NamedNetwork {
  std::string name;
  NetworkSpec spec;
};

// Fits the model to the points, fills their predictions (all points, and leave-one-out) and
// predicts each series at `more_workers` on this machine's kind of core and at every worker
// count measured or asked for on each network.
void fit_study(Study& study, const std::vector<int>& more_workers, const std::vector<NamedNetwork>& networks);

// The speedup of a point against its series' smallest worker count (for weak scaling scaled by
// the worker ratio, Gustafson's speedup): measured, and as the model predicts it.
[[nodiscard]] double measured_speedup(const Study& study, const StudyPoint& p);
[[nodiscard]] double predicted_speedup(const Study& study, const StudyPoint& p);

// The series of the points, in the order they first appear.
[[nodiscard]] std::vector<std::string> series_list(const Study& study);
// The point of p's series with the fewest workers (p itself at worst).
[[nodiscard]] const StudyPoint& base_point(const Study& study, const StudyPoint& p);
// A time `s` at `workers` as a speedup against `base_s` at `base_workers` (weak scaling:
// Gustafson's, scaled by the worker ratio).
[[nodiscard]] double speedup_against(const Study& study, int base_workers, double base_s, int workers, double s);

}  // namespace dsgd
