// dsgd predict and dsgd eval: a saved model applied to a data file.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>

#include "dsgd/base/error.h"
#include "dsgd/model/logistic.h"
#include "dsgd/model/metrics.h"
#include "dsgd/base/text.h"
#include "dsgd/report/report.h"
#include "dsgd/report/training_report.h"
#include "dsgd/base/timer.h"
#include "files.h"
#include "options.h"

namespace dsgd::cli {
namespace {

struct ScoringOptions {
  std::string model;
  std::string model_argument;  // MODEL, the second argument
  std::string data;
  InputOptions input;
  std::optional<int> workers;

  // The model from --model or MODEL (one of them); throws ConfigError.
  void settle_model() {
    if (!model_argument.empty() && !model.empty())
      throw ConfigError(fmt::format("the model is named twice: MODEL {} and --model {}", model_argument, model));
    if (model.empty()) model = model_argument;
    if (model.empty()) throw ConfigError("no model: give it as the second argument (DATA MODEL) or with --model");
  }
};

void add_scoring_options(CLI::App& sub, ScoringOptions& o) {
  sub.add_option("DATA", o.data, "LIBSVM or CSV rows (gzip too); '-' for standard input")->required()->type_name("");
  sub.add_option("MODEL", o.model_argument, "The model file (dsgd's or LIBLINEAR's)")->type_name("");
  sub.add_option("--model", o.model, "The model file, as MODEL")->type_name("FILE");
  sub.add_option("-w,--workers", o.workers, "Threads that parse the file [default: hardware threads, at most 4]")
      ->check(positive())
      ->type_name("N");
  add_old_spelling(sub, "--threads", "--workers", o.workers)->check(positive());
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
      read_for_model(o.data, model.params.features(), model.labels, model.input, o.input,
                     FileReader{this_process(), o.workers.value_or(default_workers())}, false, to_predict);
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
    std::string output_argument;  // OUTPUT, the third argument
    bool labels = false;
    double threshold = 0.5;
    std::string json;
  };
  auto options = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "predict", "Write the model's probability of the positive class for each row (or, with --labels, its label)");
  add_scoring_options(*sub, options->scoring);
  sub->add_option("OUTPUT", options->output_argument, "Write here (as -o does)")->type_name("");
  sub->add_option("-o,--output", options->output, "Write here instead of to standard output")->type_name("FILE");
  sub->add_flag("--labels", options->labels, "Write the predicted label (the model's label value) instead");
  sub->add_option("--threshold", options->threshold, "Decision threshold of --labels and of the JSON's count")
      ->check(probability())
      ->type_name("P");
  sub->add_option("--json", options->json, "Also write a summary as JSON to this file")->type_name("FILE");
  return [options] {
    Options& o = *options;
    o.scoring.settle_model();
    if (!o.output_argument.empty()) {
      if (!o.output.empty())
        throw ConfigError(fmt::format("the output is named twice: OUTPUT {} and -o {}", o.output_argument, o.output));
      o.output = o.output_argument;
    }
    check_paths({{"-o", o.output.empty() ? "-" : o.output}, {"--json", o.json}},
                {{"MODEL", o.scoring.model}, {"DATA", o.scoring.data}});
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
                                     {"data", to_json(summary_of(o.scoring.data, s.read))},
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
      "eval", "Score a model on labelled rows: accuracy, log-loss, AUC, precision, recall, F1, confusion matrix");
  add_scoring_options(*sub, options->scoring);
  sub->add_option("--json", options->json, "Also write the figures as JSON to this file")->type_name("FILE");
  sub->add_option("--threshold", options->threshold,
                  "Decide positive where the probability > P (all figures but log-loss and AUC)")
      ->check(probability())
      ->type_name("P");
  return [options] {
    Options& o = *options;
    o.scoring.settle_model();
    check_paths({{"--json", o.json}}, {{"MODEL", o.scoring.model}, {"DATA", o.scoring.data}});
    std::optional<AtomicFile> json;
    if (!o.json.empty()) json.emplace(o.json);
    const auto start = Clock::now();
    const Scored s = score_file(o.scoring, false);
    const Evaluation e = evaluate_scores(s.z, s.read.data.labels(), o.threshold);
    const double time_s = seconds_since(start);
    const LinearModel& m = s.model.params;
    fmt::print("Model   {}: {} weights{}, labels {}/{}{}\n", printable(o.scoring.model), m.features(),
               m.bias != 0 ? fmt::format(" + bias {:.6g}", m.bias) : "", s.model.labels.text(0), s.model.labels.text(1),
               m.standardization ? ", scaled" : "");
    fmt::print("Data    {}\n", describe(summary_of(o.scoring.data, s.read)));
    print_scores(stdout, "Result  ", e, true);
    print_confusion(stdout, "", e, s.model.labels);
    if (json) {
      nlohmann::json report = report_header("eval");
      report.update(to_json(e));
      report["time_s"] = time_s;
      report["load_s"] = s.read.seconds;
      report["model"] = o.scoring.model;
      report["data"] = to_json(summary_of(o.scoring.data, s.read));
      write_json(*json, report);
    }
    return 0;
  };
}

}  // namespace dsgd::cli
