// Strategy dwconv (oneDNN depthwise convolution) vs the scalar reference: integer
// shifts bit for bit, fractional ones within 1e-5, every boundary and layout.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/src/to_kernel.hpp"
#include "kernels/onednn/dwconv_onednn.hpp"
#include "kernels/reference/reference.hpp"
#include "kernels/shift_geometry.hpp"
#include "shiftnn/shift.hpp"
#include "shiftnn/shift_spec.hpp"
#include "support/test_support.hpp"

namespace {

namespace k = shiftnn::kernels;

struct Case {
  int64_t n, c, h, w;
};

// Odd sizes on purpose: single pixels, primes, widths below one vector, C not a multiple
// of the channel block.
const Case kShapes[] = {{1, 8, 5, 5},  {2, 3, 1, 1},   {1, 17, 7, 13}, {3, 5, 11, 3},
                        {1, 33, 2, 9}, {2, 20, 6, 17}, {1, 96, 9, 9},  {1, 4, 1, 19}};

const k::Boundary kBoundaries[] = {k::Boundary::zero, k::Boundary::replicate, k::Boundary::keep,
                                   k::Boundary::circular};
const k::Layout kLayouts[] = {k::Layout::nchw, k::Layout::nhwc};

// Non-zero values (no -0.0: see NegativeZero), both signs, a few subnormals.
std::vector<float> random_input(size_t count, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(0.01f, 4.0f);
  std::vector<float> x(count);
  for (size_t i = 0; i < count; ++i) {
    float v = dist(rng) * (rng() & 1 ? 1.0f : -1.0f);
    if (i % 97 == 5) v = 3e-40f * (rng() & 1 ? 1.0f : -1.0f);
    x[i] = v;
  }
  return x;
}

struct Result {
  std::vector<float> ref, got;
  float max_abs_input = 0;
};

Result run_both(const Case& s, k::Layout layout, k::Boundary boundary, const std::vector<float>& dh,
                const std::vector<float>& dw, int threads = 1) {
  const size_t count = static_cast<size_t>(s.n * s.c * s.h * s.w);
  const std::vector<float> x = random_input(count, static_cast<unsigned>(count + s.c));
  Result r;
  for (float v : x) r.max_abs_input = std::max(r.max_abs_input, std::abs(v));
  r.ref.assign(count, 0.0f);
  r.got.assign(count, 1234.5f);
  k::reference::shift(x.data(), r.ref.data(), s.n, s.c, s.h, s.w, layout, boundary, dh.data(),
                      dw.data());
  const k::ShiftGeometry g = k::make_shift_geometry(s.n, s.c, s.h, s.w, layout, boundary, dh, dw);
  const k::DwconvShift conv(g, threads);
  conv.run(x.data(), r.got.data());
  return r;
}

std::string describe(const Case& s, k::Layout layout, k::Boundary b, const std::string& what) {
  return std::to_string(s.n) + "x" + std::to_string(s.c) + "x" + std::to_string(s.h) + "x" +
         std::to_string(s.w) + (layout == k::Layout::nchw ? " nchw " : " nhwc ") +
         shiftnn::test::boundary_name(b) + " " + what;
}

void expect_bit_exact(const Case& s, k::Layout layout, k::Boundary b, const std::string& pattern,
                      const std::vector<float>& dh, const std::vector<float>& dw) {
  const Result r = run_both(s, layout, b, dh, dw);
  if (std::memcmp(r.ref.data(), r.got.data(), r.ref.size() * sizeof(float)) == 0) return;
  size_t i = 0;
  while (std::memcmp(&r.ref[i], &r.got[i], sizeof(float)) == 0) ++i;
  ADD_FAILURE() << describe(s, layout, b, pattern) << ": first difference at " << i << ": ref "
                << r.ref[i] << " dwconv " << r.got[i];
}

TEST(Dwconv, IntegerPatternsBitExact) {
  const char* patterns[] = {"quad",      "quad:2",       "quad:3",     "grouped:3",
                            "grouped:5", "grouped:3:2",  "axial:3:h",  "axial:5:w:2",
                            "cycle:3:h", "uniform:-2,1", "uniform:0,0"};
  for (const Case& s : kShapes) {
    for (k::Layout layout : kLayouts) {
      for (k::Boundary b : kBoundaries) {
        for (const char* pattern : patterns) {
          const shiftnn::ShiftSpec spec =
              shiftnn::parse_pattern(pattern, s.c, shiftnn::test::from_kernel(b));
          expect_bit_exact(s, layout, b, pattern, spec.dh, spec.dw);
        }
      }
    }
  }
}

// Displacements beyond the image: every position takes the boundary value (circular wraps).
TEST(Dwconv, ShiftsLargerThanImageBitExact) {
  const Case shapes[] = {{1, 5, 3, 4}, {2, 17, 2, 2}, {1, 3, 1, 1}};
  for (const Case& s : shapes) {
    std::vector<float> dh(s.c), dw(s.c);
    for (int64_t c = 0; c < s.c; ++c) {
      dh[c] = static_cast<float>((c % 5 - 2) * 3);
      dw[c] = static_cast<float>(7 - (c % 4) * 5);
    }
    for (k::Layout layout : kLayouts) {
      for (k::Boundary b : kBoundaries) expect_bit_exact(s, layout, b, "beyond image", dh, dw);
    }
  }
}

// The engine's largest dwconv reach, 32 pixels: a 65x65 kernel.
TEST(Dwconv, LargestKernelBitExact) {
  const Case s{1, 4, 33, 34};
  const std::vector<float> dh = {32, -32, 0, 5}, dw = {-31, 32, 32, -20};
  for (k::Layout layout : kLayouts) {
    for (k::Boundary b : kBoundaries) expect_bit_exact(s, layout, b, "reach 32", dh, dw);
  }
}

TEST(Dwconv, RandomIntegerListsBitExact) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> d(-4, 4);
  for (const Case& s : kShapes) {
    std::vector<float> dh(s.c), dw(s.c);
    for (int64_t c = 0; c < s.c; ++c) dh[c] = float(d(rng)), dw[c] = float(d(rng));
    for (k::Layout layout : kLayouts) {
      for (k::Boundary b : kBoundaries) expect_bit_exact(s, layout, b, "random list", dh, dw);
    }
  }
}

