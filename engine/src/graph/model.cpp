// Model: compile a graph per batch size (shapes, kernels, plans, memory layout), then run
// it on per-call workspaces taken from a pool, so concurrent runs never share memory.
#include "shiftnn/model.hpp"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "../parallel.hpp"
#include "../verbose.hpp"
#include "graph_passes.hpp"
#include "kernels/kernel_table.hpp"
#include "kernels/layout_ops.hpp"
#include "layer.hpp"
#include "memory_plan.hpp"
#include "shiftnn/error.hpp"

namespace shiftnn {
namespace {

using detail::Layer;
using detail::ValueInfo;

// Largest activation tensor: far beyond any shift network, far below size_t overflow.
constexpr int64_t kMaxTensorBytes = int64_t{1} << 36;

// Positive sizes whose product stays within kMaxTensorBytes (checked, no overflow).
bool fits(const Shape& s) {
  int64_t bytes = sizeof(float);
  for (int64_t d : {s.n, s.c, s.h, s.w}) {
    if (d < 1 || __builtin_mul_overflow(bytes, d, &bytes) || bytes > kMaxTensorBytes) return false;
  }
  return true;
}

size_t bytes_of(const Shape& s) {
  return static_cast<size_t>(s.elements()) * sizeof(float);
}

// nhwc and nchw hold the same order when a tensor has 1 channel or 1x1 pixels.
bool same_order(const Shape& s) {
  return s.c == 1 || s.h * s.w == 1;
}

struct Step {
  std::string node, op;
  std::unique_ptr<Layer> layer;
  std::vector<int> inputs;
  int output = -1;
};

// Moves one graph input into the arena (nhwc) or one output out of it (nchw).
struct Transfer {
  int value = -1;
  bool transpose = false;  // false: nchw and nhwc hold the same order, a copy does it
};

struct AlignedBytes {
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  std::unique_ptr<char, Free> data;
  explicit AlignedBytes(size_t bytes)
      : data(static_cast<char*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64))) {
    if (!data) throw Error("cannot allocate a workspace of " + std::to_string(bytes) + " bytes");
  }
};

struct Workspace {
  AlignedBytes arena, scratch;
  Workspace(size_t arena_bytes, size_t scratch_bytes)
      : arena(arena_bytes), scratch(scratch_bytes) {}
};

// The graph compiled for one batch size.
struct Compiled {
  std::vector<ValueInfo> values;
  std::vector<Step> steps;
  std::vector<Transfer> inputs, outputs;
  detail::MemoryPlan memory;
  size_t scratch_bytes = 0;

  std::mutex pool_mutex;
  std::vector<std::unique_ptr<Workspace>> pool;

  std::unique_ptr<Workspace> acquire() {
    {
      std::lock_guard<std::mutex> lock(pool_mutex);
      if (!pool.empty()) {
        auto ws = std::move(pool.back());
        pool.pop_back();
        return ws;
      }
    }
    return std::make_unique<Workspace>(memory.arena_bytes, scratch_bytes);
  }
  void release(std::unique_ptr<Workspace> ws) {
    std::lock_guard<std::mutex> lock(pool_mutex);
    pool.push_back(std::move(ws));
  }
  float* value_data(const Workspace& ws, int v) const {
    return reinterpret_cast<float*>(ws.arena.data.get() + memory.offsets[v]);
  }
};

