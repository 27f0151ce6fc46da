// The bundled digits model (models/, written by python/scripts/train_digits.py): the
// runtime predicts exactly PyTorch's labels on the held-out split.
#include <gtest/gtest.h>

#include <algorithm>

#include "shiftnn/model.hpp"
#include "shiftnn/npy.hpp"

namespace shiftnn::test {
namespace {

TEST(BundledModel, DigitsPredictionsEqualPyTorchs) {
  ModelOptions options;
  options.threads = 1;
  options.shift_plan_mode = PlanMode::wisdom_only;
  options.wisdom_path = "/nonexistent-shiftnn-test/wisdom.json";
  const Model model = Model::load("models/digits.json", options);
  const NpyArray x = load_npy("models/digits_test_x.npy");
  const NpyArray labels = load_npy("models/digits_test_y.npy");
  const NpyArray torch_pred = load_npy("models/digits_torch_pred.npy");
  ASSERT_EQ(x.shape.size(), 4u);
  const Shape s{x.shape[0], x.shape[1], x.shape[2], x.shape[3]};
  const std::vector<Tensor> y = model.run({ConstTensorView{x.data.data(), s, Layout::nchw}});
  ASSERT_EQ(model.output_rank(0), 2);
  const int64_t classes = y[0].shape().c;
  ASSERT_EQ(classes, 10);
  int64_t correct = 0;
  for (int64_t i = 0; i < s.n; ++i) {
    const float* row = y[0].data() + i * classes;
    const int64_t pred = std::max_element(row, row + classes) - row;
    EXPECT_EQ(pred, static_cast<int64_t>(torch_pred.data[i])) << "image " << i;
    correct += pred == static_cast<int64_t>(labels.data[i]);
  }
  EXPECT_GE(correct * 100, s.n * 95) << correct << " of " << s.n;
}

}  // namespace
}  // namespace shiftnn::test
