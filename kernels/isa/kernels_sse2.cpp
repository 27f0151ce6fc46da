// Kernels for sse2: this file alone is compiled with sse2's flags.
#include "kernels/simd/make_table.hpp"

namespace shiftnn::kernels {

KernelTable make_table_sse2() {
  return simd::make_table<xsimd::sse2>(Isa::sse2);
}

}  // namespace shiftnn::kernels
