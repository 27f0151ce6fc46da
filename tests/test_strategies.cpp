// The public API (ShiftOp, shift): every strategy x layout x boundary against the
// scalar reference, thread-count invariance, concurrent run(), and the errors.
#include <cstring>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "engine/src/to_kernel.hpp"
#include "kernels/kernel_table.hpp"
#include "kernels/reference/reference.hpp"
#include "shiftnn/shift.hpp"
#include "support/test_support.hpp"

namespace shiftnn::test {
namespace {

std::vector<float> reference(const std::vector<float>& x, const Shape& s, Layout layout,
                             const ShiftSpec& spec) {
  std::vector<float> y(x.size());
  kernels::reference::shift(x.data(), y.data(), s.n, s.c, s.h, s.w, detail::to_kernel(layout),
                            detail::to_kernel(spec.boundary), spec.dh.data(), spec.dw.data());
  return y;
}

// "list:..." with one random (dh, dw) per channel in [-r, r] (integers or quarters).
std::string random_list_pattern(int64_t c, uint32_t seed, int r, bool integer) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(-4 * r, 4 * r);
  std::string p = "list:";
  for (int64_t k = 0; k < c; ++k) {
    for (int axis = 0; axis < 2; ++axis) {
      const int v = d(rng);
      p += integer ? std::to_string(v / 4) : std::to_string(v / 4.0);
      p += axis == 0 ? "," : (k + 1 < c ? ";" : "");
    }
  }
  return p;
}

struct ApiCase {
  Strategy strategy;
  Layout layout;
  Boundary boundary;
};

void PrintTo(const ApiCase& c, std::ostream* os) {
  *os << strategy_name(c.strategy) << " " << layout_name(c.layout) << " "
      << boundary_name(c.boundary);
}

std::string api_case_name(const testing::TestParamInfo<ApiCase>& info) {
  return std::string(strategy_name(info.param.strategy)) + "_" + layout_name(info.param.layout) +
         "_" + boundary_name(info.param.boundary);
}

std::vector<Strategy> strategies_and_auto() {
  std::vector<Strategy> s = all_strategies();
  s.push_back(Strategy::automatic);
  return s;
}

std::vector<ApiCase> api_cases(bool fractional) {
  std::vector<ApiCase> out;
  for (Strategy s : strategies_and_auto()) {
    if (fractional && (s == Strategy::copy || s == Strategy::roll)) continue;
    for (Layout l : {Layout::nchw, Layout::nhwc}) {
      for (Boundary b : {Boundary::zero, Boundary::replicate, Boundary::keep, Boundary::circular}) {
        if (fractional && b == Boundary::keep) continue;
        if (fractional && b == Boundary::circular && s == Strategy::gridsample) continue;
        out.push_back({s, l, b});
      }
    }
  }
  return out;
}

const std::vector<Shape>& api_shapes() {
  static const std::vector<Shape> shapes = {
      {1, 8, 5, 5}, {2, 7, 6, 9}, {1, 12, 3, 17}, {1, 27, 4, 4}};
  return shapes;
}

class StrategyTest : public testing::TestWithParam<ApiCase> {
 protected:
  // Runs the op on random input and compares with the reference; tolerance < 0: bit-exact.
  void check(const Shape& s, const std::string& pattern, float rel_tolerance, int threads = 1) {
    const ApiCase& p = GetParam();
    SCOPED_TRACE("shape " + s.str() + " pattern " + pattern.substr(0, 60) + " threads " +
                 std::to_string(threads));
    const ShiftSpec spec = parse_pattern(pattern, s.c, p.boundary);
    const std::vector<float> x = random_values(s.elements(), 7u + static_cast<uint32_t>(s.c));
    const std::vector<float> want = reference(x, s, p.layout, spec);
    ShiftOp op(s, p.layout, spec, {p.strategy, threads});
    if (p.strategy != Strategy::automatic) {
      EXPECT_EQ(op.strategy(), p.strategy);
    }
    EXPECT_FALSE(op.kernel_name().empty());
    GuardedBuffer y(s.elements());
    op.run({x.data(), s, p.layout}, {y.data(), s, p.layout});
    EXPECT_EQ(y.damaged_guard(), -1) << "wrote outside the output";
    const float tol = rel_tolerance < 0 ? -1.0f : rel_tolerance * max_abs(x);
    EXPECT_EQ(compare(y.data(), want.data(), s, p.layout, tol), "") << op.kernel_name();
  }

