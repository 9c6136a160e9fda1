// Loading a data file: parsing its text (1..N threads) against loading its binary cache, the
// two measured the same way (Google Benchmark, wall time, the file in the page cache), beside
// what the machine allows in the same run: a plain pass over the file's bytes (mapped afresh,
// every byte read: the bound of any parser) and the first touch of as much fresh memory as the
// rows take (what the page faults of a load cost on this machine). Each reports MB/s of text.
//
//   load_bench --data PATH [--benchmark_repetitions=5 ...]   (default: tests/data/files/a9a.gz)
//
// The cache (PATH.dsgdcache) is written first if it is not current.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "dsgd/base/aligned_memory.h"
#include "dsgd/base/parallel_for.h"
#include "dsgd/data/file_bytes.h"
#include "dsgd/data/reader.h"

namespace {

std::string g_path = DSGD_DEFAULT_DATA;
std::size_t g_row_bytes = 0;  // the data set's bytes, as a load of the text makes them

// MB/s of the file's text, and per thread.
void count_text(benchmark::State& state, int threads) {
  const double bytes = static_cast<double>(dsgd::file_stamp(g_path).size) * static_cast<double>(state.iterations());
  state.counters["text_MB_per_s"] = benchmark::Counter(bytes / 1e6, benchmark::Counter::kIsRate);
  state.counters["per_thread_MB_per_s"] = benchmark::Counter(bytes / 1e6 / threads, benchmark::Counter::kIsRate);
}

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
  count_text(state, options.threads);
}

void BM_ParseText(benchmark::State& state) { read(state, false); }
void BM_LoadCache(benchmark::State& state) { read(state, true); }

// The bound of any parser: the file mapped afresh and every byte of it read (newlines counted),
// on the same threads (gzip files: their decompression included, as for the parse).
void BM_PlainPass(benchmark::State& state) {
  const auto threads = static_cast<std::size_t>(state.range(0));
  std::size_t lines = 0;
  for (auto _ : state) {
    const dsgd::FileBytes file(g_path);
    const std::string_view text = file.text();
    std::vector<std::size_t> counts(threads, 0);
    dsgd::detail::parallel_for(threads, [&](std::size_t t) {
      const std::string_view part = text.substr(text.size() * t / threads, text.size() / threads + 1);
      std::size_t n = 0;
      for (const char c : part) n += c == '\n';
      counts[t] = n;
    });
    lines = 0;
    for (const std::size_t n : counts) lines += n;
    benchmark::DoNotOptimize(lines);
  }
  count_text(state, static_cast<int>(threads));
}

// Fresh memory as large as the loaded rows, each page written once (the page faults a load pays
// for the memory it fills), on the same threads.
void BM_FirstTouch(benchmark::State& state) {
  const auto threads = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    auto* p = static_cast<char*>(dsgd::detail::aligned_allocate(g_row_bytes));
    dsgd::detail::parallel_for(threads, [&](std::size_t t) {
      for (std::size_t k = g_row_bytes * t / threads; k < g_row_bytes * (t + 1) / threads; k += 4096) p[k] = 1;
    });
    benchmark::DoNotOptimize(p);
    std::free(p);
  }
  state.counters["dataset_MB"] = static_cast<double>(g_row_bytes) / 1e6;
  count_text(state, static_cast<int>(threads));
}

BENCHMARK(BM_ParseText)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PlainPass)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_FirstTouch)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
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
  g_row_bytes = dsgd::read_data(g_path, build).data.feature_bytes();  // the cache, current before timing
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
