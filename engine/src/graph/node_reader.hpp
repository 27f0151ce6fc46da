#pragma once
// Typed access to a node's attributes and weights; every error names the node and op.
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "shiftnn/graph.hpp"

namespace shiftnn::detail {

class NodeReader {
 public:
  NodeReader(const Node& node, const std::map<std::string, Weight>& weights)
      : node_(node), weights_(weights) {}

  const Node& node() const { return node_; }
  [[noreturn]] void fail(const std::string& why) const;  // "node 'fc1' (Conv2d): why"

  // Rejects attributes and weight roles other than these (catches typos in files).
  void allow(std::initializer_list<const char*> attrs,
             std::initializer_list<const char*> roles = {}) const;
  void expect_inputs(size_t count) const;
  void expect_inputs(size_t min, size_t max) const;

  bool has(const char* key) const { return node_.attrs.count(key) != 0; }
  int64_t integer(const char* key, int64_t fallback) const;
  double real(const char* key, double fallback) const;  // integers accepted
  std::string text(const char* key, const std::string& fallback) const;
  // Exactly `count` integers.
  std::vector<int64_t> integers(const char* key, std::vector<int64_t> fallback, size_t count) const;

  bool has_weight(const char* role) const { return node_.weights.count(role) != 0; }
  // Dimensions of the weight of `role` (which must exist).
  size_t weight_rank(const char* role) const;
  // The weight of `role`, which must have exactly `shape`.
  const Weight& weight(const char* role, const std::vector<int64_t>& shape) const;
  // The weight of `role`, which must have `rank` dimensions, each at least 1.
  const Weight& weight_of_rank(const char* role, size_t rank) const;
  // Null when the node has no weight of that role.
  const Weight* optional_weight(const char* role, const std::vector<int64_t>& shape) const;

 private:
  const Node& node_;
  const std::map<std::string, Weight>& weights_;
};

std::string dims_text(const std::vector<int64_t>& dims);  // "[96, 1, 3, 3]"

}  // namespace shiftnn::detail
