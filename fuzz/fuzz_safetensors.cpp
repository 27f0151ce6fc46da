// libFuzzer target: any bytes either parse as safetensors or throw shiftnn::Error. What
// parses must survive a round trip through the writer bit for bit. Anything else (a
// sanitizer report, another exception, a trap) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "engine/src/graph/safetensors.hpp"
#include "shiftnn/error.hpp"

namespace {

bool same_bits(const shiftnn::Weight& a, const shiftnn::Weight& b) {
  return a.shape == b.shape && a.data.size() == b.data.size() &&
         (a.data.empty() ||
          std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const auto weights = shiftnn::detail::parse_safetensors(bytes, "fuzz.safetensors");
    const auto again = shiftnn::detail::parse_safetensors(
        shiftnn::detail::serialize_safetensors(weights), "round trip");
    if (again.size() != weights.size()) __builtin_trap();
    for (const auto& [name, w] : weights) {
      const auto it = again.find(name);
      if (it == again.end() || !same_bits(it->second, w)) __builtin_trap();
    }
  } catch (const shiftnn::Error&) {
  }
  return 0;
}
