// The graph runtime's non-convolution ops as oneDNN primitives, each built once with
// user scratchpad. run() wraps the caller's pointers in fresh dnnl::memory objects (no
// copies) and executes on the calling thread's stream, so calls can overlap.
#include "kernels/onednn/layers_onednn.hpp"

#include <algorithm>
#include <cassert>
#include <dnnl.hpp>
#include <unordered_map>

#include "kernels/onednn/onednn_context.hpp"

namespace shiftnn::kernels {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr auto f32 = memory::data_type::f32;

}  // namespace

// What every op holds: its primitive, the descs of its inputs (DNNL_ARG_SRC_0/1, or the
// concat inputs) and output, and any constant operands (layer norm's scale and shift).
struct OnednnLayer::Impl {
  int threads = 1;
  dnnl::primitive prim;
  std::vector<memory::desc> srcs;
  memory::desc dst;
  std::unordered_map<int, memory> constants;
  size_t scratch_bytes = 0;
  std::string name;

  // Fills prim, scratch_bytes and name from pd.
  template <class Primitive>
  void set(const typename Primitive::primitive_desc& pd, const char* op);
  void execute(std::unordered_map<int, memory> args, void* scratch) const;
};

template <class Primitive>
void OnednnLayer::Impl::set(const typename Primitive::primitive_desc& pd, const char* op) {
  prim = Primitive(pd);
  scratch_bytes = pd.scratchpad_desc().get_size();
  name = std::string(op) + "_onednn/" + pd.impl_info_str();
}

void OnednnLayer::Impl::execute(std::unordered_map<int, memory> args, void* scratch) const {
  const OmpThreadsScope omp(threads);
  for (const auto& [arg, mem] : constants) args.emplace(arg, mem);
  execute_with_scratch(prim, std::move(args), scratch, scratch_bytes);
}

namespace {

memory::desc nhwc_desc(Dims d) {
  return memory::desc({d.n, d.c, d.h, d.w}, f32, Tag::nhwc);
}

memory wrap(const memory::desc& md, const float* p) {
  return memory(md, cpu_engine(), const_cast<float*>(p));
}

dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

}  // namespace

OnednnLayer::OnednnLayer() : impl_(std::make_unique<Impl>()) {}
OnednnLayer::~OnednnLayer() = default;

size_t OnednnLayer::scratch_bytes() const {
  return impl_->scratch_bytes;
}

std::string OnednnLayer::name() const {
  return impl_->name;
}

EltwiseOnednn::EltwiseOnednn(EltwiseKind kind, Dims dims, int threads) {
  impl_->threads = std::max(threads, 1);
  const OmpThreadsScope omp(impl_->threads);
  impl_->dst = nhwc_desc(dims);
  const auto alg =
      kind == EltwiseKind::relu ? dnnl::algorithm::eltwise_relu : dnnl::algorithm::eltwise_gelu_erf;
  const dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference, alg, impl_->dst, 0.0f,
                                         0.0f);
  impl_->set<dnnl::eltwise_forward>(
      dnnl::eltwise_forward::primitive_desc(desc, user_scratchpad(), cpu_engine()), "eltwise");
}

void EltwiseOnednn::run(const float* src, float* dst, void* scratch) const {
  const memory::desc& md = impl_->dst;
  impl_->execute({{DNNL_ARG_SRC, wrap(md, src)}, {DNNL_ARG_DST, wrap(md, dst)}}, scratch);
}

BinaryOnednn::BinaryOnednn(BinaryKind kind, Dims a, Dims b, int threads) {
  assert(b.c == a.c && (b.n == a.n || b.n == 1));
  assert((b.h == a.h && b.w == a.w) || (b.h == 1 && b.w == 1));
  impl_->threads = std::max(threads, 1);
  const OmpThreadsScope omp(impl_->threads);
  impl_->srcs = {nhwc_desc(a), nhwc_desc(b)};
  impl_->dst = impl_->srcs[0];
  const auto alg =
      kind == BinaryKind::add ? dnnl::algorithm::binary_add : dnnl::algorithm::binary_mul;
  const dnnl::binary::desc desc(alg, impl_->srcs[0], impl_->srcs[1], impl_->dst);
  impl_->set<dnnl::binary>(dnnl::binary::primitive_desc(desc, user_scratchpad(), cpu_engine()),
                           "binary");
}

void BinaryOnednn::run(const float* a, const float* b, float* dst, void* scratch) const {
  const Impl& m = *impl_;
  m.execute({{DNNL_ARG_SRC_0, wrap(m.srcs[0], a)},
             {DNNL_ARG_SRC_1, wrap(m.srcs[1], b)},
             {DNNL_ARG_DST, wrap(m.dst, dst)}},
            scratch);
}