  // SPEC §2: integer shifts are bit-exact, except gridsample in bilinear mode (1e-6).
  // dwconv is compared by value (tolerance 0): a convolution adds +0 products, so a
  // -0 input comes out +0; everything else must match exactly.
  float integer_tolerance() const {
    switch (GetParam().strategy) {
      case Strategy::gridsample:
        return 1e-6f;
      case Strategy::dwconv:
        return 0.0f;
      default:
        return -1.0f;
    }
  }
};

TEST_P(StrategyTest, IntegerPatternsMatchReference) {
  for (const Shape& s : api_shapes()) {
    for (const char* pattern :
         {"quad", "quad:2", "grouped:3", "axial:3:w", "cycle:3:h", "uniform:-7,9"}) {
      check(s, pattern, integer_tolerance());
    }
    check(s, random_list_pattern(s.c, 3, 4, true), integer_tolerance());
  }
}

TEST_P(StrategyTest, ThreadCountDoesNotChangeTheResult) {
  const Shape s{2, 16, 9, 11};
  const ApiCase& p = GetParam();
  const ShiftSpec spec = parse_pattern("grouped:3", s.c, p.boundary);
  const std::vector<float> x = random_values(s.elements(), 5);
  std::vector<std::vector<float>> outs;
  for (int threads : {1, 2, 3}) {
    ShiftOp op(s, p.layout, spec, {p.strategy, threads});
    if (p.strategy == Strategy::automatic) {  // the planner may use fewer threads
      EXPECT_GE(op.threads(), 1);
      EXPECT_LE(op.threads(), threads);
    } else {
      EXPECT_EQ(op.threads(), threads);
    }
    std::vector<float> y(x.size());
    op.run({x.data(), s, p.layout}, {y.data(), s, p.layout});
    outs.push_back(y);
  }
  EXPECT_EQ(compare(outs[1].data(), outs[0].data(), s, p.layout), "") << "2 threads vs 1";
  EXPECT_EQ(compare(outs[2].data(), outs[0].data(), s, p.layout), "") << "3 threads vs 1";
  check(s, "grouped:3", integer_tolerance(), 3);
}

TEST_P(StrategyTest, ConcurrentRunsOfOneOpAgree) {
  const Shape s{2, 12, 7, 10};
  const ApiCase& p = GetParam();
  const ShiftSpec spec = parse_pattern("quad:2", s.c, p.boundary);
  const std::vector<float> x = random_values(s.elements(), 11);
  const ShiftOp op(s, p.layout, spec, {p.strategy, 1});
  std::vector<float> want(x.size());
  op.run({x.data(), s, p.layout}, {want.data(), s, p.layout});
  std::vector<std::vector<float>> outs(4, std::vector<float>(x.size()));
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&, t] {
      for (int rep = 0; rep < 20; ++rep)
        op.run({x.data(), s, p.layout}, {outs[t].data(), s, p.layout});
    });
  }
  for (std::thread& w : workers) w.join();
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(compare(outs[t].data(), want.data(), s, p.layout), "") << "thread " << t;
  }
}

INSTANTIATE_TEST_SUITE_P(Api, StrategyTest, testing::ValuesIn(api_cases(false)), api_case_name);

class FractionalStrategyTest : public StrategyTest {};

TEST_P(FractionalStrategyTest, FractionalPatternsWithinTolerance) {
  for (const Shape& s : api_shapes()) {
    for (const char* pattern : {"quad:0.5", "uniform:1.25,-0.75", "uniform:-6.5,4.5"}) {
      check(s, pattern, 1e-5f);
    }
    check(s, random_list_pattern(s.c, 9, 3, false), 1e-5f);
  }
}

INSTANTIATE_TEST_SUITE_P(Api, FractionalStrategyTest, testing::ValuesIn(api_cases(true)),
                         api_case_name);

const Shape kShape{1, 8, 5, 5};

