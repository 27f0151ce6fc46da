#include "node_reader.hpp"

#include <algorithm>

#include "shiftnn/error.hpp"

namespace shiftnn::detail {

std::string dims_text(const std::vector<int64_t>& dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i) text += (i ? ", " : "") + std::to_string(dims[i]);
  return text + "]";
}

void NodeReader::fail(const std::string& why) const {
  throw Error("node '" + node_.name + "' (" + node_.op + "): " + why);
}

void NodeReader::allow(std::initializer_list<const char*> attrs,
                       std::initializer_list<const char*> roles) const {
  const auto listed = [](std::initializer_list<const char*> names, const std::string& key) {
    return std::any_of(names.begin(), names.end(), [&](const char* n) { return key == n; });
  };
  for (const auto& entry : node_.attrs) {
    if (!listed(attrs, entry.first)) fail("unknown attribute '" + entry.first + "'");
  }
  for (const auto& entry : node_.weights) {
    if (!listed(roles, entry.first)) fail("unknown weight role '" + entry.first + "'");
  }
}

void NodeReader::expect_inputs(size_t count) const {
  expect_inputs(count, count);
}

void NodeReader::expect_inputs(size_t min, size_t max) const {
  const size_t n = node_.inputs.size();
  if (n >= min && n <= max) return;
  const std::string want =
      min == max ? std::to_string(min) : std::to_string(min) + " to " + std::to_string(max);
  fail("takes " + want + " input" + (max == 1 ? "" : "s") + ", has " + std::to_string(n));
}

int64_t NodeReader::integer(const char* key, int64_t fallback) const {
  const auto it = node_.attrs.find(key);
  if (it == node_.attrs.end()) return fallback;
  if (const auto* v = std::get_if<int64_t>(&it->second)) return *v;
  fail(std::string("attribute '") + key + "' must be an integer");
}

double NodeReader::real(const char* key, double fallback) const {
  const auto it = node_.attrs.find(key);
  if (it == node_.attrs.end()) return fallback;
  if (const auto* v = std::get_if<double>(&it->second)) return *v;
  if (const auto* v = std::get_if<int64_t>(&it->second)) return static_cast<double>(*v);
  fail(std::string("attribute '") + key + "' must be a number");
}

std::string NodeReader::text(const char* key, const std::string& fallback) const {
  const auto it = node_.attrs.find(key);
  if (it == node_.attrs.end()) return fallback;
  if (const auto* v = std::get_if<std::string>(&it->second)) return *v;
  fail(std::string("attribute '") + key + "' must be a string");
}

std::vector<int64_t> NodeReader::integers(const char* key, std::vector<int64_t> fallback,
                                          size_t count) const {
  const auto it = node_.attrs.find(key);
  if (it == node_.attrs.end()) return fallback;
  const auto* v = std::get_if<std::vector<int64_t>>(&it->second);
  if (!v || v->size() != count) {
    fail(std::string("attribute '") + key + "' must be a list of " + std::to_string(count) +
         " integers");
  }
  return *v;
}

const Weight* NodeReader::optional_weight(const char* role,
                                          const std::vector<int64_t>& shape) const {
  const auto it = node_.weights.find(role);
  if (it == node_.weights.end()) return nullptr;
  const auto w = weights_.find(it->second);
  if (w == weights_.end()) fail("weight '" + it->second + "' does not exist");
  if (w->second.shape != shape) {
    fail("weight '" + it->second + "' (" + role + ") has shape " + dims_text(w->second.shape) +
         ", expected " + dims_text(shape));
  }
  return &w->second;
}

size_t NodeReader::weight_rank(const char* role) const {
  const auto it = node_.weights.find(role);
  if (it == node_.weights.end()) fail(std::string("missing weight '") + role + "'");
  const auto w = weights_.find(it->second);
  if (w == weights_.end()) fail("weight '" + it->second + "' does not exist");
  return w->second.shape.size();
}

const Weight& NodeReader::weight_of_rank(const char* role, size_t rank) const {
  const auto it = node_.weights.find(role);
  if (it == node_.weights.end()) fail(std::string("missing weight '") + role + "'");
  const auto w = weights_.find(it->second);
  if (w == weights_.end()) fail("weight '" + it->second + "' does not exist");
  const std::vector<int64_t>& shape = w->second.shape;
  if (shape.size() != rank ||
      std::any_of(shape.begin(), shape.end(), [](int64_t d) { return d < 1; })) {
    fail("weight '" + it->second + "' (" + role + ") has shape " + dims_text(shape) +
         ", expected " + std::to_string(rank) + " positive dimensions");
  }
  return w->second;
}

const Weight& NodeReader::weight(const char* role, const std::vector<int64_t>& shape) const {
  const Weight* w = optional_weight(role, shape);
  if (!w) fail(std::string("missing weight '") + role + "'");
  return *w;
}

}  // namespace shiftnn::detail
