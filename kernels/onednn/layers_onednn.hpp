#pragma once
// The graph runtime's elementwise, normalisation, pooling, softmax, concat and layout
// ops through oneDNN primitives. Every tensor is a dense nhwc n x c x h x w (a 2-D
// n x c tensor is n x c x 1 x 1) unless a comment says otherwise. Each op is built once
// for its shapes and thread count; run() is const, takes caller scratch of
// scratch_bytes() bytes (64-byte aligned; may be null when 0) and is safe from several
// threads at once.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace shiftnn::kernels {

struct Dims {
  int64_t n = 1, c = 1, h = 1, w = 1;
  int64_t elements() const { return n * c * h * w; }
};

// Base of the ops below: the pimpl, scratch size and name they share.
class OnednnLayer {
 public:
  virtual ~OnednnLayer();
  size_t scratch_bytes() const;
  std::string name() const;  // "<op>_onednn/<oneDNN implementation>"

 protected:
  OnednnLayer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

enum class EltwiseKind { relu, gelu };  // gelu: the erf form

class EltwiseOnednn : public OnednnLayer {
 public:
  EltwiseOnednn(EltwiseKind kind, Dims dims, int threads);
  void run(const float* src, float* dst, void* scratch) const;  // dst may equal src
};

enum class BinaryKind { add, mul };

class BinaryOnednn : public OnednnLayer {
 public:
  // b: a's c; a's n or 1; a's h x w or 1 x 1 (broadcast over what is 1).
  BinaryOnednn(BinaryKind kind, Dims a, Dims b, int threads);
  void run(const float* a, const float* b, float* dst, void* scratch) const;  // dst may equal a
};

class LayerNormOnednn : public OnednnLayer {
 public:
  // Over the c channels of every pixel; gamma, beta: c floats, copied.
  LayerNormOnednn(Dims dims, const float* gamma, const float* beta, float eps, int threads);
  void run(const float* src, float* dst, void* scratch) const;
};

class SoftmaxOnednn : public OnednnLayer {
 public:
  SoftmaxOnednn(Dims dims, int threads);  // over channels
  void run(const float* src, float* dst, void* scratch) const;
};

class GlobalAvgPoolOnednn : public OnednnLayer {
 public:
  GlobalAvgPoolOnednn(Dims dims, int threads);  // dst: n x c x 1 x 1
  void run(const float* src, float* dst, void* scratch) const;
};

class ConcatOnednn : public OnednnLayer {
 public:
  // Along channels; every input has the n, h, w of the first.
  ConcatOnednn(const std::vector<Dims>& inputs, int threads);
  void run(const std::vector<const float*>& srcs, float* dst, void* scratch) const;
};

// Layout change of a dense n x c x h x w tensor: nchw -> nhwc or back.
class ReorderOnednn : public OnednnLayer {
 public:
  ReorderOnednn(Dims dims, bool to_nhwc, int threads);
  void run(const float* src, float* dst, void* scratch) const;
};

}  // namespace shiftnn::kernels
