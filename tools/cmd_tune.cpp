// shiftnn tune: the planner's candidates for one shape (or the SPEC §5 suite), one row
// each with its median time, bandwidth and ratio to a memcpy of the same bytes; the
// winner is marked and stored in the wisdom file.
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <vector>

#include <omp.h>

#include "cli_support.hpp"
#include "shiftnn/baseline.hpp"
#include "shiftnn/error.hpp"
#include "shiftnn/planner.hpp"
#include "shiftnn/timing.hpp"

namespace shiftnn::cli {
namespace {

struct TuneArgs {
  std::string shape, pattern = "quad", boundary = "zero", layout = "nchw", mode = "measure", wisdom;
  int threads = 0;
  bool suite = false;
};

// Median us of a memcpy of x's bytes split over `threads`, as the shift kernels split.
double memcpy_us(const Tensor& x, Tensor& y, int threads) {
  return median_microseconds(
      [&] { parallel_memcpy(y.data(), x.data(), x.elements() * sizeof(float), threads); });
}

void tune_one(Planner& planner, const TuneArgs& a, Shape shape, PlanMode mode) {
  const Layout layout = parse_layout(a.layout);
  const ShiftProblem problem{
      shape, layout, parse_pattern(a.pattern, shape.c, parse_boundary(a.boundary)), a.threads};
  const auto t0 = std::chrono::steady_clock::now();
  const Plan plan = planner.tune(problem, mode);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::printf("\n%s %s pattern %s boundary %s, up to %d threads, mode %s\n", shape.str().c_str(),
              layout_name(layout), a.pattern.c_str(), a.boundary.c_str(),
              a.threads > 0 ? a.threads : omp_get_max_threads(), plan_mode_name(mode));
  const bool timed = plan.source() == PlanSource::measured;
  std::printf("  %-26s %12s %9s %9s\n", "candidate", timed ? "median us" : "estimate us", "GB/s",
              "x memcpy");
  Tensor x(shape, layout), y(shape, layout);
  std::map<int, double> memcpy_by_threads;
  const double bytes = 2.0 * static_cast<double>(shape.elements()) * sizeof(float);
  for (const CandidateTiming& row : plan.timings()) {
    const int t = row.candidate.threads;
    if (!memcpy_by_threads.count(t)) memcpy_by_threads[t] = memcpy_us(x, y, t);
    const bool winner = row.candidate == plan.candidate();
    std::printf("  %-26s %s%11.1f %9.1f %9.2f%s\n", row.candidate.name().c_str(),
                row.pruned ? ">" : " ", row.microseconds, bytes / row.microseconds / 1e3,
                memcpy_by_threads[t] / row.microseconds, winner ? "  * winner" : "");
  }
  std::printf(
      "  (GB/s: bytes read + written; x memcpy: memcpy of the same bytes on as many "
      "threads / this time%s)\n",
      timed ? "; >: pruned after one cold call" : "");
  if (timed) {
    std::printf("  winner %s, tuned in %.2f s, stored in %s\n", plan.candidate().name().c_str(),
                seconds, planner.wisdom_path().c_str());
  } else {
    std::printf("  winner %s (%s, not stored)\n", plan.candidate().name().c_str(),
                plan_source_name(plan.source()));
  }
}

void run_tune(const TuneArgs& a) {
  const PlanMode mode = parse_plan_mode(a.mode);
  if (a.threads < 0) throw Error("--threads must be positive");
  if (a.suite == !a.shape.empty()) throw Error("tune needs exactly one of --shape and --suite");
  PlannerOptions options;
  options.mode = mode;
  options.wisdom_path = a.wisdom;
  Planner planner(options);
  const bool timing = mode == PlanMode::measure || mode == PlanMode::exhaustive;
  if (timing && !planner.calibrated()) {
    planner.calibrate();
    std::printf("measured this machine's copy bandwidth for the cost model (stored in %s)\n",
                planner.wisdom_path().c_str());
  }
  const std::vector<Shape> shapes =
      a.suite ? standard_shapes(true) : std::vector<Shape>{parse_shape(a.shape)};
  for (const Shape& shape : shapes) tune_one(planner, a, shape, mode);
}

}  // namespace

void add_tune_command(CLI::App& app) {
  auto a = std::make_shared<TuneArgs>();
  CLI::App* cmd = app.add_subcommand(
      "tune", "Time every candidate for a shape, print them, store the fastest (wisdom)");
  cmd->add_option("--shape", a->shape, "NxCxHxW");
  cmd->add_flag("--suite", a->suite, "tune the standard shape suite (SPEC §5)");
  cmd->add_option("--pattern", a->pattern, "pattern (default quad)");
  cmd->add_option("--boundary", a->boundary, "zero|replicate|keep|circular");
  cmd->add_option("--layout", a->layout, "nchw|nhwc");
  cmd->add_option("--threads", a->threads, "thread budget (default OMP_NUM_THREADS)");
  cmd->add_option("--mode", a->mode, "estimate|measure|exhaustive|wisdom-only (default measure)");
  cmd->add_option("--wisdom", a->wisdom, "wisdom file (default SHIFTNN_WISDOM or ~/.cache)");
  cmd->callback([a] { run_tune(*a); });
}

}  // namespace shiftnn::cli
