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
// to this many channels where the kernel's pixel loop applies (up to 16 vectors a pixel
// on avx512f, 12 elsewhere). Measured on Zen 4, quad, x memcpy, pixel order / runs (same
// process), 1 and 2 threads: 1x96x56x56 0.80 / 0.69 (1 thread); 1x192x28x28 0.89-0.93 /
// 0.82-0.83 and 0.88-1.04 / 0.84-0.99; 1x256x28x28 0.88-0.92 / 0.76-0.78 and 0.92-1.34 /
// 0.89-1.28; 8x256x28x28 0.82 / 0.58-0.60 and 0.82-0.85 / 0.70-0.73; 64x256x56x56
// 0.78-0.96 / 0.60-0.64 and 0.80-0.84 / 0.73-0.77. Runs above (1x384x14x14: 0.96 against
// 0.66; 1x768x7x7: 1.00 against 0.51), where a pixel outgrows the vector registers.
constexpr int64_t kPixelOrderMaxChannels = 256;

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
