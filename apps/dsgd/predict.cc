// dsgd predict and dsgd eval: a saved model applied to a data file.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>

#include "dsgd/error.h"
#include "dsgd/model/logistic.h"
#include "dsgd/model/metrics.h"
#include "dsgd/report/report.h"
#include "dsgd/timer.h"
#include "files.h"
#include "options.h"

namespace dsgd::cli {
namespace {

struct ScoringOptions {
  std::string model;
  std::string data;
  InputOptions input;
  std::optional<int> threads;
};

void add_scoring_options(CLI::App& sub, ScoringOptions& o) {
  sub.add_option("--model", o.model, "The model file (from dsgd train --model)")->required();
  sub.add_option("data", o.data, "The data: LIBSVM/SVMlight or CSV, optionally gzip-compressed, '-' for standard "
                                 "input; labels must be the model's (eval)")
      ->required();
  sub.add_option("--threads", o.threads, "Threads that parse the file [default: hardware threads, at most 4]")
      ->check(positive());
  add_input_options(sub, o.input, true);
}

struct Scored {
  Model model;
  ReadResult read;
  std::vector<double> z;
};

// `to_predict`: rows may come without labels, and labels are not checked (predict).
Scored score_file(const ScoringOptions& o, bool to_predict) {
  Model model = load_model(o.model);
  ReadResult read =
      read_for_model(o.data, model.params.features(), model.labels, o.input,
                     FileReader{nullptr, o.threads.value_or(default_workers())}, false, to_predict);
  std::vector<double> z = scores(model.params, read.data);
  std::size_t bad = 0, first = 0;
  for (std::size_t i = 0; i < z.size(); ++i) {
    if (!std::isfinite(z[i]) && bad++ == 0) first = i;
  }
  if (bad > 0)
    throw InputError(o.data, 0,
                     fmt::format("{} of {} rows have a non-finite score x . w + b (the first: row {}): the model's "
                                 "weights times these features overflow double",
                                 bad, z.size(), first + 1));
  return {std::move(model), std::move(read), std::move(z)};
}

}  // namespace

Handler add_predict_command(CLI::App& app) {
  struct Options {
    ScoringOptions scoring;
    std::string output;
    bool labels = false;
    double threshold = 0.5;
    std::string json;
  };
  auto options = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "predict",
      "Write the model's probability of the positive class for every row, one a line (or, with --labels, the "
      "predicted label). Rows need no label: LIBSVM rows may start with index:value, and a CSV file of the model's "
      "feature columns only (none named 'label') has none; labels present are ignored");
  add_scoring_options(*sub, options->scoring);
  sub->add_option("-o,--output", options->output,
                  "Write here instead of to standard output ('-'); a file is written atomically, a device or FIFO "
                  "written through, a symlink's target replaced");
  sub->add_flag("--labels", options->labels,
                "Write the predicted label instead, the model's label value (-1 or 1 for -1/+1 data, 0 or 1, 1 or 2, "
                "...): the positive label where the probability > --threshold");
  sub->add_option("--threshold", options->threshold, "Decision threshold of --labels and of the JSON's count")
      ->check(probability());
  sub->add_option("--json", options->json,
                  "Also write a summary as JSON to this file: rows, rows without a label, predicted positives, times");
  return [options] {
    const Options& o = *options;
    check_paths({{"-o", o.output.empty() ? "-" : o.output}, {"--json", o.json}},
                {{"--model", o.scoring.model}, {"data", o.scoring.data}});
    std::optional<AtomicFile> file;
    std::optional<AtomicFile> json;
    file.emplace(o.output.empty() ? "-" : o.output);
    if (!o.json.empty()) json.emplace(o.json);
    const auto start = Clock::now();
    const Scored s = score_file(o.scoring, true);
    fmt::memory_buffer text;
    const std::string positive = s.model.labels.text(1), negative = s.model.labels.text(0);
    std::size_t positives = 0;
    const double cut = decision_cut(o.threshold);  // the decisions of eval --threshold
    for (const double z : s.z) {
      const bool yes = z > cut;
      positives += yes;
      if (o.labels) {
        fmt::format_to(std::back_inserter(text), "{}\n", yes ? positive : negative);
      } else {
        fmt::format_to(std::back_inserter(text), "{}\n", sigmoid(z));
      }
    }
    std::fwrite(text.data(), 1, text.size(), file->stream());
    std::vector<AtomicFile*> outputs = {&*file};
    if (json) {
      nlohmann::json report = report_header("predict");
      report.update({{"model", o.scoring.model},
                                     {"data", data_json(o.scoring.data, s.read)},
                                     {"rows", s.z.size()},
                                     {"unlabelled_rows", s.read.unlabelled},
                                     {"threshold", o.threshold},
                                     {"predicted_positive", positives},
                                     {"output", o.labels ? "labels" : "probabilities"},
                                     {"load_s", s.read.seconds},
                                     {"time_s", seconds_since(start)}});
      put_json(*json, report);
      outputs.push_back(&*json);
    }
    commit_together(outputs);
    return 0;
  };
}

Handler add_eval_command(CLI::App& app) {
  struct Options {
    ScoringOptions scoring;
    std::string json;
    double threshold = 0.5;
  };
  auto options = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "eval", "Score a model on labelled data: accuracy, log-loss, ROC AUC, precision, recall, F1, confusion matrix");
  add_scoring_options(*sub, options->scoring);
  sub->add_option("--json", options->json, "Also write the figures as JSON to this file");
  sub->add_option("--threshold", options->threshold,
                  "Decide positive where the probability > this (accuracy, precision, recall, F1, the confusion "
                  "matrix; log-loss and AUC do not depend on it)")
      ->check(probability());
  return [options] {
    const Options& o = *options;
    check_paths({{"--json", o.json}}, {{"--model", o.scoring.model}, {"data", o.scoring.data}});
    std::optional<AtomicFile> json;
    if (!o.json.empty()) json.emplace(o.json);
    const auto start = Clock::now();
    const Scored s = score_file(o.scoring, false);
    const Evaluation e = evaluate_scores(s.z, s.read.data.labels(), o.threshold);
    const double time_s = seconds_since(start);
    fmt::print("Model {}: {} features, labels {}\n", o.scoring.model, s.model.params.features(), s.model.labels.describe());
    print_evaluation(stdout, o.scoring.data, e);
    if (json) {
      nlohmann::json report = report_header("eval");
      report.update(to_json(e));
      report["time_s"] = time_s;
      report["load_s"] = s.read.seconds;
      report["model"] = o.scoring.model;
      report["data"] = data_json(o.scoring.data, s.read);
      write_json(*json, report);
    }
    return 0;
  };
}

}  // namespace dsgd::cli
