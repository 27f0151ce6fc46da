#pragma once
// Graph rewrites before compilation, and the execution order.
#include <map>
#include <string>
#include <vector>

#include "shiftnn/graph.hpp"

namespace shiftnn::detail {

// Folds each BatchNorm, and each Conv2d that is only a per-channel scale and shift
// (depthwise 1x1), into the Conv2d that alone feeds it, and each ReLU/GELU into
// the Conv2d or Linear that alone feeds it (a oneDNN post-op). Nodes whose tensors are
// graph outputs or read twice stay as they are. A fused node keeps its first node's name
// (errors name it); `display` maps it to all the names, "fc1+bn1+relu1", for profiles.
Graph fold_and_fuse(Graph g, std::map<std::string, std::string>& display);

// Node indices in dependency order (stable: file order among ready nodes). Throws Error
// naming the node for an input nobody produces and for a cycle.
std::vector<size_t> execution_order(const Graph& g);

// How many node inputs read each tensor, graph outputs counting once more.
std::map<std::string, int> read_counts(const Graph& g);

}  // namespace shiftnn::detail
