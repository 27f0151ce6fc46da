// Strategy `dwconv` through oneDNN: depthwise KxK convolution (groups = C) with one-hot
// or bilinear kernels. Zero and keep use oneDNN's zero padding; replicate and circular
// run an unpadded convolution over an explicitly padded copy of the input.
//
// Layout. oneDNN runs depthwise convolution fast only in nhwc or channel-blocked formats;
// plain nchw falls back to gemm. Measured here, 1 thread, quad 3x3 zero, us per call:
//                          1x96x56x56  1x768x7x7
//   nchw conv (gemm:jit)         1820        400
//   nchw->nhwc, conv, back        441         42   (nchw<->nhwc reorders are slow)
//   format_tag::any (brdgmm_dw)   472         41   (same as nhwc)
//   nchw->nChw16c, conv, back     134         21   (jit_dw)
// So nchw tensors run blocked (nChw16c with AVX-512, else nChw8c), nhwc tensors in place.
#include "kernels/onednn/dwconv_onednn.hpp"

#include <omp.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <dnnl.hpp>
#include <vector>

#include "kernels/keep_fixup.hpp"
#include "kernels/onednn/onednn_context.hpp"

namespace shiftnn::kernels {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;

// Grow-only, 64-byte aligned scratch, one per thread: calls on one thread never overlap.
char* thread_scratch(size_t bytes) {
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  thread_local std::unique_ptr<char, Free> buffer;
  thread_local size_t capacity = 0;
  if (bytes > capacity) {
    buffer.reset();
    const size_t rounded = (bytes + 4095) / 4096 * 4096;
    buffer.reset(static_cast<char*>(std::aligned_alloc(4096, rounded)));
    assert(buffer && "dwconv scratch allocation failed");
    capacity = rounded;
  }
  return buffer.get();
}

// Channel blocking the depthwise jit kernel wants: 16 floats with AVX-512, else 8.
// cpu_isa values are cumulative bit masks.
Tag blocked_tag() {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto has = [isa](dnnl_cpu_isa_t bits) { return (isa & bits) == unsigned(bits); };
  return has(dnnl_cpu_isa_avx512_core) || has(dnnl_cpu_isa_avx512_mic) ? Tag::nChw16c : Tag::nChw8c;
}

const char* tag_name(Tag tag) {
  switch (tag) {
    case Tag::nhwc:
      return "nhwc";
    case Tag::nChw16c:
      return "nChw16c";
    case Tag::nChw8c:
      return "nChw8c";
    default:
      return "nchw";
  }
}

// Displacement the kernel realises, in pixels: the spec's, reduced without changing the
// result so that K stays small. Integer zero/keep/replicate arrive clamped to |d| <= size;
// circular (integer or not) wraps to [-size/2, size/2]; fractional zero/replicate clamp to
// |d| <= size (beyond it every tap is outside and takes the same boundary value).
double effective_displacement(double d, int64_t size, Boundary boundary) {
  const auto s = static_cast<double>(size);
  if (boundary == Boundary::circular) {
    double m = d - s * std::floor(d / s);
    return m > s / 2 ? m - s : m;
  }
  return std::clamp(d, -s, s);
}

struct Displacements {
  std::vector<double> dh, dw;
  int64_t reach = 0;  // max ceil(|d|) over channels and both axes, in pixels
};

Displacements effective_displacements(const ShiftGeometry& g) {
  Displacements d;
  d.dh.resize(g.c), d.dw.resize(g.c);
  for (int64_t c = 0; c < g.c; ++c) {
    if (g.integer) {
      d.dh[c] = effective_displacement(g.dh[c], g.h, g.boundary);
      d.dw[c] = effective_displacement(g.dw[c], g.w, g.boundary);
    } else {
      d.dh[c] = effective_displacement(g.fdh[c], g.h, g.boundary);
      d.dw[c] = effective_displacement(g.fdw[c], g.w, g.boundary);
    }
    const double r = std::max(std::ceil(std::abs(d.dh[c])), std::ceil(std::abs(d.dw[c])));
    d.reach = std::max(d.reach, static_cast<int64_t>(r));
  }
  return d;
}

// goihw weights, C x 1 x 1 x K x K. oneDNN convolution is cross-correlation:
// out[h,w] = sum over kh,kw of wt[kh,kw] * in[h + kh - K/2, w + kw - K/2], and the source of
// out[h,w] is (h - dh, w - dw), so an integer shift is a one at (K/2 - dh, K/2 - dw). A
// fractional one puts the bilinear weights on the 4 taps around (h - dh, w - dw).
std::vector<float> make_weights(const Displacements& d, int64_t k) {
  const int64_t c_count = static_cast<int64_t>(d.dh.size()), half = k / 2;
  std::vector<float> wt(static_cast<size_t>(c_count * k * k), 0.0f);
  for (int64_t c = 0; c < c_count; ++c) {
    // Source offset -d split into floor + fraction (exact in double, as the reference does).
    const double oh = std::floor(-d.dh[c]), ow = std::floor(-d.dw[c]);
    const auto a = static_cast<float>(-d.dh[c] - oh), b = static_cast<float>(-d.dw[c] - ow);
    const float tap[2][2] = {{(1 - a) * (1 - b), (1 - a) * b}, {a * (1 - b), a * b}};
    float* plane = wt.data() + c * k * k;
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 2; ++j) {
        if (tap[i][j] == 0.0f) continue;  // an integer axis: its +1 tap may lie outside K
        const auto kh = half + static_cast<int64_t>(oh) + i;
        const auto kw = half + static_cast<int64_t>(ow) + j;
        assert(kh >= 0 && kh < k && kw >= 0 && kw < k);
        plane[kh * k + kw] = tap[i][j];
      }
    }
  }
  return wt;
}

