// Every shift kernel of SHIFTNN_KERNEL_LIST on every built ISA the host runs, against
// the scalar reference. The list drives the tests: a new kernel is tested without
// editing this file.
#include <cstdlib>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/isa.hpp"
#include "kernels/kernel_table.hpp"
#include "kernels/reference/reference.hpp"
#include "kernels/shift_geometry.hpp"
#include "shiftnn/shift_spec.hpp"
#include "support/test_support.hpp"

namespace shiftnn::test {
namespace {

namespace sk = shiftnn::kernels;

// Shift kernels only: the others have their own tests (test_grid_sample, test_layer_kernels).
using ShiftEntry = ListedKernel<sk::ShiftKernel>;

sk::Layout layout_of(const std::string& name) {
  return ends_with(name, "_nhwc") ? sk::Layout::nhwc : sk::Layout::nchw;
}

struct ShiftCase {
  ShiftEntry kernel;
  sk::Isa isa;
  sk::Boundary boundary;
};

void PrintTo(const ShiftCase& c, std::ostream* os) {
  *os << c.kernel.name << "/" << sk::isa_name(c.isa) << " boundary " << boundary_name(c.boundary);
}

std::string case_name(const testing::TestParamInfo<ShiftCase>& info) {
  return info.param.kernel.name + "_" + sk::isa_name(info.param.isa) + "_" +
         boundary_name(info.param.boundary);
}

std::vector<ShiftCase> cases(bool fractional) {
  std::vector<ShiftCase> out;
  for (const ShiftEntry& k : listed_kernels<sk::ShiftKernel>()) {
    if (fractional && k.kind != KernelKind::shift_any) continue;
    for (sk::Isa isa : built_isa_list()) {
      for (sk::Boundary b : {sk::Boundary::zero, sk::Boundary::replicate, sk::Boundary::keep,
                             sk::Boundary::circular}) {
        if (fractional && b == sk::Boundary::keep) continue;  // keep requires integers
        out.push_back({k, isa, b});
      }
    }
  }
  return out;
}

struct Displacements {
  std::string label;
  std::vector<float> dh, dw;
};

Displacements from_pattern(const std::string& pattern, int64_t c) {
  const ShiftSpec spec = parse_pattern(pattern, c);
  return {pattern, spec.dh, spec.dw};
}

// One (dh, dw) per channel drawn uniformly from [lo, hi], integers or reals.
Displacements random_list(int64_t c, uint32_t seed, float lo, float hi, bool integer) {
  std::mt19937 rng(seed);
  Displacements d{integer ? "random integer list" : "random fractional list", {}, {}};
  std::uniform_int_distribution<int> i(static_cast<int>(lo), static_cast<int>(hi));
  std::uniform_real_distribution<float> f(lo, hi);
  for (int64_t k = 0; k < c; ++k) {
    d.dh.push_back(integer ? static_cast<float>(i(rng)) : f(rng));
    d.dw.push_back(integer ? static_cast<float>(i(rng)) : f(rng));
  }
  return d;
}

std::string shape_text(const Shape& s) {
  return std::to_string(s.n) + "x" + std::to_string(s.c) + "x" + std::to_string(s.h) + "x" +
         std::to_string(s.w);
}

struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};

// Per-thread scratch of g.scratch_floats floats, 64-byte aligned, filled with NaN
// so a kernel that reads scratch before writing it gives a visible mismatch.
std::unique_ptr<float, AlignedFree> make_scratch(const sk::ShiftGeometry& g) {
  const size_t bytes = ((std::max<int64_t>(g.scratch_floats, 1) * sizeof(float) + 63) / 64) * 64;
  std::unique_ptr<float, AlignedFree> p(static_cast<float*>(std::aligned_alloc(64, bytes)));
  for (size_t i = 0; i < bytes / sizeof(float); ++i) p.get()[i] = std::nanf("");
  return p;
}

// Runs `kernel` over the work items as the given ranges (in that order), each with
// its own scratch, and checks it against `want`. After every call the floats outside
// the ranges called so far must still hold their sentinels. One call over everything
// writes a 64-byte aligned output, uneven ranges one a float past it. threads: the team
// the kernel is told it shares memory with (it picks loops by it). Empty: pass.
std::string run_split(sk::ShiftKernel kernel, const sk::ShiftGeometry& g, const float* x,
                      const std::vector<float>& want, const Shape& s, Layout layout,
                      const std::vector<std::pair<int64_t, int64_t>>& ranges, float tolerance,
                      int threads = 1) {
  GuardedBuffer out(g.elements(), ranges.size() == 1 ? 0 : 1);
  const sk::ShiftArgs args{&g, x, out.data(), threads};
  const int64_t items = sk::shift_work_items(g), per_item = g.elements() / items;
  std::vector<bool> done(static_cast<size_t>(items), false);
  for (const auto& [begin, end] : ranges) {
    auto scratch = make_scratch(g);
    kernel(args, begin, end, scratch.get());
    for (int64_t i = begin; i < end; ++i) done[i] = true;
    if (out.damaged_guard() >= 0) {
      return "wrote outside the output buffer (guard float " + std::to_string(out.damaged_guard()) +
             ") in range [" + std::to_string(begin) + ", " + std::to_string(end) + ")";
    }
    for (int64_t e = 0; e < g.elements(); ++e) {
      if (!done[e / per_item] && !out.untouched(e)) {
        return "range [" + std::to_string(begin) + ", " + std::to_string(end) +
               ") wrote outside its work items at " + position(e, s, layout);
      }
    }
  }
  return compare(out.data(), want.data(), s, layout, tolerance);
}

class ShiftKernelTest : public KernelCaseTest<sk::ShiftKernel, ShiftCase> {
 protected:
  // Reports (without stopping) every failing combination of one shape and spec.
  void check(const Shape& s, const Displacements& d, bool exact, int threads = 1) {
    const ShiftCase& p = GetParam();
    const sk::Layout kl = layout_of(p.kernel.name);
    const Layout layout = kl == sk::Layout::nchw ? Layout::nchw : Layout::nhwc;
    const sk::ShiftGeometry g =
        sk::make_shift_geometry(s.n, s.c, s.h, s.w, kl, p.boundary, d.dh, d.dw);
    const std::vector<float> x = random_values(s.elements(), static_cast<uint32_t>(s.elements()));
    std::vector<float> want(x.size());
    sk::reference::shift(x.data(), want.data(), s.n, s.c, s.h, s.w, kl, p.boundary, d.dh.data(),
                         d.dw.data());
    const float tolerance = exact ? -1.0f : 1e-5f * max_abs(x);
    const int64_t items = sk::shift_work_items(g);
    const int64_t a = items / 7, b = a + (items - a) * 2 / 3;
    std::vector<std::pair<int64_t, int64_t>> three;
    for (auto r : {std::make_pair(b, items), std::make_pair(int64_t{0}, a), std::make_pair(a, b)}) {
      if (r.first < r.second) three.push_back(r);
    }
    const std::string what = p.kernel.name + "/" + sk::isa_name(p.isa) + " shape " + shape_text(s) +
                             " pattern " + d.label + " boundary " + boundary_name(p.boundary);
    const std::string one =
        run_split(kernel_, g, x.data(), want, s, layout, {{0, items}}, tolerance, threads);
    EXPECT_EQ(one, "") << what << ", one call over all " << items << " work items";
    const std::string split =
        run_split(kernel_, g, x.data(), want, s, layout, three, tolerance, threads);
    EXPECT_EQ(split, "") << what << ", three uneven ranges " << a << "|" << b << "|" << items;
    if (kl == sk::Layout::nhwc) {  // the other interior order, chosen by size otherwise
      sk::ShiftGeometry other = g;
      other.nhwc_pixel_order = !g.nhwc_pixel_order;
      EXPECT_EQ(run_split(kernel_, other, x.data(), want, s, layout, three, tolerance), "")
          << what << ", nhwc_pixel_order " << other.nhwc_pixel_order;
    }
  }
};

const std::vector<Shape>& small_shapes() {
  static const std::vector<Shape> shapes = {
      {1, 1, 1, 1},   {1, 7, 13, 11}, {2, 5, 3, 17}, {3, 11, 7, 5},  {2, 6, 5, 1},
      {1, 8, 4, 2},   {1, 9, 6, 3},   {2, 10, 3, 7}, {1, 12, 4, 15}, {2, 8, 1, 19},
      {1, 20, 3, 16}, {1, 18, 5, 33}, {2, 27, 6, 9}, {1, 52, 2, 8},
  };
  return shapes;
}

const std::vector<std::string>& integer_patterns() {
  static const std::vector<std::string> patterns = {
      "quad",        "quad:2",    "grouped:3", "grouped:5:2", "axial:3:h",
      "axial:5:w:2", "cycle:3:w", "cycle:7:h", "uniform:0,0",
  };
  return patterns;
}

TEST_P(ShiftKernelTest, IntegerPatternsMatchReferenceBitExactly) {
  uint32_t seed = 1;
  for (const Shape& s : small_shapes()) {
    for (const std::string& pattern : integer_patterns())
      check(s, from_pattern(pattern, s.c), true);
    check(s, random_list(s.c, seed++, -4, 4, true), true);
  }
}

// Displacements interleaved channel by channel (runs of one channel), for channel
// counts below, at and across the vector widths; widths with and without 4 interior pixels.
TEST_P(ShiftKernelTest, InterleavedPatternsOverChannelCounts) {
  for (int64_t c : {1, 3, 9, 17, 64, 128}) {
    for (const Shape& s : {Shape{1, c, 1, 1}, Shape{2, c, 3, 2}, Shape{1, c, 4, 9}}) {
      for (const char* pattern : {"grouped:3", "cycle:3:h", "cycle:3:w"}) {
        check(s, from_pattern(pattern, c), true);
      }
    }
  }
}

TEST_P(ShiftKernelTest, ShiftsLargerThanTheImage) {
  check({1, 3, 5, 5}, from_pattern("uniform:9,-12", 3), true);
  check({2, 3, 5, 5}, from_pattern("uniform:-5,5", 3), true);
  check({1, 8, 4, 4}, from_pattern("quad:6", 8), true);
  check({1, 6, 3, 2}, random_list(6, 99, -9, 9, true), true);
}

// Channels a multiple of every vector width, channel runs that split vectors, several
// images: the nhwc pixel order's flat rows, zero rows, edge fixes and split vectors
// on every ISA.
TEST_P(ShiftKernelTest, WholeVectorPixelsWithSplitRuns) {
  for (const Shape& s : {Shape{2, 48, 6, 9}, Shape{3, 32, 5, 4}, Shape{1, 64, 7, 6}}) {
    for (const char* pattern : {"quad", "quad:2", "axial:3:w", "axial:3:h:2"}) {
      check(s, from_pattern(pattern, s.c), true);
    }
  }
}

// Channels past the pixel order on every ISA (over 256), in runs of whole vectors (384)
// and not (264, 770): the nhwc copy run by run, with its streamed variant's aligned runs
// and unaligned heads and tails, and runs of 192-193 floats that take several groups of
// four vectors on every ISA before their single vectors and tail.
TEST_P(ShiftKernelTest, WideChannelsRunByRun) {
  for (const Shape& s : {Shape{2, 384, 5, 7}, Shape{1, 264, 4, 9}, Shape{1, 770, 3, 4}}) {
    for (const char* pattern : {"quad", "quad:2", "axial:3:h"}) {
      check(s, from_pattern(pattern, s.c), true);
    }
  }
}

// Rows over 8 KiB whose vectors take runs from rows 1 or 2 apart: the nhwc pixel loop
// runs four rows at once (48 channels on avx2 and avx512f, 96 on avx512f), with 0 to 3
// rows left over, ranges that split a block and blocks across images of 6 rows.
// quad:2 reads rows 4 apart: row order.
TEST_P(ShiftKernelTest, FourRowsAtOnceWhereVectorsReadTwoRows) {
  for (const Shape& s :
       {Shape{2, 48, 11, 50}, Shape{1, 96, 9, 23}, Shape{1, 48, 14, 45}, Shape{5, 48, 6, 50}}) {
    for (const char* pattern : {"quad", "quad:2", "cycle:3:h"}) {
      check(s, from_pattern(pattern, s.c), true);
    }
  }
}

// Wide horizontal shifts in whole-vector pixels: many edge vectors to fix after each
// row (up to and past kMaxEdgeFixes on avx2), and at quad:10 no pixel between edges.
TEST_P(ShiftKernelTest, ManyEdgeVectors) {
  const Shape s{1, 64, 24, 20};
  for (const char* pattern : {"quad:3", "quad:8", "quad:9", "quad:10"}) {
    check(s, from_pattern(pattern, s.c), true);
  }
}

// Runs of random lengths (8 to 40 channels) and displacements in whole-vector pixels
// of up to 256 channels (16 vectors on avx512f, 12 on avx2, sse2 and neon64): the nhwc
// pixel loop is specialised per pattern of vectors that take two runs, so many such
// patterns are run, not only quad's.
TEST_P(ShiftKernelTest, RandomRunsInWholeVectorPixels) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> length(8, 40), shift(-2, 2);
  for (int64_t c = 8; c <= 256; c += 8) {
    for (int trial = 0; trial < 4; ++trial) {
      Displacements d{"random runs", {}, {}};
      while (static_cast<int64_t>(d.dh.size()) < c) {
        const float dh = static_cast<float>(shift(rng)), dw = static_cast<float>(shift(rng));
        for (int i = length(rng); i > 0 && static_cast<int64_t>(d.dh.size()) < c; --i) {
          d.dh.push_back(dh), d.dw.push_back(dw);
        }
      }
      check({2, c, 5, 7}, d, true);
    }
  }
}

