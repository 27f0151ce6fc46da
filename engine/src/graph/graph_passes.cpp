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

// conv's weight and bias scaled by the eval-mode BatchNorm bn; false when the shapes or
// values do not allow it (compiling the nodes unfolded then reports what is wrong).
bool fold_batch_norm(Graph& g, Node& conv, const Node& bn) {
  const Weight* w = find_weight(g, conv, "weight");
  const Weight* b = find_weight(g, conv, "bias");
  const Weight *gamma = find_weight(g, bn, "weight"), *beta = find_weight(g, bn, "bias");
  const Weight *mean = find_weight(g, bn, "running_mean"), *var = find_weight(g, bn, "running_var");
  const double eps = eps_of(bn);
  if (!w || w->shape.size() != 4 || !gamma || !beta || !mean || !var || !(eps >= 0)) return false;
  const int64_t oc = w->shape[0];
  for (const Weight* p : {gamma, beta, mean, var}) {
    if (p->shape != std::vector<int64_t>{oc}) return false;
  }
  if (b && b->shape != std::vector<int64_t>{oc}) return false;
  if (bn.weights.size() != 4 || bn.attrs.size() > 1) return false;
  Weight folded_w = *w, folded_b{{oc}, std::vector<float>(oc)};
  const int64_t per_channel = oc ? w->elements() / oc : 0;
  for (int64_t o = 0; o < oc; ++o) {
    const double k = gamma->data[o] / std::sqrt(double{var->data[o]} + eps);
    for (int64_t i = 0; i < per_channel; ++i) {
      float& x = folded_w.data[o * per_channel + i];
      x = static_cast<float>(x * k);
    }
    const double bias = b ? b->data[o] : 0.0;
    folded_b.data[o] = static_cast<float>((bias - mean->data[o]) * k + beta->data[o]);
  }
  const std::string prefix = conv.name + "+" + bn.name;
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
      const bool is_bn = node.op == "BatchNorm", is_act = node.op == "ReLU" || node.op == "GELU";
      if ((!is_bn && !is_act) || node.inputs.size() != 1 || (is_act && !node.attrs.empty())) {
        continue;
      }
      const auto p = producer.find(node.inputs[0]);
      if (p == producer.end() || reads.at(node.inputs[0]) != 1) continue;
      Node& prev = g.nodes[p->second];
      if (prev.inputs.size() != 1 || has_activation(prev)) continue;
      if (is_bn) {
        if (prev.op != "Conv2d" || !fold_batch_norm(g, prev, node)) continue;
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
