#pragma once
// Lays out every activation of a compiled graph in one arena, once: buffers whose
// lifetimes do not overlap share bytes, and an op that allows it writes its output over
// an input that dies at that op.
#include <cstddef>
#include <vector>

namespace shiftnn::detail {

struct PlanStep {
  std::vector<int> inputs;  // value ids read
  int output = -1;          // value id written
  int reuse_input = -1;     // index into inputs whose buffer the output may take, or -1
  bool alias = false;       // output is inputs[0] reinterpreted: always its buffer
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // per value, bytes from the arena start (64-byte aligned)
  std::vector<bool> reused;     // per value: shares its buffer with the step's input
  size_t arena_bytes = 0;
  size_t sum_bytes = 0;  // sum of every value's size: what a naive runtime allocates
};

// value_bytes: size of every value; graph inputs are live from the start, graph outputs
// to the end.
MemoryPlan plan_memory(const std::vector<size_t>& value_bytes, const std::vector<int>& graph_inputs,
                       const std::vector<int>& graph_outputs, const std::vector<PlanStep>& steps);

}  // namespace shiftnn::detail
