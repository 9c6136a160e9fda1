// dsgd study: a scaling study on synthetic data or on a data file. Sweeps the workers (and any
// other setting given with --vary), times every point after a warm-up, fits the cost model to
// the points, predicts beyond the machine, and with --report DIR writes the report, the raw
// results and the plots. --seed-sweeps runs the seed report's three experiments.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <sys/stat.h>
#include <unistd.h>

#include "dsgd/base/error.h"
#include "dsgd/data/synthetic_fields.h"
#include "dsgd/model/kernel.h"
#include "dsgd/model/metrics.h"
#include "dsgd/analysis/study_points.h"
#include "dsgd/report/study_report.h"
#include "dsgd/train/config/config_fields.h"
#include "dsgd/train/loop/fit.h"
#include "dsgd/report/training_report.h"
#include "experiment.h"
#include "files.h"
#include "options.h"
#include "study_jobs.h"

namespace dsgd::cli {
namespace {

// One axis of --vary: a data setting or a configuration field, and its values.
struct Axis {
  std::string name;
  std::vector<std::string> values;
};

// The synthetic-data settings --vary sweeps (data/synthetic_fields.h); not the seed (one a study).
bool is_data_axis(std::string_view name) {
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

// A number of a list of --workers or --network: finite, or ConfigError naming `what`.
double list_number(const std::string& text, const std::string& what) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
    throw ConfigError(fmt::format("{}: '{}' is not a number", what, text));
  return v;
}

// A list of worker counts, each from 1 to `most`.
std::vector<int> worker_counts(const std::string& text, const std::string& what, std::size_t most) {
  std::vector<int> out;
  for (const std::string& w : split_list(text, what)) {
    const double n = list_number(w, what);
    if (n != std::floor(n) || n < 1 || n > static_cast<double>(most))
      throw ConfigError(fmt::format("{}: {} is not a worker count from 1 to {}", what, w, most));
    out.push_back(static_cast<int>(n));
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
    } catch (const ConfigError& e) {  // "--batch: must be ...": said of --vary batch
      const std::string message = e.named(flag_of);
      const std::string prefix = flag_of(axis.name) + ": ";
      throw ConfigError(fmt::format("--vary {}: {}", axis.name,
                                    message.starts_with(prefix) ? message.substr(prefix.size()) : message));
    }
  }
  return axis;
}

// A study's starting point: the data and configuration every --vary combination starts from.
struct Base {
  std::string label;
  SyntheticSpec spec;
  TrainConfig config;
};

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

NamedNetwork parse_network(const std::string& text) {
  const std::vector<std::string> parts = split_list(text, "--network");
  if (parts.size() != 2) throw ConfigError(fmt::format("--network: '{}' is not LAT_US,GBPS (e.g. 50,10)", text));
  const double latency_us = list_number(parts[0], "--network latency");
  const double gbps = list_number(parts[1], "--network bandwidth");
  if (latency_us < 0 || gbps <= 0)
    throw ConfigError(fmt::format("--network: '{}' needs a latency of 0 us or more and a bandwidth above 0", text));
  return {fmt::format("{} us, {} Gbit/s", parts[0], parts[1]), {latency_us * 1e-6, gbps * 1e9 / 8}};
}

void print_point(const StudyPoint& p, const std::string& label) {
  fmt::print("{:<28} W={:<3} median {:.4f} s over {} runs (min {:.4f}, max {:.4f}); held-out accuracy {}\n",
             label, p.workers, p.median_s, p.times_s.size(), p.min_s, p.max_s,
             std::isfinite(p.test_accuracy) ? fmt::format("{:.4f}", p.test_accuracy) : std::string("n/a (no --test)"));
  std::fflush(stdout);
}

// The configuration fields a job is given: those `pass` names (given or swept) and, on synthetic
// data, those that differ from TrainConfig's defaults (a preset's); not the workers (the job's
// ranks and threads) nor the seed (a data option).
void add_config_args(std::vector<std::string>& args, const TrainConfig& config, const GivenField& pass,
                     bool synthetic) {
  for (const ConfigField& f : config_fields()) {
    if (f.name == "workers" || f.name == "seed") continue;
    const std::string value = value_text(f, config);
    if (pass(f.name) || (synthetic && value != default_text(f))) args.push_back(flag_of(f.name) + "=" + value);
  }
}

// `dsgd train`'s arguments for the synthetic data of a point (every setting explicit).
std::vector<std::string> synthetic_args(const SyntheticSpec& spec) {
  std::vector<std::string> args;
  for (const SyntheticField& f : synthetic_fields()) {
    if (!f.sparse_only || spec.nnz > 0) args.insert(args.end(), {std::string(f.flag), f.text(spec)});
  }
  return args;
}

// `dsgd train`'s arguments for a data file study: the files and how they are read (`features`:
// --features, 0 when not given).
std::vector<std::string> file_args(const std::string& path, const std::string& test, const InputOptions& input,
                                   std::size_t features, std::uint64_t seed) {
  std::vector<std::string> args = {path, "--format", input.format, "--storage", input.storage,
                                   "--dtype", input.dtype, "--seed", std::to_string(seed)};
  if (!test.empty()) args.insert(args.end(), {"--test", test});
  if (!input.label_column.empty()) args.insert(args.end(), {"--label-column", input.label_column});
  if (input.cache) args.emplace_back("--cache");
  if (features > 0) args.insert(args.end(), {"--features", std::to_string(features)});
  return args;
}

// A point's runs on a backend of processes: `warmup` untimed jobs, `repeat` timed ones, each a
// `dsgd train` of its own; their median and the time the job took to make or read its data.
// nullopt (and `skipped` filled) when the backend cannot run it here.
std::optional<JobRun> job_runs(const JobBackend& backend, const std::vector<std::string>& args, int workers,
                               int warmup, int repeat, std::string& skipped) {
  const std::optional<JobShape> shape = job_shape(backend, workers, skipped);
  if (!shape) return std::nullopt;
  std::vector<RunReport> runs;
  double load_s = 0;
  for (int r = 0; r < warmup + repeat; ++r) {
    std::optional<JobRun> run = run_job(backend, *shape, args, skipped);
    if (!run) return std::nullopt;
    load_s = run->load_s;
    if (r >= warmup) runs.push_back(std::move(run->report));
  }
  return JobRun{median_run(std::move(runs)), load_s};
}

struct StudyOptions {
  DataOptions data;
  TrainOptions train;
  std::string workers = "1,2,4";
  std::vector<std::string> vary;
  std::string scaling = "strong";
  int repeat = 5;
  int warmup = 1;
  std::string report;
  std::vector<std::string> networks;
  std::string more_workers = "8,16,32";
  bool convergence = true;
  bool seed_sweeps = false;
  int threads_per_rank = 2;
  std::string link_rate;
  std::string file;  // DATA: a study on this file instead of synthetic data
  std::string test;
  InputOptions input;
};

void add_study_options(CLI::App& sub, StudyOptions& o) {
  sub.add_option("data", o.file,
                 "A LIBSVM or CSV file to study in place of synthetic data: every point trains on it as 'dsgd train "
                 "DATA' does, the settings not given taking the data's defaults");
  sub.add_option("--test", o.test, "With DATA: the held-out file each point is scored on")->group("Data files");
  add_input_options(sub, o.input, false);
  add_data_options(sub, o.data);
  add_config_options(sub, o.train,
                     {"epochs", "batch", "lr", "warmup_epochs", "schedule", "lr_step_epochs", "lr_step_factor", "l2",
                      "bias", "shuffle", "optimizer", "exchange", "sync_every", "overlap"},
                     "Training", false);
  const char* group = "Study";
  sub.add_option("-w,--workers", o.workers,
                 "The worker counts to sweep, a list (threads; with --vary backend: ranks, ranks x threads, or hosts)")
      ->capture_default_str()
      ->group(group);
  sub.add_option("--vary", o.vary,
                 "NAME=V1,V2,...: also sweep a data setting (samples, nnz, ...), a training field (batch, exchange, "
                 "...) or backend=threads,mpi,hybrid,hosts (each run a 'dsgd train' job of its own); repeatable")
      ->group(group);
  sub.add_option("--threads-per-rank", o.threads_per_rank,
                 "backend=hybrid: worker threads in each MPI rank (a W it does not divide is skipped)")
      ->check(positive())
      ->capture_default_str()
      ->group(group);
  sub.add_option("--link-rate", o.link_rate,
                 "backend=hosts: each namespace host's link capacity, in tc's words (100mbit, 1gbit) [default: unlimited]")
      ->group(group);
  sub.add_option("--scaling", o.scaling,
                 "strong: the same rows for every worker count; weak: -n rows a worker (speedup W x T(1) / T(W))")
      ->check(one_of({"strong", "weak"}))
      ->capture_default_str()
      ->group(group);
  sub.add_option("-r,--repeat", o.repeat, "Timed runs a point; the point's time is their median")
      ->check(positive())
      ->capture_default_str()
      ->group(group);
  sub.add_option("--warmup", o.warmup, "Untimed runs a point before its timed ones")
      ->check(non_negative())
      ->capture_default_str()
      ->group(group);
  sub.add_option("--report", o.report, "Write report.md, results.csv and .json, and the plots into this folder")
      ->group(group);
  sub.add_option("--network", o.networks,
                 "LAT_US,GBPS: also predict every series on hosts joined by such links, one worker a host; repeatable")
      ->group(group);
  sub.add_option("--predict-workers", o.more_workers, "Worker counts to predict beyond those measured, a list")
      ->capture_default_str()
      ->group(group);
  sub.add_flag("--convergence,!--no-convergence", o.convergence,
               "One more run a point, scoring the held-out rows every epoch [default: on]")
      ->group(group);
  sub.add_flag("--seed-sweeps", o.seed_sweeps,
               "The seed report's three experiments in place of -n and -d, beside the seed's own figure")
      ->group(group);
}

// What every point of a study shares: the parsed options, the swept axes, the backends of
// processes, the data file (read once), and the machine bounds measured so far.
struct Sweep {
  const StudyOptions& o;
  std::vector<Axis> axes;
  std::vector<int> workers;
  GivenField given_or_varied;  // a file's points take the data's defaults for the other fields
  JobBackend job_backend;
  std::optional<FileStudy> file;
  std::size_t features_given = 0;  // --features, 0 when not given
  std::map<std::pair<int, std::size_t>, MachineBounds> bounds;  // (threads, features of a sparse model)
  std::optional<Experiment> made;  // the synthetic rows of this combination's last point
  std::size_t made_rows = 0;
  Study& study;

