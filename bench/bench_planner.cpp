// The planner's benchmarks: what a remembered decision costs (the lookup every
// Strategy::automatic pays), and the 5% rule — over the shape suite, the candidate the
// planner picks in measure mode is timed again with every other candidate in the same
// run, and must be within 5% of the fastest of them.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "shiftnn/planner.hpp"
#include "shiftnn/timing.hpp"

namespace {

using namespace shiftnn;

ShiftProblem quad_problem(Shape shape) {
  return {shape, Layout::nchw, parse_pattern("quad", shape.c), 0};
}

// A wisdom file in a temporary directory holding one decision for `shape`.
struct RememberingPlanner {
  std::string dir;
  std::unique_ptr<Planner> planner;
  explicit RememberingPlanner(Shape shape) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "shiftnn-bench-XXXXXX").string();
    dir = mkdtemp(tmpl.data());
    PlannerOptions o;
    o.mode = PlanMode::measure;
    o.wisdom_path = dir + "/wisdom.json";
    o.timer = [](const Candidate& c, const std::function<void()>&, double) {
      return Timing{c.strategy == Strategy::copy ? 1.0 : 2.0, false};
    };
    planner = std::make_unique<Planner>(o);
    planner->plan(quad_problem(shape));
  }
  ~RememberingPlanner() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

// Lookup only: problem key (hash of C displacement pairs) + map find.
void BM_WisdomHit(benchmark::State& state) {
  const Shape shape{1, state.range(0), 14, 14};
  RememberingPlanner r(shape);
  const ShiftProblem p = quad_problem(shape);
  for (auto _ : state) {
    auto c = r.planner->remembered(p);
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_WisdomHit)->Arg(96)->Arg(768);

// What Strategy::automatic's choice costs on a hit: choose() = lookup, no estimate.
void BM_WisdomHitChoose(benchmark::State& state) {
  const Shape shape{1, state.range(0), 14, 14};
  RememberingPlanner r(shape);
  const ShiftProblem p = quad_problem(shape);
  for (auto _ : state) {
    Candidate c = r.planner->choose(p);
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_WisdomHitChoose)->Arg(96)->Arg(768);

// A miss in estimate mode: the cost model over every candidate.
void BM_EstimateMiss(benchmark::State& state) {
  PlannerOptions o;
  o.use_wisdom_file = false;
  Planner planner(o);
  const ShiftProblem p = quad_problem({1, state.range(0), 14, 14});
  for (auto _ : state) {
    Candidate c = planner.choose(p);
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_EstimateMiss)->Arg(96)->Arg(768);

struct RuleRow {
  std::string shape, pick, fastest;
  double pick_us = 0, fastest_us = 0, tune_s = 0;
};
std::vector<RuleRow> rule_rows;

// One iteration: tune (measure mode, in memory), then re-time every candidate that the
// planner timed in full, each with a fresh operator; the pick's new time vs the best.
void BM_FivePercentRule(benchmark::State& state, Shape shape) {
  for (auto _ : state) {
    PlannerOptions o;
    o.use_wisdom_file = false;
    Planner planner(o);
    const ShiftProblem p = quad_problem(shape);
    const auto t0 = std::chrono::steady_clock::now();
    const Plan plan = planner.tune(p, PlanMode::measure);
    const double tune_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    Tensor x(shape), y(shape);
    for (int64_t i = 0; i < x.elements(); ++i) x.data()[i] = static_cast<float>(i % 251);
    RuleRow row{shape.str(), plan.candidate().name(), "", 0, 0, tune_s};
    for (const CandidateTiming& t : plan.timings()) {
      if (t.pruned) continue;
      const ShiftOp op(shape, Layout::nchw, p.spec, {t.candidate.strategy, t.candidate.threads});
      const double us = median_microseconds([&] { op.run(x.view(), y.view()); });
      if (t.candidate == plan.candidate()) row.pick_us = us;
      if (row.fastest.empty() || us < row.fastest_us) {
        row.fastest = t.candidate.name();
        row.fastest_us = us;
      }
    }
    state.counters["pick_us"] = row.pick_us;
    state.counters["fastest_us"] = row.fastest_us;
    state.counters["pick/fastest"] = row.pick_us / row.fastest_us;
    state.counters["tune_s"] = tune_s;
    state.SetLabel("pick " + row.pick + ", fastest again " + row.fastest);
    rule_rows.push_back(row);
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (const Shape& s : shiftnn::bench::suite_shapes()) {
    benchmark::RegisterBenchmark(("BM_FivePercentRule/" + s.str()).c_str(), BM_FivePercentRule, s)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (rule_rows.empty()) return 0;
  int within = 0;
  double slowest_tune = 0;
  for (const RuleRow& r : rule_rows) {
    within += r.pick_us <= 1.05 * r.fastest_us;
    slowest_tune = std::max(slowest_tune, r.tune_s);
  }
  std::printf(
      "5%% rule: %d/%zu shapes have the planner's pick within 5%% of the fastest "
      "candidate timed again; slowest tune %.2f s\n",
      within, rule_rows.size(), slowest_tune);
  for (const RuleRow& r : rule_rows) {
    std::printf("  %-14s pick %-22s %9.1f us  fastest again %-22s %9.1f us  %.3fx%s\n",
                r.shape.c_str(), r.pick.c_str(), r.pick_us, r.fastest.c_str(), r.fastest_us,
                r.pick_us / r.fastest_us, r.pick_us <= 1.05 * r.fastest_us ? "" : "  > 5%");
  }
  return 0;
}
