#pragma once
// nchw <-> nhwc layout change: per image, the c x hw matrix of planes transposed to the
// hw x c matrix of pixels, or back. V x V tiles (V: floats a vector) move through
// registers; below V channels, up to kMaxPermutedChannels permute whole vectors and more
// go through padded tiles; edges too small for any of these go one float at a time.
// Sizes and strides are in floats.
#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "kernels/kernel_table.hpp"
#include "kernels/simd/vector_ops.hpp"

// GCC 12's AVX-512 permutes start from _mm512_undefined_*(), which -W(maybe-)uninitialized
// reports once inlined here (GCC bug 105593); the values are always defined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace shiftnn::kernels::simd {

// Floats as bits: xsimd 8.1 has swizzles for 32-bit integers on every ISA, not for floats.
template <class Arch>
using Bits = xsimd::batch<uint32_t, Arch>;

// Lanes where Lanes::get(lane, V) holds, computed by a compare: converting a
// batch_bool_constant builds the AVX-512 mask from an array of bools, out of line.
template <class Arch, class Lanes>
inline xsimd::batch_bool<uint32_t, Arch> lane_mask() {
  return Bits<Arch>(xsimd::make_batch_constant<Bits<Arch>, Lanes>()) != Bits<Arch>(0u);
}

// Lane i takes lane i ^ B: swaps neighbouring blocks of B lanes.
template <unsigned B>
struct SwapBlocks {
  static constexpr unsigned get(unsigned i, unsigned) { return i ^ B; }
};

// 1 in the lanes of the even blocks of B lanes.
template <unsigned B>
struct EvenBlocks {
  static constexpr unsigned get(unsigned i, unsigned) { return (i & B) == 0; }
};

// The odd B-lane blocks of lo trade places with the even ones of hi. One swizzle for both
// rows: s holds lo's odd blocks and hi's even ones, each moved into the other parity.
// (A swizzle per row, fused with its blend on AVX-512, measured slower in the kernels.)
template <class Arch, unsigned B>
inline void swap_blocks(Bits<Arch>& lo, Bits<Arch>& hi) {
  const auto even = lane_mask<Arch, EvenBlocks<B>>();
  const Bits<Arch> s = xsimd::swizzle(xsimd::select(even, hi, lo),
                                      xsimd::make_batch_constant<Bits<Arch>, SwapBlocks<B>>());
  lo = xsimd::select(even, lo, s);
  hi = xsimd::select(even, s, hi);
}

// One step of the recursive tile transpose: swap_blocks on rows r and r + B for every r
// with bit B clear (pair p: p with a 0 inserted at bit B).
template <class Arch, unsigned B, size_t... P>
inline void swap_block_pairs(Bits<Arch>* x, std::index_sequence<P...>) {
  (swap_blocks<Arch, B>(x[P / B * 2 * B + P % B], x[P / B * 2 * B + P % B + B]), ...);
}

// Rows x[0, V) become the columns: lane l of row r trades with lane r of row l.
template <class Arch, unsigned B = static_cast<unsigned>(lanes<Arch>()) / 2>
inline void transpose_registers(Bits<Arch>* x) {
  swap_block_pairs<Arch, B>(x, std::make_index_sequence<lanes<Arch>() / 2>());
  if constexpr (B > 1) transpose_registers<Arch, B / 2>(x);
}

// dst[j * ds + i] = src[i * ss + j] for i, j < V.
template <class Arch>
inline void transpose_tile(const float* src, int64_t ss, float* dst, int64_t ds) {
  constexpr int64_t V = lanes<Arch>();
  Bits<Arch> x[V];
  for (int64_t i = 0; i < V; ++i) {
    x[i] = xsimd::bitwise_cast<Bits<Arch>>(Batch<Arch>::load_unaligned(src + i * ss));
  }
  transpose_registers<Arch>(x);
  for (int64_t j = 0; j < V; ++j) {
    xsimd::bitwise_cast<Batch<Arch>>(x[j]).store_unaligned(dst + j * ds);
  }
}

