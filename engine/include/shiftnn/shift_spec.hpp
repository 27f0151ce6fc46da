#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace shiftnn {

// What a shifted-out position takes (SPEC §1).
enum class Boundary { zero, replicate, keep, circular };

const char* boundary_name(Boundary b);
Boundary parse_boundary(const std::string& name);  // throws Error

// Per-channel displacement: channel c moves down by dh[c] rows, right by dw[c] columns.
struct ShiftSpec {
  std::vector<float> dh, dw;
  Boundary boundary = Boundary::zero;

  int64_t channels() const { return static_cast<int64_t>(dh.size()); }
  bool is_integer() const;
  // Largest |dh| and |dw| over all channels, in pixels.
  float max_abs_dh() const;
  float max_abs_dw() const;
  // Throws Error naming the problem (channel count, keep with fractional, non-finite).
  void validate(int64_t channels) const;
};

// Builds a spec from a SPEC §1 pattern string for a tensor with `channels` channels.
// Throws Error naming what does not fit.
ShiftSpec parse_pattern(const std::string& pattern, int64_t channels,
                        Boundary boundary = Boundary::zero);

}  // namespace shiftnn
