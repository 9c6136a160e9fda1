// The hot path under Google Benchmark: the fused gradient pass of one worker, on data that fits
// in L2, in L3, and in main memory only, as f64 and f32. bytes_per_second is the feature bytes
// the pass reads; compare it with `dsgd bench`'s measured read bandwidth.
#include <benchmark/benchmark.h>

#include <vector>

#include "dsgd/data/synthetic.h"
#include "dsgd/model/kernel.h"
#include "dsgd/report/bandwidth.h"

namespace {

dsgd::Dataset make_data(dsgd::DType dtype, std::size_t rows, std::size_t features) {
  dsgd::SyntheticSpec spec;
  spec.samples = rows;
  spec.features = features;
  spec.dtype = dtype;
  return dsgd::generate_parallel(spec, dsgd::Split::kTrain, 2);
}

template <dsgd::DType kType, bool kGradient>
void BM_FusedPass(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const auto features = static_cast<std::size_t>(state.range(1));
  const dsgd::Dataset data = make_data(kType, rows, features);
  std::vector<double> w(features, 0.01);
  std::vector<double> grad(features);
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
  state.SetLabel(dsgd::kernel_target());
}

void Sizes(benchmark::internal::Benchmark* b) {
  for (long features : {20L, 100L}) {
    const long row_bytes = features * 8;
    for (long bytes : {1L << 20, 16L << 20, 512L << 20}) b->Args({bytes / row_bytes, features});
  }
  b->ArgNames({"rows", "features"})->Unit(benchmark::kMillisecond);
}

BENCHMARK_TEMPLATE(BM_FusedPass, dsgd::DType::kF64, true)->Apply(Sizes)->Name("gradient/f64");
BENCHMARK_TEMPLATE(BM_FusedPass, dsgd::DType::kF32, true)->Apply(Sizes)->Name("gradient/f32");
BENCHMARK_TEMPLATE(BM_FusedPass, dsgd::DType::kF64, false)->Apply(Sizes)->Name("loss/f64");

void BM_ReadBandwidth(benchmark::State& state) {
  for (auto _ : state) {
    const double gbs = dsgd::measure_read_bandwidth(static_cast<int>(state.range(0)));
    state.counters["GB/s"] = gbs;
  }
}
BENCHMARK(BM_ReadBandwidth)->Arg(1)->Arg(2)->ArgName("threads")->Iterations(3)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
