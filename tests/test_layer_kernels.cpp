// The layer-op kernels of SHIFTNN_KERNEL_LIST (GroupNorm statistics and output, strided
// slice) on every built ISA the host runs, and the nhwc entry points of layer_ops.hpp,
// against the scalar nchw reference. The list drives the cases: a new kernel with one of
// these types is tested without editing this file.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/isa.hpp"
#include "kernels/kernel_table.hpp"
#include "kernels/layer_ops.hpp"
#include "kernels/reference/layer_reference.hpp"
#include "support/test_support.hpp"

namespace shiftnn::test {
namespace {

namespace sk = shiftnn::kernels;
namespace ref = shiftnn::kernels::reference;

using Range = std::pair<int64_t, int64_t>;

// One range, two halves, or three uneven ranges of [0, items).
std::vector<Range> split(int64_t items, int parts) {
  if (parts == 1) return {{0, items}};
  if (parts == 2) return {{0, items / 2}, {items / 2, items}};
  return {{0, items / 5}, {items / 5, items * 3 / 4}, {items * 3 / 4, items}};
}

// Runs fn(index, begin, end) for every range, each on its own thread when concurrent.
template <class F>
void run_ranges(const std::vector<Range>& ranges, bool concurrent, F&& fn) {
  if (!concurrent) {
    for (size_t i = 0; i < ranges.size(); ++i) fn(i, ranges[i].first, ranges[i].second);
    return;
  }
  std::vector<std::thread> team;
  for (size_t i = 0; i < ranges.size(); ++i) {
    team.emplace_back([&fn, i, r = ranges[i]] { fn(i, r.first, r.second); });
  }
  for (std::thread& t : team) t.join();
}

// Empty when every float is within tolerance * (1 + |want|); else the first miss.
std::string close_to(const float* got, const std::vector<float>& want, const Shape& s,
                     double tolerance) {
  int64_t bad = 0, first = -1;
  for (size_t i = 0; i < want.size(); ++i) {
    if (!(std::fabs(double{got[i]} - want[i]) <= tolerance * (1.0 + std::fabs(want[i])))) {
      if (first < 0) first = static_cast<int64_t>(i);
      ++bad;
    }
  }
  if (first < 0) return "";
  return std::to_string(bad) + " of " + std::to_string(want.size()) + " floats differ; first at " +
         position(first, s, Layout::nhwc) + ": got " + describe_float(got[first]) + ", want " +
         describe_float(want[first]);
}

// ---- GroupNorm ---------------------------------------------------------------------

struct NormCase {
  Shape s;  // h*w pixels: 1, 5x7, 56x56
  int64_t groups;
  float offset;  // added to every input: the variance of data far from 0
};

std::string describe(const NormCase& k) {
  return "shape " + k.s.str() + " groups " + std::to_string(k.groups) + " offset " +
         std::to_string(k.offset);
}

// n = 1, 2; c = 1, 3, 17, 96; hw = 1, 5x7, 56x56; groups 1, 3, c.
std::vector<NormCase> norm_cases() {
  std::vector<NormCase> v;
  for (int64_t n : {1, 2}) {
    for (int64_t c : {1, 3, 17, 96}) {
      for (auto [h, w] : {std::pair<int64_t, int64_t>{1, 1}, {5, 7}, {56, 56}}) {
        std::vector<int64_t> groups = {1};
        if (c % 3 == 0) groups.push_back(3);
        if (c > 3) groups.push_back(c);
        for (int64_t g : groups) v.push_back({{n, c, h, w}, g, v.size() % 2 ? 4.0f : 0.0f});
      }
    }
  }
  return v;
}

// Input (nchw and nhwc), gamma, beta and the reference output in nhwc.
struct NormData {
  std::vector<float> x, x_nhwc, gamma, beta, want_nhwc;
};

NormData norm_data(const NormCase& k, uint32_t seed) {
  NormData d;
  const Shape& s = k.s;
  d.x = random_values(s.elements(), seed);
  for (float& v : d.x) v += k.offset;
  d.x_nhwc = to_nhwc(d.x, s);
  d.gamma = random_values(s.c, seed + 1);
  d.beta = random_values(s.c, seed + 2);
  std::vector<float> y(d.x.size());
  ref::group_norm(d.x.data(), y.data(), s.n, s.c, s.h, s.w, k.groups, d.gamma.data(), d.beta.data(),
                  1e-5);
  d.want_nhwc = to_nhwc(y, s);
  return d;
}

// Per image and channel sums of d = x - x0 and d * d over pixels [begin, end), in double.
void exact_sums(const float* x, int64_t c, int64_t hw, int64_t begin, int64_t end,
                std::vector<double>* sum, std::vector<double>* sum_sq,
                std::vector<double>* abs_sum) {
  for (int64_t p = begin; p < end; ++p) {
    const int64_t image = p / hw;
    for (int64_t k = 0; k < c; ++k) {
      const double d = double{x[p * c + k]} - x[image * hw * c + k];
      (*sum)[image * c + k] += d;
      (*sum_sq)[image * c + k] += d * d;
      (*abs_sum)[image * c + k] += std::fabs(d);
    }
  }
}

// The group statistics from the stats kernel's per-range sums, as GroupNormStatsArgs
// defines them: per channel mean x0 + S/hw and squares Q - S^2/hw about it, then the
// group's mean and squares about it (parallel variance).
void finish_stats(const float* x, const NormCase& k, const NormData& d,
                  const std::vector<std::vector<double>>& sums, std::vector<float>* mean,
                  std::vector<float>* scale) {
  const int64_t n = k.s.n, c = k.s.c, hw = k.s.h * k.s.w, cg = c / k.groups;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t g = 0; g < k.groups; ++g) {
      std::vector<double> m(static_cast<size_t>(cg));
      double gm = 0.0, m2 = 0.0;
      for (int64_t j = 0; j < cg; ++j) {
        const int64_t at = i * c + g * cg + j;
        double s = 0.0, q = 0.0;
        for (const std::vector<double>& r : sums) s += r[at], q += r[n * c + at];
        m[j] = x[i * hw * c + g * cg + j] + s / hw;
        m2 += q - s * s / hw;
        gm += m[j] / cg;
      }
      for (int64_t j = 0; j < cg; ++j) m2 += hw * (m[j] - gm) * (m[j] - gm);
      const double rstd = 1.0 / std::sqrt(std::max(0.0, m2 / (cg * hw)) + 1e-5);
      for (int64_t j = g * cg; j < (g + 1) * cg; ++j) {
        (*mean)[i * c + j] = static_cast<float>(gm);
        (*scale)[i * c + j] = static_cast<float>(rstd * d.gamma[j]);
      }
    }
  }
}

