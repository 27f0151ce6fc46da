#pragma once
// Layer ops of the graph runtime that oneDNN 2.6 lacks, on dense nhwc tensors, through
// the SIMD kernels of the active ISA (kernel_table.hpp). Sizes are in elements.
#include <cstdint>

namespace shiftnn::kernels {

// GroupNorm(groups, c) of n images of hw pixels: mean and biased variance over each
// group's c/groups channels and all pixels, then * gamma[c] + beta[c]. dst may equal src.
void group_norm_nhwc(const float* src, float* dst, int64_t n, int64_t c, int64_t hw, int64_t groups,
                     const float* gamma, const float* beta, float eps, int threads);

// dst = src[starts[0]:stops[0]:steps[0], ...] over the logical axes N, C, H, W.
// dims: src's n, c, h, w; stops clamped to dims; steps >= 1.
void slice_nhwc(const float* src, float* dst, const int64_t* dims, const int64_t* starts,
                const int64_t* stops, const int64_t* steps, int threads);

}  // namespace shiftnn::kernels
