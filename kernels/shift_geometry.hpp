#pragma once
// A shift prepared for the kernels: integer displacements normalised, channels
// grouped into runs of equal displacement.
// Plain data, no SIMD types: the engine builds it once and passes it to any kernel.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace shiftnn::kernels {

enum class Boundary { zero, replicate, keep, circular };
enum class Layout { nchw, nhwc };

// Consecutive channels [c_begin, c_end) sharing one displacement.
struct ChannelRun {
  int64_t c_begin = 0, c_end = 0;
  int32_t dh = 0, dw = 0;  // normalised: |d| <= size (zero/keep/replicate), [0, size) (circular)
  // A replicate run along one axis by at most one pixel: the clamped source is the
  // output position itself, so the run is computed as keep (SPEC §1).
  bool replicate_as_keep = false;
};

// One distinct displacement of a shift, normalised as ChannelRun's.
struct Displacement {
  int32_t dh = 0, dw = 0;
};

// Widest vector any kernel uses, in floats.
constexpr int64_t kMaxVectorFloats = 16;

// nhwc copy: rows go pixel by pixel in whole vectors, rather than channel run by run, up
// to this many channels where the kernel's pixel loop applies. Measured on Zen 4 (quad,
// 1 thread, x memcpy): pixel order wins up to 128 channels (1x96x56x56: 0.80 against
// 0.69), runs above (1x384x14x14: 0.96 against 0.66; 1x768x7x7: 1.00 against 0.51;
// avx512f 8x192x28x28: 0.75 against 0.71).
constexpr int64_t kPixelOrderMaxChannels = 128;

struct ShiftGeometry {
  int64_t n = 0, c = 0, h = 0, w = 0;
  Layout layout = Layout::nchw;
  Boundary boundary = Boundary::zero;
  bool integer = true;
  std::vector<int32_t> dh, dw;   // per channel, normalised (integer specs)
  std::vector<float> fdh, fdw;   // per channel, as given (fractional specs)
  std::vector<ChannelRun> runs;  // integer specs
  // Integer specs: the distinct displacements in order of first use, and per channel
  // the index of its own (the nhwc blend loads a vector once per displacement).
  std::vector<Displacement> displacements;
  std::vector<int32_t> displacement_of;
  // Per-thread scratch the roll kernels pad into, in floats:
  // nchw (h + 2*pad_h) * (w + 2*pad_w); nhwc (w + 2*pad_w) * c.
  int64_t scratch_floats = 0;
  bool nhwc_pixel_order = false;  // nhwc and c <= kPixelOrderMaxChannels
  int32_t pad_h = 0, pad_w = 0;   // max |dh|, max |dw| over channels (integer specs)

  int64_t plane() const { return h * w; }
  int64_t elements() const { return n * c * h * w; }
};

// dh/dw: one entry per channel (fractional allowed when boundary != keep).
ShiftGeometry make_shift_geometry(int64_t n, int64_t c, int64_t h, int64_t w, Layout layout,
                                  Boundary boundary, const std::vector<float>& dh,
                                  const std::vector<float>& dw);

// Work items a shift kernel splits over threads: planes (n*c) in nchw, rows (n*h) in nhwc.
inline int64_t shift_work_items(const ShiftGeometry& g) {
  return g.layout == Layout::nchw ? g.n * g.c : g.n * g.h;
}

}  // namespace shiftnn::kernels
