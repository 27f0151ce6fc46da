#include "graph_passes.hpp"

#include <cmath>
#include <queue>
#include <set>

#include "shiftnn/error.hpp"

namespace shiftnn::detail {
namespace {

double eps_of(const Node& bn) {
  const auto it = bn.attrs.find("eps");
  if (it == bn.attrs.end()) return 1e-5;
  if (const auto* v = std::get_if<double>(&it->second)) return *v;
  if (const auto* v = std::get_if<int64_t>(&it->second)) return static_cast<double>(*v);
  return -1;  // not a number: left unfolded, compiling the BatchNorm reports it
}

const Weight* find_weight(const Graph& g, const Node& node, const char* role) {
  const auto r = node.weights.find(role);
  if (r == node.weights.end()) return nullptr;
  const auto w = g.weights.find(r->second);
  return w == g.weights.end() ? nullptr : &w->second;
}

bool has_activation(const Node& node) {
  const auto it = node.attrs.find("activation");
  if (it == node.attrs.end()) return false;
  const auto* s = std::get_if<std::string>(&it->second);
  return !s || !s->empty();
}

// A per-channel affine y[c] = x[c] * scale[c] + shift[c]: what folds into the output
// channels of the convolution before it.
struct ChannelAffine {
  std::vector<double> scale, shift;
};

// An eval-mode BatchNorm as an affine; false when its weights or eps are not usable
// (compiling it unfolded then reports what is wrong).
bool batch_norm_affine(const Graph& g, const Node& bn, int64_t channels, ChannelAffine& a) {
  const Weight *gamma = find_weight(g, bn, "weight"), *beta = find_weight(g, bn, "bias");
  const Weight *mean = find_weight(g, bn, "running_mean"), *var = find_weight(g, bn, "running_var");
  const double eps = eps_of(bn);
  if (!gamma || !beta || !mean || !var || !(eps >= 0)) return false;
  for (const Weight* p : {gamma, beta, mean, var}) {
    if (p->shape != std::vector<int64_t>{channels}) return false;
  }
  if (bn.weights.size() != 4 || bn.attrs.size() > 1) return false;
  for (int64_t c = 0; c < channels; ++c) {
    const double k = gamma->data[c] / std::sqrt(double{var->data[c]} + eps);
    a.scale.push_back(k);
    a.shift.push_back(beta->data[c] - mean->data[c] * k);
  }
  return true;
}

bool default_list(const Node& node, const char* key, int64_t value) {
  const auto it = node.attrs.find(key);
  if (it == node.attrs.end()) return true;
  const auto* v = std::get_if<std::vector<int64_t>>(&it->second);
  return v && *v == std::vector<int64_t>{value, value};
}

// A Conv2d that is only a per-channel affine: depthwise 1x1 (groups = C, weight C x 1 x 1
// x 1), stride 1, no padding, no activation.
bool conv_affine(const Graph& g, const Node& conv, int64_t channels, ChannelAffine& a) {
  const Weight* w = find_weight(g, conv, "weight");
  const Weight* b = find_weight(g, conv, "bias");
  const auto groups = conv.attrs.find("groups");
  const auto* gv = groups == conv.attrs.end() ? nullptr : std::get_if<int64_t>(&groups->second);
  if (!w || w->shape != std::vector<int64_t>{channels, 1, 1, 1} || !gv || *gv != channels ||
      (b && b->shape != std::vector<int64_t>{channels}) || has_activation(conv) ||
      !default_list(conv, "stride", 1) || !default_list(conv, "padding", 0) ||
      !default_list(conv, "dilation", 1)) {
    return false;
  }
  for (int64_t c = 0; c < channels; ++c) {
    a.scale.push_back(w->data[c]);
    a.shift.push_back(b ? b->data[c] : 0.0);
  }
  return true;
}

// conv's output channels followed by `next` (BatchNorm or affine Conv2d) as one conv;
// false when next is not such an affine.
bool fold_affine(Graph& g, Node& conv, const Node& next) {
  const Weight* w = find_weight(g, conv, "weight");
  const Weight* b = find_weight(g, conv, "bias");
  if (!w || w->shape.size() != 4) return false;
  const int64_t oc = w->shape[0];
  if (b && b->shape != std::vector<int64_t>{oc}) return false;
  ChannelAffine a;
  const bool affine =
      next.op == "BatchNorm" ? batch_norm_affine(g, next, oc, a) : conv_affine(g, next, oc, a);
  if (!affine) return false;
  Weight folded_w = *w, folded_b{{oc}, std::vector<float>(oc)};
  const int64_t per_channel = w->elements() / oc;
  for (int64_t o = 0; o < oc; ++o) {
    for (int64_t i = 0; i < per_channel; ++i) {
      float& x = folded_w.data[o * per_channel + i];
      x = static_cast<float>(x * a.scale[o]);
    }
    const double bias = b ? b->data[o] : 0.0;
    folded_b.data[o] = static_cast<float>(bias * a.scale[o] + a.shift[o]);
  }
  const std::string prefix = conv.name + "+" + next.name;
  g.weights[prefix + ".weight"] = std::move(folded_w);
  g.weights[prefix + ".bias"] = std::move(folded_b);
  conv.weights = {{"weight", prefix + ".weight"}, {"bias", prefix + ".bias"}};
  return true;
}

}  // namespace

std::map<std::string, int> read_counts(const Graph& g) {
  std::map<std::string, int> counts;
  for (const Node& node : g.nodes) {
    for (const std::string& in : node.inputs) ++counts[in];
  }
  for (const std::string& out : g.outputs) ++counts[out];
  return counts;
}

Graph fold_and_fuse(Graph g, std::map<std::string, std::string>& display) {
  bool changed = true;
  while (changed) {
    changed = false;
    const std::map<std::string, int> reads = read_counts(g);
    std::map<std::string, size_t> producer;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      for (const std::string& out : g.nodes[i].outputs) producer[out] = i;
    }
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) {
      const Node& node = g.nodes[i];
      const bool is_affine = node.op == "BatchNorm" || node.op == "Conv2d";
      const bool is_act = node.op == "ReLU" || node.op == "GELU";
      if ((!is_affine && !is_act) || node.inputs.size() != 1 || (is_act && !node.attrs.empty())) {
        continue;
      }
      const auto p = producer.find(node.inputs[0]);
      if (p == producer.end() || reads.at(node.inputs[0]) != 1) continue;
      Node& prev = g.nodes[p->second];
      if (prev.inputs.size() != 1 || has_activation(prev)) continue;
      if (is_affine) {
        if (prev.op != "Conv2d" || !fold_affine(g, prev, node)) continue;
      } else {
        if (prev.op != "Conv2d" && prev.op != "Linear") continue;
        prev.attrs["activation"] = std::string(node.op == "ReLU" ? "relu" : "gelu");
      }
      std::string& shown = display[prev.name];
      shown = (shown.empty() ? prev.name : shown) + "+" + node.name;
      prev.outputs = node.outputs;
      g.nodes.erase(g.nodes.begin() + static_cast<std::ptrdiff_t>(i));
      changed = true;
    }
  }
  return g;
}

