#include <map>

#include "layers/layers.hpp"

namespace shiftnn::detail {
namespace {

const std::map<std::string, LayerFactory>& registry() {
  static const std::map<std::string, LayerFactory> table = {
      {"Conv2d", &make_conv2d},
      {"Linear", &make_linear},
      {"BatchNorm", &make_batch_norm},
      {"GroupNorm", &make_group_norm},
      {"LayerNorm", &make_layer_norm},
      {"GELU", &make_gelu},
      {"ReLU", &make_relu},
      {"Add", &make_add},
      {"Mul", &make_mul},
      {"Shift", &make_shift},
      {"GridSample", &make_grid_sample},
      {"Concat", &make_concat},
      {"Slice", &make_slice},
      {"GlobalAvgPool", &make_global_avg_pool},
      {"Flatten", &make_flatten},
      {"Softmax", &make_softmax},
      {"Constant", &make_constant},
  };
  return table;
}

}  // namespace

LayerFactory find_layer_factory(const std::string& op) {
  const auto it = registry().find(op);
  return it == registry().end() ? nullptr : it->second;
}

std::string known_ops() {
  std::string names;
  for (const auto& entry : registry()) names += (names.empty() ? "" : ", ") + entry.first;
  return names;
}

}  // namespace shiftnn::detail
