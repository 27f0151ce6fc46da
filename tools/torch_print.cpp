#include "torch_print.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace shiftnn::cli {
namespace {

float at(const Tensor& t, int64_t n, int64_t c, int64_t h, int64_t w) {
  const Shape& s = t.shape();
  if (t.layout() == Layout::nchw) return t.data()[((n * s.c + c) * s.h + h) * s.w + w];
  return t.data()[((n * s.h + h) * s.w + w) * s.c + c];
}

}  // namespace

std::string torch_format(const Tensor& t) {
  const Shape& s = t.shape();
  bool integral = true;
  for (int64_t i = 0; i < t.elements(); ++i) integral &= std::floor(t.data()[i]) == t.data()[i];
  auto fmt = [&](float v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, integral ? "%.0f." : "%.4f", v);
    return std::string(buf);
  };
  size_t width = 0;
  for (int64_t i = 0; i < t.elements(); ++i) width = std::max(width, fmt(t.data()[i]).size());

  std::string out = "tensor([";
  const std::string indent = "        ";  // under "tensor(["
  for (int64_t n = 0; n < s.n; ++n) {
    if (n) out += ",\n\n\n" + indent.substr(0, 8);
    out += "[";
    for (int64_t c = 0; c < s.c; ++c) {
      if (c) out += ",\n\n" + indent + " ";
      out += "[";
      for (int64_t h = 0; h < s.h; ++h) {
        if (h) out += ",\n" + indent + "  ";
        out += "[";
        for (int64_t w = 0; w < s.w; ++w) {
          std::string v = fmt(at(t, n, c, h, w));
          out += (w ? ", " : "") + std::string(width - v.size(), ' ') + v;
        }
        out += "]";
      }
      out += "]";
    }
    out += "]";
  }
  return out + "])";
}

}  // namespace shiftnn::cli
