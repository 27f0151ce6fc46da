#include "shiftnn/planner.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <unordered_map>

#include "../parallel.hpp"
#include "automatic.hpp"
#include "cost_model.hpp"
#include "kernels/isa.hpp"
#include "kernels/kernel_table.hpp"
#include "problem_key.hpp"
#include "shiftnn/error.hpp"
#include "shiftnn/timing.hpp"
#include "wisdom.hpp"

namespace shiftnn {
namespace {

// A candidate whose two first calls (cold) both take this many times the best median so
// far, and over kPruneMinUs, is not timed further: it cannot win, and timing it in full
// would blow the tuning budget on large tensors. Two calls, so one scheduling stall on a
// loaded machine does not prune the winner.
constexpr double kPruneFactor = 5.0;
constexpr double kPruneMinUs = 1000.0;
// Candidates within this fraction of the best are timed again in kExtraRounds
// interleaved rounds and keep their best median: on a shared machine one round is luck.
constexpr double kRetimeWithin = 0.25;
constexpr int kExtraRounds = 2;
// Outputs of at least this many bytes also try streaming stores in measure mode
// (exhaustive always does): inside L2 they only lose (1x96x56x56 quad nhwc, 1 thread:
// 0.53x memcpy against 0.86x); beyond it either may win from run to run on a shared
// machine (8x96x56x56: 0.79x against 0.59x; 32x64x32x32: 0.49x against 0.75x).
constexpr double kStreamingMinBytes = 4.0 * (1 << 20);

ShiftOptions options_of(const Candidate& c) {
  return {c.strategy, c.threads, c.variant};
}

Timing wall_clock(const std::function<void()>& run, double best_us, double min_seconds) {
  const auto call_us = [&] {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  };
  if (best_us > 0) {
    const double first = call_us();
    if (first > kPruneMinUs && first > kPruneFactor * best_us) {
      const double second = std::min(first, call_us());
      if (second > kPruneFactor * best_us) return {second, true};
    }
  }
  return {median_microseconds(run, min_seconds), false};
}

ShiftProblem resolved(const ShiftProblem& p) {
  if (p.shape.n <= 0 || p.shape.c <= 0 || p.shape.h <= 0 || p.shape.w <= 0) {
    throw Error("shift needs a non-empty N,C,H,W tensor, got " + p.shape.str());
  }
  p.spec.validate(p.shape.c);
  ShiftProblem r = p;
  r.threads = detail::resolve_threads(p.threads);
  return r;
}

std::vector<int> thread_counts(int budget, PlanMode mode) {
  std::vector<int> counts;
  if (mode == PlanMode::measure) {
    // 1, powers of two, the budget: the shape of the curve without timing every count.
    for (int t = 1; t < budget; t *= 2) counts.push_back(t);
    counts.push_back(budget);
  } else {
    for (int t = 1; t <= budget; ++t) counts.push_back(t);
  }
  return counts;
}

void fill_random(Tensor& t) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (int64_t i = 0; i < t.elements(); ++i) t.data()[i] = dist(rng);
}

}  // namespace

const char* plan_mode_name(PlanMode mode) {
  switch (mode) {
    case PlanMode::estimate:
      return "estimate";
    case PlanMode::measure:
      return "measure";
    case PlanMode::exhaustive:
      return "exhaustive";
    case PlanMode::wisdom_only:
      return "wisdom-only";
  }
  return "?";
}

PlanMode parse_plan_mode(const std::string& name) {
  for (PlanMode m :
       {PlanMode::estimate, PlanMode::measure, PlanMode::exhaustive, PlanMode::wisdom_only}) {
    if (name == plan_mode_name(m)) return m;
  }
  throw Error("unknown planner mode '" + name +
              "' (expected estimate, measure, exhaustive or wisdom-only)");
}

const char* plan_source_name(PlanSource source) {
  switch (source) {
    case PlanSource::wisdom:
      return "wisdom";
    case PlanSource::measured:
      return "measured";
    case PlanSource::estimated:
      return "estimated";
  }
  return "?";
}

std::string Candidate::name() const {
  std::string n = std::string(strategy_name(strategy)) + "/" +
                  kernels::isa_name(kernels::active_isa()) + "/t" + std::to_string(threads);
  if (!variant.empty()) n += "/" + variant;
  return n;
}

