#pragma once
// How many OpenMP threads a memory-bound layer op should wake.
#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace shiftnn::kernels {

// Floats a thread must have before another thread pays for waking it (a fork and join
// cost about as much as streaming this many floats).
constexpr int64_t kFloatsPerThread = int64_t{1} << 16;

// requested <= 0: OpenMP's default team. Never more threads than work items.
inline int team_size(int requested, int64_t floats, int64_t items = INT64_MAX) {
  const int64_t threads = requested > 0 ? requested : omp_get_max_threads();
  return static_cast<int>(std::clamp<int64_t>(floats / kFloatsPerThread, 1,
                                              std::max<int64_t>(1, std::min(threads, items))));
}

}  // namespace shiftnn::kernels
