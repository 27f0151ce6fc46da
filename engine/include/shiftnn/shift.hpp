#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "shiftnn/shift_spec.hpp"
#include "shiftnn/tensor.hpp"

namespace shiftnn {

// The five ways of SPEC §2, plus `automatic` (the planner's choice).
enum class Strategy { automatic, copy, roll, deform, dwconv, gridsample };

const char* strategy_name(Strategy s);             // "auto", "copy", ...
Strategy parse_strategy(const std::string& name);  // throws Error
const std::vector<Strategy>& all_strategies();     // the five concrete ones

struct ShiftOptions {
  Strategy strategy = Strategy::automatic;
  int threads = 0;  // 0: omp_get_max_threads() (OMP_NUM_THREADS)
  // A variant of the strategy's kernel: "nt" (copy with streaming stores, for outputs
  // beyond the caches; in nhwc where pixels are whole vectors), "noprefetch" (nhwc copy
  // without software prefetch: the default asks for source rows ahead on one thread
  // above 7 MiB, and up to 16 MiB also for each pixel's sources where they lie on
  // several rows, there without the rows on CPUs where they measured slower, as Zen 5),
  // "prefetch" (nhwc copy asking for both wherever they apply), "nhwc" (dwconv on nchw tensors
  // convolving in nhwc instead of the blocked layout). Empty: the default.
  std::string variant;

  ShiftOptions() = default;
  ShiftOptions(Strategy s, int t = 0, std::string v = "")
      : strategy(s), threads(t), variant(std::move(v)) {}
};

// Empty when `strategy` can compute `spec` on tensors of `shape` in `layout`,
// else the reason it cannot.
std::string why_cannot_serve(Strategy strategy, const ShiftSpec& spec, Shape shape, Layout layout);

// Kernel variants a strategy offers in a layout (see ShiftOptions::variant).
std::vector<std::string> strategy_variants(Strategy strategy, Layout layout);
// Empty when `variant` is one of strategy_variants(strategy, layout), else why not.
std::string why_no_variant(Strategy strategy, Layout layout, const std::string& variant);

// A shift prepared once for one shape, layout and spec; run() many times.
// run() is const and may be called from several threads at once.
class ShiftOp {
 public:
  ShiftOp(Shape shape, Layout layout, const ShiftSpec& spec, ShiftOptions options = {});
  ~ShiftOp();
  ShiftOp(ShiftOp&&) noexcept;
  ShiftOp& operator=(ShiftOp&&) noexcept;

  // in and out: the prepared shape and layout, not aliasing. Throws Error otherwise.
  void run(ConstTensorView in, TensorView out) const;

  Strategy strategy() const;
  // Kernel that runs, e.g. "shift_copy_nchw/avx512f" or "dwconv_onednn".
  std::string kernel_name() const;
  int threads() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// One-shot convenience: prepares and runs.
void shift(ConstTensorView in, TensorView out, const ShiftSpec& spec, ShiftOptions options = {});

}  // namespace shiftnn
