#pragma once
// Conv2d and Linear through oneDNN, for the graph runtime. Activations are nhwc (the
// layout of oneDNN's fast depthwise and 1x1 paths); weights come in PyTorch's layout
// and are reordered once, at construction, into the layout the primitive prefers.
#include <cstddef>
#include <memory>
#include <string>

#include "kernels/reference/layer_reference.hpp"

namespace shiftnn::kernels {

enum class Activation { none, relu, gelu };  // gelu: the erf form

class ConvOnednn {
 public:
  // weight: oc x ic/groups x kh x kw (OIHW); bias: oc floats or null; both copied.
  // accumulate: dst = act(conv(src) + bias) + dst, a fused residual add (sum post-op,
  // applied after the activation, as PyTorch's x + act(conv(y)) computes it).
  // after_sum (with accumulate): dst = after_sum(act(conv(src) + bias) + dst), as
  // PyTorch's relu(x + conv(y)) computes it.
  ConvOnednn(const reference::ConvShape& shape, const float* weight, const float* bias,
             Activation activation, bool accumulate, int threads,
             Activation after_sum = Activation::none);
  ~ConvOnednn();
  ConvOnednn(const ConvOnednn&) = delete;
  ConvOnednn& operator=(const ConvOnednn&) = delete;

  // src: n x ic x ih x iw, dst: n x oc x oh x ow, both nhwc. scratch: scratch_bytes()
  // bytes, 64-byte aligned, private to the caller (may be null when that is 0). Safe from
  // several threads at once.
  void run(const float* src, float* dst, void* scratch) const;
  size_t scratch_bytes() const;
  // "conv_onednn/<oneDNN implementation>", e.g. "conv_onednn/brgconv_1x1:avx512_core".
  std::string name() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class LinearOnednn {
 public:
  // weight: out x in (PyTorch's Linear); bias: out floats or null; both copied.
  LinearOnednn(int64_t n, int64_t in, int64_t out, const float* weight, const float* bias,
               Activation activation, int threads);
  ~LinearOnednn();
  LinearOnednn(const LinearOnednn&) = delete;
  LinearOnednn& operator=(const LinearOnednn&) = delete;

  // src: n x in, dst: n x out, dense. Same scratch and threading rules as ConvOnednn.
  void run(const float* src, float* dst, void* scratch) const;
  size_t scratch_bytes() const;
  std::string name() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shiftnn::kernels