class Compiler {
 public:
  Compiler(const Graph& g, const std::map<std::string, std::string>& display, int64_t n,
           const detail::LayerContext& context)
      : g_(g), display_(display), n_(n), context_(context), reads_(detail::read_counts(g)) {
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      for (const std::string& in : g.nodes[i].inputs) consumers_[in].push_back(i);
    }
  }

  std::shared_ptr<Compiled> compile() {
    auto c = std::make_shared<Compiled>();
    c_ = c.get();
    for (const GraphInput& in : g_.inputs) {
      const Shape s = {n_, in.shape.c, in.shape.h, in.shape.w};
      if (!fits(s)) throw Error("input '" + in.name + "' " + s.str() + " is too large");
      const int v = define(in.name, {s, 4});
      c->inputs.push_back({v, !same_order(s)});
    }
    std::set<size_t> fused_adds;  // Adds (and activations) done by a convolution
    for (size_t i : detail::execution_order(g_)) {
      if (fused_adds.count(i)) continue;
      compile_node(g_.nodes[i], fused_adds);
    }
    for (const std::string& name : g_.outputs) {
      const int v = ids_.at(name);
      const Shape& s = c->values[v].shape;
      c->outputs.push_back({v, !same_order(s)});
    }
    plan_memory();
    return c;
  }

 private:
  int define(const std::string& name, const ValueInfo& info) {
    const int v = static_cast<int>(c_->values.size());
    c_->values.push_back(info);
    ids_[name] = v;
    return v;
  }

  // The one node that reads `tensor` (not a graph output), if there is one.
  const Node* sole_reader(const std::string& tensor) const {
    const auto reads = reads_.find(tensor);  // a dead node's output is read by none
    if (reads == reads_.end() || reads->second != 1 || !consumers_.count(tensor)) return nullptr;
    return &g_.nodes[consumers_.at(tensor)[0]];
  }

  // The Add that alone reads conv's output, if its other operand exists already: the
  // convolution can then add it in place (oneDNN sum post-op).
  const Node* residual_add(const Node& conv, std::string& other) const {
    if (conv.op != "Conv2d" || conv.inputs.size() != 1) return nullptr;
    const std::string& out = conv.outputs[0];
    const Node* add = sole_reader(out);
    if (!add || add->op != "Add" || add->inputs.size() != 2 || !add->attrs.empty()) return nullptr;
    other = add->inputs[0] == out ? add->inputs[1] : add->inputs[0];
    if (other == out || !ids_.count(other)) return nullptr;
    return add;
  }

  // The ReLU or GELU that alone reads the Add's output: a post-op after the sum.
  const Node* activation_after(const Node& add) const {
    const Node* act = sole_reader(add.outputs[0]);
    if (!act || (act->op != "ReLU" && act->op != "GELU") || !act->attrs.empty()) return nullptr;
    return act;
  }

  void compile_node(const Node& node, std::set<size_t>& fused_adds) {
    const detail::LayerFactory factory = detail::find_layer_factory(node.op);
    if (!factory) {
      throw Error("node '" + node.name + "': unknown op '" + node.op +
                  "' (known: " + detail::known_ops() + ")");
    }
    std::vector<int> inputs;
    std::vector<ValueInfo> infos;
    for (const std::string& in : node.inputs) {
      inputs.push_back(ids_.at(in));
      infos.push_back(c_->values[inputs.back()]);
    }
    ValueInfo out;
    std::unique_ptr<Layer> layer;
    const Node* compiled_node = &node;
    std::string other, shown = shown_name(node);
    Node fused;
    if (const Node* add = residual_add(node, other)) {
      fused = node;
      fused.inputs.push_back(other);
      fused.outputs = add->outputs;
      const Node* act = activation_after(*add);
      if (act) {
        fused.attrs["residual_activation"] = std::string(act->op == "ReLU" ? "relu" : "gelu");
        fused.outputs = act->outputs;
      }
      std::vector<ValueInfo> fused_infos = infos;
      fused_infos.push_back(c_->values[ids_.at(other)]);
      try {
        layer = factory({detail::NodeReader(fused, g_.weights), fused_infos, out, context_});
        compiled_node = &fused;
        shown += "+" + shown_name(*add);
        inputs.push_back(ids_.at(other));
        fused_adds.insert(static_cast<size_t>(add - g_.nodes.data()));
        if (act) {
          shown += "+" + shown_name(*act);
          fused_adds.insert(static_cast<size_t>(act - g_.nodes.data()));
        }
      } catch (const std::exception&) {
        layer.reset();  // e.g. a broadcast operand: compiled unfused below
      }
    }
    if (!layer) {
      try {
        layer = factory({detail::NodeReader(node, g_.weights), infos, out, context_});
      } catch (const Error&) {
        throw;
      } catch (const std::exception& e) {  // oneDNN refusing a primitive, out of memory
        throw Error("node '" + node.name + "' (" + node.op + "): cannot be built: " + e.what());
      }
    }
    if (!fits(out.shape)) {
      throw Error("node '" + node.name + "' (" + node.op + "): output " + out.shape.str() +
                  " is too large");
    }
    Step step{shown, compiled_node->op, std::move(layer), inputs, -1};
    step.output = define(compiled_node->outputs[0], out);
    c_->scratch_bytes = std::max(c_->scratch_bytes, step.layer->scratch_bytes());
    c_->steps.push_back(std::move(step));
  }

  void plan_memory() {
    std::vector<size_t> bytes;
    for (const ValueInfo& v : c_->values) bytes.push_back(bytes_of(v.shape));
    std::vector<int> ins, outs;
    for (const Transfer& t : c_->inputs) ins.push_back(t.value);
    for (const Transfer& t : c_->outputs) outs.push_back(t.value);
    std::vector<detail::PlanStep> steps;
    for (const Step& s : c_->steps) {
      const int reuse = s.layer->accumulate_input() >= 0 ? s.layer->accumulate_input()
                                                         : s.layer->in_place_input();
      steps.push_back({s.inputs, s.output, reuse, s.layer->is_alias()});
    }
    c_->memory = detail::plan_memory(bytes, ins, outs, steps);
  }

  std::string shown_name(const Node& node) const {
    const auto it = display_.find(node.name);
    return it == display_.end() ? node.name : it->second;
  }

  const Graph& g_;
  const std::map<std::string, std::string>& display_;
  int64_t n_;
  const detail::LayerContext& context_;
  std::map<std::string, int> reads_;
  std::map<std::string, std::vector<size_t>> consumers_;
  std::map<std::string, int> ids_;
  Compiled* c_ = nullptr;
};