// nhwc is a dense (n*h*w) x c matrix: layer norm over its rows.
LayerNormOnednn::LayerNormOnednn(Dims dims, const float* gamma, const float* beta, float eps,
                                 int threads) {
  impl_->threads = std::max(threads, 1);
  const OmpThreadsScope omp(impl_->threads);
  impl_->dst = memory::desc({dims.n * dims.h * dims.w, dims.c}, f32, Tag::nc);
  const auto flags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
  const dnnl::layer_normalization_forward::desc desc(dnnl::prop_kind::forward_inference, impl_->dst,
                                                     eps, flags);
  impl_->set<dnnl::layer_normalization_forward>(
      dnnl::layer_normalization_forward::primitive_desc(desc, user_scratchpad(), cpu_engine()),
      "layer_norm");
  impl_->constants = {{DNNL_ARG_SCALE, copy_to_memory(gamma, dims.c)},
                      {DNNL_ARG_SHIFT, copy_to_memory(beta, dims.c)}};
}

void LayerNormOnednn::run(const float* src, float* dst, void* scratch) const {
  const memory::desc& md = impl_->dst;
  impl_->execute({{DNNL_ARG_SRC, wrap(md, src)}, {DNNL_ARG_DST, wrap(md, dst)}}, scratch);
}

SoftmaxOnednn::SoftmaxOnednn(Dims dims, int threads) {
  impl_->threads = std::max(threads, 1);
  const OmpThreadsScope omp(impl_->threads);
  impl_->dst = nhwc_desc(dims);
  const dnnl::softmax_forward::desc desc(dnnl::prop_kind::forward_inference, impl_->dst, 1);
  impl_->set<dnnl::softmax_forward>(
      dnnl::softmax_forward::primitive_desc(desc, user_scratchpad(), cpu_engine()), "softmax");
}

void SoftmaxOnednn::run(const float* src, float* dst, void* scratch) const {
  const memory::desc& md = impl_->dst;
  impl_->execute({{DNNL_ARG_SRC, wrap(md, src)}, {DNNL_ARG_DST, wrap(md, dst)}}, scratch);
}

// One h x w average-pooling window. reduction_mean is the plain reference (ref:any) in
// oneDNN 2.6 for this case; 1 thread, us per call: 1x768x7x7 pooling 1.8 vs 478,
// 8x512x14x14 pooling 47 vs 11300.
GlobalAvgPoolOnednn::GlobalAvgPoolOnednn(Dims dims, int threads) {
  impl_->threads = std::max(threads, 1);
  const OmpThreadsScope omp(impl_->threads);
  impl_->srcs = {nhwc_desc(dims)};
  impl_->dst = nhwc_desc({dims.n, dims.c, 1, 1});
  const dnnl::pooling_forward::desc desc(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_avg_exclude_padding,
      impl_->srcs[0], impl_->dst, {1, 1}, {dims.h, dims.w}, {0, 0}, {0, 0});
  impl_->set<dnnl::pooling_forward>(
      dnnl::pooling_forward::primitive_desc(desc, user_scratchpad(), cpu_engine()),
      "global_avg_pool");
}

void GlobalAvgPoolOnednn::run(const float* src, float* dst, void* scratch) const {
  const Impl& m = *impl_;
  m.execute({{DNNL_ARG_SRC, wrap(m.srcs[0], src)}, {DNNL_ARG_DST, wrap(m.dst, dst)}}, scratch);
}

ConcatOnednn::ConcatOnednn(const std::vector<Dims>& inputs, int threads) {
  assert(!inputs.empty());
  impl_->threads = std::max(threads, 1);
  const OmpThreadsScope omp(impl_->threads);
  Dims out = inputs[0];
  out.c = 0;
  for (const Dims& d : inputs) {
    assert(d.n == out.n && d.h == out.h && d.w == out.w);
    impl_->srcs.push_back(nhwc_desc(d));
    out.c += d.c;
  }
  impl_->dst = nhwc_desc(out);
  impl_->set<dnnl::concat>(
      dnnl::concat::primitive_desc(impl_->dst, 1, impl_->srcs, cpu_engine(), user_scratchpad()),
      "concat");
}

void ConcatOnednn::run(const std::vector<const float*>& srcs, float* dst, void* scratch) const {
  const Impl& m = *impl_;
  assert(srcs.size() == m.srcs.size());
  std::unordered_map<int, memory> args = {{DNNL_ARG_DST, wrap(m.dst, dst)}};
  for (size_t i = 0; i < srcs.size(); ++i) {
    args.emplace(DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i), wrap(m.srcs[i], srcs[i]));
  }
  m.execute(std::move(args), scratch);
}

ReorderOnednn::ReorderOnednn(Dims dims, bool to_nhwc, int threads) {
  impl_->threads = std::max(threads, 1);
  const OmpThreadsScope omp(impl_->threads);
  const memory::desc nchw({dims.n, dims.c, dims.h, dims.w}, f32, Tag::nchw);
  const memory::desc nhwc = nhwc_desc(dims);
  impl_->srcs = {to_nhwc ? nchw : nhwc};
  impl_->dst = to_nhwc ? nhwc : nchw;
  impl_->set<dnnl::reorder>(
      dnnl::reorder::primitive_desc(cpu_engine(), impl_->srcs[0], cpu_engine(), impl_->dst,
                                    user_scratchpad()),
      "reorder");
}

void ReorderOnednn::run(const float* src, float* dst, void* scratch) const {
  const Impl& m = *impl_;
  m.execute({{DNNL_ARG_FROM, wrap(m.srcs[0], src)}, {DNNL_ARG_TO, wrap(m.dst, dst)}}, scratch);
}

}  // namespace shiftnn::kernels
