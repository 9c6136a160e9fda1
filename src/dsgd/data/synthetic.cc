#include "dsgd/data/synthetic.h"

#include <algorithm>
#include <string>
#include <thread>

#include "dsgd/data/rng.h"
#include "dsgd/error.h"

namespace dsgd {
namespace {

// Stream identifiers; changing one changes every generated data set.
enum Stream : std::uint64_t { kWeights = 1, kTrainX = 2, kTrainNoise = 3, kTestX = 4, kTestNoise = 5 };

template <typename T>
void fill(const SyntheticSpec& spec, Split split, RowRange range, const std::vector<double>& w_true,
          Dataset& out, std::size_t at) {
  const std::size_t d = spec.features;
  const CounterRng x_rng(stream_key(spec.seed, split == Split::kTrain ? kTrainX : kTestX));
  const CounterRng noise_rng(stream_key(spec.seed, split == Split::kTrain ? kTrainNoise : kTestNoise));
  T* x = out.features_as<T>().data() + at * d;
  std::uint8_t* y = out.labels().data() + at;
  for (std::size_t r = range.begin; r < range.end; ++r) {
    double margin = 0.0;
    const std::uint64_t first = static_cast<std::uint64_t>(r) * d;
    for (std::size_t j = 0; j < d; ++j) {
      // The label comes from the stored value, so an f32 set is labelled by what it holds.
      const T value = static_cast<T>(x_rng.normal(first + j));
      *x++ = value;
      margin += static_cast<double>(value) * w_true[j];
    }
    bool label = margin > 0.0;
    if (spec.noise > 0.0 && noise_rng.uniform(r) < spec.noise) label = !label;
    *y++ = label ? 1 : 0;
  }
}

}  // namespace

void validate(const SyntheticSpec& spec) {
  if (spec.samples == 0) throw ConfigError("--samples must be at least 1");
  if (spec.features == 0) throw ConfigError("--features must be at least 1");
  if (!(spec.noise >= 0.0 && spec.noise <= 0.5))
    throw ConfigError("--noise must be in [0, 0.5], got " + std::to_string(spec.noise));
}

std::vector<double> true_weights(const SyntheticSpec& spec) {
  const CounterRng rng(stream_key(spec.seed, kWeights));
  std::vector<double> w(spec.features);
  for (std::size_t j = 0; j < w.size(); ++j) w[j] = rng.normal(j);
  return w;
}

void generate_rows(const SyntheticSpec& spec, Split split, RowRange range,
                   const std::vector<double>& w_true, Dataset& out, std::size_t at) {
  if (out.features() != spec.features || w_true.size() != spec.features || at + range.size() > out.rows())
    throw Error("generate_rows: destination does not fit the requested rows");
  if (out.dtype() == DType::kF32) {
    fill<float>(spec, split, range, w_true, out, at);
  } else {
    fill<double>(spec, split, range, w_true, out, at);
  }
}

Dataset generate(const SyntheticSpec& spec, Split split, RowRange range) {
  Dataset out(spec.dtype, range.size(), spec.features, range.begin);
  generate_rows(spec, split, range, true_weights(spec), out);
  return out;
}

std::size_t rows_of(const SyntheticSpec& spec, Split split) noexcept {
  return split == Split::kTrain ? spec.samples : spec.test_samples;
}

Dataset generate_parallel(const SyntheticSpec& spec, Split split, std::size_t threads) {
  return generate_parallel(spec, split, {0, rows_of(spec, split)}, threads);
}

Dataset generate_parallel(const SyntheticSpec& spec, Split split, RowRange range, std::size_t threads) {
  const std::size_t rows = range.size();
  Dataset out(spec.dtype, rows, spec.features, range.begin);
  const std::vector<double> w_true = true_weights(spec);
  threads = std::max<std::size_t>(1, std::min(threads, rows));
  const auto block = [&](std::size_t t) {
    const RowRange local = shard_range(rows, threads, t);
    generate_rows(spec, split, {range.begin + local.begin, range.begin + local.end}, w_true, out, local.begin);
  };
  std::vector<std::jthread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(block, t);
  block(0);
  return out;  // the jthreads join first
}

}  // namespace dsgd