std::string to_nhwc_kernel() {
  return SHIFTNN_KERNEL_NAME(transpose_nchw_to_nhwc, kernels::active_kernels().isa);
}

std::string to_nchw_kernel() {
  return SHIFTNN_KERNEL_NAME(transpose_nhwc_to_nchw, kernels::active_kernels().isa);
}

double microseconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

struct Model::Impl {
  Graph graph;                                 // folded and fused
  std::map<std::string, std::string> display;  // fused node names for profiles
  ModelOptions options;
  detail::LayerContext context;
  std::unique_ptr<Planner> planner;
  std::shared_ptr<Compiled> declared;  // compiled at load for the declared batch
  mutable std::mutex cache_mutex;
  mutable std::map<int64_t, std::shared_ptr<Compiled>> cache;

  std::shared_ptr<Compiled> compiled(int64_t n) const {
    std::lock_guard<std::mutex> lock(cache_mutex);
    auto& entry = cache[n];
    if (!entry) entry = Compiler(graph, display, n, context).compile();
    return entry;
  }

  std::vector<Tensor> run(const std::vector<ConstTensorView>& inputs,
                          std::vector<NodeProfile>* profile) const;
};

Model::Model(Graph graph, ModelOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  if (graph.inputs.empty()) throw Error("model has no inputs");
  if (graph.outputs.empty()) throw Error("model has no outputs");
  m.graph = detail::fold_and_fuse(std::move(graph), m.display);
  m.options = options;
  m.context.threads = detail::resolve_threads(options.threads);
  PlannerOptions planner_options;
  planner_options.mode = options.shift_plan_mode;
  planner_options.wisdom_path = options.wisdom_path;
  m.planner = std::make_unique<Planner>(planner_options);
  m.context.planner = m.planner.get();
  m.declared = m.compiled(m.graph.inputs[0].shape.n);
}

Model Model::load(const std::string& json_path, ModelOptions options) {
  return Model(load_graph(json_path), options);
}

Model::~Model() = default;
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;

const Graph& Model::graph() const {
  return impl_->graph;
}

int Model::threads() const {
  return impl_->context.threads;
}

int Model::output_rank(size_t output) const {
  const Compiled& c = *impl_->declared;
  if (output >= c.outputs.size()) throw Error("model has no output " + std::to_string(output));
  return c.values[c.outputs[output].value].rank;
}

MemoryReport Model::memory(int64_t n) const {
  const auto c = impl_->compiled(n > 0 ? n : impl_->graph.inputs[0].shape.n);
  return {c->memory.arena_bytes, c->memory.sum_bytes, c->scratch_bytes};
}

