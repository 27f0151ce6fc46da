// The oneDNN layer ops vs the scalar reference: inputs made in nchw, converted to nhwc
// with plain loops, outputs into guarded buffers and back. ReorderOnednn is checked
// against the plain loops themselves.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "kernels/onednn/layers_onednn.hpp"
#include "kernels/reference/layer_reference.hpp"
#include "support/test_support.hpp"

namespace shiftnn::test {
namespace {

namespace k = shiftnn::kernels;
namespace ref = shiftnn::kernels::reference;

Shape shape(k::Dims d) {
  return {d.n, d.c, d.h, d.w};
}

std::vector<float> to_nhwc(const std::vector<float>& x, k::Dims d) {
  return test::to_nhwc(x, shape(d));
}

// "" when the guards of dst are intact and its nhwc contents match want (nchw) within
// 1e-4 of the largest |want| (at least 1e-4 absolute).
std::string check(const GuardedBuffer& dst, const std::vector<float>& want, k::Dims d) {
  if (dst.damaged_guard() >= 0) return "guard float " + std::to_string(dst.damaged_guard());
  const std::vector<float> got = from_nhwc(dst.data(), {d.n, d.c, d.h, d.w});
  const float tolerance = 1e-4f * std::max(1.0f, max_abs(want));
  return compare(got.data(), want.data(), shape(d), Layout::nchw, tolerance);
}

std::string label(k::Dims d) {
  return std::to_string(d.n) + "x" + std::to_string(d.c) + "x" + std::to_string(d.h) + "x" +
         std::to_string(d.w);
}

const k::Dims kShapes[] = {{1, 3, 5, 7}, {3, 17, 14, 14}, {1, 96, 1, 1},
                           {3, 1, 5, 7}, {1, 96, 14, 14}, {3, 3, 1, 1}};

TEST(ReorderOnednn, BothWaysMatchPlainLoops) {
  for (const k::Dims d : kShapes) {
    SCOPED_TRACE(label(d));
    const std::vector<float> x = random_values(d.elements(), 1);
    const std::vector<float> x_nhwc = to_nhwc(x, d);

    const k::ReorderOnednn forward(d, true, 2);
    GuardedBuffer y(d.elements());
    Scratch scratch(forward.scratch_bytes());
    forward.run(x.data(), y.data(), scratch.get());
    EXPECT_EQ(y.damaged_guard(), -1);
    EXPECT_EQ(compare(y.data(), x_nhwc.data(), shape(d), Layout::nhwc), "");

    const k::ReorderOnednn back(d, false, 2);
    GuardedBuffer z(d.elements());
    Scratch back_scratch(back.scratch_bytes());
    back.run(x_nhwc.data(), z.data(), back_scratch.get());
    EXPECT_EQ(z.damaged_guard(), -1);
    EXPECT_EQ(compare(z.data(), x.data(), shape(d), Layout::nchw), "");
  }
}

TEST(EltwiseOnednn, ReluAndGeluOutOfPlaceAndInPlace) {
  for (const k::Dims d : kShapes) {
    for (const k::EltwiseKind kind : {k::EltwiseKind::relu, k::EltwiseKind::gelu}) {
      const bool relu = kind == k::EltwiseKind::relu;
      SCOPED_TRACE(label(d) + (relu ? " relu" : " gelu"));
      const std::vector<float> x = random_values(d.elements(), 2);
      std::vector<float> want(x.size());
      (relu ? ref::relu : ref::gelu)(x.data(), want.data(), d.elements());

      const k::EltwiseOnednn op(kind, d, 2);
      Scratch scratch(op.scratch_bytes());
      const std::vector<float> x_nhwc = to_nhwc(x, d);
      GuardedBuffer out(d.elements());
      op.run(x_nhwc.data(), out.data(), scratch.get());
      EXPECT_EQ(check(out, want, d), "") << op.name();

      GuardedBuffer in_place(d.elements());
      std::copy(x_nhwc.begin(), x_nhwc.end(), in_place.data());
      op.run(in_place.data(), in_place.data(), scratch.get());
      EXPECT_EQ(check(in_place, want, d), "") << "in place, " << op.name();
    }
  }
}

TEST(BinaryOnednn, AddAndMulWithEveryBroadcast) {
  for (const k::Dims a : kShapes) {
    const k::Dims forms[] = {a, {a.n, a.c, 1, 1}, {1, a.c, 1, 1}};
    for (const k::Dims b : forms) {
      for (const k::BinaryKind kind : {k::BinaryKind::add, k::BinaryKind::mul}) {
        const bool add = kind == k::BinaryKind::add;
        SCOPED_TRACE(label(a) + (add ? " + " : " * ") + label(b));
        const std::vector<float> x = random_values(a.elements(), 3);
        const std::vector<float> y = random_values(b.elements(), 4);
        std::vector<float> want(x.size());
        (add ? ref::add : ref::mul)(x.data(), y.data(), want.data(), a.n, a.c, a.h, a.w, b.n,
                                    b.h * b.w);

        const k::BinaryOnednn op(kind, a, b, 2);
        Scratch scratch(op.scratch_bytes());
        const std::vector<float> x_nhwc = to_nhwc(x, a), y_nhwc = to_nhwc(y, b);
        GuardedBuffer out(a.elements());
        op.run(x_nhwc.data(), y_nhwc.data(), out.data(), scratch.get());
        EXPECT_EQ(check(out, want, a), "") << op.name();

        GuardedBuffer in_place(a.elements());
        std::copy(x_nhwc.begin(), x_nhwc.end(), in_place.data());
        op.run(in_place.data(), y_nhwc.data(), in_place.data(), scratch.get());
        EXPECT_EQ(check(in_place, want, a), "") << "in place, " << op.name();
      }
    }
  }
}

TEST(LayerNormOnednn, OverChannels) {
  const k::Dims shapes[] = {
      {3, 1, 5, 7}, {1, 3, 14, 14}, {3, 96, 5, 7}, {1, 96, 1, 1}, {1, 17, 1, 1}};
  for (const k::Dims d : shapes) {
    SCOPED_TRACE(label(d));
    const std::vector<float> x = random_values(d.elements(), 5);
    const std::vector<float> gamma = random_values(d.c, 6), beta = random_values(d.c, 7);
    const float eps = 1e-5f;
    std::vector<float> want(x.size());
    ref::layer_norm_channels(x.data(), want.data(), d.n, d.c, d.h, d.w, gamma.data(), beta.data(),
                             eps);

    const k::LayerNormOnednn op(d, gamma.data(), beta.data(), eps, 2);
    Scratch scratch(op.scratch_bytes());
    const std::vector<float> x_nhwc = to_nhwc(x, d);
    GuardedBuffer out(d.elements());
    op.run(x_nhwc.data(), out.data(), scratch.get());
    EXPECT_EQ(check(out, want, d), "") << op.name();
  }
}

TEST(SoftmaxOnednn, OverChannels) {
  for (const k::Dims d : kShapes) {
    SCOPED_TRACE(label(d));
    std::vector<float> x = random_values(d.elements(), 8);
    for (float& v : x) v *= 8.0f;  // spread the exponents
    std::vector<float> want(x.size());
    ref::softmax_channels(x.data(), want.data(), d.n, d.c, d.h, d.w);

    const k::SoftmaxOnednn op(d, 2);
    Scratch scratch(op.scratch_bytes());
    const std::vector<float> x_nhwc = to_nhwc(x, d);
    GuardedBuffer out(d.elements());
    op.run(x_nhwc.data(), out.data(), scratch.get());
    EXPECT_EQ(check(out, want, d), "") << op.name();
  }
}

TEST(GlobalAvgPoolOnednn, OverPixels) {
  const k::Dims shapes[] = {{1, 3, 5, 7}, {3, 17, 14, 14}, {3, 1, 1, 1}, {1, 768, 7, 7}};
  for (const k::Dims d : shapes) {
    SCOPED_TRACE(label(d));
    const std::vector<float> x = random_values(d.elements(), 9);
    const k::Dims out_dims{d.n, d.c, 1, 1};
    std::vector<float> want(static_cast<size_t>(out_dims.elements()));
    ref::global_avg_pool(x.data(), want.data(), d.n, d.c, d.h, d.w);

    const k::GlobalAvgPoolOnednn op(d, 2);
    Scratch scratch(op.scratch_bytes());
    const std::vector<float> x_nhwc = to_nhwc(x, d);
    GuardedBuffer out(out_dims.elements());
    op.run(x_nhwc.data(), out.data(), scratch.get());
    EXPECT_EQ(check(out, want, out_dims), "") << op.name();
  }
}

TEST(ConcatOnednn, TwoAndThreeInputs) {
  const std::vector<std::vector<int64_t>> channel_sets = {{3, 17}, {1, 96, 17}, {17, 3}};
  for (const k::Dims base : {k::Dims{3, 1, 5, 7}, k::Dims{1, 1, 14, 14}, k::Dims{3, 1, 1, 1}}) {
    for (const std::vector<int64_t>& channels : channel_sets) {
      std::vector<k::Dims> inputs;
      std::vector<std::vector<float>> xs, xs_nhwc;
      std::vector<const float*> x_ptrs, x_nhwc_ptrs;
      k::Dims out = base;
      out.c = 0;
      std::string name = label(base) + " channels";
      for (size_t i = 0; i < channels.size(); ++i) {
        const k::Dims d{base.n, channels[i], base.h, base.w};
        inputs.push_back(d);
        xs.push_back(random_values(d.elements(), 10 + static_cast<uint32_t>(i)));
        xs_nhwc.push_back(to_nhwc(xs.back(), d));
        out.c += d.c;
        name += " " + std::to_string(d.c);
      }
      for (size_t i = 0; i < xs.size(); ++i) {
        x_ptrs.push_back(xs[i].data());
        x_nhwc_ptrs.push_back(xs_nhwc[i].data());
      }
      SCOPED_TRACE(name);
      std::vector<float> want(static_cast<size_t>(out.elements()));
      ref::concat_channels(x_ptrs, channels, want.data(), base.n, base.h, base.w);

      const k::ConcatOnednn op(inputs, 2);
      Scratch scratch(op.scratch_bytes());
      GuardedBuffer got(out.elements());
      op.run(x_nhwc_ptrs, got.data(), scratch.get());
      EXPECT_EQ(check(got, want, out), "") << op.name();
    }
  }
}

}  // namespace
}  // namespace shiftnn::test