// GroupNorm through one ISA's two kernels over `ranges` of pixels, into dst (== src
// when in place, which then must hold the input).
void table_group_norm(const sk::KernelTable& t, const NormCase& k, const NormData& d,
                      const float* src, float* dst, const std::vector<Range>& ranges,
                      bool concurrent) {
  const int64_t n = k.s.n, c = k.s.c, hw = k.s.h * k.s.w;
  std::vector<std::vector<double>> sums(ranges.size(),
                                        std::vector<double>(static_cast<size_t>(2 * n * c)));
  run_ranges(ranges, concurrent, [&](size_t r, int64_t begin, int64_t end) {
    double* sum = sums[r].data();  // each range its own sums, as each thread of layer_ops
    t.group_norm_stats_nhwc({src, c, hw, sum, sum + n * c}, begin, end);
  });
  std::vector<float> mean(static_cast<size_t>(n * c)), scale(static_cast<size_t>(n * c));
  finish_stats(src, k, d, sums, &mean, &scale);
  const sk::GroupNormApplyArgs a{src, dst, c, hw, mean.data(), scale.data(), d.beta.data()};
  run_ranges(ranges, concurrent,
             [&](size_t, int64_t begin, int64_t end) { t.group_norm_apply_nhwc(a, begin, end); });
}

class GroupNormTest : public testing::TestWithParam<sk::Isa> {
 protected:
  void SetUp() override {
    if (!sk::host_supports(GetParam()))
      GTEST_SKIP() << "host cannot run " << sk::isa_name(GetParam());
  }
};

std::string isa_case_name(const testing::TestParamInfo<sk::Isa>& info) {
  return sk::isa_name(info.param);
}

