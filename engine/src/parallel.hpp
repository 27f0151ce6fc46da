#pragma once
// Static split of [0, items) over `threads` OpenMP threads in contiguous chunks.
#include <cstdint>

#include <omp.h>

namespace shiftnn::detail {

inline int resolve_threads(int requested) {
  return requested > 0 ? requested : omp_get_max_threads();
}

// fn(begin, end, thread_index). One thread runs inline: no parallel region to pay for.
template <class F>
void parallel_for(int64_t items, int threads, F&& fn) {
  if (threads <= 1 || items <= 1) {
    fn(int64_t{0}, items, 0);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num(), count = omp_get_num_threads();
    const int64_t begin = items * t / count, end = items * (t + 1) / count;
    if (begin < end) fn(begin, end, static_cast<int>(t));
  }
}

}  // namespace shiftnn::detail
