#include "dsgd/train/sync/strategies.h"
#include "dsgd/analysis/sweep.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "dsgd/analysis/experiment.h"
#include "dsgd/base/error.h"
#include "dsgd/data/synthetic_fields.h"
#include "dsgd/train/config/config_fields.h"
#include "dsgd/train/loop/fit.h"

namespace dsgd {

namespace {
constexpr std::string_view kBackends[] = {"threads", "mpi", "hybrid", "hosts"};
}  // namespace

bool is_backend(std::string_view name) noexcept {
  return std::find(std::begin(kBackends), std::end(kBackends), name) != std::end(kBackends);
}

bool is_data_axis(std::string_view name) noexcept {
  return name != "seed" && name != "test_samples" && find_synthetic_field(name) != nullptr;
}

std::vector<std::string> split_list(const std::string& text, const std::string& what) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    out.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (out.back().empty()) throw ConfigError(fmt::format("{}: an empty value in '{}'", what, text));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

Axis parse_axis(const std::string& text) {
  const std::size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError(fmt::format("--vary: '{}' is not NAME=V1,V2,... (e.g. batch=4096,8192)", text));
  Axis axis{text.substr(0, eq), split_list(text.substr(eq + 1), "--vary " + text.substr(0, eq))};
  if (axis.name == "workers") throw ConfigError("--vary workers: the workers are swept by --workers");
  if (axis.name == "seed") throw ConfigError("--vary seed: a study keeps one seed (--seed)");
  if (axis.name == "backend") {
    for (const std::string& v : axis.values) {
      if (!is_backend(v))
        throw ConfigError(fmt::format("--vary backend: '{}' is not threads, mpi, hybrid or hosts", v));
    }
    return axis;
  }
  if (!is_data_axis(axis.name) && find_config_field(axis.name) == nullptr)
    throw ConfigError(fmt::format("--vary: no setting '{}' (backend; a data setting: samples, features, nnz, dtype, "
                                  "zipf, values, noise; or a training field such as batch, lr, exchange, sync_every)",
                                  axis.name));
  for (const std::string& v : axis.values) {  // checked now, not after an hour of sweeping
    SyntheticSpec spec;
    TrainConfig config;
    if (is_data_axis(axis.name)) {
      find_synthetic_field(axis.name)->set(spec, "--vary " + axis.name, v);
      continue;
    }
    try {
      set_field(config, axis.name, v);
    } catch (const ConfigError& e) {  // "batch: must be ...": said of --vary batch
      const std::string message = e.named([](std::string_view field) { return std::string(field); });
      const std::string prefix = axis.name + ": ";
      throw ConfigError(fmt::format("--vary {}: {}", axis.name,
                                    message.starts_with(prefix) ? message.substr(prefix.size()) : message));
    }
  }
  return axis;
}

std::string size_label(std::size_t n) {
  if (n % 1'000'000 == 0) return fmt::format("{}M", n / 1'000'000);
  if (n % 1'000 == 0) return fmt::format("{}k", n / 1'000);
  return std::to_string(n);
}

// The seed report's three experiments (its section on the runs): 1M x 20, 8 epochs, batch 8192;
// 150k x 64, 6 epochs, warm-up 3; 600k x 256, batch 16384.
std::vector<Base> seed_bases(const SyntheticSpec& spec, const TrainConfig& config) {
  std::vector<Base> out;
  const auto add = [&](std::size_t rows, std::size_t d, std::size_t epochs, double warmup, std::size_t batch) {
    Base b{fmt::format("{} x {}", size_label(rows), d), spec, config};
    b.spec.samples = rows;
    b.spec.features = d;
    b.config.epochs = epochs;
    b.config.warmup_epochs = warmup;
    b.config.batch = batch;
    out.push_back(b);
  };
  add(1'000'000, 20, 8, 1, 8192);
  add(150'000, 64, 6, 3, 8192);
  add(600'000, 256, 8, 1, 16384);
  return out;
}

const Axis* SweepPlan::axis(std::string_view name) const {
  const auto a = std::find_if(axes.begin(), axes.end(), [&](const Axis& x) { return x.name == name; });
  return a == axes.end() ? nullptr : &*a;
}

SyntheticSpec point_spec(const SweepPlan& plan, SyntheticSpec spec, int workers) {
  if (plan.weak) spec.samples *= static_cast<std::size_t>(workers);
  if (!plan.test_samples_given) spec.test_samples = spec.samples / 5;
  validate(spec);
  return spec;
}

namespace {

// What the points of one combination share: its rows (made again only when their size
// changes) and the machine bounds measured so far.
struct Points {
  const SweepPlan& plan;
  int cores;
  std::optional<Experiment> made;
  std::size_t made_rows = 0;
  std::map<std::pair<int, std::size_t>, MachineBounds>& bounds;  // (threads, features of a sparse model)
};

// A point on this process's threads, on synthetic rows.
StudyPoint synthetic_point(Points& points, const SyntheticSpec& spec, TrainConfig config, int w) {
  const SweepPlan& plan = points.plan;
  const SyntheticSpec point = point_spec(plan, spec, w);
  config.workers = w;
  config.seed = point.seed;
  check_config(config);
  check_experiment_memory(point, config, plan.max_memory);
  if (!points.made || points.made_rows != point.samples) {
    points.made.reset();
    points.made.emplace(make_experiment(point, points.cores));
    points.made_rows = point.samples;
  }
  const Experiment& made = *points.made;
  const int threads = std::min(w, points.cores);
  const auto key = std::make_pair(threads, point.nnz > 0 ? point.features : 0);
  if (!points.bounds.contains(key)) points.bounds[key] = measure_bounds(threads, point);
  for (int r = 0; r < plan.warmup; ++r) (void)run_scored(config, made, points.bounds[key]);
  std::vector<RunReport> runs;
  for (int r = 0; r < plan.repeat; ++r) runs.push_back(run_scored(config, made, points.bounds[key]));
  const RunReport median = median_run(std::move(runs));
  const PointData about{point.samples, point.features, point.nnz, std::string(to_string(point.dtype)),
                        made.generate_s};
  StudyPoint p = make_point("", w, points.cores, about, static_cast<double>(config.epochs), median);
  if (plan.convergence && made.test.rows() > 0) {
    FitOptions scored;
    scored.holdout = &made.test;
    scored.holdout_rows = made.test.rows();
    p.convergence = fit(made.train, config, [](std::string_view) { return true; }, scored).run.epochs;
  }
  return p;
}

// Every combination of the axes' values (the first axis outermost) from `base`, at every
// worker count.
void sweep_base(const SweepPlan& plan, const Base& base, bool several_bases, Study& study,
                std::map<std::pair<int, std::size_t>, MachineBounds>& bounds) {
  std::vector<std::size_t> at(plan.axes.size(), 0);
  while (true) {
    SyntheticSpec spec = base.spec;
    TrainConfig config = base.config;
    std::string backend = "threads";
    std::string series = several_bases ? base.label : "";
    for (std::size_t a = 0; a < plan.axes.size(); ++a) {
      const Axis& axis = plan.axes[a];
      const std::string& v = axis.values[at[a]];
      if (axis.name == "backend") backend = v;
      else if (is_data_axis(axis.name)) set_synthetic(spec, axis.name, v);
      else set_field(config, axis.name, v);
      series += fmt::format("{}{}={}", series.empty() ? "" : " ", axis.name, v);
    }
    const std::string label = series.empty() ? base.label : series;
    Points points{plan, study.cores, std::nullopt, 0, bounds};  // (each combination makes its own rows)
    for (const int w : plan.workers) {
      std::optional<StudyPoint> p;
      if (backend != "threads") {
        p = plan.job_point(spec, config, backend, w, label);
      } else if (plan.file != nullptr) {
        p = file_point(*plan.file, config, plan.given_or_varied, w, study.cores, plan.warmup, plan.repeat,
                       plan.convergence);
      } else {
        p = synthetic_point(points, spec, config, w);
      }
      if (!p) continue;
      p->series = series;
      if (plan.on_point) plan.on_point(*p, label);
      study.points.push_back(std::move(*p));
    }
    std::size_t a = plan.axes.size();
    while (a > 0 && ++at[a - 1] == plan.axes[a - 1].values.size()) at[--a] = 0;
    if (a == 0) break;
  }
}

}  // namespace

void sweep(const SweepPlan& plan, std::span<const Base> bases, Study& study) {
  std::map<std::pair<int, std::size_t>, MachineBounds> bounds;
  for (const Base& base : bases) sweep_base(plan, base, bases.size() > 1, study, bounds);
}

}  // namespace dsgd
