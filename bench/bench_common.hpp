#pragma once
// What the benchmark binaries share beyond shiftnn/baseline.hpp: the shape suite they
// run and the median of timings.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "shiftnn/baseline.hpp"

namespace shiftnn::bench {

// SPEC §5's suite; the DRAM-sized shape only with SHIFTNN_BENCH_DRAM=1.
inline std::vector<Shape> suite_shapes() {
  const char* dram = std::getenv("SHIFTNN_BENCH_DRAM");
  return standard_shapes(dram && std::strcmp(dram, "1") == 0);
}

inline double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

}  // namespace shiftnn::bench
