#pragma once
// Strategy `deform` (SPEC §2, the seed's method 3): a 1x1 deformable convolution with
// fixed offsets. Its weight is the identity, so only the sampling is left: per channel,
// bilinear interpolation at (h - dh, w - dw). The weights are constant per channel;
// a channel whose displacement is integer takes its single tap, so integer shifts are
// exact copies (bilinear weights 1, 0 would turn -0.0 into +0.0).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/kernel_table.hpp"
#include "kernels/simd/vector_ops.hpp"

namespace shiftnn::kernels::simd {

// Taps of one channel: rows h + oh + {0, 1}, columns w + ow + {0, 1}.
struct DeformTaps {
  int64_t oh = 0, ow = 0;    // first tap relative to the output pixel, reduced (see reduce_offset)
  float a = 0.0f, b = 0.0f;  // weight of the second row / column; 0: that tap is unused

  bool operator==(const DeformTaps& o) const {
    return oh == o.oh && ow == o.ow && a == o.a && b == o.b;
  }
};

// Offset o (integer valued) of the first tap, brought into a range where indices cannot
// overflow yet every tap keeps its boundary value: beyond [-size-1, size] all taps of
// all outputs are outside on the same side (zero, replicate); circular wraps to [0, size).
inline int64_t reduce_offset(double o, int64_t size, Boundary b) {
  if (b == Boundary::circular) {
    double m = std::fmod(o, static_cast<double>(size));
    return static_cast<int64_t>(m < 0 ? m + size : m);
  }
  return static_cast<int64_t>(
      std::clamp(o, -static_cast<double>(size) - 1, static_cast<double>(size)));
}

// The fractional weights are computed as the reference does: frac(h - dh) in double,
// then rounded to float.
inline DeformTaps channel_taps(const ShiftGeometry& g, int64_t c) {
  if (g.integer) return {-g.dh[c], -g.dw[c], 0.0f, 0.0f};
  const double sh = -static_cast<double>(g.fdh[c]), sw = -static_cast<double>(g.fdw[c]);
  const double fh = std::floor(sh), fw = std::floor(sw);
  return {reduce_offset(fh, g.h, g.boundary), reduce_offset(fw, g.w, g.boundary),
          static_cast<float>(sh - fh), static_cast<float>(sw - fw)};
}

// Index i of a tap mapped into [0, size) per boundary; -1: the tap is zero. Reduced
// offsets keep i within [-size-1, 2*size).
inline int64_t map_tap(int64_t i, int64_t size, Boundary b) {
  if (i >= 0 && i < size) return i;
  switch (b) {
    case Boundary::replicate:
      return i < 0 ? 0 : size - 1;
    case Boundary::circular:
      return i < 0 ? i + size : i - size;
    default:
      return -1;
  }
}

// out[i] for i in [0, n) from rows s0 (and s1 when TwoRows, weights w0, w1) read straight,
// no boundary: sum over rows of weight * ((1 - b) * s[i] + b * s[i + 1]), the second
// column only when TwoCols. A single tap is a plain copy (exact).
template <class Arch, bool TwoRows, bool TwoCols>
void deform_span(const float* s0, const float* s1, float w0, float w1, float b, float* out,
                 int64_t n) {
  using B = Batch<Arch>;
  constexpr int64_t V = lanes<Arch>();
  if (!TwoRows && !TwoCols) {
    copy_floats<Arch>(s0, out, n);
    return;
  }
  const float c0 = 1.0f - b;
  if (n < V) {
    for (int64_t i = 0; i < n; ++i) {
      float v = TwoCols ? c0 * s0[i] + b * s0[i + 1] : s0[i];
      if (TwoRows) v = w0 * v + w1 * (TwoCols ? c0 * s1[i] + b * s1[i + 1] : s1[i]);
      out[i] = v;
    }
    return;
  }
  const B vb(b), vc0(c0), vw0(w0), vw1(w1);
  auto horizontal = [&](const float* r) {
    const B x0 = B::load_unaligned(r);
    return TwoCols ? xsimd::fma(vb, B::load_unaligned(r + 1), vc0 * x0) : x0;
  };
  auto vector = [&](int64_t i) {
    B v = horizontal(s0 + i);
    if (TwoRows) v = xsimd::fma(vw1, horizontal(s1 + i), vw0 * v);
    v.store_unaligned(out + i);
  };
  int64_t i = 0;
  for (; i + V <= n; i += V) vector(i);
  if (i < n) vector(n - V);  // overlaps the previous vector: same values
}

// Output column x of a row from rows r0, r1 (as in deform_span), each column tap mapped
// through the boundary: the border columns.
template <bool TwoRows, bool TwoCols>
float border_value(const float* r0, const float* r1, float w0, float w1, float b, int64_t x,
                   int64_t W, int64_t ow, Boundary bnd) {
  auto col = [&](const float* r, int64_t j) {
    const int64_t m = map_tap(j, W, bnd);
    return m < 0 ? 0.0f : r[m];
  };
  const int64_t j = x + ow;
  float v = TwoCols ? (1.0f - b) * col(r0, j) + b * col(r0, j + 1) : col(r0, j);
  if (TwoRows) {
    v = w0 * v + w1 * (TwoCols ? (1.0f - b) * col(r1, j) + b * col(r1, j + 1) : col(r1, j));
  }
  return v;
}

// Output columns [wl, wr) read only inside the row (first column tap at x + ow).
inline void inner_columns(int64_t W, int64_t ow, bool two_cols, int64_t* wl, int64_t* wr) {
  *wl = std::clamp<int64_t>(-ow, 0, W);
  *wr = std::max(*wl, std::min(W, W - ow - (two_cols ? 1 : 0)));
}

// Output rows [hl, hr) whose row taps are all inside (first row tap at h + oh).
inline void inner_rows(int64_t H, int64_t oh, bool two_rows, int64_t* hl, int64_t* hr) {
  inner_columns(H, oh, two_rows, hl, hr);
}

template <class Arch, bool TwoRows, bool TwoCols>
void deform_row(const float* r0, const float* r1, float w0, float w1, float* out, int64_t W,
                const DeformTaps& t, Boundary bnd) {
  int64_t wl, wr;
  inner_columns(W, t.ow, TwoCols, &wl, &wr);
  for (int64_t x = 0; x < wl; ++x) {
    out[x] = border_value<TwoRows, TwoCols>(r0, r1, w0, w1, t.b, x, W, t.ow, bnd);
  }
  deform_span<Arch, TwoRows, TwoCols>(r0 + wl + t.ow, r1 + wl + t.ow, w0, w1, t.b, out + wl,
                                      wr - wl);
  for (int64_t x = wr; x < W; ++x) {
    out[x] = border_value<TwoRows, TwoCols>(r0, r1, w0, w1, t.b, x, W, t.ow, bnd);
  }
}

// One plane. Rows whose row taps are all inside form one flat block: a flat source offset
// crosses a row edge only at border columns, so 7-wide planes still move in long vectors;
// the border columns are then recomputed per row. The other rows go row by row.
template <class Arch, bool TwoRows, bool TwoCols>
void deform_plane(const float* x, float* y, int64_t H, int64_t W, const DeformTaps& t,
                  Boundary bnd) {
  const int64_t P = H * W, off = t.oh * W + t.ow;
  const float a0 = 1.0f - t.a, a1 = t.a;
  int64_t hl, hr, wl, wr;
  inner_rows(H, t.oh, TwoRows, &hl, &hr);
  inner_columns(W, t.ow, TwoCols, &wl, &wr);
  // Block positions outside [vb, ve) would read outside the plane: all are border columns.
  const int64_t extent = (TwoRows ? W : 0) + (TwoCols ? 1 : 0);  // floats past the first tap
  const int64_t vb = std::clamp(-off, hl * W, hr * W);
  const int64_t ve = std::max(vb, std::min(hr * W, P - off - extent));
  if (wl < wr) {
    const float* s0 = x + vb + off;
    deform_span<Arch, TwoRows, TwoCols>(s0, TwoRows ? s0 + W : s0, a0, a1, t.b, y + vb, ve - vb);
  }
  for (int64_t hh = hl; hh < hr; ++hh) {
    const float* r0 = x + (hh + t.oh) * W;
    const float* r1 = TwoRows ? r0 + W : r0;
    float* out = y + hh * W;
    for (int64_t c = 0; c < wl; ++c) {
      out[c] = border_value<TwoRows, TwoCols>(r0, r1, a0, a1, t.b, c, W, t.ow, bnd);
    }
    for (int64_t c = wr; c < W; ++c) {
      out[c] = border_value<TwoRows, TwoCols>(r0, r1, a0, a1, t.b, c, W, t.ow, bnd);
    }
  }
  auto row = [&](int64_t i) {  // source row i through the boundary; nullptr: zeros
    const int64_t m = map_tap(i, H, bnd);
    return m < 0 ? nullptr : x + m * W;
  };
  auto border_row = [&](int64_t hh) {
    float* out = y + hh * W;
    const float* r0 = row(hh + t.oh);
    const float* r1 = TwoRows ? row(hh + t.oh + 1) : nullptr;
    if (r0 == nullptr && r1 == nullptr) {
      fill_floats<Arch>(out, W, 0.0f);
    } else if (!TwoRows) {
      deform_row<Arch, false, TwoCols>(r0, r0, 1.0f, 0.0f, out, W, t, bnd);
    } else if (r0 == nullptr || r1 == nullptr) {  // one zero row: the other, scaled
      const float* r = r0 != nullptr ? r0 : r1;
      deform_row<Arch, true, TwoCols>(r, r, r0 != nullptr ? a0 : a1, 0.0f, out, W, t, bnd);
    } else {
      deform_row<Arch, true, TwoCols>(r0, r1, a0, a1, out, W, t, bnd);
    }
  };
  for (int64_t hh = 0; hh < hl; ++hh) border_row(hh);
  for (int64_t hh = hr; hh < H; ++hh) border_row(hh);
}

// keep (integer only): a pixel whose source is outside keeps its own value.
template <class Arch>
void keep_plane(const float* x, float* y, int64_t H, int64_t W, const DeformTaps& t) {
  const int64_t P = H * W, off = t.oh * W + t.ow;
  int64_t hl, hr, wl, wr;
  inner_rows(H, t.oh, false, &hl, &hr);
  inner_columns(W, t.ow, false, &wl, &wr);
  copy_floats<Arch>(x, y, hl * W);
  copy_floats<Arch>(x + hr * W, y + hr * W, P - hr * W);
  const int64_t vb = std::clamp(-off, hl * W, hr * W);
  const int64_t ve = std::max(vb, std::min(hr * W, P - off));
  if (wl < wr) copy_floats<Arch>(x + vb + off, y + vb, ve - vb);
  for (int64_t hh = hl; hh < hr; ++hh) {
    copy_floats<Arch>(x + hh * W, y + hh * W, wl);
    copy_floats<Arch>(x + hh * W + wr, y + hh * W + wr, W - wr);
  }
}

template <class Arch>
void shift_deform_nchw(const ShiftArgs& args, int64_t begin, int64_t end, float*) {
  const ShiftGeometry& g = *args.g;
  const int64_t H = g.h, W = g.w, C = g.c, P = g.plane();
  const Boundary bnd = g.boundary;
  for (int64_t p = begin; p < end; ++p) {
    const DeformTaps t = channel_taps(g, p % C);
    const float* x = args.src + p * P;
    float* y = args.dst + p * P;
    const bool two_rows = t.a != 0.0f, two_cols = t.b != 0.0f;
    if (bnd == Boundary::keep) {
      keep_plane<Arch>(x, y, H, W, t);
    } else if (two_rows && two_cols) {
      deform_plane<Arch, true, true>(x, y, H, W, t, bnd);
    } else if (two_rows) {
      deform_plane<Arch, true, false>(x, y, H, W, t, bnd);
    } else if (two_cols) {
      deform_plane<Arch, false, true>(x, y, H, W, t, bnd);
    } else {
      deform_plane<Arch, false, false>(x, y, H, W, t, bnd);
    }
  }
}

// nhwc: channels of equal taps form runs; per output pixel and run, the (up to four)
// tap pixels are contiguous runs of channels, summed with scalar weights as vectors.
template <class Arch>
void shift_deform_nhwc(const ShiftArgs& args, int64_t begin, int64_t end, float*) {
  using B = Batch<Arch>;
  constexpr int64_t V = lanes<Arch>();
  const ShiftGeometry& g = *args.g;
  const int64_t H = g.h, W = g.w, C = g.c;
  const Boundary bnd = g.boundary;
  struct Run {
    int64_t c_begin, c_end;
    DeformTaps t;
  };
  std::vector<Run> runs;
  for (int64_t c = 0; c < C; ++c) {
    const DeformTaps t = channel_taps(g, c);
    if (!runs.empty() && runs.back().t == t) {
      runs.back().c_end = c + 1;
    } else {
      runs.push_back({c, c + 1, t});
    }
  }
  for (int64_t r = begin; r < end; ++r) {
    const int64_t n = r / H, hh = r % H;
    const float* image = args.src + n * H * W * C;
    const float* own = args.src + r * W * C;
    float* out = args.dst + r * W * C;
    for (const Run& run : runs) {
      const DeformTaps& t = run.t;
      const int64_t len = run.c_end - run.c_begin;
      const int64_t ih = hh + t.oh;
      if (bnd == Boundary::keep) {  // integer: one tap, or the own pixel
        const bool row_inside = ih >= 0 && ih < H;
        for (int64_t ww = 0; ww < W; ++ww) {
          const int64_t iw = ww + t.ow;
          const bool inside = row_inside && iw >= 0 && iw < W;
          const float* s = inside ? image + (ih * W + iw) * C : own + ww * C;
          copy_floats<Arch>(s + run.c_begin, out + ww * C + run.c_begin, len);
        }
        continue;
      }
      const int64_t rows[2] = {map_tap(ih, H, bnd), t.a != 0.0f ? map_tap(ih + 1, H, bnd) : -1};
      const float row_w[2] = {1.0f - t.a, t.a};
      for (int64_t ww = 0; ww < W; ++ww) {
        const int64_t iw = ww + t.ow;
        const int64_t cols[2] = {map_tap(iw, W, bnd), t.b != 0.0f ? map_tap(iw + 1, W, bnd) : -1};
        const float col_w[2] = {1.0f - t.b, t.b};
        // Non-zero taps and their weights; integer channels have at most one, weight 1.
        const float* tap[4];
        float wt[4];
        int k = 0;
        for (int i = 0; i < 2; ++i) {
          for (int j = 0; j < 2; ++j) {
            if (rows[i] < 0 || cols[j] < 0) continue;
            tap[k] = image + (rows[i] * W + cols[j]) * C + run.c_begin;
            wt[k++] = row_w[i] * col_w[j];
          }
        }
        float* o = out + ww * C + run.c_begin;
        if (k == 0) {
          fill_floats<Arch>(o, len, 0.0f);
        } else if (t.a == 0.0f && t.b == 0.0f) {
          copy_floats<Arch>(tap[0], o, len);
        } else {
          auto sum = [&](int64_t i) {
            B v = B(wt[0]) * B::load_unaligned(tap[0] + i);
            for (int q = 1; q < k; ++q) v = xsimd::fma(B(wt[q]), B::load_unaligned(tap[q] + i), v);
            v.store_unaligned(o + i);
          };
          if (len >= V) {
            int64_t i = 0;
            for (; i + V <= len; i += V) sum(i);
            if (i < len) sum(len - V);  // overlaps the previous vector: same values
          } else {
            for (int64_t i = 0; i < len; ++i) {
              float v = wt[0] * tap[0][i];
              for (int q = 1; q < k; ++q) v += wt[q] * tap[q][i];
              o[i] = v;
            }
          }
        }
      }
    }
  }
}

}  // namespace shiftnn::kernels::simd
