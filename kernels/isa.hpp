#pragma once
// Instruction sets the kernels are built for, and the one chosen at run time.

namespace shiftnn::kernels {

enum class Isa { sse2, avx2, avx512f, neon64 };

const char* isa_name(Isa isa);  // "sse2", "avx2", "avx512f", "neon64"
// Parses SHIFTNN_MAX_ISA values: sse2 | avx2 | avx512 | avx512f | neon64. False if unknown.
bool parse_isa(const char* text, Isa* out);

// Best ISA that both the CPU and the OS (XGETBV-enabled register state) support.
Isa detected_isa();
// detected_isa() capped by SHIFTNN_MAX_ISA; decided once per process.
Isa active_isa();
// Whether the host can run kernels built for `isa` (tests skip the others).
bool host_supports(Isa isa);
// The x86 CPU family (CPUID leaf 1, base plus extended) on AMD hosts, 0 elsewhere: where
// a default measured differently on Zen 4 (19h) and Zen 5 (1Ah).
int amd_cpu_family();
// ISAs compiled into this build, best last.
const Isa* built_isas(int* count);

}  // namespace shiftnn::kernels
