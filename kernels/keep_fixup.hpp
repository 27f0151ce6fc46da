#pragma once
// The keep boundary restores the input's own value wherever the source is outside.
// Strategies that compute with zero padding (roll, deform, dwconv, gridsample) finish
// with this pass; it touches only border positions.
#include <cstdint>

#include "kernels/shift_geometry.hpp"

namespace shiftnn::kernels {

// Work items [begin, end) as in shift_work_items(g); g must be integer.
void keep_fixup(const ShiftGeometry& g, const float* src, float* dst, int64_t begin, int64_t end);

}  // namespace shiftnn::kernels
