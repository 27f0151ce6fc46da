#pragma once
// Shared helpers of the unit tests: random inputs, output buffers with sentinel
// guard zones, bit-exact comparison with a readable first mismatch, temporary
// directories, raw .npy writing, the seed article's 1x8x5x5 example, and the cases
// and fixture of the tests that run SHIFTNN_KERNEL_LIST on every ISA.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "engine/src/to_kernel.hpp"
#include "kernels/isa.hpp"
#include "kernels/kernel_table.hpp"
#include "shiftnn/error.hpp"
#include "shiftnn/shift_spec.hpp"
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

inline bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The public boundary a kernels:: one stands for (detail::to_kernel backwards).
inline Boundary from_kernel(kernels::Boundary b) {
  for (Boundary p : {Boundary::zero, Boundary::replicate, Boundary::keep, Boundary::circular}) {
    if (detail::to_kernel(p) == b) return p;
  }
  return Boundary::zero;
}

// "zero", "replicate", "keep", "circular".
inline const char* boundary_name(kernels::Boundary b) {
  return shiftnn::boundary_name(from_kernel(b));
}

// ISAs compiled into this build, best last; the host may not run them all.
inline std::vector<kernels::Isa> built_isa_list() {
  int count = 0;
  const kernels::Isa* isas = kernels::built_isas(&count);
  std::vector<kernels::Isa> v;
  for (int i = 0; i < count; ++i) v.push_back(isas[i]);
  return v;
}

// What a SHIFTNN_KERNEL_LIST entry computes: the list's `what` column.
enum class KernelKind {
  shift_integer,
  shift_any,
  grid_sample,
  group_norm_stats,
  group_norm_apply,
  slice,
  transpose
};

// The `what` tokens as the list spells them.
namespace kernel_kind {
constexpr KernelKind ShiftInteger = KernelKind::shift_integer;
constexpr KernelKind ShiftAny = KernelKind::shift_any;
constexpr KernelKind GridSample = KernelKind::grid_sample;
constexpr KernelKind GroupNormStats = KernelKind::group_norm_stats;
constexpr KernelKind GroupNormApply = KernelKind::group_norm_apply;
constexpr KernelKind Slice = KernelKind::slice;
constexpr KernelKind Transpose = KernelKind::transpose;
}  // namespace kernel_kind

// One entry of SHIFTNN_KERNEL_LIST: member is its field of KernelTable.
template <class Kernel>
struct ListedKernel {
  std::string name;
  Kernel kernels::KernelTable::*member;
  KernelKind kind;
};

// The entries whose kernel has type Kernel, in list order.
template <class Kernel>
std::vector<ListedKernel<Kernel>> listed_kernels() {
  std::vector<ListedKernel<Kernel>> v;
#define SHIFTNN_TEST_ENTRY(name, type, what)                              \
  if constexpr (std::is_same_v<Kernel, kernels::type>) {                  \
    v.push_back({#name, &kernels::KernelTable::name, kernel_kind::what}); \
  }
  SHIFTNN_KERNEL_LIST(SHIFTNN_TEST_ENTRY)
#undef SHIFTNN_TEST_ENTRY
  return v;
}

// One listed kernel on one built ISA.
template <class Kernel>
struct KernelCase {
  ListedKernel<Kernel> kernel;
  kernels::Isa isa;
};

// Every listed kernel of type Kernel on every built ISA, kernel by kernel.
template <class Kernel>
std::vector<KernelCase<Kernel>> kernel_cases() {
  std::vector<KernelCase<Kernel>> out;
  for (const ListedKernel<Kernel>& k : listed_kernels<Kernel>()) {
    for (kernels::Isa isa : built_isa_list()) out.push_back({k, isa});
  }
  return out;
}

template <class Kernel>
void PrintTo(const KernelCase<Kernel>& c, std::ostream* os) {
  *os << c.kernel.name << "/" << kernels::isa_name(c.isa);
}

// Test name suffix "<kernel>_<isa>".
template <class Kernel>
std::string kernel_case_name(const testing::TestParamInfo<KernelCase<Kernel>>& info) {
  return info.param.kernel.name + "_" + kernels::isa_name(info.param.isa);
}

// Fixture of a case with `isa` and `kernel.member`: skips an ISA the host cannot run,
// else kernel_ is the case's kernel from that ISA's table.
template <class Kernel, class Case = KernelCase<Kernel>>
class KernelCaseTest : public testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    const Case& c = this->GetParam();
    if (!kernels::host_supports(c.isa)) {
      GTEST_SKIP() << "host cannot run " << kernels::isa_name(c.isa);
    }
    kernel_ = kernels::kernels_for(c.isa).*(c.kernel.member);
    ASSERT_NE(kernel_, nullptr);
  }
  Kernel kernel_ = nullptr;
};

}  // namespace shiftnn::test
