#pragma once
// The pixel-order loops of the nhwc copy: rows of an image as one flat sequence of
// pixels in whole vectors, plain, prefetched or streamed.
#include <algorithm>
#include <cassert>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "kernels/kernel_table.hpp"
#include "kernels/simd/nhwc_pixel_slots.hpp"
#include "kernels/simd/vector_ops.hpp"

namespace shiftnn::kernels::simd {

// How far ahead the pixel loop prefetches: the row kPrefetchRows below the first-use
// row, kPrefetchPixels pixels on. Measured (quad, 1 thread, x memcpy): 32x64x32x32
// 0.84-0.87 without prefetch, 0.86-0.92 at 0 rows, 0.94-0.97 at 3 rows; 8x96x56x56
// 0.69-0.87, 0.69-0.80, 0.76-0.89.
constexpr int64_t kPrefetchPixels = 8;
constexpr int64_t kPrefetchRows = 3;

// Where the runs read several source rows (quad), a row's lines are first read in
// three sweeps a row apart, back and forth across neighbouring pixels, which the L1
// prefetchers do not follow. Where copy_prefetches_pixels, each pixel asks for the lines
// of its sources this many bytes on into L1 (every vector starting a line, and the
// second part of a split one). 8x96x56x56 / 32x64x32x32 quad, 1 thread, x memcpy, at
// 2 / 4 / 6 / 8 KiB: 0.85-0.89 / 0.89-0.90 / 0.88 / 0.90, and 1.00 / 1.02 / 0.98-0.99 /
// 0.90.
constexpr int64_t kPixelPrefetchBytes = 4096;

// Where the vectors of the pixels of a pixel-order loop come from: vector k of flat
// pixel p takes a[k] + p * C, or where the slots' split has bit k under mask second[k]
// from b[k] + p * C (a and b hold the displacement of the run and the vector's first
// channel).
struct PixelSources {
  const float* a[kMaxPixelVectors];
  const float* b[kMaxPixelVectors];
  // In-order loops: pixels by which the load of part a (b) of vector k runs ahead of its
  // use, 0 to kMaxLag (in_order_lags).
  int lag_a[kMaxPixelVectors] = {};
  int lag_b[kMaxPixelVectors] = {};
};

// Where one source row is read at several columns (runs with one dh and different dw,
// as quad's groups at w - 1 and w + 1), a loop in output order reads that row back and
// forth: pixel p - 1, p + 1, then p, p + 2. Beyond L2 that costs against reading it in
// order (bare loops, x memcpy, 64 channels, two vectors from w - 1 and two from w + 1,
// Zen 4: 8 MiB 2 threads 0.88-0.95, 64 MiB 0.78-0.90; in order 0.99-1.06). The in-order
// loop loads every part at its row's front (the largest -dw read from the row) and holds
// it in registers for its lag, front + dw pixels, up to kMaxLag. Only where every part
// reads that one row within kMaxLag, and above kInOrderMinBytes of tensor: with other
// rows read too (quad) it ran slower (32x64x32x32, 2 threads, x memcpy: 0.62-0.70
// against 0.68-0.76), and between L2 and 8 MiB its gain and loss vary from run to run
// (axial:3:w, 2 threads: 4x96x56x56 +2 to +5%, 8x64x56x56 -24 to +6%). docs/nhwc-copy.md.
constexpr int kMaxLag = 2;
constexpr int64_t kInOrderMinBytes = int64_t{8} << 20;

// Rows [hh0, hh1) from an image for a pixel-order loop, past its last row into the
// images after it where across_images. Prefetched loops: pixel p asks for the lines of
// prefetch + p * C, up to flat pixel prefetch_end. Plain and prefetched loops with
// pixel_prefetch: each pixel asks for its sources kPixelPrefetchBytes on.
template <class Arch>
struct PixelRows {
  const ShiftGeometry* g;
  const PixelSlots<Arch>* slots;
  PixelSources src;
  const float* image;
  float* out;
  int64_t hh0, hh1;
  bool pixel_prefetch;
  bool across_images;
  const float* prefetch = nullptr;
  int64_t prefetch_end = 0;
};

// How a pixel loop stores: plainly, plainly asking for lines ahead (PixelRows), or with
// streaming stores (output aligned to the vector), asking for lines ahead where
// PixelRows has a prefetch.
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
// slots->interleave_rows and no pixel_prefetch, kInterleavedRows rows at once, column by
// column), which reads the neighbouring row where a run's source column is outside; those
// lanes of the edge pixels (slots->fixes) are rewritten right after, while in L1. One
// call for all the rows keeps the loop going across rows: a call per row, with the edges
// fixed run by run, cost 2-3% at 1x96x56x56 quad (0.85-0.86 -> 0.87-0.89 x memcpy, 1
// thread).
// Streamed: the lines of an output streamed out are not written again, so the edge pixels
// of each row are written lane-wise and the pixels between them streamed. The edge pixels
// stream too: plain stores among streamed ones cost 10-14% on a one-pixel shift
// (64x96x56x56 nt, 1 thread, uniform:0,1: 1.41-1.42 x memcpy, streamed 1.60-1.61).
template <class Arch, int K, unsigned Split, PixelStores Stores, bool InOrder = false>
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
  // Floats ahead of a pixel's sources that its pixel prefetch asks for: a constant, so
  // the addresses are the loads' plus a displacement and take no registers.
  constexpr int64_t near = std::max<int64_t>(1, kPixelPrefetchBytes / (C * sizeof(float))) * C;
  // The pixel at flat float offset at; Ahead: asking for the lines of prefetch; Near:
  // asking for the sources `near` floats on.
  auto pixel = [&](int64_t at, auto ahead, auto near_too) {
    if constexpr (decltype(ahead)::value) prefetch_lines(prefetch + at, C);
    if constexpr (decltype(near_too)::value) {
      for (int k = 0; k < K; ++k) {
        if (k * V % kLineFloats == 0) prefetch_l1(a[k] + at + near);
        if ((split >> k) & 1u) prefetch_l1(b[k] + at + near);
      }
    }
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
    if (Stores != PixelStores::streamed && r.pixel_prefetch) {
      for (int64_t at = p0 * C; at < p1 * C; at += C) pixel(at, ahead, std::true_type());
    } else {
      for (int64_t at = p0 * C; at < p1 * C; at += C) pixel(at, ahead, std::false_type());
    }
  };
  if constexpr (Stores == PixelStores::streamed) {
    for (int64_t hh = r.hh0; hh < r.hh1; ++hh) {
      float* row = out + hh * W * C;
      if (hh > r.hh0) pixels_lanewise<Arch, true>(g, *r.slots, image, row, hh, 0, edge);
      const int64_t p0 = hh * W + edge, p1 = hh * W + W - edge;
      const int64_t p = std::clamp(r.prefetch_end, p0, p1);
      pixels(p0, p, std::true_type());
      pixels(p, p1, std::false_type());
      if (hh + 1 < r.hh1) pixels_lanewise<Arch, true>(g, *r.slots, image, row, hh, W - edge, W);
    }
  } else {
    const bool keep = g.boundary == Boundary::keep;
    const EdgeFix<Arch>* const fixes = r.slots->fixes;
    const int64_t fix_count = r.slots->fix_count, hh1 = r.hh1, prefetch_end = r.prefetch_end;
    const B zero(0.0f);
    // Across images, rows at the top and bottom of an image read the neighbouring image
    // where their source row is outside: rewrites those lanes of row hh, still in L1 or L2.
    auto fix_outside_rows = [&](int64_t hh) {
      const int64_t y = hh % g.h;
      if (!r.across_images || (y >= g.pad_h && y < g.h - g.pad_h)) return;
      const int64_t row = hh * W * C;
      for (int64_t k = 0; k < K; ++k) {
        const auto outside = lanes_outside_rows(g, *r.slots, k, y);
        if (!xsimd::any(outside)) continue;
        for (int64_t at = row + k * V; at < row + W * C; at += C) {
          const B value = keep ? B::load_unaligned(image + at) : zero;
          xsimd::select(outside, value, B::load_unaligned(out + at)).store_unaligned(out + at);
        }
      }
    };
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
    if (r.slots->interleave_rows && !r.pixel_prefetch) {
      const int64_t row = W * C;
      // Rows [h, h + kInterleavedRows): their interiors column by column, then their edges.
      auto block = [&](int64_t h, auto ahead) {
        for (int64_t at = (h * W + edge) * C; at < (h * W + W - edge) * C; at += C) {
          for (int64_t i = 0; i < kInterleavedRows; ++i)
            pixel(at + i * row, ahead, std::false_type());
        }
        for (int64_t i = 0; i < kInterleavedRows && h + i + 1 < hh1; ++i) {
          pixels((h + i + 1) * W - edge, (h + i + 1) * W + edge, ahead);
          fix_edges(h + i);
        }
        for (int64_t i = 0; i < kInterleavedRows; ++i) fix_outside_rows(h + i);
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
    if constexpr (InOrder) {
      // Part x of a pixel is loaded lag pixels ahead; x1 and x2 hold the loads for the
      // next two pixels, one select each a pixel. Separate one-dimensional arrays: GCC
      // kept held loads of a two-dimensional one on the stack, a store and a load per
      // part and pixel (8x64x56x56 axial:3:w, 2 threads: 0.51x memcpy).
      static_assert(kMaxLag == 2, "two held loads per part");
      using M = xsimd::batch_bool<float, Arch>;
      const float* ahead_a[K];
      const float* ahead_b[K];
      M now_a[K], next_a[K], now_b[K], next_b[K];  // the part's lag is 0, 1
      B a1[K], a2[K], b1[K] = {}, b2[K] = {};      // b: split vectors only
      const int64_t first = (hh * W + edge) * C;
      for (int k = 0; k < K; ++k) {
        const int la = r.src.lag_a[k], lb = r.src.lag_b[k];
        ahead_a[k] = a[k] + la * C, ahead_b[k] = b[k] + lb * C;
        now_a[k] = M(la == 0), next_a[k] = M(la == 1), now_b[k] = M(lb == 0),
        next_b[k] = M(lb == 1);
        a1[k] = B::load_unaligned(a[k] + first), a2[k] = B::load_unaligned(a[k] + first + C);
        if ((split >> k) & 1u) {
          b1[k] = B::load_unaligned(b[k] + first), b2[k] = B::load_unaligned(b[k] + first + C);
        }
      }
      auto take = [](const B& x, B& x1, B& x2, const M& now, const M& next) {
        const B v = xsimd::select(now, x, x1);
        x1 = xsimd::select(next, x, x2);
        x2 = x;
        return v;
      };
      for (; hh < hh1; ++hh) {
        const int64_t p0 = hh * W + edge, p1 = std::min(hh1 * W - edge, p0 + W);
        for (int64_t at = p0 * C; at < p1 * C; at += C) {
          B v[K];
          for (int k = 0; k < K; ++k) {
            v[k] = take(B::load_unaligned(ahead_a[k] + at), a1[k], a2[k], now_a[k], next_a[k]);
            if ((split >> k) & 1u) {
              const B vb =
                  take(B::load_unaligned(ahead_b[k] + at), b1[k], b2[k], now_b[k], next_b[k]);
              v[k] = xsimd::select(mask[k], vb, v[k]);
            }
          }
          for (int k = 0; k < K; ++k) v[k].store_unaligned(out + at + k * V);
        }
        if (hh + 1 < hh1) fix_edges(hh);
        fix_outside_rows(hh);
      }
      return;
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
      fix_outside_rows(hh);
    }
  }
}

template <class Arch>
using PixelRowsLoop = void (*)(const PixelRows<Arch>&);

// The loops for pixels of one vector count and split pattern.
// in_order: plain stores, loads in source order (kMaxLag); null where a pixel's
// vectors and their held loads would not fit the vector registers.
template <class Arch>
struct PixelLoops {
  PixelRowsLoop<Arch> plain, in_order, prefetched, streamed;
};

template <class Arch, int K, unsigned... Split>
PixelRowsLoop<Arch> plain_loop(unsigned split, std::integer_sequence<unsigned, Split...>) {
  static constexpr PixelRowsLoop<Arch> table[] = {
      &pixel_rows<Arch, K, Split, PixelStores::plain>...};
  return table[split];
}

// Whether a pixel's K vectors, kMaxLag held loads per part (K, plus one per vector that
// takes two runs) and a load fit the vector registers: the in-order loop's condition.
template <class Arch, int K, unsigned Split>
constexpr bool in_order_fits() {
  int parts = K;
  for (int k = 0; k < K; ++k) parts += static_cast<int>((Split >> k) & 1u);
  return K + kMaxLag * parts + 1 <= vector_registers<Arch>();
}

// The in-order loops of one vector count by split pattern; null (and not built) where
// they would not fit the registers.
template <class Arch, int K, unsigned Split>
constexpr PixelRowsLoop<Arch> in_order_or_null() {
  if constexpr (in_order_fits<Arch, K, Split>()) {
    return &pixel_rows<Arch, K, Split, PixelStores::plain, true>;
  } else {
    return nullptr;
  }
}

template <class Arch, int K, unsigned... Split>
PixelRowsLoop<Arch> in_order_loop(unsigned split, std::integer_sequence<unsigned, Split...>) {
  static constexpr PixelRowsLoop<Arch> table[] = {in_order_or_null<Arch, K, Split>()...};
  return table[split];
}

template <class Arch, int K>
PixelLoops<Arch> loops_for(unsigned split) {
  PixelLoops<Arch> l;
  l.in_order = nullptr;
  if constexpr (K <= kSplitLoopVectors) {
    constexpr auto splits = std::make_integer_sequence<unsigned, (1u << K)>();
    l.plain = plain_loop<Arch, K>(split, splits);
    l.in_order = in_order_loop<Arch, K>(split, splits);
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

// The lags of the in-order loop for rows starting at hh (PixelSources::lag_a, lag_b):
// each part lags the row's front by front + dw pixels. False where the loop does not
// apply: the runs read more than one source row (inside the image, or anywhere across
// images), a lag is over kMaxLag, or none lags. The loads ahead stay within the source
// pixels the output-order loop reads: none goes past the front part's last load.
template <class Arch>
bool in_order_lags(const ShiftGeometry& g, const PixelSlots<Arch>& ps, int64_t hh,
                   bool across_images, PixelSources& src) {
  auto reads = [&](const ChannelRun* run) {
    return across_images || source_row_inside(g, *run, hh);
  };
  const ChannelRun* row = nullptr;  // a run reading the one source row
  int32_t front = 0;
  for (int64_t k = 0; k < ps.count; ++k) {
    for (const ChannelRun* run : {ps.a[k], ps.b[k]}) {
      if (!reads(run)) continue;
      if (row && run->dh != row->dh) return false;
      front = row ? std::max(front, -run->dw) : -run->dw;
      row = run;
    }
  }
  auto lag = [&](const ChannelRun* run) { return reads(run) ? front + run->dw : 0; };
  bool any = false;
  for (int64_t k = 0; k < ps.count; ++k) {
    src.lag_a[k] = lag(ps.a[k]);
    src.lag_b[k] = ((ps.split >> k) & 1u) ? lag(ps.b[k]) : 0;
    if (src.lag_a[k] > kMaxLag || src.lag_b[k] > kMaxLag) return false;
    any = any || src.lag_a[k] > 0 || src.lag_b[k] > 0;
  }
  return any;
}

// Rows [hh0, hh1) of nhwc output (zero or keep boundary), pixel by pixel in whole vectors
// (pixel_rows), hh0 in image. Within one image, rows whose source rows are inside or
// outside for the same runs: a run whose source row is outside reads zeros (kZeroRow) or
// the pixel's own value. across_images (not Streaming): rows on into the images after it,
// whose source rows all lie in the tensor; the lanes whose source row is outside their
// image are rewritten row by row. Streaming: output aligned to the vector. prefetch and
// pixel_prefetch: see PixelRows.
template <class Arch, bool Streaming>
void rows_by_vectors(const ShiftGeometry& g, const PixelSlots<Arch>& ps, const float* image,
                     float* out, int64_t hh0, int64_t hh1, const float* prefetch,
                     bool pixel_prefetch, bool across_images) {
  constexpr int64_t V = lanes<Arch>();
  const int64_t H = g.h, W = g.w, C = g.c, edge = g.pad_w;
  const bool keep = g.boundary == Boundary::keep;
  assert(ps.ok);
  const PixelLoops<Arch> loops = pick_pixel_loops<Arch>(
      ps.count, ps.split, std::make_integer_sequence<int, max_pixel_vectors<Arch>()>());
  assert(!(Streaming && across_images) && hh0 < H);
  PixelRows<Arch> rows{&g, &ps, {}, image, out, hh0, hh1, pixel_prefetch, across_images};
  for (int64_t k = 0; k < ps.count; ++k) {
    // Pointers for flat pixel p = hh * W + ww: its lanes of the run are at p * C.
    auto source = [&](const ChannelRun* run) {
      if (across_images || source_row_inside(g, *run, hh0))
        return image - (static_cast<int64_t>(run->dh) * W + run->dw) * C + k * V;
      return keep ? image + k * V : kZeroRow - hh0 * W * C + k * V;
    };
    rows.src.a[k] = source(ps.a[k]), rows.src.b[k] = source(ps.b[k]);
  }
  const int64_t bytes = g.elements() * static_cast<int64_t>(sizeof(float));
  const bool in_order = !Streaming && !prefetch && loops.in_order && !ps.interleave_rows &&
                        bytes > kInOrderMinBytes && (hh1 - hh0) * W - 2 * edge >= kMaxLag &&
                        in_order_lags(g, ps, hh0, across_images, rows.src);
  if (prefetch) {
    // Pixel p asks for pixel p + kPrefetchPixels of the row kPrefetchRows below its
    // first-use row, up to the last pixel of the image (across images: of the last row
    // any of the rows reads).
    const int64_t last_row = across_images ? hh1 + g.pad_h : H;
    rows.prefetch = prefetch + (kPrefetchRows * W + kPrefetchPixels) * C;
    rows.prefetch_end = (last_row - g.pad_h - kPrefetchRows) * W - kPrefetchPixels;
  }
  pixels_lanewise<Arch, Streaming>(g, ps, image, out + hh0 * W * C, hh0, 0, edge);
  if constexpr (Streaming) {
    loops.streamed(rows);
  } else if (prefetch) {
    loops.prefetched(rows);
  } else if (in_order) {
    loops.in_order(rows);
  } else {
    loops.plain(rows);
  }
  const int64_t last = hh1 - 1, images_on = last / H;
  pixels_lanewise<Arch, Streaming>(g, ps, image + images_on * H * W * C, out + last * W * C,
                                   last - images_on * H, W - edge, W);
}

}  // namespace shiftnn::kernels::simd
