// The planner's decisions with an injected timing source (deterministic), its candidate
// enumeration, the cost model's ranking, problem keys, and many threads planning and
// running at once. Wisdom files live in a temporary directory, never in ~/.cache.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "engine/src/planner/problem_key.hpp"
#include "kernels/isa.hpp"
#include "kernels/kernel_table.hpp"
#include "shiftnn/error.hpp"
#include "shiftnn/planner.hpp"
#include "support/wisdom_support.hpp"

namespace {

using namespace shiftnn;
using test::isa;
using test::TempWisdomDir;
const TempWisdomDir temp_dir("shiftnn-planner");

// Times from a table by candidate name; unnamed candidates take `other` us. Never runs.
TimingSource table_timer(std::map<std::string, double> table, double other = 1000.0) {
  return [table, other](const Candidate& c, const std::function<void()>&, double) {
    const auto it = table.find(c.name());
    return Timing{it == table.end() ? other : it->second, false};
  };
}

PlannerOptions in_memory() {
  PlannerOptions o;
  o.use_wisdom_file = false;
  return o;
}

PlannerOptions measuring(const std::string& path, TimingSource timer) {
  PlannerOptions o;
  o.mode = PlanMode::measure;
  o.wisdom_path = path;
  o.timer = std::move(timer);
  return o;
}

ShiftProblem quad_problem(Shape shape, int threads, Boundary b = Boundary::zero) {
  return {shape, Layout::nchw, parse_pattern("quad", shape.c, b), threads};
}

TEST(Planner, CandidateNamesAreStable) {
  EXPECT_EQ((Candidate{Strategy::copy, 2, ""}.name()), "copy/" + isa() + "/t2");
  EXPECT_EQ((Candidate{Strategy::copy, 1, "nt"}.name()), "copy/" + isa() + "/t1/nt");
  Candidate c;
  ASSERT_TRUE(detail::parse_candidate("gridsample/" + isa() + "/t3", &c));
  EXPECT_EQ(c.strategy, Strategy::gridsample);
  EXPECT_EQ(c.threads, 3);
  EXPECT_FALSE(detail::parse_candidate("copy/notanisa/t1", &c));
  EXPECT_FALSE(detail::parse_candidate("copy/" + isa() + "/t0", &c));
  EXPECT_FALSE(detail::parse_candidate("warp/" + isa() + "/t1", &c));
  EXPECT_FALSE(detail::parse_candidate("copy/" + isa(), &c));
}

TEST(Planner, CandidatesServeTheProblem) {
  Planner planner(in_memory());
  const auto integer = planner.candidates(quad_problem({1, 8, 6, 6}, 3), PlanMode::exhaustive);
  // Five strategies x threads 1, 2, 3, plus at each thread count the nchw variants:
  // copy with streaming stores, dwconv convolving in nhwc.
  ASSERT_EQ(integer.size(), 7u * 3u);
  EXPECT_EQ(integer[0].name(), "copy/" + isa() + "/t1");
  EXPECT_EQ(integer[1].name(), "copy/" + isa() + "/t1/nt");
  EXPECT_EQ(integer[4].name(), "copy/" + isa() + "/t3");
  EXPECT_EQ(integer.back().name(), "gridsample/" + isa() + "/t3");
  ShiftProblem nhwc = quad_problem({1, 8, 6, 6}, 3);
  nhwc.layout = Layout::nhwc;
  for (const Candidate& c : planner.candidates(nhwc, PlanMode::exhaustive)) {
    const bool streaming_copy = c.strategy == Strategy::copy && c.variant == "nt";
    EXPECT_TRUE(c.variant.empty() || streaming_copy)
        << c.name() << ": dwconv's nhwc is nchw only; a small copy has no row prefetch to drop";
  }

  const auto measured = planner.candidates(quad_problem({1, 8, 6, 6}, 8), PlanMode::measure);
  std::vector<int> threads;
  for (const Candidate& c : measured) {
    if (c.strategy == Strategy::copy) threads.push_back(c.threads);
  }
  EXPECT_EQ(threads, (std::vector<int>{1, 2, 4, 8})) << "a small tensor tries no streaming stores";

  ShiftProblem frac{{1, 4, 6, 6}, Layout::nchw, parse_pattern("uniform:0.5,-1.25", 4), 1};
  for (const Candidate& c : planner.candidates(frac, PlanMode::measure)) {
    EXPECT_NE(c.strategy, Strategy::copy);
    EXPECT_NE(c.strategy, Strategy::roll);
  }
}

// Candidates of the planner for quad on `shape` that run `variant`, by name.
std::vector<std::string> variant_candidates(const Planner& planner, Shape shape, Layout layout,
                                            const std::string& variant) {
  ShiftProblem p = quad_problem(shape, 2);
  p.layout = layout;
  std::vector<std::string> out;
  for (const Candidate& c : planner.candidates(p, PlanMode::measure)) {
    if (c.variant == variant) out.push_back(c.name());
  }
  return out;
}

// The nhwc copy without its row prefetch is a candidate only where the default would
// prefetch: one thread, above kernels::kRowPrefetchBytes.
TEST(Planner, NoPrefetchCandidateOnlyWhereTheCopyPrefetches) {
  Planner planner(in_memory());
  auto names = [&](Shape shape, Layout layout) {
    return variant_candidates(planner, shape, layout, "noprefetch");
  };
  const Shape large{2, 96, 100, 100};
  ASSERT_GT(large.elements() * static_cast<int64_t>(sizeof(float)), kernels::kRowPrefetchBytes);
  EXPECT_EQ(names(large, Layout::nhwc),
            std::vector<std::string>{"copy/" + isa() + "/t1/noprefetch"});
  EXPECT_TRUE(names(large, Layout::nchw).empty());
  EXPECT_TRUE(names({2, 96, 80, 80}, Layout::nhwc).empty()) << "4.9 MiB: no prefetch to drop";
}

// The nhwc copy with rows forced ahead is a candidate only where the default leaves them
// to the pixel prefetch: one thread, up to kernels::kPixelPrefetchMaxBytes, on a host
// where !host_prefetches_rows_with_pixels (Zen 5).
TEST(Planner, PrefetchCandidateOnlyWhereTheHostSkipsTheRows) {
  Planner planner(in_memory());
  auto names = [&](Shape shape, Layout layout) {
    return variant_candidates(planner, shape, layout, "prefetch");
  };
  const Shape large{2, 96, 100, 100};
  ASSERT_GT(large.elements() * static_cast<int64_t>(sizeof(float)), kernels::kRowPrefetchBytes);
  ASSERT_LE(large.elements() * static_cast<int64_t>(sizeof(float)),
            kernels::kPixelPrefetchMaxBytes);
  const std::vector<std::string> expected =
      kernels::host_prefetches_rows_with_pixels()
          ? std::vector<std::string>{}
          : std::vector<std::string>{"copy/" + isa() + "/t1/prefetch"};
  EXPECT_EQ(names(large, Layout::nhwc), expected);
  EXPECT_TRUE(names(large, Layout::nchw).empty());
  EXPECT_TRUE(names({2, 96, 80, 80}, Layout::nhwc).empty()) << "4.9 MiB: no rows prefetched";
  EXPECT_TRUE(names({8, 96, 100, 100}, Layout::nhwc).empty()) << "29 MiB: rows on every host";
}

TEST(Planner, InvalidProblemIsAClearError) {
  Planner planner(in_memory());
  EXPECT_THROW(planner.plan(quad_problem({1, 0, 4, 4}, 1)), Error);
  ShiftProblem wrong = quad_problem({1, 8, 4, 4}, 1);
  wrong.shape.c = 9;
  EXPECT_THROW(planner.plan(wrong), Error);
}

TEST(Planner, FastestMeasuredCandidateWins) {
  const std::string path = temp_dir.file("fastest.json");
  const std::string t1 = "/" + isa() + "/t1", t2 = "/" + isa() + "/t2";
  Planner planner(measuring(
      path,
      table_timer({{"copy" + t1, 50}, {"copy" + t2, 40}, {"roll" + t1, 30}, {"deform" + t2, 35}})));
  const Plan plan = planner.plan(quad_problem({1, 8, 6, 6}, 2));
  EXPECT_EQ(plan.source(), PlanSource::measured);
  EXPECT_EQ(plan.candidate().name(), "roll" + t1);
  EXPECT_EQ(plan.op().strategy(), Strategy::roll);
  EXPECT_EQ(plan.op().threads(), 1);
  ASSERT_EQ(plan.timings().size(), 12u);  // 5 strategies + dwconv/nhwc, at 1 and 2 threads
  for (const CandidateTiming& row : plan.timings()) EXPECT_TRUE(row.measured);

  // Remembered at once, in this planner and in a fresh one reading the file.
  EXPECT_EQ(planner.plan(quad_problem({1, 8, 6, 6}, 2)).source(), PlanSource::wisdom);
  Planner reader(test::reading(path));
  const auto remembered = reader.remembered(quad_problem({1, 8, 6, 6}, 2));
  ASSERT_TRUE(remembered.has_value());
  EXPECT_EQ(remembered->name(), "roll" + t1);
  EXPECT_FALSE(reader.remembered(quad_problem({1, 8, 6, 6}, 1)).has_value());
}

TEST(Planner, TiesGoToTheEarlierCandidate) {
  // Every candidate takes the same time: copy at one thread comes first.
  Planner planner(measuring(temp_dir.file("ties.json"), table_timer({}, 10.0)));
  EXPECT_EQ(planner.tune(quad_problem({1, 8, 6, 6}, 2), PlanMode::measure).candidate().name(),
            "copy/" + isa() + "/t1");
  const std::string t2 = "/" + isa() + "/t2";
  Planner later(measuring(temp_dir.file("ties2.json"),
                          table_timer({{"deform" + t2, 5}, {"gridsample" + t2, 5}}, 10.0)));
  EXPECT_EQ(later.tune(quad_problem({1, 8, 6, 6}, 2), PlanMode::measure).candidate().name(),
            "deform" + t2);
}

TEST(Planner, PrunedCandidatesNeverWin) {
  // A pruned time is a lower bound from one cold call, not a median.
  PlannerOptions o =
      measuring(temp_dir.file("pruned.json"),
                [](const Candidate& c, const std::function<void()>&, double best_us) {
                  if (c.strategy == Strategy::gridsample) return Timing{1.0, best_us > 0};
                  return Timing{c.strategy == Strategy::copy ? 20.0 : 30.0, false};
                });
  Planner planner(o);
  const Plan plan = planner.tune(quad_problem({1, 8, 6, 6}, 1), PlanMode::measure);
  EXPECT_EQ(plan.candidate().strategy, Strategy::copy);
}

TEST(Planner, EstimateRanksStrategiesSensibly) {
  Planner planner(in_memory());
  for (Shape shape : {Shape{1, 8, 5, 5}, Shape{1, 96, 56, 56}, Shape{1, 768, 7, 7},
                      Shape{8, 96, 56, 56}, Shape{64, 256, 56, 56}}) {
    const ShiftProblem p = quad_problem(shape, 1);
    const auto us = [&](Strategy s) { return planner.estimate_us(p, {s, 1, ""}); };
    EXPECT_LT(us(Strategy::copy), us(Strategy::roll)) << shape.str();
    EXPECT_LT(us(Strategy::copy), us(Strategy::gridsample)) << shape.str();
    EXPECT_LT(us(Strategy::copy), us(Strategy::dwconv)) << shape.str();
    EXPECT_LT(us(Strategy::deform), us(Strategy::gridsample)) << shape.str();
    const Plan plan = planner.plan(p);
    EXPECT_EQ(plan.source(), PlanSource::estimated);
    EXPECT_EQ(plan.candidate().strategy, Strategy::copy) << shape.str();
  }
  // Fractional: deform, the cheapest strategy that can serve it.
  ShiftProblem frac{{1, 96, 56, 56}, Layout::nchw, parse_pattern("uniform:0.5,0.5", 96), 1};
  EXPECT_EQ(planner.choose(frac).strategy, Strategy::deform);
  // A tiny tensor does not pay for a parallel region; one the size of L3 uses both cores.
  EXPECT_EQ(planner.choose(quad_problem({1, 8, 5, 5}, 2)).threads, 1);
  EXPECT_EQ(planner.choose(quad_problem({8, 96, 56, 56}, 2)).threads, 2);
  EXPECT_EQ(planner.choose(quad_problem({64, 256, 56, 56}, 2)).threads, 2);
}

TEST(Planner, EquivalentPatternsShareAKey) {
  const ShiftSpec quad = parse_pattern("quad", 8);
  std::string list = "list:";
  for (int c = 0; c < 8; ++c) {
    list += (c ? ";" : "") + std::to_string(static_cast<int>(quad.dh[c])) + "," +
            std::to_string(static_cast<int>(quad.dw[c]));
  }
  const Shape s{1, 8, 6, 6};
  const std::string key = detail::problem_key({s, Layout::nchw, quad, 2}, 2);
  EXPECT_EQ(key, detail::problem_key({s, Layout::nchw, parse_pattern(list, 8), 2}, 2));
  EXPECT_NE(key, detail::problem_key({s, Layout::nhwc, quad, 2}, 2));
  EXPECT_NE(key, detail::problem_key({s, Layout::nchw, quad, 2}, 1));
  EXPECT_NE(key, detail::problem_key({s, Layout::nchw, parse_pattern("quad:2", 8), 2}, 2));
  EXPECT_NE(key,
            detail::problem_key({s, Layout::nchw, parse_pattern("quad", 8, Boundary::keep)}, 2));
  EXPECT_NE(key, detail::problem_key({{2, 8, 6, 6}, Layout::nchw, quad, 2}, 2));
}

TEST(Planner, PlanComputesTheShift) {
  const Shape shape{2, 8, 7, 9};
  Tensor x(shape), expect(shape), got(shape);
  for (int64_t i = 0; i < x.elements(); ++i) x.data()[i] = static_cast<float>(i % 97) - 40.0f;
  const ShiftProblem p = quad_problem(shape, 2, Boundary::replicate);
  ShiftOp(shape, Layout::nchw, p.spec, {Strategy::copy, 1}).run(x.view(), expect.view());
  const std::string t2 = "/" + isa() + "/t2";
  Planner planner(measuring(temp_dir.file("computes.json"), table_timer({{"roll" + t2, 1}})));
  const Plan plan = planner.plan(p);
  EXPECT_EQ(plan.candidate().name(), "roll" + t2);
  plan.run(x.view(), got.view());
  EXPECT_EQ(std::memcmp(expect.data(), got.data(), x.elements() * sizeof(float)), 0);
}

TEST(Planner, ManyThreadsPlanAndRunAtOnce) {
  const std::string t1 = "/" + isa() + "/t1";
  Planner planner(measuring(temp_dir.file("threads.json"), table_timer({{"deform" + t1, 1}})));
  std::atomic<int> failures{0};
  std::vector<std::thread> pool;
  for (int i = 0; i < 8; ++i) {
    pool.emplace_back([&, i] {
      for (int k = 0; k < 6; ++k) {
        // Half the threads share shapes (same key), the rest plan their own.
        const Shape shape{1, 8, 4 + (i % 4), 5 + k};
        const ShiftProblem p = quad_problem(shape, 2);
        const Plan plan = planner.plan(p);
        if (plan.candidate().name() != "deform" + t1) ++failures;
        if (planner.choose(p).name() != "deform" + t1) ++failures;
        Tensor x(shape), y(shape), ref(shape);
        for (int64_t e = 0; e < x.elements(); ++e) x.data()[e] = static_cast<float>(e);
        plan.run(x.view(), y.view());
        ShiftOp(shape, Layout::nchw, p.spec, {Strategy::copy, 1}).run(x.view(), ref.view());
        if (std::memcmp(y.data(), ref.data(), x.elements() * sizeof(float)) != 0) ++failures;
      }
    });
  }
  for (std::thread& t : pool) t.join();
  EXPECT_EQ(failures.load(), 0);
  Planner reader(test::reading(temp_dir.file("threads.json")));
  for (int h = 4; h < 8; ++h) {
    for (int w = 5; w < 11; ++w) {
      EXPECT_TRUE(reader.remembered(quad_problem({1, 8, h, w}, 2)).has_value()) << h << "x" << w;
    }
  }
}

TEST(Planner, AutomaticUsesTheDefaultWisdom) {
  // SHIFTNN_WISDOM points into the temporary directory (set before main).
  const std::string path = std::getenv("SHIFTNN_WISDOM");
  const std::string t1 = "/" + isa() + "/t1";
  const Shape shape{1, 12, 5, 7};
  Planner tuner(measuring(path, table_timer({{"gridsample" + t1, 1}})));
  tuner.tune(quad_problem(shape, 2), PlanMode::measure);
  // The process-wide planner reads the file when Strategy::automatic is first used.
  const ShiftSpec spec = parse_pattern("quad", shape.c);
  const ShiftOp op(shape, Layout::nchw, spec, {Strategy::automatic, 2});
  EXPECT_EQ(op.strategy(), Strategy::gridsample);
  EXPECT_EQ(op.threads(), 1);
  // A miss: the cost model's choice, copy.
  EXPECT_EQ(ShiftOp({1, 12, 6, 7}, Layout::nchw, spec, {Strategy::automatic, 2}).strategy(),
            Strategy::copy);
}

TEST(Planner, AutomaticFromManyThreads) {
  std::atomic<int> failures{0};
  std::vector<std::thread> pool;
  for (int i = 0; i < 8; ++i) {
    pool.emplace_back([&, i] {
      const Shape shape{1, 16, 6 + i, 6};
      const ShiftSpec spec = parse_pattern("quad", shape.c);
      Tensor x(shape), y(shape);
      for (int k = 0; k < 20; ++k) {
        ShiftOp op(shape, Layout::nchw, spec, {Strategy::automatic, 1});
        op.run(x.view(), y.view());
        if (op.strategy() != Strategy::copy) ++failures;
      }
    });
  }
  for (std::thread& t : pool) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
