#pragma once
// Strategy `copy` (SPEC §2, the seed's slice indexing) in nchw: a run of channels with
// one displacement is one flat offset copy with its border lanes masked.
#include <algorithm>
#include <cassert>
#include <cstdint>
#include <type_traits>

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
  // All bits set in the lanes inside: a zero fill is then an and, not a zero-masking load (those
  // ran 1.5-2.5x slower than a plain load and a blend beyond L2 on Zen 5, family 0x1a).
  I inside_bits() const { return xsimd::select(inside(), I(-1), I(0)); }

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
    if constexpr (Keep) {
      auto in = xsimd::batch_bool<int32_t, Arch>(true);
      if (Rows) in = q.inside();
      if (Cols) in = in && c.inside();
      // Rows only: outside lanes lie in |dh| whole rows of each plane, so the branch is
      // predicted and the second load runs only there (keep 8x96x56x56, 2 threads,
      // Zen 5: 157-165 -> 138-150 us). Columns: a load of the same lines, kept.
      if (Rows && !Cols && xsimd::all(in)) return x;
      return xsimd::bitwise_cast<B>(xsimd::select(
          in, xsimd::bitwise_cast<I>(x), xsimd::bitwise_cast<I>(B::load_unaligned(src + at))));
    } else {
      I in = I(-1);
      if (Rows) in = in & q.inside_bits();
      if (Cols) in = in & c.inside_bits();
      return xsimd::bitwise_cast<B>(xsimd::bitwise_cast<I>(x) & in);
    }
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

// dst[x, x + n) = Keep ? src[x, x + n) : 0 for a span within [b, e), the caller's work
// of at least a vector (elements). A span shorter than a vector rewrites a whole vector
// of [b, e) with only its lanes replaced: one 7-float row of each 7x7 plane stored float
// by float cost as much as the long copy of the run (1x768x7x7).
template <class Arch, bool Keep>
void rewrite_span(const float* src, float* dst, int64_t x, int64_t n, [[maybe_unused]] int64_t b,
                  int64_t e) {
  using B = Batch<Arch>;
  constexpr int64_t V = lanes<Arch>();
  if (n >= V) {
    if constexpr (Keep) {
      copy_floats<Arch>(src + x, dst + x, n);
    } else {
      fill_floats<Arch>(dst + x, n, 0.0f);
    }
    return;
  }
  const int64_t at = x + V <= e ? x : x + n - V;
  assert(at >= b);
  const B lane = B::load_aligned(kLaneIndex);
  const auto in_span =
      lane >= B(static_cast<float>(x - at)) && lane < B(static_cast<float>(x - at + n));
  const B fresh = Keep ? B::load_unaligned(src + at) : B(0.0f);
  xsimd::select(in_span, fresh, B::load_unaligned(dst + at)).store_unaligned(dst + at);
}

// row_shifted_copy needs planes of this many floats: memcpy leaves its output in L2, so
// each border rewritten after it costs a store to a line not in L1 (~1 ns, Zen 5), which
// 7x7 planes do not earn back. 192 7x7 / 96 14x14 planes moved by one row, memcpy and a
// masked store per plane, ns: 500 / 890, a vector loop 490 / 1040, memcpy alone 320 / 820.
constexpr int64_t kRowShiftedCopyMinPlane = 128;

// A run displaced along rows only, zero or keep, over planes [b, e) (elements): one long
// copy of everything whose source lies in the run, then the |dh| rows of each plane
// whose source lies outside it rewritten. The long copy is memcpy (copy_floats), which
// masked_flat_copy's vector stores cannot match in L2 on Zen 5.
template <class Arch, bool Keep>
void row_shifted_copy(const float* src, float* dst, int64_t b, int64_t e, int64_t off,
                      const SourceWindow& win) {
  if (win.q_lo < win.q_hi) {  // else |dh| >= h: the borders are the whole planes
    const int64_t lo = b + win.q_lo, hi = e - (win.plane - win.q_hi);
    copy_floats<Arch>(src + lo - off, dst + lo, hi - lo);
  }
  for (int64_t p = b; p < e; p += win.plane) {
    if (win.q_lo > 0) rewrite_span<Arch, Keep>(src, dst, p, win.q_lo, b, e);
    if (win.q_hi < win.plane) {
      rewrite_span<Arch, Keep>(src, dst, p + win.q_hi, win.plane - win.q_hi, b, e);
    }
  }
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
        } else if (run.dw == 0 && !Streaming && P >= kRowShiftedCopyMinPlane &&
                   (p_end - p) * P >= kLongCopyMinFloats) {
          row_shifted_copy<Arch, decltype(keep_c)::value>(src, dst, p * P, p_end * P, off, win);
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

}  // namespace shiftnn::kernels::simd
