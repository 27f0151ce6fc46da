#include "shiftnn/shift.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "parallel.hpp"
#include "planner/automatic.hpp"
#include "shiftnn/error.hpp"
#include "strategies/executor.hpp"
#include "to_kernel.hpp"
#include "verbose.hpp"

namespace shiftnn {
namespace {

// dwconv's kernel is K x K with K = 2*ceil(max|d|)+1; beyond this it is no longer a
// convolution anyone would run.
constexpr float kMaxDwconvReach = 32.0f;

bool ranges_overlap(const void* a, size_t a_bytes, const void* b, size_t b_bytes) {
  auto pa = reinterpret_cast<uintptr_t>(a), pb = reinterpret_cast<uintptr_t>(b);
  return pa < pb + b_bytes && pb < pa + a_bytes;
}

}  // namespace

const char* strategy_name(Strategy s) {
  switch (s) {
    case Strategy::automatic:
      return "auto";
    case Strategy::copy:
      return "copy";
    case Strategy::roll:
      return "roll";
    case Strategy::deform:
      return "deform";
    case Strategy::dwconv:
      return "dwconv";
    case Strategy::gridsample:
      return "gridsample";
  }
  return "?";
}

Strategy parse_strategy(const std::string& name) {
  if (name == "auto") return Strategy::automatic;
  for (Strategy s : all_strategies()) {
    if (name == strategy_name(s)) return s;
  }
  throw Error("unknown strategy '" + name +
              "' (expected auto, copy, roll, deform, dwconv or gridsample)");
}

const std::vector<Strategy>& all_strategies() {
  static const std::vector<Strategy> all = {Strategy::copy, Strategy::roll, Strategy::deform,
                                            Strategy::dwconv, Strategy::gridsample};
  return all;
}

std::string why_no_variant(Strategy strategy, Layout layout, const std::string& variant) {
  if (variant.empty()) return "";
  for (const std::string& v : strategy_variants(strategy, layout)) {
    if (v == variant) return "";
  }
  return std::string("strategy ") + strategy_name(strategy) + " has no variant '" + variant +
         "' in layout " + layout_name(layout) +
         " (variants: copy nt, and noprefetch and prefetch in nhwc; dwconv nhwc, in nchw only)";
}

std::vector<std::string> strategy_variants(Strategy strategy, Layout layout) {
  if (strategy == Strategy::copy) {
    if (layout == Layout::nhwc) return {"nt", "noprefetch", "prefetch"};
    return {"nt"};
  }
  if (strategy == Strategy::dwconv && layout == Layout::nchw) return {"nhwc"};
  return {};
}

// The nchw copy kernel counts plane positions in int32 lanes, up to twice the plane.
constexpr int64_t kMaxCopyPlane = int64_t{1} << 30;

std::string why_cannot_serve(Strategy strategy, const ShiftSpec& spec, Shape shape, Layout layout) {
  const bool integer = spec.is_integer();
  switch (strategy) {
    case Strategy::automatic:
    case Strategy::deform:
      return "";
    case Strategy::copy:
    case Strategy::roll:
      if (!integer) {
        return std::string("strategy ") + strategy_name(strategy) +
               " cannot serve fractional displacements (use deform, dwconv or gridsample)";
      }
      if (strategy == Strategy::copy && layout == Layout::nchw &&
          shape.h * shape.w > kMaxCopyPlane) {
        return "strategy copy cannot serve nchw planes beyond 2^30 pixels";
      }
      return "";
    case Strategy::dwconv: {
      // Integer shifts beyond the image reduce to |d| = size; fractional ones do not.
      float reach_h = spec.max_abs_dh(), reach_w = spec.max_abs_dw();
      if (integer && spec.boundary != Boundary::circular) {
        reach_h = std::fmin(reach_h, static_cast<float>(shape.h));
        reach_w = std::fmin(reach_w, static_cast<float>(shape.w));
      }
      if (std::fmax(reach_h, reach_w) > kMaxDwconvReach) {
        return "strategy dwconv cannot serve displacements beyond 32 pixels (the kernel would "
               "exceed 65x65)";
      }
      return "";
    }
    case Strategy::gridsample:
      if (!integer && spec.boundary == Boundary::circular) {
        return "strategy gridsample cannot serve fractional displacements with boundary circular "
               "(grid_sample has no wrapping padding)";
      }
      return "";
  }
  return "";
}

class ShiftOp::Impl {
 public:
  Impl(Shape shape, Layout layout, const ShiftSpec& spec, ShiftOptions options)
      : shape_(shape), layout_(layout), spec_(spec) {
    if (shape.n <= 0 || shape.c <= 0 || shape.h <= 0 || shape.w <= 0) {
      throw Error("shift needs a non-empty N,C,H,W tensor, got " + shape.str());
    }
    spec.validate(shape.c);
    strategy_ = options.strategy;
    threads_ = detail::resolve_threads(options.threads);
    std::string variant = options.variant;
    if (strategy_ == Strategy::automatic) {
      const Candidate c = detail::automatic_candidate({shape, layout, spec, threads_});
      strategy_ = c.strategy;
      threads_ = c.threads;
      variant = c.variant;
    }
    const std::string why = why_cannot_serve(strategy_, spec, shape, layout);
    if (!why.empty()) throw Error(why);
    const std::string why_not = why_no_variant(strategy_, layout, variant);
    if (!why_not.empty()) throw Error(why_not);
    geometry_ =
        kernels::make_shift_geometry(shape.n, shape.c, shape.h, shape.w, detail::to_kernel(layout),
                                     detail::to_kernel(spec.boundary), spec.dh, spec.dw);
    executor_ = detail::make_executor(strategy_, geometry_, threads_, variant);
  }