  [[nodiscard]] const Axis* axis(std::string_view name) const {
    const auto a = std::find_if(axes.begin(), axes.end(), [&](const Axis& x) { return x.name == name; });
    return a == axes.end() ? nullptr : &*a;
  }
};

// Checks the options against each other and against the data they study (a data file or not),
// and the backends of processes swept, before any point runs.
void check_study(const CLI::App& sub, const StudyOptions& o, Sweep& sweep) {
  const bool on_file = !o.file.empty();
  if (on_file) {
    reject(sub, {"--samples", "--test-samples", "--noise", "--nnz", "--zipf", "--values", "--seed-sweeps"},
           "is for synthetic data, not with a data file");
    if (o.scaling == "weak")
      throw ConfigError("--scaling weak grows synthetic data with the workers; a data file's rows stay as they are "
                        "(strong scaling)");
    check_paths({}, {{"data", o.file}, {"--test", o.test}});
    for (const Axis& axis : sweep.axes) {
      if (is_data_axis(axis.name))
        throw ConfigError(fmt::format("--vary {}: a setting of synthetic data, not of a data file", axis.name));
    }
  } else {
    reject(sub, {"--test", "--input-format", "--storage", "--format", "--label-column", "--cache"},
           "needs a data file (dsgd study DATA ...)");
  }
  const Axis* backend = sweep.axis("backend");
  const std::vector<std::string> backends = backend != nullptr ? backend->values : std::vector<std::string>{"threads"};
  const auto sweeps = [&](const char* name) { return std::find(backends.begin(), backends.end(), name) != backends.end(); };
  if (sub.count("--threads-per-rank") > 0 && !sweeps("hybrid"))
    throw ConfigError("--threads-per-rank is for the hybrid backend (--vary backend=...,hybrid)");
  if (sub.count("--link-rate") > 0 && !sweeps("hosts"))
    throw ConfigError("--link-rate is for the hosts backend (--vary backend=...,hosts)");
  sweep.job_backend.threads_per_rank = o.threads_per_rank;
  sweep.job_backend.link_rate = o.link_rate;
  if (sweeps("hosts")) sweep.job_backend.hosts_script = found_hosts_script();
  for (const std::string& b : backends) {
    JobBackend check = sweep.job_backend;
    check.name = b;
    check_job_backend(check);
  }
  if (!o.report.empty()) {  // a folder that cannot be written fails now, not after the sweep
    if (::mkdir(o.report.c_str(), 0777) != 0 && errno != EEXIST)
      throw InputError(o.report, 0, fmt::format("cannot make the report folder: {}", std::strerror(errno)));
    if (::access(o.report.c_str(), W_OK | X_OK) != 0)
      throw InputError(o.report, 0, fmt::format("cannot write into the report folder: {}", std::strerror(errno)));
  }
}

// The data file and its --test file, read once with every core.
FileStudy read_study_file(StudyOptions& o, std::size_t features_given, int cores) {
  o.input.dtype = o.data.dtype;
  const FileReader reader{this_process(), cores, true};
  ReadOptions read = o.input.read_options(cores);
  read.features = features_given;
  FileStudy file{reader(o.file, read), std::nullopt, std::filesystem::path(o.file).filename().string()};
  fmt::print("Data    {}\n", describe(summary_of(o.file, file.data)));
  if (!o.test.empty()) {
    file.test = read_for_model(o.test, file.data.data.features(), file.data.labels,
                               ModelInput{file.data.format, file.data.csv}, o.input, reader);
    fmt::print("Test    {}\n", describe(summary_of(o.test, *file.test)));
  }
  return file;
}

// The synthetic rows of a point: --scaling weak grows them with the workers; the test rows are
// a fifth of them unless --test-samples was given.
SyntheticSpec point_spec(const Sweep& sweep, SyntheticSpec spec, int workers) {
  if (sweep.o.scaling == "weak") spec.samples *= static_cast<std::size_t>(workers);
  if (!sweep.o.data.test_samples || sweep.o.seed_sweeps) spec.test_samples = spec.samples / 5;
  validate(spec);
  return spec;
}

// A point on a backend of processes: each run a `dsgd train` job that makes or reads its data.
std::optional<StudyPoint> job_point(Sweep& sweep, const SyntheticSpec& spec, const TrainConfig& config,
                                    const JobBackend& backend, int w, const std::string& label) {
  const StudyOptions& o = sweep.o;
  const SyntheticSpec point = sweep.file ? spec : point_spec(sweep, spec, w);
  std::vector<std::string> args =
      sweep.file ? file_args(o.file, o.test, o.input, sweep.features_given, spec.seed) : synthetic_args(point);
  add_config_args(args, config, sweep.given_or_varied, !sweep.file);
  std::string skipped;
  const std::optional<JobRun> job = job_runs(backend, args, w, o.warmup, o.repeat, skipped);
  if (!job) {
    fmt::print("{:<28} W={:<3} skipped: {}\n", label, w, skipped);
    return std::nullopt;
  }
  PointData about = sweep.file ? described(*sweep.file)
                               : PointData{point.samples, point.features, point.nnz,
                                           std::string(to_string(point.dtype)), job->load_s};
  about.load_s = job->load_s;
  const double epochs =
      sweep.file ? static_cast<double>(job->report.run.epochs.size()) : static_cast<double>(config.epochs);
  return make_point("", w, sweep.study.cores, about, epochs, job->report, backend.name);
}

// A point on this process's threads, on synthetic rows (made again only when their size changes).
StudyPoint synthetic_point(Sweep& sweep, const SyntheticSpec& spec, const TrainConfig& config, int w) {
  const StudyOptions& o = sweep.o;
  const SyntheticSpec point = point_spec(sweep, spec, w);
  TrainOptions train = o.train;
  train.config = config;
  train.config.workers = w;
  train.given.insert("workers");
  train.resolve(point);
  if (!sweep.made || sweep.made_rows != point.samples) {
    sweep.made.reset();
    sweep.made.emplace(make_experiment(point, sweep.study.cores));
    sweep.made_rows = point.samples;
  }
  const Experiment& made = *sweep.made;
  const int threads = std::min(w, sweep.study.cores);
  const auto key = std::make_pair(threads, point.nnz > 0 ? point.features : 0);
  if (!sweep.bounds.contains(key)) sweep.bounds[key] = measure_bounds(threads, point);
  for (int r = 0; r < o.warmup; ++r) (void)run_scored(train.config, made, sweep.bounds[key]);
  std::vector<RunReport> runs;
  for (int r = 0; r < o.repeat; ++r) runs.push_back(run_scored(train.config, made, sweep.bounds[key]));
  const RunReport median = median_run(std::move(runs));
  const PointData about{point.samples, point.features, point.nnz, std::string(to_string(point.dtype)),
                        made.generate_s};
  StudyPoint p = make_point("", w, sweep.study.cores, about, static_cast<double>(train.config.epochs), median);
  if (o.convergence && made.test.rows() > 0) {
    FitOptions scored;
    scored.holdout = &made.test;
    scored.holdout_rows = made.test.rows();
    p.convergence = fit(made.train, train.config, [](std::string_view) { return true; }, scored).run.epochs;
  }
  return p;
}

// Every combination of the axes' values (the first axis outermost) from `base`, at every
// worker count, measured into sweep.study.
void sweep_base(Sweep& sweep, const Base& base, bool several_bases) {
  std::vector<std::size_t> at(sweep.axes.size(), 0);
  while (true) {
    SyntheticSpec spec = base.spec;
    TrainConfig config = base.config;
    JobBackend backend = sweep.job_backend;
    std::string series = several_bases ? base.label : "";
    for (std::size_t a = 0; a < sweep.axes.size(); ++a) {
      const Axis& axis = sweep.axes[a];
      const std::string& v = axis.values[at[a]];
      if (axis.name == "backend") backend.name = v;
      else if (is_data_axis(axis.name)) set_synthetic(spec, axis.name, v);
      else set_field(config, axis.name, v);
      series += fmt::format("{}{}={}", series.empty() ? "" : " ", axis.name, v);
    }
    const std::string label = series.empty() ? base.label : series;
    sweep.made.reset();  // (each combination makes its own rows)
    for (const int w : sweep.workers) {
      std::optional<StudyPoint> p;
      if (backend.name != "threads") {
        p = job_point(sweep, spec, config, backend, w, label);
      } else if (sweep.file) {
        p = file_point(*sweep.file, config, sweep.given_or_varied, w, sweep.study.cores, sweep.o.warmup,
                       sweep.o.repeat, sweep.o.convergence);
      } else {
        p = synthetic_point(sweep, spec, config, w);
      }
      if (!p) continue;
      p->series = series;
      print_point(*p, label);
      sweep.study.points.push_back(std::move(*p));
    }
    std::size_t a = sweep.axes.size();
    while (a > 0 && ++at[a - 1] == sweep.axes[a - 1].values.size()) at[--a] = 0;
    if (a == 0) break;
  }
}

// The bases a study sweeps from: the data file, the seed's three experiments, or -n x -d.
std::vector<Base> study_bases(const StudyOptions& o, const Sweep& sweep) {
  if (sweep.file) return {{sweep.file->label, o.data.spec, o.train.config}};
  if (o.seed_sweeps) {
    if (o.train.is_given("epochs") || o.train.is_given("batch") || o.train.is_given("warmup_epochs"))
      throw ConfigError("--seed-sweeps sets --epochs, --batch and --warmup-epochs of each experiment itself");
    return seed_bases(o.data.spec, o.train.config);
  }
  return {{fmt::format("{} x {}", size_label(o.data.spec.samples), o.data.spec.features), o.data.spec, o.train.config}};
}

std::string study_title(const StudyOptions& o, const Sweep& sweep, const Base& first) {
  if (o.seed_sweeps) return "dsgd study: the seed report's experiments";
  if (sweep.file) return fmt::format("dsgd study: {}", sweep.file->label);
  return fmt::format("dsgd study: {}{}", first.label,
                     o.data.spec.nnz > 0 ? fmt::format(" (nnz {})", o.data.spec.nnz) : "");
}

int run_study(const CLI::App& sub, StudyOptions& o) {
  if (o.file.empty()) o.data.resolve();  // the spec every synthetic point starts from
  o.train.config.seed = o.data.spec.seed;
  Study study;
  Sweep sweep{o, {}, worker_counts(o.workers, "--workers", 1024), {}, {}, {}, 0, {}, {}, 0, study};
  const std::vector<int> more = worker_counts(o.more_workers, "--predict-workers", 1'000'000);
  for (const std::string& v : o.vary) sweep.axes.push_back(parse_axis(v));
  sweep.given_or_varied = [&](std::string_view field) {
    return field == "workers" || o.train.is_given(field) || sweep.axis(field) != nullptr;
  };
  check_study(sub, o, sweep);
  std::vector<NamedNetwork> networks;
  for (const std::string& n : o.networks) networks.push_back(parse_network(n));
  study.cores = hardware_threads();
  sweep.features_given = sub.count("--features") > 0 ? o.data.spec.features : 0;
  if (!o.file.empty()) sweep.file.emplace(read_study_file(o, sweep.features_given, study.cores));
  const std::vector<Base> bases = study_bases(o, sweep);
  study.title = study_title(o, sweep, bases.front());
  study.scaling = o.scaling;
  // A file's default batch is a share of the rows, the same global batch for every W.
  study.fixed_global_batch = sweep.file && !sweep.given_or_varied("batch");
  study.repeat = o.repeat;
  study.warmup = o.warmup;
  study.kernel_target = kernel_target();
  if (o.seed_sweeps) study.seed.push_back({"1M x 20", 4, 0.0776, "the seed's Python multiprocessing, 4 workers"});
  for (const Base& base : bases) sweep_base(sweep, base, bases.size() > 1);
  fit_study(study, more, networks);
  print_study(stdout, study);
  if (!o.report.empty()) {
    const std::string note = write_study_report(o.report, study);
    if (!note.empty()) fmt::print(stderr, "dsgd: note: {}\n", note);
    fmt::print("Report: {}/report.md\n", o.report);
  }
  return 0;
}

}  // namespace

Handler add_study_command(CLI::App& app) {
  auto options = std::make_shared<StudyOptions>();
  CLI::App* sub = app.add_subcommand(
      "study", "Sweep workers and settings, fit a cost model, write a report (no options: the seed experiment)");
  add_study_options(*sub, *options);
  return [options, sub] { return run_study(*sub, *options); };
}

}  // namespace dsgd::cli
