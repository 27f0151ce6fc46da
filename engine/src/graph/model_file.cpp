// NAME.json + NAME.safetensors <-> Graph (docs/model-format.md). Checks the file's
// structure and its references to weights; what each op needs is checked at compile.
#include <nlohmann/json.hpp>
#include <set>

#include "../atomic_file.hpp"
#include "safetensors.hpp"
#include "shiftnn/error.hpp"
#include "shiftnn/graph.hpp"

namespace shiftnn {
namespace {

using nlohmann::json;

constexpr int64_t kFormatVersion = 1;
// Largest dimension of a declared input: beyond it sizes could overflow later products.
constexpr int64_t kMaxDim = int64_t{1} << 31;

[[noreturn]] void fail(const std::string& source, const std::string& why) {
  throw Error(source + ": " + why);
}

const json& member(const json& object, const char* key, const std::string& where,
                   const std::string& source) {
  const auto it = object.find(key);
  if (it == object.end()) fail(source, where + " has no \"" + key + "\"");
  return *it;
}

std::vector<std::string> string_list(const json& value, const std::string& what,
                                     const std::string& source) {
  if (!value.is_array()) fail(source, what + " must be a list of strings");
  std::vector<std::string> out;
  for (const json& item : value) {
    if (!item.is_string()) fail(source, what + " must be a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

AttrValue attr_value(const json& value, const std::string& what, const std::string& source) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_float()) return value.get<double>();
  if (value.is_boolean()) return int64_t{value.get<bool>() ? 1 : 0};
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::vector<int64_t> list;
    for (const json& item : value) {
      if (!item.is_number_integer()) fail(source, what + " must be a list of integers");
      list.push_back(item.get<int64_t>());
    }
    return list;
  }
  fail(source, what + " must be a number, a string or a list of integers");
}

Shape input_shape(const json& value, const std::string& what, const std::string& source) {
  if (!value.is_array() || value.size() != 4) fail(source, what + " must be [N, C, H, W]");
  int64_t dims[4];
  for (size_t i = 0; i < 4; ++i) {
    if (!value[i].is_number_integer() || value[i].get<int64_t>() < 1 ||
        value[i].get<int64_t>() > kMaxDim) {
      fail(source, what + " must be 4 positive integers, each at most 2^31");
    }
    dims[i] = value[i].get<int64_t>();
  }
  return {dims[0], dims[1], dims[2], dims[3]};
}

Node parse_node(const json& value, size_t index, const std::string& source) {
  const std::string where = "node " + std::to_string(index);
  if (!value.is_object()) fail(source, where + " must be an object");
  Node node;
  const json& name = member(value, "name", where, source);
  if (!name.is_string() || name.get<std::string>().empty()) {
    fail(source, where + ": \"name\" must be a non-empty string");
  }
  node.name = name.get<std::string>();
  const std::string named = "node '" + node.name + "'";
  const json& op = member(value, "op", named, source);
  if (!op.is_string()) fail(source, named + ": \"op\" must be a string");
  node.op = op.get<std::string>();
  node.inputs = string_list(member(value, "inputs", named, source), named + " inputs", source);
  node.outputs = string_list(member(value, "outputs", named, source), named + " outputs", source);
  if (node.outputs.size() != 1) fail(source, named + " must have exactly one output");
  if (const auto it = value.find("attrs"); it != value.end()) {
    if (!it->is_object()) fail(source, named + ": \"attrs\" must be an object");
    for (const auto& [key, attr] : it->items()) {
      node.attrs[key] = attr_value(attr, named + " attribute '" + key + "'", source);
    }
  }
  if (const auto it = value.find("weights"); it != value.end()) {
    if (!it->is_object()) fail(source, named + ": \"weights\" must be an object");
    for (const auto& [role, weight] : it->items()) {
      if (!weight.is_string()) fail(source, named + " weight '" + role + "' must be a name");
      node.weights[role] = weight.get<std::string>();
    }
  }
  return node;
}

// Names unique, every weight referenced exists and every stored weight is used.
void check_references(const Graph& g, const std::string& source,
                      const std::string& weights_source) {
  std::set<std::string> nodes, tensors, used;
  for (const GraphInput& in : g.inputs) {
    if (!tensors.insert(in.name).second) fail(source, "input '" + in.name + "' declared twice");
  }
  for (const Node& node : g.nodes) {
    if (!nodes.insert(node.name).second) fail(source, "node '" + node.name + "' appears twice");
    for (const std::string& out : node.outputs) {
      if (!tensors.insert(out).second) {
        fail(source, "node '" + node.name + "': tensor '" + out + "' is produced twice");
      }
    }
    for (const auto& [role, weight] : node.weights) {
      if (!g.weights.count(weight)) {
        fail(source, "node '" + node.name + "': weight '" + weight + "' (" + role + ") is not in " +
                         weights_source);
      }
      used.insert(weight);
    }
  }
  for (const auto& entry : g.weights) {
    if (!used.count(entry.first)) {
      fail(weights_source, "weight '" + entry.first + "' is used by no node");
    }
  }
  for (const std::string& out : g.outputs) {
    if (!tensors.count(out)) fail(source, "output '" + out + "' is produced by no node");
  }
}

Graph parse(const std::string& json_text, const std::string& safetensors_bytes,
            const std::string& source, const std::string& weights_source) {
  const json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) fail(source, "not valid JSON");
  if (!doc.is_object()) fail(source, "must be a JSON object");
  const json& version = member(doc, "format_version", "the model", source);
  if (!version.is_number_integer() || version.get<int64_t>() != kFormatVersion) {
    fail(source, "format_version must be " + std::to_string(kFormatVersion));
  }
  Graph g;
  const json& inputs = member(doc, "inputs", "the model", source);
  if (!inputs.is_array() || inputs.empty()) fail(source, "\"inputs\" must be a non-empty list");
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string where = "input " + std::to_string(i);
    if (!inputs[i].is_object()) fail(source, where + " must be an object");
    const json& name = member(inputs[i], "name", where, source);
    if (!name.is_string()) fail(source, where + ": \"name\" must be a string");
    g.inputs.push_back({name.get<std::string>(),
                        input_shape(member(inputs[i], "shape", where, source),
                                    "input '" + name.get<std::string>() + "' shape", source)});
  }
  g.outputs = string_list(member(doc, "outputs", "the model", source), "\"outputs\"", source);
  if (g.outputs.empty()) fail(source, "\"outputs\" must not be empty");
  const json& nodes = member(doc, "nodes", "the model", source);
  if (!nodes.is_array()) fail(source, "\"nodes\" must be a list");
  for (size_t i = 0; i < nodes.size(); ++i) g.nodes.push_back(parse_node(nodes[i], i, source));
  g.weights = detail::parse_safetensors(safetensors_bytes, weights_source);
  check_references(g, source, weights_source);
  return g;
}