  void run(ConstTensorView in, TensorView out) const {
    if (in.shape != shape_ || out.shape != shape_) {
      throw Error("shift prepared for " + shape_.str() + " got input " + in.shape.str() +
                  " and output " + out.shape.str());
    }
    if (in.layout != layout_ || out.layout != layout_) {
      throw Error(std::string("shift prepared for layout ") + layout_name(layout_));
    }
    if (!in.data || !out.data) throw Error("shift got a null tensor pointer");
    if (ranges_overlap(in.data, in.bytes(), out.data, out.bytes())) {
      throw Error("shift output aliases its input (the shift is out-of-place)");
    }
    if (!detail::verbose()) {
      executor_->run(in.data, out.data);
      return;
    }
    const auto t0 = std::chrono::steady_clock::now();
    executor_->run(in.data, out.data);
    const double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    char line[512];
    std::snprintf(line, sizeof line,
                  "shift %s %s boundary=%s strategy=%s kernel=%s threads=%d %.1f us",
                  shape_.str().c_str(), layout_name(layout_), boundary_name(spec_.boundary),
                  strategy_name(strategy_), executor_->kernel_name().c_str(), threads_, us);
    detail::verbose_log(line);
  }

  Strategy strategy() const { return strategy_; }
  std::string kernel_name() const { return executor_->kernel_name(); }
  int threads() const { return threads_; }

 private:
  Shape shape_;
  Layout layout_;
  ShiftSpec spec_;
  Strategy strategy_ = Strategy::copy;
  int threads_ = 1;
  kernels::ShiftGeometry geometry_;
  std::unique_ptr<detail::ShiftExecutor> executor_;
};

ShiftOp::ShiftOp(Shape shape, Layout layout, const ShiftSpec& spec, ShiftOptions options)
    : impl_(std::make_unique<Impl>(shape, layout, spec, options)) {}
ShiftOp::~ShiftOp() = default;
ShiftOp::ShiftOp(ShiftOp&&) noexcept = default;
ShiftOp& ShiftOp::operator=(ShiftOp&&) noexcept = default;

void ShiftOp::run(ConstTensorView in, TensorView out) const {
  impl_->run(in, out);
}
Strategy ShiftOp::strategy() const {
  return impl_->strategy();
}
std::string ShiftOp::kernel_name() const {
  return impl_->kernel_name();
}
int ShiftOp::threads() const {
  return impl_->threads();
}

void shift(ConstTensorView in, TensorView out, const ShiftSpec& spec, ShiftOptions options) {
  ShiftOp(in.shape, in.layout, spec, options).run(in, out);
}

}  // namespace shiftnn
