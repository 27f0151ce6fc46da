// Kernels for neon64: this file alone is compiled with neon64's flags.
#include "kernels/simd/make_table.hpp"

namespace shiftnn::kernels {

KernelTable make_table_neon64() {
  return simd::make_table<xsimd::neon64>(Isa::neon64);
}

}  // namespace shiftnn::kernels
