// GroupNorm and strided slice on nhwc through the active ISA's kernels, pixels split
// over an OpenMP team in contiguous chunks.
#include "kernels/layer_ops.hpp"

#include <omp.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

#include "kernels/kernel_table.hpp"
#include "kernels/team_size.hpp"

namespace shiftnn::kernels {
namespace {

// Thread t of count's share of [0, items).
int64_t chunk_begin(int64_t items, int64_t t, int64_t count) {
  return items * t / count;
}

// Sum of v[0, n) in four interleaved accumulators: one chain would wait on every add.
double sum_of(const double* v, int64_t n) {
  double acc[4] = {0.0, 0.0, 0.0, 0.0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int l = 0; l < 4; ++l) acc[l] += v[i + l];
  }
  for (; i < n; ++i) acc[0] += v[i];
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

// Per image and channel: the group's mean and rstd * gamma, from the per-thread sums of
// d = x - x0 (see GroupNormStatsArgs). Channels combine as parallel variance partitions:
// each channel's mean and squares about it, then the squares of the channel means about
// the group's. Reads x0 from src: call it before the apply pass overwrites src in place.
void finish_group_stats(const float* src, int64_t n, int64_t c, int64_t hw, int64_t groups,
                        const float* gamma, float eps, const std::vector<double>& partial, int team,
                        float* mean, float* scale) {
  const int64_t nc = n * c, cg = c / groups;
  const double inv_hw = 1.0 / hw;
  std::vector<double> channel_mean(static_cast<size_t>(c)), channel_m2(static_cast<size_t>(c));
  std::vector<double> spread(static_cast<size_t>(cg));
  for (int64_t i = 0; i < n; ++i) {
    const float* x0 = src + i * hw * c;
    for (int64_t k = 0; k < c; ++k) {
      double s = 0.0, q = 0.0;
      for (int t = 0; t < team; ++t) {
        s += partial[2 * nc * t + i * c + k];
        q += partial[2 * nc * t + nc + i * c + k];
      }
      channel_mean[k] = x0[k] + s * inv_hw;
      channel_m2[k] = q - s * s * inv_hw;
    }
    for (int64_t g = 0; g < groups; ++g) {
      const double* cm = channel_mean.data() + g * cg;
      const double group_mean = sum_of(cm, cg) / cg;
      for (int64_t k = 0; k < cg; ++k) spread[k] = (cm[k] - group_mean) * (cm[k] - group_mean);
      const double m2 = sum_of(channel_m2.data() + g * cg, cg) + hw * sum_of(spread.data(), cg);
      const double rstd = 1.0 / std::sqrt(std::max(0.0, m2 / (cg * hw)) + eps);
      for (int64_t k = g * cg; k < (g + 1) * cg; ++k) {
        mean[i * c + k] = static_cast<float>(group_mean);
        scale[i * c + k] = static_cast<float>(rstd * gamma[k]);
      }
    }
  }
}

}  // namespace

void group_norm_nhwc(const float* src, float* dst, int64_t n, int64_t c, int64_t hw, int64_t groups,
                     const float* gamma, const float* beta, float eps, int threads) {
  assert(groups > 0 && c > 0 && c % groups == 0);
  const int64_t pixels = n * hw;
  if (pixels == 0) return;
  const KernelTable& kt = active_kernels();
  const int team = team_size(threads, pixels * c);
  // Per thread: sums then sums of squares, n*c doubles each.
  std::vector<double> partial(static_cast<size_t>(2 * n * c * team), 0.0);
  std::vector<float> mean(static_cast<size_t>(n * c)), scale(static_cast<size_t>(n * c));
  const GroupNormApplyArgs apply{src, dst, c, hw, mean.data(), scale.data(), beta};
  auto stats = [&](int t, int64_t begin, int64_t end) {
    double* sum = partial.data() + 2 * n * c * t;
    kt.group_norm_stats_nhwc({src, c, hw, sum, sum + n * c}, begin, end);
  };
  auto finish = [&] {
    finish_group_stats(src, n, c, hw, groups, gamma, eps, partial, team, mean.data(), scale.data());
  };
  if (team == 1) {
    stats(0, 0, pixels);
    finish();
    kt.group_norm_apply_nhwc(apply, 0, pixels);
    return;
  }
  // One region: each thread normalises the pixels it summed, still in its cache.
#pragma omp parallel num_threads(team)
  {
    const int t = omp_get_thread_num(), count = omp_get_num_threads();
    const int64_t begin = chunk_begin(pixels, t, count), end = chunk_begin(pixels, t + 1, count);
    stats(t, begin, end);
#pragma omp barrier
#pragma omp single
    finish();
    kt.group_norm_apply_nhwc(apply, begin, end);
  }
}

void slice_nhwc(const float* src, float* dst, const int64_t* dims, const int64_t* starts,
                const int64_t* stops, const int64_t* steps, int threads) {
  SliceArgs a{src, dst, {}, {}, {}, {}};
  for (int axis = 0; axis < 4; ++axis) {
    assert(steps[axis] >= 1 && starts[axis] >= 0 && stops[axis] <= dims[axis]);
    a.dims[axis] = dims[axis];
    a.starts[axis] = starts[axis];
    a.steps[axis] = steps[axis];
    a.out[axis] = slice_extent(starts[axis], stops[axis], steps[axis]);
  }
  const int64_t pixels = a.out[0] * a.out[2] * a.out[3];
  if (pixels == 0 || a.out[1] == 0) return;
  const SliceKernel kernel = active_kernels().slice_nhwc;
  const int team = team_size(threads, pixels * a.out[1]);
  if (team == 1) {
    kernel(a, 0, pixels);
    return;
  }
#pragma omp parallel num_threads(team)
  {
    const int t = omp_get_thread_num(), count = omp_get_num_threads();
    kernel(a, chunk_begin(pixels, t, count), chunk_begin(pixels, t + 1, count));
  }
}

}  // namespace shiftnn::kernels
