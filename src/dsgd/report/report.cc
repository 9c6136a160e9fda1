#include "dsgd/report/report.h"

#include <fmt/format.h>

#include <cmath>
#include <thread>

#include "dsgd/base/error.h"
#include "dsgd/model/kernel.h"
#include "dsgd/base/text.h"
#include "dsgd/train/config/memory.h"
#include "dsgd/report/data_summary.h"
#include "dsgd/base/version.h"

namespace dsgd {

nlohmann::json bound_json(double bandwidth_gbs, double time_s, const std::string& source, double random_reads_per_s,
                          double random_time_s) {
  nlohmann::json j = {{"read_bandwidth_gbs", bandwidth_gbs}, {"time_s", time_s}, {"source", source}};
  if (random_time_s > 0) j.update({{"random_reads_per_s", random_reads_per_s}, {"random_time_s", random_time_s}});
  return j;
}

namespace {

// A score with `digits` decimals, or n/a for a score of no rows (NaN).
std::string score(double value, int digits = 4) {
  if (std::isnan(value)) return "n/a";
  return std::abs(value) < 1e6 ? fmt::format("{:.{}f}", value, digits) : fmt::format("{:.{}g}", value, digits + 1);
}

// " (median of 5: 0.0512 0.0498 ...)" when the run was repeated.
std::string repeats(const RunReport& r) {
  if (r.times_s.size() < 2) return {};
  std::string text = fmt::format(" (median of {}:", r.times_s.size());
  for (double t : r.times_s) text += fmt::format(" {:.4f}", t);
  return text + ")";
}

// Bytes of the synthetic set's X: dense rows x features, or CSR (values, u32 indices, u64 offsets).
double x_bytes(const SyntheticSpec& data) {
  const auto rows = static_cast<double>(data.samples);
  if (data.nnz == 0) return rows * static_cast<double>(data.features * size_of(data.dtype));
  return rows * static_cast<double>(data.nnz * (size_of(data.dtype) + sizeof(std::uint32_t)) + sizeof(std::uint64_t));
}

// Communication of rank 0 (every worker of the symmetric algorithms does the same).
const CommStats& rank0(const RunResult& run) { return run.per_worker.front(); }

nlohmann::json config_json(const SyntheticSpec& data, const TrainConfig& config) {
  nlohmann::json j = to_json(config);
  j.update({{"samples", data.samples},
            {"features", data.features},
            {"test_samples", data.test_samples},
            {"noise", data.noise},
            {"dtype", std::string(to_string(data.dtype))},
            {"nnz", data.nnz},
            {"zipf", data.zipf},
            {"values", std::string(to_string(data.values))}});
  return j;
}

nlohmann::json run_json(const RunReport& r) {
  return {{"time_s", r.run.time_s},
          {"exchange_s", r.run.exchange_s},
          {"random_bound_s", r.random_bound_s},
          {"response_time_s", r.run.response_time_s},
          {"train_accuracy", r.train.accuracy},
          {"train_log_loss", r.train.log_loss},
          {"test_accuracy", r.test.accuracy},
          {"test_log_loss", r.test.log_loss},
          {"compute_s", r.run.compute_s},
          {"update_s", r.run.update_s},
          {"comm_s", r.run.comm_s},
          {"wait_s", r.run.wait_s},
          {"steps", r.run.steps},
          {"bound_s", r.bound_s},
          {"time_s_runs", r.times_s},
          {"epochs", to_json(r.run.epochs)},
          {"weights", r.run.model.weights},
          {"bias", r.run.model.bias}};
}

void print_bound(std::FILE* out, const char* label, const RunReport& r) {
  fmt::print(out, "  {:<11} bound {:.4f} s at {:.1f} GB/s{}; run took {:.2f}x the bound\n", label, r.bound_s,
             r.bandwidth_gbs, r.bandwidth_source.empty() ? "" : " (" + r.bandwidth_source + ")",
             r.run.time_s / r.bound_s);
  if (r.random_bound_s > 0)
    fmt::print(out, "  {:<11} random-read bound {:.4f} s at {:.0f} M reads/s (one a non-zero); run took {:.2f}x\n", "",
               r.random_bound_s, r.random_reads_per_s / 1e6, r.run.time_s / r.random_bound_s);
}

}  // namespace

namespace {
// What one step's sync carries.
std::string sync_payload(const RunResult& run, std::size_t features) {
  if (run.exchange.model_averages > 0) return "models (local SGD; see Exchange)";
  if (run.exchange.shared_steps > 0) return "4 pass sums (the model is shared; see Exchange)";
  if (run.exchange.sharded_steps > 0) return "entries to their owners, new weights back (see Exchange)";
  if (run.exchange.sparse_steps == 0) return fmt::format("{} doubles", features + 4);  // gradient and 4 pass sums
  return "sparse lists (see Exchange)";
}

}  // namespace

void print_communication(std::FILE* out, const RunResult& run, std::size_t features) {
  const CommStats& s = rank0(run);
  std::uint64_t total = 0;
  for (const CommStats& w : run.per_worker) total += w.bytes_sent;
  const auto workers = run.per_worker.size();
  if (!run.bytes_measured) {
    fmt::print(out,
               "Communication cost: {} syncs of {}; bytes not measurable inside MPI_Allreduce ({}: MPI chooses the "
               "order of the sums, so the bits may differ from threads' and from run to run)\n",
               s.syncs, sync_payload(run, features), run.algorithm);
    return;
  }
  // The seed counted syncs x workers x d x 8 (gradients up only); this counts what moved, both ways.
  fmt::print(out,
             "Communication cost: {} syncs of {}; per worker {} sent + {} received; {} moved in all "
             "({})\n",
             s.syncs, sync_payload(run, features), human_bytes(static_cast<double>(s.bytes_sent)),
             human_bytes(static_cast<double>(s.bytes_received)), human_bytes(static_cast<double>(total)),
             workers == 1 ? "one worker: nothing to exchange" : run.algorithm);
}

nlohmann::json to_json(const std::vector<EpochProgress>& epochs) {
  nlohmann::json out = nlohmann::json::array();
  for (const EpochProgress& e : epochs) {
    out.push_back({{"epoch", e.epoch},
                   {"loss", e.loss},
                   {"accuracy", e.accuracy},
                   {"holdout_loss", e.holdout_loss},
                   {"holdout_accuracy", e.holdout_accuracy},
                   {"lr", e.lr},
                   {"time_s", e.time_s}});
  }
  return out;
}

nlohmann::json communication_json(const RunResult& run) {
  nlohmann::json per_worker = nlohmann::json::array();
  for (std::size_t k = 0; k < run.per_worker.size(); ++k) {
    const CommStats& s = run.per_worker[k];
    const WorkerWork w = k < run.work.size() ? run.work[k] : WorkerWork{};
    per_worker.push_back({{"syncs", s.syncs}, {"bytes_sent", s.bytes_sent}, {"bytes_received", s.bytes_received},
                          {"comm_s", s.comm_s}, {"wait_s", s.wait_s}, {"compute_s", w.compute_s},
                          {"update_s", w.update_s}, {"exchange_s", w.exchange_s},
                          {"columns_updated", w.columns_updated}, {"entries_sent", w.entries_sent},
                          {"entries_received", w.entries_received}, {"weights_sent", w.weights_sent},
                          {"weights_received", w.weights_received}});
  }
  const CommStats& s = rank0(run);
  // MPI_Allreduce moves bytes we cannot see: null rather than a guess.
  const nlohmann::json sent = run.bytes_measured ? nlohmann::json(s.bytes_sent) : nlohmann::json(nullptr);
  const nlohmann::json received = run.bytes_measured ? nlohmann::json(s.bytes_received) : nlohmann::json(nullptr);
  return {{"algorithm", run.algorithm}, {"syncs", s.syncs},
          {"bytes_sent", sent},         {"bytes_received", received},
          {"bytes_measured", run.bytes_measured}, {"per_worker", std::move(per_worker)}};
}

void print_exchange(std::FILE* out, const RunResult& run, std::size_t features) {
  const ExchangeStats& e = run.exchange;
  const std::uint64_t steps = e.sparse_steps + e.dense_steps + e.shared_steps + e.sharded_steps;
  const CommStats& s = rank0(run);
  const std::string touched = run.sparse_update
                                  ? fmt::format("the {} gradient touched {:.3g}% of the {} columns a step",
                                                e.model_averages > 0 ? "local" : "summed", 100 * run.touched_share,
                                                features)
                                  : fmt::format("dense data: all {} columns every step", features);
  if (e.model_averages > 0) {  // local SGD: no gradient exchanged
    const std::string bytes = run.bytes_measured
                                  ? fmt::format("{} an average per worker (sent + received, with the run's other syncs)",
                                                human_bytes(static_cast<double>(s.bytes_sent + s.bytes_received) /
                                                            static_cast<double>(e.model_averages)))
                                  : std::string("bytes not measurable inside MPI_Allreduce");
    fmt::print(out, "Exchange  local SGD: {} steps without communicating, the models averaged {} times; {}; {}\n",
               e.local_steps, e.model_averages, bytes, touched);
    return;
  }
  if (run.per_worker.size() == 1 || steps == 0) {
    fmt::print(out, "Exchange  none (one worker); {}\n", touched);
    return;
  }
  const std::string how = e.shared_steps == steps
                              ? "shared model every step (the replicas in memory every worker reads: each "
                                "touched column summed and moved by one worker)"
                          : e.sharded_steps == steps
                              ? fmt::format("sharded every step (each column summed and moved by its owner; rank 0 "
                                            "sent {:.0f} and took {:.0f} entries, and took {:.0f} new weights a step)",
                                            static_cast<double>(e.entries_sent) / static_cast<double>(steps),
                                            static_cast<double>(e.entries_received) / static_cast<double>(steps),
                                            static_cast<double>(e.weights_received) / static_cast<double>(steps))
                          : e.sparse_steps == steps ? "sparse lists every step"
                          : e.dense_steps == steps ? "dense vector every step"
                                                   : fmt::format("auto: sparse lists {} steps, dense vector {}",
                                                                 e.sparse_steps, e.dense_steps);
  const std::string bytes =
      run.bytes_measured
          ? fmt::format("{} a step per worker (sent + received)",
                        human_bytes(static_cast<double>(s.bytes_sent + s.bytes_received) / static_cast<double>(steps)))
          : std::string("bytes not measurable inside MPI_Allreduce");
  fmt::print(out, "Exchange  {}; {}; {}\n", how, bytes, touched);
  if (e.overlapped_steps > 0) {
    const double travelled = e.hidden_s + e.exposed_s;
    fmt::print(out,
               "Overlap   {} of {} steps sent while the next gradient was computed (pipelined: updates use a gradient "
               "one step old); exchanges in flight {:.3g} s, {:.3g} s of it behind compute ({:.0f}%, as the polls "
               "between micro-batches saw it), exposed {:.3g} s (starting and waiting; rank 0)\n",
               e.overlapped_steps, steps, travelled, e.hidden_s, travelled > 0 ? 100 * e.hidden_s / travelled : 0.0,
               e.exposed_s);
  }
}

nlohmann::json exchange_json(const RunResult& run, const TrainConfig& config) {
  const ExchangeStats& e = run.exchange;
  const std::uint64_t steps = e.sparse_steps + e.dense_steps + e.shared_steps + e.sharded_steps;
  const CommStats& s = run.per_worker.empty() ? CommStats{} : rank0(run);
  const nlohmann::json bytes = run.bytes_measured && steps > 0
                                   ? nlohmann::json(static_cast<double>(s.bytes_sent + s.bytes_received) /
                                                    static_cast<double>(steps))
                                   : nlohmann::json(nullptr);
  return {{"mode", std::string(to_string(config.exchange))},
          {"update", run.sparse_update ? "lazy, touched columns" : "dense"},
          {"sparse_steps", e.sparse_steps},
          {"dense_steps", e.dense_steps},
          {"shared_steps", e.shared_steps},
          {"sharded_steps", e.sharded_steps},
          {"choice", run.exchange_why.empty() ? nlohmann::json(nullptr) : nlohmann::json(run.exchange_why)},
          {"entries", e.entries},
          {"local_steps", e.local_steps},
          {"model_averages", e.model_averages},
          {"overlapped_steps", e.overlapped_steps},
          {"hidden_s", e.hidden_s},
          {"exposed_s", e.exposed_s},
          {"bytes_per_step", bytes},
          {"touched_share", run.touched_share}};
}

namespace {
// "held-out accuracy >= 0.85" and/or "held-out log-loss <= 0.3".
std::string target_text(const TrainConfig& c) {
  std::string text;
  if (!std::isnan(c.target_accuracy)) text = fmt::format("held-out accuracy >= {}", c.target_accuracy);
  if (!std::isnan(c.target_loss))
    text += fmt::format("{}held-out log-loss <= {}", text.empty() ? "" : " or ", c.target_loss);
  return text;
}
}  // namespace

void print_target(std::FILE* out, const TrainConfig& config, const RunResult& run) {
  const TargetResult& t = run.target;
  if (!t.reached) {
    fmt::print(out, "Target {}: not met in {} ({} steps)\n", target_text(config),
               plural(run.epochs.size(), "epoch"), run.steps);
    return;
  }
  fmt::print(out, "Target {}: met after {} steps (epoch {:.2f}), {:.4f} s into training (held-out accuracy {:.5f}, "
                  "log-loss {}){}\n",
             target_text(config), t.step, t.epoch, t.time_s, t.holdout_accuracy, score(t.holdout_loss, 6),
             config.target_stop ? "" : "; training went on to its end (--after-target continue)");
}

nlohmann::json target_json(const TrainConfig& config, const RunResult& run) {
  if (!config.has_target()) return nullptr;
  const TargetResult& t = run.target;
  const auto number = [](double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); };
  const auto if_met = [&](const nlohmann::json& v) { return t.reached ? v : nlohmann::json(nullptr); };
  return {{"accuracy", number(config.target_accuracy)},
          {"loss", number(config.target_loss)},
          {"every", config.target_every == 0 ? nlohmann::json("epoch") : nlohmann::json(config.target_every)},
          {"reached", t.reached},
          {"step", if_met(t.step)},
          {"epoch", if_met(t.epoch)},
          {"time_s", if_met(t.time_s)},
          {"holdout_accuracy", if_met(t.holdout_accuracy)},
          {"holdout_loss", if_met(t.holdout_loss)}};
}

