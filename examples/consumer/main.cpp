// Shifts caller-owned memory through the installed library: no copy into shiftnn types.
#include <cstdio>
#include <vector>

#include <shiftnn/shiftnn.hpp>

int main() {
  const shiftnn::Shape shape{1, 8, 4, 4};
  std::vector<float> in(shape.elements()), out(shape.elements());
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i);

  const shiftnn::ShiftSpec spec = shiftnn::parse_pattern("quad", shape.c, shiftnn::Boundary::zero);
  shiftnn::shift({in.data(), shape, shiftnn::Layout::nchw},
                 {out.data(), shape, shiftnn::Layout::nchw}, spec);
  // Channel 0 moves right by one: out[0][0][1] = in[0][0][0], out[0][0][0] = 0.
  const bool ok = out[1] == in[0] && out[0] == 0.0f;
  std::printf("consumer: quad shift through shiftnn::shiftnn %s\n", ok ? "ok" : "WRONG");
  try {
    shiftnn::parse_pattern("list:1,0", shape.c);
  } catch (const shiftnn::Error& e) {
    std::printf("consumer: bad pattern rejected: %s\n", e.what());
  }
  return ok ? 0 : 1;
}
