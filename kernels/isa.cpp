#include "kernels/isa.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace shiftnn::kernels {
namespace {

#if defined(__x86_64__)
// XCR0: which register state the OS saves on context switch. A CPU flag alone
// is not enough: AVX-512 code faults if the OS did not enable opmask/ZMM state.
uint64_t read_xcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

Isa detect() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return Isa::sse2;
  bool osxsave = c & (1u << 27), fma = c & (1u << 12), avx = c & (1u << 28);
  if (!osxsave || !avx) return Isa::sse2;
  uint64_t xcr0 = read_xcr0();
  bool ymm_state = (xcr0 & 0x6) == 0x6;    // SSE + AVX state
  bool zmm_state = (xcr0 & 0xe6) == 0xe6;  // + opmask, ZMM_Hi256, Hi16_ZMM
  if (!ymm_state || !__get_cpuid_count(7, 0, &a, &b, &c, &d)) return Isa::sse2;
  bool avx2 = b & (1u << 5), avx512f = b & (1u << 16);
  if (avx512f && zmm_state && fma) return Isa::avx512f;
  if (avx2 && fma) return Isa::avx2;
  return Isa::sse2;
}

int detect_amd_family() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return 0;
  const bool amd = b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163;  // "AuthenticAMD"
  if (!amd || !__get_cpuid(1, &a, &b, &c, &d)) return 0;
  const int base = (a >> 8) & 0xf, extended = (a >> 20) & 0xff;
  return base == 0xf ? base + extended : base;
}
#elif defined(__aarch64__)
Isa detect() {
  return Isa::neon64;
}

int detect_amd_family() {
  return 0;
}
#endif

int rank(Isa isa) {
  switch (isa) {
    case Isa::sse2:
    case Isa::neon64:
      return 0;
    case Isa::avx2:
      return 1;
    case Isa::avx512f:
      return 2;
  }
  return 0;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::sse2:
      return "sse2";
    case Isa::avx2:
      return "avx2";
    case Isa::avx512f:
      return "avx512f";
    case Isa::neon64:
      return "neon64";
  }
  return "?";
}

bool parse_isa(const char* text, Isa* out) {
  struct Entry {
    const char* name;
    Isa isa;
  };
  static const Entry entries[] = {{"sse2", Isa::sse2},      {"avx2", Isa::avx2},
                                  {"avx512", Isa::avx512f}, {"avx512f", Isa::avx512f},
                                  {"neon64", Isa::neon64},  {"neon", Isa::neon64}};
  for (const Entry& e : entries) {
    if (std::strcmp(text, e.name) == 0) {
      *out = e.isa;
      return true;
    }
  }
  return false;
}

int amd_cpu_family() {
  static const int family = detect_amd_family();
  return family;
}

Isa detected_isa() {
  static const Isa isa = detect();
  return isa;
}

bool host_supports(Isa isa) {
#if defined(__x86_64__)
  if (isa == Isa::neon64) return false;
#elif defined(__aarch64__)
  if (isa != Isa::neon64) return false;
#endif
  return rank(isa) <= rank(detected_isa());
}

Isa active_isa() {
  static const Isa isa = [] {
    Isa best = detected_isa();
    const char* cap = std::getenv("SHIFTNN_MAX_ISA");
    Isa limit;
    if (cap && *cap && parse_isa(cap, &limit) && host_supports(limit) && rank(limit) < rank(best)) {
      return limit;
    }
    return best;
  }();
  return isa;
}

const Isa* built_isas(int* count) {
#if defined(__x86_64__)
  static const Isa isas[] = {Isa::sse2, Isa::avx2, Isa::avx512f};
#elif defined(__aarch64__)
  static const Isa isas[] = {Isa::neon64};
#endif
  *count = static_cast<int>(sizeof(isas) / sizeof(isas[0]));
  return isas;
}

}  // namespace shiftnn::kernels
