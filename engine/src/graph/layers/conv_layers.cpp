// Conv2d, Linear and a standalone BatchNorm, through oneDNN.
#include <cmath>

#include "kernels/onednn/conv_onednn.hpp"
#include "layers.hpp"

namespace shiftnn::detail {
namespace {

using kernels::Activation;

// Bounds on attributes that keep every size product far from overflow.
constexpr int64_t kMaxPad = int64_t{1} << 20;
constexpr int64_t kMaxStride = int64_t{1} << 20;

Activation activation_of(const NodeReader& node, const char* key = "activation") {
  const std::string name = node.text(key, "");
  if (name.empty()) return Activation::none;
  if (name == "relu") return Activation::relu;
  if (name == "gelu") return Activation::gelu;
  node.fail(std::string(key) + " must be \"\", \"relu\" or \"gelu\", not \"" + name + "\"");
}

const char* activation_suffix(Activation a) {
  return a == Activation::relu ? "+relu" : a == Activation::gelu ? "+gelu" : "";
}

class Conv2dLayer : public Layer {
 public:
  Conv2dLayer(const kernels::reference::ConvShape& s, const Weight& weight, const Weight* bias,
              Activation activation, bool residual, int threads,
              Activation after_add = Activation::none)
      : conv_(s, weight.data.data(), bias ? bias->data.data() : nullptr, activation, residual,
              threads, after_add),
        suffix_(std::string(activation_suffix(activation)) + (residual ? "+add" : "") +
                activation_suffix(after_add)),
        residual_(residual) {}
  void run(const std::vector<const float*>& in, float* out, void* scratch) const override {
    conv_.run(in[0], out, scratch);
  }
  size_t scratch_bytes() const override { return conv_.scratch_bytes(); }
  std::string kernel() const override { return conv_.name() + suffix_; }
  int accumulate_input() const override { return residual_ ? 1 : -1; }

 private:
  kernels::ConvOnednn conv_;
  std::string suffix_;
  bool residual_;
};

}  // namespace

// Conv2d: x, and optionally a residual r: residual_activation(act(conv(x) + bias) + r),
// a fused Add and the ReLU/GELU after it.
std::unique_ptr<Layer> make_conv2d(const LayerArgs& a) {
  const NodeReader& node = a.node;
  node.allow({"stride", "padding", "dilation", "groups", "activation", "residual_activation"},
             {"weight", "bias"});
  node.expect_inputs(1, 2);
  const Shape& in = a.inputs[0].shape;
  if (a.inputs[0].rank != 4) node.fail("input must be 4-D");
  const Weight& w = node.weight_of_rank("weight", 4);
  const auto stride = node.integers("stride", {1, 1}, 2);
  const auto pad = node.integers("padding", {0, 0}, 2);
  const auto dilation = node.integers("dilation", {1, 1}, 2);
  const int64_t groups = node.integer("groups", 1);
  for (int i = 0; i < 2; ++i) {
    if (stride[i] < 1 || stride[i] > kMaxStride) node.fail("stride must be in [1, 2^20]");
    if (pad[i] < 0 || pad[i] > kMaxPad) node.fail("padding must be in [0, 2^20]");
    if (dilation[i] < 1 || dilation[i] > kMaxStride) node.fail("dilation must be in [1, 2^20]");
  }
  if (groups < 1 || in.c % groups != 0 || w.shape[0] % groups != 0) {
    node.fail("groups " + std::to_string(groups) + " must divide the input's " +
              std::to_string(in.c) + " channels and the weight's " + std::to_string(w.shape[0]));
  }
  if (w.shape[1] != in.c / groups) {
    node.fail("weight " + dims_text(w.shape) + " expects " + std::to_string(w.shape[1] * groups) +
              " input channels, the input has " + std::to_string(in.c));
  }
  kernels::reference::ConvShape s;
  s.n = in.n, s.ic = in.c, s.ih = in.h, s.iw = in.w;
  s.oc = w.shape[0], s.kh = w.shape[2], s.kw = w.shape[3];
  s.stride_h = stride[0], s.stride_w = stride[1], s.pad_h = pad[0], s.pad_w = pad[1];
  s.dilation_h = dilation[0], s.dilation_w = dilation[1], s.groups = groups;
  if (s.ih + 2 * s.pad_h < s.dilation_h * (s.kh - 1) + 1 ||
      s.iw + 2 * s.pad_w < s.dilation_w * (s.kw - 1) + 1) {
    node.fail("kernel " + std::to_string(s.kh) + "x" + std::to_string(s.kw) +
              " is larger than the padded input " + std::to_string(in.h) + "x" +
              std::to_string(in.w));
  }
  const Weight* bias = node.optional_weight("bias", {s.oc});
  a.output = {{s.n, s.oc, s.oh(), s.ow()}, 4};
  const bool residual = a.inputs.size() == 2;
  if (residual && (a.inputs[1].shape != a.output.shape)) {
    node.fail("residual input " + a.inputs[1].shape.str() + " does not match the output " +
              a.output.shape.str());
  }
  const Activation after_add = activation_of(node, "residual_activation");
  if (after_add != Activation::none && !residual) {
    node.fail("residual_activation needs a residual (second) input");
  }
  return std::make_unique<Conv2dLayer>(s, w, bias, activation_of(node), residual, a.context.threads,
                                       after_add);
}

namespace {

class LinearLayer : public Layer {
 public:
  LinearLayer(int64_t n, int64_t in, int64_t out, const Weight& w, const Weight* bias,
              Activation activation, int threads)
      : linear_(n, in, out, w.data.data(), bias ? bias->data.data() : nullptr, activation, threads),
        suffix_(activation_suffix(activation)) {}
  void run(const std::vector<const float*>& in, float* out, void* scratch) const override {
    linear_.run(in[0], out, scratch);
  }
  size_t scratch_bytes() const override { return linear_.scratch_bytes(); }
  std::string kernel() const override { return linear_.name() + suffix_; }