// Runs along rows of at least kLongCopyMinFloats in planes of at least
// kRowShiftedCopyMinPlane: the nchw copy moves them with one long copy and rewrites the
// border rows after it, one vector at a time where a border is shorter than a vector
// (rows narrower than it; at a range's end that vector reaches back into the plane);
// shifts of the whole plane and beyond; the three uneven ranges cut runs mid-way.
TEST_P(ShiftKernelTest, LongRunsAlongRows) {
  for (const Shape& s : {Shape{2, 96, 14, 14}, Shape{1, 64, 43, 3}, Shape{1, 32, 9, 15}}) {
    for (const char* pattern : {"quad", "quad:2", "axial:3:h", "uniform:1,0", "uniform:-2,0"}) {
      check(s, from_pattern(pattern, s.c), true);
    }
  }
  check({1, 40, 13, 11}, from_pattern("uniform:13,0", 40), true);
  check({1, 40, 13, 11}, from_pattern("uniform:-20,0", 40), true);
}

TEST_P(ShiftKernelTest, LargeQuad) {
  check({1, 96, 56, 56}, from_pattern("quad", 96), true);
}

// Beyond 7 MiB the copy kernels prefetch rows ahead and split a row's pixels where the
// prefetch would leave the image; up to 16 MiB quad asks for each pixel's sources too
// (48 channels a split vector on avx2 and avx512f, 96 on avx512f), beyond it runs four
// rows at once (96 channels on avx512f); 192 channels take 12 vectors a pixel on
// avx512f; 384 go run by run, asking for the row ahead block by block.
TEST_P(ShiftKernelTest, CopyBeyondTheCaches) {
  if (GetParam().kernel.name.rfind("shift_copy", 0) != 0) GTEST_SKIP() << "copy kernels only";
  check({2, 96, 150, 150}, from_pattern("quad", 96), true);
  check({2, 96, 100, 100}, from_pattern("quad:2", 96), true);
  check({2, 96, 100, 100}, from_pattern("quad", 96), true);
  check({2, 48, 139, 139}, from_pattern("quad", 48), true);
  check({2, 192, 73, 71}, from_pattern("quad", 192), true);
  check({2, 384, 50, 50}, from_pattern("quad", 384), true);
}

