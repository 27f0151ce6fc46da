#pragma once
// Strategy `copy` (SPEC §2, the seed's slice indexing): direct shifted copies.
#include <algorithm>
#include <cstdint>

#include "kernels/kernel_table.hpp"
#include "kernels/simd/shift_source.hpp"
#include "kernels/simd/vector_ops.hpp"

namespace shiftnn::kernels::simd {

// out[i] = mask[i mod plane] ? src[i - off] : (keep ? src[i] : 0) for i in [b, e).
// A run of planes with one displacement is one flat offset copy: positions whose
// flat source crosses a row or plane edge are exactly the masked-out ones, so
// 7x7 planes still move in long vectors. total: elements of src, for the bounds.
template <class Arch, bool Keep>
void masked_flat_copy(const float* src, float* dst, int64_t b, int64_t e, int64_t off,
                      int64_t total, const float* mask, int64_t plane) {
  using B = Batch<Arch>;
  constexpr int64_t V = lanes<Arch>();
  auto scalar = [&](int64_t i) {
    float fallback = Keep ? src[i] : 0.0f;
    dst[i] = mask[i % plane] != 0.0f ? src[i - off] : fallback;
  };
  // Vectors need src[i - off, i - off + V) inside [0, total).
  const int64_t vb = std::clamp(off, b, e), ve = std::min(e, total + off);
  int64_t i = b;
  for (; i < vb; ++i) scalar(i);
  if (i + V <= ve) {
    int64_t q = i % plane;
    const B zero(0.0f);
    B x = B::load_unaligned(src + i - off);
    for (;;) {
      const int64_t next = i + V;
      const bool more = next + V <= ve;
      B x_next = more ? B::load_unaligned(src + next - off) : x;  // load ahead: 4K aliasing
      const auto m = B::load_unaligned(mask + q) != zero;
      const B fallback = Keep ? B::load_unaligned(src + i) : zero;
      xsimd::select(m, x, fallback).store_unaligned(dst + i);
      q += V;
      while (q >= plane) q -= plane;
      i = next;
      if (!more) break;
      x = x_next;
    }
  }
  for (; i < e; ++i) scalar(i);
}

// One output row of a replicate or circular plane shift.
template <class Arch>
void shift_row_clamped_or_wrapped(const float* row, float* out, int64_t W, int32_t dw,
                                  Boundary b) {
  if (b == Boundary::circular) {  // dw in [0, W)
    copy_floats<Arch>(row, out + dw, W - dw);
    copy_floats<Arch>(row + W - dw, out, dw);
    return;
  }
  if (dw >= 0) {  // replicate; |dw| <= W
    fill_floats<Arch>(out, dw, row[0]);
    copy_floats<Arch>(row, out + dw, W - dw);
  } else {
    copy_floats<Arch>(row - dw, out, W + dw);
    fill_floats<Arch>(out + W + dw, -dw, row[W - 1]);
  }
}

template <class Arch>
void shift_copy_nchw(const ShiftArgs& args, int64_t begin, int64_t end, float*) {
  const ShiftGeometry& g = *args.g;
  const int64_t H = g.h, W = g.w, P = g.plane(), C = g.c, total = g.elements();
  for (int64_t p = begin; p < end;) {
    const int64_t n = p / C;
    const ChannelRun& run = run_of(g, p % C);
    const int64_t p_end = std::min(end, n * C + run.c_end);
    const float* src = args.src;
    float* dst = args.dst;
    if (run.dh == 0 && run.dw == 0) {
      copy_floats<Arch>(src + p * P, dst + p * P, (p_end - p) * P);
    } else if (g.boundary == Boundary::zero || g.boundary == Boundary::keep) {
      const int64_t off = static_cast<int64_t>(run.dh) * W + run.dw;
      const float* mask = g.masks[run.mask].data();
      if (g.boundary == Boundary::zero) {
        masked_flat_copy<Arch, false>(src, dst, p * P, p_end * P, off, total, mask, P);
      } else {
        masked_flat_copy<Arch, true>(src, dst, p * P, p_end * P, off, total, mask, P);
      }
    } else {
      for (int64_t q = p; q < p_end; ++q) {
        for (int64_t hh = 0; hh < H; ++hh) {
          int64_t hs = hh - run.dh;
          hs = g.boundary == Boundary::circular ? (hs < 0 ? hs + H : hs)
                                                 : std::clamp<int64_t>(hs, 0, H - 1);
          shift_row_clamped_or_wrapped<Arch>(src + q * P + hs * W, dst + q * P + hh * W, W,
                                             run.dw, g.boundary);
        }
      }
    }
    p = p_end;
  }
}

template <class Arch>
void shift_copy_nhwc(const ShiftArgs& args, int64_t begin, int64_t end, float*) {
  const ShiftGeometry& g = *args.g;
  const int64_t H = g.h, W = g.w, C = g.c;
  for (int64_t r = begin; r < end; ++r) {
    const int64_t n = r / H, hh = r % H;
    const float* image = args.src + n * H * W * C;
    float* out = args.dst + r * W * C;
    for (const ChannelRun& run : g.runs) {
      const int64_t len = run.c_end - run.c_begin;
      for (int64_t ww = 0; ww < W; ++ww) {
        int64_t sh, sw;
        float* o = out + ww * C + run.c_begin;
        if (source_pixel(hh, ww, run.dh, run.dw, H, W, g.boundary, &sh, &sw)) {
          copy_floats<Arch>(image + (sh * W + sw) * C + run.c_begin, o, len);
        } else {
          fill_floats<Arch>(o, len, 0.0f);
        }
      }
    }
  }
}

}  // namespace shiftnn::kernels::simd
