#pragma once
// The one list of SIMD kernels. Registration (one table per ISA), the tests
// (each kernel x each ISA the host supports) and the benchmarks all expand it:
// a new kernel is one line here plus its template.
#include <cstdint>

#include "kernels/isa.hpp"
#include "kernels/shift_geometry.hpp"

namespace shiftnn::kernels {

// Software prefetch in the nhwc copy. host: each pixel's sources where
// copy_prefetches_pixels, and source rows ahead of use where copy_prefetches_rows, unless
// the pixels are prefetched on a host where !host_prefetches_rows_with_pixels; rows: both
// wherever they apply (the planner's `prefetch` variant); none: neither (`noprefetch`).
enum class CopyPrefetch { host, rows, none };

// Whether this host's nhwc copy asks for rows ahead where it also prefetches pixels. Not
// on AMD family 1Ah (Zen 5), where the row prefetch tuned on Zen 4 loses there: quad,
// zero, 1 thread, x memcpy, paired in one process, four sittings, rows and pixels (the
// `prefetch` variant) / pixels only: 8x96x56x56 0.76-0.82 / 0.78-1.09, 32x64x32x32
// 0.81-0.98 / 0.91-1.07, 12x64x56x56 0.76-0.94 / 0.85-0.97, 16x192x28x28 0.65-0.89 /
// 0.73-0.93. Decided once.
bool host_prefetches_rows_with_pixels();

// Shift kernel: output work items [begin, end) (see shift_work_items).
// scratch: per-thread buffer of g->scratch_floats floats, 64-byte aligned (roll pads into it).
// threads: how many threads of the calling OpenMP team run at once (they share the memory
// bandwidth, which changes what pays beyond the caches).
// prefetch: what the nhwc copy asks for ahead of use (CopyPrefetch).
struct ShiftArgs {
  const ShiftGeometry* g;
  const float* src;
  float* dst;
  int threads = 1;
  CopyPrefetch prefetch = CopyPrefetch::host;
};

// Tensors above this size (bytes) prefetch rows ahead in the nhwc copy when one thread
// runs. Quad, 1 thread, Zen 4, time without / with the prefetch (same process): above,
// 32x64x32x32 1.07-1.12, 8x96x56x56 0.96-1.08, 10x96x56x56 1.05, 12x96x56x56 1.09,
// 48x64x32x32 1.28, 8x128x56x56 1.13, 32x192x28x28 1.10, 32x96x28x28 1.00, but
// 128x96x14x14 0.95, 16x192x28x28 0.92 (the planner's `noprefetch` variant); below,
// 4x96x56x56 0.87, 6x96x56x56 0.94, 16x96x28x28 0.89, 64x96x14x14 0.92, 8x192x28x28
// 0.87, 24x64x32x32 1.02.
constexpr int64_t kRowPrefetchBytes = int64_t{7} << 20;

// The largest tensor (bytes; source and output fit a 32 MiB L3 together) whose nhwc copy
// also asks for each pixel's sources ahead (copy_prefetches_pixels). x memcpy, Zen 4,
// avx512f, paired in one process, four runs each, without / with: quad 8x96x56x56 0.70-0.82 /
// 0.86-0.91, 12x64x56x56 0.85-0.92 / 1.01-1.02, 32x64x32x32 0.86-0.98 / 0.95-0.99, 32x96x28x28
// 0.77-0.82 / 0.85-0.87, 16x192x28x28 0.76-0.81 / 0.80-0.84; axial:3:h 8x96x56x56
// 0.86-0.93 / 0.98-1.03. Beyond L3 the loads wait on memory and the requests only queue
// (16x96x56x56 0.96-0.98 / 0.87-0.91); on 2 threads the gain and the loss vary with the
// host's load (8x96x56x56 0.81-0.84 / 0.88-0.89 one hour, 0.92-0.93 / 0.88-0.89 the next).
constexpr int64_t kPixelPrefetchMaxBytes = int64_t{16} << 20;

// Whether the nhwc copy may ask for source rows ahead for a tensor of `bytes` split over
// `threads` (as ShiftArgs::prefetch allows): the kernel and the planner, which offers
// `noprefetch` and `prefetch` only where they can differ from the default, both ask here.
constexpr bool copy_prefetches_rows(int64_t bytes, int threads) {
  return threads == 1 && bytes > kRowPrefetchBytes;
}

using ShiftKernel = void (*)(const ShiftArgs& args, int64_t begin, int64_t end, float* scratch);

enum class GridModeK { bilinear, nearest };
enum class GridPaddingK { zeros, border, reflection };

// Grid sample kernel over output rows [begin, end) of n*ho rows.
// grid: n,ho,wo,2 (x, y) normalised to [-1, 1]; or, when pixel_grid, source positions in
// pixels relative to the output pixel (source x = wo + gx, y = ho + gy): the shift strategy
// stores its displacement there, so floor and fraction stay exact at any image size.
// Strides are in floats. nchw: planes are dense (h*w in src, ho*wo in dst), channel k of
// image i starts at i*batch_stride + k*channel_stride. nhwc: rows of pixels are dense, a
// pixel's c channels are contiguous, pixel p of image i starts at i*batch_stride +
// p*pixel_stride. grid_batch_stride 0: every image shares one grid.
struct GridSampleArgs {
  const float* src;
  const float* grid;
  float* dst;
  int64_t n, c, h, w, ho, wo;
  Layout layout;
  GridModeK mode;
  GridPaddingK padding;
  bool align_corners;
  bool pixel_grid;
  int64_t src_batch_stride, src_channel_stride, src_pixel_stride;
  int64_t dst_batch_stride, dst_channel_stride, dst_pixel_stride;
  int64_t grid_batch_stride;
};

// Strides of dense tensors of the args' shapes and layout.
inline void set_dense_strides(GridSampleArgs& a) {
  a.src_batch_stride = a.c * a.h * a.w;
  a.dst_batch_stride = a.c * a.ho * a.wo;
  a.src_channel_stride = a.h * a.w;
  a.dst_channel_stride = a.ho * a.wo;
  a.src_pixel_stride = a.dst_pixel_stride = a.c;
  a.grid_batch_stride = a.ho * a.wo * 2;
}

using GridSampleKernel = void (*)(const GridSampleArgs& args, int64_t begin, int64_t end);

// GroupNorm statistics over pixels [begin, end) of n*hw (dense nhwc, c channels a pixel).
// Per image i and channel k it adds d = x - x0 (x0: the image's pixel 0 in channel k,
// a shift so that the variance of data far from 0 does not cancel) into sum[i*c + k]
// and d*d into sum_sq[i*c + k]; the caller combines channels into groups.
struct GroupNormStatsArgs {
  const float* src;
  int64_t c, hw;
  double* sum;
  double* sum_sq;
};
using GroupNormStatsKernel = void (*)(const GroupNormStatsArgs& args, int64_t begin, int64_t end);

// GroupNorm output over pixels [begin, end) of n*hw: dst = (src - mean) * scale + beta,
// mean and scale (rstd * gamma) per image and channel (n*c each), beta per channel.
// dst may equal src.
struct GroupNormApplyArgs {
  const float* src;
  float* dst;
  int64_t c, hw;
  const float* mean;
  const float* scale;
  const float* beta;
};
using GroupNormApplyKernel = void (*)(const GroupNormApplyArgs& args, int64_t begin, int64_t end);

// Elements of range(start, stop, step); step >= 1.
inline int64_t slice_extent(int64_t start, int64_t stop, int64_t step) {
  return stop > start ? (stop - start + step - 1) / step : 0;
}

// Strided slice of a dense nhwc tensor into a dense nhwc dst, over dst pixels [begin, end)
// of out[0]*out[2]*out[3]. Axes in the order N, C, H, W; out: slice_extent of each axis.
struct SliceArgs {
  const float* src;
  float* dst;
  int64_t dims[4], starts[4], steps[4], out[4];
};
using SliceKernel = void (*)(const SliceArgs& args, int64_t begin, int64_t end);

// Layout change of n dense images between nchw and nhwc: per image, the c x hw matrix of
// planes transposed to the hw x c matrix of pixels, or back; src and dst do not overlap.
// Work items: runs of kTransposePixels pixels of one image (all c channels), the image's
// last run also taking the hw % kTransposePixels left: item q is in image
// q / transpose_runs(hw).
struct TransposeArgs {
  const float* src;
  float* dst;
  int64_t n, c, hw;
};
using TransposeKernel = void (*)(const TransposeArgs& args, int64_t begin, int64_t end);

// At least the floats of a vector on every ISA: the last, overlapping tile of a run then
// stays inside the run, so no two threads write one float.
constexpr int64_t kTransposePixels = 16;

inline int64_t transpose_runs(int64_t hw) {
  return hw >= kTransposePixels ? hw / kTransposePixels : 1;
}

inline int64_t transpose_work_items(const TransposeArgs& a) {
  return a.n * transpose_runs(a.hw);
}

// X(name, type, what)
//   what: ShiftInteger  -- integer specs only; ShiftAny -- integer and fractional;
//         GridSample; GroupNormStats; GroupNormApply; Slice; Transpose.
#define SHIFTNN_KERNEL_LIST(X)                                   \
  X(shift_copy_nchw, ShiftKernel, ShiftInteger)                  \
  X(shift_copy_nhwc, ShiftKernel, ShiftInteger)                  \
  X(shift_blend_nhwc, ShiftKernel, ShiftInteger)                 \
  X(shift_copy_nt_nchw, ShiftKernel, ShiftInteger)               \
  X(shift_copy_nt_nhwc, ShiftKernel, ShiftInteger)               \
  X(shift_roll_nchw, ShiftKernel, ShiftInteger)                  \
  X(shift_roll_nhwc, ShiftKernel, ShiftInteger)                  \
  X(shift_deform_nchw, ShiftKernel, ShiftAny)                    \
  X(shift_deform_nhwc, ShiftKernel, ShiftAny)                    \
  X(grid_sample_nchw, GridSampleKernel, GridSample)              \
  X(grid_sample_nhwc, GridSampleKernel, GridSample)              \
  X(group_norm_stats_nhwc, GroupNormStatsKernel, GroupNormStats) \
  X(group_norm_apply_nhwc, GroupNormApplyKernel, GroupNormApply) \
  X(slice_nhwc, SliceKernel, Slice)                              \
  X(transpose_nchw_to_nhwc, TransposeKernel, Transpose)          \
  X(transpose_nhwc_to_nchw, TransposeKernel, Transpose)

struct KernelTable {
  Isa isa;
#define SHIFTNN_TABLE_FIELD(name, type, what) type name;
  SHIFTNN_KERNEL_LIST(SHIFTNN_TABLE_FIELD)
#undef SHIFTNN_TABLE_FIELD
};

// Table for the ISA chosen once per process (active_isa()).
const KernelTable& active_kernels();
// Table for one ISA; the host must support it.
const KernelTable& kernels_for(Isa isa);

// "shift_copy_nchw/avx512f"
#define SHIFTNN_KERNEL_NAME(name, isa) \
  (std::string(#name) + "/" + ::shiftnn::kernels::isa_name(isa))

}  // namespace shiftnn::kernels
