#pragma once
// The safetensors format (https://github.com/huggingface/safetensors): 8-byte
// little-endian header length, a JSON header {name: {dtype, shape, data_offsets}} (plus an
// optional "__metadata__" map of strings), then the raw little-endian data.
#include <map>
#include <string>

#include "shiftnn/graph.hpp"

namespace shiftnn::detail {

// Every tensor of `bytes`: F32 as stored, BF16 and F16 widened to float. `source` names
// the file in messages. Throws Error naming the file and the tensor that is wrong.
std::map<std::string, Weight> parse_safetensors(const std::string& bytes,
                                                const std::string& source);
std::map<std::string, Weight> read_safetensors(const std::string& path);

// F32 tensors in name order, data 8-byte aligned as the format recommends.
std::string serialize_safetensors(const std::map<std::string, Weight>& weights);
// Written to a temporary file beside `path`, then renamed: never a partial file.
void write_safetensors(const std::string& path, const std::map<std::string, Weight>& weights);

}  // namespace shiftnn::detail