// transpose_tile for fewer than V channels: rows past `rows` repeat the last one, and
// only dst rows j < cols are stored. Apart from it: the bounds slow the full tiles.
template <class Arch>
void padded_tile(const float* src, int64_t ss, float* dst, int64_t ds, int64_t rows, int64_t cols) {
  constexpr int64_t V = lanes<Arch>();
  Bits<Arch> x[V];
  for (int64_t i = 0; i < V; ++i) {
    const float* row = src + std::min(i, rows - 1) * ss;
    x[i] = xsimd::bitwise_cast<Bits<Arch>>(Batch<Arch>::load_unaligned(row));
  }
  transpose_registers<Arch>(x);
  for (int64_t j = 0; j < cols; ++j) {
    xsimd::bitwise_cast<Batch<Arch>>(x[j]).store_unaligned(dst + j * ds);
  }
}

// dst[j * ds + i] = src[i * ss + j] for i < rows, j < cols; one float at a time, the
// longer axis inner (the edges left by the tiles are a few floats across).
inline void transpose_floats(const float* src, int64_t ss, float* dst, int64_t ds, int64_t rows,
                             int64_t cols) {
  if (rows >= cols) {
    for (int64_t j = 0; j < cols; ++j) {
      for (int64_t i = 0; i < rows; ++i) dst[j * ds + i] = src[i * ss + j];
    }
  } else {
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 0; j < cols; ++j) dst[j * ds + i] = src[i * ss + j];
    }
  }
}

// How much of an axis of n >= V floats the tiles cover: all of it, the last tile
// overlapping the one before, unless at most V/4 floats are left over; those then go one
// at a time, cheaper than a whole tile for V/4 x V single floats.
template <class Arch>
inline int64_t tiled_extent(int64_t n) {
  constexpr int64_t V = lanes<Arch>();
  return n % V <= V / 4 ? n - n % V : n;
}

// Fewer than V channels move by whole-vector permutations up to this many: those cost
// about c swizzles and blends a vector, a padded tile the same for any c (AVX-512, 1x c
// x 224x224: 5 channels permuted run at 0.9x memcpy, at 8 the two are even).
constexpr unsigned kMaxPermutedChannels = 8;

// C vectors (C*V floats) permuted: lane l of output vector J is lane Map::lane(J, l, V)
// of input vector Map::from(J, l, V).
template <class Map, unsigned J, unsigned M>
struct LanesFrom {
  static constexpr unsigned get(unsigned l, unsigned v) { return Map::from(J, l, v) == M; }
};
template <class Map, unsigned J, unsigned M>
struct LaneIndex {
  static constexpr unsigned get(unsigned l, unsigned v) {
    return Map::from(J, l, v) == M ? Map::lane(J, l, v) : l;
  }
};

// Output vector J: input M's lanes swizzled into place, blended with those of M + 1...
template <class Arch, class Map, unsigned C, unsigned J, unsigned M = 0>
inline Bits<Arch> permuted_vector(const Bits<Arch>* in) {
  const Bits<Arch> v =
      xsimd::swizzle(in[M], xsimd::make_batch_constant<Bits<Arch>, LaneIndex<Map, J, M>>());
  if constexpr (M + 1 == C) {
    return v;
  } else {
    return xsimd::select(lane_mask<Arch, LanesFrom<Map, J, M>>(), v,
                         permuted_vector<Arch, Map, C, J, M + 1>(in));
  }
}

template <class Arch, class Map, unsigned C, size_t... J>
inline void permute_vectors(const Bits<Arch>* in, Bits<Arch>* out, std::index_sequence<J...>) {
  ((out[J] = permuted_vector<Arch, Map, C, J>(in)), ...);
}

// Planes to pixels: output float f = J*V + l is channel f % C of pixel f / C.
template <unsigned C>
struct Interleave {
  static constexpr unsigned from(unsigned j, unsigned l, unsigned v) { return (j * v + l) % C; }
  static constexpr unsigned lane(unsigned j, unsigned l, unsigned v) { return (j * v + l) / C; }
};

// Pixels to planes: lane l of plane J is input float f = l*C + J.
template <unsigned C>
struct Deinterleave {
  static constexpr unsigned from(unsigned j, unsigned l, unsigned v) { return (l * C + j) / v; }
  static constexpr unsigned lane(unsigned j, unsigned l, unsigned v) { return (l * C + j) % v; }
};

