#pragma once
// Where an output position of an integer shift reads from (SPEC §1), per boundary.
#include <cstdint>

#include "kernels/shift_geometry.hpp"

namespace shiftnn::kernels::simd {

// Source pixel of output (hh, ww) for displacement (dh, dw), normalised as in
// ShiftGeometry. False: the output is 0 (zero boundary).
inline bool source_pixel(int64_t hh, int64_t ww, int32_t dh, int32_t dw, int64_t H, int64_t W,
                         Boundary b, int64_t* sh, int64_t* sw) {
  int64_t hs = hh - dh, ws = ww - dw;
  bool inside = hs >= 0 && hs < H && ws >= 0 && ws < W;
  switch (b) {
    case Boundary::zero:
      *sh = hs, *sw = ws;
      return inside;
    case Boundary::keep:
      *sh = inside ? hs : hh, *sw = inside ? ws : ww;
      return true;
    case Boundary::replicate:
      *sh = hs < 0 ? 0 : (hs >= H ? H - 1 : hs);
      *sw = ws < 0 ? 0 : (ws >= W ? W - 1 : ws);
      return true;
    case Boundary::circular:  // normalised d is in [0, size)
      *sh = hs < 0 ? hs + H : hs, *sw = ws < 0 ? ws + W : ws;
      return true;
  }
  return false;
}

// The channel run holding channel c (runs are sorted and cover [0, C)).
inline const ChannelRun& run_of(const ShiftGeometry& g, int64_t c) {
  int64_t lo = 0, hi = static_cast<int64_t>(g.runs.size()) - 1;
  while (lo < hi) {
    int64_t mid = (lo + hi + 1) / 2;
    if (g.runs[mid].c_begin <= c) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return g.runs[lo];
}

}  // namespace shiftnn::kernels::simd
