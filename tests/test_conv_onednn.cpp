// ConvOnednn and LinearOnednn vs the scalar reference: awkward channel counts and image
// sizes, every convolution form the graph runtime uses, fused activation and residual
// add, guard zones around the output, and one primitive run from several threads at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "kernels/onednn/conv_onednn.hpp"
#include "kernels/reference/layer_reference.hpp"
#include "support/test_support.hpp"

namespace shiftnn::test {
namespace {

namespace k = shiftnn::kernels;
namespace ref = shiftnn::kernels::reference;

// 1e-4 of the largest reference magnitude (at least 1e-4 absolute).
float tolerance(const std::vector<float>& want) {
  return 1e-4f * std::max(1.0f, max_abs(want));
}

void activate(std::vector<float>& y, k::Activation a) {
  const auto count = static_cast<int64_t>(y.size());
  std::vector<float> x = y;
  if (a == k::Activation::relu) ref::relu(x.data(), y.data(), count);
  if (a == k::Activation::gelu) ref::gelu(x.data(), y.data(), count);
}

const char* activation_name(k::Activation a) {
  switch (a) {
    case k::Activation::none:
      return "none";
    case k::Activation::relu:
      return "relu";
    case k::Activation::gelu:
      return "gelu";
  }
  return "?";
}

struct ConvCase {
  const char* label;
  ref::ConvShape s;
  bool bias = false;
  k::Activation activation = k::Activation::none;
  bool accumulate = false;
  k::Activation after_sum = k::Activation::none;
};

// gtest prints the label instead of the struct's bytes.
void PrintTo(const ConvCase& c, std::ostream* os) {
  *os << c.label;
}

ref::ConvShape conv(int64_t n, int64_t ic, int64_t ih, int64_t iw, int64_t oc, int64_t k,
                    int64_t stride = 1, int64_t pad = 0, int64_t dilation = 1, int64_t groups = 1) {
  ref::ConvShape s;
  s.n = n, s.ic = ic, s.ih = ih, s.iw = iw, s.oc = oc, s.kh = k, s.kw = k;
  s.stride_h = s.stride_w = stride;
  s.pad_h = s.pad_w = pad;
  s.dilation_h = s.dilation_w = dilation;
  s.groups = groups;
  return s;
}

const k::Activation kNone = k::Activation::none, kRelu = k::Activation::relu,
                    kGelu = k::Activation::gelu;

const ConvCase kConvCases[] = {
    {"pointwise_17to3_5x7", conv(1, 17, 5, 7, 3, 1)},
    {"pointwise_n3_3to17_1x1", conv(3, 3, 1, 1, 17, 1), true, kRelu},
    {"pointwise_96_14x14", conv(1, 96, 14, 14, 96, 1), true, kGelu},
    {"3x3_pad1_17to96", conv(1, 17, 14, 14, 96, 3, 1, 1), true, kRelu},
    {"3x3_pad1_n3_1to3_5x7", conv(3, 1, 5, 7, 3, 3, 1, 1), false, kGelu},
    {"3x3_stride2_pad1_5x7", conv(1, 17, 5, 7, 17, 3, 2, 1), true},
    {"3x3_pad1_1x1_image", conv(3, 3, 1, 1, 17, 3, 1, 1), true},
    {"dw7x7_pad3_96_14x14", conv(1, 96, 14, 14, 96, 7, 1, 3, 1, 96), true, kGelu},
    {"dw7x7_pad3_n3_17_5x7", conv(3, 17, 5, 7, 17, 7, 1, 3, 1, 17)},
    {"dw3x3_pad1_1ch", conv(1, 1, 5, 7, 1, 3, 1, 1, 1, 1), true},
    {"patch_embed_4x4s4_3to32", conv(1, 3, 16, 16, 32, 4, 4), true},
    {"patch_embed_4x4s4_18x17", conv(3, 3, 18, 17, 32, 4, 4), false},
    {"dilation2_3x3_pad2", conv(1, 17, 14, 14, 17, 3, 1, 2, 2), true, kRelu},
    {"dilation2_dw3x3_pad2", conv(3, 17, 5, 7, 17, 3, 1, 2, 2, 17)},
    {"grouped3_9ch_3x3", conv(1, 9, 5, 7, 9, 3, 1, 1, 1, 3), true, kRelu},
    {"grouped3_12ch_1x1", conv(3, 12, 14, 14, 12, 1, 1, 0, 1, 3)},
    {"accumulate_pointwise_96", conv(1, 96, 14, 14, 96, 1), false, kNone, true},
    {"accumulate_dw3x3_gelu", conv(3, 17, 5, 7, 17, 3, 1, 1, 1, 17), true, kGelu, true},
    {"accumulate_3x3_relu", conv(3, 3, 5, 7, 17, 3, 1, 1), true, kRelu, true},
    {"accumulate_grouped3_12ch", conv(1, 12, 14, 14, 12, 3, 1, 1, 1, 3), true, kNone, true},
    {"accumulate_then_relu", conv(2, 16, 6, 5, 16, 1), true, kNone, true, kRelu},
    {"gelu_accumulate_then_gelu", conv(1, 9, 7, 7, 9, 3, 1, 1), true, kGelu, true, kGelu},
};

struct ConvData {
  std::vector<float> x, weight, bias, prefill, want;  // nchw
};

// Input and prefill from seed, weights and bias from weight_seed.
ConvData make_conv_data(const ConvCase& c, uint32_t seed, uint32_t weight_seed) {
  const ref::ConvShape& s = c.s;
  ConvData d;
  d.x = random_values(s.n * s.ic * s.ih * s.iw, seed);
  d.weight = random_values(s.oc * (s.ic / s.groups) * s.kh * s.kw, weight_seed);
  if (c.bias) d.bias = random_values(s.oc, weight_seed + 1);
  const int64_t out = s.n * s.oc * s.oh() * s.ow();
  d.want.resize(static_cast<size_t>(out));
  ref::conv2d(d.x.data(), d.weight.data(), c.bias ? d.bias.data() : nullptr, d.want.data(), s);
  activate(d.want, c.activation);
  if (c.accumulate) {
    d.prefill = random_values(out, seed + 1);
    for (size_t i = 0; i < d.want.size(); ++i) d.want[i] += d.prefill[i];
    activate(d.want, c.after_sum);
  }
  return d;
}

Shape out_shape(const ref::ConvShape& s) {
  return {s.n, s.oc, s.oh(), s.ow()};
}

// Runs op on d's input into a guarded nhwc buffer (prefilled when accumulating) and
// returns "" when the output matches d.want and the guards are intact.
std::string run_and_check(const k::ConvOnednn& op, const ConvCase& c, const ConvData& d) {
  const ref::ConvShape& s = c.s;
  const Shape in{s.n, s.ic, s.ih, s.iw}, out = out_shape(s);
  const std::vector<float> x = to_nhwc(d.x, in);
  GuardedBuffer dst(out.elements());
  if (c.accumulate) {
    const std::vector<float> prefill = to_nhwc(d.prefill, out);
    std::copy(prefill.begin(), prefill.end(), dst.data());
  }
  // No scratch at all when the primitive needs none, as the header allows.
  Scratch scratch(op.scratch_bytes());
  op.run(x.data(), dst.data(), op.scratch_bytes() > 0 ? scratch.get() : nullptr);
  if (dst.damaged_guard() >= 0) return "guard float " + std::to_string(dst.damaged_guard());
  const std::vector<float> got = from_nhwc(dst.data(), out);
  return compare(got.data(), d.want.data(), out, Layout::nchw, tolerance(d.want));
}

class ConvOnednnTest : public ::testing::TestWithParam<std::tuple<ConvCase, int>> {};

TEST_P(ConvOnednnTest, MatchesReference) {
  const auto& [c, threads] = GetParam();
  const ConvData d = make_conv_data(c, 11, 12);
  const k::ConvOnednn op(c.s, d.weight.data(), c.bias ? d.bias.data() : nullptr, c.activation,
                         c.accumulate, threads, c.after_sum);
  EXPECT_EQ(op.name().rfind("conv_onednn/", 0), 0u) << op.name();
  EXPECT_EQ(run_and_check(op, c, d), "") << op.name();
}

INSTANTIATE_TEST_SUITE_P(Cases, ConvOnednnTest,
                         ::testing::Combine(::testing::ValuesIn(kConvCases),
                                            ::testing::Values(1, 2)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param).label) + "_t" +
                                  std::to_string(std::get<1>(info.param));
                         });