std::vector<Tensor> Model::run(const std::vector<ConstTensorView>& inputs) const {
  return impl_->run(inputs, nullptr);
}

std::vector<Tensor> Model::run_profiled(const std::vector<ConstTensorView>& inputs,
                                        std::vector<NodeProfile>& profile) const {
  profile.clear();
  return impl_->run(inputs, &profile);
}

std::vector<Tensor> Model::Impl::run(const std::vector<ConstTensorView>& inputs,
                                     std::vector<NodeProfile>* profile) const {
  if (inputs.size() != graph.inputs.size()) {
    throw Error("model takes " + std::to_string(graph.inputs.size()) + " inputs, got " +
                std::to_string(inputs.size()));
  }
  const int64_t n = inputs[0].shape.n;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Shape &s = inputs[i].shape, &want = graph.inputs[i].shape;
    if (!inputs[i].data || s.n < 1 || s.n != n || s.c != want.c || s.h != want.h || s.w != want.w) {
      throw Error("input '" + graph.inputs[i].name + "' is " + s.str() + ", the model expects " +
                  std::to_string(n) + "x" + std::to_string(want.c) + "x" + std::to_string(want.h) +
                  "x" + std::to_string(want.w));
    }
  }
  const auto c = compiled(n);
  std::unique_ptr<Workspace> ws = c->acquire();
  void* scratch = ws->scratch.data.get();
  const bool timed = profile || detail::verbose();
  std::vector<NodeProfile> rows;
  const auto record = [&](const std::string& node, const std::string& op, int value,
                          const std::string& kernel, std::chrono::steady_clock::time_point t0) {
    if (timed) rows.push_back({node, op, c->values[value].shape, kernel, microseconds_since(t0)});
  };

  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const Transfer& t = c->inputs[i];
    float* dst = c->value_data(*ws, t.value);
    const Shape& s = inputs[i].shape;
    const bool transpose = t.transpose && inputs[i].layout == Layout::nchw;
    if (transpose) {
      kernels::nchw_to_nhwc(inputs[i].data, dst, s.n, s.c, s.h * s.w, context.threads);
    } else {
      std::memcpy(dst, inputs[i].data, inputs[i].bytes());
    }
    record(graph.inputs[i].name, "Input", t.value, transpose ? to_nhwc_kernel() : "copy", t0);
  }
  std::vector<const float*> ptrs;
  for (const Step& step : c->steps) {
    if (step.layer->is_alias()) continue;
    const auto t0 = std::chrono::steady_clock::now();
    ptrs.clear();
    for (int v : step.inputs) ptrs.push_back(c->value_data(*ws, v));
    float* out = c->value_data(*ws, step.output);
    const int acc = step.layer->accumulate_input();
    if (acc >= 0 && !c->memory.reused[step.output]) {
      std::memcpy(out, ptrs[acc], bytes_of(c->values[step.output].shape));
    }
    step.layer->run(ptrs, out, scratch);
    record(step.node, step.op, step.output, step.layer->kernel(), t0);
  }
  std::vector<Tensor> outputs;
  for (size_t i = 0; i < c->outputs.size(); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const Transfer& t = c->outputs[i];
    Tensor out(c->values[t.value].shape, Layout::nchw);
    const Shape& s = out.shape();
    if (t.transpose) {
      kernels::nhwc_to_nchw(c->value_data(*ws, t.value), out.data(), s.n, s.c, s.h * s.w,
                            context.threads);
    } else {
      std::memcpy(out.data(), c->value_data(*ws, t.value), bytes_of(s));
    }
    record(graph.outputs[i], "Output", t.value, t.transpose ? to_nchw_kernel() : "copy", t0);
    outputs.push_back(std::move(out));
  }
  c->release(std::move(ws));
  if (detail::verbose()) {
    for (const NodeProfile& r : rows) {
      detail::verbose_log("node " + r.node + " " + r.op + " " + r.shape.str() + " " + r.kernel +
                          " " + std::to_string(r.microseconds) + " us");
    }
  }
  if (profile) *profile = std::move(rows);
  return outputs;
}

}  // namespace shiftnn