void print_time_split(std::FILE* out, const RunResult& run) {
  fmt::print(out,
             "  compute {:.4f} s (update {:.4f} s), exchange {:.4f} s (communication {:.4f} s, waiting {:.4f} s) (mean "
             "per worker)\n",
             run.compute_s, run.update_s, run.exchange_s, run.comm_s, run.wait_s);
}

void print_progress(std::FILE* out, const std::string& label, std::size_t epochs, const EpochProgress& p) {
  const std::string held = std::isnan(p.holdout_loss)
                               ? std::string()
                               : fmt::format("  held-out loss {}  acc {:.5f}", score(p.holdout_loss, 6), p.holdout_accuracy);
  fmt::print(out, "[{}] epoch {:>{}}/{}  loss {}  acc {:.5f}{}  lr {}  {:.4f} s\n", label, p.epoch,
             std::to_string(epochs).size(), epochs, score(p.loss, 6), p.accuracy, held, score(p.lr, 4), p.time_s);
  std::fflush(out);
}

void print_scores(std::FILE* out, const std::string& title, const Evaluation& e, bool full) {
  fmt::print(out, "{}accuracy {}  log-loss {}  AUC {}{}  ({} rows)\n", title, score(e.accuracy), score(e.log_loss, 5),
             score(e.auc, 4),
             full ? fmt::format("  precision {}  recall {}  F1 {}", score(e.precision, 4), score(e.recall, 4),
                                score(e.f1, 4))
                  : "",
             e.rows);
  if (e.non_finite > 0)
    fmt::print(out, "{:<8}{} rows have a non-finite score (NaN or Inf; the first is row {}), not counted\n", "",
               e.non_finite, e.first_non_finite + 1);
}

