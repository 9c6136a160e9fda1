#include "options.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "dsgd/train/sync/strategies.h"
#include "dsgd/analysis/experiment.h"
#include "dsgd/base/error.h"
#include "dsgd/train/config/config_fields.h"
#include "dsgd/train/config/memory.h"
#include "dsgd/base/version.h"

namespace dsgd::cli {
namespace {

// A validator for a number that must satisfy `ok`; `rule` says what it must be.
CLI::Validator number_rule(const std::string& name, bool (*ok)(double), const std::string& rule) {
  return CLI::Validator(
      [ok, rule](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || std::isnan(value))
          return "'" + text + "' is not a number";
        return ok(value) ? std::string() : "must be " + rule + ", got " + text;
      },
      "", name);
}

}  // namespace

CLI::Validator positive() {
  return number_rule("POSITIVE", [](double v) { return v > 0 && std::isfinite(v); }, "greater than 0");
}
CLI::Validator non_negative() {
  return number_rule("NON_NEGATIVE", [](double v) { return v >= 0 && std::isfinite(v); }, "0 or more");
}
CLI::Validator fraction() {
  return number_rule("FRACTION", [](double v) { return v > 0 && v < 1; }, "a fraction strictly between 0 and 1");
}
CLI::Validator probability() {
  return number_rule("PROBABILITY", [](double v) { return v >= 0 && v <= 1; }, "a probability, 0 to 1");
}

CLI::Validator one_of(std::vector<std::string> choices) {
  return CLI::Validator(
      [choices](std::string& text) -> std::string {
        if (std::find(choices.begin(), choices.end(), text) != choices.end()) return {};
        std::string list;
        for (std::size_t k = 0; k < choices.size(); ++k)
          list += (k == 0 ? "" : k + 1 == choices.size() ? " or " : ", ") + choices[k];
        return "expected " + list + ", got '" + text + "'";
      },
      "", "one_of");
}

CLI::Option* choice_option(CLI::Option* option, const std::vector<std::string>& choices) {
  std::string shown;
  for (const std::string& c : choices) shown += (shown.empty() ? "" : "|") + c;
  return option->check(one_of(choices))->type_name(shown);
}

namespace {
// CLI11's help, but a switch's negation shows as --no-bias, not --no-bias{false}, and a
// subcommand's usage names the program.
class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_option_name(const CLI::Option* option, bool positional) const override {
    std::string name = CLI::Formatter::make_option_name(option, positional);
    for (std::size_t open; (open = name.find('{')) != std::string::npos;) {
      const std::size_t close = name.find('}', open);
      if (close == std::string::npos) break;
      name.erase(open, close - open + 1);
    }
    return name;
  }
};
}  // namespace

void DataOptions::resolve() {
  spec.dtype = parse_dtype(dtype);
  spec.values = parse_sparse_values(values);
  spec.test_samples = test_samples.value_or(spec.samples / 5);
  validate(spec);
}

void TrainOptions::resolve(const SyntheticSpec& data) {
  if (!is_given("workers")) config.workers = default_workers();
  config.seed = data.seed;
  check_config(config);
  check_experiment_memory(data, config, max_memory);
}

std::optional<AtomicFile> TrainOptions::open_json() const {
  std::optional<AtomicFile> file;
  if (!json.empty() && is_standard_output(json)) reserve_standard_output();  // the report text to stderr
  if (!json.empty()) file.emplace(json);
  return file;
}

void add_data_options(CLI::App& app, DataOptions& data) {
  auto* group = "Synthetic data (x ~ N(0,1), or --nnz sparse features; true w ~ N(0,1); y = [x.w > 0])";
  app.add_option("-n,--samples", data.spec.samples, "Training rows")->group(group)->check(positive())->type_name("N");
  app.add_option("--features", data.spec.features, "Features per row (with DATA: the model's width)")
      ->group(group)
      ->check(positive())
      ->type_name("N");
  add_old_spelling(app, "-d", "--features (-d is not the data: give DATA as the first argument)", data.spec.features)
      ->check(positive());
  app.add_option("--test-samples", data.test_samples,
                 "Held-out rows from the same true weights; 0: none [default: 20% of --samples]")
      ->group(group)
      ->check(non_negative())
      ->type_name("N");
  app.add_option("--noise", data.spec.noise, "Flip each label with this probability (0 to 0.5)")
      ->group(group)
      ->check(non_negative())
      ->type_name("X");
  app.add_option("--seed", data.spec.seed, field_help(*find_config_field("seed"), flag_of))
      ->group(group)
      ->check(non_negative())
      ->type_name("N");
  choice_option(app.add_option("--dtype", data.dtype, "Storage of the features: f64, or f32 (sums still in double)"),
                {"f64", "f32"})
      ->group(group);
  app.add_option("--nnz", data.spec.nnz, "Sparse rows: this many non-zero features a row (up to 2^26); 0: dense rows")
      ->group(group)
      ->check(non_negative())
      ->type_name("N");
  app.add_option("--zipf", data.spec.zipf, "Sparse rows: the k-th most popular feature drawn with probability ~ k^-S")
      ->group(group)
      ->check(non_negative())
      ->type_name("S");
  choice_option(app.add_option("--values", data.values, "Sparse rows: their values, binary (1) or gaussian (N(0, 1))"),
                {"binary", "gaussian"})
      ->group(group);
}

bool asked_for_synthetic(const CLI::App& app, const DataOptions& data) {
  if (data.synthetic) return true;
  for (const char* name : {"--samples", "--test-samples", "--noise", "--nnz", "--zipf", "--values"}) {
    if (app.count(name) > 0) return true;
  }
  return false;
}