TEST(StrategyErrors, CopyAndRollRejectFractional) {
  const ShiftSpec spec = parse_pattern("uniform:0.5,0", 8);
  for (Strategy s : {Strategy::copy, Strategy::roll}) {
    EXPECT_NE(why_cannot_serve(s, spec, kShape, Layout::nchw), "");
    expect_error(
        [&] {
          ShiftOp(kShape, Layout::nchw, spec, {s, 1});
        },
        {strategy_name(s), "fractional"});
  }
}

TEST(StrategyErrors, GridsampleRejectsFractionalCircular) {
  const ShiftSpec spec = parse_pattern("uniform:0.5,0", 8, Boundary::circular);
  expect_error(
      [&] {
        ShiftOp(kShape, Layout::nhwc, spec, {Strategy::gridsample, 1});
      },
      {"gridsample", "circular"});
  EXPECT_EQ(
      why_cannot_serve(Strategy::gridsample, parse_pattern("uniform:1,0", 8, Boundary::circular),
                       kShape, Layout::nchw),
      "");
}

TEST(StrategyErrors, KeepWithFractionalIsRejectedByValidate) {
  ShiftSpec spec;
  spec.dh.assign(8, 0.5f);
  spec.dw.assign(8, 0.0f);
  spec.boundary = Boundary::keep;
  expect_error([&] { spec.validate(8); }, {"keep"});
  for (Strategy s : strategies_and_auto()) {
    expect_error([&] { ShiftOp(kShape, Layout::nchw, spec, {s, 1}); }, {"keep"});
  }
}

TEST(StrategyErrors, AutoServesFractionalAndIntegerSpecs) {
  ShiftOp frac(kShape, Layout::nchw, parse_pattern("uniform:0.5,0", 8), {});
  EXPECT_NE(frac.strategy(), Strategy::copy);
  EXPECT_NE(frac.strategy(), Strategy::roll);
  EXPECT_NE(frac.strategy(), Strategy::automatic);
  ShiftOp integer(kShape, Layout::nchw, parse_pattern("quad", 8), {});
  EXPECT_NE(integer.strategy(), Strategy::automatic);
}

TEST(StrategyErrors, AliasingInputAndOutputThrows) {
  const ShiftOp op(kShape, Layout::nchw, parse_pattern("quad", 8), {Strategy::copy, 1});
  std::vector<float> buf(kShape.elements() + 3, 1.0f);
  expect_error(
      [&] {
        op.run({buf.data(), kShape, Layout::nchw}, {buf.data(), kShape, Layout::nchw});
      },
      {"alias"});
  expect_error(
      [&] {
        op.run({buf.data(), kShape, Layout::nchw}, {buf.data() + 3, kShape, Layout::nchw});
      },
      {"alias"});
  expect_error(
      [&] {
        op.run({buf.data() + 3, kShape, Layout::nchw}, {buf.data(), kShape, Layout::nchw});
      },
      {"alias"});
  expect_error(
      [&] {
        shift({buf.data(), kShape, Layout::nchw}, {buf.data(), kShape, Layout::nchw},
              parse_pattern("quad", 8));
      },
      {"alias"});
}

// Every kernel variant (ShiftOptions::variant) computes the same shift as the reference:
// bit-exact for copy with streaming stores, equal as values for dwconv (a convolution
// turns -0 into +0). The output is a Tensor (64-byte aligned), so streaming stores run
// in nhwc where pixels are whole vectors (48 channels).
TEST(StrategyVariants, MatchTheReference) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    for (const Shape& s :
         {Shape{1, 8, 5, 5}, Shape{2, 17, 9, 37}, Shape{1, 12, 3, 70}, Shape{2, 48, 6, 9}}) {
      const std::vector<float> x = random_values(s.elements(), 7);
      for (Boundary b : {Boundary::zero, Boundary::keep, Boundary::replicate, Boundary::circular}) {
        for (const char* pattern : {"grouped:3", "quad"}) {
          const ShiftSpec spec = parse_pattern(pattern, s.c, b);
          const std::vector<float> want = reference(x, s, layout, spec);
          for (Strategy strategy : {Strategy::copy, Strategy::dwconv}) {
            for (const std::string& variant : strategy_variants(strategy, layout)) {
              Tensor y(s, layout);
              ShiftOp(s, layout, spec, {strategy, 2, variant}).run({x.data(), s, layout}, y.view());
              for (size_t i = 0; i < x.size(); ++i) {
                ASSERT_EQ(y.data()[i], want[i])
                    << strategy_name(strategy) << "/" << variant << " " << layout_name(layout)
                    << " " << s.str() << " " << pattern << " " << boundary_name(b) << " at " << i;
              }
            }
          }
        }
      }
    }
  }
}

