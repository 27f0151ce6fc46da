// copy, roll and deform: SIMD kernels from the per-ISA table, split over threads.
#include <omp.h>

#include <cassert>
#include <cstdlib>
#include <vector>

#include "../parallel.hpp"
#include "executor.hpp"
#include "kernels/kernel_table.hpp"

namespace shiftnn::detail {
namespace {

class TableKernelExecutor final : public ShiftExecutor {
 public:
  // prefetch: ShiftArgs::prefetch (copy's `noprefetch` and `prefetch` variants).
  TableKernelExecutor(const kernels::ShiftGeometry& g, int threads, kernels::ShiftKernel kernel,
                      std::string name, bool needs_scratch,
                      kernels::CopyPrefetch prefetch = kernels::CopyPrefetch::host)
      : g_(g),
        threads_(threads),
        kernel_(kernel),
        name_(std::move(name)),
        needs_scratch_(needs_scratch),
        prefetch_(prefetch) {}

  void run(const float* src, float* dst) const override {
    const int64_t items = kernels::shift_work_items(g_);
    parallel_for(items, threads_, [&](int64_t begin, int64_t end, int) {
      const kernels::ShiftArgs args{&g_, src, dst, omp_get_num_threads(), prefetch_};
      if (!needs_scratch_) {
        kernel_(args, begin, end, nullptr);
        return;
      }
      const size_t bytes = ((g_.scratch_floats * sizeof(float) + 63) / 64) * 64;
      float* scratch = static_cast<float*>(std::aligned_alloc(64, bytes));
      kernel_(args, begin, end, scratch);
      std::free(scratch);
    });
  }

  std::string kernel_name() const override { return name_; }

 private:
  const kernels::ShiftGeometry& g_;
  int threads_;
  kernels::ShiftKernel kernel_;
  std::string name_;
  bool needs_scratch_;
  kernels::CopyPrefetch prefetch_;
};

bool nchw(const kernels::ShiftGeometry& g) {
  return g.layout == kernels::Layout::nchw;
}

// nhwc channel runs shorter than the widest vector on average (grouped, cycle): blending
// each vector from one load per displacement beats copying run by run. Kernels alone,
// Zen 4, avx512f, 1 thread, us blend/copy: grouped:3 1x64x32x32 20/117, 360x128x8x8
// 2358/8498; cycle:3:h 1x96x56x56 50/533; quad 1x16x56x56 (runs of 4) 8.8/35.5,
// 1x32x56x56 (8) 12.0/25.7; quad's long runs on 8x8 images favour the copy
// (360x128x8x8: 1579/1218).
bool short_nhwc_runs(const kernels::ShiftGeometry& g) {
  return !nchw(g) && static_cast<int64_t>(g.runs.size()) * kernels::kMaxVectorFloats > g.c;
}

}  // namespace

#define SHIFTNN_PICK(g, op, scratch)                                                       \
  std::make_unique<TableKernelExecutor>(                                                   \
      g, threads,                                                                          \
      nchw(g) ? kernels::active_kernels().op##_nchw : kernels::active_kernels().op##_nhwc, \
      nchw(g) ? SHIFTNN_KERNEL_NAME(op##_nchw, kernels::active_isa())                      \
              : SHIFTNN_KERNEL_NAME(op##_nhwc, kernels::active_isa()),                     \
      scratch)

std::unique_ptr<ShiftExecutor> make_copy_executor(const kernels::ShiftGeometry& g, int threads,
                                                  const std::string& variant) {
  if (variant == "nt") return SHIFTNN_PICK(g, shift_copy_nt, false);
  if (short_nhwc_runs(g)) {
    return std::make_unique<TableKernelExecutor>(
        g, threads, kernels::active_kernels().shift_blend_nhwc,
        SHIFTNN_KERNEL_NAME(shift_blend_nhwc, kernels::active_isa()), false);
  }
  if (variant == "noprefetch" || variant == "prefetch") {
    assert(!nchw(g) && "prefetch variants are nhwc ones (why_no_variant)");
    return std::make_unique<TableKernelExecutor>(
        g, threads, kernels::active_kernels().shift_copy_nhwc,
        SHIFTNN_KERNEL_NAME(shift_copy_nhwc, kernels::active_isa()), false,
        variant == "prefetch" ? kernels::CopyPrefetch::rows : kernels::CopyPrefetch::none);
  }
  return SHIFTNN_PICK(g, shift_copy, false);
}

std::unique_ptr<ShiftExecutor> make_roll_executor(const kernels::ShiftGeometry& g, int threads) {
  return SHIFTNN_PICK(g, shift_roll, true);
}

std::unique_ptr<ShiftExecutor> make_deform_executor(const kernels::ShiftGeometry& g, int threads) {
  return SHIFTNN_PICK(g, shift_deform, false);
}

#undef SHIFTNN_PICK

}  // namespace shiftnn::detail
