#include "dsgd/train/config.h"

#include <cmath>
#include <string>

#include "dsgd/error.h"

namespace dsgd {

void TrainConfig::validate() const {
  if (epochs == 0) throw ConfigError("--epochs must be at least 1");
  if (batch == 0) throw ConfigError("--batch must be at least 1");
  if (!(lr > 0.0) || !std::isfinite(lr)) throw ConfigError("--lr must be a positive number");
  if (!(warmup_epochs >= 0.0) || !std::isfinite(warmup_epochs))
    throw ConfigError("--warmup-epochs must be 0 or more");
  if (workers < 1) throw ConfigError("--workers must be at least 1");
  if (workers > 4096) throw ConfigError("--workers must be at most 4096, got " + std::to_string(workers));
}

}  // namespace dsgd
