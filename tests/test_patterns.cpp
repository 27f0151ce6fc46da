// SPEC §1 patterns: per-channel displacements, and clear errors for patterns that
// do not fit the tensor.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "shiftnn/npy.hpp"
#include "shiftnn/shift_spec.hpp"
#include "support/test_support.hpp"

namespace shiftnn::test {
namespace {

using Pairs = std::vector<std::pair<float, float>>;

Pairs pairs_of(const ShiftSpec& s) {
  Pairs p;
  for (int64_t c = 0; c < s.channels(); ++c) p.emplace_back(s.dh[c], s.dw[c]);
  return p;
}

Pairs parse(const std::string& pattern, int64_t c) {
  const ShiftSpec s = parse_pattern(pattern, c);
  EXPECT_EQ(s.dh.size(), static_cast<size_t>(c));
  EXPECT_EQ(s.dw.size(), static_cast<size_t>(c));
  return pairs_of(s);
}

TEST(Patterns, QuadOnEightChannels) {
  EXPECT_EQ(parse("quad", 8),
            (Pairs{{0, 1}, {0, 1}, {0, -1}, {0, -1}, {1, 0}, {1, 0}, {-1, 0}, {-1, 0}}));
}

TEST(Patterns, QuadBoundsAreFloorOfKCOverFour) {
  // C = 10: b = 0, 2, 5, 7, 10.
  EXPECT_EQ(
      parse("quad:2", 10),
      (Pairs{
          {0, 2}, {0, 2}, {0, -2}, {0, -2}, {0, -2}, {2, 0}, {2, 0}, {-2, 0}, {-2, 0}, {-2, 0}}));
  // C = 3: b = 0, 0, 1, 2, 3.
  EXPECT_EQ(parse("quad", 3), (Pairs{{0, -1}, {1, 0}, {-1, 0}}));
}

TEST(Patterns, GroupedInterleavedWithRemainderUnshifted) {
  // K = 3 on C = 20: 18 channels covered; sample offset ow = c%3 - 1,
  // oh = (c/3)%3 - 1, displacement = -offset.
  const Pairs p = parse("grouped:3", 20);
  for (int c = 0; c < 18; ++c) {
    const float dw = -static_cast<float>(c % 3 - 1), dh = -static_cast<float>((c / 3) % 3 - 1);
    EXPECT_EQ(p[c], std::make_pair(dh, dw)) << "channel " << c;
  }
  EXPECT_EQ(p[0], std::make_pair(1.0f, 1.0f));
  EXPECT_EQ(p[4], std::make_pair(0.0f, 0.0f));
  EXPECT_EQ(p[8], std::make_pair(-1.0f, -1.0f));
  EXPECT_EQ(p[18], std::make_pair(0.0f, 0.0f));
  EXPECT_EQ(p[19], std::make_pair(0.0f, 0.0f));
}

TEST(Patterns, GroupedWithDilation) {
  const Pairs p = parse("grouped:3:2", 20), base = parse("grouped:3", 20);
  for (int c = 0; c < 20; ++c) {
    EXPECT_EQ(p[c], std::make_pair(2 * base[c].first, 2 * base[c].second)) << "channel " << c;
  }
}

TEST(Patterns, AxialUsesCeilGroups) {
  // S = 3, C = 10: g = 4, displacement c/4 - 1 along h.
  EXPECT_EQ(
      parse("axial:3:h", 10),
      (Pairs{{-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {1, 0}, {1, 0}}));
  // S = 4, C = 10: g = 3, displacement c/3 - 2 along w.
  EXPECT_EQ(
      parse("axial:4:w", 10),
      (Pairs{
          {0, -2}, {0, -2}, {0, -2}, {0, -1}, {0, -1}, {0, -1}, {0, 0}, {0, 0}, {0, 0}, {0, 1}}));
  const Pairs dil = parse("axial:3:w:2", 6);  // g = 2
  EXPECT_EQ(dil, (Pairs{{0, -2}, {0, -2}, {0, 0}, {0, 0}, {0, 2}, {0, 2}}));
}

TEST(Patterns, CycleOffsets) {
  // Sample offset (c + 1) % 3 - 1 = 0, 1, -1, ...; displacement is its negation.
  EXPECT_EQ(parse("cycle:3:w", 7),
            (Pairs{{0, 0}, {0, -1}, {0, 1}, {0, 0}, {0, -1}, {0, 1}, {0, 0}}));
  // K = 5: offsets 0, 1, 2, -2, -1.
  EXPECT_EQ(parse("cycle:5:h", 5), (Pairs{{0, 0}, {-1, 0}, {-2, 0}, {2, 0}, {1, 0}}));
}

TEST(Patterns, UniformAndList) {
  EXPECT_EQ(parse("uniform:0.5,-1", 3), (Pairs{{0.5f, -1}, {0.5f, -1}, {0.5f, -1}}));
  EXPECT_EQ(parse("list:1,2;-3,0.5;0,0", 3), (Pairs{{1, 2}, {-3, 0.5f}, {0, 0}}));
  EXPECT_FALSE(parse_pattern("uniform:0.5,-1", 3).is_integer());
  EXPECT_TRUE(parse_pattern("list:1,2;-3,5;0,0", 3).is_integer());
  EXPECT_EQ(parse_pattern("list:1,2;-3,5;0,0", 3).max_abs_dh(), 3.0f);
  EXPECT_EQ(parse_pattern("list:1,2;-3,5;0,0", 3).max_abs_dw(), 5.0f);
}

TEST(Patterns, BoundaryIsCarried) {
  EXPECT_EQ(parse_pattern("quad", 4, Boundary::circular).boundary, Boundary::circular);
  EXPECT_EQ(parse_pattern("quad", 4).boundary, Boundary::zero);
}

TEST(Patterns, FileFloat32AndFloat64) {
  TempDir dir;
  const std::vector<float> f32 = {1, -2, 0.5f, 0, -0.25f, 3};
  save_npy(dir.file("f32.npy"), {3, 2}, f32.data());
  EXPECT_EQ(parse("file:" + dir.file("f32.npy"), 3), (Pairs{{1, -2}, {0.5f, 0}, {-0.25f, 3}}));

  const std::vector<double> f64 = {2, 0, -1.5, 1, 0, -4};
  write_bytes(dir.file("f64.npy"),
              npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }", f64.data(),
                        f64.size() * sizeof(double)));
  EXPECT_EQ(parse("file:" + dir.file("f64.npy"), 3), (Pairs{{2, 0}, {-1.5f, 1}, {0, -4}}));
}

TEST(PatternErrors, NameTheProblem) {
  expect_error([] { parse_pattern("spiral", 8); }, {"unknown", "spiral"});
  expect_error([] { parse_pattern("spiral:3", 8); }, {"unknown", "spiral"});
  expect_error([] { parse_pattern("list:1,0;0,1", 3); }, {"2 pairs", "3 channels"});
  expect_error([] { parse_pattern("list:1,0;0,1;0,0;1,1", 3); }, {"4 pairs", "3 channels"});
  expect_error([] { parse_pattern("list:1,0;0;1,1", 3); }, {"pair 1"});
  expect_error([] { parse_pattern("grouped:4", 32); }, {"odd"});
  expect_error([] { parse_pattern("grouped:0", 32); }, {"odd"});
  expect_error([] { parse_pattern("quad:-1", 8); }, {"negative"});
  expect_error([] { parse_pattern("axial:3:x", 8); }, {"axis", "'x'"});
  expect_error([] { parse_pattern("cycle:3:z", 8); }, {"axis", "'z'"});
  expect_error([] { parse_pattern("axial:0:h", 8); }, {"S"});
  expect_error([] { parse_pattern("uniform:0.5,0", 8, Boundary::keep); }, {"keep"});
  expect_error([] { parse_pattern("uniform:a,1", 8); }, {"'a'", "not a number"});
  expect_error([] { parse_pattern("uniform:1", 8); }, {"uniform:DH,DW"});
  expect_error([] { parse_pattern("quad:x", 8); }, {"'x'"});
  expect_error([] { parse_pattern("quad:1:2", 8); }, {"quad[:D]"});
  expect_error([] { parse_pattern("grouped:three", 8); }, {"'three'", "integer"});
  expect_error([] { parse_pattern("grouped:3:1.5", 8); }, {"'1.5'"});
  expect_error([] { parse_pattern("list:1,nan;0,0", 2); }, {"'nan'"});
  expect_error([] { parse_pattern("uniform:inf,0", 2); }, {"'inf'"});
  expect_error([] { parse_pattern("", 8); }, {"unknown"});
  expect_error([] { parse_pattern("quad", 0); }, {"0 channels"});
}

TEST(PatternErrors, FileProblems) {
  TempDir dir;
  const std::string missing = dir.file("missing.npy");
  expect_error([&] { parse_pattern("file:" + missing, 3); }, {missing});
  expect_error([] { parse_pattern("file:", 3); }, {"file:PATH"});
  const std::vector<float> wrong = {1, 2, 3, 4, 5, 6};
  save_npy(dir.file("wrong.npy"), {2, 3}, wrong.data());
  expect_error([&] { parse_pattern("file:" + dir.file("wrong.npy"), 3); },
               {"shape (2,3)", "(3, 2)"});
  save_npy(dir.file("flat.npy"), {6}, wrong.data());
  expect_error([&] { parse_pattern("file:" + dir.file("flat.npy"), 3); }, {"shape (6)"});
  save_npy(dir.file("count.npy"), {3, 2}, wrong.data());
  expect_error([&] { parse_pattern("file:" + dir.file("count.npy"), 4); }, {"(4, 2)"});
  const std::vector<float> frac = {0.5f, 0, 0, 0, 0, 0};
  save_npy(dir.file("frac.npy"), {3, 2}, frac.data());
  expect_error([&] { parse_pattern("file:" + dir.file("frac.npy"), 3, Boundary::keep); }, {"keep"});
}

}  // namespace
}  // namespace shiftnn::test
