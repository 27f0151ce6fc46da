#pragma once
// The one list of SIMD kernels. Registration (one table per ISA), the tests
// (each kernel x each ISA the host supports) and the benchmarks all expand it:
// a new kernel is one line here plus its template.
#include <cstdint>

#include "kernels/isa.hpp"
#include "kernels/shift_geometry.hpp"

namespace shiftnn::kernels {

// Shift kernel: output work items [begin, end) (see shift_work_items).
// scratch: per-thread buffer of g->scratch_floats floats, 64-byte aligned (roll pads into it).
struct ShiftArgs {
  const ShiftGeometry* g;
  const float* src;
  float* dst;
};
using ShiftKernel = void (*)(const ShiftArgs& args, int64_t begin, int64_t end, float* scratch);

enum class GridModeK { bilinear, nearest };
enum class GridPaddingK { zeros, border, reflection };

// Grid sample kernel over output rows [begin, end) of n*ho rows.
// grid: n,ho,wo,2 (x, y) normalised; or, when pixel_grid, already in source pixel
// coordinates (the shift strategy builds exact pixel grids).
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
};
using GridSampleKernel = void (*)(const GridSampleArgs& args, int64_t begin, int64_t end);

// X(name, type, what)
//   what: ShiftInteger  -- integer specs only; ShiftAny -- integer and fractional;
//         GridSample.
#define SHIFTNN_KERNEL_LIST(X)                     \
  X(shift_copy_nchw, ShiftKernel, ShiftInteger)    \
  X(shift_copy_nhwc, ShiftKernel, ShiftInteger)    \
  X(shift_roll_nchw, ShiftKernel, ShiftInteger)    \
  X(shift_roll_nhwc, ShiftKernel, ShiftInteger)    \
  X(shift_deform_nchw, ShiftKernel, ShiftAny)      \
  X(shift_deform_nhwc, ShiftKernel, ShiftAny)      \
  X(grid_sample_nchw, GridSampleKernel, GridSample) \
  X(grid_sample_nhwc, GridSampleKernel, GridSample)

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
#define SHIFTNN_KERNEL_NAME(name, isa) (std::string(#name) + "/" + ::shiftnn::kernels::isa_name(isa))

}  // namespace shiftnn::kernels
