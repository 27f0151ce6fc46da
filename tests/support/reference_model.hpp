#pragma once
// An independent interpreter of a Graph on dense nchw tensors with the scalar reference
// kernels (kernels/reference/): the oracle of the model tests. No fusion, no memory
// planning, no oneDNN.
#include <map>
#include <string>
#include <vector>

#include "engine/src/to_kernel.hpp"
#include "kernels/reference/layer_reference.hpp"
#include "kernels/reference/reference.hpp"
#include "shiftnn/graph.hpp"
#include "shiftnn/shift_spec.hpp"

namespace shiftnn::test {

struct RefTensor {
  Shape shape;
  std::vector<float> data;
};

class ReferenceModel {
 public:
  explicit ReferenceModel(const Graph& g) : g_(g) {}

  // Inputs in graph order, nchw; returns the graph outputs, nchw.
  std::vector<RefTensor> run(const std::vector<RefTensor>& inputs) {
    values_.clear();
    for (size_t i = 0; i < inputs.size(); ++i) values_[g_.inputs[i].name] = inputs[i];
    // Nodes in file order until every one ran (the test graphs are small).
    std::vector<bool> done(g_.nodes.size(), false);
    for (size_t pass = 0; pass < g_.nodes.size(); ++pass) {
      for (size_t i = 0; i < g_.nodes.size(); ++i) {
        if (done[i] || !ready(g_.nodes[i])) continue;
        values_[g_.nodes[i].outputs[0]] = eval(g_.nodes[i]);
        done[i] = true;
      }
    }
    std::vector<RefTensor> out;
    for (const std::string& name : g_.outputs) out.push_back(values_.at(name));
    return out;
  }

 private:
  bool ready(const Node& node) const {
    for (const std::string& in : node.inputs) {
      if (!values_.count(in)) return false;
    }
    return true;
  }
  const RefTensor& in(const Node& node, size_t i) const { return values_.at(node.inputs[i]); }
  const std::vector<float>& w(const Node& node, const char* role) const {
    return g_.weights.at(node.weights.at(role)).data;
  }
  const Weight* maybe_w(const Node& node, const char* role) const {
    const auto it = node.weights.find(role);
    return it == node.weights.end() ? nullptr : &g_.weights.at(it->second);
  }
  template <class T>
  T attr(const Node& node, const char* key, T fallback) const {
    const auto it = node.attrs.find(key);
    return it == node.attrs.end() ? fallback : std::get<T>(it->second);
  }
  double real(const Node& node, const char* key, double fallback) const {
    const auto it = node.attrs.find(key);
    if (it == node.attrs.end()) return fallback;
    if (const auto* i = std::get_if<int64_t>(&it->second)) return double(*i);
    return std::get<double>(it->second);
  }

  static RefTensor make(Shape s) { return {s, std::vector<float>(size_t(s.elements()))}; }

  void activate(const Node& node, RefTensor& t, const char* key = "activation") const {
    const std::string act = attr<std::string>(node, key, "");
    if (act == "relu") kernels::reference::relu(t.data.data(), t.data.data(), t.shape.elements());
    if (act == "gelu") kernels::reference::gelu(t.data.data(), t.data.data(), t.shape.elements());
  }

  RefTensor constant(const Node& node) const {
    const Weight& v = g_.weights.at(node.weights.at("value"));
    const Shape cs = v.shape.size() == 2 ? Shape{v.shape[0], v.shape[1], 1, 1}
                                         : Shape{v.shape[0], v.shape[1], v.shape[2], v.shape[3]};
    if (node.inputs.empty()) return {cs, v.data};
    const int64_t n = in(node, 0).shape.n;
    RefTensor t{{n, cs.c, cs.h, cs.w}, {}};
    for (int64_t i = 0; i < n; ++i) t.data.insert(t.data.end(), v.data.begin(), v.data.end());
    return t;
  }

