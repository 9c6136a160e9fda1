// Loading a data file: parsing its text (1..N threads) against loading its binary cache, the
// two measured the same way (Google Benchmark, wall time, the file in the page cache).
//
//   load_bench --data PATH [--benchmark_repetitions=5 ...]   (default: tests/data/files/a9a.gz)
//
// The cache (PATH.dsgdcache) is written first if it is not current.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>

#include "dsgd/data/reader.h"

namespace {

std::string g_path = DSGD_DEFAULT_DATA;

void read(benchmark::State& state, bool cache) {
  dsgd::ReadOptions options;
  options.threads = static_cast<int>(state.range(0));
  options.cache = cache;
  std::size_t bytes = 0;
  for (auto _ : state) {
    const dsgd::ReadResult r = dsgd::read_data(g_path, options);
    if (cache && !r.from_cache) state.SkipWithError(("not loaded from the cache: " + r.cache_note).c_str());
    bytes = r.data.feature_bytes();
    benchmark::DoNotOptimize(r.data.labels().data());
  }
  state.counters["dataset_MB"] = static_cast<double>(bytes) / 1e6;
}

void BM_ParseText(benchmark::State& state) { read(state, false); }
void BM_LoadCache(benchmark::State& state) { read(state, true); }

BENCHMARK(BM_ParseText)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LoadCache)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
      g_path = argv[i + 1];
      for (int j = i; j + 2 <= argc; ++j) argv[j] = argv[j + 2];
      argc -= 2;
      break;
    }
  }
  dsgd::ReadOptions build;
  build.cache = true;
  (void)dsgd::read_data(g_path, build);  // the cache, current before timing
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
