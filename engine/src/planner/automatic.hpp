#pragma once
// What Strategy::automatic resolves to: the process-wide planner's choice (a remembered
// decision from the default wisdom file, else the cost model's). Never times and never
// writes the wisdom file.
#include "shiftnn/planner.hpp"

namespace shiftnn::detail {

Candidate automatic_candidate(const ShiftProblem& problem);

}  // namespace shiftnn::detail