// Both kernels of one ISA together: whole range, two threads, three uneven ranges; out
// of place and in place.
TEST_P(GroupNormTest, StatsThenApplyMatchReference) {
  const sk::KernelTable& t = sk::kernels_for(GetParam());
  uint32_t seed = 1;
  for (const NormCase& k : norm_cases()) {
    const NormData d = norm_data(k, seed += 3);
    const int64_t pixels = k.s.n * k.s.h * k.s.w;
    for (int parts : {1, 2, 3}) {
      for (bool in_place : {false, true}) {
        const std::string what =
            describe(k) + ", " + std::to_string(parts) + " ranges" + (in_place ? ", in place" : "");
        GuardedBuffer out(k.s.elements());
        if (in_place) std::copy(d.x_nhwc.begin(), d.x_nhwc.end(), out.data());
        const float* src = in_place ? out.data() : d.x_nhwc.data();
        table_group_norm(t, k, d, src, out.data(), split(pixels, parts), parts == 2);
        ASSERT_EQ(out.damaged_guard(), -1) << what;
        EXPECT_EQ(close_to(out.data(), d.want_nhwc, k.s, 1e-5), "") << what;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, GroupNormTest, testing::ValuesIn(built_isa_list()),
                         isa_case_name);

class GroupNormStatsTest : public KernelCaseTest<sk::GroupNormStatsKernel> {};

// Sums added into what the buffers held, per range, only for the range's images.
TEST_P(GroupNormStatsTest, SumsOfShiftedValues) {
  uint32_t seed = 500;
  for (const NormCase& k : norm_cases()) {
    const NormData d = norm_data(k, seed += 3);
    const int64_t n = k.s.n, c = k.s.c, hw = k.s.h * k.s.w;
    for (const Range& r : split(n * hw, 3)) {
      const std::string what = describe(k) + ", pixels [" + std::to_string(r.first) + ", " +
                               std::to_string(r.second) + ")";
      std::vector<double> sums(static_cast<size_t>(2 * n * c), 0.25);
      kernel_({d.x_nhwc.data(), c, hw, sums.data(), sums.data() + n * c}, r.first, r.second);
      std::vector<double> sum(n * c, 0.25), sum_sq(n * c, 0.25), abs_sum(n * c, 0.0);
      exact_sums(d.x_nhwc.data(), c, hw, r.first, r.second, &sum, &sum_sq, &abs_sum);
      for (int64_t at = 0; at < n * c; ++at) {
        ASSERT_NEAR(sums[at], sum[at], 1e-5 * (1.0 + abs_sum[at])) << what << " sum " << at;
        ASSERT_NEAR(sums[n * c + at], sum_sq[at], 1e-5 * (1.0 + sum_sq[at]))
            << what << " sum_sq " << at;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, GroupNormStatsTest,
                         testing::ValuesIn(kernel_cases<sk::GroupNormStatsKernel>()),
                         kernel_case_name<sk::GroupNormStatsKernel>);

class GroupNormApplyTest : public KernelCaseTest<sk::GroupNormApplyKernel> {};

// (x - mean) * scale + beta with given per image and channel mean and scale; every range
// writes exactly its pixels, in place too.
TEST_P(GroupNormApplyTest, NormalisesExactlyItsPixels) {
  uint32_t seed = 900;
  for (const NormCase& k : norm_cases()) {
    const int64_t n = k.s.n, c = k.s.c, hw = k.s.h * k.s.w;
    const std::vector<float> x = to_nhwc(random_values(k.s.elements(), seed += 4), k.s);
    const std::vector<float> mean = random_values(n * c, seed + 1);
    const std::vector<float> scale = random_values(n * c, seed + 2);
    const std::vector<float> beta = random_values(c, seed + 3);
    std::vector<float> want(x.size());
    std::vector<double> bound(x.size());  // tolerance: magnitudes of the terms
    for (int64_t p = 0; p < n * hw; ++p) {
      for (int64_t j = 0; j < c; ++j) {
        const int64_t e = p * c + j, mc = p / hw * c + j;
        const double t = (double{x[e]} - mean[mc]) * scale[mc];
        want[e] = static_cast<float>(t + beta[j]);
        bound[e] = 1e-6 * (1.0 + std::fabs(t) + std::fabs(beta[j]));
      }
    }
    for (bool in_place : {false, true}) {
      const std::string what = describe(k) + (in_place ? ", in place" : "");
      GuardedBuffer out(k.s.elements());
      if (in_place) std::copy(x.begin(), x.end(), out.data());
      const float* src = in_place ? out.data() : x.data();
      const sk::GroupNormApplyArgs a{src,         out.data(),   c,          hw,
                                     mean.data(), scale.data(), beta.data()};
      std::vector<bool> done(static_cast<size_t>(n * hw), false);
      for (const Range& r : split(n * hw, 3)) {
        kernel_(a, r.first, r.second);
        for (int64_t p = r.first; p < r.second; ++p) done[p] = true;
        ASSERT_EQ(out.damaged_guard(), -1) << what;
        if (in_place) continue;
        for (int64_t e = 0; e < k.s.elements(); ++e) {
          ASSERT_EQ(out.untouched(e), !done[e / c])
              << what << " at " << position(e, k.s, Layout::nhwc);
        }
      }
      for (int64_t e = 0; e < k.s.elements(); ++e) {
        ASSERT_LE(std::fabs(double{out.data()[e]} - want[e]), bound[e])
            << what << " at " << position(e, k.s, Layout::nhwc) << ": got "
            << describe_float(out.data()[e]) << ", want " << describe_float(want[e]);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, GroupNormApplyTest,
                         testing::ValuesIn(kernel_cases<sk::GroupNormApplyKernel>()),
                         kernel_case_name<sk::GroupNormApplyKernel>);

// ---- Slice -------------------------------------------------------------------------

struct Axis {
  int64_t start, stop, step;  // stop before clamping to the dim
};
using SliceSpec = std::array<Axis, 4>;  // N, C, H, W

constexpr int64_t kEnd = 1 << 20;  // stop past every dim

const Shape kSliceShapes[] = {{1, 1, 1, 1},  {2, 3, 5, 7},  {1, 17, 5, 7},  {2, 1, 4, 19},
                              {2, 96, 6, 9}, {1, 5, 1, 33}, {1, 96, 56, 56}};

// Full; x[:, 1::2, 0::2, 1::3]; a channel run; whole pixels in contiguous runs, then
// every other pixel; steps past the dims; a pixel tail; empty.
std::vector<SliceSpec> slice_specs(const Shape& s) {
  return {
      {{{0, kEnd, 1}, {0, kEnd, 1}, {0, kEnd, 1}, {0, kEnd, 1}}},
      {{{0, kEnd, 1}, {1, kEnd, 2}, {0, kEnd, 2}, {1, kEnd, 3}}},
      {{{0, kEnd, 1}, {1, s.c - 1, 1}, {1, kEnd, 1}, {0, kEnd, 2}}},
      {{{s.n - 1, kEnd, 1}, {0, kEnd, 1}, {0, kEnd, 2}, {0, kEnd, 1}}},
      {{{0, kEnd, 1}, {0, kEnd, 1}, {1, kEnd, 1}, {1, kEnd, 2}}},
      {{{0, kEnd, 5}, {0, kEnd, 9}, {1, kEnd, 7}, {0, kEnd, 10}}},
      {{{0, 1, 1}, {s.c / 2, kEnd, 1}, {s.h / 2, kEnd, 1}, {s.w - 1, kEnd, 1}}},
      {{{0, kEnd, 1}, {2, 2, 1}, {0, kEnd, 1}, {0, kEnd, 1}}},
  };
}

// starts, stops (clamped), steps; the output shape.
struct SliceSetup {
  int64_t dims[4], starts[4], stops[4], steps[4];
  Shape out;
};

SliceSetup setup(const Shape& s, const SliceSpec& spec) {
  SliceSetup u{{s.n, s.c, s.h, s.w}, {}, {}, {}, {}};
  int64_t out[4];
  for (int a = 0; a < 4; ++a) {
    u.starts[a] = spec[a].start;
    u.stops[a] = std::min(spec[a].stop, u.dims[a]);
    u.steps[a] = spec[a].step;
    out[a] = sk::slice_extent(u.starts[a], u.stops[a], u.steps[a]);
  }
  u.out = {out[0], out[1], out[2], out[3]};
  return u;
}

std::string describe(const Shape& s, const SliceSetup& u) {
  std::string t = "shape " + s.str() + " slice";
  for (int a = 0; a < 4; ++a) {
    t += " " + std::to_string(u.starts[a]) + ":" + std::to_string(u.stops[a]) + ":" +
         std::to_string(u.steps[a]);
  }
  return t;
}

// The reference slice of nhwc data, in nhwc.
std::vector<float> reference_slice(const std::vector<float>& x_nchw, const SliceSetup& u) {
  std::vector<float> y(static_cast<size_t>(u.out.elements()));
  ref::slice(x_nchw.data(), y.data(), u.dims, u.starts, u.stops, u.steps);
  return to_nhwc(y, u.out);
}

class SliceTest : public KernelCaseTest<sk::SliceKernel> {};

TEST_P(SliceTest, MatchesReferenceAndWritesExactlyItsPixels) {
  uint32_t seed = 1300;
  for (const Shape& s : kSliceShapes) {
    const std::vector<float> x = random_values(s.elements(), ++seed);
    const std::vector<float> x_nhwc = to_nhwc(x, s);
    for (const SliceSpec& spec : slice_specs(s)) {
      const SliceSetup u = setup(s, spec);
      const std::vector<float> want = reference_slice(x, u);
      sk::SliceArgs a{x_nhwc.data(), nullptr, {}, {}, {}, {}};
      for (int i = 0; i < 4; ++i) {
        a.dims[i] = u.dims[i], a.starts[i] = u.starts[i], a.steps[i] = u.steps[i];
      }
      a.out[0] = u.out.n, a.out[1] = u.out.c, a.out[2] = u.out.h, a.out[3] = u.out.w;
      const int64_t pixels = u.out.n * u.out.h * u.out.w;
      for (int parts : {1, 2, 3}) {
        const std::string what = describe(s, u) + ", " + std::to_string(parts) + " ranges";
        GuardedBuffer out(u.out.elements());
        a.dst = out.data();
        const std::vector<Range> ranges = split(pixels, parts);
        if (parts == 2) {
          run_ranges(ranges, true, [&](size_t, int64_t b, int64_t e) { kernel_(a, b, e); });
        } else {
          std::vector<bool> done(static_cast<size_t>(pixels), false);
          for (const Range& r : ranges) {
            kernel_(a, r.first, r.second);
            for (int64_t p = r.first; p < r.second; ++p) done[p] = true;
            for (int64_t e = 0; e < u.out.elements(); ++e) {
              ASSERT_EQ(out.untouched(e), !done[e / u.out.c])
                  << what << " at " << position(e, u.out, Layout::nhwc);
            }
          }
        }
        ASSERT_EQ(out.damaged_guard(), -1) << what;
        EXPECT_EQ(compare(out.data(), want.data(), u.out, Layout::nhwc), "") << what;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, SliceTest, testing::ValuesIn(kernel_cases<sk::SliceKernel>()),
                         kernel_case_name<sk::SliceKernel>);

// ---- Entry points (the active ISA) --------------------------------------------------

TEST(LayerOps, GroupNormNhwc) {
  uint32_t seed = 2000;
  for (const NormCase& k : norm_cases()) {
    const NormData d = norm_data(k, seed += 3);
    for (int threads : {1, 2}) {
      for (bool in_place : {false, true}) {
        const std::string what = describe(k) + ", " + std::to_string(threads) + " threads" +
                                 (in_place ? ", in place" : "");
        GuardedBuffer out(k.s.elements());
        if (in_place) std::copy(d.x_nhwc.begin(), d.x_nhwc.end(), out.data());
        const float* src = in_place ? out.data() : d.x_nhwc.data();
        sk::group_norm_nhwc(src, out.data(), k.s.n, k.s.c, k.s.h * k.s.w, k.groups, d.gamma.data(),
                            d.beta.data(), 1e-5f, threads);
        ASSERT_EQ(out.damaged_guard(), -1) << what;
        EXPECT_EQ(close_to(out.data(), d.want_nhwc, k.s, 1e-5), "") << what;
      }
    }
  }
}

// Data far from 0 in one large group: the statistics must not cancel.
TEST(LayerOps, GroupNormOfLargeOffsetData) {
  const NormCase k{{1, 768, 56, 56}, 1, 100.0f};
  const NormData d = norm_data(k, 77);
  for (int threads : {1, 2}) {
    std::vector<float> y(d.x_nhwc.size());
    sk::group_norm_nhwc(d.x_nhwc.data(), y.data(), k.s.n, k.s.c, k.s.h * k.s.w, k.groups,
                        d.gamma.data(), d.beta.data(), 1e-5f, threads);
    EXPECT_EQ(close_to(y.data(), d.want_nhwc, k.s, 1e-5), "") << threads << " threads";
  }
}

TEST(LayerOps, SliceNhwc) {
  uint32_t seed = 3000;
  for (const Shape& s : kSliceShapes) {
    const std::vector<float> x = random_values(s.elements(), ++seed);
    const std::vector<float> x_nhwc = to_nhwc(x, s);
    for (const SliceSpec& spec : slice_specs(s)) {
      const SliceSetup u = setup(s, spec);
      const std::vector<float> want = reference_slice(x, u);
      for (int threads : {1, 2}) {
        const std::string what = describe(s, u) + ", " + std::to_string(threads) + " threads";
        GuardedBuffer out(u.out.elements());
        sk::slice_nhwc(x_nhwc.data(), out.data(), u.dims, u.starts, u.stops, u.steps, threads);
        ASSERT_EQ(out.damaged_guard(), -1) << what;
        EXPECT_EQ(compare(out.data(), want.data(), u.out, Layout::nhwc), "") << what;
      }
    }
  }
}

}  // namespace
}  // namespace shiftnn::test
