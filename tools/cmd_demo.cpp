// The main job: what this machine runs, the seed's example through all five
// strategies, every strategy timed on the standard shape suite, then the bundled
// digits model on its held-out split.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "cli_support.hpp"
#include "demo_digits.hpp"
#include "shiftnn/baseline.hpp"
#include "shiftnn/planner.hpp"
#include "shiftnn/shift.hpp"
#include "shiftnn/system_info.hpp"
#include "shiftnn/timing.hpp"
#include "torch_print.hpp"

namespace shiftnn::cli {
namespace {

// The seed's input: channel pairs (row index, column index), 1x8x5x5.
Tensor seed_input() {
  Tensor x({1, 8, 5, 5});
  for (int64_t c = 0; c < 8; ++c) {
    for (int64_t h = 0; h < 5; ++h) {
      for (int64_t w = 0; w < 5; ++w) x.data()[(c * 5 + h) * 5 + w] = c % 2 == 0 ? h : w;
    }
  }
  return x;
}

void show_seed_example() {
  const Tensor x = seed_input();
  const ShiftSpec spec = parse_pattern("quad", 8, Boundary::keep);
  std::printf("\nThe seed's example: 1x8x5x5, pattern quad, boundary keep (method 1, slicing)\n");
  Tensor first;
  for (Strategy s : all_strategies()) {
    Tensor y(x.shape());
    ShiftOp op(x.shape(), Layout::nchw, spec, {s, 1});
    op.run(x.view(), y.view());
    if (s == Strategy::copy) {
      std::printf("%s\n\n", torch_format(y).c_str());
      first = Tensor(y.shape());
      std::memcpy(first.data(), y.data(), static_cast<size_t>(y.elements()) * sizeof(float));
      std::printf("  %-10s %-28s bit-exact with copy\n", "strategy", "kernel");
    }
    const bool same =
        std::memcmp(first.data(), y.data(), static_cast<size_t>(y.elements()) * sizeof(float)) == 0;
    std::printf("  %-10s %-28s %s\n", strategy_name(s), op.kernel_name().c_str(),
                same ? "yes" : "NO");
  }
}

void time_suite(bool include_dram, int threads) {
  const std::vector<Shape> suite = standard_shapes(include_dram);
  std::printf("\nEvery strategy on the shape suite: quad, boundary zero, nchw, %d thread%s\n",
              threads, threads == 1 ? "" : "s");
  std::printf(
      "median us; GB/s counts bytes read + written; x memcpy = memcpy time / strategy "
      "time; * fastest\nauto: the planner's choice (wisdom, else estimate)\n\n");
  std::printf("%-14s %10s", "shape", "memcpy");
  for (Strategy s : all_strategies()) std::printf(" %24s", strategy_name(s));
  std::printf("  auto\n");
  Planner planner;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1, 1);
  for (const Shape& shape : suite) {
    Tensor x(shape), y(shape);
    for (int64_t i = 0; i < x.elements(); ++i) x.data()[i] = dist(rng);
    const double bytes = 2.0 * x.elements() * sizeof(float);
    const double memcpy_us = median_microseconds(
        [&] { parallel_memcpy(y.data(), x.data(), x.elements() * sizeof(float), threads); });
    const ShiftSpec spec = parse_pattern("quad", shape.c, Boundary::zero);
    std::vector<double> us;
    for (Strategy s : all_strategies()) {
      ShiftOp op(shape, Layout::nchw, spec, {s, threads});
      us.push_back(median_microseconds([&] { op.run(x.view(), y.view()); }));
    }
    const size_t best = std::min_element(us.begin(), us.end()) - us.begin();
    std::printf("%-14s %10.1f", shape.str().c_str(), memcpy_us);
    for (size_t i = 0; i < us.size(); ++i) {
      char cell[64];
      std::snprintf(cell, sizeof cell, "%.1f %.0fGB/s %.2fx%s", us[i], bytes / us[i] / 1e3,
                    memcpy_us / us[i], i == best ? "*" : " ");
      std::printf(" %24s", cell);
    }
    const Plan plan = planner.plan({shape, Layout::nchw, spec, threads});
    std::printf("  %s (%s)\n", plan.candidate().name().c_str(), plan_source_name(plan.source()));
  }
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto dram = std::make_shared<bool>(false);
  auto threads = std::make_shared<int>(0);
  auto models = std::make_shared<std::string>("models");
  CLI::App* cmd = app.add_subcommand("demo", "Machine, the seed's example, the strategy table");
  cmd->add_flag("--dram", *dram, "also time the ~200 MiB DRAM-bound shape");
  cmd->add_option("--threads", *threads, "threads (default OMP_NUM_THREADS)");
  cmd->add_option("--models", *models, "directory of the bundled digits model (default models)");
  cmd->callback([dram, threads, models] {
    const SystemInfo info = system_info();
    std::printf("shiftnn %s demo\ncpu: %s\nisa: %s (detected %s), oneDNN %s, %d threads\n",
                version(), info.cpu_model.c_str(), info.kernel_isa.c_str(),
                info.detected_isa.c_str(), info.onednn_version.c_str(), info.max_threads);
    show_seed_example();
    time_suite(*dram, *threads > 0 ? *threads : info.max_threads);
    show_digits_model(*models, *threads > 0 ? *threads : 1);
  });
}

}  // namespace shiftnn::cli
