// PLACEHOLDER: being written (grid sample operator).
#include "shiftnn/grid_sample.hpp"
#include "shiftnn/error.hpp"
namespace shiftnn {
GridMode parse_grid_mode(const std::string& name) {
  if (name == "bilinear") return GridMode::bilinear;
  if (name == "nearest") return GridMode::nearest;
  throw Error("unknown grid-sample mode '" + name + "' (expected bilinear or nearest)");
}
GridPadding parse_grid_padding(const std::string& name) {
  if (name == "zeros") return GridPadding::zeros;
  if (name == "border") return GridPadding::border;
  if (name == "reflection") return GridPadding::reflection;
  throw Error("unknown grid-sample padding '" + name + "' (expected zeros, border or reflection)");
}
void grid_sample(ConstTensorView, ConstTensorView, TensorView, const GridSampleOptions&) {}
}  // namespace shiftnn
