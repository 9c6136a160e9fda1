#include "dsgd/train/config/config.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "dsgd/base/error.h"

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
    case ExchangeMode::kSharded: return "sharded";
  }
  return "?";
}

ExchangeMode parse_exchange(std::string_view name) {
  for (const ExchangeMode m : {ExchangeMode::kAuto, ExchangeMode::kDense, ExchangeMode::kSparse, ExchangeMode::kShared,
                                ExchangeMode::kSharded}) {
    if (name == to_string(m)) return m;
  }
  throw ConfigError("unknown exchange '" + std::string(name) + "' (expected auto, dense, sparse, shared or sharded)");
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
}  // namespace dsgd
