#include "shiftnn/tensor.hpp"

#include <cstdlib>
#include <cstring>
#include <limits>

#include "shiftnn/error.hpp"

namespace shiftnn {

const char* layout_name(Layout layout) {
  return layout == Layout::nchw ? "nchw" : "nhwc";
}

Layout parse_layout(const std::string& name) {
  if (name == "nchw") return Layout::nchw;
  if (name == "nhwc") return Layout::nhwc;
  throw Error("unknown layout '" + name + "' (expected nchw or nhwc)");
}

std::string Shape::str() const {
  return std::to_string(n) + "x" + std::to_string(c) + "x" + std::to_string(h) + "x" +
         std::to_string(w);
}

Shape parse_shape(const std::string& text) {
  int64_t v[4];
  size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    size_t end = text.find('x', pos);
    std::string part = text.substr(pos, i == 3 ? std::string::npos : end - pos);
    if ((i < 3 && end == std::string::npos) || part.empty() ||
        part.find_first_not_of("0123456789") != std::string::npos || part.size() > 9) {
      throw Error("bad shape '" + text + "' (expected NxCxHxW with positive integers)");
    }
    v[i] = std::stoll(part);
    if (v[i] <= 0) throw Error("bad shape '" + text + "': every size must be positive");
    pos = end + 1;
  }
  return {v[0], v[1], v[2], v[3]};
}

void Tensor::FreeAligned::operator()(float* p) const {
  std::free(p);
}

Tensor::Tensor(Shape shape, Layout layout) : shape_(shape), layout_(layout) {
  if (shape.n < 0 || shape.c < 0 || shape.h < 0 || shape.w < 0) {
    throw Error("negative tensor size " + shape.str());
  }
  const size_t count = static_cast<size_t>(shape.elements());
  if (count > std::numeric_limits<size_t>::max() / sizeof(float) / 2) {
    throw Error("tensor " + shape.str() + " is too large");
  }
  // Round up to whole cache lines: aligned_alloc needs a multiple of the alignment.
  const size_t bytes = ((count * sizeof(float) + 63) / 64) * 64;
  if (bytes == 0) return;
  float* p = static_cast<float*>(std::aligned_alloc(64, bytes));
  if (!p) throw Error("out of memory allocating tensor " + shape.str());
  std::memset(p, 0, bytes);
  data_.reset(p);
}

}  // namespace shiftnn
