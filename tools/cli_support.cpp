#include "cli_support.hpp"

#include <cstring>
#include <vector>

#include "shiftnn/error.hpp"
#include "shiftnn/npy.hpp"

namespace shiftnn::cli {

Tensor load_tensor(const std::string& path, Layout layout) {
  NpyArray a = load_npy(path);
  if (a.shape.size() != 4) {
    throw Error(path + ": expected a 4-D array, got " + std::to_string(a.shape.size()) + "-D");
  }
  for (int64_t d : a.shape) {
    if (d == 0) throw Error(path + ": array has a zero-sized dimension");
  }
  Shape s = layout == Layout::nchw ? Shape{a.shape[0], a.shape[1], a.shape[2], a.shape[3]}
                                   : Shape{a.shape[0], a.shape[3], a.shape[1], a.shape[2]};
  Tensor t(s, layout);
  std::memcpy(t.data(), a.data.data(), a.data.size() * sizeof(float));
  return t;
}

void save_tensor(const std::string& path, const Tensor& t) {
  const Shape& s = t.shape();
  std::vector<int64_t> dims = t.layout() == Layout::nchw ? std::vector<int64_t>{s.n, s.c, s.h, s.w}
                                                         : std::vector<int64_t>{s.n, s.h, s.w, s.c};
  save_npy(path, dims, t.data());
}

}  // namespace shiftnn::cli
