#pragma once
#include <string>

#include "shiftnn/tensor.hpp"

namespace shiftnn {

enum class GridMode { bilinear, nearest };
enum class GridPadding { zeros, border, reflection };

GridMode parse_grid_mode(const std::string& name);        // throws Error
GridPadding parse_grid_padding(const std::string& name);  // throws Error

struct GridSampleOptions {
  GridMode mode = GridMode::bilinear;
  GridPadding padding = GridPadding::zeros;
  bool align_corners = false;
  int threads = 0;  // 0: omp_get_max_threads()
};

// torch.nn.functional.grid_sample for 4-D input (SPEC §3).
// in: N,C,H,W (nchw or nhwc); grid: N,Ho,Wo,2 as a view with shape {N, Ho, Wo, 2}
// in nchw order (x = w, y = h, normalised to [-1, 1]); out: N,C,Ho,Wo in in's layout.
void grid_sample(ConstTensorView in, ConstTensorView grid, TensorView out,
                 const GridSampleOptions& options = {});

}  // namespace shiftnn
