// GridSample oracle: one output value at a time, straight from PyTorch 1.13's CPU
// definition (unnormalise, reflect, clip; taps outside read 0).
#include <cmath>

#include "kernels/reference/reference.hpp"

namespace shiftnn::kernels::reference {
namespace {

struct Axis {
  int64_t size;
  bool align;
  GridPaddingK padding;
  bool pixel;

  float max_val() const { return static_cast<float>(size - 1); }

  float clip(float x) const { return std::fmin(max_val(), std::fmax(x, 0.0f)); }

  // Mirror at -0.5 and size-0.5 (align_corners: at 0 and size-1), period twice_span.
  float reflect(float x) const {
    const float low = align ? 0.0f : -0.5f;
    const float twice_span =
        align ? static_cast<float>(size - 1) * 2 : static_cast<float>(size) * 2;
    if (twice_span <= 0) return 0.0f;
    const float a = std::fabs(x - low);
    const float flips = std::trunc(a / twice_span);
    const float extra = a - flips * twice_span;
    return std::fmin(extra, twice_span - extra) + low;
  }

  float unnormalise(float g) const {
    if (align) return (g + 1.0f) * (static_cast<float>(size - 1) / 2);
    return (g + 1.0f) * (static_cast<float>(size) / 2) - 0.5f;
  }

  // Source coordinate after padding; pos: output column or row.
  float place(float g, int64_t pos) const {
    const float x = pixel ? static_cast<float>(pos) + g : unnormalise(g);
    if (padding == GridPaddingK::reflection) return clip(reflect(x));
    if (padding == GridPaddingK::border) return clip(x);
    return x;
  }

  float nearest(float g, int64_t pos) const {
    if (pixel && padding != GridPaddingK::reflection) {
      const float r = static_cast<float>(pos) + std::nearbyint(g);
      return padding == GridPaddingK::border ? clip(r) : r;
    }
    return std::nearbyint(place(g, pos));
  }

  // First tap x0 and weight f of tap x0 + 1. Pixel offsets are split before adding pos.
  void bilinear(float g, int64_t pos, float* x0, float* f) const {
    if (pixel && padding != GridPaddingK::reflection) {
      const float gi = std::floor(g);
      *x0 = static_cast<float>(pos) + gi;
      *f = g - gi;
      if (padding == GridPaddingK::border && (*x0 < 0 || *x0 >= max_val())) {
        *x0 = clip(*x0);
        *f = 0.0f;
      }
      return;
    }
    const float x = place(g, pos);
    *x0 = std::floor(x);
    *f = x - *x0;
  }

  bool inside(float x) const { return x >= 0 && x <= max_val(); }
};

float& at(float* base, const GridSampleArgs& a, int64_t n, int64_t c, int64_t pixel) {
  if (a.layout == Layout::nchw) {
    return base[n * a.dst_batch_stride + c * a.dst_channel_stride + pixel];
  }
  return base[n * a.dst_batch_stride + pixel * a.dst_pixel_stride + c];
}

float source(const GridSampleArgs& a, int64_t n, int64_t c, float y, float x, const Axis& ax,
             const Axis& ay) {
  if (!ax.inside(x) || !ay.inside(y)) return 0.0f;
  const int64_t pixel = static_cast<int64_t>(y) * a.w + static_cast<int64_t>(x);
  if (a.layout == Layout::nchw) {
    return a.src[n * a.src_batch_stride + c * a.src_channel_stride + pixel];
  }
  return a.src[n * a.src_batch_stride + pixel * a.src_pixel_stride + c];
}

}  // namespace

void grid_sample(const GridSampleArgs& a) {
  const Axis ax{a.w, a.align_corners, a.padding, a.pixel_grid};
  const Axis ay{a.h, a.align_corners, a.padding, a.pixel_grid};
  for (int64_t n = 0; n < a.n; ++n) {
    for (int64_t oh = 0; oh < a.ho; ++oh) {
      for (int64_t ow = 0; ow < a.wo; ++ow) {
        const float* g = a.grid + n * a.grid_batch_stride + (oh * a.wo + ow) * 2;
        for (int64_t c = 0; c < a.c; ++c) {
          float v;
          if (a.mode == GridModeK::nearest) {
            v = source(a, n, c, ay.nearest(g[1], oh), ax.nearest(g[0], ow), ax, ay);
          } else {
            float x0, fx, y0, fy;
            ax.bilinear(g[0], ow, &x0, &fx);
            ay.bilinear(g[1], oh, &y0, &fy);
            const float nw = (1 - fy) * (1 - fx), ne = (1 - fy) * fx;
            const float sw = fy * (1 - fx), se = fy * fx;
            v = source(a, n, c, y0, x0, ax, ay) * nw + source(a, n, c, y0, x0 + 1, ax, ay) * ne +
                source(a, n, c, y0 + 1, x0, ax, ay) * sw +
                source(a, n, c, y0 + 1, x0 + 1, ax, ay) * se;
          }
          at(a.dst, a, n, c, oh * a.wo + ow) = v;
        }
      }
    }
  }
}

}  // namespace shiftnn::kernels::reference
