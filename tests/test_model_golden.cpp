// Compiled models against PyTorch: S2-MLP, AS-MLP, CycleMLP-style blocks and a small
// ShiftResNet-style classifier, written in plain PyTorch the way their papers' code does
// (tests/golden/models/make_model_golden.py), loaded from NAME.json + NAME.safetensors
// and run on the same input at 1 and 2 threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include "shiftnn/model.hpp"
#include "shiftnn/npy.hpp"
#include "support/test_support.hpp"

namespace shiftnn::test {
namespace {

const char* kGolden = "tests/golden/models/";

ModelOptions private_options(int threads) {
  ModelOptions o;
  o.threads = threads;
  o.shift_plan_mode = PlanMode::wisdom_only;
  o.wisdom_path = "/nonexistent-shiftnn-test/wisdom.json";  // never read or written
  return o;
}

Shape shape_of(const std::vector<int64_t>& dims) {
  if (dims.size() == 2) return {dims[0], dims[1], 1, 1};
  if (dims.size() == 4) return {dims[0], dims[1], dims[2], dims[3]};
  ADD_FAILURE() << "golden array of rank " << dims.size();
  return {};
}

class Golden : public ::testing::TestWithParam<std::tuple<const char*, int>> {};
class GoldenBatch : public Golden {};  // the models declared with batch 2

TEST_P(Golden, MatchesPyTorch) {
  const std::string name = std::get<0>(GetParam());
  const int threads = std::get<1>(GetParam());
  const std::string base = std::string(kGolden) + name;
  const NpyArray x = load_npy(base + ".input.npy");
  const NpyArray want = load_npy(base + ".output.npy");
  const Model model = Model::load(base + ".json", private_options(threads));

  ASSERT_EQ(x.shape.size(), 4u);
  const Shape in_shape = shape_of(x.shape);
  ASSERT_EQ(model.graph().inputs.size(), 1u);
  ASSERT_EQ(model.graph().inputs[0].shape, in_shape);
  const std::vector<Tensor> y = model.run({ConstTensorView{x.data.data(), in_shape, Layout::nchw}});
  ASSERT_EQ(y.size(), 1u);
  ASSERT_EQ(model.output_rank(0), static_cast<int>(want.shape.size()));
  ASSERT_EQ(y[0].shape(), shape_of(want.shape));
  ASSERT_EQ(y[0].layout(), Layout::nchw);

  // |got - want| <= 1e-4 * (1 + |want|) everywhere; report the worst relative error.
  double worst = 0;
  int64_t worst_at = 0, bad = 0;
  for (int64_t i = 0; i < y[0].elements(); ++i) {
    const double got = y[0].data()[i], ref = want.data[i];
    const double rel = std::fabs(got - ref) / (1 + std::fabs(ref));
    if (!(rel <= 1e-4)) ++bad;
    if (!std::isnan(worst) && !(rel <= worst)) worst = rel, worst_at = i;  // NaN sticks
  }
  std::printf("golden %-12s threads %d: max relative error %.3g\n", name.c_str(), threads, worst);
  EXPECT_EQ(bad, 0) << bad << " of " << y[0].elements() << " elements off; worst at "
                    << position(worst_at, y[0].shape(), Layout::nchw) << ": got "
                    << y[0].data()[worst_at] << ", want " << want.data[worst_at] << " (relative "
                    << worst << ")";
}

// A model declared with batch 2 run on its first sample alone (a batch compiled at run
// time) gives PyTorch's first sample.
TEST_P(GoldenBatch, FirstSampleAloneMatchesPyTorch) {
  const std::string name = std::get<0>(GetParam());
  const std::string base = std::string(kGolden) + name;
  const NpyArray x = load_npy(base + ".input.npy");
  const NpyArray want = load_npy(base + ".output.npy");
  ASSERT_EQ(x.shape[0], 2) << name;
  const Model model = Model::load(base + ".json", private_options(std::get<1>(GetParam())));
  Shape one = shape_of(x.shape);
  one.n = 1;
  const Tensor y = std::move(model.run({ConstTensorView{x.data.data(), one, Layout::nchw}})[0]);
  Shape want_one = shape_of(want.shape);
  want_one.n = 1;
  ASSERT_EQ(y.shape(), want_one);
  for (int64_t i = 0; i < y.elements(); ++i) {
    ASSERT_LE(std::fabs(y.data()[i] - want.data[i]), 1e-4 * (1 + std::fabs(want.data[i])))
        << position(i, y.shape(), Layout::nchw) << ": got " << y.data()[i] << ", want "
        << want.data[i];
  }
}

// The profiled run computes the same output as the plain one.
TEST_P(Golden, ProfiledRunAgrees) {
  const std::string name = std::get<0>(GetParam());
  const std::string base = std::string(kGolden) + name;
  const NpyArray x = load_npy(base + ".input.npy");
  const Model model = Model::load(base + ".json", private_options(std::get<1>(GetParam())));
  const ConstTensorView in{x.data.data(), shape_of(x.shape), Layout::nchw};
  std::vector<NodeProfile> rows;
  const Tensor profiled = std::move(model.run_profiled({in}, rows)[0]);
  const Tensor plain = std::move(model.run({in})[0]);
  EXPECT_FALSE(rows.empty());
  ASSERT_EQ(profiled.shape(), plain.shape());
  EXPECT_EQ(compare(profiled.data(), plain.data(), plain.shape(), Layout::nchw), "");
}

std::string param_name(const ::testing::TestParamInfo<Golden::ParamType>& info) {
  return std::string(std::get<0>(info.param)) + "_threads" +
         std::to_string(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Models, Golden,
                         ::testing::Combine(::testing::Values("s2mlp", "s2mlp_odd", "asmlp_s3",
                                                              "asmlp_s5", "shiftresnet",
                                                              "cyclemlp"),
                                            ::testing::Values(1, 2)),
                         param_name);
INSTANTIATE_TEST_SUITE_P(Models, GoldenBatch,
                         ::testing::Combine(::testing::Values("s2mlp_odd", "asmlp_s5",
                                                              "shiftresnet", "cyclemlp"),
                                            ::testing::Values(1, 2)),
                         param_name);

}  // namespace
}  // namespace shiftnn::test
