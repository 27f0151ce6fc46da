#pragma once
// Non-temporal (streaming) vector stores: for outputs far beyond the last-level
// cache they skip the read-for-ownership of every written line and do not evict
// the input. The one place in kernels/simd/ that names an instruction set: each
// per-ISA file sees only its own branch. Other ISAs (neon64) store normally.
#include <cstdint>

#include <xsimd/xsimd.hpp>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace shiftnn::kernels::simd {

// p: aligned to the vector's size.
template <class Arch>
inline void store_streaming(const xsimd::batch<float, Arch>& v, float* p) {
  [[maybe_unused]] constexpr size_t lanes = xsimd::batch<float, Arch>::size;
#if defined(__AVX512F__)
  if constexpr (lanes == 16) {
    _mm512_stream_ps(p, v);
    return;
  }
#endif
#if defined(__AVX__)
  if constexpr (lanes == 8) {
    _mm256_stream_ps(p, v);
    return;
  }
#endif
#if defined(__SSE2__)
  if constexpr (lanes == 4) {
    _mm_stream_ps(p, v);
    return;
  }
#endif
  v.store_aligned(p);
}

// Orders the streaming stores before whatever the caller does next.
inline void streaming_fence() {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

}  // namespace shiftnn::kernels::simd
