// Pattern strings of SPEC §1 -> per-channel displacements.
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "shiftnn/error.hpp"
#include "shiftnn/npy.hpp"
#include "shiftnn/shift_spec.hpp"

namespace shiftnn {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t pos = 0;
  for (;;) {
    size_t end = s.find(sep, pos);
    parts.push_back(s.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
    if (end == std::string::npos) return parts;
    pos = end + 1;
  }
}

[[noreturn]] void fail(const std::string& pattern, const std::string& why) {
  throw Error("bad pattern '" + pattern + "': " + why);
}

float number(const std::string& pattern, const std::string& text, const char* what) {
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(begin, &end);
  if (text.empty() || end != begin + text.size() || errno != 0 || !std::isfinite(v)) {
    fail(pattern, std::string(what) + " '" + text + "' is not a number");
  }
  return static_cast<float>(v);
}

int64_t integer(const std::string& pattern, const std::string& text, const char* what) {
  if (text.empty() || text.size() > 9 ||
      text.find_first_not_of("0123456789", text[0] == '-' ? 1 : 0) != std::string::npos ||
      text == "-") {
    fail(pattern, std::string(what) + " '" + text + "' is not an integer");
  }
  return std::stoll(text);
}

char axis(const std::string& pattern, const std::string& text) {
  if (text != "h" && text != "w") fail(pattern, "axis '" + text + "' must be h or w");
  return text[0];
}

void expect_args(const std::string& pattern, const std::vector<std::string>& parts, size_t lo,
                 size_t hi, const char* usage) {
  if (parts.size() < lo || parts.size() > hi) fail(pattern, std::string("expected ") + usage);
}

}  // namespace

ShiftSpec parse_pattern(const std::string& pattern, int64_t C, Boundary boundary) {
  if (C <= 0) throw Error("cannot build a shift pattern for " + std::to_string(C) + " channels");
  ShiftSpec spec;
  spec.boundary = boundary;
  spec.dh.assign(C, 0.0f);
  spec.dw.assign(C, 0.0f);
  const size_t colon = pattern.find(':');
  const std::string kind = pattern.substr(0, colon);
  const std::string rest = colon == std::string::npos ? "" : pattern.substr(colon + 1);
  const std::vector<std::string> parts = split(pattern, ':');

  if (kind == "quad") {
    expect_args(pattern, parts, 1, 2, "quad[:D]");
    float d = parts.size() == 2 ? number(pattern, parts[1], "D") : 1.0f;
    if (d < 0) fail(pattern, "D must not be negative");
    for (int64_t c = 0; c < C; ++c) {
      int64_t q = 0;
      while (q < 3 && c >= ((q + 1) * C) / 4) ++q;  // [b_q, b_{q+1}) with b_k = (k*C)//4
      const float dh[4] = {0, 0, d, -d}, dw[4] = {d, -d, 0, 0};
      spec.dh[c] = dh[q], spec.dw[c] = dw[q];
    }
  } else if (kind == "grouped") {
    expect_args(pattern, parts, 2, 3, "grouped:K[:DIL]");
    int64_t k = integer(pattern, parts[1], "K");
    int64_t dil = parts.size() == 3 ? integer(pattern, parts[2], "DIL") : 1;
    if (k <= 0 || k % 2 == 0) fail(pattern, "K must be a positive odd integer");
    if (dil <= 0) fail(pattern, "DIL must be positive");
    const int64_t covered = (C / (k * k)) * k * k;
    for (int64_t c = 0; c < covered; ++c) {
      spec.dw[c] = static_cast<float>(-dil * ((c % k) - k / 2));
      spec.dh[c] = static_cast<float>(-dil * (((c / k) % k) - k / 2));
    }
  } else if (kind == "axial") {
    expect_args(pattern, parts, 3, 4, "axial:S:AXIS[:DIL]");
    int64_t s = integer(pattern, parts[1], "S");
    char ax = axis(pattern, parts[2]);
    int64_t dil = parts.size() == 4 ? integer(pattern, parts[3], "DIL") : 1;
    if (s <= 0) fail(pattern, "S must be positive");
    if (dil <= 0) fail(pattern, "DIL must be positive");
    const int64_t g = (C + s - 1) / s;
    for (int64_t c = 0; c < C; ++c) {
      float d = static_cast<float>((c / g - s / 2) * dil);
      (ax == 'h' ? spec.dh : spec.dw)[c] = d;
    }
  } else if (kind == "cycle") {
    expect_args(pattern, parts, 3, 3, "cycle:K:AXIS");
    int64_t k = integer(pattern, parts[1], "K");
    char ax = axis(pattern, parts[2]);
    if (k <= 0) fail(pattern, "K must be positive");
    for (int64_t c = 0; c < C; ++c) {
      float offset = static_cast<float>((c + k / 2) % k - k / 2);
      (ax == 'h' ? spec.dh : spec.dw)[c] = -offset;
    }
  } else if (kind == "uniform") {
    std::vector<std::string> v = split(rest, ',');
    if (colon == std::string::npos || v.size() != 2) fail(pattern, "expected uniform:DH,DW");
    float dh = number(pattern, v[0], "DH"), dw = number(pattern, v[1], "DW");
    spec.dh.assign(C, dh);
    spec.dw.assign(C, dw);
  } else if (kind == "list") {
    std::vector<std::string> pairs = split(rest, ';');
    if (colon == std::string::npos || static_cast<int64_t>(pairs.size()) != C) {
      fail(pattern, "list has " + std::to_string(colon == std::string::npos ? 0 : pairs.size()) +
                        " pairs but the tensor has " + std::to_string(C) + " channels");
    }
    for (int64_t c = 0; c < C; ++c) {
      std::vector<std::string> v = split(pairs[c], ',');
      if (v.size() != 2) fail(pattern, "pair " + std::to_string(c) + " is not DH,DW");
      spec.dh[c] = number(pattern, v[0], "DH");
      spec.dw[c] = number(pattern, v[1], "DW");
    }
  } else if (kind == "file") {
    if (rest.empty()) fail(pattern, "expected file:PATH");
    NpyArray a = load_npy(rest, /*accept_float64=*/true);
    if (a.shape.size() != 2 || a.shape[0] != C || a.shape[1] != 2) {
      std::string shape;
      for (int64_t d : a.shape) shape += (shape.empty() ? "" : ",") + std::to_string(d);
      fail(pattern, "file holds shape (" + shape + "), expected (" + std::to_string(C) + ", 2)");
    }
    for (int64_t c = 0; c < C; ++c) spec.dh[c] = a.data[2 * c], spec.dw[c] = a.data[2 * c + 1];
  } else {
    fail(pattern, "unknown pattern '" + kind +
                      "' (expected quad, grouped, axial, cycle, uniform, list or file)");
  }
  spec.validate(C);
  return spec;
}

}  // namespace shiftnn
