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
#include "dsgd/analysis/sweep.h"
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

// Checks the options against each other and against the data they study (a data file or not),
// and the backends of processes swept, before any point runs; returns the jobs' backend.
JobBackend check_study(const CLI::App& sub, const StudyOptions& o, const SweepPlan& plan) {
  if (!o.file.empty()) {
    reject(sub, {"--samples", "--test-samples", "--noise", "--nnz", "--zipf", "--values", "--seed-sweeps"},
           "is for synthetic data, not with a data file");
    if (o.scaling == "weak")
      throw ConfigError("--scaling weak grows synthetic data with the workers; a data file's rows stay as they are "
                        "(strong scaling)");
    check_paths({}, {{"data", o.file}, {"--test", o.test}});
    for (const Axis& axis : plan.axes) {
      if (is_data_axis(axis.name))
        throw ConfigError(fmt::format("--vary {}: a setting of synthetic data, not of a data file", axis.name));
    }
  } else {
    reject(sub, {"--test", "--input-format", "--storage", "--format", "--label-column", "--cache"},
           "needs a data file (dsgd study DATA ...)");
  }
  const Axis* backend = plan.axis("backend");
  const std::vector<std::string> backends = backend != nullptr ? backend->values : std::vector<std::string>{"threads"};
  const auto sweeps = [&](const char* name) { return std::find(backends.begin(), backends.end(), name) != backends.end(); };
  if (sub.count("--threads-per-rank") > 0 && !sweeps("hybrid"))
    throw ConfigError("--threads-per-rank is for the hybrid backend (--vary backend=...,hybrid)");
  if (sub.count("--link-rate") > 0 && !sweeps("hosts"))
    throw ConfigError("--link-rate is for the hosts backend (--vary backend=...,hosts)");
  JobBackend jobs;
  jobs.threads_per_rank = o.threads_per_rank;
  jobs.link_rate = o.link_rate;
  if (sweeps("hosts")) jobs.hosts_script = found_hosts_script();
  for (const std::string& b : backends) {
    JobBackend check = jobs;
    check.name = b;
    check_job_backend(check);
  }
  if (!o.report.empty()) {  // a folder that cannot be written fails now, not after the sweep
    if (::mkdir(o.report.c_str(), 0777) != 0 && errno != EEXIST)
      throw InputError(o.report, 0, fmt::format("cannot make the report folder: {}", std::strerror(errno)));
    if (::access(o.report.c_str(), W_OK | X_OK) != 0)
      throw InputError(o.report, 0, fmt::format("cannot write into the report folder: {}", std::strerror(errno)));
  }
  return jobs;
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

// A point on a backend of processes: each run a `dsgd train` job that makes or reads its data.
std::optional<StudyPoint> job_point(const StudyOptions& o, const SweepPlan& plan, JobBackend backend,
                                    std::size_t features_given, int cores, const SyntheticSpec& spec,
                                    const TrainConfig& config, int w, const std::string& label) {
  const SyntheticSpec point = plan.file != nullptr ? spec : point_spec(plan, spec, w);
  std::vector<std::string> args = plan.file != nullptr
                                      ? file_args(o.file, o.test, o.input, features_given, spec.seed)
                                      : synthetic_args(point);
  add_config_args(args, config, plan.given_or_varied, plan.file == nullptr);
  std::string skipped;
  const std::optional<JobRun> job = job_runs(backend, args, w, o.warmup, o.repeat, skipped);
  if (!job) {
    fmt::print("{:<28} W={:<3} skipped: {}\n", label, w, skipped);
    return std::nullopt;
  }
  PointData about = plan.file != nullptr ? described(*plan.file)
                                         : PointData{point.samples, point.features, point.nnz,
                                                     std::string(to_string(point.dtype)), job->load_s};
  about.load_s = job->load_s;
  const double epochs = plan.file != nullptr ? static_cast<double>(job->report.run.epochs.size())
                                             : static_cast<double>(config.epochs);
  return make_point("", w, cores, about, epochs, job->report, backend.name);
}

// The bases a study sweeps from: the data file, the seed's three experiments, or -n x -d.
std::vector<Base> study_bases(const StudyOptions& o, const FileStudy* file) {
  if (file != nullptr) return {{file->label, o.data.spec, o.train.config}};
  if (o.seed_sweeps) {
    if (o.train.is_given("epochs") || o.train.is_given("batch") || o.train.is_given("warmup_epochs"))
      throw ConfigError("--seed-sweeps sets --epochs, --batch and --warmup-epochs of each experiment itself");
    return seed_bases(o.data.spec, o.train.config);
  }
  return {{fmt::format("{} x {}", size_label(o.data.spec.samples), o.data.spec.features), o.data.spec, o.train.config}};
}

std::string study_title(const StudyOptions& o, const FileStudy* file, const Base& first) {
  if (o.seed_sweeps) return "dsgd study: the seed report's experiments";
  if (file != nullptr) return fmt::format("dsgd study: {}", file->label);
  return fmt::format("dsgd study: {}{}", first.label,
                     o.data.spec.nnz > 0 ? fmt::format(" (nnz {})", o.data.spec.nnz) : "");
}

// The sweep's plan from the options (every list and axis parsed and checked).
SweepPlan plan_of(const StudyOptions& o) {
  SweepPlan plan;
  plan.workers = worker_counts(o.workers, "--workers", 1024);
  for (const std::string& v : o.vary) plan.axes.push_back(parse_axis(v));
  plan.weak = o.scaling == "weak";
  plan.warmup = o.warmup;
  plan.repeat = o.repeat;
  plan.convergence = o.convergence;
  plan.test_samples_given = o.data.test_samples.has_value() && !o.seed_sweeps;
  plan.max_memory = o.train.max_memory;
  return plan;
}

int run_study(const CLI::App& sub, StudyOptions& o) {
  if (o.file.empty()) o.data.resolve();  // the spec every synthetic point starts from
  o.train.config.seed = o.data.spec.seed;
  SweepPlan plan = plan_of(o);
  const std::vector<int> more = worker_counts(o.more_workers, "--predict-workers", 1'000'000);
  plan.given_or_varied = [&](std::string_view field) {
    return field == "workers" || o.train.is_given(field) || plan.axis(field) != nullptr;
  };
  const JobBackend jobs = check_study(sub, o, plan);
  std::vector<NamedNetwork> networks;
  for (const std::string& n : o.networks) networks.push_back(parse_network(n));
  Study study;
  study.cores = hardware_threads();
  const std::size_t features_given = sub.count("--features") > 0 ? o.data.spec.features : 0;
  std::optional<FileStudy> file;
  if (!o.file.empty()) file.emplace(read_study_file(o, features_given, study.cores));
  plan.file = file ? &*file : nullptr;
  plan.job_point = [&](const SyntheticSpec& spec, const TrainConfig& config, const std::string& backend, int w,
                       const std::string& label) {
    JobBackend on = jobs;
    on.name = backend;
    return job_point(o, plan, on, features_given, study.cores, spec, config, w, label);
  };
  plan.on_point = print_point;
  const std::vector<Base> bases = study_bases(o, plan.file);
  study.title = study_title(o, plan.file, bases.front());
  study.scaling = o.scaling;
  // A file's default batch is a share of the rows, the same global batch for every W.
  study.fixed_global_batch = file && !plan.given_or_varied("batch");
  study.repeat = o.repeat;
  study.warmup = o.warmup;
  study.kernel_target = kernel_target();
  if (o.seed_sweeps) study.seed.push_back({"1M x 20", 4, 0.0776, "the seed's Python multiprocessing, 4 workers"});
  sweep(plan, bases, study);
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
