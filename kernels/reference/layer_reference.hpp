#pragma once
// Scalar reference of the graph runtime's layer ops: plain loops written straight from
// PyTorch's definitions, on dense nchw tensors, accumulating in double. The oracle of the
// layer and model tests; never vectorised, never optimised. Sizes are in elements.
#include <cstdint>
#include <vector>

namespace shiftnn::kernels::reference {

struct ConvShape {
  int64_t n = 1, ic = 1, ih = 1, iw = 1, oc = 1, kh = 1, kw = 1;
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;
  int64_t oh() const { return (ih + 2 * pad_h - dilation_h * (kh - 1) - 1) / stride_h + 1; }
  int64_t ow() const { return (iw + 2 * pad_w - dilation_w * (kw - 1) - 1) / stride_w + 1; }
};

// y: n x oc x oh x ow. weight: oc x ic/groups x kh x kw (PyTorch OIHW); bias: oc or null.
void conv2d(const float* x, const float* weight, const float* bias, float* y, const ConvShape& s);
// y: n x out. x: n x in, weight: out x in, bias: out or null.
void linear(const float* x, const float* weight, const float* bias, float* y, int64_t n, int64_t in,
            int64_t out);
void relu(const float* x, float* y, int64_t count);
void gelu(const float* x, float* y, int64_t count);  // x * (1 + erf(x / sqrt 2)) / 2
// b has the shape of a (n x c x h x w), or n x c x 1 x 1, or 1 x c x 1 x 1 (broadcast).
void add(const float* a, const float* b, float* y, int64_t n, int64_t c, int64_t h, int64_t w,
         int64_t b_n, int64_t b_hw);
void mul(const float* a, const float* b, float* y, int64_t n, int64_t c, int64_t h, int64_t w,
         int64_t b_n, int64_t b_hw);
// Eval-mode BatchNorm2d: (x - mean) / sqrt(var + eps) * gamma + beta, per channel.
void batch_norm(const float* x, float* y, int64_t n, int64_t c, int64_t h, int64_t w,
                const float* gamma, const float* beta, const float* mean, const float* var,
                double eps);
// GroupNorm(groups, c): statistics over each group's channels and all pixels (biased var).
void group_norm(const float* x, float* y, int64_t n, int64_t c, int64_t h, int64_t w,
                int64_t groups, const float* gamma, const float* beta, double eps);
// LayerNorm over the c channels of every pixel.
void layer_norm_channels(const float* x, float* y, int64_t n, int64_t c, int64_t h, int64_t w,
                         const float* gamma, const float* beta, double eps);
void global_avg_pool(const float* x, float* y, int64_t n, int64_t c, int64_t h, int64_t w);
void softmax_channels(const float* x, float* y, int64_t n, int64_t c, int64_t h, int64_t w);
// Channel concatenation of xs[i] (n x cs[i] x h x w).
void concat_channels(const std::vector<const float*>& xs, const std::vector<int64_t>& cs, float* y,
                     int64_t n, int64_t h, int64_t w);
// y = x[start0:stop0:step0, start1:..., ...] over N, C, H, W; dims: x's n, c, h, w;
// starts/stops/steps: 4 each, stops already clamped to the dims.
void slice(const float* x, float* y, const int64_t* dims, const int64_t* starts,
           const int64_t* stops, const int64_t* steps);

}  // namespace shiftnn::kernels::reference
