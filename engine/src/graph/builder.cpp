#include <cctype>

#include "shiftnn/error.hpp"
#include "shiftnn/graph.hpp"

namespace shiftnn {

int64_t Weight::elements() const {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  return count;
}

std::string GraphBuilder::input(const std::string& name, Shape shape) {
  graph_.inputs.push_back({name, shape});
  return name;
}

void GraphBuilder::output(const std::string& tensor) {
  graph_.outputs.push_back(tensor);
}

std::string GraphBuilder::add_node(const std::string& op, const std::vector<std::string>& inputs,
                                   Attributes attrs, const std::map<std::string, Weight>& weights) {
  std::string lower = op;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  const std::string name = lower + "_" + std::to_string(counters_[lower]++);
  Node node;
  node.name = name;
  node.op = op;
  node.inputs = inputs;
  node.outputs = {name};
  node.attrs = std::move(attrs);
  for (const auto& [role, weight] : weights) {
    const std::string weight_name = name + "." + role;
    graph_.weights[weight_name] = weight;
    node.weights[role] = weight_name;
  }
  graph_.nodes.push_back(std::move(node));
  return name;
}

std::string GraphBuilder::conv2d(const std::string& x, const Weight& weight, const Weight* bias,
                                 Conv2dAttrs a, const std::string& activation) {
  std::map<std::string, Weight> weights = {{"weight", weight}};
  if (bias) weights["bias"] = *bias;
  return add_node("Conv2d", {x},
                  {{"stride", std::vector<int64_t>{a.stride_h, a.stride_w}},
                   {"padding", std::vector<int64_t>{a.pad_h, a.pad_w}},
                   {"dilation", std::vector<int64_t>{a.dilation_h, a.dilation_w}},
                   {"groups", a.groups},
                   {"activation", activation}},
                  weights);
}

std::string GraphBuilder::linear(const std::string& x, const Weight& weight, const Weight* bias) {
  std::map<std::string, Weight> weights = {{"weight", weight}};
  if (bias) weights["bias"] = *bias;
  return add_node("Linear", {x}, {}, weights);
}

std::string GraphBuilder::batch_norm(const std::string& x, const Weight& gamma, const Weight& beta,
                                     const Weight& mean, const Weight& var, double eps) {
  return add_node(
      "BatchNorm", {x}, {{"eps", eps}},
      {{"weight", gamma}, {"bias", beta}, {"running_mean", mean}, {"running_var", var}});
}

std::string GraphBuilder::group_norm(const std::string& x, int64_t groups, const Weight& gamma,
                                     const Weight& beta, double eps) {
  return add_node("GroupNorm", {x}, {{"groups", groups}, {"eps", eps}},
                  {{"weight", gamma}, {"bias", beta}});
}

std::string GraphBuilder::layer_norm(const std::string& x, const Weight& gamma, const Weight& beta,
                                     double eps) {
  return add_node("LayerNorm", {x}, {{"eps", eps}}, {{"weight", gamma}, {"bias", beta}});
}

std::string GraphBuilder::gelu(const std::string& x) {
  return add_node("GELU", {x});
}
std::string GraphBuilder::relu(const std::string& x) {
  return add_node("ReLU", {x});
}

std::string GraphBuilder::add(const std::string& a, const std::string& b) {
  return add_node("Add", {a, b});
}

std::string GraphBuilder::mul(const std::string& a, const std::string& b) {
  return add_node("Mul", {a, b});
}

std::string GraphBuilder::shift(const std::string& x, const std::string& pattern,
                                Boundary boundary) {
  return add_node("Shift", {x},
                  {{"pattern", pattern}, {"boundary", std::string(boundary_name(boundary))}});
}

std::string GraphBuilder::grid_sample(const std::string& x, const std::string& grid,
                                      const std::string& mode, const std::string& padding,
                                      bool align_corners) {
  return add_node("GridSample", {x, grid},
                  {{"mode", mode},
                   {"padding_mode", padding},
                   {"align_corners", int64_t{align_corners ? 1 : 0}}});
}

std::string GraphBuilder::concat(const std::vector<std::string>& xs) {
  return add_node("Concat", xs, {{"axis", int64_t{1}}});
}

std::string GraphBuilder::slice(const std::string& x, const SliceAttrs& a) {
  return add_node("Slice", {x}, {{"starts", a.starts}, {"stops", a.stops}, {"steps", a.steps}});
}

std::string GraphBuilder::global_avg_pool(const std::string& x) {
  return add_node("GlobalAvgPool", {x});
}

std::string GraphBuilder::flatten(const std::string& x) {
  return add_node("Flatten", {x});
}

std::string GraphBuilder::softmax(const std::string& x) {
  return add_node("Softmax", {x}, {{"axis", int64_t{1}}});
}

}  // namespace shiftnn
