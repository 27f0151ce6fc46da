#pragma once
// Fills a KernelTable with every kernel of SHIFTNN_KERNEL_LIST for one xsimd Arch.
// Included only by the per-ISA files in kernels/isa/.
#include "kernels/kernel_table.hpp"
#include "kernels/simd/grid_sample.hpp"
#include "kernels/simd/group_norm.hpp"
#include "kernels/simd/shift_blend.hpp"
#include "kernels/simd/shift_copy_nchw.hpp"
#include "kernels/simd/shift_copy_nhwc.hpp"
#include "kernels/simd/shift_deform.hpp"
#include "kernels/simd/shift_roll.hpp"
#include "kernels/simd/slice.hpp"
#include "kernels/simd/transpose.hpp"

namespace shiftnn::kernels::simd {

template <class Arch>
KernelTable make_table(Isa isa) {
  KernelTable t{};
  t.isa = isa;
#define SHIFTNN_TABLE_ENTRY(name, type, what) t.name = &name<Arch>;
  SHIFTNN_KERNEL_LIST(SHIFTNN_TABLE_ENTRY)
#undef SHIFTNN_TABLE_ENTRY
  return t;
}

}  // namespace shiftnn::kernels::simd
