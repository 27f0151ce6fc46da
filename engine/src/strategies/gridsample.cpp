// Strategy `gridsample` (SPEC §2, the seed's method 5): grid sampling with a grid that
// encodes the shift. Each group of consecutive channels with one displacement gets a
// pixel-offset grid (source = output - d), shared by every image of the batch: integer
// offsets with nearest are exact, fractional ones keep their fraction bit for bit.
#include <cstdint>
#include <vector>

#include "../parallel.hpp"
#include "executor.hpp"
#include "kernels/keep_fixup.hpp"
#include "kernels/kernel_table.hpp"
#include "shiftnn/error.hpp"

namespace shiftnn::detail {
namespace {

// Channels [c_begin, c_end) sample with grids_[grid].
struct Group {
  int64_t c_begin, c_end;
  size_t grid;
};

class GridSampleExecutor final : public ShiftExecutor {
 public:
  GridSampleExecutor(const kernels::ShiftGeometry& g, int threads) : g_(g), threads_(threads) {
    if (g.h * g.w > INT32_MAX) {
      throw Error("strategy gridsample cannot serve planes beyond 2^31-1 pixels");
    }
    const bool nchw = g.layout == kernels::Layout::nchw;
    const kernels::KernelTable& table = kernels::active_kernels();
    kernel_ = nchw ? table.grid_sample_nchw : table.grid_sample_nhwc;
    name_ = nchw ? SHIFTNN_KERNEL_NAME(grid_sample_nchw, kernels::active_isa())
                 : SHIFTNN_KERNEL_NAME(grid_sample_nhwc, kernels::active_isa());
    if (g.integer) {
      for (const kernels::ChannelRun& run : g.runs) {
        add_group(run.c_begin, run.c_end, static_cast<float>(run.dh), static_cast<float>(run.dw));
      }
    } else {
      for (int64_t c = 0; c < g.c; ++c) add_group(c, c + 1, g.fdh[c], g.fdw[c]);
    }
  }

  void run(const float* src, float* dst) const override {
    parallel_for(g_.n * g_.h, threads_, [&](int64_t begin, int64_t end, int) {
      for (const Group& group : groups_) {
        kernels::GridSampleArgs a = args(group, src, dst);
        kernel_(a, begin, end);
      }
    });
    if (g_.boundary == kernels::Boundary::keep) {
      parallel_for(kernels::shift_work_items(g_), threads_, [&](int64_t begin, int64_t end, int) {
        kernels::keep_fixup(g_, src, dst, begin, end);
      });
    }
  }

  std::string kernel_name() const override { return name_; }

 private:
  // Channels [c_begin, c_end) shift by (dh, dw): merged into the previous group when it
  // has the same displacement, else given a grid of their own.
  void add_group(int64_t c_begin, int64_t c_end, float dh, float dw) {
    if (!groups_.empty() && groups_.back().c_end == c_begin && dh_[groups_.back().grid] == dh &&
        dw_[groups_.back().grid] == dw) {
      groups_.back().c_end = c_end;
      return;
    }
    size_t grid = grids_.size();
    for (size_t i = 0; i < grids_.size(); ++i) {
      if (dh_[i] == dh && dw_[i] == dw) grid = i;
    }
    if (grid == grids_.size()) {
      grids_.push_back(make_grid(dh, dw));
      dh_.push_back(dh);
      dw_.push_back(dw);
    }
    groups_.push_back({c_begin, c_end, grid});
  }

  // Offsets (x, y) = (-dw, -dh); circular integer shifts wrap the source itself, so the
  // offset of a wrapped position points inside the image.
  std::vector<float> make_grid(float dh, float dw) const {
    const int64_t H = g_.h, W = g_.w;
    std::vector<float> grid(static_cast<size_t>(H * W * 2));
    const bool wrap = g_.boundary == kernels::Boundary::circular;
    for (int64_t hh = 0; hh < H; ++hh) {
      for (int64_t ww = 0; ww < W; ++ww) {
        float ox = -dw, oy = -dh;
        if (wrap) {  // normalised: d in [0, size)
          const int64_t hs = hh - static_cast<int64_t>(dh), ws = ww - static_cast<int64_t>(dw);
          ox = static_cast<float>((ws < 0 ? ws + W : ws) - ww);
          oy = static_cast<float>((hs < 0 ? hs + H : hs) - hh);
        }
        grid[(hh * W + ww) * 2] = ox;
        grid[(hh * W + ww) * 2 + 1] = oy;
      }
    }
    return grid;
  }

  kernels::GridSampleArgs args(const Group& group, const float* src, float* dst) const {
    kernels::GridSampleArgs a{};
    const bool nchw = g_.layout == kernels::Layout::nchw;
    const int64_t offset = nchw ? group.c_begin * g_.plane() : group.c_begin;
    a.src = src + offset;
    a.dst = dst + offset;
    a.grid = grids_[group.grid].data();
    a.n = g_.n, a.c = group.c_end - group.c_begin, a.h = g_.h, a.w = g_.w;
    a.ho = g_.h, a.wo = g_.w;
    a.layout = g_.layout;
    a.mode = g_.integer ? kernels::GridModeK::nearest : kernels::GridModeK::bilinear;
    a.padding = g_.boundary == kernels::Boundary::replicate ? kernels::GridPaddingK::border
                                                            : kernels::GridPaddingK::zeros;
    a.align_corners = false;
    a.pixel_grid = true;
    a.src_batch_stride = a.dst_batch_stride = g_.c * g_.plane();
    a.src_channel_stride = a.dst_channel_stride = g_.plane();
    a.src_pixel_stride = a.dst_pixel_stride = g_.c;
    a.grid_batch_stride = 0;
    return a;
  }

  const kernels::ShiftGeometry& g_;
  int threads_;
  kernels::GridSampleKernel kernel_;
  std::string name_;
  std::vector<Group> groups_;
  std::vector<std::vector<float>> grids_;
  std::vector<float> dh_, dw_;  // displacement of each grid
};

}  // namespace

std::unique_ptr<ShiftExecutor> make_gridsample_executor(const kernels::ShiftGeometry& g,
                                                        int threads) {
  return std::make_unique<GridSampleExecutor>(g, threads);
}

}  // namespace shiftnn::detail
