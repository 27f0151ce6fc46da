#pragma once
#include <string>
#include <vector>

#include "shiftnn/tensor.hpp"

namespace shiftnn {

// A float32 C-order array read from or written to a .npy file (format 1.0 / 2.0).
struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

// Throws Error naming the file and the problem. float64 arrays are narrowed when allowed.
NpyArray load_npy(const std::string& path, bool accept_float64 = false);
// Writes to a temporary file beside `path`, then renames: never a partial file.
void save_npy(const std::string& path, const std::vector<int64_t>& shape, const float* data);

}  // namespace shiftnn
