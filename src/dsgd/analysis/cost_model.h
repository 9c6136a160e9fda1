#pragma once
// The seed report's runtime model, T = T_compute / W + T_sync + T_comm, fitted to the runs of a
// study: a handful of machine costs, each non-negative, found by least squares on the runs'
// relative errors, then used to predict the points measured and points beyond the machine
// (more workers; hosts joined by a network of given latency and bandwidth). Called by
// analysis/study.cc. docs/design.md ("The scaling study") explains the terms:
//   T = epochs x rows per worker x row_s[kernel] x max(1, W / cores)
//     + syncs x (level_s[link] x ceil(log2 W) + crowd_s[link] x max(0, W / cores - 1))
//     + byte_moved_s[link] x bytes each worker sent and received
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dsgd {

// What the model needs to know of one run.
struct CostSample {
  int workers = 1;
  int cores = 1;                 // the cores the run could use (hosts x cores on a cluster)
  double epochs = 0;             // passes over the rows
  double rows_per_worker = 0;    // training rows / workers
  std::string kernel;            // the kind of row ("dense d=20 f64"): one cost a row for each kind
  std::string link = "threads";  // how the workers exchange: one set of exchange costs for each
  double syncs = 0;              // exchanges each worker took part in
  double bytes_per_worker = 0;   // sent + received by one worker, the whole run
  double time_s = 0;             // measured (the median of its repetitions); unused by predict
};

struct CostModel {
  std::vector<std::string> kernels;  // the kinds of row, in the order first seen
  std::vector<std::string> links;    // the ways of exchanging, in the order first seen
  // Seconds per unit of each term: a row of each kernel, then for each link level_s, crowd_s,
  // byte_moved_s.
  std::vector<double> cost;
  // Which terms the samples could tell apart from zero (some sample had the term non-zero);
  // a prediction that needs a term that was not fitted is an extrapolation.
  std::vector<bool> fitted;
  std::size_t samples = 0;
  [[nodiscard]] std::size_t terms() const noexcept { return kernels.size() + 3 * links.size(); }
  // The first of the link's three terms (level_s); Error for a link the model has no costs of.
  [[nodiscard]] std::size_t link_term(std::string_view link) const;
  [[nodiscard]] std::string term_name(std::size_t term) const;
  [[nodiscard]] std::string_view term_unit(std::size_t term) const;
};

// The term values of a sample under the model's terms (its kernel and link must be the model's;
// Error if not): the model's time is their dot product with CostModel::cost.
[[nodiscard]] std::vector<double> cost_terms(const CostModel& model, const CostSample& s);

// Fits the costs to the samples (their time_s) by non-negative least squares on the relative
// error (pred - measured) / measured, so a 10 ms point weighs as much as a 10 s one. Samples
// must have time_s > 0. Throws Error on none.
[[nodiscard]] CostModel fit_cost_model(std::span<const CostSample> samples);

// The time the model gives a sample.
[[nodiscard]] double predict_time(const CostModel& model, const CostSample& s);
// Its parts: compute (the kernels' terms), synchronisation (level and crowd), bytes moved.
struct CostParts {
  double compute_s = 0;
  double sync_s = 0;
  double bytes_s = 0;
  [[nodiscard]] double total() const { return compute_s + sync_s + bytes_s; }
};
[[nodiscard]] CostParts predict_parts(const CostModel& model, const CostSample& s);

// Each sample's prediction by a model fitted to all the others (leave-one-out): how well the
// model predicts a point it has not seen. Samples the others cannot predict (they leave a term
// the sample needs unfitted) get NaN.
[[nodiscard]] std::vector<double> leave_one_out(std::span<const CostSample> samples);

// Hosts joined by a network: each sync is a reduction up a pairwise tree and a broadcast down
// it, 2 x ceil(log2 W) messages one after another, each paying the latency and its bytes over
// the link.
struct NetworkSpec {
  double latency_s = 0;
  double bytes_per_s = 0;  // of one link
};
// The time of a run of `s.workers` workers, one a host (cores = workers), whose exchange goes
// over `network`: the fitted compute, and per sync 2 ceil(log2 W) x (latency + message bytes /
// bandwidth), a message being `message_bytes` (one worker's contribution to one sync).
[[nodiscard]] CostParts predict_on_network(const CostModel& model, const CostSample& s, const NetworkSpec& network,
                                           double message_bytes);

}  // namespace dsgd