void print_confusion(std::FILE* out, const std::string& title, const Evaluation& e, const LabelMap& labels) {
  const std::string negative = labels.text(0), positive = labels.text(1);
  const std::size_t width = std::max<std::size_t>(
      {12, std::to_string(std::max({e.true_positives, e.false_positives, e.true_negatives, e.false_negatives})).size(),
       10 + std::max(negative.size(), positive.size())});
  const std::string decided = e.threshold != 0.5 ? fmt::format(" (positive where the probability > {})", e.threshold) : "";
  fmt::print(out, "{:<8}{:<12}{:>{}}  {:>{}}{}\n", title, "", "predicted " + negative, width, "predicted " + positive,
             width, decided);
  fmt::print(out, "{:<8}{:<12}{:>{}}  {:>{}}\n", "", "actual " + negative, e.true_negatives, width, e.false_positives,
             width);
  fmt::print(out, "{:<8}{:<12}{:>{}}  {:>{}}\n", "", "actual " + positive, e.false_negatives, width, e.true_positives,
             width);
}

nlohmann::json to_json(const Evaluation& e) {
  return {{"rows", e.rows},
          {"non_finite_scores", e.non_finite},
          {"threshold", e.threshold},
          {"accuracy", e.accuracy},
          {"log_loss", e.log_loss},
          {"auc", e.auc},
          {"precision", e.precision},
          {"recall", e.recall},
          {"f1", e.f1},
          {"confusion",
           {{"true_positives", e.true_positives},
            {"false_positives", e.false_positives},
            {"true_negatives", e.true_negatives},
            {"false_negatives", e.false_negatives}}}};
}

