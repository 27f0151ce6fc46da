#pragma once
// Strategy `roll` (SPEC §2, the seed's method 2): pad into scratch per the boundary
// mode, roll the padded image circularly, crop. Only the cropped window of the roll
// is produced; keep pads with zeros and restores the input's values afterwards.
#include <algorithm>
#include <cstdint>

#include "kernels/keep_fixup.hpp"
#include "kernels/kernel_table.hpp"
#include "kernels/simd/shift_source.hpp"
#include "kernels/simd/vector_ops.hpp"

namespace shiftnn::kernels::simd {

inline int64_t wrap_index(int64_t i, int64_t size) {
  int64_t m = i % size;
  return m < 0 ? m + size : m;
}

// Image index of padded index i (pad cells before index 0) or -1 for a zero cell.
inline int64_t padded_source(int64_t i, int64_t pad, int64_t size, Boundary b) {
  int64_t s = i - pad;
  if (s >= 0 && s < size) return s;
  switch (b) {
    case Boundary::replicate:
      return s < 0 ? 0 : size - 1;
    case Boundary::circular:
      return wrap_index(s, size);
    default:
      return -1;
  }
}

// out[0, count) = the window starting at `start` of a circular sequence of `period`
// items of `len` floats each: the circular copy of torch.roll.
template <class Arch>
void roll_window(const float* padded, float* out, int64_t period, int64_t start, int64_t count,
                 int64_t len, int64_t out_stride) {
  for (int64_t k = 0; k < count; ++k) {
    copy_floats<Arch>(padded + wrap_index(start + k, period) * len, out + k * out_stride, len);
  }
}

template <class Arch>
void shift_roll_nchw(const ShiftArgs& args, int64_t begin, int64_t end, float* scratch) {
  const ShiftGeometry& g = *args.g;
  const int64_t H = g.h, W = g.w, C = g.c, P = g.plane();
  const int64_t Hp = H + 2 * g.pad_h, Wp = W + 2 * g.pad_w;
  for (int64_t p = begin; p < end; ++p) {
    const float* x = args.src + p * P;
    float* y = args.dst + p * P;
    const int64_t c = p % C;
    for (int64_t r = 0; r < Hp; ++r) {  // pad
      float* row = scratch + r * Wp;
      const int64_t sr = padded_source(r, g.pad_h, H, g.boundary);
      if (sr < 0) {
        fill_floats<Arch>(row, Wp, 0.0f);
        continue;
      }
      const float* src_row = x + sr * W;
      copy_floats<Arch>(src_row, row + g.pad_w, W);
      for (int64_t s = 0; s < g.pad_w; ++s) {
        const int64_t left = padded_source(s, g.pad_w, W, g.boundary);
        const int64_t right = padded_source(g.pad_w + W + s, g.pad_w, W, g.boundary);
        row[s] = left < 0 ? 0.0f : src_row[left];
        row[g.pad_w + W + s] = right < 0 ? 0.0f : src_row[right];
      }
    }
    for (int64_t hh = 0; hh < H; ++hh) {  // roll by (dh, dw), crop
      const float* row = scratch + wrap_index(hh + g.pad_h - g.dh[c], Hp) * Wp;
      const int64_t start = wrap_index(g.pad_w - g.dw[c], Wp);
      const int64_t first = std::min(W, Wp - start);
      copy_floats<Arch>(row + start, y + hh * W, first);
      copy_floats<Arch>(row, y + hh * W + first, W - first);
    }
  }
  if (g.boundary == Boundary::keep) keep_fixup(g, args.src, args.dst, begin, end);
}

template <class Arch>
void shift_roll_nhwc(const ShiftArgs& args, int64_t begin, int64_t end, float* scratch) {
  const ShiftGeometry& g = *args.g;
  const int64_t H = g.h, W = g.w, C = g.c, Wp = W + 2 * g.pad_w;
  for (int64_t r = begin; r < end; ++r) {
    const int64_t n = r / H, hh = r % H;
    float* out = args.dst + r * W * C;
    for (const ChannelRun& run : g.runs) {
      const int64_t len = run.c_end - run.c_begin;
      // Padded row hh + pad_h - dh of this run's channels, packed: Wp pixels x len.
      const int64_t sr = padded_source(hh + g.pad_h - run.dh, g.pad_h, H, g.boundary);
      for (int64_t s = 0; s < Wp; ++s) {
        const int64_t sc = padded_source(s, g.pad_w, W, g.boundary);
        if (sr < 0 || sc < 0) {
          fill_floats<Arch>(scratch + s * len, len, 0.0f);
        } else {
          copy_floats<Arch>(args.src + ((n * H + sr) * W + sc) * C + run.c_begin, scratch + s * len,
                            len);
        }
      }
      roll_window<Arch>(scratch, out + run.c_begin, Wp, g.pad_w - run.dw, W, len, C);
    }
  }
  if (g.boundary == Boundary::keep) keep_fixup(g, args.src, args.dst, begin, end);
}

}  // namespace shiftnn::kernels::simd
