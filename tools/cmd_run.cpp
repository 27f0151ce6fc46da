#include <algorithm>
#include <cstdio>
#include <memory>

#include "cli_support.hpp"
#include "shiftnn/error.hpp"
#include "shiftnn/model.hpp"
#include "shiftnn/npy.hpp"
#include "shiftnn/timing.hpp"

namespace shiftnn::cli {
namespace {

struct RunArgs {
  std::string model;
  std::vector<std::string> inputs, outputs;
  int threads = 0;
  bool profile = false;
  int repeat = 20;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// Per node, the median over `repeat` profiled runs (after one warm-up run).
void print_profile(const Model& model, const std::vector<ConstTensorView>& inputs, int repeat,
                   int model_threads) {
  model.run(inputs);
  std::vector<std::vector<NodeProfile>> runs(static_cast<size_t>(repeat));
  for (auto& rows : runs) model.run_profiled(inputs, rows);
  const std::vector<NodeProfile>& first = runs[0];
  std::vector<double> us(first.size());
  double total = 0;
  for (size_t i = 0; i < first.size(); ++i) {
    std::vector<double> samples;
    for (const auto& rows : runs) samples.push_back(rows[i].microseconds);
    us[i] = median(samples);
    total += us[i];
  }
  std::printf("%-28s %-13s %-14s %-58s %10s %6s\n", "node", "op", "shape", "kernel", "us", "share");
  for (size_t i = 0; i < first.size(); ++i) {
    const NodeProfile& r = first[i];
    std::printf("%-28s %-13s %-14s %-58s %10.1f %5.1f%%\n", r.node.c_str(), r.op.c_str(),
                r.shape.str().c_str(), r.kernel.c_str(), us[i], 100 * us[i] / total);
  }
  std::printf("total %.1f us (sum of node medians over %d runs)\n", total, repeat);
  const double wall = median_microseconds([&] { model.run(inputs); });
  std::printf("run %.1f us (median wall time of a whole run, %d thread%s)\n", wall, model_threads,
              model_threads == 1 ? "" : "s");
  const MemoryReport m = model.memory(inputs[0].shape.n);
  std::printf(
      "arena %.2f MiB for activations (sum of all activation tensors %.2f MiB, %.1fx), "
      "scratch %.2f MiB\n",
      m.arena_bytes / 1048576.0, m.intermediates_bytes / 1048576.0,
      double(m.intermediates_bytes) / std::max<size_t>(m.arena_bytes, 1),
      m.scratch_bytes / 1048576.0);
}

void run_model(const RunArgs& a) {
  if (a.threads < 0) throw Error("--threads must be positive");
  if (a.repeat < 1) throw Error("--repeat must be at least 1");
  ModelOptions options;
  options.threads = a.threads;
  const Model model = Model::load(a.model, options);
  const Graph& g = model.graph();
  if (a.inputs.size() != g.inputs.size()) {
    throw Error(a.model + " takes " + std::to_string(g.inputs.size()) + " input(s), got " +
                std::to_string(a.inputs.size()) + " --input");
  }
  if (!a.outputs.empty() && a.outputs.size() != g.outputs.size()) {
    throw Error(a.model + " has " + std::to_string(g.outputs.size()) + " output(s), got " +
                std::to_string(a.outputs.size()) + " --output");
  }
  std::vector<Tensor> xs;
  std::vector<ConstTensorView> views;
  for (const std::string& path : a.inputs) {
    xs.push_back(load_tensor(path, Layout::nchw));
    views.push_back(xs.back().cview());
  }
  const std::vector<Tensor> ys = model.run(views);
  for (size_t i = 0; i < a.outputs.size(); ++i) {
    const Shape& s = ys[i].shape();
    const std::vector<int64_t> shape = model.output_rank(i) == 2
                                           ? std::vector<int64_t>{s.n, s.c}
                                           : std::vector<int64_t>{s.n, s.c, s.h, s.w};
    save_npy(a.outputs[i], shape, ys[i].data());
  }
  if (a.profile) print_profile(model, views, a.repeat, model.threads());
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run a model (NAME.json + NAME.safetensors)");
  cmd->add_option("model", a->model, "model graph NAME.json (docs/model-format.md)")->required();
  cmd->add_option("--input", a->inputs, "input .npy (float32, N,C,H,W), once per model input")
      ->required();
  cmd->add_option("--output", a->outputs, "output .npy, once per model output");
  cmd->add_option("--threads", a->threads, "threads (default OMP_NUM_THREADS)");
  cmd->add_flag("--profile", a->profile,
                "print per node: op, shape, kernel/strategy, microseconds, share; and memory");
  cmd->add_option("--repeat", a->repeat, "profiled runs whose median is shown (default 20)");
  cmd->callback([a] { run_model(*a); });
}

}  // namespace shiftnn::cli