namespace {
// "Data generation: 14.1 s: 12.2 s the first touch of 9.70 GB of new memory (0.80 GB/s), 1.9 s
// computing the rows": page faults are the machine's (the kernel's zeroing, a VM host's backing),
// not the generator's, and on some machines they are most of it.
void print_generation(std::FILE* out, const Environment& env) {
  const GenerationTimes& g = env.generation;
  if (g.bytes == 0) return;
  const double rate = g.first_touch_s > 0 ? static_cast<double>(g.bytes) / g.first_touch_s / 1e9 : 0.0;
  fmt::print(out, "Data generation: {:.3f} s: {:.3f} s the first touch of {} of new memory ({:.2f} GB/s, page faults), "
             "{:.3f} s computing the rows\n",
             env.generate_s, g.first_touch_s, human_bytes(static_cast<double>(g.bytes)), rate, g.rows_s);
}
}  // namespace

void print_report(std::FILE* out, const BenchReport& report) {
  const RunReport& seq = report.sequential;
  const RunReport& par = report.parallel;
  fmt::print(out, "Samples: {}\nFeatures: {}\nEpochs: {}\nBatch: {}\nWorkers: {}\n", report.data.samples,
             report.data.features, report.config.epochs, report.config.batch, report.config.workers);
  // The seed printed training-set accuracy here; this is the held-out accuracy (see the table).
  fmt::print(out, "Sequential time: {:.4f} s | acc: {}{}\n", seq.run.time_s, score(seq.test.accuracy), repeats(seq));
  fmt::print(out, "Parallel time: {:.4f} s | acc: {}{}\n", par.run.time_s, score(par.test.accuracy), repeats(par));
  fmt::print(out, "Speedup: {:.2f}x\n", report.speedup());
  fmt::print(out, "Response time: {:.4f} s (parallel run, start of the run to its end)\n", par.run.response_time_s);
  print_generation(out, report.env);
  print_communication(out, par.run, report.data.features);
  print_exchange(out, par.run, report.data.features);
  fmt::print(out, "\n{:<22}{:>12}{:>12}\n", "", "sequential", "parallel");
  const auto row = [&](const char* name, double a, double b, int digits) {
    fmt::print(out, "{:<22}{:>12}{:>12}\n", name, score(a, digits), score(b, digits));
  };
  row("train accuracy", seq.train.accuracy, par.train.accuracy, 5);
  row("test accuracy", seq.test.accuracy, par.test.accuracy, 5);
  row("test log-loss", seq.test.log_loss, par.test.log_loss, 5);
  row("time (s)", seq.run.time_s, par.run.time_s, 4);
  row("  compute (s)", seq.run.compute_s, par.run.compute_s, 4);
  row("    update (s)", seq.run.update_s, par.run.update_s, 4);
  row("  exchange (s)", seq.run.exchange_s, par.run.exchange_s, 4);
  row("    communication (s)", seq.run.comm_s, par.run.comm_s, 4);
  row("    waiting (s)", seq.run.wait_s, par.run.wait_s, 4);
  row("response time (s)", seq.run.response_time_s, par.run.response_time_s, 4);
  fmt::print(out, "{:<22}{:>12}{:>12}\n", "workers x batch", fmt::format("1 x {}", report.config.batch),
             fmt::format("{} x {}", report.config.workers, report.config.batch));
  fmt::print(out, "{:<22}{:>12}{:>12}\n", "steps", seq.run.steps, par.run.steps);
  fmt::print(out, "\nTest set: {} held-out rows from the same true weights (label noise {}).\n",
             report.data.test_samples, report.data.noise);
  fmt::print(out, "Memory-bandwidth bound ({} kernel; {} epochs x {} of X read at the measured bandwidth):\n",
             report.env.kernel_target, report.config.epochs, human_bytes(x_bytes(report.data)));
  print_bound(out, "sequential", seq);
  print_bound(out, "parallel", par);
  if (report.step_model) {
    const StepModel& m = *report.step_model;
    fmt::print(out,
               "Step model ({} exchange, costs from the sequential run: {:.3g} ns a non-zero, {:.3g} ns a column): "
               "parallel run predicted {:.3g} s, measured {:.3g} s ({:+.0f}%); {:.0f} columns touched a worker a step, "
               "{:.0f} by all\n",
               to_string(m.mode), 1e9 * m.costs.value_s, 1e9 * m.costs.column_s, m.predicted_s, m.measured_s,
               100 * (m.predicted_s / m.measured_s - 1), m.shape.touched, m.shape.union_columns);
  }
}

