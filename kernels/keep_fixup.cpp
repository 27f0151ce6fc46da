#include "kernels/keep_fixup.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace shiftnn::kernels {
namespace {

// Columns [lo, hi) of a row whose source column is outside the image.
void border_columns(int32_t dw, int64_t w, int64_t* lo, int64_t* hi) {
  if (dw >= 0) {
    *lo = 0, *hi = std::min<int64_t>(dw, w);
  } else {
    *lo = std::max<int64_t>(0, w + dw), *hi = w;
  }
}

}  // namespace

void keep_fixup(const ShiftGeometry& g, const float* src, float* dst, int64_t begin, int64_t end) {
  assert(g.integer);
  const int64_t H = g.h, W = g.w, C = g.c;
  if (g.layout == Layout::nchw) {
    for (int64_t p = begin; p < end; ++p) {
      const int64_t c = p % C;
      const float* x = src + p * H * W;
      float* y = dst + p * H * W;
      int64_t lo, hi;
      border_columns(g.dw[c], W, &lo, &hi);
      for (int64_t hh = 0; hh < H; ++hh) {
        int64_t hs = hh - g.dh[c];
        if (hs < 0 || hs >= H) {
          std::memcpy(y + hh * W, x + hh * W, W * sizeof(float));
        } else {
          for (int64_t ww = lo; ww < hi; ++ww) y[hh * W + ww] = x[hh * W + ww];
        }
      }
    }
    return;
  }
  for (int64_t r = begin; r < end; ++r) {
    const int64_t hh = r % H;
    const float* x = src + r * W * C;
    float* y = dst + r * W * C;
    for (const ChannelRun& run : g.runs) {
      const int64_t len = run.c_end - run.c_begin;
      int64_t hs = hh - run.dh, lo, hi;
      if (hs < 0 || hs >= H) {
        lo = 0, hi = W;
      } else {
        border_columns(run.dw, W, &lo, &hi);
      }
      for (int64_t ww = lo; ww < hi; ++ww) {
        std::memcpy(y + ww * C + run.c_begin, x + ww * C + run.c_begin, len * sizeof(float));
      }
    }
  }
}

}  // namespace shiftnn::kernels
