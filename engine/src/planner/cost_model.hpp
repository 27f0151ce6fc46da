#pragma once
// Estimate mode: a shift's time from the bytes it moves, this machine's copy bandwidth
// for that working set, and per-strategy factors.
#include <vector>

#include "shiftnn/planner.hpp"

namespace shiftnn::detail {

// Aggregate copy bandwidth (bytes read + written, GB/s) at one working-set size, for
// 1..T threads (gbps[t-1]).
struct BandwidthPoint {
  double bytes = 0;
  std::vector<double> gbps;
};

struct MachineProfile {
  std::vector<BandwidthPoint> bandwidth;  // ascending bytes
  std::vector<double> fork_us;            // cost of one parallel region, per thread count
  bool measured = false;                  // false: the built-in table below
  int max_threads() const { return static_cast<int>(fork_us.size()); }
};

// SPEC §5's one-thread figures for this machine kind, scaled in threads: linearly
// inside the caches, sublinearly from DRAM (cost_model.cpp says by how much and why).
MachineProfile default_profile(int max_threads);
// memcpy and empty parallel regions timed at 1..max_threads; ~0.3 s.
MachineProfile measure_profile(int max_threads, double min_seconds);

// `problem` has its thread budget resolved; candidate.threads <= profile threads.
double estimate_us(const MachineProfile& profile, const ShiftProblem& problem,
                   const Candidate& candidate);

}  // namespace shiftnn::detail