// One primitive, four threads, each with its own input, output and scratch, several rounds.
TEST(ConvOnednn, ConcurrentRuns) {
  const ConvCase c{"concurrent", conv(1, 17, 14, 14, 32, 3, 1, 1), true, kGelu, true};
  std::vector<ConvData> data;
  for (uint32_t t = 0; t < 4; ++t) data.push_back(make_conv_data(c, 100 + 10 * t, 7));
  const k::ConvOnednn op(c.s, data[0].weight.data(), data[0].bias.data(), c.activation, true, 1);
  std::vector<std::string> errors(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20 && errors[t].empty(); ++round) {
        errors[t] = run_and_check(op, c, data[t]);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t t = 0; t < 4; ++t) EXPECT_EQ(errors[t], "") << "thread " << t;
}

// The implementations oneDNN picks for the shift networks' two hot convolutions.
TEST(ConvOnednn, ImplementationNames) {
  for (const int threads : {1, 2}) {
    const ref::ConvShape pointwise = conv(1, 96, 56, 56, 96, 1);
    const ref::ConvShape depthwise = conv(1, 96, 56, 56, 96, 3, 1, 1, 1, 96);
    const std::vector<float> w = random_values(96 * 96 * 9, 1);
    const k::ConvOnednn pw(pointwise, w.data(), nullptr, kNone, false, threads);
    const k::ConvOnednn dw(depthwise, w.data(), nullptr, kNone, false, threads);
    std::cout << "threads " << threads << ": 1x1 1x96x56x56 -> " << pw.name()
              << "; depthwise 3x3 1x96x56x56 -> " << dw.name() << "\n";
    EXPECT_EQ(pw.name().rfind("conv_onednn/", 0), 0u);
    EXPECT_EQ(dw.name().rfind("conv_onednn/", 0), 0u);
  }
}

