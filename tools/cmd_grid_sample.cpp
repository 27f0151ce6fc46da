#include <memory>

#include "cli_support.hpp"
#include "shiftnn/error.hpp"
#include "shiftnn/grid_sample.hpp"
#include "shiftnn/npy.hpp"

namespace shiftnn::cli {
namespace {

struct GridArgsCli {
  std::string input, grid, output, mode = "bilinear", padding = "zeros";
  bool align_corners = false;
};

void run_grid_sample(const GridArgsCli& a) {
  GridSampleOptions options;
  options.mode = parse_grid_mode(a.mode);
  options.padding = parse_grid_padding(a.padding);
  options.align_corners = a.align_corners;
  const Tensor x = load_tensor(a.input, Layout::nchw);
  const NpyArray g = load_npy(a.grid);
  if (g.shape.size() != 4 || g.shape[3] != 2) {
    throw Error(a.grid + ": expected a grid of shape (N, Ho, Wo, 2)");
  }
  if (g.shape[0] != x.shape().n) {
    throw Error(a.grid + ": grid batch " + std::to_string(g.shape[0]) +
                " differs from input batch " + std::to_string(x.shape().n));
  }
  if (g.shape[1] == 0 || g.shape[2] == 0) throw Error(a.grid + ": grid has a zero-sized dimension");
  const ConstTensorView grid{g.data.data(), {g.shape[0], g.shape[1], g.shape[2], 2}, Layout::nchw};
  Tensor y({x.shape().n, x.shape().c, g.shape[1], g.shape[2]}, Layout::nchw);
  grid_sample(x.view(), grid, y.view(), options);
  save_tensor(a.output, y);
}

}  // namespace

void add_grid_sample_command(CLI::App& app) {
  auto a = std::make_shared<GridArgsCli>();
  CLI::App* cmd = app.add_subcommand("grid-sample", "torch grid_sample on 4-D input (SPEC §3)");
  cmd->add_option("--input", a->input, "input .npy (N,C,H,W float32)")->required();
  cmd->add_option("--grid", a->grid, "grid .npy (N,Ho,Wo,2 float32)")->required();
  cmd->add_option("--output", a->output, "output .npy")->required();
  cmd->add_option("--mode", a->mode, "bilinear|nearest");
  cmd->add_option("--padding", a->padding, "zeros|border|reflection");
  cmd->add_flag("--align-corners", a->align_corners, "align_corners=True");
  cmd->callback([a] { run_grid_sample(*a); });
}

}  // namespace shiftnn::cli
