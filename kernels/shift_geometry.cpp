#include "kernels/shift_geometry.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdlib>
#include <map>
#include <utility>

namespace shiftnn::kernels {
namespace {

// Every |d| >= size gives the same output as |d| == size (all positions take the
// boundary value), except circular, which wraps.
int32_t normalise(float d, int64_t size, Boundary b) {
  auto v = static_cast<int64_t>(d);
  if (b == Boundary::circular) {
    int64_t m = v % size;
    return static_cast<int32_t>(m < 0 ? m + size : m);
  }
  return static_cast<int32_t>(std::clamp<int64_t>(v, -size, size));
}

}  // namespace

ShiftGeometry make_shift_geometry(int64_t n, int64_t c, int64_t h, int64_t w, Layout layout,
                                  Boundary boundary, const std::vector<float>& dh,
                                  const std::vector<float>& dw) {
  assert(static_cast<int64_t>(dh.size()) == c && static_cast<int64_t>(dw.size()) == c);
  ShiftGeometry g;
  g.n = n, g.c = c, g.h = h, g.w = w;
  g.layout = layout;
  g.boundary = boundary;
  g.fdh = dh, g.fdw = dw;
  for (int64_t i = 0; i < c; ++i) {
    if (std::floor(dh[i]) != dh[i] || std::floor(dw[i]) != dw[i]) g.integer = false;
  }
  if (!g.integer) return g;

  g.dh.resize(c), g.dw.resize(c);
  for (int64_t i = 0; i < c; ++i) {
    g.dh[i] = normalise(dh[i], h, boundary);
    g.dw[i] = normalise(dw[i], w, boundary);
    g.pad_h = std::max(g.pad_h, std::abs(g.dh[i]));
    g.pad_w = std::max(g.pad_w, std::abs(g.dw[i]));
  }
  std::map<std::pair<int32_t, int32_t>, int32_t> displacement_index;
  g.displacement_of.resize(c);
  for (int64_t i = 0; i < c; ++i) {
    const auto key = std::make_pair(g.dh[i], g.dw[i]);
    auto it = displacement_index.find(key);
    if (it == displacement_index.end()) {
      it = displacement_index.emplace(key, static_cast<int32_t>(g.displacements.size())).first;
      g.displacements.push_back({g.dh[i], g.dw[i]});
    }
    g.displacement_of[i] = it->second;
  }
  for (int64_t i = 0; i < c; ++i) {
    if (!g.runs.empty() && g.runs.back().dh == g.dh[i] && g.runs.back().dw == g.dw[i]) {
      g.runs.back().c_end = i + 1;
      continue;
    }
    ChannelRun run{i, i + 1, g.dh[i], g.dw[i]};
    run.replicate_as_keep =
        boundary == Boundary::replicate &&
        ((run.dh == 0 && std::abs(run.dw) <= 1) || (run.dw == 0 && std::abs(run.dh) <= 1));
    g.runs.push_back(run);
  }
  g.nhwc_pixel_order = layout == Layout::nhwc && c <= kPixelOrderMaxChannels;
  g.scratch_floats =
      layout == Layout::nchw ? (h + 2 * g.pad_h) * (w + 2 * g.pad_w) : (w + 2 * g.pad_w) * c;
  return g;
}

}  // namespace shiftnn::kernels
