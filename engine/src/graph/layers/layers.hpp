#pragma once
// Factories of every op (docs/model-format.md): validate the node, infer the output
// shape, build the kernels. Registered by name in layer_registry.cpp.
#include "../layer.hpp"

namespace shiftnn::detail {

std::unique_ptr<Layer> make_conv2d(const LayerArgs& a);
std::unique_ptr<Layer> make_linear(const LayerArgs& a);
std::unique_ptr<Layer> make_batch_norm(const LayerArgs& a);
std::unique_ptr<Layer> make_group_norm(const LayerArgs& a);
std::unique_ptr<Layer> make_layer_norm(const LayerArgs& a);
std::unique_ptr<Layer> make_gelu(const LayerArgs& a);
std::unique_ptr<Layer> make_relu(const LayerArgs& a);
std::unique_ptr<Layer> make_add(const LayerArgs& a);
std::unique_ptr<Layer> make_mul(const LayerArgs& a);
std::unique_ptr<Layer> make_shift(const LayerArgs& a);
std::unique_ptr<Layer> make_grid_sample(const LayerArgs& a);
std::unique_ptr<Layer> make_concat(const LayerArgs& a);
std::unique_ptr<Layer> make_slice(const LayerArgs& a);
std::unique_ptr<Layer> make_global_avg_pool(const LayerArgs& a);
std::unique_ptr<Layer> make_flatten(const LayerArgs& a);
std::unique_ptr<Layer> make_softmax(const LayerArgs& a);
std::unique_ptr<Layer> make_constant(const LayerArgs& a);

}  // namespace shiftnn::detail