int64_t wrap(int64_t i, int64_t size) {
  const int64_t m = i % size;
  return m < 0 ? m + size : m;
}

// Source index of padded position i (i in [-pad, size + pad)) for replicate or circular.
int64_t border_source(int64_t i, int64_t size, Boundary boundary) {
  if (boundary == Boundary::circular) return wrap(i, size);
  return std::clamp<int64_t>(i, 0, size - 1);
}

// Fills the pad-wide border of `planes` padded images, each (h + 2*pad) x (w + 2*pad)
// pixels of `pixel` floats, from their interiors: first the side columns of the interior
// rows, then whole rows, so corners come out right for both (separable) modes.
void fill_border(float* buf, int64_t planes, int64_t h, int64_t w, int64_t pad, int64_t pixel,
                 Boundary boundary, int threads) {
  const int64_t hp = h + 2 * pad, wp = w + 2 * pad, row = wp * pixel;
  const size_t pixel_bytes = static_cast<size_t>(pixel) * sizeof(float);
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && planes > 1)
  for (int64_t p = 0; p < planes; ++p) {
    float* image = buf + p * hp * row;
    for (int64_t i = pad; i < pad + h; ++i) {
      float* r = image + i * row;
      const auto fill_column = [&](int64_t j) {
        const int64_t src = pad + border_source(j - pad, w, boundary);
        std::memcpy(r + j * pixel, r + src * pixel, pixel_bytes);
      };
      for (int64_t j = 0; j < pad; ++j) fill_column(j);
      for (int64_t j = pad + w; j < wp; ++j) fill_column(j);
    }
    const auto fill_row = [&](int64_t i) {
      const int64_t src = pad + border_source(i - pad, h, boundary);
      std::memcpy(image + i * row, image + src * row, static_cast<size_t>(row) * sizeof(float));
    };
    for (int64_t i = 0; i < pad; ++i) fill_row(i);
    for (int64_t i = pad + h; i < hp; ++i) fill_row(i);
  }
}

// Copies `planes` images of h x w pixels (`pixel` floats each) into the interior of their
// padded copies. Used where source and padded layouts match (nhwc): row copies beat oneDNN's
// reorder into a strided interior at 2 threads (7x7x768: 3.0 us vs 4.2 us; 1 thread: equal).
void copy_interior(const float* src, float* buf, int64_t planes, int64_t h, int64_t w, int64_t pad,
                   int64_t pixel, int threads) {
  const int64_t row = w * pixel, rows = planes * h;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && rows > 1)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t p = r / h, i = r % h;
    float* to = buf + ((p * (h + 2 * pad) + pad + i) * (w + 2 * pad) + pad) * pixel;
    std::memcpy(to, src + r * row, static_cast<size_t>(row) * sizeof(float));
  }
}