namespace {
nlohmann::json step_cost_json(const StepCost& c) {
  return {{"kernel_s", c.kernel_s}, {"update_s", c.update_s}, {"exchange_s", c.exchange_s}, {"bytes", c.bytes},
          {"total_s", c.total()}};
}

nlohmann::json step_model_json(const StepModel& m) {
  nlohmann::json hosts = nlohmann::json::array();
  for (const HostPrediction& h : m.hosts) {
    hosts.push_back({{"workers", h.workers}, {"gbit", h.gbit}, {"one_worker_step_s", h.one_s},
                     {"sharded", step_cost_json(h.sharded)}, {"lists", step_cost_json(h.lists)}});
  }
  return {{"mode", std::string(to_string(m.mode))},
          {"value_s", m.costs.value_s},
          {"column_s", m.costs.column_s},
          {"shape",
           {{"workers", m.shape.workers},
            {"values", m.shape.values},
            {"touched", m.shape.touched},
            {"union", m.shape.union_columns},
            {"columns", m.shape.columns}}},
          {"step", step_cost_json(m.step)},
          {"predicted_s", m.predicted_s},
          {"measured_s", m.measured_s},
          {"hosts", std::move(hosts)}};
}
}  // namespace

nlohmann::json report_header(const std::string& command) {
  return {{"command", command},
          {"dsgd", version()},
          {"environment",
           {{"kernel_target", kernel_target()}, {"hardware_threads", std::thread::hardware_concurrency()}}}};
}

