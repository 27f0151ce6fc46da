#pragma once
// What the benchmark binaries share: the memcpy baseline and the median of timings.
#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

namespace shiftnn::bench {

// memcpy of bytes; more than one thread splits them into contiguous parts inside one
// OpenMP region, as the engine's parallel_for and layout_ops split their items.
inline void parallel_memcpy(char* dst, const char* src, size_t bytes, int threads) {
  if (threads == 1) {
    std::memcpy(dst, src, bytes);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const size_t t = omp_get_thread_num(), count = omp_get_num_threads();
    const size_t begin = bytes * t / count, end = bytes * (t + 1) / count;
    std::memcpy(dst + begin, src + begin, end - begin);
  }
}

inline double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

}  // namespace shiftnn::bench
