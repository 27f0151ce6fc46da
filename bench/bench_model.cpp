// Whole blocks through the graph runtime at 1x96x56x56 (and 8x96x56x56): time per run,
// the runtime's own overhead (a run's time minus the sum of its nodes' kernel times,
// measured in the same process), and the arena against the sum of all activations.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "shiftnn/model.hpp"
#include "support/model_blocks.hpp"

namespace {

using namespace shiftnn;

Graph block(const std::string& name, Shape s) {
  return name == "s2mlp" ? blocks::s2mlp_block(s) : blocks::asmlp_block(s);
}

struct Fixture {
  std::unique_ptr<Model> model;
  Tensor x;
};

// One compiled model per (block, batch, threads), built outside the timed loop.
Fixture& fixture(const std::string& name, int64_t n, int threads) {
  static std::map<std::string, Fixture> cache;
  const std::string key = name + "/" + std::to_string(n) + "/" + std::to_string(threads);
  Fixture& f = cache[key];
  if (!f.model) {
    const Shape s{n, 96, 56, 56};
    ModelOptions o;
    o.threads = threads;
    f.model = std::make_unique<Model>(block(name, s), o);
    f.x = Tensor(s);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> value(-1, 1);
    for (int64_t i = 0; i < f.x.elements(); ++i) f.x.data()[i] = value(rng);
  }
  return f;
}

// args: batch, threads. Counters: the arena and the activations it holds (MiB), the
// median over the timed runs of (run time - sum of node times) as a share of the run.
void BM_model(benchmark::State& state, const std::string& name) {
  Fixture& f = fixture(name, state.range(0), static_cast<int>(state.range(1)));
  const std::vector<ConstTensorView> in = {f.x.cview()};
  f.model->run(in);
  std::vector<double> overhead;
  std::vector<NodeProfile> rows;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    auto y = f.model->run_profiled(in, rows);
    const double total =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    benchmark::DoNotOptimize(y);
    double nodes = 0;
    for (const NodeProfile& r : rows) nodes += r.microseconds;
    overhead.push_back((total - nodes) / total);
  }
  const MemoryReport m = f.model->memory(state.range(0));
  state.counters["overhead_pct"] = 100 * shiftnn::bench::median(overhead);
  state.counters["arena_MiB"] = m.arena_bytes / 1048576.0;
  state.counters["activations_MiB"] = m.intermediates_bytes / 1048576.0;
  state.counters["nodes"] = static_cast<double>(rows.size());
}

void args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "threads"})->Args({1, 1})->Args({1, 2})->Args({8, 1})->Args({8, 2});
  b->Unit(benchmark::kMicrosecond)->UseRealTime()->MinTime(0.5);
}

BENCHMARK_CAPTURE(BM_model, s2mlp, std::string("s2mlp"))->Apply(args);
BENCHMARK_CAPTURE(BM_model, asmlp, std::string("asmlp"))->Apply(args);

}  // namespace

BENCHMARK_MAIN();
