// libFuzzer target: a model from memory either loads or throws shiftnn::Error.
// Input split: the model JSON is everything before the first NUL byte (JSON text never
// holds one), the safetensors file everything after it; no NUL means no weights file.
// Mutations of the JSON thus never move the safetensors bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "shiftnn/error.hpp"
#include "shiftnn/graph.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t separator = input.find('\0');
  const std::string json_text = input.substr(0, separator);
  const std::string safetensors =
      separator == std::string::npos ? std::string() : input.substr(separator + 1);
  try {
    shiftnn::parse_graph(json_text, safetensors);
  } catch (const shiftnn::Error&) {
  }
  return 0;
}
