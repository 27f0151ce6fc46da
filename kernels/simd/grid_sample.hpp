#pragma once
// GridSample (SPEC §3) with PyTorch 1.13 CPU semantics: unnormalise, reflect, clip;
// nearest rounds half to even; taps outside the image read 0. Coordinates are computed
// V output columns at a time into a ChunkPlan, which both layouts then apply: nchw
// gathers V columns per channel, nhwc runs along the contiguous channels per pixel.
#include <algorithm>
#include <cassert>
#include <cstdint>

#include "kernels/kernel_table.hpp"
#include "kernels/simd/vector_ops.hpp"

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which -Wmaybe-uninitialized
// reports once inlined here (GCC bug 105593); the values are always defined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace shiftnn::kernels::simd {
namespace grid_detail {

alignas(64) inline constexpr int32_t kIota2[kMaxVectorFloats] = {0,  2,  4,  6,  8,  10, 12, 14,
                                                                 16, 18, 20, 22, 24, 26, 28, 30};

// Grid value -> source position along one axis of `size` pixels.
struct AxisMap {
  float scale, shift;  // unnormalise: (g + 1) * scale - shift, as PyTorch's vectorised CPU path
  float low, twice_span, max_val;
  int32_t max_index;
  GridPaddingK padding;
  bool pixel;

  AxisMap(int64_t size, const GridSampleArgs& a)
      : scale(a.align_corners ? static_cast<float>(size - 1) / 2 : static_cast<float>(size) / 2),
        shift(a.align_corners ? 0.0f : 0.5f),
        low(a.align_corners ? 0.0f : -0.5f),
        twice_span(a.align_corners ? static_cast<float>(size - 1) * 2
                                   : static_cast<float>(size) * 2),
        max_val(static_cast<float>(size - 1)),
        max_index(static_cast<int32_t>(size - 1)),
        padding(a.padding),
        pixel(a.pixel_grid) {}

  template <class Arch>
  Batch<Arch> clip(Batch<Arch> x) const {
    return xsimd::min(Batch<Arch>(max_val), xsimd::max(x, Batch<Arch>(0.0f)));
  }

  // Fold x into [low, low + twice_span / 2] by mirroring at both edges.
  template <class Arch>
  Batch<Arch> reflect(Batch<Arch> x) const {
    using B = Batch<Arch>;
    if (twice_span <= 0) return B(0.0f);
    const B a = xsimd::abs(x - B(low));
    const B flips = xsimd::trunc(a / B(twice_span));
    const B extra = a - flips * B(twice_span);
    return xsimd::min(extra, B(twice_span) - extra) + B(low);
  }

  // Continuous source coordinate after padding; pos: the output column or row.
  template <class Arch>
  Batch<Arch> place(Batch<Arch> g, Batch<Arch> pos) const {
    using B = Batch<Arch>;
    const B x = pixel ? pos + g : (g + B(1.0f)) * B(scale) - B(shift);
    if (padding == GridPaddingK::reflection) return clip<Arch>(reflect<Arch>(x));
    if (padding == GridPaddingK::border) return clip<Arch>(x);
    return x;
  }

  // Nearest tap (integral). Pixel grids round the offset alone: exact at any position.
  template <class Arch>
  Batch<Arch> nearest(Batch<Arch> g, Batch<Arch> pos) const {
    if (pixel && padding != GridPaddingK::reflection) {
      const Batch<Arch> r = pos + xsimd::nearbyint(g);
      return padding == GridPaddingK::border ? clip<Arch>(r) : r;
    }
    return xsimd::nearbyint(place<Arch>(g, pos));
  }

  // Bilinear: first tap x0 (integral) and the weight f of tap x0 + 1. For pixel grids the
  // offset is split before adding pos, so f keeps every bit; border then maps positions
  // below 0 to (0, 0) and at or above size-1 to (size-1, 0), which is exactly clipping.
  template <class Arch>
  void bilinear(Batch<Arch> g, Batch<Arch> pos, Batch<Arch>* x0, Batch<Arch>* f) const {
    using B = Batch<Arch>;
    if (pixel && padding != GridPaddingK::reflection) {
      const B gi = xsimd::floor(g);
      *x0 = pos + gi;
      *f = g - gi;
      if (padding == GridPaddingK::border) {
        const auto out = (*x0 < B(0.0f)) | (*x0 >= B(max_val));
        *x0 = clip<Arch>(*x0);
        *f = xsimd::select(out, B(0.0f), *f);
      }
      return;
    }
    const B x = place<Arch>(g, pos);
    *x0 = xsimd::floor(x);
    *f = x - *x0;
  }

