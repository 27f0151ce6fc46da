#pragma once
#include <memory>
#include <string>
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
  // Non-temporal stores, for outputs far beyond the last-level cache: strategy copy
  // in layout nchw only.
  bool streaming_stores = false;
};

// Empty when `strategy` can compute `spec` on tensors of `shape` in `layout`,
// else the reason it cannot.
std::string why_cannot_serve(Strategy strategy, const ShiftSpec& spec, Shape shape, Layout layout);

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
