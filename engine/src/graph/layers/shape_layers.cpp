// Concat, Slice, GlobalAvgPool, Flatten and Softmax.
#include <algorithm>

#include "kernels/kernel_table.hpp"
#include "kernels/layer_ops.hpp"
#include "kernels/layout_ops.hpp"
#include "kernels/onednn/layers_onednn.hpp"
#include "layers.hpp"

namespace shiftnn::detail {
namespace {

kernels::Dims dims_of(const Shape& s) {
  return {s.n, s.c, s.h, s.w};
}

class ConcatLayer : public Layer {
 public:
  ConcatLayer(const std::vector<kernels::Dims>& inputs, int threads) : op_(inputs, threads) {}
  void run(const std::vector<const float*>& in, float* out, void* scratch) const override {
    op_.run(in, out, scratch);
  }
  size_t scratch_bytes() const override { return op_.scratch_bytes(); }
  std::string kernel() const override { return op_.name(); }

 private:
  kernels::ConcatOnednn op_;
};

class SliceLayer : public Layer {
 public:
  SliceLayer(const Shape& s, std::vector<int64_t> starts, std::vector<int64_t> stops,
             std::vector<int64_t> steps, int threads)
      : dims_{s.n, s.c, s.h, s.w},
        starts_(std::move(starts)),
        stops_(std::move(stops)),
        steps_(std::move(steps)),
        threads_(threads) {}
  void run(const std::vector<const float*>& in, float* out, void*) const override {
    kernels::slice_nhwc(in[0], out, dims_, starts_.data(), stops_.data(), steps_.data(), threads_);
  }
  std::string kernel() const override { return "slice_nhwc"; }

 private:
  int64_t dims_[4];
  std::vector<int64_t> starts_, stops_, steps_;
  int threads_;
};

// One-input oneDNN layers: pooling, softmax, reorder.
template <class Op>
class UnaryOnednnLayer : public Layer {
 public:
  template <class... Args>
  explicit UnaryOnednnLayer(Args&&... args) : op_(std::forward<Args>(args)...) {}
  void run(const std::vector<const float*>& in, float* out, void* scratch) const override {
    op_.run(in[0], out, scratch);
  }
  size_t scratch_bytes() const override { return op_.scratch_bytes(); }
  std::string kernel() const override { return op_.name(); }

 private:
  Op op_;
};

// Flatten: the nhwc tensor in nchw order (PyTorch's flatten order).
class FlattenLayer : public Layer {
 public:
  FlattenLayer(const Shape& s, int threads) : s_(s), threads_(threads) {}
  void run(const std::vector<const float*>& in, float* out, void*) const override {
    kernels::nhwc_to_nchw(in[0], out, s_.n, s_.c, s_.h * s_.w, threads_);
  }
  std::string kernel() const override {
    return SHIFTNN_KERNEL_NAME(transpose_nhwc_to_nchw, kernels::active_kernels().isa);
  }

 private:
  Shape s_;
  int threads_;
};

// Flatten of a tensor whose nhwc order already is the nchw order (1x1 pixels or 1 channel).
class AliasLayer : public Layer {
 public:
  void run(const std::vector<const float*>&, float*, void*) const override {}
  std::string kernel() const override { return "alias"; }
  bool is_alias() const override { return true; }
};

// A weight as a tensor: copied into the arena on every run (constants are small:
// sampling grids, per-pixel scales).
class ConstantLayer : public Layer {
 public:
  explicit ConstantLayer(std::vector<float> nhwc) : data_(std::move(nhwc)) {}
  void run(const std::vector<const float*>&, float* out, void*) const override {
    std::copy(data_.begin(), data_.end(), out);
  }
  std::string kernel() const override { return "copy"; }

