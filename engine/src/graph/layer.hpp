#pragma once
// A node compiled for one set of input shapes: what the runtime executes. Every
// activation is a dense nhwc float32 tensor in the run's arena.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "node_reader.hpp"
#include "shiftnn/planner.hpp"
#include "shiftnn/tensor.hpp"

namespace shiftnn::detail {

// A tensor's logical shape; rank 2 (N x M, stored N x M x 1 x 1) after Flatten/Linear.
struct ValueInfo {
  Shape shape;
  int rank = 4;
};

class Layer {
 public:
  virtual ~Layer() = default;
  // inputs: the node's inputs, out: its output, scratch: scratch_bytes() bytes, 64-byte
  // aligned, private to this run. Must be safe from several threads at once.
  virtual void run(const std::vector<const float*>& inputs, float* out, void* scratch) const = 0;
  virtual size_t scratch_bytes() const { return 0; }
  // Kernel and strategy, for the profile and SHIFTNN_VERBOSE.
  virtual std::string kernel() const = 0;
  // Index of an input whose buffer the output may take over (elementwise ops), or -1.
  virtual int in_place_input() const { return -1; }
  // Index of an input the output must hold before run() (a fused residual add), or -1.
  virtual int accumulate_input() const { return -1; }
  // The output is input 0 reinterpreted (no data movement): run() is never called.
  virtual bool is_alias() const { return false; }
};

struct LayerContext {
  int threads = 1;
  Planner* planner = nullptr;
};

// What a layer factory gets: the node (attributes, weights), its input shapes, and where
// to put the output shape it infers. Factories throw Error through node.fail().
struct LayerArgs {
  const NodeReader& node;
  const std::vector<ValueInfo>& inputs;
  ValueInfo& output;
  const LayerContext& context;
};

using LayerFactory = std::unique_ptr<Layer> (*)(const LayerArgs& args);

// The factory of an op name, or null for an unknown op.
LayerFactory find_layer_factory(const std::string& op);
// Every op name, for messages.
std::string known_ops();

}  // namespace shiftnn::detail
