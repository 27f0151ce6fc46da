#pragma once
// PLACEHOLDER: being written (strategy deform).
#include <cassert>
#include "kernels/kernel_table.hpp"
namespace shiftnn::kernels::simd {
template <class Arch>
void shift_deform_nchw(const ShiftArgs&, int64_t, int64_t, float*) { assert(false); }
template <class Arch>
void shift_deform_nhwc(const ShiftArgs&, int64_t, int64_t, float*) { assert(false); }
}  // namespace shiftnn::kernels::simd
