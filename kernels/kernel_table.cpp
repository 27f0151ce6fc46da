#include "kernels/kernel_table.hpp"

#include <cassert>
#include <cstdlib>

namespace shiftnn::kernels {

// Defined in kernels/isa/kernels_<isa>.cpp, each compiled with its ISA's flags.
#if defined(__x86_64__)
KernelTable make_table_sse2();
KernelTable make_table_avx2();
KernelTable make_table_avx512f();
#elif defined(__aarch64__)
KernelTable make_table_neon64();
#endif

bool host_prefetches_rows_with_pixels() {
  return amd_cpu_family() != 0x1a;
}

const KernelTable& kernels_for(Isa isa) {
  assert(host_supports(isa));
  switch (isa) {
#if defined(__x86_64__)
    case Isa::sse2: {
      static const KernelTable t = make_table_sse2();
      return t;
    }
    case Isa::avx2: {
      static const KernelTable t = make_table_avx2();
      return t;
    }
    case Isa::avx512f: {
      static const KernelTable t = make_table_avx512f();
      return t;
    }
#elif defined(__aarch64__)
    case Isa::neon64: {
      static const KernelTable t = make_table_neon64();
      return t;
    }
#endif
    default:
      break;
  }
  assert(false && "ISA not built");
  std::abort();
}

const KernelTable& active_kernels() {
  static const KernelTable& t = kernels_for(active_isa());
  return t;
}

}  // namespace shiftnn::kernels
