#pragma once
// The planner: picks the fastest way to run a shift on this machine, by a cost model
// (estimate) or by timing every candidate (measure), and remembers measured decisions
// in a wisdom file shared between processes. Plan once, run many times:
//
//   shiftnn::Planner planner({shiftnn::PlanMode::measure});
//   shiftnn::Plan plan = planner.plan({shape, Layout::nchw, spec});
//   plan.run(in, out);
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shiftnn/shift.hpp"

namespace shiftnn {

// What the planner does for a problem it has no remembered decision for.
enum class PlanMode {
  estimate,     // cost model only, no timing
  measure,      // time every strategy at 1 and at the full thread budget
  exhaustive,   // time every strategy x every thread count x every variant
  wisdom_only,  // never time; a miss falls back to estimate
};

const char* plan_mode_name(PlanMode mode);          // "estimate", ..., "wisdom-only"
PlanMode parse_plan_mode(const std::string& name);  // throws Error

// One shift to plan: the problem key is built from these (the displacement table by
// value, so equivalent patterns share decisions) plus dtype, op and the kernel ISA.
struct ShiftProblem {
  Shape shape;
  Layout layout = Layout::nchw;
  ShiftSpec spec;
  int threads = 0;  // budget: candidates use 1..threads; 0: omp_get_max_threads()
};

// One way to run a problem.
struct Candidate {
  Strategy strategy = Strategy::copy;
  int threads = 1;
  // A kernel variant of the strategy (ShiftOptions::variant): "nt" = copy with
  // streaming stores, "noprefetch" = nhwc copy without software prefetch, "prefetch" =
  // nhwc copy asking for rows ahead wherever the kernel can, "nhwc" = dwconv
  // convolving nchw tensors in nhwc; empty: default.
  std::string variant;

  // Stable name, e.g. "copy/avx512f/t2" or "copy/avx512f/t2/nt".
  std::string name() const;
  bool operator==(const Candidate& o) const {
    return strategy == o.strategy && threads == o.threads && variant == o.variant;
  }
};

struct CandidateTiming {
  Candidate candidate;
  double microseconds = 0;  // measured median per call, or the cost model's estimate
  bool measured = false;
  bool pruned = false;  // timing stopped after one call: far slower than the best so far
};

enum class PlanSource { wisdom, measured, estimated };
const char* plan_source_name(PlanSource source);  // "wisdom", "measured", "estimated"

// A decision plus the prepared operator; run() is const and thread-safe.
class Plan {
 public:
  void run(ConstTensorView in, TensorView out) const { op_.run(in, out); }
  const Candidate& candidate() const { return candidate_; }
  PlanSource source() const { return source_; }
  // Every candidate considered, in enumeration order; empty for a wisdom hit.
  const std::vector<CandidateTiming>& timings() const { return timings_; }
  const ShiftOp& op() const { return op_; }

 private:
  friend class Planner;
  Plan(ShiftOp op, Candidate candidate, PlanSource source, std::vector<CandidateTiming> timings)
      : op_(std::move(op)),
        candidate_(std::move(candidate)),
        source_(source),
        timings_(std::move(timings)) {}
  ShiftOp op_;
  Candidate candidate_;
  PlanSource source_;
  std::vector<CandidateTiming> timings_;
};

// Median microseconds per call of run(). best_us is the best median so far (0: none);
// a source may stop early when run() is clearly slower and report `pruned`.
struct Timing {
  double microseconds = 0;
  bool pruned = false;
};
using TimingSource = std::function<Timing(const Candidate& candidate,
                                          const std::function<void()>& run, double best_us)>;

struct PlannerOptions {
  PlanMode mode = PlanMode::estimate;  // what a miss does in plan()
  // Wisdom file; empty: default_wisdom_path(). Ignored when use_wisdom_file is false.
  std::string wisdom_path;
  bool use_wisdom_file = true;  // false: decisions live in memory only
  bool write_wisdom = true;     // store measured decisions (merged, atomic, locked)
  double min_seconds = 0.02;    // timing per candidate
  TimingSource timer;           // empty: wall-clock median (shiftnn/timing.hpp)
};

// Thread-safe: many threads may plan (and run plans) at once; measurements are
// serialised so they do not disturb each other.
class Planner {
 public:
  explicit Planner(PlannerOptions options = {});
  ~Planner();
  Planner(const Planner&) = delete;
  Planner& operator=(const Planner&) = delete;

  // A remembered decision if there is one, else options.mode. Throws Error when the
  // problem is invalid.
  Plan plan(const ShiftProblem& problem);
  // Ignores remembered decisions: times (measure, exhaustive) or estimates the
  // candidates of `mode`, remembers a measured winner and stores it in the wisdom file.
  Plan tune(const ShiftProblem& problem, PlanMode mode);
  // The remembered (measured) decision for this problem, if any. Cost: one hash of the
  // displacement table and one map lookup.
  std::optional<Candidate> remembered(const ShiftProblem& problem) const;
  // The decision plan() would make without building the operator: remembered, else
  // estimated (never timed).
  Candidate choose(const ShiftProblem& problem) const;

  // The candidates of `mode` that can serve the problem, in a stable order
  // (strategies as in SPEC §2, then threads ascending, then variants).
  std::vector<Candidate> candidates(const ShiftProblem& problem, PlanMode mode) const;
  // The cost model's time for one candidate, in microseconds.
  double estimate_us(const ShiftProblem& problem, const Candidate& candidate) const;
  // Measures this machine's copy bandwidth per working-set size and thread count (the
  // cost model's table) and stores it in the wisdom file. Takes well under a second.
  void calibrate();
  bool calibrated() const;

  // The wisdom file in use; empty when use_wisdom_file is false.
  const std::string& wisdom_path() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// SHIFTNN_WISDOM, else $XDG_CACHE_HOME/shiftnn/wisdom.json, else ~/.cache/shiftnn/wisdom.json.
std::string default_wisdom_path();
// Human-readable header, machine table and entries of a wisdom file (or why it is unusable).
std::string describe_wisdom(const std::string& path);
// Removes the wisdom file (under its lock); returns how many decisions it held.
size_t clear_wisdom(const std::string& path);

}  // namespace shiftnn
