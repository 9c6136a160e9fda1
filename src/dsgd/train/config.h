#pragma once
// TrainConfig: every training option in one place, with its default and its check.
#include <cstddef>
#include <cstdint>

namespace dsgd {

struct TrainConfig {
  std::size_t epochs = 8;          // passes over the data
  std::size_t batch = 8192;        // rows per worker per step; the global batch is workers x batch
  double lr = 0.1;                 // base rate; the rate used is lr x workers after warm-up
  double warmup_epochs = 1.0;      // per-step linear ramp from lr to lr x workers; 0 disables
  bool shuffle = false;            // seeded permutation of each shard per epoch (the seed had none)
  std::uint64_t seed = 42;         // data generation and shuffling
  int workers = 1;                 // SPMD workers

  // Throws ConfigError naming the option that is out of range.
  void validate() const;
};

}  // namespace dsgd
