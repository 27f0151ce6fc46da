#include "shiftnn/grid_sample.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>

#include "kernels/kernel_table.hpp"
#include "parallel.hpp"
#include "shiftnn/error.hpp"
#include "to_kernel.hpp"
#include "verbose.hpp"

namespace shiftnn {
namespace {

// The kernels index a source image plane with int32.
constexpr int64_t kMaxPlane = INT32_MAX;

const char* mode_name(GridMode m) {
  return m == GridMode::bilinear ? "bilinear" : "nearest";
}

const char* padding_name(GridPadding p) {
  switch (p) {
    case GridPadding::zeros:
      return "zeros";
    case GridPadding::border:
      return "border";
    case GridPadding::reflection:
      return "reflection";
  }
  return "?";
}

bool overlap(const void* a, size_t a_bytes, const void* b, size_t b_bytes) {
  auto pa = reinterpret_cast<uintptr_t>(a), pb = reinterpret_cast<uintptr_t>(b);
  return pa < pb + b_bytes && pb < pa + a_bytes;
}

void validate(const ConstTensorView& in, const ConstTensorView& grid, const TensorView& out) {
  const Shape& s = in.shape;
  const Shape& g = grid.shape;
  if (s.n <= 0 || s.c <= 0 || s.h <= 0 || s.w <= 0) {
    throw Error("grid_sample needs a non-empty N,C,H,W input, got " + s.str());
  }
  if (g.n != s.n || g.h <= 0 || g.w != 2 || g.c <= 0) {
    throw Error("grid_sample grid must be N,Ho,Wo,2 with N = " + std::to_string(s.n) +
                " and Ho, Wo > 0, got " + g.str());
  }
  if (grid.layout != Layout::nchw) {
    throw Error("grid_sample grid must be given in plain N,Ho,Wo,2 order (layout nchw)");
  }
  const Shape want{s.n, s.c, g.c, g.h};
  if (out.shape != want) {
    throw Error("grid_sample output must be " + want.str() + " (N,C,Ho,Wo), got " +
                out.shape.str());
  }
  if (out.layout != in.layout) {
    throw Error(std::string("grid_sample output layout ") + layout_name(out.layout) +
                " differs from input layout " + layout_name(in.layout));
  }
  if (s.h * s.w > kMaxPlane) {
    throw Error("grid_sample input plane " + std::to_string(s.h) + "x" + std::to_string(s.w) +
                " exceeds 2^31-1 pixels");
  }
  if (!in.data || !grid.data || !out.data) throw Error("grid_sample got a null tensor pointer");
  if (overlap(out.data, out.bytes(), in.data, in.bytes()) ||
      overlap(out.data, out.bytes(), grid.data, grid.bytes())) {
    throw Error("grid_sample output aliases its input or grid");
  }
}

}  // namespace

GridMode parse_grid_mode(const std::string& name) {
  if (name == "bilinear") return GridMode::bilinear;
  if (name == "nearest") return GridMode::nearest;
  throw Error("unknown grid-sample mode '" + name + "' (expected bilinear or nearest)");
}

GridPadding parse_grid_padding(const std::string& name) {
  if (name == "zeros") return GridPadding::zeros;
  if (name == "border") return GridPadding::border;
  if (name == "reflection") return GridPadding::reflection;
  throw Error("unknown grid-sample padding '" + name + "' (expected zeros, border or reflection)");
}

void grid_sample(ConstTensorView in, ConstTensorView grid, TensorView out,
                 const GridSampleOptions& options) {
  validate(in, grid, out);
  kernels::GridSampleArgs args{};
  args.src = in.data;
  args.grid = grid.data;
  args.dst = out.data;
  args.n = in.shape.n, args.c = in.shape.c, args.h = in.shape.h, args.w = in.shape.w;
  args.ho = out.shape.h, args.wo = out.shape.w;
  args.layout = detail::to_kernel(in.layout);
  args.mode = options.mode == GridMode::bilinear ? kernels::GridModeK::bilinear
                                                 : kernels::GridModeK::nearest;
  switch (options.padding) {
    case GridPadding::zeros:
      args.padding = kernels::GridPaddingK::zeros;
      break;
    case GridPadding::border:
      args.padding = kernels::GridPaddingK::border;
      break;
    case GridPadding::reflection:
      args.padding = kernels::GridPaddingK::reflection;
      break;
  }
  args.align_corners = options.align_corners;
  args.pixel_grid = false;
  kernels::set_dense_strides(args);

  const bool nchw = in.layout == Layout::nchw;
  const kernels::KernelTable& table = kernels::active_kernels();
  const kernels::GridSampleKernel kernel = nchw ? table.grid_sample_nchw : table.grid_sample_nhwc;
  const int threads = detail::resolve_threads(options.threads);
  auto run = [&] {
    detail::parallel_for(args.n * args.ho, threads,
                         [&](int64_t begin, int64_t end, int) { kernel(args, begin, end); });
  };
  if (!detail::verbose()) {
    run();
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  run();
  const double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  const std::string name = nchw ? SHIFTNN_KERNEL_NAME(grid_sample_nchw, kernels::active_isa())
                                : SHIFTNN_KERNEL_NAME(grid_sample_nhwc, kernels::active_isa());
  char line[512];
  std::snprintf(line, sizeof line,
                "grid_sample %s %s grid=%lldx%lldx%lld mode=%s padding=%s align_corners=%d "
                "kernel=%s threads=%d %.1f us",
                in.shape.str().c_str(), layout_name(in.layout), static_cast<long long>(args.n),
                static_cast<long long>(args.ho), static_cast<long long>(args.wo),
                mode_name(options.mode), padding_name(options.padding),
                options.align_corners ? 1 : 0, name.c_str(), threads, us);
  detail::verbose_log(line);
}

}  // namespace shiftnn