// C planes (stride ss) of pixels [0, w) to w pixels of C channels at dst; w >= V.
// The last V pixels overlap the previous vector instead of a scalar tail.
template <class Arch, unsigned C>
void interleave_planes(const float* src, int64_t ss, float* dst, int64_t w) {
  constexpr int64_t V = lanes<Arch>();
  for (int64_t t = 0; t < w; t += V) {
    const int64_t p = std::min(t, w - V);
    Bits<Arch> in[C], out[C];
    for (unsigned k = 0; k < C; ++k) {
      in[k] = xsimd::bitwise_cast<Bits<Arch>>(Batch<Arch>::load_unaligned(src + k * ss + p));
    }
    permute_vectors<Arch, Interleave<C>, C>(in, out, std::make_index_sequence<C>());
    for (unsigned j = 0; j < C; ++j) {
      xsimd::bitwise_cast<Batch<Arch>>(out[j]).store_unaligned(dst + p * C + j * V);
    }
  }
}

// w pixels of C channels at src to C planes (stride ds) of pixels [0, w); w >= V.
template <class Arch, unsigned C>
void deinterleave_pixels(const float* src, float* dst, int64_t ds, int64_t w) {
  constexpr int64_t V = lanes<Arch>();
  for (int64_t t = 0; t < w; t += V) {
    const int64_t p = std::min(t, w - V);
    Bits<Arch> in[C], out[C];
    for (unsigned m = 0; m < C; ++m) {
      in[m] = xsimd::bitwise_cast<Bits<Arch>>(Batch<Arch>::load_unaligned(src + p * C + m * V));
    }
    permute_vectors<Arch, Deinterleave<C>, C>(in, out, std::make_index_sequence<C>());
    for (unsigned k = 0; k < C; ++k) {
      xsimd::bitwise_cast<Batch<Arch>>(out[k]).store_unaligned(dst + k * ds + p);
    }
  }
}

// The permuted path for c in [C, kMaxPermutedChannels] and below V (w >= V); false for
// other c.
template <class Arch, bool ToPixels, unsigned C = 2>
bool permute_channels(const float* src, float* dst, int64_t c, int64_t hw, int64_t w) {
  if constexpr (C > kMaxPermutedChannels || C >= lanes<Arch>()) {
    return false;
  } else {
    if (c != C) return permute_channels<Arch, ToPixels, C + 1>(src, dst, c, hw, w);
    if constexpr (ToPixels) {
      interleave_planes<Arch, C>(src, hw, dst, w);
    } else {
      deinterleave_pixels<Arch, C>(src, dst, hw, w);
    }
    return true;
  }
}

// Pixels of a run of w (w * c >= V) whose V floats from p * c stay inside the run.
inline int64_t vector_pixels(int64_t w, int64_t c, int64_t v) {
  return (w * c - v) / c + 1;
}

// c < V planes (stride ss) of pixels [0, w) to pixels at dst, c too large to permute;
// w >= V. Tiles of V pixels, rows past c repeating the last plane: a pixel's V-float
// store spills past its c floats into the next pixels' places, which later stores
// (ascending, the last tile overlapping) overwrite. Only pixels whose store stays
// inside the run take vectors; the rest go one float at a time, last.
template <class Arch>
void padded_tiles_to_pixels(const float* src, int64_t ss, float* dst, int64_t c, int64_t w) {
  constexpr int64_t V = lanes<Arch>();
  int64_t tiled = vector_pixels(w, c, V);
  if (tiled < V) tiled = 0;
  for (int64_t t = 0; t < tiled; t += V) {
    const int64_t p = std::min(t, tiled - V);
    padded_tile<Arch>(src + p, ss, dst + p * c, c, c, V);
  }
  transpose_floats(src + tiled, ss, dst + tiled * c, c, c, w - tiled);
}

// The inverse: tiles of V pixels of V floats each (past c: the next pixel's channels,
// never stored), c planes stored. Only pixels whose V floats stay inside the run load
// vectors, so the last pixel of the tensor is never read past.
template <class Arch>
void padded_tiles_to_planes(const float* src, float* dst, int64_t ds, int64_t c, int64_t w) {
  constexpr int64_t V = lanes<Arch>();
  int64_t tiled = vector_pixels(w, c, V);
  if (tiled < V) tiled = 0;
  for (int64_t t = 0; t < tiled; t += V) {
    const int64_t p = std::min(t, tiled - V);
    padded_tile<Arch>(src + p * c, c, dst + p, ds, V, c);
  }
  transpose_floats(src + tiled * c, c, dst + tiled, ds, w - tiled, c);
}

