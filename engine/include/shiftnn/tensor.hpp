#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

namespace shiftnn {

enum class Layout { nchw, nhwc };

const char* layout_name(Layout layout);
Layout parse_layout(const std::string& name);  // throws Error

// Logical N, C, H, W sizes, whatever the memory layout.
struct Shape {
  int64_t n = 0, c = 0, h = 0, w = 0;
  int64_t elements() const { return n * c * h * w; }
  std::string str() const;  // "NxCxHxW"
  bool operator==(const Shape& o) const { return n == o.n && c == o.c && h == o.h && w == o.w; }
  bool operator!=(const Shape& o) const { return !(*this == o); }
};

Shape parse_shape(const std::string& text);  // "NxCxHxW"; throws Error

// Non-owning view of a dense float32 tensor in caller memory.
template <class T>
struct BasicView {
  T* data = nullptr;
  Shape shape;
  Layout layout = Layout::nchw;
  int64_t elements() const { return shape.elements(); }
  size_t bytes() const { return static_cast<size_t>(elements()) * sizeof(float); }
  // A mutable view converts to a read-only one.
  template <class U, class = std::enable_if_t<std::is_same_v<U, const T> && !std::is_const_v<T>>>
  operator BasicView<U>() const {
    return {data, shape, layout};
  }
};
using TensorView = BasicView<float>;
using ConstTensorView = BasicView<const float>;

// Owned, 64-byte aligned float32 tensor.
class Tensor {
 public:
  Tensor() = default;
  Tensor(Shape shape, Layout layout = Layout::nchw);  // zero-filled
  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  const Shape& shape() const { return shape_; }
  Layout layout() const { return layout_; }
  int64_t elements() const { return shape_.elements(); }
  TensorView view() { return {data(), shape_, layout_}; }
  ConstTensorView view() const { return {data(), shape_, layout_}; }
  ConstTensorView cview() const { return view(); }

 private:
  struct FreeAligned {
    void operator()(float* p) const;
  };
  std::unique_ptr<float, FreeAligned> data_;
  Shape shape_;
  Layout layout_ = Layout::nchw;
};

}  // namespace shiftnn