  // Tap index clamped into the image: NaN or huge coordinates never address memory
  // outside it (their taps are masked anyway).
  template <class Arch>
  xsimd::batch<int32_t, Arch> index(Batch<Arch> x, int32_t plus) const {
    using I = xsimd::batch<int32_t, Arch>;
    const I i = xsimd::to_int(x) + I(plus);
    return xsimd::min(xsimd::max(i, I(0)), I(max_index));
  }

  // Where tap x + plus lies inside [0, size).
  template <class Arch>
  xsimd::batch_bool<float, Arch> inside(Batch<Arch> x, float plus) const {
    using B = Batch<Arch>;
    return (x >= B(-plus)) & (x <= B(max_val - plus));
  }
};

// Taps of V consecutive output pixels. Tap t: 0 nw, 1 ne, 2 sw, 3 se (nearest: tap 0 only).
struct alignas(64) ChunkPlan {
  int32_t idx[4][kMaxVectorFloats];   // flat source pixel y*w + x, clamped inside the image
  int32_t mask[4][kMaxVectorFloats];  // all ones where the tap is inside, else 0
  float weight[4][kMaxVectorFloats];
  // Every tap inside and idx[0][lane] = idx[0][0] + lane: the taps are plain vector loads.
  bool contiguous;
};

template <class Arch>
xsimd::batch<int32_t, Arch> mask_bits(xsimd::batch_bool<float, Arch> m) {
  using B = Batch<Arch>;
  using I = xsimd::batch<int32_t, Arch>;
  return xsimd::bitwise_cast<I>(xsimd::select(m, xsimd::bitwise_cast<B>(I(-1)), B(0.0f)));
}

// Plans output columns [col, col + V) of output row oh; grid_row: that row of the grid.
// Only the first `count` columns exist; the others are computed from zeros and unused.
template <class Arch>
void plan_chunk(const GridSampleArgs& a, const AxisMap& ax, const AxisMap& ay,
                const float* grid_row, int64_t col, int64_t count, int64_t oh, ChunkPlan* p) {
  using B = Batch<Arch>;
  using I = xsimd::batch<int32_t, Arch>;
  constexpr int64_t V = lanes<Arch>();
  static_assert(V <= kMaxVectorFloats, "ChunkPlan holds at most kMaxVectorFloats lanes");
  B gx, gy;
  if (count == V) {
    gx = B::gather(grid_row + 2 * col, I::load_aligned(kIota2));
    gy = B::gather(grid_row + 2 * col + 1, I::load_aligned(kIota2));
  } else {
    alignas(64) float bx[kMaxVectorFloats] = {}, by[kMaxVectorFloats] = {};
    for (int64_t l = 0; l < count; ++l) {
      bx[l] = grid_row[2 * (col + l)];
      by[l] = grid_row[2 * (col + l) + 1];
    }
    gx = B::load_aligned(bx);
    gy = B::load_aligned(by);
  }
  const B px = B(static_cast<float>(col)) + B::load_aligned(kLaneIndex);
  const B py(static_cast<float>(oh));
  const I W(static_cast<int32_t>(a.w));
  if (a.mode == GridModeK::nearest) {
    const B x = ax.nearest<Arch>(gx, px), y = ay.nearest<Arch>(gy, py);
    const auto in = ax.inside<Arch>(x, 0.0f) & ay.inside<Arch>(y, 0.0f);
    const I idx = ay.index<Arch>(y, 0) * W + ax.index<Arch>(x, 0);
    idx.store_aligned(p->idx[0]);
    mask_bits<Arch>(in).store_aligned(p->mask[0]);
    p->contiguous =
        xsimd::all(in) && xsimd::all(idx == I(idx.get(0)) + I::load_aligned(kLaneIndexI32));
    return;
  }
  B x0, fx, y0, fy;
  ax.bilinear<Arch>(gx, px, &x0, &fx);
  ay.bilinear<Arch>(gy, py, &y0, &fy);
  const B ex = B(1.0f) - fx, sy = B(1.0f) - fy;
  (sy * ex).store_aligned(p->weight[0]);
  (sy * fx).store_aligned(p->weight[1]);
  (fy * ex).store_aligned(p->weight[2]);
  (fy * fx).store_aligned(p->weight[3]);
  const auto mx0 = ax.inside<Arch>(x0, 0.0f), mx1 = ax.inside<Arch>(x0, 1.0f);
  const auto my0 = ay.inside<Arch>(y0, 0.0f), my1 = ay.inside<Arch>(y0, 1.0f);
  const I ix0 = ax.index<Arch>(x0, 0), ix1 = ax.index<Arch>(x0, 1);
  const I iy0 = ay.index<Arch>(y0, 0) * W, iy1 = ay.index<Arch>(y0, 1) * W;
  const I i00 = iy0 + ix0;
  i00.store_aligned(p->idx[0]);
  (iy0 + ix1).store_aligned(p->idx[1]);
  (iy1 + ix0).store_aligned(p->idx[2]);
  (iy1 + ix1).store_aligned(p->idx[3]);
  mask_bits<Arch>(my0 & mx0).store_aligned(p->mask[0]);
  mask_bits<Arch>(my0 & mx1).store_aligned(p->mask[1]);
  mask_bits<Arch>(my1 & mx0).store_aligned(p->mask[2]);
  mask_bits<Arch>(my1 & mx1).store_aligned(p->mask[3]);
  p->contiguous = xsimd::all(mx0 & mx1 & my0 & my1) &&
                  xsimd::all(i00 == I(i00.get(0)) + I::load_aligned(kLaneIndexI32));
}

// V output values of one channel plane, PyTorch's order: nw + ne + sw + se.
template <class Arch>
Batch<Arch> sample_plane(const GridSampleArgs& a, const ChunkPlan& p, const float* plane) {
  using B = Batch<Arch>;
  using I = xsimd::batch<int32_t, Arch>;
  if (a.mode == GridModeK::nearest) {
    if (p.contiguous) return B::load_unaligned(plane + p.idx[0][0]);
    const B v = B::gather(plane, I::load_aligned(p.idx[0]));
    return v & xsimd::bitwise_cast<B>(I::load_aligned(p.mask[0]));
  }
  B v[4];
  if (p.contiguous) {
    const float* t = plane + p.idx[0][0];
    v[0] = B::load_unaligned(t), v[1] = B::load_unaligned(t + 1);
    v[2] = B::load_unaligned(t + a.w), v[3] = B::load_unaligned(t + a.w + 1);
  } else {
    for (int t = 0; t < 4; ++t) {
      v[t] = B::gather(plane, I::load_aligned(p.idx[t])) &
             xsimd::bitwise_cast<B>(I::load_aligned(p.mask[t]));
    }
  }
  return v[0] * B::load_aligned(p.weight[0]) + v[1] * B::load_aligned(p.weight[1]) +
         v[2] * B::load_aligned(p.weight[2]) + v[3] * B::load_aligned(p.weight[3]);
}

}  // namespace grid_detail

