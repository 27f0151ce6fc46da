// The seed article's example: 1x8x5x5, even channels = row index, odd channels =
// column index, quad shift. Every strategy must print exactly the article's tensor.
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/reference/reference.hpp"
#include "shiftnn/shift.hpp"
#include "support/test_support.hpp"

namespace shiftnn::test {
namespace {

struct SeedCase {
  Strategy strategy;
  Layout layout;
  Boundary boundary;
};

void PrintTo(const SeedCase& c, std::ostream* os) {
  *os << strategy_name(c.strategy) << " " << layout_name(c.layout) << " "
      << boundary_name(c.boundary);
}

std::string seed_case_name(const testing::TestParamInfo<SeedCase>& info) {
  return std::string(strategy_name(info.param.strategy)) + "_" + layout_name(info.param.layout) +
         "_" + boundary_name(info.param.boundary);
}

std::vector<SeedCase> seed_cases() {
  std::vector<Strategy> strategies = all_strategies();
  strategies.push_back(Strategy::automatic);
  std::vector<SeedCase> out;
  for (Strategy s : strategies)
    for (Layout l : {Layout::nchw, Layout::nhwc})
      for (Boundary b : {Boundary::keep, Boundary::replicate}) out.push_back({s, l, b});
  return out;
}

class SeedTest : public testing::TestWithParam<SeedCase> {};

// With |d| = 1, keep and replicate agree: both give the article's tensor.
TEST_P(SeedTest, ReproducesTheArticlesTensor) {
  const SeedCase& p = GetParam();
  std::vector<float> x = seed_input(), want = seed_expected();
  if (p.layout == Layout::nhwc) x = to_nhwc(x, kSeedShape), want = to_nhwc(want, kSeedShape);
  GuardedBuffer y(kSeedShape.elements());
  const ShiftSpec spec = parse_pattern("quad", 8, p.boundary);
  shift({x.data(), kSeedShape, p.layout}, {y.data(), kSeedShape, p.layout}, spec, {p.strategy, 1});
  EXPECT_EQ(y.damaged_guard(), -1);
  EXPECT_EQ(compare(y.data(), want.data(), kSeedShape, p.layout), "");
}

INSTANTIATE_TEST_SUITE_P(Seed, SeedTest, testing::ValuesIn(seed_cases()), seed_case_name);

TEST(Seed, ReferenceReproducesTheArticlesTensor) {
  const std::vector<float> x = seed_input(), want = seed_expected();
  const ShiftSpec spec = parse_pattern("quad", 8, Boundary::keep);
  std::vector<float> y(200);
  kernels::reference::shift(x.data(), y.data(), 1, 8, 5, 5, kernels::Layout::nchw,
                            kernels::Boundary::keep, spec.dh.data(), spec.dw.data());
  EXPECT_EQ(compare(y.data(), want.data(), kSeedShape, Layout::nchw), "");
}

// The printed tensor, spot-checked against the article's text so a typo in the
// hard-coded planes cannot hide: plane 1 row 0 and plane 6 row 4.
TEST(Seed, HardCodedPlanesMatchTheArticle) {
  const std::vector<float> want = seed_expected();
  const std::vector<float> plane1_row0 = {0, 0, 1, 2, 3}, plane6_row4 = {4, 4, 4, 4, 4};
  EXPECT_EQ(std::vector<float>(want.begin() + 25, want.begin() + 30), plane1_row0);
  EXPECT_EQ(std::vector<float>(want.begin() + 170, want.begin() + 175), plane6_row4);
}

}  // namespace
}  // namespace shiftnn::test