size_t align_up(size_t bytes) {
  return (bytes + 63) / 64 * 64;
}

}  // namespace

struct DwconvShift::Impl {
  const ShiftGeometry* g = nullptr;
  int threads = 1;
  Tag user_tag = Tag::nchw, conv_tag = Tag::nhwc;
  int64_t pad = 0;        // explicit padding of the input (replicate, circular), pixels
  bool padded = false;    // conv input is an explicitly padded scratch copy
  bool src_copy = false;  // conv input is a scratch copy (padded, or other layout)
  bool dst_copy = false;  // conv output is a scratch buffer in conv_tag
  bool own_copy = false;  // padded copy filled by copy_interior, not a oneDNN reorder

  memory::desc user_md, conv_src_md, conv_dst_md, interior_md;
  memory weights;
  dnnl::convolution_forward conv;
  dnnl::reorder to_conv, from_conv;
  // Scratch, bytes: conv src copy, conv dst, oneDNN scratchpad; 64-byte aligned offsets.
  size_t src_offset = 0, dst_offset = 0, pad_offset = 0, scratch_bytes = 0;
};

DwconvShift::DwconvShift(const ShiftGeometry& g, int threads, bool nhwc_for_nchw)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.g = &g;
  m.threads = std::max(threads, 1);
  const OmpThreadsScope omp(m.threads);
  const dnnl::engine& engine = cpu_engine();

  const Displacements d = effective_displacements(g);
  const int64_t k = 2 * d.reach + 1, half = d.reach;
  m.user_tag = g.layout == Layout::nhwc ? Tag::nhwc : Tag::nchw;
  m.conv_tag = g.layout == Layout::nhwc || nhwc_for_nchw ? Tag::nhwc : blocked_tag();
  m.padded = g.boundary == Boundary::replicate || g.boundary == Boundary::circular;
  m.pad = m.padded ? half : 0;
  m.src_copy = m.padded || m.conv_tag != m.user_tag;
  m.dst_copy = m.conv_tag != m.user_tag;
  m.own_copy = m.padded && m.conv_tag == m.user_tag;

  const memory::dims dims = {g.n, g.c, g.h, g.w};
  const memory::dims src_dims = {g.n, g.c, g.h + 2 * m.pad, g.w + 2 * m.pad};
  const memory::dims wdims = {g.c, 1, 1, k, k};
  const memory::dims conv_pad = {half - m.pad, half - m.pad};
  m.user_md = memory::desc(dims, memory::data_type::f32, m.user_tag);
  const memory::desc src_md(src_dims, memory::data_type::f32, m.conv_tag);
  const memory::desc dst_md(dims, memory::data_type::f32, m.conv_tag);
  const memory::desc w_md(wdims, memory::data_type::f32, Tag::any);

  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const dnnl::convolution_forward::desc conv_desc(dnnl::prop_kind::forward_inference,
                                                  dnnl::algorithm::convolution_direct, src_md, w_md,
                                                  dst_md, {1, 1}, conv_pad, conv_pad);
  const dnnl::convolution_forward::primitive_desc conv_pd(conv_desc, attr, engine);
  m.conv = dnnl::convolution_forward(conv_pd);
  m.conv_src_md = conv_pd.src_desc();
  m.conv_dst_md = conv_pd.dst_desc();
  size_t scratchpad = conv_pd.scratchpad_desc().get_size();

  // Weights: built in goihw, reordered once into the layout the convolution prefers.
  std::vector<float> wt = make_weights(d, k);
  memory user_weights({wdims, memory::data_type::f32, Tag::goihw}, engine, wt.data());
  m.weights = memory(conv_pd.weights_desc(), engine);
  dnnl::stream stream(engine);
  dnnl::reorder(user_weights, m.weights).execute(stream, user_weights, m.weights);
  stream.wait();

  if (m.src_copy && !m.own_copy) {
    m.interior_md =
        m.padded ? m.conv_src_md.submemory_desc(dims, {0, 0, m.pad, m.pad}) : m.conv_src_md;
    const dnnl::reorder::primitive_desc pd(engine, m.user_md, engine, m.interior_md, attr);
    m.to_conv = dnnl::reorder(pd);
    scratchpad = std::max(scratchpad, pd.scratchpad_desc().get_size());
  }
  if (m.dst_copy) {
    const dnnl::reorder::primitive_desc pd(engine, m.conv_dst_md, engine, m.user_md, attr);
    m.from_conv = dnnl::reorder(pd);
    scratchpad = std::max(scratchpad, pd.scratchpad_desc().get_size());
  }
  m.src_offset = 0;
  m.dst_offset = m.src_copy ? align_up(m.conv_src_md.get_size()) : 0;
  m.pad_offset = m.dst_offset + (m.dst_copy ? align_up(m.conv_dst_md.get_size()) : 0);
  m.scratch_bytes = m.pad_offset + align_up(std::max<size_t>(scratchpad, 1));
}

