#pragma once
// The layout of an nhwc pixel in whole vectors for the pixel-order copy (PixelSlots),
// and the lane-wise copy of the pixels whose source is partly outside.
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "kernels/kernel_table.hpp"
#include "kernels/simd/shift_source.hpp"
#include "kernels/simd/vector_ops.hpp"

namespace shiftnn::kernels::simd {

// Vectors per pixel up to which the pixel order applies (kPixelOrderMaxChannels bounds
// the floats): a pixel's loads stay in registers before its stores, so 16 with the 32
// vector registers of avx512f, 12 with the 16 of avx2 and sse2 (and on neon64, not
// timed). Quad, 1 thread, x
// memcpy, Zen 4, pixel order against runs: avx2 at 96 channels (12 vectors) 0.84 / 0.76
// (1x96x56x56), 0.85 / 0.60 (8x96x56x56); sse2 at 48 channels 0.80 / 0.68; avx512f at
// 256 channels: kPixelOrderMaxChannels.
constexpr int64_t kMaxPixelVectors = 16;
constexpr int64_t kMaxPixelVectorsNarrow = 12;

// Vectors a pixel-order loop may hold in registers: avx512f has 32, avx2, sse2 and neon
// 16 (neon64 has 32, not timed).
template <class Arch>
constexpr int vector_registers() {
  return lanes<Arch>() == 16 ? 32 : 16;
}

template <class Arch>
constexpr int max_pixel_vectors() {
  const int64_t registers_allow =
      vector_registers<Arch>() == 32 ? kMaxPixelVectors : kMaxPixelVectorsNarrow;
  return static_cast<int>(std::min(registers_allow, kPixelOrderMaxChannels / lanes<Arch>()));
}

// Zeros for the lanes of runs whose source row is outside (zero boundary): a row of
// up to this many floats reads them like a source row.
constexpr int64_t kZeroRowFloats = 16384;
alignas(64) inline const float kZeroRow[kZeroRowFloats] = {};

// A vector of an edge pixel whose lanes under `mask` take the boundary value (zero or
// the pixel's own): `at` floats from the start of a row, where pixels w - pad_w .. w - 1
// are that row's right edge and w .. w + pad_w - 1 the next row's left edge.
template <class Arch>
struct EdgeFix {
  int64_t at;
  xsimd::batch_bool<float, Arch> mask;
};

// Edge vectors up to which the pixel order applies (2 * pad_w * vectors per pixel at most;
// quad:D at 96 channels takes 4 * D).
constexpr int64_t kMaxEdgeFixes = 32;

// Where a vector takes two runs whose source rows differ by fewer than kInterleavedRows
// and a row is over kInterleaveRowBytes bytes, the pixel loop runs kInterleavedRows
// output rows at once, column by column, unless it prefetches pixels
// (copy_prefetches_pixels). A source line such a vector reads for output
// row y is read again for row y + |dh_a - dh_b|; in row order that second read comes
// after rows of traffic past L1 (32 KiB), in the interleaved order a few pixels later.
// Quad, Zen 4, avx512f, time in row order / interleaved (same process): 8x96x56x56 1.01-1.08
// at 1 thread, 1.04 at 2; 1x96x56x56 1.03-1.04; 1x48x112x112 1.19; 8x48x48x48 1.09;
// 32x96x28x28 1.04; with rows of 8 KiB or less, 16x96x21x21 0.97-0.98, 16x96x14x14 0.96.
// 2 rows at once (no line is re-read within a block): 1x96x56x56 0.95, 8x96x56x56 0.94 at
// 2 threads; 6 and 8 rows: 8x96x56x56 0.96-1.035 and 0.86-0.88 at 2 threads.
constexpr int64_t kInterleavedRows = 4;
constexpr int64_t kInterleaveRowBytes = 8192;

// Whether output row hh's source row for a run is inside the image.
inline bool source_row_inside(const ShiftGeometry& g, const ChannelRun& run, int64_t hh) {
  const int64_t hs = hh - run.dh;
  return hs >= 0 && hs < g.h;
}

// The vectors of an nhwc pixel (zero or keep boundary): vector k covers channels
// [k * V, (k + 1) * V) and takes them from run a[k], or, under lane mask second[k],
// from run b[k]. The same at every pixel, so built once per kernel call, with the edge
// vectors whose source column is outside for some lanes. ok: the pixel order applies (a
// pixel is 1 to max_pixel_vectors whole vectors, no vector spans three runs,
// |dw| <= w / 2, a row fits kZeroRow, at most kMaxEdgeFixes edge vectors).
template <class Arch>
struct PixelSlots {
  int64_t count = 0;
  unsigned split = 0;            // bit k: vector k takes two runs
  bool interleave_rows = false;  // see kInterleavedRows
  bool ok = false;
  const ChannelRun* a[kMaxPixelVectors];
  const ChannelRun* b[kMaxPixelVectors];
  xsimd::batch_bool<float, Arch> second[kMaxPixelVectors];
  int64_t fix_count = 0;
  EdgeFix<Arch> fixes[kMaxEdgeFixes];

