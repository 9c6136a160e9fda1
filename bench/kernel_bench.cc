// The hot path under Google Benchmark: the fused gradient pass of one worker, on data that fits
// in L2, in L3, and in main memory only, as f64 and f32. bytes_per_second is the feature bytes
// the pass reads, and x_bound the pass's time against the single-core read bound: the feature
// bytes at the streaming read bandwidth measured when the benchmark starts (1.0 is the bound;
// it means something for the sizes in main memory only).
#include <benchmark/benchmark.h>

#include <vector>

#include "dsgd/data/synthetic.h"
#include "dsgd/model/kernel.h"
#include "dsgd/analysis/bandwidth.h"
#include "dsgd/base/timer.h"

namespace {

dsgd::Dataset make_data(dsgd::DType dtype, std::size_t rows, std::size_t features) {
  dsgd::SyntheticSpec spec;
  spec.samples = rows;
  spec.features = features;
  spec.dtype = dtype;
  return dsgd::generate_parallel(spec, dsgd::Split::kTrain, 2);
}

// The single-core streaming read bandwidth in bytes/s, measured once, the first time it is asked.
double read_bandwidth() {
  static const double bytes_per_s = dsgd::measure_read_bandwidth(1) * 1e9;
  return bytes_per_s;
}

template <dsgd::DType kType, bool kGradient>
void BM_FusedPass(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const auto features = static_cast<std::size_t>(state.range(1));
  const dsgd::Dataset data = make_data(kType, rows, features);
  std::vector<double> w(features, 0.01);
  std::vector<double> grad(features);
  read_bandwidth();  // measured before the clock starts
  const auto start = dsgd::Clock::now();
  for (auto _ : state) {
    dsgd::PassSums sums;
    data.visit([&](const auto& view) {
      if constexpr (kGradient) {
        dsgd::accumulate_gradient(view, nullptr, view.rows, w, 0.0, grad, sums);
      } else {
        dsgd::accumulate_loss(view, w, 0.0, sums);
      }
    });
    benchmark::DoNotOptimize(sums);
    benchmark::DoNotOptimize(grad.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.feature_bytes()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows));
  // A pass's seconds against the bound's: the feature bytes at the read bandwidth.
  const double pass_s = dsgd::seconds_since(start) / static_cast<double>(state.iterations());
  state.counters["x_bound"] = pass_s / (static_cast<double>(data.feature_bytes()) / read_bandwidth());
  state.counters["read_GB/s"] = read_bandwidth() / 1e9;
  state.SetLabel(dsgd::kernel_target());
}

void Sizes(benchmark::internal::Benchmark* b) {
  for (long features : {20L, 100L, 256L}) {
    const long row_bytes = features * 8;
    for (long bytes : {1L << 20, 16L << 20, 512L << 20}) b->Args({bytes / row_bytes, features});
  }
  b->ArgNames({"rows", "features"})->Unit(benchmark::kMillisecond);
}

BENCHMARK_TEMPLATE(BM_FusedPass, dsgd::DType::kF64, true)->Apply(Sizes)->Name("gradient/f64");
BENCHMARK_TEMPLATE(BM_FusedPass, dsgd::DType::kF32, true)->Apply(Sizes)->Name("gradient/f32");
BENCHMARK_TEMPLATE(BM_FusedPass, dsgd::DType::kF64, false)->Apply(Sizes)->Name("loss/f64");

// The sparse pass of training (interleaved weight-gradient pairs, touched columns marked) over
// a batch of 8192 rows of 40 non-zeros with power-law (Zipf 1) columns: non-zeros per second,
// and the bytes the rows hold per second (values, indices, offsets). Its bound is not streaming
// but random access: each non-zero reads and writes one line of the 16 d-byte model, so
// compare items_per_second with BM_RandomReads at the same d.
void BM_SparsePass(benchmark::State& state) {
  const auto d = static_cast<std::size_t>(state.range(0));
  dsgd::SyntheticSpec spec;
  spec.samples = 1 << 17;
  spec.features = d;
  spec.nnz = 40;
  spec.zipf = 1.0;
  const dsgd::Dataset data = dsgd::generate_parallel(spec, dsgd::Split::kTrain, 2);
  const auto view = data.sparse_view<double>();
  std::vector<double> pairs(2 * d, 0.0);
  for (std::size_t j = 0; j < d; ++j) pairs[2 * j] = 0.001 * static_cast<double>(j % 7);
  dsgd::TouchedSet touched(d);
  constexpr std::size_t kBatch = 8192;
  std::size_t start = 0;
  for (auto _ : state) {
    dsgd::PassSums sums;
    dsgd::accumulate_gradient_pairs(view.slice(start, start + kBatch), nullptr, kBatch, pairs, 2, 1, 1.0, 0.0, touched,
                                    sums);
    touched.drain([&](std::uint32_t j) { pairs[2 * j + 1] = 0.0; });
    start = (start + kBatch) % (view.rows - kBatch);
    benchmark::DoNotOptimize(sums);
  }
  const auto nnz = static_cast<std::int64_t>(kBatch * spec.nnz);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * nnz);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * nnz * 12 +
                          static_cast<std::int64_t>(state.iterations() * (kBatch + 1) * 8));
  state.SetLabel(dsgd::kernel_target());
}
BENCHMARK(BM_SparsePass)->Arg(1 << 16)->Arg(1 << 22)->ArgName("d")->Unit(benchmark::kMicrosecond);

// Random 8-byte reads of a buffer the size of the sparse pass's model (16 d bytes), per second.
void BM_RandomReads(benchmark::State& state) {
  const auto d = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) state.counters["reads/s"] = dsgd::measure_random_reads(1, 16 * d);
}
BENCHMARK(BM_RandomReads)->Arg(1 << 16)->Arg(1 << 22)->ArgName("d")->Iterations(3)->Unit(benchmark::kMillisecond);

void BM_ReadBandwidth(benchmark::State& state) {
  for (auto _ : state) {
    const double gbs = dsgd::measure_read_bandwidth(static_cast<int>(state.range(0)));
    state.counters["GB/s"] = gbs;
  }
}
BENCHMARK(BM_ReadBandwidth)->Arg(1)->Arg(2)->ArgName("threads")->Iterations(3)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
