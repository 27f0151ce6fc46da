#pragma once
// Strategy `copy` (SPEC §2, the seed's slice indexing): direct shifted copies.
#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <type_traits>
#include <utility>

#include "kernels/kernel_table.hpp"
#include "kernels/simd/shift_source.hpp"
#include "kernels/simd/vector_ops.hpp"

namespace shiftnn::kernels::simd {

// Where a run of planes displaced by (dh, dw) has its source inside: plane position
// i mod (h*w) in [q_lo, q_hi) and column i mod w in [c_lo, c_hi) (elements).
struct SourceWindow {
  int64_t plane, w, q_lo, q_hi, c_lo, c_hi;

  SourceWindow(int64_t h, int64_t w_, int32_t dh, int32_t dw)
      : plane(h * w_),
        w(w_),
        q_lo(std::clamp<int64_t>(dh, 0, h) * w_),
        q_hi(std::clamp<int64_t>(h + dh, 0, h) * w_),
        c_lo(std::clamp<int64_t>(dw, 0, w_)),
        c_hi(std::clamp<int64_t>(w_ + dw, 0, w_)) {}
  // q: a plane position, c: a column.
  bool inside(int64_t q, int64_t c) const { return q >= q_lo && q < q_hi && c >= c_lo && c < c_hi; }
};

// x mod period in [0, period); x within a period of that range without a division.
inline int64_t reduce_mod(int64_t x, int64_t period) {
  if (x >= 0 && x < period) return x;
  if (x < 0 && x >= -period) return x + period;
  const int64_t r = x % period;
  return r < 0 ? r + period : r;
}

// Whether the lanes of a vector lie in a window [lo, hi) of positions modulo a period
// (elements), moved on by a fixed stride without a division: the stride is reduced
// below the period, so one subtraction wraps. Positions are counted from hi, which
// turns the window into [period - (hi - lo), period): one compare. In registers, as
// a mask table loaded from L1 next to the streamed source costs ~20% (1x96x56x56, Zen 4).
// Built in registers with at most one division: a run's setup is most of a small call
// (1x8x5x5 quad, per call: 0.22-0.30 us with lanes stored one by one and up to three
// divisions per phase, 0.11-0.12 us so).
template <class Arch>
struct LanePhase {
  using I = xsimd::batch<int32_t, Arch>;
  I at;
  int32_t stride = 0, period = 1, from = 0;

  LanePhase() = default;
  // Lanes at positions first, first + 1, ...
  LanePhase(int64_t first, int64_t stride_, int64_t period_, int64_t lo, int64_t hi)
      : stride(static_cast<int32_t>(reduce_mod(stride_, period_))),
        period(static_cast<int32_t>(period_)),
        from(static_cast<int32_t>(period_ - (hi - lo))) {
    at = I(static_cast<int32_t>(reduce_mod(first - hi, period_))) + I::load_aligned(kLaneIndexI32);
    // Below period + V: one subtraction per lane when the period is at least V.
    for (auto over = at >= I(period); xsimd::any(over); over = at >= I(period)) {
      at = xsimd::select(over, at - I(period), at);
    }
  }
  // The same lanes n elements further on, moved by stride_ from there.
  LanePhase ahead(int64_t n, int64_t stride_) const {
    LanePhase r = *this;
    r.stride = static_cast<int32_t>(reduce_mod(stride_, period));
    r.at = wrap(at + I(static_cast<int32_t>(reduce_mod(n, period))));
    return r;
  }
  void advance() { at = wrap(at + I(stride)); }
  auto inside() const { return at >= I(from); }

