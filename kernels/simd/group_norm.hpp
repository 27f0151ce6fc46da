#pragma once
// GroupNorm on dense nhwc tensors: per-channel statistics, then the normalising pass,
// both with vectors across a pixel's channels. Sizes are in floats.
#include <cstdint>

#include "kernels/kernel_table.hpp"
#include "kernels/simd/vector_ops.hpp"

namespace shiftnn::kernels::simd {

// Pixels summed in float registers before the sums go to double: the float error
// stays below kStatsRows ulps of the block's sum of |d|.
constexpr int64_t kStatsRows = 32;

// Sums of U vectors of channels from j over `rows` pixels of x (pixel stride c floats),
// added to sum and sum_sq at j. x0: the shift (the image's pixel 0).
template <class Arch, int U>
void stats_vectors(const float* x, int64_t rows, int64_t c, int64_t j, const float* x0, double* sum,
                   double* sum_sq) {
  using B = Batch<Arch>;
  constexpr int64_t V = lanes<Arch>();
  B k[U], s[U], q[U];
  for (int u = 0; u < U; ++u) {
    k[u] = B::load_unaligned(x0 + j + u * V);
    s[u] = q[u] = B(0.0f);
  }
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * c + j;
    for (int u = 0; u < U; ++u) {
      const B d = B::load_unaligned(row + u * V) - k[u];
      s[u] += d;
      q[u] = xsimd::fma(d, d, q[u]);
    }
  }
  alignas(64) float ts[U * V], tq[U * V];
  for (int u = 0; u < U; ++u) {
    s[u].store_aligned(ts + u * V);
    q[u].store_aligned(tq + u * V);
  }
  for (int64_t l = 0; l < U * V; ++l) {
    sum[j + l] += ts[l];
    sum_sq[j + l] += tq[l];
  }
}

// Statistics of `rows` consecutive pixels of one image.
template <class Arch>
void stats_rows(const float* x, int64_t rows, int64_t c, const float* x0, double* sum,
                double* sum_sq) {
  constexpr int64_t V = lanes<Arch>();
  int64_t j = 0;
  for (; j + 4 * V <= c; j += 4 * V) stats_vectors<Arch, 4>(x, rows, c, j, x0, sum, sum_sq);
  for (; j + V <= c; j += V) stats_vectors<Arch, 1>(x, rows, c, j, x0, sum, sum_sq);
  // Channels past the last whole vector: no lane may count twice.
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t k = j; k < c; ++k) {
      const double d = x[r * c + k] - x0[k];
      sum[k] += d;
      sum_sq[k] += d * d;
    }
  }
}

template <class Arch>
void group_norm_stats_nhwc(const GroupNormStatsArgs& a, int64_t begin, int64_t end) {
  const int64_t c = a.c;
  for (int64_t p = begin; p < end;) {
    const int64_t image = p / a.hw;
    const int64_t stop = end < (image + 1) * a.hw ? end : (image + 1) * a.hw;
    const float* x0 = a.src + image * a.hw * c;
    double* sum = a.sum + image * c;
    double* sum_sq = a.sum_sq + image * c;
    for (; p < stop; p += kStatsRows) {
      const int64_t rows = stop - p < kStatsRows ? stop - p : kStatsRows;
      stats_rows<Arch>(a.src + p * c, rows, c, x0, sum, sum_sq);
    }
    p = stop;
  }
}

// Pixels normalised per load of a channel vector's mean, scale and beta: with one
// pixel at a time those three loads would outnumber the pixel's own.
constexpr int64_t kApplyRows = 8;

// dst = (src - mean) * scale + beta for `rows` pixels of one image (pixel stride c floats).
template <class Arch>
void apply_rows(const float* x, float* y, int64_t rows, int64_t c, const float* mean,
                const float* scale, const float* beta) {
  using B = Batch<Arch>;
  constexpr int64_t V = lanes<Arch>();
  int64_t j = 0;
  for (; j + V <= c; j += V) {
    const B m = B::load_unaligned(mean + j), s = B::load_unaligned(scale + j);
    const B b = B::load_unaligned(beta + j);
    for (int64_t r = 0; r < rows; ++r) {
      xsimd::fma(B::load_unaligned(x + r * c + j) - m, s, b).store_unaligned(y + r * c + j);
    }
  }
  // No overlapping last vector: in place, it would normalise some channels twice.
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t k = j; k < c; ++k) y[r * c + k] = (x[r * c + k] - mean[k]) * scale[k] + beta[k];
  }
}

template <class Arch>
void group_norm_apply_nhwc(const GroupNormApplyArgs& a, int64_t begin, int64_t end) {
  const int64_t c = a.c;
  for (int64_t p = begin; p < end;) {
    const int64_t image = p / a.hw;
    const int64_t stop = end < (image + 1) * a.hw ? end : (image + 1) * a.hw;
    for (; p < stop; p += kApplyRows) {
      const int64_t rows = stop - p < kApplyRows ? stop - p : kApplyRows;
      apply_rows<Arch>(a.src + p * c, a.dst + p * c, rows, c, a.mean + image * c,
                       a.scale + image * c, a.beta);
    }
    p = stop;
  }
}

}  // namespace shiftnn::kernels::simd