  explicit PixelSlots(const ShiftGeometry& g) {
    using B = Batch<Arch>;
    constexpr int64_t V = lanes<Arch>();
    count = g.c / V;
    if (g.c % V != 0 || count < 1 || count > max_pixel_vectors<Arch>() || 2 * g.pad_w > g.w ||
        g.w * g.c > kZeroRowFloats) {
      return;
    }
    const B lane = B::load_unaligned(kLaneIndex);
    for (int64_t k = 0; k < count; ++k) {
      a[k] = &run_of(g, k * V);
      b[k] = &run_of(g, k * V + V - 1);
      if (b[k] != a[k] && b[k]->c_begin != a[k]->c_end) return;
      second[k] = lane + B(static_cast<float>(k * V)) >= B(static_cast<float>(b[k]->c_begin));
      if (b[k] != a[k]) split |= 1u << k;
    }
    // Edge pixel e of a row (from its left or right end) has its source column outside
    // for the runs with dw > e (left) or dw < -e (right).
    for (int64_t e = 0; e < g.pad_w; ++e) {
      for (const bool left : {false, true}) {
        auto outside = [&](const ChannelRun* run) { return left ? run->dw > e : run->dw < -e; };
        const int64_t at = (left ? g.w + e : g.w - 1 - e) * g.c;
        for (int64_t k = 0; k < count; ++k) {
          const bool a_out = outside(a[k]), b_out = outside(b[k]);
          if (!a_out && !b_out) continue;
          if (fix_count == kMaxEdgeFixes) return;
          fixes[fix_count++] = {at + k * V, lanes_from(k, a_out, b_out)};
        }
      }
    }
    bool reread = false;
    for (int64_t k = 0; k < count; ++k) {
      const int32_t apart = std::abs(a[k]->dh - b[k]->dh);
      reread = reread || (apart > 0 && apart < kInterleavedRows);
    }
    interleave_rows =
        reread && g.w * g.c * static_cast<int64_t>(sizeof(float)) > kInterleaveRowBytes;
    ok = true;
  }

  // The lanes of vector k that come from run a[k] where from_a, and from b[k] where from_b.
  xsimd::batch_bool<float, Arch> lanes_from(int64_t k, bool from_a, bool from_b) const {
    using M = xsimd::batch_bool<float, Arch>;
    if (from_a == from_b) return M(from_a);
    return from_a ? !second[k] : second[k];
  }
};

// The lanes of vector k of a pixel in output row hh of its image whose run's source row
// is outside the image.
template <class Arch>
xsimd::batch_bool<float, Arch> lanes_outside_rows(const ShiftGeometry& g,
                                                  const PixelSlots<Arch>& ps, int64_t k,
                                                  int64_t hh) {
  return ps.lanes_from(k, !source_row_inside(g, *ps.a[k], hh), !source_row_inside(g, *ps.b[k], hh));
}

// Pixels [w0, w1) of nhwc output row hh, lane-wise: each run's lanes take the source
// pixel where it is inside the image, else the boundary value (zero or keep).
// Streaming: non-temporal stores (out_row aligned to the vector).
template <class Arch, bool Streaming = false>
void pixels_lanewise(const ShiftGeometry& g, const PixelSlots<Arch>& ps, const float* image,
                     float* out_row, int64_t hh, int64_t w0, int64_t w1) {
  using B = Batch<Arch>;
  const int64_t H = g.h, W = g.w, C = g.c;
  const bool keep = g.boundary == Boundary::keep;
  const float* own = image + hh * W * C;
  auto load = [&](const ChannelRun& run, int64_t ww, int64_t c0) {
    const int64_t hs = hh - run.dh, ws = ww - run.dw;
    if (hs >= 0 && hs < H && ws >= 0 && ws < W) {
      return B::load_unaligned(image + (hs * W + ws) * C + c0);
    }
    return keep ? B::load_unaligned(own + ww * C + c0) : B(0.0f);
  };
  for (int64_t ww = w0; ww < w1; ++ww) {
    for (int64_t k = 0; k < ps.count; ++k) {
      const int64_t c0 = k * lanes<Arch>();
      B v = load(*ps.a[k], ww, c0);
      if (ps.b[k] != ps.a[k]) v = xsimd::select(ps.second[k], load(*ps.b[k], ww, c0), v);
      if constexpr (Streaming) {
        store_streaming<Arch>(v, out_row + ww * C + c0);
      } else {
        v.store_unaligned(out_row + ww * C + c0);
      }
    }
  }
}

}  // namespace shiftnn::kernels::simd
