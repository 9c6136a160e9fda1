#include "dsgd/report/training_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dsgd/report/report.h"
#include "dsgd/base/text.h"
#include "dsgd/train/config/config_fields.h"
#include "dsgd/train/config/memory.h"

namespace dsgd {

namespace {

// A score with `digits` decimals, or n/a for a score of no rows (NaN).
std::string score(double value, int digits) {
  if (std::isnan(value)) return "n/a";
  return fmt::format("{:.{}f}", value, digits);
}

}  // namespace


void print_training_plan(std::FILE* out, const TrainConfig& c, std::size_t start_epoch, const std::string& workers_note,
                         const std::string& where) {
  // Local SGD steps at one worker's rate; the others at lr x workers, reached by a warm-up.
  const bool local_sgd = c.local_sgd();
  const double peak = local_sgd ? c.lr : c.lr * c.workers;
  std::string rate = fmt::format("{} at {:.3g}", to_string(c.optimizer), peak);
  if (c.schedule == LrSchedule::kStep) {
    rate += fmt::format(", x{:g} every {:g} epochs", c.step_factor, c.step_epochs);
  } else if (c.schedule == LrSchedule::kInverseSqrt) {
    rate += ", falling as 1/sqrt(steps)";
  }
  if (!local_sgd && c.workers > 1 && c.warmup_epochs > 0)
    rate += fmt::format(" (from {:.3g} over {:g} epoch{})", c.lr, c.warmup_epochs, c.warmup_epochs == 1 ? "" : "s");
  const char* scaled = c.scale == Scaling::kStandardize ? "; standardized" : c.scale == Scaling::kMaxAbs ? "; scaled by max |x|" : "";
  const std::string epochs = start_epoch > 0 ? fmt::format("epochs {} to {}", start_epoch + 1, c.epochs)
                                             : plural(c.epochs, "epoch");
  fmt::print(out, "Train   {}, batch {} x {}, {}{}{}\n", epochs, c.batch,
             plural(static_cast<std::size_t>(c.workers), "worker"), rate, scaled, where.empty() ? "" : "; " + where);
  if (!workers_note.empty()) fmt::print(out, "Note    {}\n", workers_note);
  std::fflush(out);
}

void EpochTable::row(const EpochProgress& p) {
  const int width = std::max<int>(5, static_cast<int>(std::to_string(epochs_).size()));
  if (!header_) {
    header_ = true;
    held_out_ = !std::isnan(p.holdout_loss);
    fmt::print(out_, "  {:>{}}  {:>10}{}  {:>8}  {:>9}\n", "epoch", width, "loss",
               held_out_ ? fmt::format("  {:>13}  {:>12}", "held-out loss", "held-out acc") : "", "rate", "seconds");
  }
  const std::string held = held_out_ ? fmt::format("  {:>13}  {:>12}", score(p.holdout_loss, 6),
                                                   score(p.holdout_accuracy, 5))
                                     : "";
  fmt::print(out_, "  {:>{}}  {:>10}{}  {:>8}  {:>9.4f}\n", p.epoch, width, score(p.loss, 6), held,
             fmt::format("{:.4g}", p.lr), p.time_s);
  std::fflush(out_);
}


void print_training_summary(std::FILE* out, const TrainingReport& r, bool verbose) {
  const RunResult& run = r.run;
  const TrainConfig& c = r.config;
  print_scores(out, "Result  train    ", r.train, verbose);
  if (r.holdout) print_scores(out, "        held-out ", *r.holdout, verbose);
  if (r.test_scores) print_scores(out, "        test     ", *r.test_scores, verbose);
  if (c.has_target()) print_target(out, c, run);
  const std::string kept = c.patience > 0 ? fmt::format(" (kept epoch {} of {})", run.best_epoch, run.epochs.size()) : "";
  const std::string weights = fmt::format("{} weights{}{}", run.model.features(),
                                          c.bias ? fmt::format(" + bias {:.6g}", run.model.bias) : "", kept);
  if (r.model_path.empty()) {
    fmt::print(out, "Model   {}; not saved (-o FILE saves it)\n", weights);
  } else {
    fmt::print(out, "Model   {}; written to {}\n", weights, r.model_path == "-" ? "standard output" : printable(r.model_path));
  }
  const double load_s = r.data.load_s + (r.test ? r.test->load_s : 0.0);
  fmt::print(out, "Time    {:.4f} s: {} {:.4f} s, training {:.4f} s ({} steps)\n", load_s + run.time_s,
             r.data.is_synthetic() ? "generating" : "loading", load_s, run.time_s, run.steps);
  if (!run.exchange_why.empty() && (verbose || run.exchange.sharded_steps > 0))  // (a strategy the user may not expect)
    fmt::print(out, "Note    {}\n", run.exchange_why);
  if (!verbose) return;

  print_time_split(out, run);
  if (r.bound) {
    const RunBounds& b = *r.bound;
    fmt::print(out, "Bound   memory bandwidth {:.1f} GB/s ({}): the epochs' X take at least {:.3g} s; training took {:.2f}x that\n",
               b.bandwidth_gbs, b.source, b.time_s, run.time_s / b.time_s);
    if (b.random_time_s > 0)
      fmt::print(out, "Bound   random reads {:.0f} M/s: one read a non-zero takes at least {:.3g} s; training took {:.2f}x that\n",
                 b.random_reads_per_s / 1e6, b.random_time_s, run.time_s / b.random_time_s);
  }
  if (run.per_worker.size() > 1) {  // one worker exchanges nothing
    print_communication(out, run, run.model.features());
    print_exchange(out, run, run.model.features());
  }
  if (r.peak_resident_bytes > 0)
    fmt::print(out, "Memory  peak resident {} (this process)\n", human_bytes(static_cast<double>(r.peak_resident_bytes)));
  print_confusion(out, "Train", r.train, r.data.labels);
  if (r.holdout) print_confusion(out, "Held-out", *r.holdout, r.data.labels);
  if (r.test_scores) print_confusion(out, "Test", *r.test_scores, r.data.labels);
}

nlohmann::json to_json(const TrainingReport& r) {
  const RunResult& run = r.run;
  nlohmann::json j = report_header("train");
  j["environment"]["peak_resident_bytes"] = r.peak_resident_bytes;
  const auto optional = [](const auto& value, auto&& make) {
    return value ? nlohmann::json(make(*value)) : nlohmann::json(nullptr);
  };
  const auto evaluation = [](const Evaluation& e) { return to_json(e); };
  j.update({{"backend", r.backend},
            {"processes", r.backend == "mpi" ? nlohmann::json{{"ranks", r.ranks}, {"threads_per_rank", r.threads_per_rank}}
                                             : nlohmann::json(nullptr)},
            {"data", to_json(r.data)},
            {"test_data", optional(r.test, [](const DataSummary& d) { return to_json(d); })},
            {"sample_weights", r.sample_weights},
            {"config", to_json(r.config)},
            {"workers_note", r.workers_note.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.workers_note)},
            {"load_s", r.data.load_s + (r.test ? r.test->load_s : 0.0)},
            {"time_s", run.time_s},
            {"response_time_s", run.response_time_s},
            {"compute_s", run.compute_s},
            {"update_s", run.update_s},
            {"exchange_s", run.exchange_s},
            {"comm_s", run.comm_s},
            {"wait_s", run.wait_s},
            {"communication", communication_json(run)},
            {"exchange", exchange_json(run, r.config)},
            {"bound", optional(r.bound, [](const RunBounds& b) {
               return bound_json(b.bandwidth_gbs, b.time_s, b.source, b.random_reads_per_s, b.random_time_s);
             })},
            {"steps", run.steps},
            {"best_epoch", run.best_epoch},
            {"epochs", to_json(run.epochs)},
            {"train", to_json(r.train)},
            {"holdout", optional(r.holdout, evaluation)},
            {"test", optional(r.test_scores, evaluation)},
            {"target", target_json(r.config, run)},
            {"early_stopping", r.config.patience == 0
                                   ? nlohmann::json(nullptr)
                                   : nlohmann::json{{"on", r.holdout ? "holdout" : "test"},
                                                    {"patience", r.config.patience},
                                                    {"best_epoch", run.best_epoch}}},
            {"weights", run.model.weights},
            {"bias", run.model.bias},
            {"model", r.model_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.model_path)},
            {"init", r.init_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.init_path)}});
  return j;
}

}  // namespace dsgd