// Beyond 8 MiB with more than one thread, where every run reads one source row at up
// to three columns, the nhwc copy loads each row in order and holds the loads in
// registers (kMaxLag): 96 and 32 channels (whole vectors a run on avx512f), 64 (runs that
// split vectors), 24 (avx2); edges of one and two pixels. axial:5 (lags past kMaxLag)
// and quad (three source rows) stay in output order. All runs on the row above: the top
// row of every image rewritten after the loop across images.
TEST_P(ShiftKernelTest, CopyInOrderBeyondTheCaches) {
  if (GetParam().kernel.name.rfind("shift_copy", 0) != 0) GTEST_SKIP() << "copy kernels only";
  Displacements left{"thirds at dw -2, -1, 0", std::vector<float>(96, 0.0f), {}};
  for (int64_t c = 0; c < 96; ++c) left.dw.push_back(static_cast<float>(c / 32 - 2));
  Displacements above = from_pattern("axial:3:w", 96);
  above.label = "axial:3:w from the row above";
  above.dh.assign(96, 1.0f);
  check({3, 96, 80, 117}, above, true, 2);
  check({2, 96, 97, 117}, from_pattern("axial:3:w", 96), true, 2);
  check({2, 96, 97, 117}, left, true, 2);
  check({3, 64, 103, 113}, from_pattern("axial:3:w", 64), true, 2);
  check({5, 32, 131, 109}, from_pattern("axial:3:w", 32), true, 2);
  check({4, 24, 181, 127}, from_pattern("axial:3:w", 24), true, 2);
  check({2, 96, 97, 117}, from_pattern("axial:5:w", 96), true, 2);
  check({2, 96, 97, 117}, from_pattern("quad", 96), true, 2);
}

