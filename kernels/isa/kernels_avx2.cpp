// Kernels for avx2: this file alone is compiled with avx2's flags.
#include "kernels/simd/make_table.hpp"

namespace shiftnn::kernels {

KernelTable make_table_avx2() {
  return simd::make_table<xsimd::fma3<xsimd::avx2>>(Isa::avx2);
}

}  // namespace shiftnn::kernels
