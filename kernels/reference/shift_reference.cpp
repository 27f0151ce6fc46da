#include <cassert>
#include <cmath>

#include "kernels/reference/reference.hpp"

namespace shiftnn::kernels::reference {
namespace {

struct Image {
  const float* x;
  int64_t c, h, w;
  Layout layout;
  float at(int64_t n, int64_t ch, int64_t hh, int64_t ww) const {
    if (layout == Layout::nchw) return x[((n * c + ch) * h + hh) * w + ww];
    return x[((n * h + hh) * w + ww) * c + ch];
  }
};

int64_t wrap(int64_t i, int64_t size) {
  int64_t m = i % size;
  return m < 0 ? m + size : m;
}

int64_t clamp(int64_t i, int64_t size) {
  return i < 0 ? 0 : (i >= size ? size - 1 : i);
}

// Value of one bilinear tap: outside taps take the boundary value of that tap.
float tap(const Image& im, int64_t n, int64_t ch, int64_t hs, int64_t ws, Boundary b) {
  bool inside = hs >= 0 && hs < im.h && ws >= 0 && ws < im.w;
  if (inside) return im.at(n, ch, hs, ws);
  switch (b) {
    case Boundary::zero:
      return 0.0f;
    case Boundary::replicate:
      return im.at(n, ch, clamp(hs, im.h), clamp(ws, im.w));
    case Boundary::circular:
      return im.at(n, ch, wrap(hs, im.h), wrap(ws, im.w));
    case Boundary::keep:
      break;
  }
  assert(false && "keep has no per-tap value");
  return 0.0f;
}

float integer_value(const Image& im, int64_t n, int64_t ch, int64_t hh, int64_t ww, int64_t dh,
                    int64_t dw, Boundary b) {
  int64_t hs = hh - dh, ws = ww - dw;
  bool inside = hs >= 0 && hs < im.h && ws >= 0 && ws < im.w;
  if (inside) return im.at(n, ch, hs, ws);
  if (b == Boundary::keep) return im.at(n, ch, hh, ww);
  return tap(im, n, ch, hs, ws, b);
}

float bilinear_value(const Image& im, int64_t n, int64_t ch, int64_t hh, int64_t ww, float dh,
                     float dw, Boundary b) {
  double hs = static_cast<double>(hh) - dh, ws = static_cast<double>(ww) - dw;
  double h0 = std::floor(hs), w0 = std::floor(ws);
  float a = static_cast<float>(hs - h0), bw = static_cast<float>(ws - w0);
  auto ih = static_cast<int64_t>(h0), iw = static_cast<int64_t>(w0);
  float v00 = tap(im, n, ch, ih, iw, b), v01 = tap(im, n, ch, ih, iw + 1, b);
  float v10 = tap(im, n, ch, ih + 1, iw, b), v11 = tap(im, n, ch, ih + 1, iw + 1, b);
  return (1 - a) * ((1 - bw) * v00 + bw * v01) + a * ((1 - bw) * v10 + bw * v11);
}

}  // namespace

void shift(const float* x, float* y, int64_t n, int64_t c, int64_t h, int64_t w, Layout layout,
           Boundary boundary, const float* dh, const float* dw) {
  Image im{x, c, h, w, layout};
  for (int64_t in = 0; in < n; ++in) {
    for (int64_t ch = 0; ch < c; ++ch) {
      bool integer = std::floor(dh[ch]) == dh[ch] && std::floor(dw[ch]) == dw[ch];
      for (int64_t hh = 0; hh < h; ++hh) {
        for (int64_t ww = 0; ww < w; ++ww) {
          float v = integer ? integer_value(im, in, ch, hh, ww, static_cast<int64_t>(dh[ch]),
                                            static_cast<int64_t>(dw[ch]), boundary)
                            : bilinear_value(im, in, ch, hh, ww, dh[ch], dw[ch], boundary);
          if (layout == Layout::nchw) {
            y[((in * c + ch) * h + hh) * w + ww] = v;
          } else {
            y[((in * h + hh) * w + ww) * c + ch] = v;
          }
        }
      }
    }
  }
}

}  // namespace shiftnn::kernels::reference
