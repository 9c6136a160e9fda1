#include "dsgd/train/config/config_fields.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>

#include "dsgd/base/text.h"
#include "dsgd/train/config/defaults.h"

namespace dsgd {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 3> kSchedules = {"constant", "inverse-sqrt", "step"};
constexpr std::array<std::string_view, 3> kScalings = {"none", "maxabs", "standardize"};
constexpr std::array<std::string_view, 5> kExchanges = {"auto", "dense", "sparse", "shared", "sharded"};
constexpr std::array<std::string_view, 2> kOptimizers = {"sgd", "adagrad"};
constexpr std::array<std::string_view, 2> kAfterTarget = {"stop", "continue"};

constexpr FieldRange kAtLeastOne{1, false};
constexpr FieldRange kPositive{0, true};
constexpr FieldRange kNonNegative{0, false};

// The data's defaults, in words (train/config/defaults.h decides them).
const std::string kEpochsDefault = fmt::format("{} (adagrad: about {} steps, 3 to {} epochs)", kDataEpochs, kAdagradSteps,
                                               kDataEpochs);
const std::string kBatchDefault = fmt::format("rows / (workers x {}), between {} and {}", kDataStepsPerEpoch,
                                              kDataMinBatch, kDataMaxBatch);
const std::string kLrDefault = fmt::format("{} / (mean |x|^2 + 1) / workers (adagrad: {} / workers)",
                                           kDataRateScale, kAdagradRate);
const std::string kStepEpochsDefault = fmt::format("{}", kDataStepEpochs);
const std::string kOptimizerDefault =
    fmt::format("adagrad for sparse data of {} columns or more, else sgd", kAdagradFromColumns);

json steps_or_epoch(std::size_t steps) { return steps == 0 ? json("epoch") : json(steps); }
std::size_t steps_of(const json& v) { return v.is_string() ? 0 : v.get<std::size_t>(); }
json optional_number(double v) { return std::isnan(v) ? json(nullptr) : json(v); }
double number_of(const json& v) { return v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>(); }

const std::array<ConfigField, 22> kFields = {{
    {"epochs", "-e,--epochs", "epochs", FieldType::kCount, "Passes over the data (at most, with early stopping)",
     kEpochsDefault, false, {}, kAtLeastOne, [](const TrainConfig& c) { return json(c.epochs); },
     [](TrainConfig& c, const json& v) { c.epochs = v.get<std::size_t>(); }},
    {"batch", "-b,--batch", "batch_size", FieldType::kCount,
     "Rows per worker per step; the global batch is {workers} x {batch}", kBatchDefault, false, {}, kAtLeastOne,
     [](const TrainConfig& c) { return json(c.batch); }, [](TrainConfig& c, const json& v) { c.batch = v.get<std::size_t>(); }},
    {"lr", "--lr", "learning_rate", FieldType::kNumber,
     "Base learning rate; the rate used is {lr} x {workers} after the warm-up", kLrDefault, false, {}, kPositive,
     [](const TrainConfig& c) { return json(c.lr); }, [](TrainConfig& c, const json& v) { c.lr = v.get<double>(); }},
    {"warmup_epochs", "--warmup-epochs", "warmup_epochs", FieldType::kNumber,
     "Epochs of per-step linear ramp from {lr} to {lr} x {workers}; 0: none", "", false, {}, kNonNegative,
     [](const TrainConfig& c) { return json(c.warmup_epochs); },
     [](TrainConfig& c, const json& v) { c.warmup_epochs = v.get<double>(); }},
    {"schedule", "--schedule", "schedule", FieldType::kChoice,
     "The rate after the warm-up: constant, inverse-sqrt, or step (x {lr_step_factor} every {lr_step_epochs})",
     "step (adagrad: constant)", false, kSchedules, {},
     [](const TrainConfig& c) { return json(std::string(to_string(c.schedule))); },
     [](TrainConfig& c, const json& v) { c.schedule = parse_schedule(v.get<std::string>()); }},
    {"lr_step_epochs", "--lr-step-epochs", "step_epochs", FieldType::kNumber,
     "The step schedule's epochs between two cuts of the rate", kStepEpochsDefault, false, {}, kPositive,
     [](const TrainConfig& c) { return json(c.step_epochs); },
     [](TrainConfig& c, const json& v) { c.step_epochs = v.get<double>(); }},
    {"lr_step_factor", "--lr-step-factor", "step_factor", FieldType::kNumber,
     "What each cut of the step schedule multiplies the rate by", "", false, {}, FieldRange{0, true, 1, false},
     [](const TrainConfig& c) { return json(c.step_factor); },
     [](TrainConfig& c, const json& v) { c.step_factor = v.get<double>(); }},
    {"bias", "--bias,!--no-bias", "fit_intercept", FieldType::kSwitch,
     "Learn an intercept (not penalised by {l2})", "", false, {}, {},
     [](const TrainConfig& c) { return json(c.bias); }, [](TrainConfig& c, const json& v) { c.bias = v.get<bool>(); }},
    {"l2", "--l2", "l2", FieldType::kNumber, "L2 penalty: adds l2/2 |w|^2 to the mean log-loss",
     "", false, {}, kNonNegative, [](const TrainConfig& c) { return json(c.l2); },
     [](TrainConfig& c, const json& v) { c.l2 = v.get<double>(); }},
    {"scale", "--scale", "scale", FieldType::kChoice,
     "Feature scaling, kept in the model: standardize ((x - mean) / std), maxabs (x / max |x|, zeros stay zeros), "
     "or none",
     "standardize for dense data with some |x| > 1, maxabs for such sparse data, else none", true, kScalings, {},
     [](const TrainConfig& c) { return json(std::string(to_string(c.scale))); },
     [](TrainConfig& c, const json& v) { c.scale = parse_scaling(v.get<std::string>()); }},
    {"shuffle", "--shuffle,!--no-shuffle", "shuffle", FieldType::kSwitch,
     "Shuffle each worker's rows every epoch (seeded)", "true", false, {}, {},
     [](const TrainConfig& c) { return json(c.shuffle); }, [](TrainConfig& c, const json& v) { c.shuffle = v.get<bool>(); }},
    {"seed", "--seed", "random_state", FieldType::kCount,
     "Seed of the synthetic data, the held-out rows' choice and the shuffles", "", false, {}, kNonNegative,
     [](const TrainConfig& c) { return json(c.seed); }, [](TrainConfig& c, const json& v) { c.seed = v.get<std::uint64_t>(); }},
    {"workers", "-w,--workers", "workers", FieldType::kCount, "Workers that train, each a thread",
     "the hardware threads, at most 4, fewer where more would not pay (the run says why)", true, {},
     FieldRange{1, false, 4096, false}, [](const TrainConfig& c) { return json(c.workers); },
     [](TrainConfig& c, const json& v) { c.workers = v.get<int>(); }},
    {"exchange", "--exchange", "exchange", FieldType::kChoice,
     "How workers sum sparse gradients: shared (threads: one model in shared memory), sparse (touched columns' lists), "
     "dense (all d), or auto (by the cost of each); the same bits every way",
     "", false, kExchanges, {}, [](const TrainConfig& c) { return json(std::string(to_string(c.exchange))); },
     [](TrainConfig& c, const json& v) { c.exchange = parse_exchange(v.get<std::string>()); }},
    {"optimizer", "--optimizer", "optimizer", FieldType::kChoice,
     "sgd (one rate), or adagrad (each column's rate over the root of its summed squared gradients)",
     kOptimizerDefault, false, kOptimizers, {},
     [](const TrainConfig& c) { return json(std::string(to_string(c.optimizer))); },
     [](TrainConfig& c, const json& v) { c.optimizer = parse_optimizer(v.get<std::string>()); }},
    {"sync_every", "--sync-every", "sync_every", FieldType::kStepsOrEpoch,
     "1: sum the gradients every step; K > 1 or epoch: local SGD, each worker takes K steps (or an epoch) alone, "
     "then the models are averaged",
     "", false, {}, {}, [](const TrainConfig& c) { return steps_or_epoch(c.sync_every); },
     [](TrainConfig& c, const json& v) { c.sync_every = steps_of(v); }},
    {"overlap", "--overlap", "overlap", FieldType::kSwitch,
     "Send each step's gradient while the next is computed (updates use a gradient one step old; dense exchange)",
     "", false, {}, {}, [](const TrainConfig& c) { return json(c.overlap); },
     [](TrainConfig& c, const json& v) { c.overlap = v.get<bool>(); }},
    {"patience", "--patience", "", FieldType::kCount,
     "Stop after this many epochs without a better held-out loss, keeping the best epoch's model; 0: never",
     "", false, {}, kNonNegative, [](const TrainConfig& c) { return json(c.patience); },
     [](TrainConfig& c, const json& v) { c.patience = v.get<std::size_t>(); }},
    {"target_accuracy", "--target-accuracy", "", FieldType::kNumber,
     "Stop once the held-out rows reach this accuracy, and report when that was (to compare strategies)",
     "", false, {}, FieldRange{0, true, 1, false, true}, [](const TrainConfig& c) { return optional_number(c.target_accuracy); },
     [](TrainConfig& c, const json& v) { c.target_accuracy = number_of(v); }},
    {"target_loss", "--target-loss", "", FieldType::kNumber, "Stop once the held-out rows' mean log-loss is this or lower",
     "", false, {}, FieldRange{0, true, 0, true, true}, [](const TrainConfig& c) { return optional_number(c.target_loss); },
     [](TrainConfig& c, const json& v) { c.target_loss = number_of(v); }},
    {"target_every", "--target-every", "", FieldType::kStepsOrEpoch,
     "Check the target every STEPS steps as well as at epochs' ends, or at epochs' ends only (epoch)",
     "", false, {}, {}, [](const TrainConfig& c) { return steps_or_epoch(c.target_every); },
     [](TrainConfig& c, const json& v) { c.target_every = steps_of(v); }},
    {"after_target", "--after-target", "", FieldType::kChoice,
     "At the target: stop (keep that model), or continue (record when, and train to the end)",
     "", false, kAfterTarget, {}, [](const TrainConfig& c) { return json(c.target_stop ? "stop" : "continue"); },
     [](TrainConfig& c, const json& v) { c.target_stop = v.get<std::string>() == "stop"; }},
}};

// "1", "0.5", "1e+300": a number as the rules print it.
std::string number_text(double v) { return fmt::format("{}", v); }

[[noreturn]] void refuse(const ConfigField& f, const std::string& problem) {
  throw ConfigError(fmt::format("{}: {}", field(f.name), problem));
}

// The text as the field's JSON value (format only; check_value checks the range).
json parse_value(const ConfigField& f, std::string_view text) {
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  switch (f.type) {
    case FieldType::kCount: {
      std::uint64_t n = 0;
      const auto [at, ec] = std::from_chars(begin, end, n);
      if (text.empty() || ec != std::errc() || at != end) {
        // A value too large for 64 bits is a whole number still: say that it is out of range.
        if (ec == std::errc::result_out_of_range && at == end) refuse(f, fmt::format("{} is out of range", text));
        refuse(f, fmt::format("expected a whole number, got {}", quoted(text)));
      }
      return json(n);
    }
    case FieldType::kNumber: {
      if (f.range.optional && text == "none") return json(nullptr);
      double v = 0;
      const auto [at, ec] = std::from_chars(begin, end, v);
      if (text.empty() || ec != std::errc() || at != end || std::isnan(v))
        refuse(f, fmt::format("expected a number, got {}", quoted(text)));
      return json(v);
    }
    case FieldType::kSwitch:
      if (text == "true" || text == "1") return json(true);
      if (text == "false" || text == "0") return json(false);
      refuse(f, fmt::format("expected true or false, got {}", quoted(text)));
    case FieldType::kChoice:
      if (std::find(f.choices.begin(), f.choices.end(), text) == f.choices.end())
        refuse(f, fmt::format("expected {}, got {}", rule_text(f), quoted(text)));
      return json(std::string(text));
    case FieldType::kStepsOrEpoch: {
      if (text == "epoch") return json("epoch");
      std::size_t steps = 0;
      const auto [at, ec] = std::from_chars(begin, end, steps);
      if (text.empty() || ec != std::errc() || at != end || steps == 0)
        refuse(f, fmt::format("expected a positive number of steps or 'epoch', got {}", quoted(text)));
      return json(steps);
    }
  }
  refuse(f, "unknown type");
}

std::string text_of(const json& v) {
  if (v.is_null()) return "none";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_float()) return number_text(v.get<double>());
  return v.dump();
}

