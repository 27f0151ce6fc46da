// Shift (planned by the planner: strategy, threads and kernel per shape) and GridSample.
#include "layers.hpp"
#include "shiftnn/error.hpp"
#include "shiftnn/grid_sample.hpp"

namespace shiftnn::detail {
namespace {

class ShiftLayer : public Layer {
 public:
  ShiftLayer(Shape s, Plan plan) : s_(s), plan_(std::move(plan)) {}
  void run(const std::vector<const float*>& in, float* out, void*) const override {
    plan_.run({in[0], s_, Layout::nhwc}, {out, s_, Layout::nhwc});
  }
  std::string kernel() const override {
    return plan_.op().kernel_name() + " (" + plan_.candidate().name() + ", " +
           plan_source_name(plan_.source()) + ")";
  }

 private:
  Shape s_;
  Plan plan_;
};

class GridSampleLayer : public Layer {
 public:
  GridSampleLayer(Shape in, Shape grid, Shape out, GridSampleOptions options)
      : in_(in), grid_{grid.n, grid.h, grid.w, 2}, out_(out), options_(options) {}
  // The grid's nhwc memory N x Ho x Wo x 2 is PyTorch's grid layout. A grid of batch 1
  // serves every image.
  void run(const std::vector<const float*>& in, float* out, void*) const override {
    if (grid_.n == in_.n) {
      grid_sample({in[0], in_, Layout::nhwc}, {in[1], grid_, Layout::nchw},
                  {out, out_, Layout::nhwc}, options_);
      return;
    }
    const Shape image{1, in_.c, in_.h, in_.w}, out_image{1, out_.c, out_.h, out_.w};
    for (int64_t i = 0; i < in_.n; ++i) {
      grid_sample({in[0] + i * image.elements(), image, Layout::nhwc}, {in[1], grid_, Layout::nchw},
                  {out + i * out_image.elements(), out_image, Layout::nhwc}, options_);
    }
  }
  std::string kernel() const override { return "grid_sample_nhwc"; }

 private:
  Shape in_, grid_, out_;
  GridSampleOptions options_;
};

}  // namespace

std::unique_ptr<Layer> make_shift(const LayerArgs& a) {
  const NodeReader& node = a.node;
  node.allow({"pattern", "boundary"});
  node.expect_inputs(1);
  const Shape& s = a.inputs[0].shape;
  if (!node.has("pattern")) node.fail("missing attribute 'pattern'");
  try {
    const ShiftSpec spec =
        parse_pattern(node.text("pattern", ""), s.c, parse_boundary(node.text("boundary", "zero")));
    a.output = a.inputs[0];
    return std::make_unique<ShiftLayer>(
        s, a.context.planner->plan({s, Layout::nhwc, spec, a.context.threads}));
  } catch (const Error& e) {
    node.fail(e.what());
  }
}

std::unique_ptr<Layer> make_grid_sample(const LayerArgs& a) {
  const NodeReader& node = a.node;
  node.allow({"mode", "padding_mode", "align_corners"});
  node.expect_inputs(2);
  const Shape &x = a.inputs[0].shape, &grid = a.inputs[1].shape;
  if (grid.c != 2 || (grid.n != x.n && grid.n != 1)) {
    node.fail("grid " + grid.str() + " must be N x 2 x Ho x Wo with the input's N " +
              std::to_string(x.n) + " or 1");
  }
  GridSampleOptions options;
  try {
    options.mode = parse_grid_mode(node.text("mode", "bilinear"));
    options.padding = parse_grid_padding(node.text("padding_mode", "zeros"));
  } catch (const Error& e) {
    node.fail(e.what());
  }
  options.align_corners = node.integer("align_corners", 0) != 0;
  options.threads = a.context.threads;
  const Shape out = {x.n, x.c, grid.h, grid.w};
  a.output = {out, 4};
  return std::make_unique<GridSampleLayer>(x, grid, out, options);
}

}  // namespace shiftnn::detail
