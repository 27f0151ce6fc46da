// Layer oracle: plain loops straight from PyTorch's definitions, accumulating in double.
#include "kernels/reference/layer_reference.hpp"

#include <cassert>
#include <cmath>

namespace shiftnn::kernels::reference {
namespace {

// Binary op with b broadcast over images (b_n == 1) and pixels (b_hw == 1).
template <class Op>
void broadcast(const float* a, const float* b, float* y, int64_t n, int64_t c, int64_t h, int64_t w,
               int64_t b_n, int64_t b_hw, Op op) {
  const int64_t hw = h * w;
  assert(b_n == 1 || b_n == n);
  assert(b_hw == 1 || b_hw == hw);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t k = 0; k < c; ++k) {
      const float* bp = b + ((b_n == 1 ? 0 : i) * c + k) * b_hw;
      for (int64_t p = 0; p < hw; ++p) {
        const int64_t at = (i * c + k) * hw + p;
        y[at] = static_cast<float>(op(double{a[at]}, double{bp[b_hw == 1 ? 0 : p]}));
      }
    }
  }
}

// Elements of range(start, stop, step).
int64_t slice_count(int64_t start, int64_t stop, int64_t step) {
  return stop > start ? (stop - start + step - 1) / step : 0;
}

}  // namespace

void conv2d(const float* x, const float* weight, const float* bias, float* y, const ConvShape& s) {
  assert(s.ic % s.groups == 0 && s.oc % s.groups == 0);
  const int64_t icg = s.ic / s.groups, ocg = s.oc / s.groups;
  const int64_t oh = s.oh(), ow = s.ow();
  for (int64_t i = 0; i < s.n; ++i) {
    for (int64_t o = 0; o < s.oc; ++o) {
      const int64_t g = o / ocg;
      for (int64_t oy = 0; oy < oh; ++oy) {
        for (int64_t ox = 0; ox < ow; ++ox) {
          double acc = bias ? bias[o] : 0.0;
          for (int64_t ci = 0; ci < icg; ++ci) {
            const float* plane = x + ((i * s.ic) + g * icg + ci) * s.ih * s.iw;
            const float* wk = weight + (o * icg + ci) * s.kh * s.kw;
            for (int64_t ky = 0; ky < s.kh; ++ky) {
              const int64_t iy = oy * s.stride_h - s.pad_h + ky * s.dilation_h;
              if (iy < 0 || iy >= s.ih) continue;
              for (int64_t kx = 0; kx < s.kw; ++kx) {
                const int64_t ix = ox * s.stride_w - s.pad_w + kx * s.dilation_w;
                if (ix < 0 || ix >= s.iw) continue;
                acc += double{plane[iy * s.iw + ix]} * wk[ky * s.kw + kx];
              }
            }
          }
          y[((i * s.oc + o) * oh + oy) * ow + ox] = static_cast<float>(acc);
        }
      }
    }
  }
}

void linear(const float* x, const float* weight, const float* bias, float* y, int64_t n, int64_t in,
            int64_t out) {
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t o = 0; o < out; ++o) {
      double acc = bias ? bias[o] : 0.0;
      for (int64_t k = 0; k < in; ++k) acc += double{x[i * in + k]} * weight[o * in + k];
      y[i * out + o] = static_cast<float>(acc);
    }
  }
}

void relu(const float* x, float* y, int64_t count) {
  for (int64_t i = 0; i < count; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void gelu(const float* x, float* y, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    const double v = x[i];
    y[i] = static_cast<float>(v * (1.0 + std::erf(v / std::sqrt(2.0))) / 2.0);
  }
}

void add(const float* a, const float* b, float* y, int64_t n, int64_t c, int64_t h, int64_t w,
         int64_t b_n, int64_t b_hw) {
  broadcast(a, b, y, n, c, h, w, b_n, b_hw, [](double p, double q) { return p + q; });
}

void mul(const float* a, const float* b, float* y, int64_t n, int64_t c, int64_t h, int64_t w,
         int64_t b_n, int64_t b_hw) {
  broadcast(a, b, y, n, c, h, w, b_n, b_hw, [](double p, double q) { return p * q; });
}

void batch_norm(const float* x, float* y, int64_t n, int64_t c, int64_t h, int64_t w,
                const float* gamma, const float* beta, const float* mean, const float* var,
                double eps) {
  const int64_t hw = h * w;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t k = 0; k < c; ++k) {
      const double scale = gamma[k] / std::sqrt(double{var[k]} + eps);
      for (int64_t p = 0; p < hw; ++p) {
        const int64_t at = (i * c + k) * hw + p;
        y[at] = static_cast<float>((x[at] - double{mean[k]}) * scale + beta[k]);
      }
    }
  }
}

