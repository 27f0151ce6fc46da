// Conv2d and Linear as oneDNN primitives: built once with user scratchpad, weights
// reordered once from PyTorch's layout into the one the primitive picked (format any),
// activation and residual add fused as post-ops.
#include "kernels/onednn/conv_onednn.hpp"

#include <algorithm>
#include <cassert>
#include <dnnl.hpp>
#include <unordered_map>
#include <vector>

#include "kernels/onednn/onednn_context.hpp"

namespace shiftnn::kernels {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr auto f32 = memory::data_type::f32;

void append_activation(dnnl::post_ops& ops, Activation activation) {
  if (activation == Activation::relu) {
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
  } else if (activation == Activation::gelu) {
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
  }
}

// Activation, then the sum, then after_sum (dst = after_sum(act(op) + dst)): post-ops
// apply in the order appended.
dnnl::primitive_attr make_attr(Activation activation, bool accumulate,
                               Activation after_sum = Activation::none) {
  dnnl::post_ops ops;
  append_activation(ops, activation);
  if (accumulate) ops.append_sum(1.0f);
  append_activation(ops, after_sum);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

// Copies `user` (plain, in user_md) into a new memory of the primitive's weights_md.
memory reorder_weights(const memory::desc& user_md, const float* user, const memory::desc& to_md) {
  const dnnl::engine& engine = cpu_engine();
  memory from(user_md, engine, const_cast<float*>(user));
  memory to(to_md, engine);
  dnnl::stream stream(engine);
  dnnl::reorder(from, to).execute(stream, from, to);
  stream.wait();
  return to;
}

}  // namespace

// A primitive with prepared weights (convolution or inner product) and how it runs.
struct WeightedPrimitive {
  int threads = 1;
  memory::desc src_md, dst_md;
  memory weights, bias;  // bias: empty when absent
  dnnl::primitive primitive;
  size_t scratch_bytes = 0;
  std::string name;

  void run(const float* src, float* dst, void* scratch) const {
    const OmpThreadsScope omp(threads);
    const dnnl::engine& engine = cpu_engine();
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC, {src_md, engine, const_cast<float*>(src)}},
        {DNNL_ARG_WEIGHTS, weights},
        {DNNL_ARG_DST, {dst_md, engine, dst}}};
    if (bias) args.emplace(DNNL_ARG_BIAS, bias);
    execute_with_scratch(primitive, std::move(args), scratch, scratch_bytes);
  }
};

struct ConvOnednn::Impl : WeightedPrimitive {};

ConvOnednn::ConvOnednn(const reference::ConvShape& s, const float* weight, const float* bias,
                       Activation activation, bool accumulate, int threads, Activation after_sum)
    : impl_(std::make_unique<Impl>()) {
  assert(after_sum == Activation::none || accumulate);
  Impl& m = *impl_;
  assert(s.groups >= 1 && s.ic % s.groups == 0 && s.oc % s.groups == 0);
  m.threads = std::max(threads, 1);
  const OmpThreadsScope omp(m.threads);

  const memory::dims src_dims = {s.n, s.ic, s.ih, s.iw}, dst_dims = {s.n, s.oc, s.oh(), s.ow()};
  // PyTorch's OIHW with groups is goihw: g x oc/g x ic/g x kh x kw, the same bytes.
  const bool grouped = s.groups > 1;
  const memory::dims w_dims =
      grouped ? memory::dims{s.groups, s.oc / s.groups, s.ic / s.groups, s.kh, s.kw}
              : memory::dims{s.oc, s.ic, s.kh, s.kw};
  m.src_md = memory::desc(src_dims, f32, Tag::nhwc);
  m.dst_md = memory::desc(dst_dims, f32, Tag::nhwc);
  const memory::desc w_any(w_dims, f32, Tag::any);
  const memory::desc b_md = bias ? memory::desc({s.oc}, f32, Tag::a) : memory::desc();
  // oneDNN counts dilation from 0 (dense), PyTorch from 1.
  const memory::dims strides = {s.stride_h, s.stride_w}, pad = {s.pad_h, s.pad_w};
  const memory::dims dilation = {s.dilation_h - 1, s.dilation_w - 1};

  const dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference,
                                             dnnl::algorithm::convolution_direct, m.src_md, w_any,
                                             b_md, m.dst_md, strides, dilation, pad, pad);
  const dnnl::convolution_forward::primitive_desc pd(
      desc, make_attr(activation, accumulate, after_sum), cpu_engine());
  m.primitive = dnnl::convolution_forward(pd);
  m.weights =
      reorder_weights({w_dims, f32, grouped ? Tag::goihw : Tag::oihw}, weight, pd.weights_desc());
  if (bias) m.bias = copy_to_memory(bias, s.oc);
  m.scratch_bytes = pd.scratchpad_desc().get_size();
  m.name = std::string("conv_onednn/") + pd.impl_info_str();
}

ConvOnednn::~ConvOnednn() = default;

void ConvOnednn::run(const float* src, float* dst, void* scratch) const {
  impl_->run(src, dst, scratch);
}

size_t ConvOnednn::scratch_bytes() const {
  return impl_->scratch_bytes;
}

std::string ConvOnednn::name() const {
  return impl_->name;
}

struct LinearOnednn::Impl : WeightedPrimitive {};

LinearOnednn::LinearOnednn(int64_t n, int64_t in, int64_t out, const float* weight,
                           const float* bias, Activation activation, int threads)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.threads = std::max(threads, 1);
  const OmpThreadsScope omp(m.threads);

  m.src_md = memory::desc({n, in}, f32, Tag::nc);
  m.dst_md = memory::desc({n, out}, f32, Tag::nc);
  const memory::desc w_any({out, in}, f32, Tag::any);
  const memory::desc b_md = bias ? memory::desc({out}, f32, Tag::a) : memory::desc();
  const dnnl::inner_product_forward::desc desc(dnnl::prop_kind::forward_inference, m.src_md, w_any,
                                               b_md, m.dst_md);
  const dnnl::inner_product_forward::primitive_desc pd(desc, make_attr(activation, false),
                                                       cpu_engine());
  m.primitive = dnnl::inner_product_forward(pd);
  m.weights = reorder_weights({{out, in}, f32, Tag::oi}, weight, pd.weights_desc());
  if (bias) m.bias = copy_to_memory(bias, out);
  m.scratch_bytes = pd.scratchpad_desc().get_size();
  m.name = std::string("linear_onednn/") + pd.impl_info_str();
}

LinearOnednn::~LinearOnednn() = default;

void LinearOnednn::run(const float* src, float* dst, void* scratch) const {
  impl_->run(src, dst, scratch);
}

size_t LinearOnednn::scratch_bytes() const {
  return impl_->scratch_bytes;
}

std::string LinearOnednn::name() const {
  return impl_->name;
}

}  // namespace shiftnn::kernels