std::string default_wisdom_path() {
  if (const char* env = std::getenv("SHIFTNN_WISDOM"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    return std::string(xdg) + "/shiftnn/wisdom.json";
  }
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.cache/shiftnn/wisdom.json";
}

struct Planner::State {
  PlannerOptions options;
  std::string path;  // empty: in memory only
  int max_threads = 1;

  mutable std::shared_mutex mutex;  // guards the two below
  std::unordered_map<std::string, detail::WisdomEntry> entries;
  detail::MachineProfile machine;

  std::mutex measuring;  // one measurement at a time: concurrent ones disturb each other

  // Stores `mine` in the file (merged with what others wrote) and adopts the result.
  // Remembered in memory even when the file cannot be written (then throws Error).
  void store(const detail::WisdomData& mine) {
    adopt(mine);
    if (!path.empty() && options.write_wisdom) adopt(detail::merge_wisdom(path, mine));
  }

  void adopt(const detail::WisdomData& d) {
    std::unique_lock<std::shared_mutex> lock(mutex);
    for (const auto& [key, e] : d.entries) entries[key] = e;
    if (d.machine) machine = *d.machine;
  }

  Timing time(const Candidate& c, const std::function<void()>& run, double best_us) const {
    if (options.timer) return options.timer(c, run, best_us);
    return wall_clock(run, best_us, options.min_seconds);
  }
};

Planner::Planner(PlannerOptions options) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.options = std::move(options);
  s.max_threads = detail::resolve_threads(0);
  s.machine = detail::default_profile(s.max_threads);
  if (!s.options.use_wisdom_file) return;
  s.path = s.options.wisdom_path.empty() ? default_wisdom_path() : s.options.wisdom_path;
  const detail::WisdomLoad load = detail::load_wisdom(s.path);
  detail::warn_about(s.path, load);
  for (const auto& [key, e] : load.data.entries) s.entries[key] = e;
  if (load.data.machine) s.machine = *load.data.machine;
}

Planner::~Planner() = default;

const std::string& Planner::wisdom_path() const {
  return state_->path;
}

bool Planner::calibrated() const {
  std::shared_lock<std::shared_mutex> lock(state_->mutex);
  return state_->machine.measured;
}

void Planner::calibrate() {
  std::lock_guard<std::mutex> measuring(state_->measuring);
  detail::WisdomData mine;
  mine.machine = detail::measure_profile(state_->max_threads, state_->options.min_seconds);
  state_->store(mine);
}

std::vector<Candidate> Planner::candidates(const ShiftProblem& problem, PlanMode mode) const {
  const ShiftProblem p = resolved(problem);
  std::vector<Candidate> out;
  for (Strategy s : all_strategies()) {
    if (!why_cannot_serve(s, p.spec, p.shape, p.layout).empty()) continue;
    std::vector<std::string> variants = strategy_variants(s, p.layout);
    const int64_t bytes = p.shape.elements() * static_cast<int64_t>(sizeof(float));
    if (s == Strategy::copy && mode != PlanMode::exhaustive && bytes < kStreamingMinBytes) {
      variants.clear();
    }
    for (int t : thread_counts(p.threads, mode)) {
      out.push_back({s, t, ""});
      for (const std::string& v : variants) {
        // Without software prefetch the copy differs only where it would prefetch, and
        // with rows forced ahead only where the host leaves them to the pixel prefetch.
        if (v == "noprefetch" && !kernels::copy_prefetches_rows(bytes, t)) continue;
        if (v == "prefetch" &&
            !(kernels::copy_prefetches_rows(bytes, t) && bytes <= kernels::kPixelPrefetchMaxBytes &&
              !kernels::host_prefetches_rows_with_pixels())) {
          continue;
        }
        out.push_back({s, t, v});
      }
    }
  }
  return out;
}

double Planner::estimate_us(const ShiftProblem& problem, const Candidate& candidate) const {
  const ShiftProblem p = resolved(problem);
  std::shared_lock<std::shared_mutex> lock(state_->mutex);
  return detail::estimate_us(state_->machine, p, candidate);
}

std::optional<Candidate> Planner::remembered(const ShiftProblem& problem) const {
  const std::string key = detail::problem_key(problem, detail::resolve_threads(problem.threads));
  std::shared_lock<std::shared_mutex> lock(state_->mutex);
  const auto it = state_->entries.find(key);
  if (it == state_->entries.end()) return std::nullopt;
  return it->second.candidate;
}

Candidate Planner::choose(const ShiftProblem& problem) const {
  if (std::optional<Candidate> c = remembered(problem)) return *c;
  const std::vector<Candidate> cands = candidates(problem, PlanMode::estimate);
  size_t best = 0;
  double best_us = 0;
  for (size_t i = 0; i < cands.size(); ++i) {
    const double us = estimate_us(problem, cands[i]);
    if (i == 0 || us < best_us) {
      best = i;
      best_us = us;
    }
  }
  return cands.at(best);
}