namespace {
// The header and the figures every training report shares with the file runs'.
void add_run_keys(nlohmann::json& json, const std::string& command, const SyntheticSpec& data, const Environment& env) {
  json.update(report_header(command));
  json["environment"]["generate_s"] = env.generate_s;
  json["environment"]["peak_resident_bytes"] = env.peak_resident_bytes;
  json["environment"]["first_touch_s"] = env.generation.first_touch_s;
  json["environment"]["generate_rows_s"] = env.generation.rows_s;
  json["environment"]["generated_bytes"] = env.generation.bytes;
  json["backend"] = env.backend;
  json["data"] = to_json(summary_of(data, Split::kTrain, env.generate_s, env.generation));
  json["sample_weights"] = nullptr;  // synthetic rows weigh 1
  json["load_s"] = env.generate_s;
}
}  // namespace

namespace {
// A member of `j` at `path` ("communication.per_worker"): Error if it is not there.
const nlohmann::json& member(const nlohmann::json& j, std::string_view path) {
  const nlohmann::json* at = &j;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t dot = std::min(path.find('.', start), path.size());
    const std::string key(path.substr(start, dot - start));
    if (!at->is_object() || !at->contains(key))
      throw Error(fmt::format("the run's JSON report has no '{}'", path));
    at = &(*at)[key];
    start = dot + 1;
  }
  return *at;
}

