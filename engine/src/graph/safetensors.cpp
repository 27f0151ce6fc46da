#include "safetensors.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>

#include "../atomic_file.hpp"
#include "shiftnn/error.hpp"

// The data is copied byte for byte into host floats and integers.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors I/O assumes a little-endian host");

namespace shiftnn::detail {
namespace {

using nlohmann::json;

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the reference implementation's limit

// Untrusted header text in a message: JSON-escaped (so one line) and cut to a readable length.
std::string brief(const json& value) {
  constexpr size_t kMaxChars = 80;
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > kMaxChars) text = text.substr(0, kMaxChars) + "...";
  return text;
}

std::string quote(const std::string& name) {
  return brief(json(name));
}

[[noreturn]] void fail(const std::string& source, const std::string& why) {
  throw Error(source + ": " + why);
}

[[noreturn]] void fail_tensor(const std::string& source, const std::string& name,
                              const std::string& why) {
  fail(source, "tensor " + quote(name) + ": " + why);
}

// Bytes per element of the dtypes read here; 0 for any other.
uint64_t element_bytes(const std::string& dtype) {
  if (dtype == "F32") return 4;
  if (dtype == "BF16" || dtype == "F16") return 2;
  return 0;
}

// Elements of `shape`. Zero dimensions do not excuse an overflow of the others: code
// computing strides from the shape would overflow just the same.
uint64_t element_count(const std::vector<int64_t>& shape, const std::string& source,
                       const std::string& name) {
  uint64_t count = 1, nonzero = 1;
  for (int64_t d : shape) {
    if (d < 0) fail_tensor(source, name, "shape " + brief(shape) + " has a negative dimension");
    const auto dim = static_cast<uint64_t>(d);
    if (__builtin_mul_overflow(nonzero, std::max<uint64_t>(dim, 1), &nonzero) ||
        nonzero > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      fail_tensor(source, name, "shape " + brief(shape) + " has too many elements");
    }
    count *= dim;
  }
  return count;
}

float float_from_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

float f16_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in float
    const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) return float_from_bits(sign | 0x7f800000u | mantissa << 13);  // inf, NaN
  return float_from_bits(sign | (exponent + 127 - 15) << 23 | mantissa << 13);
}

// `count` elements of `dtype` at `bytes` (any alignment) as floats.
std::vector<float> decode(const char* bytes, uint64_t count, const std::string& dtype) {
  std::vector<float> out(count);
  if (dtype == "F32") {
    if (count > 0) std::memcpy(out.data(), bytes, count * sizeof(float));
    return out;
  }
  for (uint64_t i = 0; i < count; ++i) {
    uint16_t h;
    std::memcpy(&h, bytes + 2 * i, sizeof h);
    out[i] = dtype == "BF16" ? float_from_bits(static_cast<uint32_t>(h) << 16) : f16_to_float(h);
  }
  return out;
}

// The JSON header. Duplicate keys are an error: nlohmann would silently keep the last.
json parse_header(const char* begin, const char* end, const std::string& source) {
  std::vector<std::set<std::string>> keys;  // one set per open object
  std::string tensor;                       // the top-level key being read
  auto reject_duplicate_keys = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) keys.emplace_back();
    if (event == json::parse_event_t::object_end) keys.pop_back();
    if (event != json::parse_event_t::key) return true;
    const std::string& key = parsed.get_ref<const std::string&>();
    const bool first = keys.back().insert(key).second;
    if (depth == 1) {
      if (!first) fail(source, "tensor " + quote(key) + " appears twice");
      tensor = key;
    } else if (!first) {
      fail_tensor(source, tensor, "key " + quote(key) + " appears twice");
    }
    return true;
  };
  try {
    return json::parse(begin, end, reject_duplicate_keys);
  } catch (const json::exception& e) {
    // e.what() is one line: "[json.exception.parse_error.101] parse error at ...".
    const std::string what = e.what();
    const size_t tag_end = what.find("] ");
    fail(source, "header is not valid JSON: " +
                     (tag_end == std::string::npos ? what : what.substr(tag_end + 2)));
  }
}

// A tensor's entry in the header; offsets in bytes from the start of the data buffer.
struct Entry {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  uint64_t elements = 0;
  uint64_t begin = 0, end = 0;
};

const json& field(const json& entry, const char* key, const std::string& source,
                  const std::string& name) {
  const auto it = entry.find(key);
  if (it == entry.end()) fail_tensor(source, name, std::string("has no \"") + key + "\"");
  return *it;
}

