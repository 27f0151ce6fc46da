#pragma once
// Median wall time of a callable: one warm-up call, then batches of calls until
// `min_seconds` have passed; the median batch average is robust to a noisy machine.
// Shared by the planner's measure mode, the CLI and the benchmarks.
#include <algorithm>
#include <chrono>
#include <vector>

namespace shiftnn {

// Microseconds per call of fn().
template <class F>
double median_microseconds(F&& fn, double min_seconds = 0.02) {
  using clock = std::chrono::steady_clock;
  fn();
  const auto t_start = clock::now();
  auto one = clock::now();
  fn();
  const double first = std::chrono::duration<double>(clock::now() - one).count();
  // Batches of >= ~50 us so the clock's resolution does not matter.
  const int per_batch = std::max(1, static_cast<int>(50e-6 / std::max(first, 1e-9)));
  std::vector<double> samples;
  while (samples.size() < 5 ||
         std::chrono::duration<double>(clock::now() - t_start).count() < min_seconds) {
    const auto t0 = clock::now();
    for (int i = 0; i < per_batch; ++i) fn();
    samples.push_back(std::chrono::duration<double, std::micro>(clock::now() - t0).count() /
                      per_batch);
    if (samples.size() >= 1000) break;
  }
  std::nth_element(samples.begin(), samples.begin() + samples.size() / 2, samples.end());
  return samples[samples.size() / 2];
}

}  // namespace shiftnn
