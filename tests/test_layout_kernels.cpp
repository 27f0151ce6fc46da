// The layout kernels of SHIFTNN_KERNEL_LIST (nchw <-> nhwc transposes) on every built ISA
// the host runs, and the entry points of layout_ops.hpp, against plain loops: bit-exact,
// nothing written outside the output, every range of work items writing exactly its
// pixels. The list drives the cases: a new transpose kernel is tested without editing
// this file.
#include <algorithm>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/isa.hpp"
#include "kernels/kernel_table.hpp"
#include "kernels/layout_ops.hpp"
#include "support/test_support.hpp"

namespace shiftnn::test {
namespace {

namespace sk = shiftnn::kernels;

// Whether a transpose kernel of the list goes nchw -> nhwc (else nhwc -> nchw).
bool goes_to_nhwc(const std::string& kernel_name) {
  return ends_with(kernel_name, "_to_nhwc");
}

// n 1, 2; c 1, 3, 5, 12, 16, 17, 27, 96; h*w 1, 7, 5x6, 7x7, 56x56, 224x224. Against the
// vectors of 4, 8 and 16 floats and the 16-pixel work items: copies (c or h*w 1), few
// channels permuted (3, 5), padded tiles (12 on AVX-512), whole tiles (16, 96), left-over
// channels or pixels one at a time (17, 49) or in an overlapping last tile (27, 30).
// 224x224 only up to 17 channels: more adds 40 MB a case and no path.
std::vector<Shape> shapes() {
  std::vector<Shape> v;
  for (int64_t n : {1, 2}) {
    for (int64_t c : {1, 3, 5, 12, 16, 17, 27, 96}) {
      for (auto [h, w] :
           {std::pair<int64_t, int64_t>{1, 1}, {1, 7}, {5, 6}, {7, 7}, {56, 56}, {224, 224}}) {
        if (h * w == 224 * 224 && c > 17) continue;
        v.push_back({n, c, h, w});
      }
    }
  }
  return v;
}

Layout src_layout(bool to_nhwc) {
  return to_nhwc ? Layout::nchw : Layout::nhwc;
}
Layout dst_layout(bool to_nhwc) {
  return to_nhwc ? Layout::nhwc : Layout::nchw;
}

// Flat index of (image, channel, pixel) in a dense tensor of shape s.
int64_t flat(const Shape& s, Layout layout, int64_t i, int64_t k, int64_t p) {
  const int64_t hw = s.h * s.w;
  return layout == Layout::nchw ? (i * s.c + k) * hw + p : (i * hw + p) * s.c + k;
}

// The tensor x (in src_layout) stored in dst_layout, one float at a time.
std::vector<float> plain_transpose(const std::vector<float>& x, const Shape& s, bool to_nhwc) {
  std::vector<float> y(x.size());
  for (int64_t i = 0; i < s.n; ++i) {
    for (int64_t k = 0; k < s.c; ++k) {
      for (int64_t p = 0; p < s.h * s.w; ++p) {
        y[flat(s, dst_layout(to_nhwc), i, k, p)] = x[flat(s, src_layout(to_nhwc), i, k, p)];
      }
    }
  }
  return y;
}

sk::TransposeArgs args_of(const Shape& s, const float* src, float* dst) {
  return {src, dst, s.n, s.c, s.h * s.w};
}

using Range = std::pair<int64_t, int64_t>;

// One range, two halves, or three uneven ranges of [0, items).
std::vector<Range> split(int64_t items, int parts) {
  if (parts == 1) return {{0, items}};
  if (parts == 2) return {{0, items / 2}, {items / 2, items}};
  return {{0, items / 5}, {items / 5, items * 3 / 4}, {items * 3 / 4, items}};
}

// The work item covering pixel p of image i, as TransposeArgs defines the items.
int64_t item_of(int64_t hw, int64_t i, int64_t p) {
  const int64_t runs = hw >= 16 ? hw / 16 : 1;
  return i * runs + std::min(p / 16, runs - 1);
}

std::string describe(const Shape& s, const Range& r) {
  return s.str() + ", items [" + std::to_string(r.first) + ", " + std::to_string(r.second) + ")";
}

class LayoutKernelTest : public KernelCaseTest<sk::TransposeKernel> {};

// Whole range, two threads at once, three uneven ranges: bit-exact, guards intact.
void expect_matches_plain_loops(sk::TransposeKernel kernel, bool to_nhwc, const Shape& s,
                                uint32_t seed) {
  const std::vector<float> x = random_values(s.elements(), seed);
  const std::vector<float> want = plain_transpose(x, s, to_nhwc);
  for (int parts : {1, 2, 3}) {
    GuardedBuffer out(s.elements());
    const sk::TransposeArgs a = args_of(s, x.data(), out.data());
    const std::vector<Range> ranges = split(sk::transpose_work_items(a), parts);
    if (parts == 2) {
      std::vector<std::thread> team;
      for (const Range& r : ranges) team.emplace_back([&, r] { kernel(a, r.first, r.second); });
      for (std::thread& t : team) t.join();
    } else {
      for (const Range& r : ranges) kernel(a, r.first, r.second);
    }
    const std::string what = s.str() + ", " + std::to_string(parts) + " ranges";
    ASSERT_EQ(out.damaged_guard(), -1) << what;
    ASSERT_EQ(compare(out.data(), want.data(), s, dst_layout(to_nhwc)), "") << what;
  }
}

TEST_P(LayoutKernelTest, MatchesPlainLoops) {
  uint32_t seed = 10;
  for (const Shape& s : shapes()) {
    expect_matches_plain_loops(kernel_, goes_to_nhwc(GetParam().kernel.name), s, seed++);
    if (HasFatalFailure()) return;
  }
}

// Every channel count up to 17 on h*w 5x6 (one run of 30 pixels) and 10x100 (runs of 16,
// the last of 24): each permuted count, the padded tiles (9 to 15 on AVX-512) with their
// single-float pixels, and whole tiles with a channel left over, on every ISA.
TEST_P(LayoutKernelTest, EveryChannelCountUpTo17) {
  uint32_t seed = 100;
  for (int64_t c = 1; c <= 17; ++c) {
    for (const Shape& s : {Shape{2, c, 5, 6}, Shape{2, c, 10, 100}}) {
      expect_matches_plain_loops(kernel_, goes_to_nhwc(GetParam().kernel.name), s, seed++);
      if (HasFatalFailure()) return;
    }
  }
}

// A range alone writes the pixels of its items, all channels, and nothing else: the
// overlapping last tiles stay inside their item, so threads never share a float.
TEST_P(LayoutKernelTest, RangeWritesExactlyItsPixels) {
  const bool to_nhwc = goes_to_nhwc(GetParam().kernel.name);
  const Layout out_layout = dst_layout(to_nhwc);
  uint32_t seed = 300;
  for (const Shape& s : shapes()) {
    const std::vector<float> x = random_values(s.elements(), seed++);
    const std::vector<float> want = plain_transpose(x, s, to_nhwc);
    const int64_t hw = s.h * s.w, items = sk::transpose_work_items(args_of(s, nullptr, nullptr));
    // Three uneven ranges, then single items: the first two, an image's last (with the
    // h*w % 16 tail), the next image's first, the very last; and an empty range.
    std::vector<Range> ranges = split(items, 3);
    for (int64_t q : {int64_t{0}, int64_t{1}, items / s.n - 1, items / s.n, items - 1}) {
      if (q < items) ranges.push_back({q, q + 1});
    }
    ranges.push_back({items / 2, items / 2});
    for (const Range& r : ranges) {
      GuardedBuffer out(s.elements());
      kernel_(args_of(s, x.data(), out.data()), r.first, r.second);
      const std::string what = describe(s, r);
      ASSERT_EQ(out.damaged_guard(), -1) << what;
      for (int64_t i = 0; i < s.n; ++i) {
        for (int64_t p = 0; p < hw; ++p) {
          const int64_t q = item_of(hw, i, p);
          const bool mine = r.first <= q && q < r.second;
          for (int64_t k = 0; k < s.c; ++k) {
            const int64_t e = flat(s, out_layout, i, k, p);
            ASSERT_EQ(out.untouched(e), !mine) << what << " at " << position(e, s, out_layout);
            if (mine) {
              ASSERT_EQ(bits_of(out.data()[e]), bits_of(want[e]))
                  << what << " at " << position(e, s, out_layout);
            }
          }
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, LayoutKernelTest,
                         testing::ValuesIn(kernel_cases<sk::TransposeKernel>()),
                         kernel_case_name<sk::TransposeKernel>);

// item_of above: runs of 16 pixels, an image's last run taking the tail.
TEST(LayoutKernels, ItemsAreRunsOfSixteenPixels) {
  EXPECT_EQ(sk::kTransposePixels, 16);
  const std::pair<int64_t, int64_t> hw_runs[] = {{1, 1},  {7, 1},  {15, 1}, {16, 1},
                                                 {31, 1}, {32, 2}, {49, 3}, {3136, 196}};
  for (auto [hw, runs] : hw_runs) {
    EXPECT_EQ(sk::transpose_work_items({nullptr, nullptr, 3, 5, hw}), 3 * runs) << "hw " << hw;
  }
}

TEST(LayoutKernels, ListHasBothDirections) {
  int to_nhwc = 0, to_nchw = 0;
  for (const auto& k : listed_kernels<sk::TransposeKernel>()) {
    (goes_to_nhwc(k.name) ? to_nhwc : to_nchw) += 1;
  }
  EXPECT_EQ(to_nhwc, 1);
  EXPECT_EQ(to_nchw, 1);
  EXPECT_EQ(SHIFTNN_KERNEL_NAME(transpose_nchw_to_nhwc, sk::Isa::avx512f),
            "transpose_nchw_to_nhwc/avx512f");
}

// ---- Entry points ----------------------------------------------------------------------

class LayoutOpsTest : public testing::TestWithParam<int> {};  // threads

void entry(bool to_nhwc, const float* src, float* dst, const Shape& s, int threads) {
  (to_nhwc ? sk::nchw_to_nhwc : sk::nhwc_to_nchw)(src, dst, s.n, s.c, s.h * s.w, threads);
}

// Both directions through the active ISA and the OpenMP split, and the round trip.
TEST_P(LayoutOpsTest, MatchPlainLoopsAndRoundTrip) {
  uint32_t seed = 700;
  for (const Shape& s : shapes()) {
    const std::vector<float> x = random_values(s.elements(), seed++);
    for (bool to_nhwc : {true, false}) {
      const std::string what =
          s.str() + (to_nhwc ? " to nhwc" : " to nchw") + ", threads " + std::to_string(GetParam());
      GuardedBuffer out(s.elements());
      entry(to_nhwc, x.data(), out.data(), s, GetParam());
      ASSERT_EQ(out.damaged_guard(), -1) << what;
      const std::vector<float> want = plain_transpose(x, s, to_nhwc);
      ASSERT_EQ(compare(out.data(), want.data(), s, dst_layout(to_nhwc)), "") << what;
      GuardedBuffer back(s.elements());
      entry(!to_nhwc, out.data(), back.data(), s, GetParam());
      ASSERT_EQ(back.damaged_guard(), -1) << what << ", back";
      ASSERT_EQ(compare(back.data(), x.data(), s, src_layout(to_nhwc)), "") << what << ", back";
    }
  }
}

// No image, channel or pixel: nothing written.
TEST_P(LayoutOpsTest, EmptyTensorsWriteNothing) {
  const std::vector<float> x(8, 1.0f);
  for (const Shape& s : {Shape{0, 3, 2, 2}, Shape{2, 0, 2, 2}, Shape{2, 3, 0, 2}}) {
    for (bool to_nhwc : {true, false}) {
      GuardedBuffer out(0);
      entry(to_nhwc, x.data(), out.data(), s, GetParam());
      EXPECT_EQ(out.damaged_guard(), -1) << s.str();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Threads, LayoutOpsTest, testing::Values(1, 2),
                         [](const testing::TestParamInfo<int>& info) {
                           return "threads" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace shiftnn::test
