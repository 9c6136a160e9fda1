#include "dsgd/analysis/cost_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "dsgd/base/error.h"

namespace dsgd {
namespace {

double tree_levels(int workers) {
  return workers <= 1 ? 0.0 : std::ceil(std::log2(static_cast<double>(workers)));
}

// Coordinate descent creeps along nearly collinear columns: once it has found which costs are
// positive, solve the least squares on those columns exactly (normal equations, Gaussian
// elimination with partial pivoting) and keep that solution if it is positive too. `c` is in
// the unit-norm columns' scale.
void polish(const std::vector<std::vector<double>>& a, const std::vector<double>& b, const std::vector<double>& norm,
            std::vector<double>& c) {
  std::vector<std::size_t> on;
  for (std::size_t j = 0; j < c.size(); ++j) {
    if (c[j] > 0) on.push_back(j);
  }
  const std::size_t m = on.size();
  if (m == 0) return;
  std::vector<std::vector<double>> g(m, std::vector<double>(m + 1, 0.0));  // [A'A | A'b]
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (std::size_t p = 0; p < m; ++p) {
      const double x = a[i][on[p]] / norm[on[p]];
      for (std::size_t q = 0; q < m; ++q) g[p][q] += x * a[i][on[q]] / norm[on[q]];
      g[p][m] += x * b[i];
    }
  }
  for (std::size_t col = 0; col < m; ++col) {
    std::size_t pivot = col;
    for (std::size_t r = col + 1; r < m; ++r) {
      if (std::abs(g[r][col]) > std::abs(g[pivot][col])) pivot = r;
    }
    if (std::abs(g[pivot][col]) < 1e-12) return;  // singular: keep the descent's answer
    std::swap(g[col], g[pivot]);
    for (std::size_t r = 0; r < m; ++r) {
      if (r == col) continue;
      const double f = g[r][col] / g[col][col];
      for (std::size_t q = col; q <= m; ++q) g[r][q] -= f * g[col][q];
    }
  }
  std::vector<double> exact(m);
  for (std::size_t p = 0; p < m; ++p) {
    exact[p] = g[p][m] / g[p][p];
    if (!(exact[p] > 0)) return;
  }
  for (std::size_t p = 0; p < m; ++p) c[on[p]] = exact[p];
}

// Non-negative least squares, min |A c - b|^2 over c >= 0, by cyclic coordinate descent on the
// columns scaled to unit norm: exact at convergence for this convex problem, indifferent to
// columns that are (nearly) collinear, and small problems (a few columns, tens of rows)
// converge in well under the sweeps allowed.
std::vector<double> nnls(const std::vector<std::vector<double>>& a, const std::vector<double>& b, std::size_t k) {
  std::vector<double> norm(k, 0.0), c(k, 0.0);
  for (const auto& row : a) {
    for (std::size_t j = 0; j < k; ++j) norm[j] += row[j] * row[j];
  }
  for (double& n : norm) n = std::sqrt(n);
  std::vector<double> r = b;  // residual b - A c (c = 0)
  for (int sweep = 0; sweep < 20000; ++sweep) {
    double moved = 0;
    for (std::size_t j = 0; j < k; ++j) {
      if (norm[j] == 0) continue;
      double dot = 0;
      for (std::size_t i = 0; i < a.size(); ++i) dot += a[i][j] / norm[j] * r[i];
      const double next = std::max(0.0, c[j] + dot);  // unit column: the step is A_j . r
      const double delta = next - c[j];
      if (delta == 0) continue;
      c[j] = next;
      for (std::size_t i = 0; i < a.size(); ++i) r[i] -= delta * a[i][j] / norm[j];
      moved = std::max(moved, std::abs(delta));
    }
    if (moved < 1e-13) break;
  }
  polish(a, b, norm, c);
  for (std::size_t j = 0; j < k; ++j) c[j] = norm[j] == 0 ? 0.0 : c[j] / norm[j];
  return c;
}

void add_once(std::vector<std::string>& names, const std::string& name) {
  if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
}

// A model's layout (its kernels and links, in the order first seen) for these samples, costs zero.
CostModel layout_for(std::span<const CostSample> samples) {
  CostModel model;
  for (const CostSample& s : samples) {
    add_once(model.kernels, s.kernel);
    add_once(model.links, s.link);
  }
  model.cost.assign(model.terms(), 0.0);
  model.fitted.assign(model.terms(), false);
  model.samples = samples.size();
  return model;
}

}  // namespace