bool in_range(const FieldRange& r, double v) {
  if (std::isnan(v)) return r.optional;
  if (!std::isfinite(v)) return false;
  if (r.low_open ? !(v > r.low) : !(v >= r.low)) return false;
  if (r.high == 0 && r.high_open) return true;
  return r.high_open ? v < r.high : v <= r.high;
}

void check_value(const ConfigField& f, const json& v) {
  if (f.type != FieldType::kCount && f.type != FieldType::kNumber) return;  // (parse_value checked the others)
  const double x = number_of(v);
  if (!in_range(f.range, x)) refuse(f, fmt::format("must be {}, got {}", rule_text(f), text_of(v)));
}

}  // namespace

std::span<const ConfigField> config_fields() { return kFields; }

const ConfigField* find_config_field(std::string_view name) noexcept {
  for (const ConfigField& f : kFields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const ConfigField* find_config_keyword(std::string_view keyword) noexcept {
  for (const ConfigField& f : kFields) {
    if (!f.keyword.empty() && f.keyword == keyword) return &f;
  }
  return nullptr;
}

void set_field(TrainConfig& config, const ConfigField& f, std::string_view text) {
  const json value = parse_value(f, text);
  check_value(f, value);
  f.store(config, value);
}

void set_field(TrainConfig& config, std::string_view name, std::string_view text) {
  const ConfigField* f = find_config_field(name);
  if (f == nullptr) throw ConfigError(fmt::format("unknown training option {}", quoted(name)));
  set_field(config, *f, text);
}

void check_field(const TrainConfig& config, const ConfigField& f) { check_value(f, f.load(config)); }

std::string default_text(const ConfigField& f) { return value_text(f, TrainConfig{}); }

std::string value_text(const ConfigField& f, const TrainConfig& config) { return text_of(f.load(config)); }

std::string rule_text(const ConfigField& f) {
  switch (f.type) {
    case FieldType::kSwitch: return "true or false";
    case FieldType::kStepsOrEpoch: return "a positive number of steps, or epoch";
    case FieldType::kChoice: {
      std::string out = "one of ";
      for (std::size_t i = 0; i < f.choices.size(); ++i) out += fmt::format("{}{}", i == 0 ? "" : ", ", f.choices[i]);
      return out;
    }
    case FieldType::kCount:
    case FieldType::kNumber: break;
  }
  const FieldRange& r = f.range;
  const bool whole = f.type == FieldType::kCount;
  const char* kind = whole ? "a whole number" : "a number";
  if (r.high == 0 && r.high_open)
    return fmt::format("{} {} {}", kind, r.low_open ? "greater than" : "of at least", number_text(r.low));
  return fmt::format("{} in {}{}, {}{}", kind, r.low_open ? "(" : "[", number_text(r.low), number_text(r.high),
                     r.high_open ? ")" : "]");
}

std::string field_help(const ConfigField& f, const FieldNamer& name_of) {
  std::string out;
  const std::string_view help = f.help;
  for (std::size_t at = 0; at < help.size();) {
    const std::size_t open = help.find('{', at);
    const std::size_t close = open == std::string_view::npos ? open : help.find('}', open);
    if (close == std::string_view::npos) {
      out.append(help.substr(at));
      break;
    }
    out.append(help.substr(at, open - at));
    const std::string_view name = help.substr(open + 1, close - open - 1);
    out.append(name_of ? name_of(name) : std::string(name));
    at = close + 1;
  }
  return out;
}

nlohmann::json to_json(const TrainConfig& config) {
  json out = json::object();
  for (const ConfigField& f : kFields) out[std::string(f.name)] = f.load(config);
  return out;
}

// (Here, beside the fields it checks, so that config.h needs nothing above it.)
void TrainConfig::validate() const {
  for (const ConfigField& f : config_fields()) check_field(*this, f);
  // The rules between fields.
  if (!std::isfinite(lr * std::max(1, workers)))
    throw ConfigError(fmt::format("{} x {} must stay a finite number (the rate after the warm-up is {} x {})",
                                  field("lr"), field("workers"), field("lr"), field("workers")));
}

}  // namespace dsgd
