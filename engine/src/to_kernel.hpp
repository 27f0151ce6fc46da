#pragma once
// Public enums -> the kernels' plain-data enums.
#include "kernels/shift_geometry.hpp"
#include "shiftnn/shift_spec.hpp"
#include "shiftnn/tensor.hpp"

namespace shiftnn::detail {

inline kernels::Layout to_kernel(Layout l) {
  return l == Layout::nchw ? kernels::Layout::nchw : kernels::Layout::nhwc;
}

inline kernels::Boundary to_kernel(Boundary b) {
  switch (b) {
    case Boundary::zero:
      return kernels::Boundary::zero;
    case Boundary::replicate:
      return kernels::Boundary::replicate;
    case Boundary::keep:
      return kernels::Boundary::keep;
    case Boundary::circular:
      return kernels::Boundary::circular;
  }
  return kernels::Boundary::zero;
}

}  // namespace shiftnn::detail
