#pragma once
// Shared helpers of the unit tests: random inputs, output buffers with sentinel
// guard zones, bit-exact comparison with a readable first mismatch, temporary
// directories, raw .npy writing and the seed article's 1x8x5x5 example.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "shiftnn/error.hpp"
#include "shiftnn/tensor.hpp"

namespace shiftnn::test {

// Values in [-1, 1]; about one in 16 is -0.0f and one in 16 is +0.0f, so a kernel
// that loses the sign of zero differs bit-wise from the reference.
inline std::vector<float> random_values(int64_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::uniform_int_distribution<int> kind(0, 15);
  std::vector<float> v(static_cast<size_t>(count));
  for (float& x : v) {
    const int k = kind(rng);
    x = k == 0 ? -0.0f : (k == 1 ? 0.0f : value(rng));
  }
  return v;
}

inline float max_abs(const std::vector<float>& v) {
  float m = 0.0f;
  for (float x : v) m = std::fmax(m, std::fabs(x));
  return m;
}

inline uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

// A quiet NaN whose payload depends on the position: no kernel produces it.
inline float sentinel(int64_t i) {
  const uint32_t u = 0x7fc00000u | (static_cast<uint32_t>(i * 2654435761u) & 0x3fffffu);
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// `count` floats with kGuard sentinel floats before and after; the interior starts
// as sentinels too, so a position a kernel never writes shows up as a mismatch. The
// interior starts `misalign` floats past a 64-byte boundary: 0 lets kernels take
// their aligned paths (streaming stores), 1 their unaligned ones.
class GuardedBuffer {
 public:
  static constexpr int64_t kGuard = 64;
  static constexpr int64_t kLineFloats = 16;
  explicit GuardedBuffer(int64_t count, int64_t misalign = 0)
      : count_(count), storage_(count + 2 * kGuard + kLineFloats) {
    const auto at = reinterpret_cast<uintptr_t>(storage_.data() + kGuard) / sizeof(float);
    begin_ = (kLineFloats - static_cast<int64_t>(at % kLineFloats) + misalign) % kLineFloats;
    for (int64_t i = 0; i < count + 2 * kGuard; ++i) storage_[begin_ + i] = sentinel(i);
  }
  float* data() { return storage_.data() + begin_ + kGuard; }
  const float* data() const { return storage_.data() + begin_ + kGuard; }
  int64_t size() const { return count_; }
  // Index of the first guard float that changed, or -1.
  int64_t damaged_guard() const {
    for (int64_t i = 0; i < kGuard; ++i) {
      if (bits_of(storage_[begin_ + i]) != bits_of(sentinel(i))) return i;
      const int64_t j = kGuard + count_ + i;
      if (bits_of(storage_[begin_ + j]) != bits_of(sentinel(j))) return j;
    }
    return -1;
  }
  // Whether interior float i still holds its sentinel (never written).
  bool untouched(int64_t i) const {
    return bits_of(storage_[begin_ + kGuard + i]) == bits_of(sentinel(kGuard + i));
  }

 private:
  int64_t count_;
  std::vector<float> storage_;
  int64_t begin_ = 0;  // where the leading guard starts in storage_
};

// "n=0 c=3 h=2 w=4" for flat index i of a tensor of logical shape s in layout.
inline std::string position(int64_t i, const Shape& s, Layout layout) {
  int64_t n, c, h, w;
  if (layout == Layout::nchw) {
    w = i % s.w, h = (i / s.w) % s.h, c = (i / (s.w * s.h)) % s.c, n = i / (s.w * s.h * s.c);
  } else {
    c = i % s.c, w = (i / s.c) % s.w, h = (i / (s.c * s.w)) % s.h, n = i / (s.c * s.w * s.h);
  }
  std::ostringstream o;
  o << "n=" << n << " c=" << c << " h=" << h << " w=" << w << " (flat " << i << ")";
  return o.str();
}

inline std::string describe_float(float f) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g (bits 0x%08x)", static_cast<double>(f), bits_of(f));
  return buf;
}

// Empty when got and want are bit-identical (tolerance < 0) or within tolerance;
// otherwise the first mismatch and the number of mismatching floats.
inline std::string compare(const float* got, const float* want, const Shape& s, Layout layout,
                           float tolerance = -1.0f) {
  const int64_t count = s.elements();
  int64_t first = -1, bad = 0;
  for (int64_t i = 0; i < count; ++i) {
    const bool same = tolerance < 0 ? bits_of(got[i]) == bits_of(want[i])
                                    : std::fabs(got[i] - want[i]) <= tolerance;
    if (!same) {
      if (first < 0) first = i;
      ++bad;
    }
  }
  if (first < 0) return "";
  std::ostringstream o;
  o << bad << " of " << count << " floats differ; first at " << position(first, s, layout)
    << ": got " << describe_float(got[first]) << ", want " << describe_float(want[first]);
  return o.str();
}

// Logical NCHW data -> the same tensor stored NHWC.
inline std::vector<float> to_nhwc(const std::vector<float>& x, const Shape& s) {
  std::vector<float> y(x.size());
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t c = 0; c < s.c; ++c)
      for (int64_t h = 0; h < s.h; ++h)
        for (int64_t w = 0; w < s.w; ++w)
          y[((n * s.h + h) * s.w + w) * s.c + c] = x[((n * s.c + c) * s.h + h) * s.w + w];
  return y;
}

