#pragma once
// A compiled network: shapes inferred and checked, oneDNN primitives created, every
// Shift planned, activation memory laid out once. run() is const and reentrant: several
// threads may run one Model at once, each on its own workspace.
//
//   shiftnn::Model model = shiftnn::Model::load("s2mlp.json");
//   std::vector<shiftnn::Tensor> y = model.run({x.cview()});
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "shiftnn/graph.hpp"
#include "shiftnn/planner.hpp"
#include "shiftnn/tensor.hpp"

namespace shiftnn {

struct ModelOptions {
  int threads = 0;  // per run; 0: omp_get_max_threads() (OMP_NUM_THREADS)
  // How each Shift is planned when its problem is not in the wisdom file.
  PlanMode shift_plan_mode = PlanMode::estimate;
  std::string wisdom_path;  // empty: default_wisdom_path()
};

// One row of a profile, in execution order.
struct NodeProfile {
  std::string node, op;
  Shape shape;         // the output's logical N, C, H, W
  std::string kernel;  // kernel or strategy that ran, e.g. "shift_copy_nhwc/avx512f (copy/t1)"
  double microseconds = 0;
};

struct MemoryReport {
  size_t arena_bytes = 0;          // activations actually allocated per workspace
  size_t intermediates_bytes = 0;  // sum of every intermediate tensor's size
  size_t scratch_bytes = 0;        // largest per-node scratch (oneDNN scratchpads, pads)
};

class Model {
 public:
  explicit Model(Graph graph, ModelOptions options = {});
  static Model load(const std::string& json_path, ModelOptions options = {});
  ~Model();
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;

  // Inputs in graph order, logical shapes as declared except that the batch N may differ
  // (a new N is compiled once and cached). Any layout. Outputs are nchw; a 2-D output
  // (after Flatten, Linear) is N x M x 1 x 1 with output_rank() 2.
  std::vector<Tensor> run(const std::vector<ConstTensorView>& inputs) const;
  // Same, timing every node; rows in execution order.
  std::vector<Tensor> run_profiled(const std::vector<ConstTensorView>& inputs,
                                   std::vector<NodeProfile>& profile) const;

  const Graph& graph() const;
  int threads() const;                   // per run
  int output_rank(size_t output) const;  // 4, or 2 after Flatten/Linear
  // Memory for batch n (0: the declared batch).
  MemoryReport memory(int64_t n = 0) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shiftnn