Plan Planner::plan(const ShiftProblem& problem) {
  if (std::optional<Candidate> c = remembered(problem)) {
    const ShiftProblem p = resolved(problem);
    ShiftOp op(p.shape, p.layout, p.spec, options_of(*c));
    return Plan(std::move(op), *c, PlanSource::wisdom, {});
  }
  const PlanMode mode = state_->options.mode;
  if (mode == PlanMode::measure || mode == PlanMode::exhaustive) {
    try {
      return tune(problem, mode);
    } catch (const Error& e) {
      // A wisdom file that cannot be written must not stop inference.
      if (std::optional<Candidate> c = remembered(problem)) {
        std::fprintf(stderr, "shiftnn: warning: %s\n", e.what());
        const ShiftProblem p = resolved(problem);
        ShiftOp op(p.shape, p.layout, p.spec, options_of(*c));
        return Plan(std::move(op), *c, PlanSource::measured, {});
      }
      throw;
    }
  }
  return tune(problem, PlanMode::estimate);
}

Plan Planner::tune(const ShiftProblem& problem, PlanMode mode) {
  const ShiftProblem p = resolved(problem);
  if (mode == PlanMode::wisdom_only) {
    if (std::optional<Candidate> c = remembered(p)) {
      return Plan(ShiftOp(p.shape, p.layout, p.spec, options_of(*c)), *c, PlanSource::wisdom, {});
    }
    mode = PlanMode::estimate;
  }
  const std::vector<Candidate> cands = candidates(p, mode);
  std::vector<CandidateTiming> rows;
  for (const Candidate& c : cands) rows.push_back({c, estimate_us(p, c), false, false});

  if (mode == PlanMode::estimate) {
    size_t best = 0;
    for (size_t i = 1; i < rows.size(); ++i) {
      if (rows[i].microseconds < rows[best].microseconds) best = i;
    }
    const Candidate& c = rows[best].candidate;
    ShiftOp op(p.shape, p.layout, p.spec, options_of(c));
    return Plan(std::move(op), c, PlanSource::estimated, std::move(rows));
  }

  std::lock_guard<std::mutex> measuring(state_->measuring);
  Tensor x(p.shape, p.layout), y(p.shape, p.layout);
  fill_random(x);
  std::vector<ShiftOp> ops;
  for (const Candidate& c : cands) ops.emplace_back(p.shape, p.layout, p.spec, options_of(c));
  // Cheapest estimate first, so the best median is known early and hopeless
  // candidates are pruned after one call.
  std::vector<size_t> order(cands.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return rows[a].microseconds < rows[b].microseconds; });
  double best_us = 0;
  for (size_t i : order) {
    const Timing t = state_->time(
        cands[i], [&] { ops[i].run(x.view(), y.view()); }, best_us);
    rows[i].microseconds = t.microseconds;
    rows[i].measured = true;
    rows[i].pruned = t.pruned;
    if (!t.pruned && (best_us == 0 || t.microseconds < best_us)) best_us = t.microseconds;
  }
  for (int round = 0; round < kExtraRounds; ++round) {
    for (size_t i : order) {
      if (rows[i].pruned || rows[i].microseconds > best_us * (1 + kRetimeWithin)) continue;
      const Timing t = state_->time(
          cands[i], [&] { ops[i].run(x.view(), y.view()); }, 0);
      rows[i].microseconds = std::min(rows[i].microseconds, t.microseconds);
      best_us = std::min(best_us, rows[i].microseconds);
    }
  }
  // The fastest wins; ties go to the earlier candidate in enumeration order.
  size_t best = cands.size();
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].pruned) continue;
    if (best == cands.size() || rows[i].microseconds < rows[best].microseconds) best = i;
  }
  if (best == cands.size()) throw Error("planner: every candidate was pruned");
  const Candidate winner = cands[best];

  detail::WisdomData mine;
  mine.entries[detail::problem_key(p, p.threads)] = {winner, rows[best].microseconds, mode};
  state_->store(mine);
  return Plan(std::move(ops[best]), winner, PlanSource::measured, std::move(rows));
}

namespace detail {

Candidate automatic_candidate(const ShiftProblem& problem) {
  static Planner planner([] {
    PlannerOptions o;
    o.mode = PlanMode::estimate;
    o.write_wisdom = false;
    return o;
  }());
  return planner.choose(problem);
}

}  // namespace detail
}  // namespace shiftnn