 private:
  kernels::LinearOnednn linear_;
  std::string suffix_;
};

}  // namespace

// Linear on N x I (2-D, or 4-D with 1x1 pixels): N x O.
std::unique_ptr<Layer> make_linear(const LayerArgs& a) {
  const NodeReader& node = a.node;
  node.allow({"activation"}, {"weight", "bias"});
  node.expect_inputs(1);
  const Shape& in = a.inputs[0].shape;
  if (in.h != 1 || in.w != 1) node.fail("input " + in.str() + " must be 2-D (Flatten first)");
  const Weight& w = node.weight_of_rank("weight", 2);
  if (w.shape[1] != in.c) {
    node.fail("weight " + dims_text(w.shape) + " expects " + std::to_string(w.shape[1]) +
              " features, the input has " + std::to_string(in.c));
  }
  const Weight* bias = node.optional_weight("bias", {w.shape[0]});
  a.output = {{in.n, w.shape[0], 1, 1}, 2};
  return std::make_unique<LinearLayer>(in.n, in.c, w.shape[0], w, bias, activation_of(node),
                                       a.context.threads);
}

// Eval-mode BatchNorm not folded into a convolution: a depthwise 1x1 convolution whose
// weight is gamma / sqrt(var + eps) and bias beta - mean * weight.
std::unique_ptr<Layer> make_batch_norm(const LayerArgs& a) {
  const NodeReader& node = a.node;
  node.allow({"eps"}, {"weight", "bias", "running_mean", "running_var"});
  node.expect_inputs(1);
  const Shape& in = a.inputs[0].shape;
  const double eps = node.real("eps", 1e-5);
  if (!(eps >= 0)) node.fail("eps must be a non-negative number");
  const std::vector<int64_t> c = {in.c};
  const Weight& gamma = node.weight("weight", c);
  const Weight& beta = node.weight("bias", c);
  const Weight& mean = node.weight("running_mean", c);
  const Weight& var = node.weight("running_var", c);
  Weight scale{{in.c, 1, 1, 1}, std::vector<float>(in.c)}, shift{c, std::vector<float>(in.c)};
  for (int64_t i = 0; i < in.c; ++i) {
    const double k = gamma.data[i] / std::sqrt(double{var.data[i]} + eps);
    scale.data[i] = static_cast<float>(k);
    shift.data[i] = static_cast<float>(beta.data[i] - mean.data[i] * k);
  }
  kernels::reference::ConvShape s;
  s.n = in.n, s.ic = s.oc = s.groups = in.c, s.ih = in.h, s.iw = in.w;
  a.output = a.inputs[0];
  return std::make_unique<Conv2dLayer>(s, scale, &shift, Activation::none, false,
                                       a.context.threads);
}

}  // namespace shiftnn::detail