double number_at(const nlohmann::json& j, std::string_view path) {
  const nlohmann::json& v = member(j, path);
  if (v.is_null()) return std::nan("");
  if (!v.is_number()) throw Error(fmt::format("the run's JSON report has '{}' that is not a number", path));
  return v.get<double>();
}

// A number that a report may leave out (or hold null for, or under a null object): NaN then.
double optional_number(const nlohmann::json& j, std::string_view path) {
  const nlohmann::json* at = &j;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t dot = std::min(path.find('.', start), path.size());
    const std::string key(path.substr(start, dot - start));
    if (!at->is_object() || !at->contains(key)) return std::nan("");
    at = &(*at)[key];
    start = dot + 1;
  }
  return at->is_number() ? at->get<double>() : std::nan("");
}

template <class T>
T value_at(const nlohmann::json& j, std::string_view path) {
  try {
    return member(j, path).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error(fmt::format("the run's JSON report has '{}' of the wrong type", path));
  }
}
}  // namespace

RunReport run_report_from_json(const nlohmann::json& j) {
  RunReport r;
  r.run.time_s = number_at(j, "time_s");
  r.run.response_time_s = number_at(j, "response_time_s");
  r.run.compute_s = number_at(j, "compute_s");
  if (j.contains("update_s")) r.run.update_s = number_at(j, "update_s");  // (reports of dsgd 0.5 and later)
  r.run.exchange_s = number_at(j, "exchange_s");
  r.run.comm_s = number_at(j, "comm_s");
  r.run.wait_s = number_at(j, "wait_s");
  r.run.steps = value_at<std::size_t>(j, "steps");
  r.run.best_epoch = value_at<std::size_t>(j, "best_epoch");
  r.run.model.weights = value_at<std::vector<double>>(j, "weights");
  r.run.model.bias = number_at(j, "bias");
  r.run.algorithm = value_at<std::string>(j, "communication.algorithm");
  r.run.bytes_measured = value_at<bool>(j, "communication.bytes_measured");
  for (const nlohmann::json& w : value_at<nlohmann::json::array_t>(j, "communication.per_worker")) {
    r.run.per_worker.push_back({value_at<std::uint64_t>(w, "syncs"), value_at<std::uint64_t>(w, "bytes_sent"),
                                value_at<std::uint64_t>(w, "bytes_received"), number_at(w, "comm_s"),
                                number_at(w, "wait_s")});
    if (w.contains("update_s"))  // (reports of dsgd 0.5 and later)
      r.run.work.push_back({number_at(w, "compute_s"), number_at(w, "update_s"), number_at(w, "exchange_s"),
                            value_at<std::uint64_t>(w, "columns_updated")});
  }
  if (r.run.per_worker.empty()) throw Error("the run's JSON report has no workers in 'communication.per_worker'");
  for (const nlohmann::json& e : value_at<nlohmann::json::array_t>(j, "epochs")) {
    r.run.epochs.push_back({value_at<std::size_t>(e, "epoch"), number_at(e, "loss"), number_at(e, "accuracy"),
                            number_at(e, "holdout_loss"), number_at(e, "holdout_accuracy"), number_at(e, "lr"),
                            number_at(e, "time_s")});
  }
  // (A data file's report has one run, and no test object without --test; dense rows no random-read bound.)
  r.times_s = j.contains("time_s_runs") ? value_at<std::vector<double>>(j, "time_s_runs")
                                         : std::vector<double>{r.run.time_s};
  r.train = {number_at(j, "train.accuracy"), number_at(j, "train.log_loss")};
  r.test = {optional_number(j, "test.accuracy"), optional_number(j, "test.log_loss")};
  if (!member(j, "bound").is_null()) {  // (measured with --verbose only)
    r.bound_s = number_at(j, "bound.time_s");
    r.bandwidth_gbs = number_at(j, "bound.read_bandwidth_gbs");
    r.bandwidth_source = value_at<std::string>(j, "bound.source");
  }
  const double random_bound_s = optional_number(j, "bound.random_time_s");
  const double random_reads_per_s = optional_number(j, "bound.random_reads_per_s");
  r.random_bound_s = std::isnan(random_bound_s) ? 0.0 : random_bound_s;
  r.random_reads_per_s = std::isnan(random_reads_per_s) ? 0.0 : random_reads_per_s;
  return r;
}

