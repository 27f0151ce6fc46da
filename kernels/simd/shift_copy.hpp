#pragma once
// Strategy `copy` (SPEC §2, the seed's slice indexing): direct shifted copies.
#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstdlib>

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
  bool inside(int64_t i) const {
    const int64_t q = i % plane, c = i % w;
    return q >= q_lo && q < q_hi && c >= c_lo && c < c_hi;
  }
};

alignas(64) constexpr int32_t kLaneIndexI[kMaxVectorFloats] = {0, 1, 2,  3,  4,  5,  6,  7,
                                                               8, 9, 10, 11, 12, 13, 14, 15};

// Whether the lanes of a vector lie in a window [lo, hi) of positions modulo a period
// (elements), moved on by a fixed stride without a division: the stride is reduced
// below the period, so one subtraction wraps. Positions are counted from hi, which
// turns the window into [period - (hi - lo), period): one compare. In registers, as
// a mask table loaded from L1 next to the streamed source costs ~20% (1x96x56x56, Zen 4).
template <class Arch>
struct LanePhase {
  using I = xsimd::batch<int32_t, Arch>;
  I at;
  int32_t stride, period, from;

  LanePhase(int64_t first, int64_t stride_, int64_t period_, int64_t lo, int64_t hi)
      : stride(static_cast<int32_t>(stride_ % period_)),
        period(static_cast<int32_t>(period_)),
        from(static_cast<int32_t>(period_ - (hi - lo))) {
    alignas(64) int32_t lanes_at[kMaxVectorFloats];
    int64_t a = ((first - hi) % period_ + period_) % period_;
    for (int64_t l = 0; l < lanes<Arch>(); ++l, a = a + 1 == period_ ? 0 : a + 1) {
      lanes_at[l] = static_cast<int32_t>(a);
    }
    at = I::load_aligned(lanes_at);
  }
  void advance() {
    at += I(stride);
    at = xsimd::select(at >= I(period), at - I(period), at);
  }
  auto inside() const { return at >= I(from); }
};

