#pragma once
// PLACEHOLDER: being written (grid sample).
#include <cassert>
#include "kernels/kernel_table.hpp"
namespace shiftnn::kernels::simd {
template <class Arch>
void grid_sample_nchw(const GridSampleArgs&, int64_t, int64_t) { assert(false); }
template <class Arch>
void grid_sample_nhwc(const GridSampleArgs&, int64_t, int64_t) { assert(false); }
}  // namespace shiftnn::kernels::simd
