#pragma once
// The layer graph: a network as named tensors and the nodes that compute them, with
// its weights. Built in code with GraphBuilder or read from a model on disk
// (NAME.json + NAME.safetensors, docs/model-format.md), then compiled into a Model.
//
//   shiftnn::GraphBuilder b;
//   auto x = b.input("x", {1, 96, 56, 56});
//   auto y = b.conv2d(x, w1, b1, {}, "gelu");
//   y = b.shift(y, "quad", shiftnn::Boundary::zero);
//   b.output(b.add(x, b.conv2d(y, w2, b2)));
//   shiftnn::Model model(b.build());
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "shiftnn/shift_spec.hpp"
#include "shiftnn/tensor.hpp"

namespace shiftnn {

// A weight: float32 values in C order (PyTorch's layout: conv OIHW, linear OI).
struct Weight {
  std::vector<int64_t> shape;
  std::vector<float> data;
  int64_t elements() const;
};

// Attribute values: integers, reals, strings and integer lists cover every op.
using AttrValue = std::variant<int64_t, double, std::string, std::vector<int64_t>>;
using Attributes = std::map<std::string, AttrValue>;

struct Node {
  std::string name;  // unique; errors and the profile name it
  std::string op;    // "Conv2d", "Shift", ... (docs/model-format.md lists them)
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;  // exactly one for every op here
  Attributes attrs;
  // Role ("weight", "bias", "gamma", ...) to the name of an entry of Graph::weights.
  std::map<std::string, std::string> weights;
};

// A graph input: a float32 tensor of logical shape N, C, H, W (given in nchw).
struct GraphInput {
  std::string name;
  Shape shape;
};

struct Graph {
  std::vector<GraphInput> inputs;
  std::vector<std::string> outputs;
  std::vector<Node> nodes;  // any order; compiled in dependency order
  std::map<std::string, Weight> weights;
};

struct Conv2dAttrs {
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;  // both sides, pixels
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;
};

// Per axis of N, C, H, W: elements [start, stop) taking every step-th (PyTorch's
// x[:, :, 0::2, 0::2] is {{0, 0, 0, 0}, {n, c, h, w}, {1, 1, 2, 2}}); stop clamps to the size.
struct SliceAttrs {
  std::vector<int64_t> starts = {0, 0, 0, 0};
  std::vector<int64_t> stops = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
  std::vector<int64_t> steps = {1, 1, 1, 1};
};

// Builds a Graph in code. Every method returns the name of the tensor it produces;
// weights are copied in under generated names ("conv2d_3.weight").
class GraphBuilder {
 public:
  std::string input(const std::string& name, Shape shape);
  void output(const std::string& tensor);

  // activation: "" (none), "relu" or "gelu", fused into the convolution where possible.
  std::string conv2d(const std::string& x, const Weight& weight, const Weight* bias = nullptr,
                     Conv2dAttrs attrs = {}, const std::string& activation = "");
  std::string linear(const std::string& x, const Weight& weight, const Weight* bias = nullptr);
  std::string batch_norm(const std::string& x, const Weight& gamma, const Weight& beta,
                         const Weight& mean, const Weight& var, double eps = 1e-5);
  std::string group_norm(const std::string& x, int64_t groups, const Weight& gamma,
                         const Weight& beta, double eps = 1e-5);
  // Over the channels of each pixel (PyTorch LayerNorm(C) on an N,H,W,C permutation).
  std::string layer_norm(const std::string& x, const Weight& gamma, const Weight& beta,
                         double eps = 1e-5);
  std::string gelu(const std::string& x);
  std::string relu(const std::string& x);
  std::string add(const std::string& a, const std::string& b);
  std::string mul(const std::string& a, const std::string& b);
  // pattern: any pattern string of SPEC §1 ("quad", "axial:h", "list:...", ...).
  std::string shift(const std::string& x, const std::string& pattern,
                    Boundary boundary = Boundary::zero);
  // grid: N x 2 x Ho x Wo tensor holding (x, y) per output pixel (PyTorch's N,Ho,Wo,2
  // permuted); mode "bilinear"|"nearest", padding "zeros"|"border"|"reflection".
  std::string grid_sample(const std::string& x, const std::string& grid,
                          const std::string& mode = "bilinear",
                          const std::string& padding = "zeros", bool align_corners = false);
  std::string concat(const std::vector<std::string>& xs);  // along channels
  std::string slice(const std::string& x, const SliceAttrs& attrs);
  std::string global_avg_pool(const std::string& x);  // N,C,H,W -> N,C,1,1
  std::string flatten(const std::string& x);          // N,C,H,W -> N,C*H*W (2-D)
  std::string softmax(const std::string& x);          // over channels

  // Any op of docs/model-format.md, by name.
  std::string add_node(const std::string& op, const std::vector<std::string>& inputs,
                       Attributes attrs = {}, const std::map<std::string, Weight>& weights = {});

  const Graph& graph() const { return graph_; }
  Graph build() const { return graph_; }

 private:
  Graph graph_;
  std::map<std::string, int> counters_;
};

// NAME.json beside NAME.safetensors (json_path ends in .json). Throws Error naming the
// file and the node or tensor that is wrong.
Graph load_graph(const std::string& json_path);
// The same from memory: the JSON text and the bytes of the safetensors file.
Graph parse_graph(const std::string& json_text, const std::string& safetensors_bytes);
// Writes NAME.json and NAME.safetensors (each atomically: temp file + rename).
void save_graph(const Graph& graph, const std::string& json_path);

}  // namespace shiftnn
