// libFuzzer target: a model from memory either loads or throws shiftnn::Error.
// Input split: the model JSON is everything before the first NUL byte (JSON text never
// holds one), the safetensors file everything after it; no NUL means no weights file.
// Mutations of the JSON thus never move the safetensors bytes. A model that parses is
// compiled (node checks, shape inference, fusion, memory plan) and run on zeros when its
// inputs are small enough that this stays quick.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "shiftnn/error.hpp"
#include "shiftnn/graph.hpp"
#include "shiftnn/model.hpp"

namespace {

constexpr int64_t kMaxFuzzElements = int64_t{1} << 20;

bool small_inputs(const shiftnn::Graph& g) {
  for (const shiftnn::GraphInput& in : g.inputs) {
    const shiftnn::Shape& s = in.shape;
    if (s.n > kMaxFuzzElements || s.c > kMaxFuzzElements || s.h > kMaxFuzzElements ||
        s.w > kMaxFuzzElements || s.n * s.c > kMaxFuzzElements ||
        s.n * s.c * s.h > kMaxFuzzElements || s.elements() > kMaxFuzzElements) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t separator = input.find('\0');
  const std::string json_text = input.substr(0, separator);
  const std::string safetensors =
      separator == std::string::npos ? std::string() : input.substr(separator + 1);
  try {
    shiftnn::Graph g = shiftnn::parse_graph(json_text, safetensors);
    if (!small_inputs(g)) return 0;
    shiftnn::ModelOptions options;
    options.threads = 1;
    options.shift_plan_mode = shiftnn::PlanMode::wisdom_only;
    options.wisdom_path = "/nonexistent-shiftnn-fuzz/wisdom.json";
    const shiftnn::Model model(g, options);
    std::vector<shiftnn::Tensor> inputs;
    std::vector<shiftnn::ConstTensorView> views;
    for (const shiftnn::GraphInput& in : g.inputs) {
      inputs.emplace_back(in.shape);
      views.push_back(inputs.back().cview());
    }
    model.run(views);
  } catch (const shiftnn::Error&) {
  }
  return 0;
}
