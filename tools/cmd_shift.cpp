#include <memory>

#include "cli_support.hpp"
#include "shiftnn/error.hpp"
#include "shiftnn/shift.hpp"

namespace shiftnn::cli {
namespace {

struct ShiftArgsCli {
  std::string input, output, pattern, boundary = "zero", layout = "nchw", strategy = "auto";
  int threads = 0;
};

void run_shift(const ShiftArgsCli& a) {
  const Layout layout = parse_layout(a.layout);
  const Boundary boundary = parse_boundary(a.boundary);
  const Strategy strategy = parse_strategy(a.strategy);
  if (a.threads < 0) throw Error("--threads must be positive");
  const Tensor x = load_tensor(a.input, layout);
  const ShiftSpec spec = parse_pattern(a.pattern, x.shape().c, boundary);
  Tensor y(x.shape(), layout);
  shift(x.view(), y.view(), spec, {strategy, a.threads});
  save_tensor(a.output, y);
}

}  // namespace

void add_shift_command(CLI::App& app) {
  auto a = std::make_shared<ShiftArgsCli>();
  CLI::App* cmd = app.add_subcommand("shift", "Shift every channel of a tensor (SPEC §1)");
  cmd->add_option("--input", a->input, "input .npy (float32, 4-D)")->required();
  cmd->add_option("--output", a->output, "output .npy")->required();
  cmd->add_option("--pattern", a->pattern, "quad[:D], grouped:K[:DIL], axial:S:AXIS[:DIL], ...")
      ->required();
  cmd->add_option("--boundary", a->boundary, "zero|replicate|keep|circular");
  cmd->add_option("--layout", a->layout, "nchw|nhwc");
  cmd->add_option("--strategy", a->strategy, "auto|copy|roll|deform|dwconv|gridsample");
  cmd->add_option("--threads", a->threads, "threads (default OMP_NUM_THREADS)");
  cmd->callback([a] { run_shift(*a); });
}

}  // namespace shiftnn::cli
