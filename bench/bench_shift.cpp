// The shift benchmarks: every strategy through the public API, every SIMD shift kernel
// of the kernel list on every ISA the host runs, and a memcpy of the same bytes as the
// physical limit, alone and paired with copy. bench/compare.py turns the JSON output into
// ratio tables; scripts/bench into a report with plots.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.hpp"
#include "kernels/kernel_table.hpp"
#include "shiftnn/shiftnn.hpp"

namespace {

namespace kn = shiftnn::kernels;
using shiftnn::Boundary;
using shiftnn::Layout;
using shiftnn::parallel_memcpy;
using shiftnn::Shape;
using shiftnn::Strategy;
using shiftnn::Tensor;
using shiftnn::bench::median;
using shiftnn::bench::suite_shapes;

// Powers of two up to all hardware threads, and all of them: the thread-scaling curve.
std::vector<int> thread_counts() {
  const int all = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  std::vector<int> counts;
  for (int t = 1; t < all; t *= 2) counts.push_back(t);
  counts.push_back(all);
  return counts;
}

// Size sweep for the bandwidth-against-size plot, only with SHIFTNN_BENCH_SWEEP=<max bytes>
// (e.g. 268435456): 1xCx56x56 tensors from 16 KiB up to that many bytes in steps of
// sqrt(2), C rounded to the nearest channel count (at least 1).
std::vector<Shape> sweep_shapes() {
  const char* env = std::getenv("SHIFTNN_BENCH_SWEEP");
  std::vector<Shape> shapes;
  if (!env) return shapes;
  const double max_bytes = std::atof(env);
  const double plane_bytes = 56.0 * 56.0 * sizeof(float);
  for (double bytes = 16384; bytes <= max_bytes * 1.0001; bytes *= 1.4142135623730951) {
    const int64_t c = std::max<int64_t>(1, std::llround(bytes / plane_bytes));
    if (shapes.empty() || shapes.back().c != c) shapes.push_back({1, c, 56, 56});
  }
  return shapes;
}

// copy is held to the memcpy target with both zero and keep; replicate is the PyTorch
// peer's boundary, so every strategy has it for the side-by-side table.
std::vector<Boundary> boundaries_for(Strategy s) {
  if (s == Strategy::copy) return {Boundary::zero, Boundary::keep, Boundary::replicate};
  return {Boundary::zero, Boundary::replicate};
}

// Random input, cached for consecutive benchmarks of one shape and layout (registration
// groups them), so large shapes are filled once.
const Tensor& random_input(Shape shape, Layout layout) {
  static Tensor cached;
  if (cached.shape() != shape || cached.layout() != layout) {
    cached = Tensor();  // free first: two DRAM-sized tensors need not coexist
    cached = Tensor(shape, layout);
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    float* p = cached.data();
    for (int64_t i = 0; i < cached.elements(); ++i) p[i] = dist(rng);
  }
  return cached;
}

// A shift reads and writes every element once: bytes_per_second counts both.
void set_traffic(benchmark::State& state, Shape shape) {
  state.SetBytesProcessed(state.iterations() * 2 * shape.elements() *
                          static_cast<int64_t>(sizeof(float)));
}

void bench_strategy(benchmark::State& state, Strategy strategy, Layout layout, Boundary boundary,
                    Shape shape, int threads, std::string variant = "") {
  const Tensor& in = random_input(shape, layout);
  Tensor out(shape, layout);
  try {
    const shiftnn::ShiftOp op(shape, layout, shiftnn::parse_pattern("quad", shape.c, boundary),
                              {strategy, threads, variant});
    state.SetLabel(op.kernel_name());
    for (auto _ : state) {
      op.run(in.cview(), out.view());
      benchmark::ClobberMemory();
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  set_traffic(state, shape);
}

void bench_memcpy(benchmark::State& state, Shape shape, int threads) {
  const Tensor& in = random_input(shape, Layout::nchw);
  Tensor out(shape);
  const size_t bytes = static_cast<size_t>(shape.elements()) * sizeof(float);
  for (auto _ : state) {
    parallel_memcpy(out.data(), in.data(), bytes, threads);
    benchmark::ClobberMemory();
  }
  set_traffic(state, shape);
}

// Strategy copy and a memcpy of the same bytes, one after the other in every iteration:
// both run in the same state of a shared machine, where separate benchmarks run seconds
// apart drift by more than 10% between them. Each timed run follows an untimed run of
// its own kind, so it finds the caches as it would in a benchmark of its own (copy right
// after memcpy ran up to 2x slower at 2 threads on 1x192x28x28). A timed sample is
// several runs back to back below 4 MiB, so it lasts tens of microseconds and one late
// thread wake-up (microseconds) does not decide it: single 2-thread runs of 1x768x14x14
// gave memcpy medians of 6.2 to 10.4 us across cells of one report. Time: the wall time
// of an iteration's timed runs (so --benchmark_min_time bounds the run). Counters, per
// run: memcpy_us and copy_us (medians over iterations) and memcpy_per_copy, the median
// over iterations of memcpy time / copy time. pattern: SPEC §1 (the suite's is quad).
void bench_copy_paired(benchmark::State& state, Layout layout, Boundary boundary, Shape shape,
                       int threads, std::string pattern) {
  using Clock = std::chrono::steady_clock;
  const Tensor& in = random_input(shape, layout);
  Tensor out(shape, layout);  // both write it: the pair touches the bytes either touches alone
  const size_t bytes = static_cast<size_t>(shape.elements()) * sizeof(float);
  const int batch = static_cast<int>(std::clamp<size_t>((size_t{4} << 20) / bytes, 1, 64));
  std::vector<double> memcpy_s, copy_s, ratios;
  try {
    const shiftnn::ShiftOp op(shape, layout, shiftnn::parse_pattern(pattern, shape.c, boundary),
                              {Strategy::copy, threads, ""});
    state.SetLabel(op.kernel_name());
    auto run_memcpy = [&] {
      parallel_memcpy(out.data(), in.data(), bytes, threads);
      benchmark::ClobberMemory();
    };
    auto run_copy = [&] {
      op.run(in.cview(), out.view());
      benchmark::ClobberMemory();
    };
    // Seconds per run of a batch timed after one untimed run.
    auto time_second = [batch](auto& run) {
      run();
      const auto start = Clock::now();
      for (int i = 0; i < batch; ++i) run();
      return std::chrono::duration<double>(Clock::now() - start).count() / batch;
    };
    for (auto _ : state) {
      const double m = time_second(run_memcpy);
      const double c = time_second(run_copy);
      state.SetIterationTime((m + c) * batch);
      memcpy_s.push_back(m);
      copy_s.push_back(c);
      ratios.push_back(m / c);
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  state.counters["memcpy_us"] = median(memcpy_s) * 1e6;
  state.counters["copy_us"] = median(copy_s) * 1e6;
  state.counters["memcpy_per_copy"] = median(ratios);
  // Both batches: read and write of the tensor per run.
  state.SetBytesProcessed(state.iterations() * 2 * batch * 2 * static_cast<int64_t>(bytes));
}

// One kernel of the list on one ISA: one thread, quad, zero boundary.
void bench_kernel(benchmark::State& state, kn::ShiftKernel kernel, kn::Layout layout, Shape shape) {
  const Layout public_layout = layout == kn::Layout::nchw ? Layout::nchw : Layout::nhwc;
  const Tensor& in = random_input(shape, public_layout);
  Tensor out(shape, public_layout);
  const shiftnn::ShiftSpec spec = shiftnn::parse_pattern("quad", shape.c);
  const kn::ShiftGeometry g = kn::make_shift_geometry(shape.n, shape.c, shape.h, shape.w, layout,
                                                      kn::Boundary::zero, spec.dh, spec.dw);
  Tensor scratch(Shape{1, 1, 1, std::max<int64_t>(g.scratch_floats, 1)});  // 64-byte aligned
  const kn::ShiftArgs args{&g, in.data(), out.data()};
  const int64_t items = kn::shift_work_items(g);
  for (auto _ : state) {
    kernel(args, 0, items, scratch.data());
    benchmark::ClobberMemory();
  }
  set_traffic(state, shape);
}

struct Registrar {
  bool set_min_time;  // false when --benchmark_min_time is given: the flag then decides

  // Wall time for several threads (the main thread's CPU time misses the others); CPU
  // time for one thread, which is steadier on a shared machine.
  void tune(benchmark::internal::Benchmark* b, int threads) const {
    b->Unit(benchmark::kMicrosecond);
    if (threads > 1) b->UseRealTime();
    if (set_min_time) b->MinTime(0.1);
  }

  // The benchmark times itself (SetIterationTime).
  void tune_manual(benchmark::internal::Benchmark* b) const {
    b->Unit(benchmark::kMicrosecond)->UseManualTime();
    if (set_min_time) b->MinTime(0.1);
  }

  void api_benchmarks() const {
    for (const Shape& shape : suite_shapes()) {
      for (int t : thread_counts()) {
        const std::string name = "memcpy/" + shape.str() + "/t" + std::to_string(t);
        tune(benchmark::RegisterBenchmark(name.c_str(), bench_memcpy, shape, t), t);
      }
      for (Layout layout : {Layout::nchw, Layout::nhwc}) {
        for (Strategy s : shiftnn::all_strategies()) {
          for (Boundary b : boundaries_for(s)) {
            const auto spec = shiftnn::parse_pattern("quad", shape.c, b);
            if (!shiftnn::why_cannot_serve(s, spec, shape, layout).empty()) continue;
            for (int t : thread_counts()) {
              const std::string name = std::string("shift/") + shiftnn::strategy_name(s) + "/" +
                                       shiftnn::layout_name(layout) + "/" +
                                       shiftnn::boundary_name(b) + "/" + shape.str() + "/t" +
                                       std::to_string(t);
              tune(benchmark::RegisterBenchmark(name.c_str(), bench_strategy, s, layout, b, shape,
                                                t, ""),
                   t);
            }
          }
        }
        // copy with streaming stores beside it, as the planner weighs them; copy paired
        // with memcpy.
        for (Boundary b : {Boundary::zero, Boundary::keep}) {
          for (int t : thread_counts()) {
            const std::string cell = std::string(shiftnn::layout_name(layout)) + "/" +
                                     shiftnn::boundary_name(b) + "/" + shape.str() + "/t" +
                                     std::to_string(t);
            tune(benchmark::RegisterBenchmark(("shift/copy_nt/" + cell).c_str(), bench_strategy,
                                              Strategy::copy, layout, b, shape, t, "nt"),
                 t);
            tune_manual(benchmark::RegisterBenchmark(
                ("paired/copy/" + cell).c_str(), bench_copy_paired, layout, b, shape, t, "quad"));
          }
        }
      }
      // A shift along w only, which copy's nchw kernel runs as one vector loop (runs along
      // h go to memcpy): how close to memcpy a kernel storing through vector registers
      // comes on this host.
      const std::string along_w = "uniform:0,1";
      for (int t : thread_counts()) {
        const std::string name =
            "paired/copy/nchw/zero/" + along_w + "/" + shape.str() + "/t" + std::to_string(t);
        tune_manual(benchmark::RegisterBenchmark(name.c_str(), bench_copy_paired, Layout::nchw,
                                                 Boundary::zero, shape, t, along_w));
      }
    }
  }

  // An axial shift along w (AS-MLP's) in nhwc past L3's share of one core, where the
  // copy reads each source row in order (docs/nhwc-copy.md); not in the report's suite.
  void axial_benchmarks() const {
    const std::string pattern = "axial:3:w";
    for (const Shape& shape : {Shape{8, 96, 56, 56}, Shape{16, 64, 56, 56}}) {
      for (int t : thread_counts()) {
        const std::string name =
            "paired/copy/nhwc/zero/" + pattern + "/" + shape.str() + "/t" + std::to_string(t);
        tune_manual(benchmark::RegisterBenchmark(name.c_str(), bench_copy_paired, Layout::nhwc,
                                                 Boundary::zero, shape, t, pattern));
      }
    }
  }

  // Named by the tensor's bytes (one tensor, not read + write) so plots need no parsing.
  void sweep_benchmarks() const {
    for (const Shape& shape : sweep_shapes()) {
      const std::string bytes = std::to_string(shape.elements() * sizeof(float));
      tune(benchmark::RegisterBenchmark(("sweep/memcpy/" + bytes).c_str(), bench_memcpy, shape, 1),
           1);
      tune(benchmark::RegisterBenchmark(("sweep/copy/" + bytes).c_str(), bench_strategy,
                                        Strategy::copy, Layout::nchw, Boundary::zero, shape, 1, ""),
           1);
      tune(benchmark::RegisterBenchmark(("sweep/copy_nt/" + bytes).c_str(), bench_strategy,
                                        Strategy::copy, Layout::nchw, Boundary::zero, shape, 1,
                                        "nt"),
           1);
    }
  }

  // name: the kernel list's name, ending in _nchw or _nhwc.
  void shift_kernel(const std::string& name, kn::ShiftKernel kn::KernelTable::*field) const {
    const bool nhwc = name.size() > 5 && name.compare(name.size() - 5, 5, "_nhwc") == 0;
    int count = 0;
    const kn::Isa* isas = kn::built_isas(&count);
    for (int i = 0; i < count; ++i) {
      if (!kn::host_supports(isas[i])) continue;
      const kn::ShiftKernel kernel = kn::kernels_for(isas[i]).*field;
      for (const Shape& shape : suite_shapes()) {
        const std::string full = "kernel/" + name + "/" + kn::isa_name(isas[i]) + "/" + shape.str();
        tune(benchmark::RegisterBenchmark(full.c_str(), bench_kernel, kernel,
                                          nhwc ? kn::Layout::nhwc : kn::Layout::nchw, shape),
             1);
      }
    }
  }

  void kernel_benchmarks() const {
    // Grid-sample kernels take a grid, not a shift geometry: the gridsample strategy
    // benchmarks measure them. The layer-op and layout kernels are not shift kernels either
    // (bench_layout times the layout kernels).
#define SHIFTNN_BENCH_ShiftInteger(name) shift_kernel(#name, &kn::KernelTable::name);
#define SHIFTNN_BENCH_ShiftAny(name) shift_kernel(#name, &kn::KernelTable::name);
#define SHIFTNN_BENCH_GridSample(name)
#define SHIFTNN_BENCH_GroupNormStats(name)
#define SHIFTNN_BENCH_GroupNormApply(name)
#define SHIFTNN_BENCH_Slice(name)
#define SHIFTNN_BENCH_Transpose(name)
#define SHIFTNN_BENCH_KERNEL(name, type, what) SHIFTNN_BENCH_##what(name)
    SHIFTNN_KERNEL_LIST(SHIFTNN_BENCH_KERNEL)
#undef SHIFTNN_BENCH_KERNEL
#undef SHIFTNN_BENCH_Transpose
#undef SHIFTNN_BENCH_Slice
#undef SHIFTNN_BENCH_GroupNormApply
#undef SHIFTNN_BENCH_GroupNormStats
#undef SHIFTNN_BENCH_GridSample
#undef SHIFTNN_BENCH_ShiftAny
#undef SHIFTNN_BENCH_ShiftInteger
  }
};

}  // namespace

int main(int argc, char** argv) {
  bool min_time_flag = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--benchmark_min_time", 20) == 0) min_time_flag = true;
  }
  const Registrar registrar{!min_time_flag};
  registrar.api_benchmarks();
  registrar.axial_benchmarks();
  registrar.sweep_benchmarks();
  registrar.kernel_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
