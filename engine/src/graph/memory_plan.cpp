#include "memory_plan.hpp"

#include <algorithm>
#include <numeric>

namespace shiftnn::detail {
namespace {

size_t align64(size_t bytes) {
  return (bytes + 63) / 64 * 64;
}

struct Buffer {
  size_t bytes = 0;
  int first = 0, last = 0;  // steps during which it holds a live value (inclusive)
  size_t offset = 0;
};

}  // namespace

MemoryPlan plan_memory(const std::vector<size_t>& value_bytes, const std::vector<int>& graph_inputs,
                       const std::vector<int>& graph_outputs, const std::vector<PlanStep>& steps) {
  const int values = static_cast<int>(value_bytes.size());
  const int end = static_cast<int>(steps.size());  // graph outputs live through here
  std::vector<int> last_use(values, -1);
  for (int s = 0; s < end; ++s) {
    for (int v : steps[s].inputs) last_use[v] = s;
  }
  for (int v : graph_outputs) last_use[v] = end;

  std::vector<Buffer> buffers;
  std::vector<int> buffer_of(values, -1);
  MemoryPlan plan;
  plan.reused.assign(values, false);
  const auto new_buffer = [&](int v, int first) {
    buffer_of[v] = static_cast<int>(buffers.size());
    buffers.push_back({align64(value_bytes[v]), first, std::max(first, last_use[v])});
  };
  for (int v : graph_inputs) new_buffer(v, -1);
  for (int s = 0; s < end; ++s) {
    const PlanStep& step = steps[s];
    int reuse = -1;
    if (step.alias) {
      reuse = step.inputs[0];
    } else if (step.reuse_input >= 0) {
      const int v = step.inputs[step.reuse_input];
      const Buffer& b = buffers[buffer_of[v]];
      // The input must die here, be read once by this step, and be large enough.
      const bool dies = b.last == s && std::count(step.inputs.begin(), step.inputs.end(), v) == 1;
      if (dies && b.bytes >= value_bytes[step.output]) reuse = v;
    }
    if (reuse >= 0) {
      buffer_of[step.output] = buffer_of[reuse];
      Buffer& b = buffers[buffer_of[reuse]];
      b.last = std::max(b.last, last_use[step.output]);
      plan.reused[step.output] = true;
    } else {
      new_buffer(step.output, s);
    }
  }

  // Greedy by size: the largest buffers first, each at the lowest offset that overlaps no
  // placed buffer live at the same time.
  std::vector<int> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return buffers[a].bytes > buffers[b].bytes; });
  std::vector<int> placed;
  for (int i : order) {
    Buffer& b = buffers[i];
    std::vector<std::pair<size_t, size_t>> busy;  // [begin, end) bytes
    for (int j : placed) {
      const Buffer& p = buffers[j];
      if (p.first <= b.last && b.first <= p.last) busy.push_back({p.offset, p.offset + p.bytes});
    }
    std::sort(busy.begin(), busy.end());
    size_t offset = 0;
    for (const auto& [begin, stop] : busy) {
      if (offset + b.bytes <= begin) break;
      offset = std::max(offset, stop);
    }
    b.offset = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, offset + b.bytes);
    placed.push_back(i);
  }
  plan.offsets.resize(values);
  for (int v = 0; v < values; ++v) {
    plan.offsets[v] = buffer_of[v] >= 0 ? buffers[buffer_of[v]].offset : 0;
    plan.sum_bytes += align64(value_bytes[v]);
  }
  return plan;
}

}  // namespace shiftnn::detail
