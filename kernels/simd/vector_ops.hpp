#pragma once
// Copy and fill loops shared by the kernels, written once on the xsimd Arch.
// Sizes are in floats.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <xsimd/xsimd.hpp>

#include "kernels/shift_geometry.hpp"
#include "kernels/simd/streaming_store.hpp"

namespace shiftnn::kernels::simd {

template <class Arch>
using Batch = xsimd::batch<float, Arch>;

template <class Arch>
constexpr int64_t lanes() {
  return static_cast<int64_t>(Batch<Arch>::size);
}

// Lane indices 0, 1, ... of the widest vector, for lane masks and lane positions.
alignas(64) inline constexpr float kLaneIndex[kMaxVectorFloats] = {0, 1, 2,  3,  4,  5,  6,  7,
                                                                   8, 9, 10, 11, 12, 13, 14, 15};
alignas(64) inline constexpr int32_t kLaneIndexI32[kMaxVectorFloats] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

// Floats in a 64-byte cache line.
constexpr int64_t kLineFloats = 16;

// Asks for every line of p[0, n) into L2.
inline void prefetch_lines(const float* p, int64_t n) {
  for (int64_t i = 0; i < n; i += kLineFloats) __builtin_prefetch(p + i, 0, 2);
}

// Asks for the line of p into L1.
inline void prefetch_l1(const float* p) {
  __builtin_prefetch(p, 0, 3);
}

// How many floats p lies past a vector-aligned address.
template <class Arch>
inline int64_t floats_past_alignment(const float* p) {
  return static_cast<int64_t>(reinterpret_cast<uintptr_t>(p) / sizeof(float)) % lanes<Arch>();
}

// From this many floats (4 KiB) on, a plain copy is left to memcpy. glibc's memcpy uses
// `rep movsb` there, which on Zen 5 (family 0x1a) stores data held in L1/L2 ~1.35x
// faster than any loop of vector stores (docs/zen5-host.md); at 1 KiB its start-up
// costs more than the loop. Pieces of 1 / 4 / 8 / 16 / 37 KiB within 147 KiB, source
// one float off: loop time / memcpy time 0.84 / 1.12 / 1.25 / 1.33 / 1.38.
constexpr int64_t kLongCopyMinFloats = 1024;

// dst[0, n) = src[0, n); the ranges do not overlap. The next vector is loaded before
// the current one is stored: a store followed by a load one float further on, with
// src and dst equally aligned mod 4 KiB, would otherwise stall on 4K aliasing.
// The last partial vector overlaps the previous one instead of a scalar tail.
// Streaming: the aligned bulk uses non-temporal stores (see streaming_store.hpp).
template <class Arch, bool Streaming = false>
inline void copy_floats(const float* src, float* dst, int64_t n) {
  constexpr int64_t V = lanes<Arch>();
  if (!Streaming && n >= kLongCopyMinFloats) {
    std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
    return;
  }
  if (n < V) {
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
    return;
  }
  // Only stores after the alignment peel below are aligned.
  auto store = [](const Batch<Arch>& v, float* p) {
    if constexpr (Streaming) {
      store_streaming<Arch>(v, p);
    } else {
      v.store_unaligned(p);
    }
  };
  auto store4 = [&](int64_t at, const Batch<Arch>& v0, const Batch<Arch>& v1, const Batch<Arch>& v2,
                    const Batch<Arch>& v3) {
    store(v0, dst + at), store(v1, dst + at + V), store(v2, dst + at + 2 * V);
    store(v3, dst + at + 3 * V);
  };
  int64_t i = 0;
  if (n >= 5 * V) {
    // Align the stores: a store split over two cache lines costs more than a split load.
    i = (V - floats_past_alignment<Arch>(dst)) % V;
    if (i) Batch<Arch>::load_unaligned(src).store_unaligned(dst);
    auto a0 = Batch<Arch>::load_unaligned(src + i), a1 = Batch<Arch>::load_unaligned(src + i + V);
    auto a2 = Batch<Arch>::load_unaligned(src + i + 2 * V);
    auto a3 = Batch<Arch>::load_unaligned(src + i + 3 * V);
    for (; i + 8 * V <= n; i += 4 * V) {
      auto b0 = Batch<Arch>::load_unaligned(src + i + 4 * V);
      auto b1 = Batch<Arch>::load_unaligned(src + i + 5 * V);
      auto b2 = Batch<Arch>::load_unaligned(src + i + 6 * V);
      auto b3 = Batch<Arch>::load_unaligned(src + i + 7 * V);
      store4(i, a0, a1, a2, a3);
      a0 = b0, a1 = b1, a2 = b2, a3 = b3;
    }
    store4(i, a0, a1, a2, a3);
    i += 4 * V;
  }
  for (; i + V <= n; i += V) {
    const auto v = Batch<Arch>::load_unaligned(src + i);
    if (n >= 5 * V) {  // past the alignment peel
      store(v, dst + i);
    } else {
      v.store_unaligned(dst + i);
    }
  }
  if (i < n) Batch<Arch>::load_unaligned(src + n - V).store_unaligned(dst + n - V);
}

// dst[0, n) = value. Streaming: the aligned bulk uses non-temporal stores.
template <class Arch, bool Streaming = false>
inline void fill_floats(float* dst, int64_t n, float value) {
  constexpr int64_t V = lanes<Arch>();
  if (n < V) {
    for (int64_t i = 0; i < n; ++i) dst[i] = value;
    return;
  }
  const Batch<Arch> v(value);
  int64_t i = 0;
  if constexpr (Streaming) {
    i = (V - floats_past_alignment<Arch>(dst)) % V;
    if (i) v.store_unaligned(dst);
    for (; i + V <= n; i += V) store_streaming<Arch>(v, dst + i);
  } else {
    for (; i + V <= n; i += V) v.store_unaligned(dst + i);
  }
  if (i < n) v.store_unaligned(dst + n - V);
}

}  // namespace shiftnn::kernels::simd