// out[i] = window.inside(i) ? src[i - off] : (keep ? src[i] : 0) for i in [b, e): a run
// of planes with one displacement is one flat offset copy, whose positions outside
// the window are exactly those whose flat source crosses a row or plane edge, so 7x7
// planes still move in whole vectors. Rows/Cols: whether dh/dw are non-zero (the
// other range is everything). Four vectors are loaded before they are stored (one at
// a time runs at 0.85x memcpy) and the stores are aligned. total: elements of src.
template <class Arch, bool Keep, bool Streaming, bool Rows, bool Cols>
void masked_flat_copy(const float* src, float* dst, int64_t b, int64_t e, int64_t off,
                      int64_t total, const SourceWindow& win) {
  using B = Batch<Arch>;
  using I = xsimd::batch<int32_t, Arch>;
  constexpr int64_t V = lanes<Arch>();
  assert(win.plane <= (int64_t{1} << 30));  // int32 phases reach twice the period
  // Vectors need src[i - off, i - off + V) inside [0, total).
  int64_t i = b;
  const int64_t vb = std::clamp(off, b, e), ve = std::min(e, total + off);
  const auto misaligned =
      static_cast<int64_t>(reinterpret_cast<uintptr_t>(dst + vb) / sizeof(float)) % V;
  auto scalar = [&](int64_t end) {
    for (; i < end; ++i) dst[i] = win.inside(i) ? src[i - off] : (Keep ? src[i] : 0.0f);
  };
  scalar(std::min(ve, vb + (V - misaligned) % V));
  auto shifted = [&](int64_t at, const LanePhase<Arch>& q, const LanePhase<Arch>& c) {
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
  if (i + 4 * V <= ve) {
    // Four independent phases, one per vector of the group, each moved on by 4V.
    auto rows = [&](int64_t at) {
      return LanePhase<Arch>(at, 4 * V, win.plane, win.q_lo, win.q_hi);
    };
    auto cols = [&](int64_t at) { return LanePhase<Arch>(at, 4 * V, win.w, win.c_lo, win.c_hi); };
    LanePhase<Arch> q0 = rows(i), q1 = rows(i + V), q2 = rows(i + 2 * V), q3 = rows(i + 3 * V);
    LanePhase<Arch> c0 = cols(i), c1 = cols(i + V), c2 = cols(i + 2 * V), c3 = cols(i + 3 * V);
    for (; i + 4 * V <= ve; i += 4 * V) {
      const B y0 = shifted(i, q0, c0), y1 = shifted(i + V, q1, c1), y2 = shifted(i + 2 * V, q2, c2),
              y3 = shifted(i + 3 * V, q3, c3);
      store(y0, i), store(y1, i + V), store(y2, i + 2 * V), store(y3, i + 3 * V);
      if (Rows) q0.advance(), q1.advance(), q2.advance(), q3.advance();
      if (Cols) c0.advance(), c1.advance(), c2.advance(), c3.advance();
    }
  }
  LanePhase<Arch> q(i, V, win.plane, win.q_lo, win.q_hi), c(i, V, win.w, win.c_lo, win.c_hi);
  for (; i + V <= ve; i += V) {
    store(shifted(i, q, c), i);
    if (Rows) q.advance();
    if (Cols) c.advance();
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

// Lane indices as floats, for lane masks.
alignas(64) constexpr float kLaneIndex[kMaxVectorFloats] = {0, 1, 2,  3,  4,  5,  6,  7,
                                                            8, 9, 10, 11, 12, 13, 14, 15};

// Streaming: non-temporal stores for outputs beyond the last-level cache. Rows are
// then not shifted one by one (their vectors are not aligned) but as masked flat
// copies, whose stores are.
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
    for (int64_t ww = w0; ww < w1; ++ww, s += C, o += C) copy_floats<Arch>(s, o, len);
  }
}

// Vectors per pixel beyond which shift_row_by_vectors declines.
constexpr int64_t kMaxPixelVectors = 64;

// Floats in a 64-byte cache line, and how far ahead (pixels) the interior prefetches.
constexpr int64_t kLineFloats = 16;
constexpr int64_t kPrefetchPixels = 8;

// Asks for every line of p[0, n) into L2.
inline void prefetch_lines(const float* p, int64_t n) {
  for (int64_t i = 0; i < n; i += kLineFloats) __builtin_prefetch(p + i, 0, 2);
}

// Interior pixels [w0, w1) of a row whose pixels are exactly K vectors, all sources
// inside: slot k's lanes come from a[k] + w * C, or under mask second[k] from
// b[k] + w * C (a and b already offset to the slot's first channel). With K a
// constant the slots stay in registers, so a pixel is its loads, then its K stores
// (measured on Zen 4, 8x96x56x56 quad: 0.68x memcpy against 0.57x for the loop over slots).
template <class Arch, int K>
void interior_fixed(const float* const* a_in, const float* const* b_in, const bool* two_in,
                    const xsimd::batch_bool<float, Arch>* second_in, float* out, int64_t C,
                    int64_t w0, int64_t w1, const float* prefetch_row, int64_t w) {
  using B = Batch<Arch>;
  constexpr int64_t V = lanes<Arch>();
  const float* a[K];
  const float* b[K];
  bool two[K];
  xsimd::batch_bool<float, Arch> second[K];
  for (int k = 0; k < K; ++k)
    a[k] = a_in[k], b[k] = b_in[k], two[k] = two_in[k], second[k] = second_in[k];
  for (int64_t ww = w0; ww < w1; ++ww) {
    if (prefetch_row) prefetch_lines(prefetch_row + std::min(ww + kPrefetchPixels, w - 1) * C, C);
    const int64_t at = ww * C;
    B v[K];
    for (int k = 0; k < K; ++k) {
      v[k] = B::load_unaligned(a[k] + at);
      if (two[k]) v[k] = xsimd::select(second[k], B::load_unaligned(b[k] + at), v[k]);
    }
    for (int k = 0; k < K; ++k) v[k].store_unaligned(out + at + k * V);
  }
}

// One nhwc output row (zero or keep boundary), pixel by pixel in whole vectors: the
// channel runs of a pixel repeat at every pixel, so vector k of each pixel takes the
// same one or two runs under the same lane mask. Every output line is written once,
// in order. Edge pixels, where a run's source column is outside, take the boundary
// value lane-wise. False (nothing written) when a vector would span three runs, a
// pixel holds more than kMaxPixelVectors vectors, or the boundary is another.
template <class Arch>
bool shift_row_by_vectors(const ShiftGeometry& g, const float* image, float* out, int64_t hh,
                          const float* prefetch_row) {
  using B = Batch<Arch>;
  constexpr int64_t V = lanes<Arch>();
  const int64_t C = g.c, W = g.w, count = (C + V - 1) / V;
  const bool keep = g.boundary == Boundary::keep;
  if (C < V || count > kMaxPixelVectors || !(keep || g.boundary == Boundary::zero)) return false;
  struct Slot {
    const float* a;  // source of the lanes of the vector's first run (nullptr: zeros)
    const float* b;  // source of the lanes of its second run, if it has one
    int32_t dw_a, dw_b;
    bool two;
    int64_t c0;  // first channel of the vector; the last vector overlaps its neighbour
  };
  Slot slots[kMaxPixelVectors];
  xsimd::batch_bool<float, Arch> second[kMaxPixelVectors];
  const B lane = B::load_unaligned(kLaneIndex);
  bool inside = true;  // no source row outside the image
  for (int64_t k = 0; k < count; ++k) {
    const int64_t c0 = std::min(k * V, C - V);
    const ChannelRun& ra = run_of(g, c0);
    const ChannelRun& rb = run_of(g, c0 + V - 1);
    if (&rb != &ra && rb.c_begin != ra.c_end) return false;
    slots[k] = {row_source(g, image, hh, ra.dh, ra.dw),
                row_source(g, image, hh, rb.dh, rb.dw),
                ra.dw,
                rb.dw,
                &rb != &ra,
                c0};
    inside = inside && slots[k].a && slots[k].b;
    second[k] = lane + B(static_cast<float>(c0)) >= B(static_cast<float>(rb.c_begin));
  }
  // Pixels [edge, W - edge) read every source column inside.
  const int64_t edge = std::min<int64_t>(g.pad_w, (W + 1) / 2);
  const float* own = image + hh * W * C;
  auto load = [&](const float* base, int32_t dw, int64_t ww, int64_t at) {
    const int64_t ws = ww - dw;
    if (ws < 0 || ws >= W) return keep ? B::load_unaligned(own + at) : B(0.0f);
    return base ? B::load_unaligned(base + at) : B(0.0f);
  };
  auto pixels = [&](int64_t w0, int64_t w1) {
    for (int64_t ww = w0; ww < w1; ++ww) {
      for (int64_t k = 0; k < count; ++k) {
        const Slot& sl = slots[k];
        const int64_t at = ww * C + sl.c0;
        B v = load(sl.a, sl.dw_a, ww, at);
        if (sl.two) v = xsimd::select(second[k], load(sl.b, sl.dw_b, ww, at), v);
        v.store_unaligned(out + at);
      }
    }
  };
  pixels(0, edge);
  if (inside && C % V == 0 && count <= 8) {
    const float* a[8];
    const float* b[8];
    bool two[8];
    for (int64_t k = 0; k < count; ++k) {
      a[k] = slots[k].a + slots[k].c0, b[k] = slots[k].b + slots[k].c0, two[k] = slots[k].two;
    }
    auto run = [&](auto k_const) {
      interior_fixed<Arch, decltype(k_const)::value>(a, b, two, second, out, C, edge, W - edge,
                                                     prefetch_row, W);
    };
    switch (count) {
      case 1:
        run(std::integral_constant<int, 1>());
        break;
      case 2:
        run(std::integral_constant<int, 2>());
        break;
      case 3:
        run(std::integral_constant<int, 3>());
        break;
      case 4:
        run(std::integral_constant<int, 4>());
        break;
      case 5:
        run(std::integral_constant<int, 5>());
        break;
      case 6:
        run(std::integral_constant<int, 6>());
        break;
      case 7:
        run(std::integral_constant<int, 7>());
        break;
      default:
        run(std::integral_constant<int, 8>());
        break;
    }
  } else {
    pixels(edge, W - edge);
  }
  pixels(std::max(edge, W - edge), W);
  return true;
}

// Tensors above this size (bytes) are assumed to stream from L3 or DRAM.
constexpr int64_t kCachedBytes = int64_t{4} << 20;

template <class Arch>
void shift_copy_nhwc(const ShiftArgs& args, int64_t begin, int64_t end, float*) {
  const ShiftGeometry& g = *args.g;
  const int64_t H = g.h, W = g.w, C = g.c, row = W * C;
  const int64_t edge = std::min<int64_t>(g.pad_w, W);  // pixels whose column source may be outside
  // Interior blocks of ~8 KiB of output stay in L1 while every run adds its channels.
  const int64_t block = std::max<int64_t>(1, 2048 / C);
  const int64_t bytes = g.elements() * static_cast<int64_t>(sizeof(float));
  const bool prefetch = bytes > kCachedBytes;
  for (int64_t r = begin; r < end; ++r) {
    const int64_t n = r / H, hh = r % H;
    const float* image = args.src + n * H * row;
    float* out = args.dst + r * row;
    // Beyond the caches, output row hh is the first to read source row hh + pad_h, and
    // reads only some lines of each of its pixels, in an order the hardware prefetchers
    // do not follow: the whole row is fetched into L2 ahead of use.
    const float* first_use = prefetch && hh + g.pad_h < H ? image + (hh + g.pad_h) * row : nullptr;
    if (g.nhwc_pixel_order && shift_row_by_vectors<Arch>(g, image, out, hh, first_use)) continue;
    if (W <= 2 * edge) {
      shift_pixels_by_runs<Arch>(g, image, out, hh, 0, W);
      continue;
    }
    shift_pixels_by_runs<Arch>(g, image, out, hh, 0, edge);
    if (first_use && hh + 2 < H) prefetch_lines(first_use + 2 * row, row);
    for (int64_t b = edge; b < W - edge; b += block) {
      shift_block_by_runs<Arch>(g, image, out, hh, b, std::min(W - edge, b + block));
    }
    shift_pixels_by_runs<Arch>(g, image, out, hh, W - edge, W);
  }
}

}  // namespace shiftnn::kernels::simd
