#pragma once
// A strategy's prepared computation for one geometry: what ShiftOp runs.
#include <memory>
#include <string>

#include "kernels/shift_geometry.hpp"
#include "shiftnn/shift.hpp"

namespace shiftnn::detail {

class ShiftExecutor {
 public:
  virtual ~ShiftExecutor() = default;
  // src, dst: the geometry's shape and layout; safe to call from several threads at once.
  virtual void run(const float* src, float* dst) const = 0;
  virtual std::string kernel_name() const = 0;
};

// g must outlive the executor. The strategy must be able to serve g (see why_cannot_serve).
// variant: one of strategy_variants(), already checked.
std::unique_ptr<ShiftExecutor> make_copy_executor(const kernels::ShiftGeometry& g, int threads,
                                                  const std::string& variant);
std::unique_ptr<ShiftExecutor> make_roll_executor(const kernels::ShiftGeometry& g, int threads);
std::unique_ptr<ShiftExecutor> make_deform_executor(const kernels::ShiftGeometry& g, int threads);
std::unique_ptr<ShiftExecutor> make_dwconv_executor(const kernels::ShiftGeometry& g, int threads,
                                                    const std::string& variant);
std::unique_ptr<ShiftExecutor> make_gridsample_executor(const kernels::ShiftGeometry& g,
                                                        int threads);

inline std::unique_ptr<ShiftExecutor> make_executor(Strategy s, const kernels::ShiftGeometry& g,
                                                    int threads, const std::string& variant = "") {
  switch (s) {
    case Strategy::copy:
      return make_copy_executor(g, threads, variant);
    case Strategy::roll:
      return make_roll_executor(g, threads);
    case Strategy::deform:
      return make_deform_executor(g, threads);
    case Strategy::dwconv:
      return make_dwconv_executor(g, threads, variant);
    case Strategy::gridsample:
      return make_gridsample_executor(g, threads);
    case Strategy::automatic:
      break;
  }
  return nullptr;
}

}  // namespace shiftnn::detail
