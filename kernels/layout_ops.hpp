#pragma once
// nchw <-> nhwc layout change of dense float tensors through the SIMD transpose kernels
// of the active ISA (kernel_table.hpp), bit-exact. Sizes are in elements.
#include <cstdint>

namespace shiftnn::kernels {

// n images of c planes of hw pixels -> n images of hw pixels of c channels; src and dst
// do not overlap. threads <= 0: OpenMP's default team.
void nchw_to_nhwc(const float* src, float* dst, int64_t n, int64_t c, int64_t hw, int threads);

// The inverse: n images of hw pixels of c channels -> n images of c planes of hw pixels.
void nhwc_to_nchw(const float* src, float* dst, int64_t n, int64_t c, int64_t hw, int threads);

}  // namespace shiftnn::kernels
