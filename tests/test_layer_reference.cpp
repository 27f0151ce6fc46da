// The scalar layer reference against PyTorch's golden files (tests/golden/layers/, made
// by make_layer_golden.py there): within 1e-5 relative of every PyTorch output.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/reference/layer_reference.hpp"
#include "shiftnn/npy.hpp"
#include "support/test_support.hpp"

namespace shiftnn::test {
namespace {

namespace ref = shiftnn::kernels::reference;

constexpr double kEps = 1e-5;  // every golden norm layer's eps

NpyArray golden(const std::string& name) {
  return load_npy("tests/golden/layers/" + name + ".npy");
}

// Integer settings stored as floats in <case>_params.npy.
std::vector<int64_t> params(const std::string& name) {
  std::vector<int64_t> v;
  for (float f : golden(name + "_params").data) v.push_back(static_cast<int64_t>(f));
  return v;
}

// Empty when every float is within 1e-5 * (1 + |want|) of PyTorch's; else the first miss.
std::string close_to(const std::vector<float>& got, const NpyArray& want) {
  if (got.size() != want.data.size()) {
    return "got " + std::to_string(got.size()) + " floats, want " +
           std::to_string(want.data.size());
  }
  int64_t bad = 0, first = -1;
  for (size_t i = 0; i < got.size(); ++i) {
    const double w = want.data[i];
    if (!(std::fabs(got[i] - w) <= 1e-5 * (1.0 + std::fabs(w)))) {
      if (first < 0) first = static_cast<int64_t>(i);
      ++bad;
    }
  }
  if (first < 0) return "";
  return std::to_string(bad) + " of " + std::to_string(got.size()) + " floats differ; first " +
         std::to_string(first) + ": got " + describe_float(got[first]) + ", want " +
         describe_float(want.data[first]);
}

// n, c, h, w of a 4-d golden array.
struct Dims4 {
  int64_t n, c, h, w;
};

Dims4 dims_of(const NpyArray& a) {
  EXPECT_EQ(a.shape.size(), 4u);
  return {a.shape[0], a.shape[1], a.shape[2], a.shape[3]};
}

std::vector<float> output_for(const NpyArray& want) {
  return std::vector<float>(want.data.size());
}

TEST(LayerReference, Conv2d) {
  for (const char* name :
       {"conv_stride2", "conv_dil2_groups3", "conv_dw7", "conv_1x1_spatial", "conv_rect"}) {
    SCOPED_TRACE(name);
    const std::string c = name;
    const std::vector<int64_t> p = params(c);
    ASSERT_EQ(p.size(), 15u);
    ref::ConvShape s;
    s.n = p[0], s.ic = p[1], s.ih = p[2], s.iw = p[3], s.oc = p[4], s.kh = p[5], s.kw = p[6];
    s.stride_h = p[7], s.stride_w = p[8], s.pad_h = p[9], s.pad_w = p[10];
    s.dilation_h = p[11], s.dilation_w = p[12], s.groups = p[13];
    const NpyArray x = golden(c + "_x"), w = golden(c + "_weight"), want = golden(c + "_y");
    const NpyArray bias = p[14] ? golden(c + "_bias") : NpyArray{};
    ASSERT_EQ(want.shape, (std::vector<int64_t>{s.n, s.oc, s.oh(), s.ow()}));
    std::vector<float> y = output_for(want);
    ref::conv2d(x.data.data(), w.data.data(), p[14] ? bias.data.data() : nullptr, y.data(), s);
    EXPECT_EQ(close_to(y, want), "");
  }
}

TEST(LayerReference, Linear) {
  for (const char* name : {"linear", "linear_nobias"}) {
    SCOPED_TRACE(name);
    const std::string c = name;
    const std::vector<int64_t> p = params(c);
    ASSERT_EQ(p.size(), 4u);
    const NpyArray x = golden(c + "_x"), w = golden(c + "_weight"), want = golden(c + "_y");
    const NpyArray bias = p[3] ? golden(c + "_bias") : NpyArray{};
    std::vector<float> y = output_for(want);
    ref::linear(x.data.data(), w.data.data(), p[3] ? bias.data.data() : nullptr, y.data(), p[0],
                p[1], p[2]);
    EXPECT_EQ(close_to(y, want), "");
  }
}

TEST(LayerReference, ReluAndGelu) {
  const NpyArray x = golden("act_x");
  const auto count = static_cast<int64_t>(x.data.size());
  const NpyArray relu_want = golden("relu_y"), gelu_want = golden("gelu_y");
  std::vector<float> y(x.data.size());
  ref::relu(x.data.data(), y.data(), count);
  EXPECT_EQ(close_to(y, relu_want), "") << "relu";
  ref::gelu(x.data.data(), y.data(), count);
  EXPECT_EQ(close_to(y, gelu_want), "") << "gelu";
}

TEST(LayerReference, AddAndMulBroadcast) {
  const NpyArray a = golden("binary_a");
  const Dims4 d = dims_of(a);
  for (const char* tag : {"full", "nc", "c"}) {
    SCOPED_TRACE(tag);
    const std::string t = tag;
    const NpyArray b = golden("binary_b_" + t);
    const Dims4 bd = dims_of(b);
    const NpyArray add_want = golden("add_" + t), mul_want = golden("mul_" + t);
    std::vector<float> y(a.data.size());
    ref::add(a.data.data(), b.data.data(), y.data(), d.n, d.c, d.h, d.w, bd.n, bd.h * bd.w);
    EXPECT_EQ(close_to(y, add_want), "") << "add";
    ref::mul(a.data.data(), b.data.data(), y.data(), d.n, d.c, d.h, d.w, bd.n, bd.h * bd.w);
    EXPECT_EQ(close_to(y, mul_want), "") << "mul";
  }
}

TEST(LayerReference, BatchNormEval) {
  const NpyArray x = golden("batch_norm_x"), want = golden("batch_norm_y");
  const NpyArray gamma = golden("batch_norm_gamma"), beta = golden("batch_norm_beta");
  const NpyArray mean = golden("batch_norm_mean"), var = golden("batch_norm_var");
  const Dims4 d = dims_of(x);
  std::vector<float> y = output_for(want);
  ref::batch_norm(x.data.data(), y.data(), d.n, d.c, d.h, d.w, gamma.data.data(), beta.data.data(),
                  mean.data.data(), var.data.data(), kEps);
  EXPECT_EQ(close_to(y, want), "");
}

TEST(LayerReference, GroupNorm) {
  for (const char* name : {"group_norm_1", "group_norm_3", "group_norm_c", "group_norm_1x1"}) {
    SCOPED_TRACE(name);
    const std::string c = name;
    const std::vector<int64_t> p = params(c);
    ASSERT_EQ(p.size(), 1u);
    const NpyArray x = golden(c + "_x"), want = golden(c + "_y");
    const NpyArray gamma = golden(c + "_gamma"), beta = golden(c + "_beta");
    const Dims4 d = dims_of(x);
    std::vector<float> y = output_for(want);
    ref::group_norm(x.data.data(), y.data(), d.n, d.c, d.h, d.w, p[0], gamma.data.data(),
                    beta.data.data(), kEps);
    EXPECT_EQ(close_to(y, want), "");
  }
}

TEST(LayerReference, LayerNormOverChannels) {
  for (const char* name : {"layer_norm", "layer_norm_1x1"}) {
    SCOPED_TRACE(name);
    const std::string c = name;
    const NpyArray x = golden(c + "_x"), want = golden(c + "_y");
    const NpyArray gamma = golden(c + "_gamma"), beta = golden(c + "_beta");
    const Dims4 d = dims_of(x);
    std::vector<float> y = output_for(want);
    ref::layer_norm_channels(x.data.data(), y.data(), d.n, d.c, d.h, d.w, gamma.data.data(),
                             beta.data.data(), kEps);
    EXPECT_EQ(close_to(y, want), "");
  }
}

TEST(LayerReference, GlobalAvgPool) {
  const NpyArray x = golden("avg_pool_x"), want = golden("avg_pool_y");
  const Dims4 d = dims_of(x);
  std::vector<float> y = output_for(want);
  ref::global_avg_pool(x.data.data(), y.data(), d.n, d.c, d.h, d.w);
  EXPECT_EQ(close_to(y, want), "");
}

TEST(LayerReference, SoftmaxOverChannelsOfLargeValues) {
  const NpyArray x = golden("softmax_x"), want = golden("softmax_y");
  const Dims4 d = dims_of(x);
  std::vector<float> y = output_for(want);
  ref::softmax_channels(x.data.data(), y.data(), d.n, d.c, d.h, d.w);
  EXPECT_EQ(close_to(y, want), "");
}

TEST(LayerReference, ConcatChannels) {
  const NpyArray x0 = golden("concat_x0"), x1 = golden("concat_x1"), x2 = golden("concat_x2");
  const NpyArray want = golden("concat_y");
  const Dims4 d = dims_of(want);
  std::vector<float> y = output_for(want);
  ref::concat_channels({x0.data.data(), x1.data.data(), x2.data.data()},
                       {x0.shape[1], x1.shape[1], x2.shape[1]}, y.data(), d.n, d.h, d.w);
  EXPECT_EQ(close_to(y, want), "");
}

TEST(LayerReference, StridedSlice) {
  for (const char* name : {"slice_odd", "slice_ranges", "slice_big_steps"}) {
    SCOPED_TRACE(name);
    const std::string c = name;
    const std::vector<int64_t> p = params(c);  // starts, stops, steps
    ASSERT_EQ(p.size(), 12u);
    const NpyArray x = golden(c + "_x"), want = golden(c + "_y");
    std::vector<float> y = output_for(want);
    ref::slice(x.data.data(), y.data(), x.shape.data(), p.data(), p.data() + 4, p.data() + 8);
    EXPECT_EQ(close_to(y, want), "");
  }
}

}  // namespace
}  // namespace shiftnn::test