 private:
  I wrap(const I& x) const { return xsimd::select(x >= I(period), x - I(period), x); }
};

// out[i] = win.inside(i mod plane, i mod w) ? src[i - off] : (keep ? src[i] : 0) for i
// in [b, e), b a plane's start (positions are counted from it): a run of planes with
// one displacement is one flat offset copy, whose positions outside the window are
// exactly those whose flat source crosses a row or plane edge, so 7x7 planes still move
// in whole vectors. Rows/Cols: whether dh/dw are non-zero (the other range is
// everything). Four vectors are loaded before they are stored (one at a time runs at
// 0.85x memcpy) and the stores are aligned. total: elements of src.
template <class Arch, bool Keep, bool Streaming, bool Rows, bool Cols>
void masked_flat_copy(const float* src, float* dst, int64_t b, int64_t e, int64_t off,
                      int64_t total, const SourceWindow& win) {
  using B = Batch<Arch>;
  using I = xsimd::batch<int32_t, Arch>;
  using Phase = LanePhase<Arch>;
  constexpr int64_t V = lanes<Arch>();
  assert(win.plane <= (int64_t{1} << 30));  // int32 phases reach twice the period
  assert(b % win.plane == 0);
  // Vectors need src[i - off, i - off + V) inside [0, total).
  int64_t i = b;
  const int64_t vb = std::clamp(off, b, e), ve = std::min(e, total + off);
  // Where a vector does not fit (the tensor's ends, short runs): positions counted on,
  // not divided per element.
  auto scalar = [&](int64_t end) {
    if (i >= end) return;
    int64_t q = reduce_mod(i - b, win.plane), c = reduce_mod(i - b, win.w);
    for (; i < end; ++i) {
      dst[i] = win.inside(q, c) ? src[i - off] : (Keep ? src[i] : 0.0f);
      q = q + 1 == win.plane ? 0 : q + 1;
      c = c + 1 == win.w ? 0 : c + 1;
    }
  };
  scalar(vb);
  if (ve - i < V) {
    scalar(e);
    return;
  }
  auto shifted = [&](int64_t at, const Phase& q, const Phase& c) {
    const B x = B::load_unaligned(src + at - off);
    const B fallback = Keep ? B::load_unaligned(src + at) : B(0.0f);
    auto in = xsimd::batch_bool<int32_t, Arch>(true);
    if (Rows) in = q.inside();
    if (Cols) in = in && c.inside();
    return xsimd::bitwise_cast<B>(
        xsimd::select(in, xsimd::bitwise_cast<I>(x), xsimd::bitwise_cast<I>(fallback)));
  };
  auto store = [&](const B& y, int64_t at) {
    if constexpr (Streaming) {
      store_streaming<Arch>(y, dst + at);
    } else {
      y.store_aligned(dst + at);
    }
  };
  // The first and last vectors are unaligned and overlap the aligned ones (the copy is
  // out of place): a scalar loop for them cost ~0.1 us per call on the seed's 1x8x5x5.
  auto unaligned = [&](int64_t at) {
    Phase q, c;
    if (Rows) q = Phase(at - b, V, win.plane, win.q_lo, win.q_hi);
    if (Cols) c = Phase(at - b, V, win.w, win.c_lo, win.c_hi);
    shifted(at, q, c).store_unaligned(dst + at);
  };
  const int64_t misaligned = floats_past_alignment<Arch>(dst + i);
  if (misaligned != 0) {
    unaligned(i);
    i += V - misaligned;
  }
  // Phases of the first aligned vector; the others are derived, not counted again.
  Phase q, c;
  if (Rows) q = Phase(i - b, 4 * V, win.plane, win.q_lo, win.q_hi);
  if (Cols) c = Phase(i - b, 4 * V, win.w, win.c_lo, win.c_hi);
  if (i + 4 * V <= ve) {
    // Four independent phases, one per vector of the group, each moved on by 4V.
    Phase q1, q2, q3, c1, c2, c3;
    if (Rows) q1 = q.ahead(V, 4 * V), q2 = q.ahead(2 * V, 4 * V), q3 = q.ahead(3 * V, 4 * V);
    if (Cols) c1 = c.ahead(V, 4 * V), c2 = c.ahead(2 * V, 4 * V), c3 = c.ahead(3 * V, 4 * V);
    for (; i + 4 * V <= ve; i += 4 * V) {
      const B y0 = shifted(i, q, c), y1 = shifted(i + V, q1, c1), y2 = shifted(i + 2 * V, q2, c2),
              y3 = shifted(i + 3 * V, q3, c3);
      store(y0, i), store(y1, i + V), store(y2, i + 2 * V), store(y3, i + 3 * V);
      if (Rows) q.advance(), q1.advance(), q2.advance(), q3.advance();
      if (Cols) c.advance(), c1.advance(), c2.advance(), c3.advance();
    }
  }
  if (Rows) q = q.ahead(0, V);
  if (Cols) c = c.ahead(0, V);
  for (; i + V <= ve; i += V) {
    store(shifted(i, q, c), i);
    if (Rows) q.advance();
    if (Cols) c.advance();
  }
  if (i < ve) {
    unaligned(ve - V);
    i = ve;
  }
  scalar(e);
}

// One output row of a replicate or circular plane shift.
template <class Arch>
void shift_row_clamped_or_wrapped(const float* row, float* out, int64_t W, int32_t dw, Boundary b) {
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

// Streaming: non-temporal stores, for outputs beyond the last-level cache.
template <class Arch, bool Streaming = false>
void shift_copy_nchw(const ShiftArgs& args, int64_t begin, int64_t end, float*) {
  const ShiftGeometry& g = *args.g;
  const int64_t H = g.h, W = g.w, P = g.plane(), C = g.c, total = g.elements();
  for (int64_t p = begin; p < end;) {
    const int64_t n = p / C;
    const ChannelRun& run = run_of(g, p % C);
    const bool keep = g.boundary == Boundary::keep || run.replicate_as_keep;
    const bool zero_or_keep = keep || g.boundary == Boundary::zero;
    const int64_t p_end = std::min(end, n * C + run.c_end);
    const float* src = args.src;
    float* dst = args.dst;
    if (run.dh == 0 && run.dw == 0) {
      copy_floats<Arch, Streaming>(src + p * P, dst + p * P, (p_end - p) * P);
    } else if (zero_or_keep) {
      const int64_t off = static_cast<int64_t>(run.dh) * W + run.dw;
      const SourceWindow win(H, W, run.dh, run.dw);
      auto copy = [&](auto keep_c, auto rows_c, auto cols_c) {
        masked_flat_copy<Arch, decltype(keep_c)::value, Streaming, decltype(rows_c)::value,
                         decltype(cols_c)::value>(src, dst, p * P, p_end * P, off, total, win);
      };
      auto with_axes = [&](auto keep_c) {
        if (run.dh == 0) {
          copy(keep_c, std::false_type(), std::true_type());
        } else if (run.dw == 0) {
          copy(keep_c, std::true_type(), std::false_type());
        } else {
          copy(keep_c, std::true_type(), std::true_type());
        }
      };
      if (keep) {
        with_axes(std::true_type());
      } else {
        with_axes(std::false_type());
      }
    } else {
      for (int64_t q = p; q < p_end; ++q) {
        for (int64_t hh = 0; hh < H; ++hh) {
          int64_t hs = hh - run.dh;
          hs = g.boundary == Boundary::circular ? (hs < 0 ? hs + H : hs)
                                                : std::clamp<int64_t>(hs, 0, H - 1);
          shift_row_clamped_or_wrapped<Arch>(src + q * P + hs * W, dst + q * P + hh * W, W, run.dw,
                                             g.boundary);
        }
      }
    }
    p = p_end;
  }
  if (Streaming) streaming_fence();
}

template <class Arch>
void shift_copy_nt_nchw(const ShiftArgs& args, int64_t begin, int64_t end, float* scratch) {
  shift_copy_nchw<Arch, true>(args, begin, end, scratch);
}

// Output pixels [w0, w1) of one nhwc row, one copy per channel run and pixel.
template <class Arch>
void shift_pixels_by_runs(const ShiftGeometry& g, const float* image, float* out, int64_t hh,
                          int64_t w0, int64_t w1) {
  const int64_t H = g.h, W = g.w, C = g.c;
  for (int64_t ww = w0; ww < w1; ++ww) {
    for (const ChannelRun& run : g.runs) {
      int64_t sh, sw;
      float* o = out + ww * C + run.c_begin;
      const int64_t len = run.c_end - run.c_begin;
      if (source_pixel(hh, ww, run.dh, run.dw, H, W, g.boundary, &sh, &sw)) {
        copy_floats<Arch>(image + (sh * W + sw) * C + run.c_begin, o, len);
      } else {
        fill_floats<Arch>(o, len, 0.0f);
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
// ~7% at 1x192x28x28.
template <class Arch>
void copy_runs(const float* src, float* dst, int64_t n, int64_t count, int64_t stride) {
  using B = Batch<Arch>;
  const int64_t tail = n - lanes<Arch>();  // the last vector overlaps its neighbour
  for (int64_t j = 0; j < count; ++j, src += stride, dst += stride) {
    for (int64_t i = 0; i < tail; i += lanes<Arch>()) {
      B::load_unaligned(src + i).store_unaligned(dst + i);
    }
    B::load_unaligned(src + tail).store_unaligned(dst + tail);
  }
}

// Interior pixels [w0, w1) of one nhwc row, run by run.
template <class Arch>
void shift_block_by_runs(const ShiftGeometry& g, const float* image, float* out, int64_t hh,
                         int64_t w0, int64_t w1) {
  const int64_t C = g.c;
  for (const ChannelRun& run : g.runs) {
    const int64_t len = run.c_end - run.c_begin;
    const float* base = row_source(g, image, hh, run.dh, run.dw);
    float* o = out + w0 * C + run.c_begin;
    if (!base) {
      for (int64_t ww = w0; ww < w1; ++ww, o += C) fill_floats<Arch>(o, len, 0.0f);
      continue;
    }
    const float* s = base + w0 * C + run.c_begin;
    if (len < lanes<Arch>()) {
      for (int64_t ww = w0; ww < w1; ++ww, s += C, o += C) copy_floats<Arch>(s, o, len);
    } else {
      copy_runs<Arch>(s, o, len, w1 - w0, C);
    }
  }
}

// Floats in a 64-byte cache line, and how far ahead the pixel loop prefetches: the
// row kPrefetchRows below the first-use row, kPrefetchPixels pixels on. Measured
// (quad, 1 thread, x memcpy): 32x64x32x32 0.84-0.87 without prefetch, 0.86-0.92 at
// 0 rows, 0.94-0.97 at 3 rows; 8x96x56x56 0.69-0.87, 0.69-0.80, 0.76-0.89.
constexpr int64_t kLineFloats = 16;
constexpr int64_t kPrefetchPixels = 8;
constexpr int64_t kPrefetchRows = 3;

// Vectors per pixel up to which the pixel order applies (kPixelOrderMaxChannels bounds
// the floats). Quad, 1 thread, x memcpy, Zen 4, pixel order against runs: avx2 at 96
// channels (12 vectors) 0.84 / 0.76 (1x96x56x56), 0.85 / 0.60 (8x96x56x56); sse2 at 48
// channels 0.80 / 0.68.
constexpr int64_t kMaxPixelVectors = 12;

template <class Arch>
constexpr int max_pixel_vectors() {
  return static_cast<int>(std::min(kMaxPixelVectors, kPixelOrderMaxChannels / lanes<Arch>()));
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
// output rows at once, column by column. A source line such a vector reads for output
// row y is read again for row y + |dh_a - dh_b|; in row order that second read comes
// after rows of traffic past L1 (32 KiB), in the interleaved order a few pixels later.
// Quad, Zen 4, avx512f, time in row order / interleaved (same process): 8x96x56x56 1.01-1.08
// at 1 thread, 1.04 at 2; 1x96x56x56 1.03-1.04; 1x48x112x112 1.19; 8x48x48x48 1.09;
// 32x96x28x28 1.04; with rows of 8 KiB or less, 16x96x21x21 0.97-0.98, 16x96x14x14 0.96.
// 2 rows at once (no line is re-read within a block): 1x96x56x56 0.95, 8x96x56x56 0.94 at
// 2 threads; 6 and 8 rows: 8x96x56x56 0.96-1.035 and 0.86-0.88 at 2 threads.
constexpr int64_t kInterleavedRows = 4;
constexpr int64_t kInterleaveRowBytes = 8192;

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
    using M = xsimd::batch_bool<float, Arch>;
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
          const M mask = a_out && b_out ? M(true) : a_out ? !second[k] : second[k];
          fixes[fix_count++] = {at + k * V, mask};
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
};

// Pixels [w0, w1) of nhwc output row hh, lane-wise: each run's lanes take the source
// pixel where it is inside the image, else the boundary value (zero or keep).
template <class Arch>
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
      v.store_unaligned(out_row + ww * C + c0);
    }
  }
}

// Asks for every line of p[0, n) into L2.
inline void prefetch_lines(const float* p, int64_t n) {
  for (int64_t i = 0; i < n; i += kLineFloats) __builtin_prefetch(p + i, 0, 2);
}

// Where the vectors of the pixels of a pixel-order loop come from: vector k of flat
// pixel p takes a[k] + p * C, or where the slots' split has bit k under mask second[k]
// from b[k] + p * C (a and b hold the displacement of the run and the vector's first
// channel).
struct PixelSources {
  const float* a[kMaxPixelVectors];
  const float* b[kMaxPixelVectors];
};

// Rows [hh0, hh1) of one image for a pixel-order loop. Prefetched loops: pixel p asks
// for the lines of prefetch + p * C, up to flat pixel prefetch_end.
template <class Arch>
struct PixelRows {
  const ShiftGeometry* g;
  const PixelSlots<Arch>* slots;
  PixelSources src;
  const float* image;
  float* out;
  int64_t hh0, hh1;
  const float* prefetch;
  int64_t prefetch_end;
};

// How a pixel loop stores: plainly, plainly asking for lines ahead (PixelRows), or with
// streaming stores (output aligned to the vector).
enum class PixelStores { plain, prefetched, streamed };

// A Split template argument that means: test the slots' split per vector.
constexpr unsigned kSplitAtRunTime = ~0u;

// Vectors per pixel up to which the plain loop is built once per pattern of split
// vectors (2^K loops per K, 126 in all). With K and Split constant the pointers and
// masks stay in registers and the loop has no branch: a pixel is its loads, then its K
// stores. 1x96x56x56 quad, 1 thread, x memcpy: 0.80 for the earlier loop, which tested
// per vector (and spilled its pointers), 0.86 with Split constant; loading every vector
// twice instead (b[k] = a[k] where not split): 0.78.
// Beyond the caches the test costs nothing (8x96x56x56 streamed: 0.93-0.98 tested,
// 0.93-0.99 constant), so the prefetched and streamed loops test.
constexpr int kSplitLoopVectors = 6;

// Rows [hh0, hh1) of one image, K vectors per pixel (C = K * V floats); the first row's
// left edge and the last row's right edge are the caller's.
// Plain and prefetched: the rows run as one flat sequence of pixels (or, where
// slots->interleave_rows, kInterleavedRows rows at once, column by column), which reads
// the neighbouring row where a run's source column is outside; those lanes of the edge
// pixels (slots->fixes) are rewritten right after, while in L1. One call for all the
// rows keeps the loop going across rows: a call per row, with the edges fixed run by
// run, cost 2-3% at 1x96x56x56 quad (0.85-0.86 -> 0.87-0.89 x memcpy, 1 thread).
// Streamed: the lines of an output streamed out are not written again, so the edge
// pixels of each row are written lane-wise and the pixels between them streamed.
template <class Arch, int K, unsigned Split, PixelStores Stores>
void pixel_rows(const PixelRows<Arch>& r) {
  using B = Batch<Arch>;
  constexpr int64_t V = lanes<Arch>(), C = K * V;
  const ShiftGeometry& g = *r.g;
  const int64_t W = g.w, edge = g.pad_w;
  const float* a[K];
  const float* b[K];
  xsimd::batch_bool<float, Arch> mask[K];
  for (int k = 0; k < K; ++k) a[k] = r.src.a[k], b[k] = r.src.b[k], mask[k] = r.slots->second[k];
  const unsigned split = Split == kSplitAtRunTime ? r.slots->split : Split;
  // Locals: a vector store may alias any object, so a field would be reloaded after it.
  float* const out = r.out;
  const float* const image = r.image;
  const float* const prefetch = r.prefetch;
  // The pixel at flat float offset at; Ahead: asking for the lines of prefetch.
  auto pixel = [&](int64_t at, auto ahead) {
    if constexpr (decltype(ahead)::value) prefetch_lines(prefetch + at, C);
    B v[K];
    for (int k = 0; k < K; ++k) {
      v[k] = B::load_unaligned(a[k] + at);
      if ((split >> k) & 1u) v[k] = xsimd::select(mask[k], B::load_unaligned(b[k] + at), v[k]);
    }
    for (int k = 0; k < K; ++k) {
      if constexpr (Stores == PixelStores::streamed) {
        store_streaming<Arch>(v[k], out + at + k * V);
      } else {
        v[k].store_unaligned(out + at + k * V);
      }
    }
  };
  // Flat pixels [p0, p1).
  auto pixels = [&](int64_t p0, int64_t p1, auto ahead) {
    for (int64_t at = p0 * C; at < p1 * C; at += C) pixel(at, ahead);
  };
  if constexpr (Stores == PixelStores::streamed) {
    for (int64_t hh = r.hh0; hh < r.hh1; ++hh) {
      float* row = out + hh * W * C;
      if (hh > r.hh0) pixels_lanewise<Arch>(g, *r.slots, image, row, hh, 0, edge);
      pixels(hh * W + edge, hh * W + W - edge, std::false_type());
      if (hh + 1 < r.hh1) pixels_lanewise<Arch>(g, *r.slots, image, row, hh, W - edge, W);
    }
  } else {
    const bool keep = g.boundary == Boundary::keep;
    const EdgeFix<Arch>* const fixes = r.slots->fixes;
    const int64_t fix_count = r.slots->fix_count, hh1 = r.hh1, prefetch_end = r.prefetch_end;
    const B zero(0.0f);
    // Rewrites the lanes of row hh's right edge and row hh + 1's left edge whose source
    // is outside.
    auto fix_edges = [&](int64_t hh) {
      const int64_t row = hh * W * C;
      for (int64_t i = 0; i < fix_count; ++i) {
        const EdgeFix<Arch>& fix = fixes[i];
        float* o = out + row + fix.at;
        const B value = keep ? B::load_unaligned(image + row + fix.at) : zero;
        xsimd::select(fix.mask, value, B::load_unaligned(o)).store_unaligned(o);
      }
    };
    int64_t hh = r.hh0;
    if (r.slots->interleave_rows) {
      const int64_t row = W * C;
      // Rows [h, h + kInterleavedRows): their interiors column by column, then their edges.
      auto block = [&](int64_t h, auto ahead) {
        for (int64_t at = (h * W + edge) * C; at < (h * W + W - edge) * C; at += C) {
          for (int64_t i = 0; i < kInterleavedRows; ++i) pixel(at + i * row, ahead);
        }
        for (int64_t i = 0; i < kInterleavedRows && h + i + 1 < hh1; ++i) {
          pixels((h + i + 1) * W - edge, (h + i + 1) * W + edge, ahead);
          fix_edges(h + i);
        }
      };
      for (; hh + kInterleavedRows <= hh1; hh += kInterleavedRows) {
        if (Stores == PixelStores::prefetched &&
            (hh + kInterleavedRows) * W + edge <= prefetch_end) {
          block(hh, std::true_type());
        } else {
          block(hh, std::false_type());
        }
      }
    }
    for (; hh < hh1; ++hh) {
      // Flat pixel p = hh * W + ww: row hh's part runs from its pixel edge to the next
      // row's pixel edge.
      const int64_t p0 = hh * W + edge, p1 = std::min(hh1 * W - edge, p0 + W);
      int64_t p = p0;
      if constexpr (Stores == PixelStores::prefetched) {
        p = std::clamp(prefetch_end, p0, p1);
        pixels(p0, p, std::true_type());
      }
      pixels(p, p1, std::false_type());
      if (hh + 1 < hh1) fix_edges(hh);
    }
  }
}

template <class Arch>
using PixelRowsLoop = void (*)(const PixelRows<Arch>&);

// The loops for pixels of one vector count and split pattern.
template <class Arch>
struct PixelLoops {
  PixelRowsLoop<Arch> plain, prefetched, streamed;
};

template <class Arch, int K, unsigned... Split>
PixelRowsLoop<Arch> plain_loop(unsigned split, std::integer_sequence<unsigned, Split...>) {
  static constexpr PixelRowsLoop<Arch> table[] = {
      &pixel_rows<Arch, K, Split, PixelStores::plain>...};
  return table[split];
}

template <class Arch, int K>
PixelLoops<Arch> loops_for(unsigned split) {
  PixelLoops<Arch> l;
  if constexpr (K <= kSplitLoopVectors) {
    l.plain = plain_loop<Arch, K>(split, std::make_integer_sequence<unsigned, (1u << K)>());
  } else if (split == 0) {  // no masks: avx2 1x96x56x56 quad 0.85 x memcpy, 0.79 testing
    l.plain = &pixel_rows<Arch, K, 0, PixelStores::plain>;
  } else {
    l.plain = &pixel_rows<Arch, K, kSplitAtRunTime, PixelStores::plain>;
  }
  l.prefetched = &pixel_rows<Arch, K, kSplitAtRunTime, PixelStores::prefetched>;
  l.streamed = &pixel_rows<Arch, K, kSplitAtRunTime, PixelStores::streamed>;
  return l;
}

template <class Arch, int... K>
PixelLoops<Arch> pick_pixel_loops(int64_t count, unsigned split, std::integer_sequence<int, K...>) {
  static constexpr PixelLoops<Arch> (*table[])(unsigned) = {&loops_for<Arch, K + 1>...};
  assert(count >= 1 && count <= static_cast<int64_t>(sizeof...(K)));
  return table[count - 1](split);
}

// Rows [hh0, hh1) of one image (zero or keep boundary) whose source rows are inside or
// outside for the same runs, pixel by pixel in whole vectors (pixel_rows). A run whose
// source row is outside reads zeros (kZeroRow) or the pixel's own value. Streaming:
// output aligned to the vector.
template <class Arch, bool Streaming>
void rows_by_vectors(const ShiftGeometry& g, const PixelSlots<Arch>& ps, const float* image,
                     float* out, int64_t hh0, int64_t hh1, const float* prefetch) {
  constexpr int64_t V = lanes<Arch>();
  const int64_t H = g.h, W = g.w, C = g.c, edge = g.pad_w;
  const bool keep = g.boundary == Boundary::keep;
  assert(ps.ok);
  const PixelLoops<Arch> loops = pick_pixel_loops<Arch>(
      ps.count, ps.split, std::make_integer_sequence<int, max_pixel_vectors<Arch>()>());
  PixelRows<Arch> rows{&g, &ps, {}, image, out, hh0, hh1, nullptr, 0};
  for (int64_t k = 0; k < ps.count; ++k) {
    // Pointers for flat pixel p = hh * W + ww: its lanes of the run are at p * C.
    auto source = [&](const ChannelRun* run) {
      const int64_t hs = hh0 - run->dh;
      if (hs >= 0 && hs < H)
        return image - (static_cast<int64_t>(run->dh) * W + run->dw) * C + k * V;
      return keep ? image + k * V : kZeroRow - hh0 * W * C + k * V;
    };
    rows.src.a[k] = source(ps.a[k]), rows.src.b[k] = source(ps.b[k]);
  }
  if (prefetch) {
    // Pixel p asks for pixel p + kPrefetchPixels of the row kPrefetchRows below its
    // first-use row, up to the last pixel of the image.
    rows.prefetch = prefetch + (kPrefetchRows * W + kPrefetchPixels) * C;
    rows.prefetch_end = (H - g.pad_h - kPrefetchRows) * W - kPrefetchPixels;
  }
  pixels_lanewise<Arch>(g, ps, image, out + hh0 * W * C, hh0, 0, edge);
  if constexpr (Streaming) {
    loops.streamed(rows);
  } else if (prefetch) {
    loops.prefetched(rows);
  } else {
    loops.plain(rows);
  }
  pixels_lanewise<Arch>(g, ps, image, out + (hh1 - 1) * W * C, hh1 - 1, W - edge, W);
}

// Output row hh is the first to read source row hh + pad_h, and reads only some lines
// of each of its pixels, in an order the hardware prefetchers do not follow: a thread
// running alone on a large tensor fetches that row into L2 ahead of use. With more
// threads streaming, the shared bandwidth binds and the extra fills cost more than they
// hide (quad, x memcpy, Zen 4: 8x96x56x56 2 threads 0.74-0.83 with, 0.80-0.89 without).
// Null: no prefetch.
inline const float* first_use_rows(const ShiftArgs& args, const float* image) {
  const ShiftGeometry& g = *args.g;
  const int64_t bytes = g.elements() * static_cast<int64_t>(sizeof(float));
  const bool ahead = args.row_prefetch && copy_prefetches_rows(bytes, args.threads);
  return ahead ? image + g.pad_h * g.w * g.c : nullptr;
}

// Rows [begin, end) of n*h in pixel order (zero or keep boundary): rows whose every
// source row is inside as one flat loop, the pad_h rows at the top and bottom of an
// image one by one.
template <class Arch, bool Streaming>
void shift_rows_pixel_order(const ShiftArgs& args, const PixelSlots<Arch>& slots, int64_t begin,
                            int64_t end) {
  const ShiftGeometry& g = *args.g;
  const int64_t H = g.h, row = g.w * g.c;
  for (int64_t r = begin; r < end;) {
    const int64_t n = r / H, hh = r % H;
    const float* image = args.src + n * H * row;
    const bool inside = hh >= g.pad_h && hh < H - g.pad_h;
    const int64_t hh_end = inside ? std::min(H - g.pad_h, hh + (end - r)) : hh + 1;
    rows_by_vectors<Arch, Streaming>(g, slots, image, args.dst + n * H * row, hh, hh_end,
                                     first_use_rows(args, image));
    r += hh_end - hh;
  }
}

// Streaming: non-temporal stores where the pixel order applies and the output is
// aligned to the vector; elsewhere the same as without.
template <class Arch, bool Streaming = false>
void shift_copy_nhwc(const ShiftArgs& args, int64_t begin, int64_t end, float*) {
  const ShiftGeometry& g = *args.g;
  if (g.nhwc_pixel_order && (g.boundary == Boundary::zero || g.boundary == Boundary::keep)) {
    const PixelSlots<Arch> slots(g);
    if (slots.ok && Streaming && floats_past_alignment<Arch>(args.dst) == 0) {
      shift_rows_pixel_order<Arch, true>(args, slots, begin, end);
      streaming_fence();
      return;
    }
    if (slots.ok) {
      shift_rows_pixel_order<Arch, false>(args, slots, begin, end);
      return;
    }
  }
  const int64_t H = g.h, W = g.w, C = g.c, row = W * C;
  const int64_t edge = std::min<int64_t>(g.pad_w, W);  // pixels whose column source may be outside
  // Interior blocks of ~8 KiB of output stay in L1 while every run adds its channels.
  const int64_t block = std::max<int64_t>(1, 2048 / C);
  for (int64_t r = begin; r < end; ++r) {
    const int64_t n = r / H, hh = r % H;
    const float* image = args.src + n * H * row;
    float* out = args.dst + r * row;
    if (W <= 2 * edge) {
      shift_pixels_by_runs<Arch>(g, image, out, hh, 0, W);
      continue;
    }
    shift_pixels_by_runs<Arch>(g, image, out, hh, 0, edge);
    const float* first_use = first_use_rows(args, image);
    if (first_use && hh + g.pad_h + 2 < H) prefetch_lines(first_use + (hh + 2) * row, row);
    for (int64_t b = edge; b < W - edge; b += block) {
      shift_block_by_runs<Arch>(g, image, out, hh, b, std::min(W - edge, b + block));
    }
    shift_pixels_by_runs<Arch>(g, image, out, hh, W - edge, W);
  }
}

template <class Arch>
void shift_copy_nt_nhwc(const ShiftArgs& args, int64_t begin, int64_t end, float* scratch) {
  shift_copy_nhwc<Arch, true>(args, begin, end, scratch);
}

}  // namespace shiftnn::kernels::simd