TEST(Dwconv, FractionalWithinTolerance) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> d(-3.0f, 3.0f);
  const k::Boundary boundaries[] = {k::Boundary::zero, k::Boundary::replicate,
                                    k::Boundary::circular};
  for (const Case& s : kShapes) {
    std::vector<float> dh(s.c), dw(s.c);
    for (int64_t c = 0; c < s.c; ++c) {
      dh[c] = d(rng), dw[c] = d(rng);
      if (c % 3 == 1) dh[c] = std::round(dh[c]);                // mixes integer and fractional axes
      if (c % 5 == 2) dh[c] += 2.0f * static_cast<float>(s.h);  // beyond the image
    }
    for (k::Layout layout : kLayouts) {
      for (k::Boundary b : boundaries) {
        const Result r = run_both(s, layout, b, dh, dw);
        for (size_t i = 0; i < r.ref.size(); ++i) {
          const float tol = 1e-5f * std::max(std::abs(r.ref[i]), r.max_abs_input);
          ASSERT_NEAR(r.got[i], r.ref[i], tol)
              << describe(s, layout, b, "fractional") << " at " << i;
        }
      }
    }
  }
}

TEST(Dwconv, TwoThreadsMatchOne) {
  const Case s{2, 40, 13, 11};
  const shiftnn::ShiftSpec spec = shiftnn::parse_pattern("grouped:3", s.c);
  for (k::Layout layout : kLayouts) {
    for (k::Boundary b : kBoundaries) {
      const Result one = run_both(s, layout, b, spec.dh, spec.dw, 1);
      const Result two = run_both(s, layout, b, spec.dh, spec.dw, 2);
      EXPECT_EQ(0, std::memcmp(one.got.data(), two.got.data(), one.got.size() * sizeof(float)))
          << describe(s, layout, b, "2 threads");
      EXPECT_EQ(0, std::memcmp(one.ref.data(), two.got.data(), one.got.size() * sizeof(float)))
          << describe(s, layout, b, "2 threads vs reference");
    }
  }
}

// One DwconvShift run from 4 threads at once, each on its own input, many times.
TEST(Dwconv, ConcurrentRunsAgree) {
  const Case s{2, 24, 15, 9};
  const shiftnn::ShiftSpec spec = shiftnn::parse_pattern("quad:2", s.c);
  const size_t count = static_cast<size_t>(s.n * s.c * s.h * s.w);
  for (k::Layout layout : kLayouts) {
    for (k::Boundary b : {k::Boundary::circular, k::Boundary::keep}) {
      const k::ShiftGeometry g =
          k::make_shift_geometry(s.n, s.c, s.h, s.w, layout, b, spec.dh, spec.dw);
      const k::DwconvShift conv(g, 2);
      std::vector<std::vector<float>> in(4), want(4), got(4, std::vector<float>(count));
      for (unsigned t = 0; t < 4; ++t) {
        in[t] = random_input(count, 100 + t);
        want[t].resize(count);
        k::reference::shift(in[t].data(), want[t].data(), s.n, s.c, s.h, s.w, layout, b,
                            spec.dh.data(), spec.dw.data());
      }
      std::vector<int> mismatches(4, 0);
      std::vector<std::thread> pool;
      for (int t = 0; t < 4; ++t) {
        pool.emplace_back([&, t] {
          for (int rep = 0; rep < 50; ++rep) {
            conv.run(in[t].data(), got[t].data());
            if (std::memcmp(got[t].data(), want[t].data(), count * sizeof(float)) != 0) {
              ++mismatches[t];
            }
          }
        });
      }
      for (std::thread& th : pool) th.join();
      for (int t = 0; t < 4; ++t) {
        EXPECT_EQ(mismatches[t], 0) << describe(s, layout, b, "thread " + std::to_string(t));
      }
    }
  }
}

