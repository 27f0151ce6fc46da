#pragma once
// Scalar reference kernels: plain loops written straight from SPEC §1 and §3.
// The oracle of every test; never vectorised, never optimised.
#include <cstdint>

#include "kernels/kernel_table.hpp"

namespace shiftnn::kernels::reference {

// y = shift(x); dh, dw: c entries. A channel with integer (dh, dw) uses the exact
// integer rule, otherwise bilinear interpolation (boundary must not be keep).
void shift(const float* x, float* y, int64_t n, int64_t c, int64_t h, int64_t w, Layout layout,
           Boundary boundary, const float* dh, const float* dw);

// The whole of args (all n*ho rows).
void grid_sample(const GridSampleArgs& args);

}  // namespace shiftnn::kernels::reference