std::string CostModel::term_name(std::size_t term) const {
  if (term < kernels.size()) return "per row, " + kernels[term];
  static constexpr std::string_view names[] = {"per sync and tree level", "per sync and extra worker a core",
                                               "per byte exchanged"};
  const std::size_t t = term - kernels.size();
  const std::string name(names[t % 3]);
  // One link: the names of a model without links (threads only, as before there were others).
  return links.size() == 1 && links[0] == "threads" ? name : name + ", " + links[t / 3];
}

std::string_view CostModel::term_unit(std::size_t term) const {
  if (term < kernels.size()) return "s/row";
  static constexpr std::string_view units[] = {"s/sync/level", "s/sync", "s/B"};
  return units[(term - kernels.size()) % 3];
}

std::size_t CostModel::link_term(std::string_view link) const {
  const auto at = std::find(links.begin(), links.end(), link);
  if (at == links.end()) throw Error("the cost model has no exchange costs for the link '" + std::string(link) + "'");
  return kernels.size() + 3 * static_cast<std::size_t>(at - links.begin());
}

std::vector<double> cost_terms(const CostModel& model, const CostSample& s) {
  const auto kernel = std::find(model.kernels.begin(), model.kernels.end(), s.kernel);
  if (kernel == model.kernels.end()) throw Error("the cost model has no cost for rows of kind '" + s.kernel + "'");
  const double crowding = std::max(1.0, static_cast<double>(s.workers) / std::max(1, s.cores));
  std::vector<double> t(model.terms(), 0.0);
  t[static_cast<std::size_t>(kernel - model.kernels.begin())] = s.epochs * s.rows_per_worker * crowding;
  const std::size_t k = model.link_term(s.link);
  t[k] = s.syncs * tree_levels(s.workers);
  t[k + 1] = s.syncs * (crowding - 1.0);
  t[k + 2] = s.bytes_per_worker;
  return t;
}

CostModel fit_cost_model(std::span<const CostSample> samples) {
  if (samples.empty()) throw Error("a cost model needs at least one measured run");
  CostModel model = layout_for(samples);
  std::vector<std::vector<double>> a;
  std::vector<double> b;
  for (const CostSample& s : samples) {
    if (!(s.time_s > 0)) throw Error("a cost model's runs must have taken some time");
    std::vector<double> row = cost_terms(model, s);
    for (std::size_t j = 0; j < row.size(); ++j) {
      if (row[j] > 0) model.fitted[j] = true;
      row[j] /= s.time_s;  // relative error: each row scaled by its measured time
    }
    a.push_back(std::move(row));
    b.push_back(1.0);
  }
  model.cost = nnls(a, b, model.terms());
  return model;
}

CostParts predict_parts(const CostModel& model, const CostSample& s) {
  const std::vector<double> t = cost_terms(model, s);
  const std::size_t k = model.link_term(s.link);
  CostParts parts;
  for (std::size_t j = 0; j < model.kernels.size(); ++j) parts.compute_s += t[j] * model.cost[j];
  parts.sync_s = t[k] * model.cost[k] + t[k + 1] * model.cost[k + 1];
  parts.bytes_s = t[k + 2] * model.cost[k + 2];
  return parts;
}

double predict_time(const CostModel& model, const CostSample& s) { return predict_parts(model, s).total(); }

std::vector<double> leave_one_out(std::span<const CostSample> samples) {
  std::vector<double> predicted(samples.size(), std::numeric_limits<double>::quiet_NaN());
  if (samples.size() < 2) return predicted;
  for (std::size_t left = 0; left < samples.size(); ++left) {
    std::vector<CostSample> others;
    for (std::size_t i = 0; i < samples.size(); ++i) {
      if (i != left) others.push_back(samples[i]);
    }
    const CostModel model = fit_cost_model(others);
    const auto& kernels = model.kernels;
    const auto& links = model.links;
    if (std::find(kernels.begin(), kernels.end(), samples[left].kernel) == kernels.end() ||
        std::find(links.begin(), links.end(), samples[left].link) == links.end())
      continue;
    const std::vector<double> terms = cost_terms(model, samples[left]);
    bool known = true;
    for (std::size_t j = 0; j < terms.size(); ++j) known = known && (terms[j] == 0 || model.fitted[j]);
    if (known) predicted[left] = predict_time(model, samples[left]);
  }
  return predicted;
}

CostParts predict_on_network(const CostModel& model, const CostSample& s, const NetworkSpec& network,
                             double message_bytes) {
  CostSample alone = s;
  alone.cores = s.workers;  // one worker a host
  CostParts parts = predict_parts(model, alone);
  const double hops = 2 * tree_levels(s.workers);
  parts.sync_s = s.syncs * hops * network.latency_s;
  parts.bytes_s = network.bytes_per_s > 0 ? s.syncs * hops * message_bytes / network.bytes_per_s : 0;
  return parts;
}

}  // namespace dsgd
