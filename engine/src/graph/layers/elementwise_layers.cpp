// GELU, ReLU, Add and Mul through oneDNN eltwise and binary primitives, in place when the
// input dies here.
#include "kernels/onednn/layers_onednn.hpp"
#include "layers.hpp"

namespace shiftnn::detail {
namespace {

kernels::Dims dims_of(const Shape& s) {
  return {s.n, s.c, s.h, s.w};
}

class EltwiseLayer : public Layer {
 public:
  EltwiseLayer(kernels::EltwiseKind kind, Shape s, int threads) : op_(kind, dims_of(s), threads) {}
  void run(const std::vector<const float*>& in, float* out, void* scratch) const override {
    op_.run(in[0], out, scratch);
  }
  size_t scratch_bytes() const override { return op_.scratch_bytes(); }
  std::string kernel() const override { return op_.name(); }
  int in_place_input() const override { return 0; }

 private:
  kernels::EltwiseOnednn op_;
};

class BinaryLayer : public Layer {
 public:
  // full: the operand with the output's shape; other: the (maybe broadcast) one.
  BinaryLayer(kernels::BinaryKind kind, Shape full, Shape other, int full_index, int threads)
      : op_(kind, dims_of(full), dims_of(other), threads), full_(full_index) {}
  void run(const std::vector<const float*>& in, float* out, void* scratch) const override {
    op_.run(in[full_], in[1 - full_], out, scratch);
  }
  size_t scratch_bytes() const override { return op_.scratch_bytes(); }
  std::string kernel() const override { return op_.name(); }
  int in_place_input() const override { return full_; }

 private:
  kernels::BinaryOnednn op_;
  int full_;
};

std::unique_ptr<Layer> make_eltwise(const LayerArgs& a, kernels::EltwiseKind kind) {
  a.node.allow({});
  a.node.expect_inputs(1);
  a.output = a.inputs[0];
  return std::make_unique<EltwiseLayer>(kind, a.inputs[0].shape, a.context.threads);
}

// b broadcasts into a: a's channels, a's batch or 1, a's pixels or 1x1.
bool broadcasts_into(const Shape& b, const Shape& a) {
  const bool pixels = (b.h == a.h && b.w == a.w) || (b.h == 1 && b.w == 1);
  return b.c == a.c && (b.n == a.n || b.n == 1) && pixels;
}

std::unique_ptr<Layer> make_binary(const LayerArgs& a, kernels::BinaryKind kind) {
  a.node.allow({});
  a.node.expect_inputs(2);
  const Shape &x = a.inputs[0].shape, &y = a.inputs[1].shape;
  int full = 0;
  if (!broadcasts_into(y, x)) {
    if (!broadcasts_into(x, y)) {
      a.node.fail("operands " + x.str() + " and " + y.str() +
                  " differ (broadcast only over a batch of 1 and a 1x1 image)");
    }
    full = 1;
  }
  a.output = a.inputs[full];
  if (a.inputs[0].rank != a.inputs[1].rank) a.output.rank = 4;
  return std::make_unique<BinaryLayer>(kind, a.inputs[full].shape, a.inputs[1 - full].shape, full,
                                       a.context.threads);
}

}  // namespace

std::unique_ptr<Layer> make_gelu(const LayerArgs& a) {
  return make_eltwise(a, kernels::EltwiseKind::gelu);
}
std::unique_ptr<Layer> make_relu(const LayerArgs& a) {
  return make_eltwise(a, kernels::EltwiseKind::relu);
}
std::unique_ptr<Layer> make_add(const LayerArgs& a) {
  return make_binary(a, kernels::BinaryKind::add);
}
std::unique_ptr<Layer> make_mul(const LayerArgs& a) {
  return make_binary(a, kernels::BinaryKind::mul);
}

}  // namespace shiftnn::detail