void reject(const CLI::App& app, std::initializer_list<const char*> names, const char* why) {
  for (const char* name : names) {
    if (app.count(name) > 0) throw ConfigError(fmt::format("{} {}", name, why));
  }
}

std::string flag_of(std::string_view name) {
  if (const ConfigField* f = find_config_field(name)) {
    // The first long name of its flags ("-b,--batch": --batch; "--bias,!--no-bias": --bias).
    for (std::string_view flags = f->flags; !flags.empty();) {
      const std::size_t comma = flags.find(',');
      const std::string_view one = flags.substr(0, comma);
      if (one.starts_with("--")) return std::string(one);
      flags = comma == std::string_view::npos ? std::string_view() : flags.substr(comma + 1);
    }
  }
  std::string out = "--" + std::string(name);
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

std::string message_of(const std::exception& e) {
  if (const auto* error = dynamic_cast<const Error*>(&e)) return error->named(flag_of);
  return e.what();
}

namespace {

// The help of a field's option: the table's, with its default.
std::string option_help(const ConfigField& f, bool data_files) {
  const auto shown = [&](std::string_view text) {
    if (f.type != FieldType::kSwitch) return std::string(text);
    return std::string(text == "true" ? "on" : "off");
  };
  std::string help = field_help(f, flag_of);
  const std::string standard = default_text(f);
  if (!f.data_default.empty() && f.data_default_always) {
    help += fmt::format(" [default: {}]", shown(f.data_default));
  } else if (!f.data_default.empty() && data_files) {
    help += fmt::format(" [default: on a data file {}; on synthetic data {}]", shown(f.data_default), shown(standard));
  } else if (!standard.empty()) {
    help += fmt::format(" [default: {}]", shown(standard));
  }
  return help;
}

// What a value of the field is called in the help: N, X, NAME, ...
std::string type_name(const ConfigField& f) {
  switch (f.type) {
    case FieldType::kCount: return "N";
    case FieldType::kNumber: return "X";
    case FieldType::kStepsOrEpoch: return "STEPS|epoch";
    case FieldType::kChoice: {
      std::string out;
      for (const std::string_view c : f.choices) out += (out.empty() ? "" : "|") + std::string(c);
      return out;
    }
    case FieldType::kSwitch: break;
  }
  return "";
}

}  // namespace

void add_config_options(CLI::App& app, TrainOptions& train, std::initializer_list<std::string_view> fields,
                        const char* group, bool data_files) {
  for (const std::string_view name : fields) {
    const ConfigField* f = find_config_field(name);
    if (f == nullptr) throw std::logic_error("add_config_options: no field " + std::string(name));
    const std::string flags(f->flags);
    if (f->type == FieldType::kSwitch) {  // --flag (true), !--no-flag (false)
      app.add_flag_function(
             flags,
             [&train, f](std::int64_t count) {
               set_field(train.config, *f, count > 0 ? "true" : "false");
               train.given.emplace(f->name);
             },
             option_help(*f, data_files))
          ->group(group);
      continue;
    }
    app.add_option_function<std::string>(
           flags,
           [&train, f](const std::string& text) {
             set_field(train.config, *f, text);
             train.given.emplace(f->name);
           },
           option_help(*f, data_files))
        ->group(group)
        ->type_name(type_name(*f))
        ->check(CLI::Validator(
            [f](std::string& text) -> std::string {
              TrainConfig scratch;
              try {
                set_field(scratch, *f, text);
              } catch (const ConfigError& e) {  // "--batch: expected ...": CLI11 puts the flag in front
                const std::string message = e.named(flag_of);
                const std::string prefix = flag_of(f->name) + ": ";
                return message.starts_with(prefix) ? message.substr(prefix.size()) : message;
              }
              return {};
            },
            "", std::string(f->name)));
  }
}

void add_train_options(CLI::App& app, TrainOptions& train, bool data_files) {
  add_config_options(app, train,
                     {"epochs", "batch", "lr", "warmup_epochs", "schedule", "lr_step_epochs", "lr_step_factor", "l2",
                      "bias", "shuffle", "optimizer", "exchange", "sync_every", "overlap", "workers"},
                     "Training", data_files);
  auto* group = "Training";
  app.add_option("--max-memory", train.max_memory,
                 "Refuse a run that would need more memory than this (8G, 512M) [default: the memory available]")
      ->group(group)
      ->transform(CLI::AsSizeValue(true))
      ->type_name("SIZE")
      ->default_str("");
  app.add_option("--json", train.json, "Also write the report as JSON to this file")->group("Output")->type_name("FILE");
  app.add_flag("-q,--quiet", train.quiet, "Print nothing but warnings and errors")->group("Output");
  app.add_flag("-v,--verbose", train.verbose,
               "Also print the engineering detail: time split, memory-bandwidth bounds (measured), communication")
      ->group("Output");
}

Commands add_commands(CLI::App& app) {
  app.set_version_flag("--version", std::string("dsgd ") + version());
  app.formatter(std::make_shared<HelpFormatter>());
  app.require_subcommand(1, 1);
  app.option_defaults()->always_capture_default()->disable_flag_override();
  return {{"train", add_train_command(app)}, {"predict", add_predict_command(app)},
          {"eval", add_eval_command(app)},   {"gen", add_gen_command(app)},
          {"bench", add_bench_command(app)}, {"study", add_study_command(app)}};
}

}  // namespace dsgd::cli