std::vector<size_t> execution_order(const Graph& g) {
  std::map<std::string, size_t> producer;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (const std::string& out : g.nodes[i].outputs) producer[out] = i;
  }
  std::set<std::string> inputs;
  for (const GraphInput& in : g.inputs) inputs.insert(in.name);
  std::vector<int> pending(g.nodes.size(), 0);
  std::vector<std::vector<size_t>> consumers(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (const std::string& in : g.nodes[i].inputs) {
      if (inputs.count(in)) continue;
      const auto p = producer.find(in);
      if (p == producer.end()) {
        throw Error("node '" + g.nodes[i].name + "' (" + g.nodes[i].op + "): input '" + in +
                    "' is produced by no node and is not a graph input");
      }
      ++pending[i];
      consumers[p->second].push_back(i);
    }
  }
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (pending[i] == 0) ready.push(i);
  }
  std::vector<size_t> order;
  while (!ready.empty()) {
    const size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    for (size_t c : consumers[i]) {
      if (--pending[c] == 0) ready.push(c);
    }
  }
  if (order.size() != g.nodes.size()) {
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      if (pending[i] > 0)
        throw Error("node '" + g.nodes[i].name + "' is part of a cycle or depends on one");
    }
  }
  return order;
}

}  // namespace shiftnn::detail
