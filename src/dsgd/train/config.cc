#include "dsgd/train/config.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include "dsgd/error.h"

namespace dsgd {

std::string_view to_string(LrSchedule schedule) noexcept {
  switch (schedule) {
    case LrSchedule::kConstant: return "constant";
    case LrSchedule::kInverseSqrt: return "inverse-sqrt";
    case LrSchedule::kStep: return "step";
  }
  return "?";
}

LrSchedule parse_schedule(std::string_view name) {
  for (const LrSchedule s : {LrSchedule::kConstant, LrSchedule::kInverseSqrt, LrSchedule::kStep}) {
    if (name == to_string(s)) return s;
  }
  throw ConfigError("unknown learning-rate schedule '" + std::string(name) +
                    "' (expected constant, inverse-sqrt or step)");
}

std::string_view to_string(ExchangeMode mode) noexcept {
  switch (mode) {
    case ExchangeMode::kAuto: return "auto";
    case ExchangeMode::kDense: return "dense";
    case ExchangeMode::kSparse: return "sparse";
    case ExchangeMode::kShared: return "shared";
  }
  return "?";
}

ExchangeMode parse_exchange(std::string_view name) {
  for (const ExchangeMode m : {ExchangeMode::kAuto, ExchangeMode::kDense, ExchangeMode::kSparse, ExchangeMode::kShared}) {
    if (name == to_string(m)) return m;
  }
  throw ConfigError("unknown exchange '" + std::string(name) + "' (expected auto, dense, sparse or shared)");
}

std::string_view to_string(Scaling scaling) noexcept {
  switch (scaling) {
    case Scaling::kNone: return "none";
    case Scaling::kMaxAbs: return "maxabs";
    case Scaling::kStandardize: return "standardize";
  }
  return "?";
}

Scaling parse_scaling(std::string_view name) {
  for (const Scaling s : {Scaling::kNone, Scaling::kMaxAbs, Scaling::kStandardize}) {
    if (name == to_string(s)) return s;
  }
  throw ConfigError("unknown scaling '" + std::string(name) + "' (expected none, maxabs or standardize)");
}

std::string_view to_string(Optimizer optimizer) noexcept {
  return optimizer == Optimizer::kAdagrad ? "adagrad" : "sgd";
}

Optimizer parse_optimizer(std::string_view name) {
  if (name == "sgd") return Optimizer::kSgd;
  if (name == "adagrad") return Optimizer::kAdagrad;
  throw ConfigError("unknown optimizer '" + std::string(name) + "' (expected sgd or adagrad)");
}

std::string to_string_sync_every(std::size_t sync_every) {
  return sync_every == kSyncEveryEpoch ? std::string("epoch") : std::to_string(sync_every);
}

std::size_t parse_steps_or_epoch(std::string_view option, std::string_view text) {
  if (text == "epoch") return 0;
  std::size_t steps = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), steps);
  if (ec != std::errc() || end != text.data() + text.size() || steps == 0)
    throw ConfigError(std::string(option) + ": expected a positive number of steps or 'epoch', got '" +
                      std::string(text) + "'");
  return steps;
}

std::size_t parse_sync_every(std::string_view text) { return parse_steps_or_epoch("--sync-every", text); }

namespace {
bool finite_at_least(double value, double low) { return std::isfinite(value) && value >= low; }
}  // namespace

void TrainConfig::validate() const {
  if (epochs == 0) throw ConfigError("--epochs must be at least 1");
  if (batch == 0) throw ConfigError("--batch must be at least 1");
  if (!(lr > 0.0) || !std::isfinite(lr)) throw ConfigError("--lr must be a positive number");
  if (!std::isfinite(lr * std::max(1, workers)))
    throw ConfigError("--lr x workers must stay a finite number (the rate after the warm-up is lr x workers)");
  if (!finite_at_least(warmup_epochs, 0.0)) throw ConfigError("--warmup-epochs must be 0 or more");
  if (!(step_epochs > 0.0) || !std::isfinite(step_epochs)) throw ConfigError("--lr-step-epochs must be positive");
  if (!(step_factor > 0.0 && step_factor <= 1.0)) throw ConfigError("--lr-step-factor must be in (0, 1]");
  if (!finite_at_least(l2, 0.0)) throw ConfigError("--l2 must be 0 or more");
  if (workers < 1) throw ConfigError("--workers must be at least 1");
  if (!std::isnan(target_accuracy) && !(target_accuracy > 0 && target_accuracy <= 1))
    throw ConfigError("--target-accuracy must be in (0, 1]");
  if (!std::isnan(target_loss) && !(target_loss > 0 && std::isfinite(target_loss)))
    throw ConfigError("--target-loss must be a positive number");
  if (sync_every != 1 && exchange == ExchangeMode::kShared)
    throw ConfigError("--sync-every keeps a model on every worker: it cannot take --exchange shared, one model the "
                      "workers share");
  if (overlap && sync_every != 1)
    throw ConfigError("--overlap hides each step's exchange; with --sync-every " + to_string_sync_every(sync_every) +
                      " the steps between averages exchange nothing");
  if (overlap && (exchange == ExchangeMode::kSparse || exchange == ExchangeMode::kShared))
    throw ConfigError("--overlap starts a dense allreduce and computes while it travels: it cannot take --exchange " +
                      std::string(to_string(exchange)));
  if (workers > 4096) throw ConfigError("--workers must be at most 4096, got " + std::to_string(workers));
}

}  // namespace dsgd
