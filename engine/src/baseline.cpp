#include "shiftnn/baseline.hpp"

#include <omp.h>

#include <cstring>

namespace shiftnn {

std::vector<Shape> standard_shapes(bool with_dram) {
  std::vector<Shape> shapes = {{1, 8, 5, 5},     {1, 96, 56, 56}, {1, 192, 28, 28},
                               {1, 384, 14, 14}, {1, 768, 7, 7},  {1, 768, 14, 14},
                               {8, 96, 56, 56},  {32, 64, 32, 32}};
  if (with_dram) shapes.push_back({64, 256, 56, 56});
  return shapes;
}

void parallel_memcpy(void* dst, const void* src, size_t bytes, int threads) {
  if (bytes == 0) return;  // the pointers of an empty buffer may be null
  if (threads <= 1) {
    std::memcpy(dst, src, bytes);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const size_t t = omp_get_thread_num(), count = omp_get_num_threads();
    const size_t begin = bytes * t / count, end = bytes * (t + 1) / count;
    std::memcpy(static_cast<char*>(dst) + begin, static_cast<const char*>(src) + begin,
                end - begin);
  }
}

}  // namespace shiftnn
