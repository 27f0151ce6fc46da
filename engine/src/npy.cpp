// .npy format 1.0/2.0/3.0: magic, version, header length, a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (...), }, then raw C-order data.
#include "shiftnn/npy.hpp"

#include "atomic_file.hpp"

#include <unistd.h>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "shiftnn/error.hpp"

namespace shiftnn {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw Error(path + ": " + why);
}

// Value text of `key` in the header dict, up to the next top-level comma or brace.
std::string dict_value(const std::string& header, const std::string& key, const std::string& path) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) fail(path, "npy header has no '" + key + "'");
  size_t colon = header.find(':', k);
  if (colon == std::string::npos) fail(path, "npy header is malformed");
  size_t i = colon + 1, depth = 0;
  std::string value;
  for (; i < header.size(); ++i) {
    char ch = header[i];
    if (ch == '(') ++depth;
    if (ch == ')') --depth;
    if (depth == 0 && (ch == ',' || ch == '}')) break;
    value += ch;
  }
  size_t b = value.find_first_not_of(" "), e = value.find_last_not_of(" ");
  return b == std::string::npos ? "" : value.substr(b, e - b + 1);
}

std::vector<int64_t> parse_shape_tuple(const std::string& text, const std::string& path) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') {
    fail(path, "npy shape '" + text + "' is malformed");
  }
  std::vector<int64_t> shape;
  std::stringstream ss(text.substr(1, text.size() - 2));
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t b = item.find_first_not_of(" "), e = item.find_last_not_of(" ");
    if (b == std::string::npos) continue;
    item = item.substr(b, e - b + 1);
    if (item.find_first_not_of("0123456789") != std::string::npos || item.size() > 12) {
      fail(path, "npy shape '" + text + "' is malformed");
    }
    shape.push_back(std::stoll(item));
  }
  return shape;
}

}  // namespace

NpyArray load_npy(const std::string& path, bool accept_float64) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail(path, "cannot open file");
  char magic[8];
  if (!f.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    fail(path, "not a .npy file (bad magic)");
  }
  const int major = static_cast<unsigned char>(magic[6]);
  uint32_t header_len = 0;
  if (major == 1) {
    unsigned char b[2];
    if (!f.read(reinterpret_cast<char*>(b), 2)) fail(path, "truncated npy header");
    header_len = b[0] | (b[1] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char b[4];
    if (!f.read(reinterpret_cast<char*>(b), 4)) fail(path, "truncated npy header");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
  } else {
    fail(path, "unsupported npy version " + std::to_string(major));
  }
  if (header_len > (1u << 20)) fail(path, "npy header is implausibly long");
  std::string header(header_len, '\0');
  if (!f.read(header.data(), header_len)) fail(path, "truncated npy header");

  const std::string descr = dict_value(header, "descr", path);
  const bool f32 = descr == "'<f4'" || descr == "'=f4'";
  const bool f64 = descr == "'<f8'" || descr == "'=f8'";
  if (!f32 && !(f64 && accept_float64)) {
    fail(path, "dtype " + descr + " is not float32 ('<f4')");
  }
  if (dict_value(header, "fortran_order", path) != "False") {
    fail(path, "Fortran-order arrays are not supported (expected C order)");
  }
  NpyArray a;
  a.shape = parse_shape_tuple(dict_value(header, "shape", path), path);
  uint64_t count = 1;
  for (int64_t d : a.shape) {
    if (d != 0 && count > (uint64_t{1} << 40) / static_cast<uint64_t>(d)) {
      fail(path, "npy shape is too large");
    }
    count *= static_cast<uint64_t>(d);
  }
  const size_t elem = f32 ? 4 : 8;
  const std::streampos data_start = f.tellg();
  f.seekg(0, std::ios::end);
  const uint64_t available = static_cast<uint64_t>(f.tellg() - data_start);
  if (available < count * elem) {
    fail(path, "truncated data: " + std::to_string(count * elem) + " bytes expected, " +
                   std::to_string(available) + " present");
  }
  f.seekg(data_start);
  a.data.resize(count);
  if (f32) {
    f.read(reinterpret_cast<char*>(a.data.data()), static_cast<std::streamsize>(count * 4));
  } else {
    std::vector<double> tmp(count);
    f.read(reinterpret_cast<char*>(tmp.data()), static_cast<std::streamsize>(count * 8));
    for (size_t i = 0; i < count; ++i) a.data[i] = static_cast<float>(tmp[i]);
  }
  if (!f) fail(path, "read error");
  return a;
}

void save_npy(const std::string& path, const std::vector<int64_t>& shape, const float* data) {
  std::string dims;
  uint64_t count = 1;
  for (int64_t d : shape) {
    dims += std::to_string(d) + ", ";
    count *= static_cast<uint64_t>(d);
  }
  if (shape.size() > 1) dims.resize(dims.size() - 2);
  if (shape.size() == 1) dims.resize(dims.size() - 1);
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Pad with spaces so magic + length + header + '\n' is a multiple of 64 bytes.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';

  std::string bytes("\x93NUMPY\x01\x00", 8);
  const auto len = static_cast<uint16_t>(header.size());
  bytes += static_cast<char>(len & 0xff);
  bytes += static_cast<char>(len >> 8);
  bytes += header;
  bytes.append(reinterpret_cast<const char*>(data), count * 4);
  detail::write_file_atomically(path, bytes);
}

}  // namespace shiftnn