struct LinearCase {
  int64_t n;
  bool bias;
  k::Activation activation;
};

class LinearOnednnTest : public ::testing::TestWithParam<LinearCase> {};

TEST_P(LinearOnednnTest, MatchesReference) {
  const LinearCase& c = GetParam();
  const int64_t in = 17, out = 10;
  const std::vector<float> x = random_values(c.n * in, 21), w = random_values(out * in, 22),
                           b = random_values(out, 23);
  const float* bias = c.bias ? b.data() : nullptr;
  std::vector<float> want(static_cast<size_t>(c.n * out));
  ref::linear(x.data(), w.data(), bias, want.data(), c.n, in, out);
  activate(want, c.activation);

  const k::LinearOnednn op(c.n, in, out, w.data(), bias, c.activation, 1);
  GuardedBuffer dst(c.n * out);
  Scratch scratch(op.scratch_bytes());
  op.run(x.data(), dst.data(), scratch.get());
  EXPECT_EQ(dst.damaged_guard(), -1);
  EXPECT_EQ(compare(dst.data(), want.data(), {c.n, out, 1, 1}, Layout::nchw, tolerance(want)), "")
      << op.name();
}

INSTANTIATE_TEST_SUITE_P(Cases, LinearOnednnTest,
                         ::testing::Values(LinearCase{1, false, kNone}, LinearCase{1, true, kRelu},
                                           LinearCase{8, true, kNone}, LinearCase{8, false, kGelu},
                                           LinearCase{8, true, kGelu}),
                         [](const auto& info) {
                           return "n" + std::to_string(info.param.n) +
                                  (info.param.bias ? "_bias_" : "_nobias_") +
                                  activation_name(info.param.activation);
                         });

}  // namespace
}  // namespace shiftnn::test