void group_norm(const float* x, float* y, int64_t n, int64_t c, int64_t h, int64_t w,
                int64_t groups, const float* gamma, const float* beta, double eps) {
  assert(groups > 0 && c % groups == 0);
  const int64_t hw = h * w, cg = c / groups, count = cg * hw;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t g = 0; g < groups; ++g) {
      // A group's channels are contiguous planes in nchw: count elements from here.
      const float* xg = x + (i * c + g * cg) * hw;
      double sum = 0.0;
      for (int64_t e = 0; e < count; ++e) sum += xg[e];
      const double mean = sum / count;
      double sq = 0.0;
      for (int64_t e = 0; e < count; ++e) sq += (xg[e] - mean) * (xg[e] - mean);
      const double rstd = 1.0 / std::sqrt(sq / count + eps);
      for (int64_t k = g * cg; k < (g + 1) * cg; ++k) {
        for (int64_t p = 0; p < hw; ++p) {
          const int64_t at = (i * c + k) * hw + p;
          y[at] = static_cast<float>((x[at] - mean) * rstd * gamma[k] + beta[k]);
        }
      }
    }
  }
}

void layer_norm_channels(const float* x, float* y, int64_t n, int64_t c, int64_t h, int64_t w,
                         const float* gamma, const float* beta, double eps) {
  const int64_t hw = h * w;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t p = 0; p < hw; ++p) {
      const float* xp = x + i * c * hw + p;  // channel k at xp[k * hw]
      double sum = 0.0;
      for (int64_t k = 0; k < c; ++k) sum += xp[k * hw];
      const double mean = sum / c;
      double sq = 0.0;
      for (int64_t k = 0; k < c; ++k) sq += (xp[k * hw] - mean) * (xp[k * hw] - mean);
      const double rstd = 1.0 / std::sqrt(sq / c + eps);
      for (int64_t k = 0; k < c; ++k) {
        y[i * c * hw + k * hw + p] =
            static_cast<float>((xp[k * hw] - mean) * rstd * gamma[k] + beta[k]);
      }
    }
  }
}

void global_avg_pool(const float* x, float* y, int64_t n, int64_t c, int64_t h, int64_t w) {
  const int64_t hw = h * w;
  for (int64_t plane = 0; plane < n * c; ++plane) {
    double sum = 0.0;
    for (int64_t p = 0; p < hw; ++p) sum += x[plane * hw + p];
    y[plane] = static_cast<float>(sum / hw);
  }
}

void softmax_channels(const float* x, float* y, int64_t n, int64_t c, int64_t h, int64_t w) {
  const int64_t hw = h * w;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t p = 0; p < hw; ++p) {
      const float* xp = x + i * c * hw + p;  // channel k at xp[k * hw]
      float* yp = y + i * c * hw + p;
      double max = xp[0];
      for (int64_t k = 1; k < c; ++k) max = std::fmax(max, double{xp[k * hw]});
      double sum = 0.0;
      for (int64_t k = 0; k < c; ++k) sum += std::exp(xp[k * hw] - max);
      for (int64_t k = 0; k < c; ++k) {
        yp[k * hw] = static_cast<float>(std::exp(xp[k * hw] - max) / sum);
      }
    }
  }
}

void concat_channels(const std::vector<const float*>& xs, const std::vector<int64_t>& cs, float* y,
                     int64_t n, int64_t h, int64_t w) {
  assert(xs.size() == cs.size());
  const int64_t hw = h * w;
  int64_t total = 0;
  for (int64_t ci : cs) total += ci;
  for (int64_t i = 0; i < n; ++i) {
    int64_t k0 = 0;  // first output channel of input j
    for (size_t j = 0; j < xs.size(); ++j) {
      for (int64_t k = 0; k < cs[j]; ++k) {
        for (int64_t p = 0; p < hw; ++p) {
          y[(i * total + k0 + k) * hw + p] = xs[j][(i * cs[j] + k) * hw + p];
        }
      }
      k0 += cs[j];
    }
  }
}

void slice(const float* x, float* y, const int64_t* dims, const int64_t* starts,
           const int64_t* stops, const int64_t* steps) {
  int64_t out[4];
  for (int a = 0; a < 4; ++a) {
    assert(steps[a] >= 1 && starts[a] >= 0 && stops[a] <= dims[a]);
    out[a] = slice_count(starts[a], stops[a], steps[a]);
  }
  for (int64_t i = 0; i < out[0]; ++i) {
    for (int64_t k = 0; k < out[1]; ++k) {
      for (int64_t r = 0; r < out[2]; ++r) {
        for (int64_t q = 0; q < out[3]; ++q) {
          const int64_t si = starts[0] + i * steps[0], sk = starts[1] + k * steps[1];
          const int64_t sr = starts[2] + r * steps[2], sq = starts[3] + q * steps[3];
          *y++ = x[((si * dims[1] + sk) * dims[2] + sr) * dims[3] + sq];
        }
      }
    }
  }
}

}  // namespace shiftnn::kernels::reference
