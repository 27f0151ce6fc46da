#include "shiftnn/shift_spec.hpp"

#include <algorithm>
#include <cmath>

#include "shiftnn/error.hpp"

namespace shiftnn {
namespace {

// Displacements are carried as float: beyond 2^24 integers are no longer exact.
constexpr float kMaxDisplacement = 16777216.0f;

}  // namespace

const char* boundary_name(Boundary b) {
  switch (b) {
    case Boundary::zero:
      return "zero";
    case Boundary::replicate:
      return "replicate";
    case Boundary::keep:
      return "keep";
    case Boundary::circular:
      return "circular";
  }
  return "?";
}

Boundary parse_boundary(const std::string& name) {
  for (Boundary b : {Boundary::zero, Boundary::replicate, Boundary::keep, Boundary::circular}) {
    if (name == boundary_name(b)) return b;
  }
  throw Error("unknown boundary '" + name + "' (expected zero, replicate, keep or circular)");
}

bool ShiftSpec::is_integer() const {
  auto integral = [](float v) { return std::floor(v) == v; };
  return std::all_of(dh.begin(), dh.end(), integral) && std::all_of(dw.begin(), dw.end(), integral);
}

float ShiftSpec::max_abs_dh() const {
  float m = 0;
  for (float v : dh) m = std::max(m, std::fabs(v));
  return m;
}

float ShiftSpec::max_abs_dw() const {
  float m = 0;
  for (float v : dw) m = std::max(m, std::fabs(v));
  return m;
}

void ShiftSpec::validate(int64_t channels_expected) const {
  if (dh.size() != dw.size()) throw Error("shift spec has different dh and dw counts");
  if (channels() != channels_expected) {
    throw Error("shift spec has " + std::to_string(channels()) + " channels but the tensor has " +
                std::to_string(channels_expected));
  }
  for (int64_t c = 0; c < channels(); ++c) {
    for (float v : {dh[c], dw[c]}) {
      if (!std::isfinite(v) || std::fabs(v) > kMaxDisplacement) {
        throw Error("displacement of channel " + std::to_string(c) +
                    " is not a finite number within +-16777216");
      }
    }
  }
  if (boundary == Boundary::keep && !is_integer()) {
    throw Error("boundary keep requires integer displacements (the spec is fractional)");
  }
}

}  // namespace shiftnn
