#pragma once
// Strategy `copy` in nhwc for channel runs shorter than a vector (grouped, cycle):
// each vector of a pixel's channels is blended from one load per distinct
// displacement among its lanes, where copying run by run moves a float at a time.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/kernel_table.hpp"
#include "kernels/simd/nhwc_runs.hpp"
#include "kernels/simd/shift_source.hpp"
#include "kernels/simd/vector_ops.hpp"

namespace shiftnn::kernels::simd {

// The vectors of a pixel's C >= lanes channels: vector k covers [c0, c0 + V) with
// c0 = min(k * V, C - V), so the last one overlaps its neighbour instead of reaching
// past the pixel. Each lists the displacements among its lanes, a lane mask for each.
template <class Arch>
struct BlendPlan {
  struct Vector {
    int64_t c0;
    size_t begin, end;  // its entries
  };
  std::vector<Vector> vectors;
  std::vector<int32_t> displacement;                 // per entry: index into g.displacements
  std::vector<xsimd::batch_bool<float, Arch>> mask;  // per entry: the lanes it fills

  explicit BlendPlan(const ShiftGeometry& g) {
    constexpr int64_t V = lanes<Arch>();
    if (g.c < V) return;
    for (int64_t k = 0; k * V < g.c; ++k) {
      const int64_t c0 = std::min(k * V, g.c - V);
      const size_t first = displacement.size();
      for (int64_t c = c0; c < c0 + V; ++c) {
        const int32_t d = g.displacement_of[c];
        if (std::find(displacement.begin() + first, displacement.end(), d) != displacement.end())
          continue;
        bool on[V];
        for (int64_t i = 0; i < V; ++i) on[i] = g.displacement_of[c0 + i] == d;
        displacement.push_back(d);
        mask.push_back(xsimd::batch_bool<float, Arch>::load_unaligned(on));
      }
      vectors.push_back({c0, first, displacement.size()});
    }
  }
};

// The loads of a row's interior pixels: per vector, the sources (at pixel 0) and lane
// masks of its displacements whose source row is not all zeros. Separate arrays: a
// pointer and a mask stored apart and read back as one struct stall store forwarding
// (measured: a quarter of the time of 1x64x32x32 grouped:3).
template <class Arch>
struct BlendLoads {
  std::vector<const float*> from;
  std::vector<xsimd::batch_bool<float, Arch>> mask;
  std::vector<size_t> end;  // per vector: one past its last load
};

// P consecutive interior pixels from float `at` of the row, vector by vector. Each
// load's pointer and mask serve all P pixels, and the P accumulators are independent.
template <class Arch, int P>
void blend_pixels(const BlendPlan<Arch>& plan, const BlendLoads<Arch>& loads, float* out,
                  int64_t at, int64_t C) {
  using B = Batch<Arch>;
  size_t e = 0;
  for (size_t v = 0; v < plan.vectors.size(); ++v) {
    B acc[P];
    for (int p = 0; p < P; ++p) acc[p] = B(0.0f);
    for (; e < loads.end[v]; ++e) {
      const float* s = loads.from[e] + at;
      for (int p = 0; p < P; ++p) {
        acc[p] = xsimd::select(loads.mask[e], B::load_unaligned(s + p * C), acc[p]);
      }
    }
    for (int p = 0; p < P; ++p) acc[p].store_unaligned(out + at + p * C + plan.vectors[v].c0);
  }
}

template <class Arch>
void shift_blend_nhwc(const ShiftArgs& args, int64_t begin, int64_t end, float*) {
  using B = Batch<Arch>;
  constexpr int64_t V = lanes<Arch>();
  const ShiftGeometry& g = *args.g;
  const int64_t H = g.h, W = g.w, C = g.c, row = W * C;
  const int64_t edge = std::min<int64_t>(g.pad_w, W);  // pixels whose column source may be outside
  const BlendPlan<Arch> plan(g);
  const size_t count = g.displacements.size();
  // Per displacement: its source in the row's interior pixels (row_source), and the
  // first channel of its source pixel in a pixel any_pixel computes; nullptr: zeros.
  std::vector<const float*> base(count), src(count);
  BlendLoads<Arch> loads;
  loads.end.resize(plan.vectors.size());
  auto any_pixel = [&](const float* image, float* o, int64_t hh, int64_t ww) {
    for (size_t k = 0; k < count; ++k) {
      int64_t sh, sw;
      const Displacement d = g.displacements[k];
      src[k] = source_pixel(hh, ww, d.dh, d.dw, H, W, g.boundary, &sh, &sw)
                   ? image + (sh * W + sw) * C
                   : nullptr;
    }
    if (C < V) {
      for (int64_t c = 0; c < C; ++c) {
        const float* s = src[g.displacement_of[c]];
        o[c] = s ? s[c] : 0.0f;
      }
      return;
    }
    for (const auto& v : plan.vectors) {
      B acc(0.0f);
      for (size_t e = v.begin; e < v.end; ++e) {
        const float* s = src[plan.displacement[e]];
        if (s) acc = xsimd::select(plan.mask[e], B::load_unaligned(s + v.c0), acc);
      }
      acc.store_unaligned(o + v.c0);
    }
  };
  for (int64_t r = begin; r < end; ++r) {
    const int64_t n = r / H, hh = r % H;
    const float* image = args.src + n * H * row;
    float* out = args.dst + r * row;
    if (W <= 2 * edge || C < V) {
      for (int64_t ww = 0; ww < W; ++ww) any_pixel(image, out + ww * C, hh, ww);
      continue;
    }
    for (size_t k = 0; k < count; ++k) {
      base[k] = row_source(g, image, hh, g.displacements[k].dh, g.displacements[k].dw);
    }
    loads.from.clear(), loads.mask.clear();
    for (size_t v = 0; v < plan.vectors.size(); ++v) {
      for (size_t e = plan.vectors[v].begin; e < plan.vectors[v].end; ++e) {
        const float* b = base[plan.displacement[e]];
        if (b) loads.from.push_back(b + plan.vectors[v].c0), loads.mask.push_back(plan.mask[e]);
      }
      loads.end[v] = loads.from.size();
    }
    for (int64_t ww = 0; ww < edge; ++ww) any_pixel(image, out + ww * C, hh, ww);
    // 4 pixels a step: ~1.6x faster than 1 on 1x64x32x32 grouped:3 (9 loads a vector).
    int64_t ww = edge;
    for (; ww + 4 <= W - edge; ww += 4) {
      blend_pixels<Arch, 4>(plan, loads, out, ww * C, C);
    }
    for (; ww < W - edge; ++ww) {
      blend_pixels<Arch, 1>(plan, loads, out, ww * C, C);
    }
    for (int64_t ww = W - edge; ww < W; ++ww) any_pixel(image, out + ww * C, hh, ww);
  }
}

}  // namespace shiftnn::kernels::simd