// Calls run(image, p, w) for the pixels [p, p + w) of each image that items [begin, end)
// cover (see transpose_work_items): consecutive items of an image are one run.
template <class F>
inline void for_each_run(const TransposeArgs& a, int64_t begin, int64_t end, F&& run) {
  assert(a.c >= 1 && a.hw >= 1 && begin >= 0 && end <= transpose_work_items(a));
  const int64_t runs = transpose_runs(a.hw);
  for (int64_t q = begin; q < end;) {
    const int64_t image = q / runs;
    const int64_t stop = std::min(end, (image + 1) * runs);
    const int64_t p = (q - image * runs) * kTransposePixels;
    const int64_t p_end =
        stop == (image + 1) * runs ? a.hw : (stop - image * runs) * kTransposePixels;
    run(image, p, p_end - p);
    q = stop;
  }
}

template <class Arch>
void transpose_nchw_to_nhwc(const TransposeArgs& a, int64_t begin, int64_t end) {
  constexpr int64_t V = lanes<Arch>();
  static_assert(kTransposePixels >= V, "a run of pixels must hold a tile");
  const int64_t c = a.c, hw = a.hw;
  for_each_run(a, begin, end, [&](int64_t image, int64_t p, int64_t w) {
    const float* x = a.src + image * c * hw + p;  // channel k at x + k * hw
    float* y = a.dst + (image * hw + p) * c;      // pixel t at y + t * c
    if (c == 1 || hw == 1) {
      copy_floats<Arch>(x, y, w * c);  // both layouts are the same
    } else if (c >= V && w >= V) {
      // Channel tiles outer: V planes read front to back, fewer streams than c. A run
      // has at least V pixels here, so an overlapping last tile stays in this call's
      // output. The pixels past the tiles go with each channel tile, still cached.
      const int64_t ct = tiled_extent<Arch>(c), wt = tiled_extent<Arch>(w);
      for (int64_t k = 0; k < ct; k += V) {
        const int64_t tk = std::min(k, ct - V);
        for (int64_t t = 0; t < wt; t += V) {
          const int64_t tp = std::min(t, wt - V);
          transpose_tile<Arch>(x + tk * hw + tp, hw, y + tp * c + tk, c);
        }
        transpose_floats(x + tk * hw + wt, hw, y + wt * c + tk, c, V, w - wt);
      }
      transpose_floats(x + ct * hw, hw, y + ct, c, c - ct, w);
    } else if (w < V) {
      transpose_floats(x, hw, y, c, c, w);
    } else if (!permute_channels<Arch, true>(x, y, c, hw, w)) {
      padded_tiles_to_pixels<Arch>(x, hw, y, c, w);
    }
  });
}

template <class Arch>
void transpose_nhwc_to_nchw(const TransposeArgs& a, int64_t begin, int64_t end) {
  constexpr int64_t V = lanes<Arch>();
  static_assert(kTransposePixels >= V, "a run of pixels must hold a tile");
  const int64_t c = a.c, hw = a.hw;
  for_each_run(a, begin, end, [&](int64_t image, int64_t p, int64_t w) {
    const float* x = a.src + (image * hw + p) * c;  // pixel t at x + t * c
    float* y = a.dst + image * c * hw + p;          // channel k at y + k * hw
    if (c == 1 || hw == 1) {
      copy_floats<Arch>(x, y, w * c);
    } else if (c >= V && w >= V) {
      // Channel tiles outer: V planes written front to back (see above).
      const int64_t ct = tiled_extent<Arch>(c), wt = tiled_extent<Arch>(w);
      for (int64_t k = 0; k < ct; k += V) {
        const int64_t tk = std::min(k, ct - V);
        for (int64_t t = 0; t < wt; t += V) {
          const int64_t tp = std::min(t, wt - V);
          transpose_tile<Arch>(x + tp * c + tk, c, y + tk * hw + tp, hw);
        }
        transpose_floats(x + wt * c + tk, c, y + tk * hw + wt, hw, w - wt, V);
      }
      transpose_floats(x + ct, c, y + ct * hw, hw, w, c - ct);
    } else if (w < V) {
      transpose_floats(x, c, y, hw, w, c);
    } else if (!permute_channels<Arch, false>(x, y, c, hw, w)) {
      padded_tiles_to_planes<Arch>(x, y, hw, c, w);
    }
  });
}

}  // namespace shiftnn::kernels::simd

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