// The inverse of to_nhwc, from a raw nhwc buffer.
inline std::vector<float> from_nhwc(const float* x, const Shape& s) {
  std::vector<float> y(static_cast<size_t>(s.elements()));
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t c = 0; c < s.c; ++c)
      for (int64_t h = 0; h < s.h; ++h)
        for (int64_t w = 0; w < s.w; ++w)
          y[((n * s.c + c) * s.h + h) * s.w + w] = x[((n * s.h + h) * s.w + w) * s.c + c];
  return y;
}

// 64-byte aligned scratch as oneDNN adapters require; at least one cache line.
class Scratch {
 public:
  explicit Scratch(size_t bytes)
      : data_(std::aligned_alloc(64, (std::max<size_t>(bytes, 1) + 63) / 64 * 64)) {}
  void* get() const { return data_.get(); }

 private:
  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  std::unique_ptr<void, Free> data_;
};

// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "shiftnn-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + path);
}

inline std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A .npy file written by hand: `dict` is the header dict literal, e.g.
// "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"; version 1 or 2.
// The header is padded so the data starts at a multiple of 64 bytes.
inline std::string npy_bytes(const std::string& dict, const void* data, size_t data_bytes,
                             int version = 1) {
  const size_t prefix = version == 1 ? 10 : 12;
  std::string header = dict;
  header.append((64 - (prefix + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(version);
  out += '\0';
  const size_t len = header.size();
  const int len_bytes = version == 1 ? 2 : 4;
  for (int b = 0; b < len_bytes; ++b) out += static_cast<char>((len >> (8 * b)) & 0xff);
  out += header;
  out.append(static_cast<const char*>(data), data_bytes);
  return out;
}

// The seed article: x = 1x8x5x5, even channels hold the row index, odd channels the
// column index (torch.meshgrid of arange(5), stacked and repeated 4 times).
inline const Shape kSeedShape{1, 8, 5, 5};

inline std::vector<float> seed_input() {
  std::vector<float> x(200);
  for (int c = 0; c < 8; ++c)
    for (int h = 0; h < 5; ++h)
      for (int w = 0; w < 5; ++w) x[(c * 5 + h) * 5 + w] = static_cast<float>(c % 2 == 0 ? h : w);
  return x;
}

// The tensor the article prints for method 1 (slice indexing), plane by plane.
inline std::vector<float> seed_expected() {
  const float planes[8][5][5] = {
      {{0, 0, 0, 0, 0}, {1, 1, 1, 1, 1}, {2, 2, 2, 2, 2}, {3, 3, 3, 3, 3}, {4, 4, 4, 4, 4}},
      {{0, 0, 1, 2, 3}, {0, 0, 1, 2, 3}, {0, 0, 1, 2, 3}, {0, 0, 1, 2, 3}, {0, 0, 1, 2, 3}},
      {{0, 0, 0, 0, 0}, {1, 1, 1, 1, 1}, {2, 2, 2, 2, 2}, {3, 3, 3, 3, 3}, {4, 4, 4, 4, 4}},
      {{1, 2, 3, 4, 4}, {1, 2, 3, 4, 4}, {1, 2, 3, 4, 4}, {1, 2, 3, 4, 4}, {1, 2, 3, 4, 4}},
      {{0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {1, 1, 1, 1, 1}, {2, 2, 2, 2, 2}, {3, 3, 3, 3, 3}},
      {{0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}},
      {{1, 1, 1, 1, 1}, {2, 2, 2, 2, 2}, {3, 3, 3, 3, 3}, {4, 4, 4, 4, 4}, {4, 4, 4, 4, 4}},
      {{0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}},
  };
  return std::vector<float>(&planes[0][0][0], &planes[0][0][0] + 200);
}

// Runs fn, which must throw shiftnn::Error; the message must be one line and contain
// every one of `parts`.
template <class F>
void expect_error(F&& fn, const std::vector<std::string>& parts) {
  try {
    fn();
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "message is not one line: " << msg;
    for (const std::string& p : parts) {
      EXPECT_NE(msg.find(p), std::string::npos) << "message '" << msg << "' lacks '" << p << "'";
    }
    return;
  }
  ADD_FAILURE() << "no shiftnn::Error thrown (expected one mentioning '"
                << (parts.empty() ? "" : parts[0]) << "')";
}

}  // namespace shiftnn::test