TEST(StrategyVariants, UnknownOrMisplacedVariantThrows) {
  const ShiftSpec spec = parse_pattern("quad", 8);
  expect_error([&] { ShiftOp(kShape, Layout::nchw, spec, {Strategy::roll, 1, "nt"}); }, {"nt"});
  expect_error(
      [&] {
        ShiftOp(kShape, Layout::nhwc, spec, {Strategy::dwconv, 1, "nhwc"});
      },
      {"nhwc"});
  expect_error([&] { ShiftOp(kShape, Layout::nchw, spec, {Strategy::copy, 1, "fast"}); }, {"fast"});
  expect_error(
      [&] {
        ShiftOp(kShape, Layout::nchw, spec, {Strategy::copy, 1, "noprefetch"});
      },
      {"noprefetch", "nchw"});
}

// On one thread above kRowPrefetchBytes the nhwc copy prefetches rows and, for quad up
// to 16 MiB, pixels: `prefetch` both, the default the pixels and on most hosts the rows,
// `noprefetch` neither. Each runs its own loop; all must be the reference, bit for bit.
TEST(StrategyVariants, NhwcCopyWithAndWithoutRowPrefetch) {
  const Shape s{2, 96, 100, 100};
  ASSERT_GT(s.elements() * static_cast<int64_t>(sizeof(float)), kernels::kRowPrefetchBytes);
  const std::vector<float> x = random_values(s.elements(), 11);
  for (Boundary b : {Boundary::zero, Boundary::keep}) {
    const ShiftSpec spec = parse_pattern("quad:2", s.c, b);
    const std::vector<float> want = reference(x, s, Layout::nhwc, spec);
    for (const char* variant : {"", "noprefetch", "prefetch"}) {
      Tensor y(s, Layout::nhwc);
      ShiftOp(s, Layout::nhwc, spec, {Strategy::copy, 1, variant})
          .run({x.data(), s, Layout::nhwc}, y.view());
      ASSERT_EQ(std::memcmp(y.data(), want.data(), want.size() * sizeof(float)), 0)
          << "copy/" << variant << " " << boundary_name(b);
    }
  }
}

TEST(StrategyErrors, WrongShapeOrLayoutThrows) {
  const ShiftOp op(kShape, Layout::nchw, parse_pattern("quad", 8), {Strategy::copy, 1});
  std::vector<float> x(400), y(400);
  const Shape other{1, 8, 5, 6};
  expect_error(
      [&] {
        op.run({x.data(), other, Layout::nchw}, {y.data(), other, Layout::nchw});
      },
      {kShape.str()});
  expect_error(
      [&] {
        op.run({x.data(), kShape, Layout::nchw}, {y.data(), other, Layout::nchw});
      },
      {kShape.str()});
  expect_error(
      [&] {
        op.run({x.data(), kShape, Layout::nhwc}, {y.data(), kShape, Layout::nhwc});
      },
      {"layout"});
  expect_error(
      [&] {
        ShiftOp({1, 9, 5, 5}, Layout::nchw, parse_pattern("quad", 8));
      },
      {"channels"});
  expect_error([&] { ShiftOp({1, 8, 0, 5}, Layout::nchw, parse_pattern("quad", 8)); }, {});
}

TEST(StrategyErrors, StrategyNamesRoundTrip) {
  for (Strategy s : strategies_and_auto()) EXPECT_EQ(parse_strategy(strategy_name(s)), s);
  EXPECT_EQ(all_strategies().size(), 5u);
  expect_error([] { parse_strategy("fastest"); }, {"fastest"});
  expect_error([] { parse_boundary("mirror"); }, {"mirror"});
  expect_error([] { parse_layout("chwn"); }, {"chwn"});
}

}  // namespace
}  // namespace shiftnn::test
