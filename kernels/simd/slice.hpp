#pragma once
// Strided slice of a dense nhwc tensor, one run of output pixels of a row at a time.
// Sizes are in floats.
#include <cstdint>

#include "kernels/kernel_table.hpp"
#include "kernels/simd/vector_ops.hpp"

namespace shiftnn::kernels::simd {

template <class Arch>
void slice_nhwc(const SliceArgs& a, int64_t begin, int64_t end) {
  const int64_t c = a.dims[1], h = a.dims[2], w = a.dims[3];
  const int64_t oc = a.out[1], oh = a.out[2], ow = a.out[3];
  const int64_t step_c = a.steps[1];
  const int64_t pixel_stride = a.steps[3] * c;  // floats between source pixels of a run
  float* y = a.dst + begin * oc;
  for (int64_t q = begin; q < end;) {
    const int64_t row = q / ow, col = q % ow;  // row: of the out[0]*oh output rows
    const int64_t run = end - q < ow - col ? end - q : ow - col;
    const int64_t si = a.starts[0] + row / oh * a.steps[0];
    const int64_t sr = a.starts[2] + row % oh * a.steps[2];
    const int64_t sq = a.starts[3] + col * a.steps[3];
    const float* x = a.src + ((si * h + sr) * w + sq) * c + a.starts[1];
    if (step_c == 1 && oc == c && a.steps[3] == 1) {
      copy_floats<Arch>(x, y, run * c);  // whole pixels of one row: contiguous
    } else if (step_c == 1) {
      for (int64_t t = 0; t < run; ++t) copy_floats<Arch>(x + t * pixel_stride, y + t * oc, oc);
    } else {
      for (int64_t t = 0; t < run; ++t) {
        for (int64_t k = 0; k < oc; ++k) y[t * oc + k] = x[t * pixel_stride + k * step_c];
      }
    }
    y += run * oc;
    q += run;
  }
}

}  // namespace shiftnn::kernels::simd