  RefTensor eval(const Node& node) const {
    namespace ref = kernels::reference;
    if (node.op == "Constant") return constant(node);
    const RefTensor& x = in(node, 0);
    const Shape& s = x.shape;
    if (node.op == "Conv2d") {
      const Weight& wt = g_.weights.at(node.weights.at("weight"));
      const auto stride = attr<std::vector<int64_t>>(node, "stride", {1, 1});
      const auto pad = attr<std::vector<int64_t>>(node, "padding", {0, 0});
      const auto dil = attr<std::vector<int64_t>>(node, "dilation", {1, 1});
      ref::ConvShape c;
      c.n = s.n, c.ic = s.c, c.ih = s.h, c.iw = s.w, c.oc = wt.shape[0], c.kh = wt.shape[2],
      c.kw = wt.shape[3];
      c.stride_h = stride[0], c.stride_w = stride[1], c.pad_h = pad[0], c.pad_w = pad[1];
      c.dilation_h = dil[0], c.dilation_w = dil[1], c.groups = attr<int64_t>(node, "groups", 1);
      RefTensor y = make({c.n, c.oc, c.oh(), c.ow()});
      const Weight* b = maybe_w(node, "bias");
      ref::conv2d(x.data.data(), wt.data.data(), b ? b->data.data() : nullptr, y.data.data(), c);
      activate(node, y);
      if (node.inputs.size() == 2) {
        for (size_t i = 0; i < y.data.size(); ++i) y.data[i] += in(node, 1).data[i];
        activate(node, y, "residual_activation");
      }
      return y;
    }
    if (node.op == "Linear") {
      const Weight& wt = g_.weights.at(node.weights.at("weight"));
      RefTensor y = make({s.n, wt.shape[0], 1, 1});
      const Weight* b = maybe_w(node, "bias");
      ref::linear(x.data.data(), wt.data.data(), b ? b->data.data() : nullptr, y.data.data(), s.n,
                  s.c, wt.shape[0]);
      activate(node, y);
      return y;
    }
    RefTensor y = make(s);
    if (node.op == "BatchNorm") {
      ref::batch_norm(x.data.data(), y.data.data(), s.n, s.c, s.h, s.w, w(node, "weight").data(),
                      w(node, "bias").data(), w(node, "running_mean").data(),
                      w(node, "running_var").data(), real(node, "eps", 1e-5));
    } else if (node.op == "GroupNorm") {
      ref::group_norm(x.data.data(), y.data.data(), s.n, s.c, s.h, s.w,
                      attr<int64_t>(node, "groups", 1), w(node, "weight").data(),
                      w(node, "bias").data(), real(node, "eps", 1e-5));
    } else if (node.op == "LayerNorm") {
      ref::layer_norm_channels(x.data.data(), y.data.data(), s.n, s.c, s.h, s.w,
                               w(node, "weight").data(), w(node, "bias").data(),
                               real(node, "eps", 1e-5));
    } else if (node.op == "GELU") {
      ref::gelu(x.data.data(), y.data.data(), s.elements());
    } else if (node.op == "ReLU") {
      ref::relu(x.data.data(), y.data.data(), s.elements());
    } else if (node.op == "Add" || node.op == "Mul") {
      const RefTensor& b = in(node, 1);
      const auto f = node.op == "Add" ? &ref::add : &ref::mul;
      f(x.data.data(), b.data.data(), y.data.data(), s.n, s.c, s.h, s.w, b.shape.n,
        b.shape.h * b.shape.w);
    } else if (node.op == "Shift") {
      const ShiftSpec spec =
          parse_pattern(attr<std::string>(node, "pattern", ""), s.c,
                        parse_boundary(attr<std::string>(node, "boundary", "zero")));
      ref::shift(x.data.data(), y.data.data(), s.n, s.c, s.h, s.w, kernels::Layout::nchw,
                 detail::to_kernel(spec.boundary), spec.dh.data(), spec.dw.data());
    } else if (node.op == "Concat") {
      std::vector<const float*> xs;
      std::vector<int64_t> cs;
      Shape o = s;
      o.c = 0;
      for (size_t i = 0; i < node.inputs.size(); ++i) {
        xs.push_back(in(node, i).data.data());
        cs.push_back(in(node, i).shape.c);
        o.c += cs.back();
      }
      y = make(o);
      ref::concat_channels(xs, cs, y.data.data(), s.n, s.h, s.w);
    } else if (node.op == "Slice") {
      const int64_t dims[4] = {s.n, s.c, s.h, s.w};
      auto starts = attr<std::vector<int64_t>>(node, "starts", {0, 0, 0, 0});
      auto stops = attr<std::vector<int64_t>>(node, "stops", {s.n, s.c, s.h, s.w});
      auto steps = attr<std::vector<int64_t>>(node, "steps", {1, 1, 1, 1});
      int64_t o[4];
      for (int i = 0; i < 4; ++i) {
        stops[i] = std::min(stops[i], dims[i]);
        o[i] = (stops[i] - starts[i] + steps[i] - 1) / steps[i];
      }
      y = make({o[0], o[1], o[2], o[3]});
      ref::slice(x.data.data(), y.data.data(), dims, starts.data(), stops.data(), steps.data());
    } else if (node.op == "GlobalAvgPool") {
      y = make({s.n, s.c, 1, 1});
      ref::global_avg_pool(x.data.data(), y.data.data(), s.n, s.c, s.h, s.w);
    } else if (node.op == "Flatten") {
      y = {{s.n, s.c * s.h * s.w, 1, 1}, x.data};
    } else if (node.op == "Softmax") {
      ref::softmax_channels(x.data.data(), y.data.data(), s.n, s.c, s.h, s.w);
    } else {
      ADD_FAILURE() << "reference model: no op " << node.op;
    }
    return y;
  }

  const Graph& g_;
  std::map<std::string, RefTensor> values_;
};

}  // namespace shiftnn::test
