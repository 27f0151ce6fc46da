// nchw <-> nhwc through the active ISA's transpose kernels, work items (pixel runs of
// one image) split over an OpenMP team in contiguous chunks.
#include "kernels/layout_ops.hpp"

#include <omp.h>

#include <algorithm>
#include <cassert>

#include "kernels/kernel_table.hpp"
#include "kernels/team_size.hpp"

namespace shiftnn::kernels {
namespace {

void run_transpose(TransposeKernel kernel, const float* src, float* dst, int64_t n, int64_t c,
                   int64_t hw, int threads) {
  assert(n >= 0 && c >= 0 && hw >= 0);
  const int64_t floats = n * c * hw;
  if (floats == 0) return;
  assert(src + floats <= dst || dst + floats <= src);
  const TransposeArgs a{src, dst, n, c, hw};
  const int64_t items = transpose_work_items(a);
  const int team = team_size(threads, floats, items);
  if (team == 1) {
    kernel(a, 0, items);
    return;
  }
#pragma omp parallel num_threads(team)
  {
    const int64_t t = omp_get_thread_num(), count = omp_get_num_threads();
    kernel(a, items * t / count, items * (t + 1) / count);
  }
}

}  // namespace

void nchw_to_nhwc(const float* src, float* dst, int64_t n, int64_t c, int64_t hw, int threads) {
  run_transpose(active_kernels().transpose_nchw_to_nhwc, src, dst, n, c, hw, threads);
}

void nhwc_to_nchw(const float* src, float* dst, int64_t n, int64_t c, int64_t hw, int threads) {
  run_transpose(active_kernels().transpose_nhwc_to_nchw, src, dst, n, c, hw, threads);
}

}  // namespace shiftnn::kernels
