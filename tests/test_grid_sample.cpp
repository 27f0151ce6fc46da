// GridSample: every kernel on every ISA the host runs against the scalar reference,
// the public operator against PyTorch's golden files, and its shape checks.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/isa.hpp"
#include "kernels/kernel_table.hpp"
#include "kernels/reference/reference.hpp"
#include "shiftnn/grid_sample.hpp"
#include "shiftnn/npy.hpp"
#include "support/test_support.hpp"

namespace shiftnn::test {
namespace {

namespace sk = shiftnn::kernels;

struct Dims {
  int64_t n, c, h, w, ho, wo;
};

// 1, primes, widths below and just above every vector width (4, 8, 16 floats).
const Dims kDims[] = {{1, 1, 1, 1, 1, 1},    {2, 3, 5, 7, 4, 6},  {1, 2, 3, 17, 5, 19},
                      {1, 5, 13, 31, 7, 33}, {2, 17, 1, 1, 3, 2}, {1, 19, 2, 3, 1, 16},
                      {3, 1, 11, 5, 2, 9},   {1, 4, 7, 1, 13, 1}, {1, 16, 6, 23, 3, 17}};

const sk::GridModeK kModes[] = {sk::GridModeK::bilinear, sk::GridModeK::nearest};
const sk::GridPaddingK kPaddings[] = {sk::GridPaddingK::zeros, sk::GridPaddingK::border,
                                      sk::GridPaddingK::reflection};

// One layout's kernel on one ISA.
struct LayoutKernel {
  sk::Isa isa;
  sk::Layout layout;
  sk::GridSampleKernel kernel;
};

// Both layouts' kernels on every ISA the host runs, ISA by ISA.
std::vector<LayoutKernel> host_kernels() {
  std::vector<LayoutKernel> v;
  for (sk::Isa isa : built_isa_list()) {
    if (!sk::host_supports(isa)) continue;
    const sk::KernelTable& t = sk::kernels_for(isa);
    v.push_back({isa, sk::Layout::nchw, t.grid_sample_nchw});
    v.push_back({isa, sk::Layout::nhwc, t.grid_sample_nhwc});
  }
  return v;
}

// Normalised grid values spanning [-1.5, 1.5], with exact corners, centres and values
// that land on pixel centres and half-way points mixed in.
std::vector<float> random_grid(int64_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> value(-1.5f, 1.5f);
  std::uniform_int_distribution<int> kind(0, 9);
  const float special[] = {-1.0f, 1.0f, 0.0f, -0.5f, 0.5f, 0.25f};
  std::vector<float> g(static_cast<size_t>(count));
  for (float& x : g) {
    const int k = kind(rng);
    x = k < 6 ? special[k] : value(rng);
  }
  return g;
}

// Pixel-offset grid: integers and fractions in [-(size+2), size+2] per axis.
std::vector<float> random_offsets(int64_t pixels, int64_t h, int64_t w, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> whole(-3, 3), frac(0, 3);
  std::vector<float> g(static_cast<size_t>(pixels * 2));
  for (int64_t i = 0; i < pixels * 2; ++i) {
    const int64_t size = i % 2 == 0 ? w : h;
    const float f = frac(rng) == 0 ? 0.0f : std::uniform_real_distribution<float>(0, 1)(rng);
    g[i] = static_cast<float>(whole(rng) * (size + 2) / 3) + f;
  }
  return g;
}

sk::GridSampleArgs dense_args(const Dims& d, sk::Layout layout, sk::GridModeK mode,
                              sk::GridPaddingK padding, bool align) {
  sk::GridSampleArgs a{};
  a.n = d.n, a.c = d.c, a.h = d.h, a.w = d.w, a.ho = d.ho, a.wo = d.wo;
  a.layout = layout;
  a.mode = mode;
  a.padding = padding;
  a.align_corners = align;
  a.pixel_grid = false;
  sk::set_dense_strides(a);
  return a;
}

std::string describe(sk::Isa isa, sk::Layout layout, const Dims& d, const sk::GridSampleArgs& a) {
  std::ostringstream o;
  o << sk::isa_name(isa) << (layout == sk::Layout::nchw ? " nchw " : " nhwc ") << d.n << "x" << d.c
    << "x" << d.h << "x" << d.w << " -> " << d.ho << "x" << d.wo
    << (a.mode == sk::GridModeK::nearest ? " nearest" : " bilinear") << " padding "
    << static_cast<int>(a.padding) << " align " << a.align_corners << " pixel " << a.pixel_grid;
  return o.str();
}

// Runs the kernel in two row ranges into a guarded buffer and compares with the
// reference; nearest must match bit for bit. Bilinear allows for a compiler fusing the
// unnormalisation into an FMA (GCC does for AVX2): the coordinate then moves by an ulp,
// 2^-22 * size at most, and a weight with it; inputs are in [-1, 1].
void check_kernel(sk::GridSampleKernel kernel, sk::GridSampleArgs a, int64_t dst_floats,
                  const std::string& what) {
  GuardedBuffer got(dst_floats);
  std::vector<float> want(static_cast<size_t>(dst_floats), 0.0f);
  a.dst = want.data();
  sk::reference::grid_sample(a);
  a.dst = got.data();
  const int64_t rows = a.n * a.ho, split = rows / 3;
  kernel(a, 0, split);
  kernel(a, split, rows);
  ASSERT_EQ(got.damaged_guard(), -1) << what << ": wrote outside the output";
  const float tol =
      a.mode == sk::GridModeK::nearest
          ? -1.0f
          : 1e-6f + 2 * std::ldexp(1.0f, -22) * static_cast<float>(std::max(a.h, a.w));
  for (int64_t i = 0; i < dst_floats; ++i) {
    ASSERT_FALSE(got.untouched(i)) << what << ": output float " << i << " never written";
    const bool same = tol < 0 ? bits_of(got.data()[i]) == bits_of(want[i])
                              : std::fabs(got.data()[i] - want[i]) <= tol;
    ASSERT_TRUE(same) << what << ": float " << i << " got " << describe_float(got.data()[i])
                      << " want " << describe_float(want[i]);
  }
}

TEST(GridSampleKernels, MatchReference) {
  uint32_t seed = 1;
  for (const LayoutKernel& k : host_kernels()) {
    for (const Dims& d : kDims) {
      const std::vector<float> x = random_values(d.n * d.c * d.h * d.w, ++seed);
      const std::vector<float> grid = random_grid(d.n * d.ho * d.wo * 2, ++seed);
      for (sk::GridModeK mode : kModes) {
        for (sk::GridPaddingK padding : kPaddings) {
          for (bool align : {false, true}) {
            sk::GridSampleArgs a = dense_args(d, k.layout, mode, padding, align);
            a.src = x.data();
            a.grid = grid.data();
            check_kernel(k.kernel, a, d.n * d.c * d.ho * d.wo, describe(k.isa, k.layout, d, a));
            if (HasFatalFailure()) return;
          }
        }
      }
    }
  }
}

// The shift strategy's use: a pixel-offset grid shared by the batch, applied to a
// channel subset of a larger tensor; channels outside the subset stay untouched.
TEST(GridSampleKernels, PixelGridOnChannelSubset) {
  uint32_t seed = 100;
  for (const LayoutKernel& k : host_kernels()) {
    for (const Dims& full : kDims) {
      const int64_t C = full.c + 3, c0 = 2, H = full.h, W = full.w;
      const std::vector<float> x = random_values(full.n * C * H * W, ++seed);
      const std::vector<float> grid = random_offsets(H * W, H, W, ++seed);
      for (sk::GridModeK mode : kModes) {
        for (sk::GridPaddingK padding : kPaddings) {
          const Dims d{full.n, full.c, H, W, H, W};
          sk::GridSampleArgs a = dense_args(d, k.layout, mode, padding, false);
          a.pixel_grid = true;
          const bool nchw = k.layout == sk::Layout::nchw;
          const int64_t offset = nchw ? c0 * H * W : c0;
          a.src = x.data() + offset;
          a.grid = grid.data();
          a.src_batch_stride = a.dst_batch_stride = C * H * W;
          a.src_pixel_stride = a.dst_pixel_stride = C;
          a.grid_batch_stride = 0;
          const std::string what = describe(k.isa, k.layout, d, a);

          const int64_t total = full.n * C * H * W;
          GuardedBuffer got(total);
          std::vector<float> want(static_cast<size_t>(total), 0.0f);
          sk::GridSampleArgs r = a;
          r.dst = want.data() + offset;
          sk::reference::grid_sample(r);
          a.dst = got.data() + offset;
          k.kernel(a, 0, a.n * a.ho);
          ASSERT_EQ(got.damaged_guard(), -1) << what;
          for (int64_t i = 0; i < total; ++i) {
            const int64_t c = nchw ? (i / (H * W)) % C : i % C;
            const bool mine = c >= c0 && c < c0 + full.c;
            ASSERT_EQ(got.untouched(i), !mine) << what << ": float " << i;
            if (!mine) continue;
            const float g = got.data()[i], w = want[i];
            const bool same = mode == sk::GridModeK::nearest ? bits_of(g) == bits_of(w)
                                                             : std::fabs(g - w) <= 1e-6f;
            ASSERT_TRUE(same) << what << ": float " << i << " got " << describe_float(g) << " want "
                              << describe_float(w);
          }
        }
      }
    }
  }
}

// Integer pixel offsets are exact in bilinear mode too (up to the sign of zero): the
// fraction is split off before the offset meets the position.
TEST(GridSampleKernels, IntegerPixelOffsetsAreExactInBilinear) {
  const Dims d{1, 3, 6, 37, 6, 37};
  const std::vector<float> x = random_values(d.c * d.h * d.w, 7);
  std::vector<float> grid(d.h * d.w * 2);
  for (int64_t i = 0; i < d.h * d.w; ++i) grid[2 * i] = -5.0f, grid[2 * i + 1] = 2.0f;
  for (sk::Isa isa : built_isa_list()) {
    if (!sk::host_supports(isa)) continue;
    sk::GridSampleArgs a =
        dense_args(d, sk::Layout::nchw, sk::GridModeK::bilinear, sk::GridPaddingK::zeros, false);
    a.pixel_grid = true;
    a.grid_batch_stride = 0;
    a.src = x.data();
    a.grid = grid.data();
    std::vector<float> y(x.size());
    a.dst = y.data();
    sk::kernels_for(isa).grid_sample_nchw(a, 0, d.ho);
    for (int64_t c = 0; c < d.c; ++c)
      for (int64_t h = 0; h < d.h; ++h)
        for (int64_t w = 0; w < d.w; ++w) {
          const int64_t hs = h + 2, ws = w - 5;
          const float want = hs < d.h && ws >= 0 ? x[(c * d.h + hs) * d.w + ws] : 0.0f;
          ASSERT_EQ(y[(c * d.h + h) * d.w + w], want)
              << sk::isa_name(isa) << " c=" << c << " h=" << h << " w=" << w;
        }
  }
}

const char* kGolden = "tests/golden/grid_sample/";

NpyArray golden(const std::string& name) {
  return load_npy(kGolden + name);
}

TEST(GridSampleOp, MatchesPyTorchGolden) {
  const NpyArray x = golden("input.npy"), g = golden("grid.npy");
  ASSERT_EQ(x.shape.size(), 4u);
  ASSERT_EQ(g.shape.size(), 4u);
  const Shape in{x.shape[0], x.shape[1], x.shape[2], x.shape[3]};
  const Shape out{in.n, in.c, g.shape[1], g.shape[2]};
  const ConstTensorView grid{g.data.data(), {g.shape[0], g.shape[1], g.shape[2], 2}, Layout::nchw};
  const std::vector<float> x_nhwc = to_nhwc(x.data, in);
  for (const char* mode : {"bilinear", "nearest"}) {
    for (const char* padding : {"zeros", "border", "reflection"}) {
      for (bool align : {false, true}) {
        const std::string name =
            std::string(mode) + "_" + padding + (align ? "_ac" : "_noac") + ".npy";
        const NpyArray want = golden(name);
        ASSERT_EQ(static_cast<int64_t>(want.data.size()), out.elements()) << name;
        GridSampleOptions o;
        o.mode = parse_grid_mode(mode);
        o.padding = parse_grid_padding(padding);
        o.align_corners = align;
        for (Layout layout : {Layout::nchw, Layout::nhwc}) {
          for (int threads : {1, 2}) {
            o.threads = threads;
            std::vector<float> y(static_cast<size_t>(out.elements()));
            const float* src = layout == Layout::nchw ? x.data.data() : x_nhwc.data();
            grid_sample({src, in, layout}, grid, {y.data(), out, layout}, o);
            if (layout == Layout::nhwc) y = from_nhwc(y.data(), out);
            for (size_t i = 0; i < y.size(); ++i) {
              const float tol = 1e-5f * std::max(1.0f, std::fabs(want.data[i]));
              ASSERT_NEAR(y[i], want.data[i], tol)
                  << name << " " << layout_name(layout) << " threads " << threads << " float " << i;
            }
          }
        }
      }
    }
  }
}

TEST(GridSampleOp, RejectsBadShapes) {
  std::vector<float> x(2 * 3 * 5 * 7), g(2 * 4 * 6 * 2), y(2 * 3 * 4 * 6);
  const Shape in{2, 3, 5, 7}, out{2, 3, 4, 6}, gs{2, 4, 6, 2};
  const ConstTensorView xv{x.data(), in, Layout::nchw}, gv{g.data(), gs, Layout::nchw};
  const TensorView yv{y.data(), out, Layout::nchw};
  auto run = [&](ConstTensorView a, ConstTensorView b, TensorView c) {
    return [=] { grid_sample(a, b, c); };
  };
  expect_error(run(xv, {g.data(), {3, 4, 6, 2}, Layout::nchw}, yv), {"grid", "3x4x6x2"});
  expect_error(run(xv, {g.data(), {2, 4, 6, 3}, Layout::nchw}, yv), {"grid", "N,Ho,Wo,2"});
  expect_error(run(xv, {g.data(), gs, Layout::nhwc}, yv), {"grid", "layout"});
  expect_error(run(xv, gv, {y.data(), {2, 3, 6, 4}, Layout::nchw}), {"output", "2x3x4x6"});
  expect_error(run(xv, gv, {y.data(), {2, 2, 4, 6}, Layout::nchw}), {"output"});
  expect_error(run(xv, gv, {y.data(), out, Layout::nhwc}), {"layout"});
  expect_error(run({x.data(), {2, 3, 0, 7}, Layout::nchw}, gv, yv), {"non-empty"});
  expect_error(run({nullptr, in, Layout::nchw}, gv, yv), {"null"});
  expect_error(run(xv, gv, {x.data(), out, Layout::nchw}), {"aliases"});
  expect_error(run(xv, gv, {g.data(), out, Layout::nchw}), {"aliases"});
  EXPECT_THROW(parse_grid_mode("bicubic"), Error);
  EXPECT_THROW(parse_grid_padding("circular"), Error);
}

}  // namespace
}  // namespace shiftnn::test