template <class Arch>
void grid_sample_nchw(const GridSampleArgs& a, int64_t begin, int64_t end) {
  using namespace grid_detail;
  constexpr int64_t V = lanes<Arch>();
  // Columns planned at once, then applied to every channel: each plane is written in
  // runs of up to kChunks*V floats while the plan stays in L1.
  constexpr int kChunks = 8;
  assert(a.layout == Layout::nchw);
  const AxisMap ax(a.w, a), ay(a.h, a);
  ChunkPlan plans[kChunks];
  int64_t cols[kChunks];
  for (int64_t r = begin; r < end; ++r) {
    const int64_t n = r / a.ho, oh = r % a.ho;
    const float* grid_row = a.grid + n * a.grid_batch_stride + oh * a.wo * 2;
    const float* image = a.src + n * a.src_batch_stride;
    float* out = a.dst + n * a.dst_batch_stride + oh * a.wo;
    if (a.wo < V) {  // one partial chunk, stored through a buffer
      plan_chunk<Arch>(a, ax, ay, grid_row, 0, a.wo, oh, &plans[0]);
      alignas(64) float buf[kMaxVectorFloats];
      for (int64_t k = 0; k < a.c; ++k) {
        sample_plane<Arch>(a, plans[0], image + k * a.src_channel_stride).store_aligned(buf);
        float* o = out + k * a.dst_channel_stride;
        for (int64_t l = 0; l < a.wo; ++l) o[l] = buf[l];
      }
      continue;
    }
    for (int64_t col = 0; col < a.wo;) {
      int used = 0;
      // The last chunk overlaps the one before instead of running past the row.
      for (; used < kChunks && col < a.wo; ++used, col += V) {
        cols[used] = std::min(col, a.wo - V);
        plan_chunk<Arch>(a, ax, ay, grid_row, cols[used], V, oh, &plans[used]);
      }
      for (int64_t k = 0; k < a.c; ++k) {
        const float* plane = image + k * a.src_channel_stride;
        float* o = out + k * a.dst_channel_stride;
        for (int i = 0; i < used; ++i) {
          sample_plane<Arch>(a, plans[i], plane).store_unaligned(o + cols[i]);
        }
      }
    }
  }
}