nlohmann::json to_json(const BenchReport& report) {
  nlohmann::json json = {{"config", config_json(report.data, report.config)},
          {"sequential", run_json(report.sequential)},
          {"parallel", run_json(report.parallel)},
          {"speedup", report.speedup()},
          {"communication", communication_json(report.parallel.run)},
          {"exchange", exchange_json(report.parallel.run, report.config)},
          {"bound",
           {{"read_bandwidth_gbs", report.sequential.bandwidth_gbs},
            {"parallel_read_bandwidth_gbs", report.parallel.bandwidth_gbs},
            {"sequential_time_s", report.sequential.bound_s},
            {"parallel_time_s", report.parallel.bound_s},
            {"time_s", report.parallel.bound_s},
            {"source", report.parallel.bandwidth_source}}}};
  add_run_keys(json, "bench", report.data, report.env);
  json["target"] = nullptr;  // bench runs have no target
  json["step_model"] = report.step_model ? step_model_json(*report.step_model) : nlohmann::json(nullptr);
  // The top-level figures are the parallel run's, as in a train report.
  for (const char* key : {"time_s", "compute_s", "exchange_s", "comm_s", "wait_s", "steps"})
    json[key] = json["parallel"][key];
  return json;
}

void put_json(AtomicFile& file, const nlohmann::json& json) {
  const std::string text = json.dump(2) + "\n";
  std::fwrite(text.data(), 1, text.size(), file.stream());
}

void write_json(AtomicFile& file, const nlohmann::json& json) {
  put_json(file, json);
  file.commit();
}

}  // namespace dsgd