INSTANTIATE_TEST_SUITE_P(Kernels, ShiftKernelTest, testing::ValuesIn(cases(false)), case_name);

class FractionalKernelTest : public ShiftKernelTest {};

TEST_P(FractionalKernelTest, FractionalSpecsWithinTolerance) {
  const std::vector<Shape> shapes = {{1, 1, 1, 1}, {1, 7, 13, 11}, {2, 5, 3, 17}, {2, 6, 5, 1},
                                     {1, 9, 6, 3}, {2, 8, 1, 19},  {1, 18, 5, 33}};
  uint32_t seed = 100;
  for (const Shape& s : shapes) {
    check(s, from_pattern("uniform:0.5,-1.25", s.c), false);
    check(s, from_pattern("quad:1.5", s.c), false);
    check(s, from_pattern("uniform:-0.25,0", s.c), false);
    check(s, random_list(s.c, seed++, -3, 3, false), false);
  }
  check({1, 4, 5, 5}, from_pattern("uniform:5.5,-6.25", 4), false);
}

// Integer specs through a ShiftAny kernel mixed with fractional channels: the
// integer channels must still be exact where the tolerance is loose.
TEST_P(FractionalKernelTest, MixedIntegerAndFractionalChannels) {
  Displacements d{"list 1,0;0.5,-2;-3,2;0,0.75", {1, 0.5f, -3, 0}, {0, -2, 2, 0.75f}};
  check({2, 4, 6, 7}, d, false);
}