json attr_json(const AttrValue& value) {
  return std::visit([](const auto& v) { return json(v); }, value);
}

std::string weights_path_for(const std::string& json_path) {
  const std::string suffix = ".json";
  if (json_path.size() <= suffix.size() ||
      json_path.compare(json_path.size() - suffix.size(), suffix.size(), suffix) != 0) {
    throw Error(json_path + ": a model file name must end in .json");
  }
  return json_path.substr(0, json_path.size() - suffix.size()) + ".safetensors";
}

}  // namespace

Graph parse_graph(const std::string& json_text, const std::string& safetensors_bytes) {
  return parse(json_text, safetensors_bytes, "model", "weights");
}

Graph load_graph(const std::string& json_path) {
  const std::string weights_path = weights_path_for(json_path);
  const std::string text = detail::read_file(json_path);
  const std::string bytes = detail::read_file(weights_path);
  return parse(text, bytes, json_path, weights_path);
}

void save_graph(const Graph& g, const std::string& json_path) {
  const std::string weights_path = weights_path_for(json_path);
  json doc;
  doc["format_version"] = kFormatVersion;
  doc["inputs"] = json::array();
  for (const GraphInput& in : g.inputs) {
    doc["inputs"].push_back(
        {{"name", in.name}, {"shape", {in.shape.n, in.shape.c, in.shape.h, in.shape.w}}});
  }
  doc["outputs"] = g.outputs;
  doc["nodes"] = json::array();
  for (const Node& node : g.nodes) {
    json n = {
        {"name", node.name}, {"op", node.op}, {"inputs", node.inputs}, {"outputs", node.outputs}};
    if (!node.attrs.empty()) {
      json attrs = json::object();
      for (const auto& [key, value] : node.attrs) attrs[key] = attr_json(value);
      n["attrs"] = attrs;
    }
    if (!node.weights.empty()) n["weights"] = node.weights;
    doc["nodes"].push_back(n);
  }
  detail::write_safetensors(weights_path, g.weights);
  detail::write_file_atomically(json_path, doc.dump(1) + "\n");
}

}  // namespace shiftnn
