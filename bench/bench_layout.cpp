// The nchw <-> nhwc layout change: the transpose kernels of the kernel list on every ISA
// the host runs, their entry points (layout_ops.hpp), oneDNN's reorder the graph runtime
// used before, and a memcpy of the same bytes as the physical limit.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernel_table.hpp"
#include "kernels/layout_ops.hpp"
#include "kernels/onednn/layers_onednn.hpp"
#include "shiftnn/shiftnn.hpp"

namespace {

namespace kn = shiftnn::kernels;
using shiftnn::Shape;
using shiftnn::Tensor;

// The graph runtime's model inputs (1x3x224x224), a stage of a shift network at batch 1
// and 8, and the last stage's small planes.
const std::vector<Shape> kShapes = {
    {1, 96, 56, 56}, {1, 768, 7, 7}, {1, 3, 224, 224}, {8, 96, 56, 56}};

Tensor random_tensor(Shape shape) {
  Tensor t(shape);
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (int64_t i = 0; i < t.elements(); ++i) t.data()[i] = dist(rng);
  return t;
}

// Every benchmark reads and writes each element once: bytes_per_second counts both, as
// in bench_shift.
void set_traffic(benchmark::State& state, Shape shape) {
  state.SetBytesProcessed(state.iterations() * 2 * shape.elements() *
                          static_cast<int64_t>(sizeof(float)));
}

// Two threads: two contiguous halves in one OpenMP region, as layout_ops splits its items.
void bench_memcpy(benchmark::State& state, Shape shape, int threads) {
  const Tensor in = random_tensor(shape);
  Tensor out(shape);
  const size_t bytes = static_cast<size_t>(shape.elements()) * sizeof(float);
  for (auto _ : state) {
    shiftnn::parallel_memcpy(out.data(), in.data(), bytes, threads);
    benchmark::ClobberMemory();
  }
  set_traffic(state, shape);
}

// One kernel of the list on one ISA over all work items, one thread.
void bench_kernel(benchmark::State& state, kn::TransposeKernel kernel, Shape shape) {
  const Tensor in = random_tensor(shape);
  Tensor out(shape);
  const kn::TransposeArgs a{in.data(), out.data(), shape.n, shape.c, shape.h * shape.w};
  const int64_t items = kn::transpose_work_items(a);
  for (auto _ : state) {
    kernel(a, 0, items);
    benchmark::ClobberMemory();
  }
  set_traffic(state, shape);
}

void bench_entry(benchmark::State& state, bool to_nhwc, Shape shape, int threads) {
  const Tensor in = random_tensor(shape);
  Tensor out(shape);
  const auto run = to_nhwc ? kn::nchw_to_nhwc : kn::nhwc_to_nchw;
  for (auto _ : state) {
    run(in.data(), out.data(), shape.n, shape.c, shape.h * shape.w, threads);
    benchmark::ClobberMemory();
  }
  set_traffic(state, shape);
}

void bench_reorder(benchmark::State& state, bool to_nhwc, Shape shape, int threads) {
  const Tensor in = random_tensor(shape);
  Tensor out(shape);
  try {
    const kn::ReorderOnednn op({shape.n, shape.c, shape.h, shape.w}, to_nhwc, threads);
    std::vector<unsigned char> scratch(op.scratch_bytes() + 64);
    void* aligned = scratch.data() + (64 - reinterpret_cast<uintptr_t>(scratch.data()) % 64) % 64;
    state.SetLabel(op.name());
    for (auto _ : state) {
      op.run(in.data(), out.data(), op.scratch_bytes() ? aligned : nullptr);
      benchmark::ClobberMemory();
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  set_traffic(state, shape);
}

// Wall time for two threads (the main thread's CPU time misses the other); CPU time for
// one, steadier on a shared machine.
void tune(benchmark::internal::Benchmark* b, int threads) {
  b->Unit(benchmark::kMicrosecond);
  if (threads > 1) b->UseRealTime();
}

void add_kernel(const char* name, kn::TransposeKernel kn::KernelTable::*field) {
  int count = 0;
  const kn::Isa* isas = kn::built_isas(&count);
  for (int i = 0; i < count; ++i) {
    if (!kn::host_supports(isas[i])) continue;
    for (const Shape& shape : kShapes) {
      const std::string full =
          std::string("kernel/") + name + "/" + kn::isa_name(isas[i]) + "/" + shape.str();
      tune(benchmark::RegisterBenchmark(full.c_str(), bench_kernel, kn::kernels_for(isas[i]).*field,
                                        shape),
           1);
    }
  }
}

// Other kernels of the list: bench_shift.
template <class Kernel>
void add_kernel(const char*, Kernel kn::KernelTable::*) {}

void register_all() {
  for (const Shape& shape : kShapes) {
    for (int t : {1, 2}) {
      const std::string suffix = "/" + shape.str() + "/t" + std::to_string(t);
      tune(benchmark::RegisterBenchmark(("memcpy" + suffix).c_str(), bench_memcpy, shape, t), t);
      for (bool to_nhwc : {true, false}) {
        const std::string dir = to_nhwc ? "nchw_to_nhwc" : "nhwc_to_nchw";
        tune(benchmark::RegisterBenchmark(("layout/" + dir + suffix).c_str(), bench_entry, to_nhwc,
                                          shape, t),
             t);
        tune(benchmark::RegisterBenchmark(("reorder_onednn/" + dir + suffix).c_str(), bench_reorder,
                                          to_nhwc, shape, t),
             t);
      }
    }
  }
#define SHIFTNN_BENCH_KERNEL(name, type, what) add_kernel(#name, &kn::KernelTable::name);
  SHIFTNN_KERNEL_LIST(SHIFTNN_BENCH_KERNEL)
#undef SHIFTNN_BENCH_KERNEL
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