Entry parse_entry(const std::string& name, const json& value, uint64_t data_bytes,
                  const std::string& source) {
  if (!value.is_object()) fail_tensor(source, name, "entry is not a JSON object");
  Entry e;
  e.name = name;

  const json& dtype = field(value, "dtype", source, name);
  if (!dtype.is_string()) fail_tensor(source, name, "\"dtype\" is not a string");
  e.dtype = dtype.get<std::string>();
  const uint64_t bytes_per_element = element_bytes(e.dtype);
  if (bytes_per_element == 0) {
    fail_tensor(source, name, "dtype " + quote(e.dtype) + " is not supported (F32, BF16, F16)");
  }

  const json& shape = field(value, "shape", source, name);
  if (!shape.is_array()) fail_tensor(source, name, "\"shape\" is not an array");
  for (const json& d : shape) {
    if (!d.is_number_integer()) {
      fail_tensor(source, name, "shape " + brief(shape) + " holds a non-integer");
    }
    if (d.is_number_unsigned() &&
        d.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      fail_tensor(source, name, "shape " + brief(shape) + " has too many elements");
    }
    e.shape.push_back(d.get<int64_t>());
  }
  e.elements = element_count(e.shape, source, name);

  const json& offsets = field(value, "data_offsets", source, name);
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned()) {
    fail_tensor(source, name,
                "\"data_offsets\" " + brief(offsets) + " is not two non-negative integers");
  }
  e.begin = offsets[0].get<uint64_t>();
  e.end = offsets[1].get<uint64_t>();
  if (e.begin > e.end) {
    fail_tensor(source, name, "\"data_offsets\" " + brief(offsets) + " decrease");
  }
  if (e.end > data_bytes) {
    fail_tensor(source, name,
                "\"data_offsets\" " + brief(offsets) + " lie outside the data buffer of " +
                    std::to_string(data_bytes) + " bytes");
  }
  uint64_t expected_bytes = 0;
  if (__builtin_mul_overflow(e.elements, bytes_per_element, &expected_bytes)) {
    fail_tensor(source, name, "shape " + brief(shape) + " has too many bytes");
  }
  if (e.end - e.begin != expected_bytes) {
    fail_tensor(source, name,
                "\"data_offsets\" " + brief(offsets) + " span " + std::to_string(e.end - e.begin) +
                    " bytes, shape " + brief(shape) + " of " + e.dtype + " needs " +
                    std::to_string(expected_bytes) + " bytes");
  }
  return e;
}

void check_metadata(const json& metadata, const std::string& source) {
  const bool strings =
      metadata.is_object() &&
      std::all_of(metadata.begin(), metadata.end(), [](const json& v) { return v.is_string(); });
  if (!strings) fail(source, "\"__metadata__\" is not an object of strings");
}

// Zero-byte tensors take no room, so they overlap nothing.
void check_no_overlap(std::vector<Entry> entries, const std::string& source) {
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [](const Entry& e) { return e.begin == e.end; }),
                entries.end());
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].begin < entries[i - 1].end) {
      fail(source, "tensors " + quote(entries[i - 1].name) + " and " + quote(entries[i].name) +
                       " overlap in the data buffer");
    }
  }
}

std::string serialize(const std::map<std::string, Weight>& weights, const std::string& source) {
  json header = json::object();
  uint64_t offset = 0;  // bytes
  for (const auto& [name, w] : weights) {
    if (name == "__metadata__") fail(source, "\"__metadata__\" cannot name a tensor");
    try {
      (void)json(name).dump();
    } catch (const json::type_error&) {
      fail_tensor(source, name, "name is not valid UTF-8");
    }
    const uint64_t elements = element_count(w.shape, source, name);
    if (elements != w.data.size()) {
      fail_tensor(source, name,
                  "shape " + brief(w.shape) + " has " + std::to_string(elements) +
                      " elements but the data holds " + std::to_string(w.data.size()) + " floats");
    }
    const uint64_t end = offset + elements * sizeof(float);
    header[name] = json::object(
        {{"dtype", "F32"}, {"shape", w.shape}, {"data_offsets", json::array({offset, end})}});
    offset = end;
  }
  std::string text = header.dump();             // keys in name order, as std::map iterates
  text.append((8 - text.size() % 8) % 8, ' ');  // data starts 8-byte aligned

  const uint64_t header_bytes = text.size();
  std::string out(sizeof header_bytes, '\0');
  std::memcpy(out.data(), &header_bytes, sizeof header_bytes);
  out.reserve(out.size() + text.size() + offset);
  out += text;
  for (const auto& entry : weights) {
    const std::vector<float>& data = entry.second.data;
    out.append(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(float));
  }
  return out;
}

}  // namespace

std::map<std::string, Weight> parse_safetensors(const std::string& bytes,
                                                const std::string& source) {
  uint64_t header_bytes = 0;
  if (bytes.size() < sizeof header_bytes) {
    fail(source, "file is " + std::to_string(bytes.size()) +
                     " bytes, too short for the 8-byte header length");
  }
  std::memcpy(&header_bytes, bytes.data(), sizeof header_bytes);
  if (header_bytes > kMaxHeaderBytes) {
    fail(source, "header length " + std::to_string(header_bytes) + " bytes exceeds the limit of " +
                     std::to_string(kMaxHeaderBytes) + " bytes");
  }
  if (header_bytes > bytes.size() - sizeof header_bytes) {
    fail(source, "header length " + std::to_string(header_bytes) + " bytes exceeds the file of " +
                     std::to_string(bytes.size()) + " bytes");
  }
  const char* header_begin = bytes.data() + sizeof header_bytes;
  const char* data = header_begin + header_bytes;
  const uint64_t data_bytes = bytes.size() - sizeof header_bytes - header_bytes;

  const json header = parse_header(header_begin, data, source);
  if (!header.is_object()) fail(source, "header is not a JSON object");
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      check_metadata(value, source);
    } else {
      entries.push_back(parse_entry(name, value, data_bytes, source));
    }
  }
  check_no_overlap(entries, source);

  std::map<std::string, Weight> weights;
  for (const Entry& e : entries) {
    weights[e.name] = Weight{e.shape, decode(data + e.begin, e.elements, e.dtype)};
  }
  return weights;
}

std::map<std::string, Weight> read_safetensors(const std::string& path) {
  return parse_safetensors(read_file(path), path);
}

std::string serialize_safetensors(const std::map<std::string, Weight>& weights) {
  return serialize(weights, "safetensors");
}

void write_safetensors(const std::string& path, const std::map<std::string, Weight>& weights) {
  write_file_atomically(path, serialize(weights, path));
}

}  // namespace shiftnn::detail
