// Strategy deform's SIMD kernels against the scalar reference, for every ISA the host
// runs: integer displacements bit for bit, fractional ones within 1e-5 * max|x|.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include "kernels/kernel_table.hpp"
#include "kernels/reference/reference.hpp"
#include "kernels/shift_geometry.hpp"
#include "support/test_support.hpp"

namespace shiftnn::kernels {
namespace {

struct Shape {
  int64_t n, c, h, w;
};

// Floats of sentinel before and after the output, asserted untouched.
constexpr int64_t kGuard = 37;
constexpr float kSentinel = -12345.678f;

const Shape kShapes[] = {{1, 1, 1, 1},   {2, 3, 5, 7},  {1, 5, 13, 17}, {1, 4, 7, 7},
                         {1, 3, 3, 31},  {1, 2, 2, 40}, {1, 7, 1, 19},  {2, 6, 11, 1},
                         {1, 9, 16, 16}, {1, 2, 6, 67}};

// Input with negative values and -0.0 entries: a bilinear sum with weights 1, 0 would
// turn -0.0 into +0.0, which the integer comparison catches.
std::vector<float> make_input(int64_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) x[i] = i % 7 == 3 ? -0.0f : dist(rng);
  return x;
}

// Per-channel displacements drawn from `values`, dh and dw from different positions.
void pick(const std::vector<float>& values, int64_t c, std::vector<float>* dh,
          std::vector<float>* dw) {
  dh->resize(c), dw->resize(c);
  const auto k = static_cast<int64_t>(values.size());
  for (int64_t i = 0; i < c; ++i) {
    (*dh)[i] = values[i % k];
    (*dw)[i] = values[(i * 3 + 1) % k];
  }
}

// The input copied next to an inaccessible page, flush against its end (AtEnd) or its
// start: a kernel reading outside the input faults.
class FencedInput {
 public:
  FencedInput(const std::vector<float>& x, bool at_end) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t bytes = x.size() * sizeof(float);
    const size_t body = (bytes + page - 1) / page * page;
    size_ = body + 2 * page;
    void* m = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(m, MAP_FAILED);
    base_ = static_cast<char*>(m);
    mprotect(base_, page, PROT_NONE);
    mprotect(base_ + page + body, page, PROT_NONE);
    char* start = base_ + page + (at_end ? body - bytes : 0);
    std::memcpy(start, x.data(), bytes);
    data_ = reinterpret_cast<const float*>(start);
  }
  FencedInput(const FencedInput&) = delete;
  FencedInput& operator=(const FencedInput&) = delete;
  ~FencedInput() { munmap(base_, size_); }
  const float* data() const { return data_; }

 private:
  char* base_ = nullptr;
  size_t size_ = 0;
  const float* data_ = nullptr;
};

struct Case {
  Shape s;
  Layout layout;
  Boundary boundary;
  std::vector<float> dh, dw;
};

std::string describe(const Case& k, Isa isa) {
  std::string d = std::string(isa_name(isa)) + " " + std::to_string(k.s.n) + "x" +
                  std::to_string(k.s.c) + "x" + std::to_string(k.s.h) + "x" +
                  std::to_string(k.s.w) + (k.layout == Layout::nchw ? " nchw " : " nhwc ") +
                  test::boundary_name(k.boundary) + " d=";
  for (size_t i = 0; i < k.dh.size(); ++i) {
    d += "(" + std::to_string(k.dh[i]) + "," + std::to_string(k.dw[i]) + ")";
  }
  return d;
}