std::vector<ShiftCase> fractional_cases() {
  return cases(true);
}

INSTANTIATE_TEST_SUITE_P(Kernels, FractionalKernelTest, testing::ValuesIn(fractional_cases()),
                         case_name);

TEST(KernelList, EveryShiftKernelNamesItsLayout) {
  const std::vector<ShiftEntry> kernels = listed_kernels<sk::ShiftKernel>();
  EXPECT_FALSE(kernels.empty());
  for (const ShiftEntry& k : kernels) {
    EXPECT_TRUE(ends_with(k.name, "_nchw") || ends_with(k.name, "_nhwc")) << k.name;
  }
}

TEST(KernelList, GeometryScratchCoversThePadding) {
  const std::vector<float> dh = {3, -1, 0}, dw = {0, 2, -4};
  const sk::ShiftGeometry a =
      sk::make_shift_geometry(1, 3, 6, 7, sk::Layout::nchw, sk::Boundary::zero, dh, dw);
  EXPECT_EQ(a.pad_h, 3);
  EXPECT_EQ(a.pad_w, 4);
  EXPECT_EQ(a.scratch_floats, (6 + 6) * (7 + 8));
  const sk::ShiftGeometry b =
      sk::make_shift_geometry(1, 3, 6, 7, sk::Layout::nhwc, sk::Boundary::zero, dh, dw);
  EXPECT_EQ(b.scratch_floats, (7 + 8) * 3);
  EXPECT_EQ(sk::shift_work_items(a), 3);
  EXPECT_EQ(sk::shift_work_items(b), 6);
}

}  // namespace
}  // namespace shiftnn::test
