#pragma once
// The blocks of the shift-network families, built with GraphBuilder and random weights:
// shared by the model tests and the model benchmarks (no test framework needed).
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "shiftnn/graph.hpp"

namespace shiftnn::blocks {

// Uniform in [-scale, scale], reproducible from seed.
inline Weight random_weight(std::vector<int64_t> shape, uint32_t seed, float scale = 0.3f) {
  Weight w{std::move(shape), {}};
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> value(-scale, scale);
  w.data.resize(static_cast<size_t>(w.elements()));
  for (float& x : w.data) x = value(rng);
  return w;
}

// In [0.5, 0.8]: norm scales and variances.
inline Weight positive_weight(int64_t c, uint32_t seed) {
  Weight w = random_weight({c}, seed);
  for (float& x : w.data) x = 0.5f + std::fabs(x);
  return w;
}

// S2-MLP style: x + conv1x1(quad shift(GELU(conv1x1(x)))), hidden width 2C.
inline Graph s2mlp_block(Shape s, Boundary boundary = Boundary::zero) {
  GraphBuilder b;
  const std::string x = b.input("x", s);
  const Weight w1 = random_weight({2 * s.c, s.c, 1, 1}, 1), b1 = random_weight({2 * s.c}, 2);
  const Weight w2 = random_weight({s.c, 2 * s.c, 1, 1}, 3), b2 = random_weight({s.c}, 4);
  auto h = b.gelu(b.conv2d(x, w1, &b1));
  h = b.shift(h, "quad", boundary);
  b.output(b.add(x, b.conv2d(h, w2, &b2)));
  return b.build();
}

// AS-MLP style: GroupNorm(1, C), conv1x1, axial shifts along h and along w in two
// branches (each a conv1x1), added, GELU, conv1x1, residual add.
inline Graph asmlp_block(Shape s) {
  GraphBuilder b;
  const std::string x = b.input("x", s);
  const int64_t c = s.c;
  auto t = b.group_norm(x, 1, positive_weight(c, 10), random_weight({c}, 11));
  t = b.conv2d(t, random_weight({c, c, 1, 1}, 12), nullptr);
  const Weight bh = random_weight({c}, 14), bw = random_weight({c}, 16);
  const auto th = b.conv2d(b.shift(t, "axial:3:h"), random_weight({c, c, 1, 1}, 13), &bh);
  const auto tw = b.conv2d(b.shift(t, "axial:3:w"), random_weight({c, c, 1, 1}, 15), &bw);
  t = b.gelu(b.add(th, tw));
  const Weight bo = random_weight({c}, 18);
  b.output(b.add(b.conv2d(t, random_weight({c, c, 1, 1}, 17), &bo), x));
  return b.build();
}

}  // namespace shiftnn::blocks
