// What timings are compared with: the memcpy baseline copies exactly its bytes on any
// thread count, and the shape suite is SPEC §5's.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "shiftnn/baseline.hpp"

namespace shiftnn::test {
namespace {

// Byte counts that split unevenly over threads, and thread counts above the host's.
TEST(Baseline, ParallelMemcpyCopiesExactlyItsBytes) {
  constexpr size_t kGuard = 64;
  for (size_t bytes : {size_t{0}, size_t{1}, size_t{13}, size_t{4097}, size_t{1} << 20}) {
    for (int threads : {1, 2, 3, 7}) {
      std::vector<uint8_t> src(bytes), dst(bytes + 2 * kGuard, 0xA5);
      for (size_t i = 0; i < bytes; ++i) src[i] = static_cast<uint8_t>(i * 131 + 7);
      parallel_memcpy(dst.data() + kGuard, src.data(), bytes, threads);
      const std::string where =
          std::to_string(bytes) + " bytes, " + std::to_string(threads) + " threads";
      for (size_t i = 0; i < kGuard; ++i) {
        ASSERT_EQ(dst[i], 0xA5) << "guard before, " << where;
        ASSERT_EQ(dst[kGuard + bytes + i], 0xA5) << "guard after, " << where;
      }
      ASSERT_TRUE(std::equal(src.begin(), src.end(), dst.begin() + kGuard)) << where;
    }
  }
}

TEST(Baseline, StandardShapesAreSpecSuite) {
  std::vector<std::string> names;
  for (const Shape& s : standard_shapes(false)) names.push_back(s.str());
  const std::vector<std::string> suite = {"1x8x5x5",   "1x96x56x56",  "1x192x28x28", "1x384x14x14",
                                          "1x768x7x7", "1x768x14x14", "8x96x56x56",  "32x64x32x32"};
  EXPECT_EQ(names, suite);
  const std::vector<Shape> with_dram = standard_shapes(true);
  ASSERT_EQ(with_dram.size(), suite.size() + 1);
  EXPECT_EQ(with_dram.back().str(), "64x256x56x56");
}

}  // namespace
}  // namespace shiftnn::test