// Callers inside an OpenMP parallel region: oneDNN then runs each call on one thread,
// though the primitives were created for 2.
TEST(Dwconv, RunsFromOpenMpThreads) {
  const Case s{1, 48, 12, 10};
  const shiftnn::ShiftSpec spec = shiftnn::parse_pattern("grouped:3", s.c);
  const size_t count = static_cast<size_t>(s.n * s.c * s.h * s.w);
  const std::vector<float> x = random_input(count, 5);
  for (k::Layout layout : kLayouts) {
    for (k::Boundary b : kBoundaries) {
      const k::ShiftGeometry g =
          k::make_shift_geometry(s.n, s.c, s.h, s.w, layout, b, spec.dh, spec.dw);
      const k::DwconvShift conv(g, 2);
      std::vector<float> want(count);
      k::reference::shift(x.data(), want.data(), s.n, s.c, s.h, s.w, layout, b, spec.dh.data(),
                          spec.dw.data());
      int mismatches = 0;
#pragma omp parallel num_threads(4) reduction(+ : mismatches)
      {
        std::vector<float> got(count);
        for (int rep = 0; rep < 10; ++rep) {
          conv.run(x.data(), got.data());
          mismatches += std::memcmp(got.data(), want.data(), count * sizeof(float)) != 0;
        }
      }
      EXPECT_EQ(mismatches, 0) << describe(s, layout, b, "OpenMP callers");
    }
  }
}

// -0.0 is finite, but a convolution adds the one-hot product to +0.0 products of the
// other taps: the sum of -0.0 and +0.0 is +0.0, so the sign of a zero is not kept.
// The value still compares equal.
TEST(Dwconv, NegativeZeroKeepsItsValue) {
  const Case s{1, 4, 3, 3};
  const shiftnn::ShiftSpec spec = shiftnn::parse_pattern("quad", s.c);
  std::vector<float> x(36, -0.0f), y(36, 1.0f), ref(36);
  const k::ShiftGeometry g = k::make_shift_geometry(s.n, s.c, s.h, s.w, k::Layout::nchw,
                                                    k::Boundary::replicate, spec.dh, spec.dw);
  k::DwconvShift(g, 1).run(x.data(), y.data());
  k::reference::shift(x.data(), ref.data(), s.n, s.c, s.h, s.w, k::Layout::nchw,
                      k::Boundary::replicate, spec.dh.data(), spec.dw.data());
  for (size_t i = 0; i < y.size(); ++i) EXPECT_EQ(y[i], ref[i]) << i;
}

TEST(Dwconv, PublicApi) {
  const shiftnn::Shape shape{2, 12, 7, 10};
  for (shiftnn::Layout layout : {shiftnn::Layout::nchw, shiftnn::Layout::nhwc}) {
    const shiftnn::ShiftSpec spec =
        shiftnn::parse_pattern("quad:2", shape.c, shiftnn::Boundary::replicate);
    shiftnn::ShiftOptions options;
    options.strategy = shiftnn::Strategy::dwconv;
    options.threads = 2;
    const shiftnn::ShiftOp op(shape, layout, spec, options);
    EXPECT_EQ(op.kernel_name().rfind("dwconv_onednn/", 0), 0u) << op.kernel_name();
    if (layout == shiftnn::Layout::nhwc) {
      EXPECT_EQ(op.kernel_name(), "dwconv_onednn/nhwc");
    }

    shiftnn::Tensor x(shape, layout), y(shape, layout), ref(shape, layout);
    const std::vector<float> values = random_input(static_cast<size_t>(shape.elements()), 3);
    std::copy(values.begin(), values.end(), x.data());
    op.run(x.cview(), y.view());
    const k::Layout kl = shiftnn::detail::to_kernel(layout);
    k::reference::shift(x.data(), ref.data(), shape.n, shape.c, shape.h, shape.w, kl,
                        k::Boundary::replicate, spec.dh.data(), spec.dw.data());
    EXPECT_EQ(0, std::memcmp(y.data(), ref.data(), static_cast<size_t>(shape.elements()) * 4));
  }
}

}  // namespace
