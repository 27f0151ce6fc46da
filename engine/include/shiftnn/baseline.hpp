#pragma once
// What shiftnn's timings run on and are compared with (the demo, `shiftnn tune` and the
// benchmarks): SPEC §5's shape suite and a memcpy of the same bytes.
#include <cstddef>
#include <vector>

#include "shiftnn/tensor.hpp"

namespace shiftnn {

// SPEC §5's suite in its order; with_dram appends 64x256x56x56 (196 MiB, beyond the caches).
std::vector<Shape> standard_shapes(bool with_dram);

// memcpy of `bytes`; more than one thread splits them into contiguous parts inside one
// OpenMP region, as the shift kernels split their work; one thread opens no region.
void parallel_memcpy(void* dst, const void* src, size_t bytes, int threads);

}  // namespace shiftnn