void check(const Case& k, Isa isa) {
  SCOPED_TRACE(describe(k, isa));
  const KernelTable& table = kernels_for(isa);
  const ShiftKernel kernel =
      k.layout == Layout::nchw ? table.shift_deform_nchw : table.shift_deform_nhwc;
  const ShiftGeometry g =
      make_shift_geometry(k.s.n, k.s.c, k.s.h, k.s.w, k.layout, k.boundary, k.dh, k.dw);
  const int64_t count = g.elements();
  const std::vector<float> x = make_input(count, static_cast<uint32_t>(count * 31 + k.s.c));
  std::vector<float> want(static_cast<size_t>(count));
  reference::shift(x.data(), want.data(), k.s.n, k.s.c, k.s.h, k.s.w, k.layout, k.boundary,
                   k.dh.data(), k.dw.data());

  std::vector<float> buf(static_cast<size_t>(count + 2 * kGuard), kSentinel);
  float* y = buf.data() + kGuard;
  for (bool at_end : {false, true}) {
    const FencedInput fenced(x, at_end);
    const ShiftArgs args{&g, fenced.data(), y};
    // Uneven pieces of the work items, as threads would get them.
    const int64_t items = shift_work_items(g);
    const int64_t cut1 = items / 3, cut2 = std::max(cut1, items - 1);
    kernel(args, 0, cut1, nullptr);
    kernel(args, cut1, cut2, nullptr);
    kernel(args, cut2, items, nullptr);
  }

  for (int64_t i = 0; i < kGuard; ++i) {
    ASSERT_EQ(buf[i], kSentinel) << "guard before the output, float " << i;
    ASSERT_EQ(buf[kGuard + count + i], kSentinel) << "guard after the output, float " << i;
  }
  if (g.integer) {
    ASSERT_EQ(std::memcmp(y, want.data(), count * sizeof(float)), 0) << "not bit-exact";
    return;
  }
  float max_abs = 0.0f;
  for (float v : x) max_abs = std::max(max_abs, std::fabs(v));
  const float tol = 1e-5f * max_abs;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t c = k.layout == Layout::nchw ? (i / (k.s.h * k.s.w)) % k.s.c : i % k.s.c;
    const bool integer_channel = std::floor(k.dh[c]) == k.dh[c] && std::floor(k.dw[c]) == k.dw[c];
    if (integer_channel) {  // exact even inside a fractional spec
      ASSERT_EQ(std::memcmp(&y[i], &want[i], sizeof(float)), 0)
          << "integer channel " << c << " at " << i << ": " << y[i] << " vs " << want[i];
    } else {
      ASSERT_NEAR(y[i], want[i], tol) << "channel " << c << " at " << i;
    }
  }
}

// Runs `body` for every built ISA; ISAs the host cannot run are reported as skipped.
template <class Body>
void for_each_isa(Body body) {
  int count = 0;
  const Isa* isas = built_isas(&count);
  std::string skipped;
  for (int i = 0; i < count; ++i) {
    if (!host_supports(isas[i])) {
      skipped += std::string(" ") + isa_name(isas[i]);
      continue;
    }
    body(isas[i]);
    if (::testing::Test::HasFatalFailure()) return;
  }
  if (!skipped.empty()) GTEST_SKIP() << "host cannot run:" << skipped;
}

void run_all(const std::vector<std::vector<float>>& value_sets, bool fractional) {
  const Boundary boundaries[] = {Boundary::zero, Boundary::replicate, Boundary::keep,
                                 Boundary::circular};
  for_each_isa([&](Isa isa) {
    for (const Shape& s : kShapes) {
      for (Layout layout : {Layout::nchw, Layout::nhwc}) {
        for (Boundary b : boundaries) {
          if (fractional && b == Boundary::keep) continue;
          for (const auto& values : value_sets) {
            Case k{s, layout, b, {}, {}};
            pick(values, s.c, &k.dh, &k.dw);
            check(k, isa);
            if (::testing::Test::HasFatalFailure()) return;
          }
        }
      }
    }
  });
}

TEST(Deform, IntegerBitExact) {
  run_all({{0.0f},
           {1.0f, -1.0f, 0.0f},
           {2.0f, -3.0f, 1.0f, 0.0f, -1.0f},
           {5.0f, -17.0f, 40.0f, -2.0f},
           {1000.0f, -1000.0f, 66.0f, -41.0f, 3.0f},
           {-7.0f, 16.0f, -16.0f, 15.0f, -15.0f, 31.0f, 17.0f}},
          false);
}

TEST(Deform, Fractional) {
  run_all({{0.5f},
           {0.5f, -1.25f, 2.75f},
           {-0.5f, 1.0f, 0.25f, -2.0f, 0.0f},
           {100.5f, -37.75f, 3.125f, -0.001f, 13.5f},
           {1e6f + 0.5f, -1e6f - 0.25f, 0.75f},
           {-16.5f, 15.25f, -1.5f, 1.5f, 6.75f, -40.5f, 0.125f}},
          true);
}

// Long channel runs in nhwc and long rows in nchw take the vector paths of every width.
TEST(Deform, LongRunsAndRows) {
  for_each_isa([&](Isa isa) {
    for (Boundary b : {Boundary::zero, Boundary::replicate, Boundary::keep, Boundary::circular}) {
      for (Layout layout : {Layout::nchw, Layout::nhwc}) {
        for (bool fractional : {false, true}) {
          if (fractional && b == Boundary::keep) continue;
          Case k{{1, 70, 9, 53}, layout, b, {}, {}};
          const float f = fractional ? 0.375f : 0.0f;
          k.dh.assign(70, 0.0f), k.dw.assign(70, 0.0f);
          for (int64_t c = 0; c < 70; ++c) {  // quad-like: four runs of 17 or 18 channels
            const int64_t q = (c * 4) / 70;
            const float d = (q % 2 == 0 ? 1.0f : -2.0f) + f;
            (q < 2 ? k.dw : k.dh)[c] = d;
          }
          check(k, isa);
          if (::testing::Test::HasFatalFailure()) return;
        }
      }
    }
  });
}

}  // namespace
}  // namespace shiftnn::kernels
