// PLACEHOLDER: being written (strategy gridsample).
#include "executor.hpp"
namespace shiftnn::detail {
std::unique_ptr<ShiftExecutor> make_gridsample_executor(const kernels::ShiftGeometry&, int) {
  return nullptr;
}
}  // namespace shiftnn::detail