 private:
  std::vector<float> data_;
};

}  // namespace

// Constant: the weight `value`; with an input x (read for its batch only) a value of
// batch 1 is repeated over x's batch, so the constant follows the model's batch size.
std::unique_ptr<Layer> make_constant(const LayerArgs& a) {
  const NodeReader& node = a.node;
  node.allow({}, {"value"});
  node.expect_inputs(0, 1);
  const bool two_d = node.has_weight("value") && node.weight_rank("value") == 2;
  const Weight& w = node.weight_of_rank("value", two_d ? 2 : 4);
  Shape s = two_d ? Shape{w.shape[0], w.shape[1], 1, 1}
                  : Shape{w.shape[0], w.shape[1], w.shape[2], w.shape[3]};
  const int64_t copies = a.inputs.empty() ? 1 : a.inputs[0].shape.n;
  if (copies > 1 && s.n != 1) node.fail("value must have batch 1 to follow the input's batch");
  const int64_t image = s.c * s.h * s.w, hw = s.h * s.w;
  std::vector<float> nhwc(static_cast<size_t>(image * s.n * copies));
  for (int64_t n = 0; n < s.n * copies; ++n) {
    const float* src = w.data.data() + (n % s.n) * image;
    for (int64_t c = 0; c < s.c; ++c) {
      for (int64_t p = 0; p < hw; ++p) nhwc[(n * hw + p) * s.c + c] = src[c * hw + p];
    }
  }
  s.n *= copies;
  a.output = {s, two_d ? 2 : 4};
  return std::make_unique<ConstantLayer>(std::move(nhwc));
}

std::unique_ptr<Layer> make_concat(const LayerArgs& a) {
  a.node.allow({"axis"});
  if (a.node.integer("axis", 1) != 1) a.node.fail("only axis 1 (channels) is supported");
  if (a.inputs.empty()) a.node.fail("takes at least one input");
  std::vector<kernels::Dims> dims;
  Shape out = a.inputs[0].shape;
  out.c = 0;
  for (const ValueInfo& in : a.inputs) {
    const Shape& s = in.shape;
    if (s.n != out.n || s.h != out.h || s.w != out.w) {
      a.node.fail("input " + s.str() + " differs from " + a.inputs[0].shape.str() +
                  " in N, H or W");
    }
    out.c += s.c;
    dims.push_back(dims_of(s));
  }
  a.output = {out, a.inputs[0].rank};
  return std::make_unique<ConcatLayer>(dims, a.context.threads);
}

std::unique_ptr<Layer> make_slice(const LayerArgs& a) {
  const NodeReader& node = a.node;
  node.allow({"starts", "stops", "steps"});
  node.expect_inputs(1);
  const Shape& s = a.inputs[0].shape;
  const int64_t dims[4] = {s.n, s.c, s.h, s.w};
  auto starts = node.integers("starts", {0, 0, 0, 0}, 4);
  auto stops = node.integers("stops", {dims[0], dims[1], dims[2], dims[3]}, 4);
  auto steps = node.integers("steps", {1, 1, 1, 1}, 4);
  int64_t out[4];
  for (int i = 0; i < 4; ++i) {
    stops[i] = std::min(stops[i], dims[i]);
    if (starts[i] < 0 || steps[i] < 1) node.fail("starts must be >= 0 and steps >= 1");
    if (starts[i] >= stops[i]) {
      node.fail("axis " + std::to_string(i) + " is empty: [" + std::to_string(starts[i]) + ", " +
                std::to_string(stops[i]) + ") of " + std::to_string(dims[i]));
    }
    out[i] = (stops[i] - starts[i] + steps[i] - 1) / steps[i];
  }
  a.output = {{out[0], out[1], out[2], out[3]}, a.inputs[0].rank};
  return std::make_unique<SliceLayer>(s, starts, stops, steps, a.context.threads);
}

std::unique_ptr<Layer> make_global_avg_pool(const LayerArgs& a) {
  a.node.allow({});
  a.node.expect_inputs(1);
  const Shape& s = a.inputs[0].shape;
  a.output = {{s.n, s.c, 1, 1}, 4};
  return std::make_unique<UnaryOnednnLayer<kernels::GlobalAvgPoolOnednn>>(dims_of(s),
                                                                          a.context.threads);
}

std::unique_ptr<Layer> make_flatten(const LayerArgs& a) {
  a.node.allow({});
  a.node.expect_inputs(1);
  const Shape& s = a.inputs[0].shape;
  a.output = {{s.n, s.c * s.h * s.w, 1, 1}, 2};
  if (s.c == 1 || s.h * s.w == 1) return std::make_unique<AliasLayer>();
  return std::make_unique<FlattenLayer>(s, a.context.threads);
}

std::unique_ptr<Layer> make_softmax(const LayerArgs& a) {
  a.node.allow({"axis"});
  a.node.expect_inputs(1);
  if (a.node.integer("axis", 1) != 1) a.node.fail("only axis 1 (channels) is supported");
  a.output = a.inputs[0];
  return std::make_unique<UnaryOnednnLayer<kernels::SoftmaxOnednn>>(dims_of(a.inputs[0].shape),
                                                                    a.context.threads);
}

}  // namespace shiftnn::detail
