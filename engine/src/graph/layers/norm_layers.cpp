// GroupNorm (the SIMD kernels of kernels/layer_ops.hpp) and LayerNorm over channels
// (oneDNN layer normalisation of the (N*H*W) x C nhwc tensor).
#include "kernels/layer_ops.hpp"
#include "kernels/onednn/layers_onednn.hpp"
#include "layers.hpp"

namespace shiftnn::detail {
namespace {

float checked_eps(const NodeReader& node) {
  const double eps = node.real("eps", 1e-5);
  if (!(eps >= 0 && eps < 1)) node.fail("eps must be in [0, 1)");
  return static_cast<float>(eps);
}

class GroupNormLayer : public Layer {
 public:
  GroupNormLayer(Shape s, int64_t groups, const Weight& gamma, const Weight& beta, float eps,
                 int threads)
      : s_(s),
        groups_(groups),
        gamma_(gamma.data),
        beta_(beta.data),
        eps_(eps),
        threads_(threads) {}
  void run(const std::vector<const float*>& in, float* out, void*) const override {
    kernels::group_norm_nhwc(in[0], out, s_.n, s_.c, s_.h * s_.w, groups_, gamma_.data(),
                             beta_.data(), eps_, threads_);
  }
  std::string kernel() const override { return "group_norm_nhwc"; }
  int in_place_input() const override { return 0; }

 private:
  Shape s_;
  int64_t groups_;
  std::vector<float> gamma_, beta_;
  float eps_;
  int threads_;
};

class LayerNormLayer : public Layer {
 public:
  LayerNormLayer(Shape s, const Weight& gamma, const Weight& beta, float eps, int threads)
      : norm_({s.n, s.c, s.h, s.w}, gamma.data.data(), beta.data.data(), eps, threads) {}
  void run(const std::vector<const float*>& in, float* out, void* scratch) const override {
    norm_.run(in[0], out, scratch);
  }
  size_t scratch_bytes() const override { return norm_.scratch_bytes(); }
  std::string kernel() const override { return norm_.name(); }

 private:
  kernels::LayerNormOnednn norm_;
};

}  // namespace

std::unique_ptr<Layer> make_group_norm(const LayerArgs& a) {
  const NodeReader& node = a.node;
  node.allow({"groups", "eps"}, {"weight", "bias"});
  node.expect_inputs(1);
  const Shape& s = a.inputs[0].shape;
  const int64_t groups = node.integer("groups", 1);
  if (groups < 1 || s.c % groups != 0) {
    node.fail("groups " + std::to_string(groups) + " must divide the " + std::to_string(s.c) +
              " channels");
  }
  const Weight& gamma = node.weight("weight", {s.c});
  const Weight& beta = node.weight("bias", {s.c});
  a.output = a.inputs[0];
  return std::make_unique<GroupNormLayer>(s, groups, gamma, beta, checked_eps(node),
                                          a.context.threads);
}

std::unique_ptr<Layer> make_layer_norm(const LayerArgs& a) {
  const NodeReader& node = a.node;
  node.allow({"eps"}, {"weight", "bias"});
  node.expect_inputs(1);
  const Shape& s = a.inputs[0].shape;
  const Weight& gamma = node.weight("weight", {s.c});
  const Weight& beta = node.weight("bias", {s.c});
  a.output = a.inputs[0];
  return std::make_unique<LayerNormLayer>(s, gamma, beta, checked_eps(node), a.context.threads);
}

}  // namespace shiftnn::detail