DwconvShift::~DwconvShift() = default;

void DwconvShift::run(const float* src, float* dst) const {
  const Impl& m = *impl_;
  const ShiftGeometry& g = *m.g;
  const OmpThreadsScope omp(m.threads);
  const dnnl::engine& engine = cpu_engine();
  dnnl::stream& stream = thread_stream();
  char* scratch = thread_scratch(m.scratch_bytes);

  memory user_src(m.user_md, engine, const_cast<float*>(src));
  memory user_dst(m.user_md, engine, dst);
  memory scratchpad = scratchpad_memory(scratch + m.pad_offset, m.scratch_bytes - m.pad_offset);
  memory conv_src = user_src, conv_dst = user_dst;
  float* const padded = reinterpret_cast<float*>(scratch + m.src_offset);
  // Pixel = the floats one spatial position holds in a plane: C in nhwc, the block
  // in nChw{8,16}c (channel padding included).
  const bool nhwc = m.conv_tag == Tag::nhwc;
  const int64_t block = m.conv_tag == Tag::nChw16c ? 16 : 8;
  const int64_t pixel = nhwc ? g.c : block;
  const int64_t planes = nhwc ? g.n : g.n * ((g.c + block - 1) / block);
  if (m.src_copy) conv_src = memory(m.conv_src_md, engine, padded);
  if (m.own_copy) {
    copy_interior(src, padded, planes, g.h, g.w, m.pad, pixel, m.threads);
  } else if (m.src_copy) {
    memory interior(m.interior_md, engine, padded);
    m.to_conv.execute(
        stream,
        {{DNNL_ARG_FROM, user_src}, {DNNL_ARG_TO, interior}, {DNNL_ARG_SCRATCHPAD, scratchpad}});
    stream.wait();
  }
  if (m.padded) fill_border(padded, planes, g.h, g.w, m.pad, pixel, g.boundary, m.threads);
  if (m.dst_copy) conv_dst = memory(m.conv_dst_md, engine, scratch + m.dst_offset);
  m.conv.execute(stream, {{DNNL_ARG_SRC, conv_src},
                          {DNNL_ARG_WEIGHTS, m.weights},
                          {DNNL_ARG_DST, conv_dst},
                          {DNNL_ARG_SCRATCHPAD, scratchpad}});
  if (m.dst_copy) {
    m.from_conv.execute(
        stream,
        {{DNNL_ARG_FROM, conv_dst}, {DNNL_ARG_TO, user_dst}, {DNNL_ARG_SCRATCHPAD, scratchpad}});
  }
  stream.wait();

  if (g.boundary == Boundary::keep) {
    const int64_t items = shift_work_items(g);
#pragma omp parallel num_threads(m.threads) if (m.threads > 1 && items > 1)
    {
      const int64_t t = omp_get_thread_num(), count = omp_get_num_threads();
      keep_fixup(g, src, dst, items * t / count, items * (t + 1) / count);
    }
  }
}

std::string DwconvShift::name() const {
  return std::string("dwconv_onednn/") + tag_name(impl_->conv_tag);
}

}  // namespace shiftnn::kernels
