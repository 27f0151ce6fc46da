#pragma once
// nhwc shifted copies one channel run at a time: the general path of the nhwc copy,
// and where a run's channels come from in a row (shared with shift_blend).
#include <cstdint>

#include "kernels/kernel_table.hpp"
#include "kernels/simd/shift_source.hpp"
#include "kernels/simd/vector_ops.hpp"

namespace shiftnn::kernels::simd {

// Output pixels [w0, w1) of one nhwc row, one copy per channel run and pixel.
// Streaming (here and below): the aligned vectors of the output use non-temporal stores.
template <class Arch, bool Streaming = false>
void shift_pixels_by_runs(const ShiftGeometry& g, const float* image, float* out, int64_t hh,
                          int64_t w0, int64_t w1) {
  const int64_t H = g.h, W = g.w, C = g.c;
  for (int64_t ww = w0; ww < w1; ++ww) {
    for (const ChannelRun& run : g.runs) {
      int64_t sh, sw;
      float* o = out + ww * C + run.c_begin;
      const int64_t len = run.c_end - run.c_begin;
      if (source_pixel(hh, ww, run.dh, run.dw, H, W, g.boundary, &sh, &sw)) {
        copy_floats<Arch, Streaming>(image + (sh * W + sw) * C + run.c_begin, o, len);
      } else {
        fill_floats<Arch, Streaming>(o, len, 0.0f);
      }
    }
  }
}

// Where channels displaced by (dh, dw) come from in the interior pixels of output
// row hh, where every column source is inside: pixel w, channel c reads
// base[w * C + c]. nullptr: zeros (zero boundary, source row outside).
inline const float* row_source(const ShiftGeometry& g, const float* image, int64_t hh, int64_t dh,
                               int64_t dw) {
  const int64_t H = g.h, W = g.w, C = g.c;
  int64_t hs = hh - dh;
  if (hs < 0 || hs >= H) {
    switch (g.boundary) {
      case Boundary::zero:
        return nullptr;
      case Boundary::keep:  // the input's own value: no shift at all
        hs = hh, dw = 0;
        break;
      case Boundary::replicate:
        hs = hs < 0 ? 0 : H - 1;
        break;
      case Boundary::circular:
        hs = hs < 0 ? hs + H : hs - H;
        break;
    }
  }
  return image + (hs * W - dw) * C;
}

// count runs of n >= lanes floats, run j from src + j * stride to dst + j * stride
// (floats). Kept to plain vector loops: a copy_floats call per run of a pixel costs
// ~7% at 1x192x28x28. Four vectors are loaded before they are stored (1x768x7x7 quad,
// 1 thread, Zen 5: 0.56-0.61 -> 0.60-0.65x memcpy). Streaming applies where every run
// is whole aligned vectors.
template <class Arch, bool Streaming = false>
void copy_runs(const float* src, float* dst, int64_t n, int64_t count, int64_t stride) {
  using B = Batch<Arch>;
  constexpr int64_t V = lanes<Arch>();
  if (Streaming && n % V == 0 && stride % V == 0 && floats_past_alignment<Arch>(dst) == 0) {
    for (int64_t j = 0; j < count; ++j, src += stride, dst += stride) {
      for (int64_t i = 0; i < n; i += V) store_streaming<Arch>(B::load_unaligned(src + i), dst + i);
    }
    return;
  }
  const int64_t tail = n - V;  // the last vector overlaps its neighbour
  for (int64_t j = 0; j < count; ++j, src += stride, dst += stride) {
    int64_t i = 0;
    for (; i + 4 * V <= tail; i += 4 * V) {
      const B a = B::load_unaligned(src + i), b = B::load_unaligned(src + i + V),
              c = B::load_unaligned(src + i + 2 * V), d = B::load_unaligned(src + i + 3 * V);
      a.store_unaligned(dst + i), b.store_unaligned(dst + i + V);
      c.store_unaligned(dst + i + 2 * V), d.store_unaligned(dst + i + 3 * V);
    }
    for (; i < tail; i += V) B::load_unaligned(src + i).store_unaligned(dst + i);
    B::load_unaligned(src + tail).store_unaligned(dst + tail);
  }
}

// Interior pixels [w0, w1) of one nhwc row, run by run.
template <class Arch, bool Streaming = false>
void shift_block_by_runs(const ShiftGeometry& g, const float* image, float* out, int64_t hh,
                         int64_t w0, int64_t w1) {
  const int64_t C = g.c;
  for (const ChannelRun& run : g.runs) {
    const int64_t len = run.c_end - run.c_begin;
    const float* base = row_source(g, image, hh, run.dh, run.dw);
    float* o = out + w0 * C + run.c_begin;
    if (!base) {
      for (int64_t ww = w0; ww < w1; ++ww, o += C) fill_floats<Arch, Streaming>(o, len, 0.0f);
      continue;
    }
    const float* s = base + w0 * C + run.c_begin;
    if (len < lanes<Arch>()) {
      for (int64_t ww = w0; ww < w1; ++ww, s += C, o += C) copy_floats<Arch, Streaming>(s, o, len);
    } else {
      copy_runs<Arch, Streaming>(s, o, len, w1 - w0, C);
    }
  }
}

}  // namespace shiftnn::kernels::simd
