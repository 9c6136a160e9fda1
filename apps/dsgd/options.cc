#include "options.h"

#include <algorithm>
#include <thread>

namespace dsgd::cli {

int default_workers() {
  const unsigned hw = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(hw, 1U, 4U));
}

void DataOptions::resolve() {
  spec.dtype = parse_dtype(dtype);
  spec.test_samples = test_samples.value_or(spec.samples / 5);
  validate(spec);
}

void add_data_options(CLI::App& app, DataOptions& data) {
  auto* group = "Data (synthetic: x ~ N(0,1), w* ~ N(0,1), y = [x.w* > 0])";
  app.add_option("-n,--samples", data.spec.samples, "Training rows")->group(group)->check(CLI::PositiveNumber);
  app.add_option("-d,--features", data.spec.features, "Features per row")->group(group)->check(CLI::PositiveNumber);
  app.add_option("--test-samples", data.test_samples, "Held-out test rows from the same w* [default: 20% of --samples]")
      ->group(group)
      ->check(CLI::NonNegativeNumber);
  app.add_option("--noise", data.spec.noise, "Flip each label with this probability")
      ->group(group)
      ->check(CLI::Range(0.0, 0.5));
  app.add_option("--seed", data.spec.seed, "Seed of the data and of --shuffle")->group(group);
  app.add_option("--dtype", data.dtype, "Storage of the features: f64, or f32 (double accumulation)")
      ->group(group)
      ->check(CLI::IsMember({"f32", "f64"}));
}

void add_train_options(CLI::App& app, TrainOptions& train) {
  auto* group = "Training";
  TrainConfig& c = train.config;
  app.add_option("-e,--epochs", c.epochs, "Passes over the data")->group(group)->check(CLI::PositiveNumber);
  app.add_option("-b,--batch", c.batch, "Rows per worker per step (global batch = workers x batch)")
      ->group(group)
      ->check(CLI::PositiveNumber);
  app.add_option("--lr", c.lr, "Base learning rate; the rate used is lr x workers after warm-up")
      ->group(group)
      ->check(CLI::PositiveNumber);
  app.add_option("--warmup-epochs", c.warmup_epochs, "Epochs of per-step linear ramp from lr to lr x workers (0: none)")
      ->group(group)
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--shuffle", c.shuffle, "Shuffle each worker's shard every epoch (seeded)")->group(group);
  app.add_option("-w,--workers", c.workers, "Worker threads [default: hardware threads, at most 4]")
      ->group(group)
      ->check(CLI::Range(1, 4096));
  app.add_option("--json", train.json, "Also write the report as JSON to this file")->group("Output");
  app.add_flag("-q,--quiet", train.quiet, "No per-epoch progress lines")->group("Output");
}

}  // namespace dsgd::cli
