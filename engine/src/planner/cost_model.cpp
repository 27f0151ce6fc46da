#include "cost_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <omp.h>

#include "shiftnn/baseline.hpp"
#include "shiftnn/timing.hpp"

namespace shiftnn::detail {
namespace {

// Read + write bytes above which a copy streams from DRAM (32 MiB L3 here).
constexpr double kLastLevelCacheBytes = 64.0 * (1 << 20);

// Without a measured profile, copy bandwidth grows linearly in threads inside the caches
// (each core has its own path to L2 and L3) and as threads^0.7 from DRAM, which the
// cores share. Measured here (Zen 4, GB/s at 1 / 2 threads): 16 MB working set 64 / 186,
// 256 MB 19 / 32 (1.6x = 2^0.7). Scaling only in L2 made `auto` run 8x96x56x56 on one
// thread, at a third of the speed of two.
constexpr double kDramThreadExponent = 0.7;

// Per-strategy cost relative to a copy of the same bytes, fitted to the demo's
// one-thread table on Zen 4 (1x8x5x5 .. 32x64x32x32, quad):
// time = traffic_factor * copy time + per_item_us * work items + fixed_us.
// Work items are planes (nchw) or rows (nhwc): what the kernels loop over.
struct StrategyCost {
  double traffic_factor, per_item_us, fixed_us;
};

StrategyCost strategy_cost(Strategy s, const ShiftSpec& spec) {
  switch (s) {
    case Strategy::copy:
      return {1.0, 0.0005, 0.05};
    case Strategy::roll:
      return {2.7, 0.08, 0.3};
    case Strategy::deform:
      return spec.is_integer() ? StrategyCost{1.5, 0.018, 0.1} : StrategyCost{3.0, 0.02, 0.1};
    case Strategy::dwconv: {
      // A K x K tap per output: K = 2*ceil(max|d|)+1.
      const double reach = std::ceil(std::max(spec.max_abs_dh(), spec.max_abs_dw()));
      const double k = 2 * reach + 1;
      return {4.0 + 0.2 * k * k, 0.02, 2.0};
    }
    case Strategy::gridsample:
      return {3.5, 0.07, 0.5};
    case Strategy::automatic:
      break;
  }
  return {1e3, 1.0, 1e3};
}

// Interpolates log(bandwidth) over log(working set), clamped at both ends.
double bandwidth_gbps(const MachineProfile& m, double bytes, int threads) {
  const auto at = [&](const BandwidthPoint& p) {
    const size_t i = std::min(p.gbps.size(), static_cast<size_t>(threads)) - 1;
    return p.gbps[i];
  };
  const auto& pts = m.bandwidth;
  if (bytes <= pts.front().bytes) return at(pts.front());
  for (size_t i = 1; i < pts.size(); ++i) {
    if (bytes <= pts[i].bytes) {
      const double f =
          std::log(bytes / pts[i - 1].bytes) / std::log(pts[i].bytes / pts[i - 1].bytes);
      return std::exp(std::log(at(pts[i - 1])) * (1 - f) + std::log(at(pts[i])) * f);
    }
  }
  return at(pts.back());
}

}  // namespace

MachineProfile default_profile(int max_threads) {
  MachineProfile m;
  // Working set (in + out bytes) -> one-thread GB/s: L1/L2, L2, L3, DRAM.
  const double table[][2] = {{32e3, 110}, {1e6, 110}, {16e6, 85}, {256e6, 25}};
  for (const auto& row : table) {
    BandwidthPoint p{row[0], {}};
    const bool dram = row[0] > kLastLevelCacheBytes;
    for (int t = 1; t <= max_threads; ++t) {
      p.gbps.push_back(row[1] * (dram ? std::pow(t, kDramThreadExponent) : t));
    }
    m.bandwidth.push_back(p);
  }
  for (int t = 1; t <= max_threads; ++t) m.fork_us.push_back(t == 1 ? 0.0 : 2.0);
  return m;
}

MachineProfile measure_profile(int max_threads, double min_seconds) {
  MachineProfile m;
  m.measured = true;
  for (double bytes : {32e3, 1e6, 16e6, 256e6}) {
    // Working set = source + destination.
    const size_t floats = static_cast<size_t>(bytes / 2 / sizeof(float));
    std::vector<float> src(floats, 1.0f), dst(floats);
    BandwidthPoint p{bytes, {}};
    for (int t = 1; t <= max_threads; ++t) {
      const double us = median_microseconds(
          [&] { parallel_memcpy(dst.data(), src.data(), floats * sizeof(float), t); }, min_seconds);
      p.gbps.push_back(bytes / us / 1e3);
    }
    m.bandwidth.push_back(p);
  }
  for (int t = 1; t <= max_threads; ++t) {
    if (t == 1) {
      m.fork_us.push_back(0.0);
      continue;
    }
    volatile int sink = 0;
    m.fork_us.push_back(median_microseconds(
        [&] {
#pragma omp parallel num_threads(t)
          {
            if (omp_get_thread_num() == 0) sink = sink + 1;
          }
        },
        min_seconds));
  }
  return m;
}

double estimate_us(const MachineProfile& m, const ShiftProblem& p, const Candidate& cand) {
  const StrategyCost cost = strategy_cost(cand.strategy, p.spec);
  const double traffic = 2.0 * static_cast<double>(p.shape.elements()) * sizeof(float);
  const int t = std::clamp(cand.threads, 1, std::max(1, m.max_threads()));
  const double items =
      static_cast<double>(p.layout == Layout::nchw ? p.shape.n * p.shape.c : p.shape.n * p.shape.h);
  const double copy_us = traffic / (bandwidth_gbps(m, traffic, t) * 1e3);
  // Streaming stores skip the read-for-ownership of the output (SPEC §5: ~40 vs ~25
  // GB/s from DRAM) but cost a trip to memory for outputs that would fit a cache.
  // dwconv in nhwc for an nchw tensor: ~3x the blocked layout (1x96x56x56, 1 thread).
  double variant = 1.0;
  if (cand.variant == "nt") variant = traffic > kLastLevelCacheBytes ? 0.65 : 1.5;
  if (cand.variant == "nhwc") variant = 3.0;
  return variant * cost.traffic_factor * copy_us + cost.per_item_us * items / t + cost.fixed_us +
         m.fork_us[t - 1];
}

}  // namespace shiftnn::detail
