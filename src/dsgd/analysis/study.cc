#include "dsgd/analysis/study.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace dsgd {
namespace {

// The message one worker contributes to one sync, from the series' measured points: at W = 2
// a worker sends one message and receives one; elsewhere its bytes over the tree's 2 log2 W hops.
double message_bytes(const Study& study, const std::string& series) {
  double best = 0;
  int best_w = 0;
  for (const StudyPoint& p : study.points) {
    if (p.series != series || p.workers < 2 || p.bytes_per_step <= 0) continue;
    if (best_w == 0 || p.workers == 2 || (best_w != 2 && p.workers > best_w)) {
      best_w = p.workers;
      best = p.bytes_per_step / (2 * std::ceil(std::log2(static_cast<double>(p.workers))));
    }
  }
  return best;
}

}  // namespace

// The point of p's series with the fewest workers (p itself at worst).
const StudyPoint& base_point(const Study& study, const StudyPoint& p) {
  const StudyPoint* base = &p;
  for (const StudyPoint& q : study.points) {
    if (q.series == p.series && q.workers < base->workers) base = &q;
  }
  return *base;
}

double speedup_against(const Study& study, int base_workers, double base_s, int workers, double s) {
  const double ratio = base_s / s;
  return study.scaling == "weak" ? ratio * workers / base_workers : ratio * base_workers;
}

std::vector<std::string> series_list(const Study& study) {
  std::vector<std::string> out;
  for (const StudyPoint& p : study.points) {
    if (std::find(out.begin(), out.end(), p.series) == out.end()) out.push_back(p.series);
  }
  return out;
}


double measured_speedup(const Study& study, const StudyPoint& p) {
  const StudyPoint& base = base_point(study, p);
  return speedup_against(study, base.workers, base.median_s, p.workers, p.median_s);
}

double predicted_speedup(const Study& study, const StudyPoint& p) {
  const StudyPoint& base = base_point(study, p);
  return speedup_against(study, base.workers, base.predicted_s, p.workers, p.predicted_s);
}

void fit_study(Study& study, const std::vector<int>& more_workers, const std::vector<NamedNetwork>& networks) {
  std::vector<CostSample> samples;
  for (StudyPoint& p : study.points) {
    p.sample.time_s = p.median_s;
    samples.push_back(p.sample);
  }
  study.model = fit_cost_model(samples);
  const std::vector<double> loo = leave_one_out(samples);
  for (std::size_t i = 0; i < study.points.size(); ++i) {
    study.points[i].predicted_s = predict_time(study.model, samples[i]);
    study.points[i].loo_s = loo[i];
  }
  study.extrapolations.clear();
  for (const std::string& series : series_list(study)) {
    const StudyPoint* last = nullptr;
    std::set<int> measured;
    for (const StudyPoint& p : study.points) {
      if (p.series != series) continue;
      measured.insert(p.workers);
      if (last == nullptr || p.workers > last->workers) last = &p;
    }
    const StudyPoint& base = base_point(study, *last);
    // A point of W workers, from the series' largest: strong scaling splits its rows, weak keeps
    // each worker's; the steps (and so the syncs) follow the rows per worker, unless the global
    // batch is fixed.
    const auto at = [&](int w) {
      CostSample s = last->sample;
      s.workers = w;
      s.cores = std::max(w, study.cores);
      const double ratio = study.scaling == "weak" ? 1.0 : static_cast<double>(last->workers) / w;
      s.rows_per_worker *= ratio;
      s.syncs = study.fixed_global_batch ? last->sample.syncs : std::ceil(last->sample.syncs * ratio);
      s.bytes_per_worker = 0;
      if (last->workers > 1) s.bytes_per_worker = last->sample.bytes_per_worker / last->sample.syncs * s.syncs;
      return s;
    };
    const auto speedup = [&](double t, int w) { return speedup_against(study, base.workers, base.predicted_s, w, t); };
    if (study.model.fitted[study.model.link_term(last->sample.link)]) {  // a sync's cost is known: more workers, a core each
      for (const int w : more_workers) {
        if (measured.contains(w)) continue;
        const CostParts parts = predict_parts(study.model, at(w));
        study.extrapolations.push_back({series, w, "this machine's kind of core, one a worker", parts,
                                        speedup(parts.total(), w)});
      }
    }
    const double message = message_bytes(study, series);
    std::set<int> counts = measured;
    counts.insert(more_workers.begin(), more_workers.end());
    for (const NamedNetwork& n : networks) {
      for (const int w : counts) {
        if (w < 2) continue;
        const CostParts parts = predict_on_network(study.model, at(w), n.spec, message);
        study.extrapolations.push_back({series, w, "hosts, " + n.name, parts, speedup(parts.total(), w)});
      }
    }
  }
}
}  // namespace dsgd
