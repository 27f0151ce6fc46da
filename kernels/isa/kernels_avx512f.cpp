// Kernels for avx512f: this file alone is compiled with avx512f's flags.
#include "kernels/simd/make_table.hpp"

namespace shiftnn::kernels {

KernelTable make_table_avx512f() {
  return simd::make_table<xsimd::avx512f>(Isa::avx512f);
}

}  // namespace shiftnn::kernels
