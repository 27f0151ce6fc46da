#pragma once
// Strategy `dwconv` (SPEC §2, the seed's method 4): the shift as a oneDNN depthwise
// KxK convolution, K = 2*ceil(max|d|)+1, with one-hot kernels (bilinear weights for
// fractional displacements). Non-zero boundaries go through an explicitly padded input.
#include <memory>
#include <string>

#include "kernels/shift_geometry.hpp"

namespace shiftnn::kernels {

class DwconvShift {
 public:
  // Creates the oneDNN primitives once for geometry g (which must outlive this object).
  // nchw tensors convolve in the blocked layout (nChw16c/nChw8c), or in nhwc when
  // nhwc_for_nchw; nhwc tensors convolve in place.
  DwconvShift(const ShiftGeometry& g, int threads, bool nhwc_for_nchw = false);
  ~DwconvShift();
  DwconvShift(const DwconvShift&) = delete;
  DwconvShift& operator=(const DwconvShift&) = delete;

  // src, dst: g's layout and shape. Safe to call from several threads at once.
  void run(const float* src, float* dst) const;
  // "dwconv_onednn/nhwc": the layout the convolution itself runs in.
  std::string name() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shiftnn::kernels
