// demo, part 2: the bundled model (a shift network trained on scikit-learn's 8x8 digits
// by python/scripts/train_digits.py) on its held-out split: accuracy, agreement with
// PyTorch's predictions, per-image latency.
#include "demo_digits.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "shiftnn/error.hpp"
#include "shiftnn/model.hpp"
#include "shiftnn/npy.hpp"
#include "shiftnn/timing.hpp"

namespace shiftnn::cli {
namespace {

std::vector<int64_t> argmax_rows(const Tensor& scores) {
  const int64_t n = scores.shape().n, k = scores.shape().c * scores.shape().h * scores.shape().w;
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const float* row = scores.data() + i * k;
    labels[i] = std::max_element(row, row + k) - row;
  }
  return labels;
}

}  // namespace

void show_digits_model(const std::string& dir, int threads) {
  const std::string model_path = dir + "/digits.json";
  std::printf("\nThe bundled model: %s (python/scripts/train_digits.py)\n", model_path.c_str());
  if (!std::filesystem::exists(model_path)) {
    std::printf("  not found; python/scripts/train_digits.py writes it\n");
    return;
  }
  ModelOptions options;
  options.threads = threads;
  const Model model = Model::load(model_path, options);
  const NpyArray x = load_npy(dir + "/digits_test_x.npy");
  const NpyArray labels = load_npy(dir + "/digits_test_y.npy");
  const NpyArray torch_pred = load_npy(dir + "/digits_torch_pred.npy");
  if (x.shape.size() != 4 || labels.data.size() != static_cast<size_t>(x.shape[0]) ||
      torch_pred.data.size() != labels.data.size()) {
    throw Error(dir + ": digits_test_x.npy must be N,1,8,8 with N labels and N predictions");
  }
  const Shape s{x.shape[0], x.shape[1], x.shape[2], x.shape[3]};
  const std::vector<Tensor> scores = model.run({ConstTensorView{x.data.data(), s, Layout::nchw}});
  const std::vector<int64_t> pred = argmax_rows(scores[0]);
  int64_t correct = 0, same_as_torch = 0;
  for (size_t i = 0; i < pred.size(); ++i) {
    correct += pred[i] == static_cast<int64_t>(labels.data[i]);
    same_as_torch += pred[i] == static_cast<int64_t>(torch_pred.data[i]);
  }
  const Shape one{1, s.c, s.h, s.w};
  const double batch_us = median_microseconds([&] {
    model.run({ConstTensorView{x.data.data(), s, Layout::nchw}});
  });
  const double image_us = median_microseconds([&] {
    model.run({ConstTensorView{x.data.data(), one, Layout::nchw}});
  });
  const auto n = static_cast<int64_t>(pred.size());
  std::printf(
      "  held-out accuracy %.2f%% (%lld of %lld); predictions equal to PyTorch's: %lld of %lld\n",
      100.0 * correct / n, static_cast<long long>(correct), static_cast<long long>(n),
      static_cast<long long>(same_as_torch), static_cast<long long>(n));
  std::printf(
      "  latency, %d thread%s: %.1f us per image at batch 1, %.2f us per image at batch %lld\n",
      threads, threads == 1 ? "" : "s", image_us, batch_us / n, static_cast<long long>(n));
}

}  // namespace shiftnn::cli
