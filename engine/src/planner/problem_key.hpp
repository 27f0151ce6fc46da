#pragma once
// Names the planner and the wisdom file agree on: the problem key, candidate names,
// and the signature of the candidate set a wisdom file was tuned against.
#include <cstdint>
#include <string>

#include "shiftnn/planner.hpp"

namespace shiftnn::detail {

// 64-bit hash of the per-channel (dh, dw) values, so `quad` and the equivalent `list`
// share a key; -0.0 counts as 0.0.
uint64_t displacement_hash(const ShiftSpec& spec);

// "shift/f32/nchw/1x96x56x56/zero/t2/avx512f/d=0123456789abcdef". `threads` is the
// resolved budget (never 0).
std::string problem_key(const ShiftProblem& problem, int threads);

// Inverse of Candidate::name() for the running ISA; false when `name` is malformed,
// names another ISA, or a variant this build does not have.
bool parse_candidate(const std::string& name, Candidate* out);

// Changes whenever the set of strategies or variants the planner can choose from does;
// wisdom tuned against another set is set aside.
std::string candidate_set_signature();

}  // namespace shiftnn::detail