template <class Arch>
void grid_sample_nhwc(const GridSampleArgs& a, int64_t begin, int64_t end) {
  using namespace grid_detail;
  using B = Batch<Arch>;
  constexpr int64_t V = lanes<Arch>();
  assert(a.layout == Layout::nhwc);
  const AxisMap ax(a.w, a), ay(a.h, a);
  const int64_t C = a.c, sp = a.src_pixel_stride;
  ChunkPlan plan;
  for (int64_t r = begin; r < end; ++r) {
    const int64_t n = r / a.ho, oh = r % a.ho;
    const float* grid_row = a.grid + n * a.grid_batch_stride + oh * a.wo * 2;
    const float* image = a.src + n * a.src_batch_stride;
    float* out = a.dst + n * a.dst_batch_stride + oh * a.wo * a.dst_pixel_stride;
    for (int64_t col = 0; col < a.wo; col += V) {
      const int64_t count = std::min(V, a.wo - col);
      plan_chunk<Arch>(a, ax, ay, grid_row, col, count, oh, &plan);
      for (int64_t l = 0; l < count; ++l) {
        float* o = out + (col + l) * a.dst_pixel_stride;
        if (a.mode == GridModeK::nearest) {
          if (plan.mask[0][l]) {
            copy_floats<Arch>(image + plan.idx[0][l] * sp, o, C);
          } else {
            fill_floats<Arch>(o, C, 0.0f);
          }
          continue;
        }
        // Taps outside the image read 0 (nullptr), never a clamped neighbour.
        const float* t[4];
        float wt[4];
        for (int k = 0; k < 4; ++k) {
          t[k] = plan.mask[k][l] ? image + plan.idx[k][l] * sp : nullptr;
          wt[k] = plan.weight[k][l];
        }
        auto vec = [&](int k, int64_t c) { return t[k] ? B::load_unaligned(t[k] + c) : B(0.0f); };
        auto one = [&](int k, int64_t c) { return t[k] ? t[k][c] : 0.0f; };
        if (C < V) {
          for (int64_t c = 0; c < C; ++c) {
            o[c] = one(0, c) * wt[0] + one(1, c) * wt[1] + one(2, c) * wt[2] + one(3, c) * wt[3];
          }
          continue;
        }
        const B w0(wt[0]), w1(wt[1]), w2(wt[2]), w3(wt[3]);
        for (int64_t c = 0;; c += V) {
          const int64_t cc = std::min(c, C - V);  // last vector overlaps: no scalar tail
          (vec(0, cc) * w0 + vec(1, cc) * w1 + vec(2, cc) * w2 + vec(3, cc) * w3)
              .store_unaligned(o + cc);
          if (cc == C - V) break;
        }
      }
    }
  }
}

}  // namespace shiftnn::kernels::simd

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
