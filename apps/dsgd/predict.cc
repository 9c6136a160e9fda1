// dsgd predict and dsgd eval: a saved model applied to a data file.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>

#include "dsgd/error.h"
#include "dsgd/model/logistic.h"
#include "dsgd/model/metrics.h"
#include "dsgd/report/report.h"
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
  sub.add_option("data", o.data, "The data: LIBSVM/SVMlight or CSV, optionally gzip-compressed; labels must be the "
                                 "model's (for predict they are read but not used)")
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

Scored score_file(const ScoringOptions& o) {
  Model model = load_model(o.model);
  ReadResult read =
      read_for_model(o.data, model.params.features(), model.labels, o.input,
                     FileReader{nullptr, o.threads.value_or(default_workers())}, false);
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
  };
  auto options = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("predict", "Write the model's probability of the positive class for every row");
  add_scoring_options(*sub, options->scoring);
  sub->add_option("-o,--output", options->output, "Write here (atomically) instead of to standard output");
  sub->add_flag("--labels", options->labels, "Write 0/1 decisions (1: probability > --threshold) instead");
  sub->add_option("--threshold", options->threshold, "Decision threshold of --labels")
      ->check(CLI::Range(0.0, 1.0).description("").name("PROBABILITY"));
  return [options, sub] {
    const Options& o = *options;
    if (sub->count("--threshold") > 0 && !o.labels) throw ConfigError("--threshold needs --labels");
    refuse_outputs_over_inputs({{"-o", o.output}}, {{"--model", o.scoring.model}, {"data", o.scoring.data}});
    std::optional<AtomicFile> file;
    if (!o.output.empty()) file.emplace(o.output);
    const Scored s = score_file(o.scoring);
    fmt::memory_buffer text;
    for (const double z : s.z) {
      const double p = sigmoid(z);
      if (o.labels) {
        text.push_back(p > o.threshold ? '1' : '0');
        text.push_back('\n');
      } else {
        fmt::format_to(std::back_inserter(text), "{}\n", p);
      }
    }
    std::FILE* out = file ? file->stream() : stdout;
    std::fwrite(text.data(), 1, text.size(), out);
    if (file) file->commit();
    return 0;
  };
}

Handler add_eval_command(CLI::App& app) {
  struct Options {
    ScoringOptions scoring;
    std::string json;
  };
  auto options = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "eval", "Score a model on labelled data: accuracy, log-loss, ROC AUC, precision, recall, F1, confusion matrix");
  add_scoring_options(*sub, options->scoring);
  sub->add_option("--json", options->json, "Also write the figures as JSON to this file");
  return [options] {
    const Options& o = *options;
    refuse_outputs_over_inputs({{"--json", o.json}}, {{"--model", o.scoring.model}, {"data", o.scoring.data}});
    std::optional<AtomicFile> json;
    if (!o.json.empty()) json.emplace(o.json);
    const Scored s = score_file(o.scoring);
    const Evaluation e = evaluate_scores(s.z, s.read.data.labels());
    fmt::print("Model {}: {} features, labels {}\n", o.scoring.model, s.model.params.features(), s.model.labels.describe());
    print_evaluation(stdout, o.scoring.data, e);
    if (json) {
      nlohmann::json report = to_json(e);
      report["model"] = o.scoring.model;
      report["data"] = o.scoring.data;
      write_json(*json, report);
    }
    return 0;
  };
}

}  // namespace dsgd::cli
