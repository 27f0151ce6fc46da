// Compiled models against the reference interpreter: S2-MLP- and AS-MLP-style blocks
// built in code and through files, batch changes, concurrent runs, fusion and memory.
#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "shiftnn/grid_sample.hpp"
#include "shiftnn/model.hpp"
#include "support/model_blocks.hpp"
#include "support/reference_model.hpp"
#include "support/test_support.hpp"

namespace shiftnn::test {
namespace {

using blocks::asmlp_block;
using blocks::positive_weight;
using blocks::random_weight;
using blocks::s2mlp_block;

ModelOptions private_options(int threads = 1) {
  ModelOptions o;
  o.threads = threads;
  o.shift_plan_mode = PlanMode::wisdom_only;
  o.wisdom_path = "/nonexistent-shiftnn-test/wisdom.json";  // never read or written
  return o;
}

RefTensor random_tensor(Shape s, uint32_t seed) {
  return {s, random_values(s.elements(), seed)};
}

// |got - want| <= tol * (1 + |want|) everywhere.
void expect_close(const Tensor& got, const RefTensor& want, double tol = 1e-4) {
  ASSERT_EQ(got.shape(), want.shape);
  for (int64_t i = 0; i < want.shape.elements(); ++i) {
    ASSERT_LE(std::fabs(got.data()[i] - want.data[i]), tol * (1 + std::fabs(want.data[i])))
        << "element " << i << ": " << got.data()[i] << " vs " << want.data[i];
  }
}

Tensor run_model(const Model& m, const RefTensor& x) {
  return std::move(m.run({ConstTensorView{x.data.data(), x.shape, Layout::nchw}})[0]);
}

TEST(Model, S2mlpBlockMatchesReference) {
  for (const Shape s : {Shape{1, 24, 14, 14}, Shape{2, 20, 9, 7}, Shape{1, 8, 1, 1}}) {
    const Graph g = s2mlp_block(s);
    const RefTensor x = random_tensor(s, 7);
    const Model m(g, private_options());
    expect_close(run_model(m, x), ReferenceModel(g).run({x})[0]);
  }
}

TEST(Model, AsmlpBlockMatchesReference) {
  for (const Shape s : {Shape{1, 32, 14, 14}, Shape{2, 12, 5, 11}}) {
    const Graph g = asmlp_block(s);
    const RefTensor x = random_tensor(s, 8);
    for (int threads : {1, 2}) {
      const Model m(g, private_options(threads));
      expect_close(run_model(m, x), ReferenceModel(g).run({x})[0]);
    }
  }
}

TEST(Model, EveryBoundaryOfTheShiftNode) {
  const Shape s{1, 16, 6, 5};
  for (Boundary boundary :
       {Boundary::zero, Boundary::replicate, Boundary::keep, Boundary::circular}) {
    const Graph g = s2mlp_block(s, boundary);
    const RefTensor x = random_tensor(s, 9);
    expect_close(run_model(Model(g, private_options()), x), ReferenceModel(g).run({x})[0]);
  }
}

TEST(Model, FilesGiveTheSameResultsAsTheBuilder) {
  TempDir dir;
  const Shape s{1, 16, 8, 8};
  const Graph g = asmlp_block(s);
  const std::string path = dir.file("asmlp.json");
  save_graph(g, path);
  const RefTensor x = random_tensor(s, 3);
  const Tensor built = run_model(Model(g, private_options()), x);
  const Tensor loaded = run_model(Model::load(path, private_options()), x);
  ASSERT_EQ(built.shape(), loaded.shape());
  for (int64_t i = 0; i < built.elements(); ++i) {
    ASSERT_EQ(bits_of(built.data()[i]), bits_of(loaded.data()[i])) << i;
  }
}

TEST(Model, BatchMayDifferFromTheDeclaredOne) {
  const Graph g = s2mlp_block({1, 16, 7, 7});
  const Model m(g, private_options());
  const RefTensor x = random_tensor({3, 16, 7, 7}, 4);
  expect_close(run_model(m, x), ReferenceModel(g).run({x})[0]);
  expect_close(run_model(m, random_tensor({1, 16, 7, 7}, 5)),
               ReferenceModel(g).run({random_tensor({1, 16, 7, 7}, 5)})[0]);
}

TEST(Model, ConcurrentRunsOfOneModelAgree) {
  const Shape s{1, 32, 14, 14};
  const Graph g = asmlp_block(s);
  const Model m(g, private_options(1));
  const RefTensor x = random_tensor(s, 6);
  const Tensor expected = run_model(m, x);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < 25; ++r) {
        const Tensor y = run_model(m, x);
        for (int64_t i = 0; i < y.elements(); ++i) {
          mismatches[t] += bits_of(y.data()[i]) != bits_of(expected.data()[i]);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST(Model, ArenaIsFarBelowTheSumOfActivations) {
  const Model m(asmlp_block({1, 64, 28, 28}), private_options());
  const MemoryReport r = m.memory();
  EXPECT_GT(r.arena_bytes, 0u);
  EXPECT_LE(r.arena_bytes * 2, r.intermediates_bytes)
      << r.arena_bytes << " vs " << r.intermediates_bytes;
}

TEST(Model, FusesActivationBatchNormAndResidualIntoConvolutions) {
  GraphBuilder b;
  const Shape s{1, 8, 6, 6};
  const std::string x = b.input("x", s);
  auto t = b.conv2d(x, random_weight({8, 8, 3, 3}, 1), nullptr, {1, 1, 1, 1});
  t = b.batch_norm(t, positive_weight(8, 2), random_weight({8}, 3), random_weight({8}, 4),
                   positive_weight(8, 5));
  t = b.relu(t);
  b.output(b.relu(b.add(x, b.conv2d(t, random_weight({8, 8, 1, 1}, 6)))));
  const Graph g = b.build();
  const Model m(g, private_options());
  const RefTensor in = random_tensor(s, 2);
  std::vector<NodeProfile> rows;
  const Tensor y =
      std::move(m.run_profiled({ConstTensorView{in.data.data(), s, Layout::nchw}}, rows)[0]);
  expect_close(y, ReferenceModel(g).run({in})[0]);
  std::vector<std::string> ops;
  for (const NodeProfile& r : rows) ops.push_back(r.op);
  EXPECT_EQ(ops, (std::vector<std::string>{"Input", "Conv2d", "Conv2d", "Output"}));
  EXPECT_EQ(rows[1].node, "conv2d_0+batchnorm_0+relu_0");
  EXPECT_EQ(rows[2].node, "conv2d_1+add_0+relu_1");
}

TEST(Model, ClassifierHeadGivesTwoDimensionalOutput) {
  GraphBuilder b;
  const Shape s{2, 6, 4, 4};
  const std::string x = b.input("x", s);
  auto t = b.global_avg_pool(b.relu(b.conv2d(x, random_weight({12, 6, 3, 3}, 1))));
  const Weight fb = random_weight({5}, 3);
  t = b.softmax(b.linear(b.flatten(t), random_weight({5, 12}, 2), &fb));
  b.output(t);
  const Graph g = b.build();
  const Model m(g, private_options());
  const RefTensor in = random_tensor(s, 9);
  expect_close(run_model(m, in), ReferenceModel(g).run({in})[0]);
  EXPECT_EQ(m.output_rank(0), 2);
}

TEST(Model, PatchMergingSliceConcatAndLayerNorm) {
  GraphBuilder b;
  const Shape s{1, 6, 8, 10};
  const std::string x = b.input("x", s);
  std::vector<std::string> parts;
  for (int64_t dh : {0, 1}) {
    for (int64_t dw : {0, 1}) {
      SliceAttrs a;
      a.starts = {0, 0, dh, dw};
      a.steps = {1, 1, 2, 2};
      parts.push_back(b.slice(x, a));
    }
  }
  auto t = b.concat(parts);
  t = b.layer_norm(t, positive_weight(24, 1), random_weight({24}, 2));
  t = b.mul(t, b.global_avg_pool(t));
  b.output(b.conv2d(t, random_weight({12, 24, 1, 1}, 3)));
  const Graph g = b.build();
  const RefTensor in = random_tensor(s, 4);
  expect_close(run_model(Model(g, private_options()), in), ReferenceModel(g).run({in})[0]);
}

// GridSample node (grid given as N x 2 x Ho x Wo) against the public operator in nchw.
TEST(Model, GridSampleNodeMatchesTheOperator) {
  const Shape s{2, 5, 6, 7}, gs{2, 2, 4, 9};
  GraphBuilder b;
  const std::string x = b.input("x", s), grid = b.input("grid", gs);
  b.output(b.grid_sample(x, grid, "bilinear", "border", true));
  const Model m(b.build(), private_options());
  const std::vector<float> xv = random_values(s.elements(), 1);
  std::vector<float> g = random_values(gs.elements(), 2);  // x, y planes in [-1, 1]
  const Tensor y = std::move(m.run({ConstTensorView{xv.data(), s, Layout::nchw},
                                    ConstTensorView{g.data(), gs, Layout::nchw}})[0]);
  // PyTorch's grid layout N x Ho x Wo x 2 from the N x 2 x Ho x Wo planes.
  std::vector<float> torch_grid(g.size());
  for (int64_t n = 0; n < gs.n; ++n) {
    for (int64_t p = 0; p < gs.h * gs.w; ++p) {
      for (int64_t k = 0; k < 2; ++k) {
        torch_grid[(n * gs.h * gs.w + p) * 2 + k] = g[(n * 2 + k) * gs.h * gs.w + p];
      }
    }
  }
  Tensor want({s.n, s.c, gs.h, gs.w});
  GridSampleOptions o;
  o.padding = GridPadding::border;
  o.align_corners = true;
  grid_sample({xv.data(), s, Layout::nchw},
              {torch_grid.data(), {gs.n, gs.h, gs.w, 2}, Layout::nchw}, want.view(), o);
  ASSERT_EQ(y.shape(), want.shape());
  for (int64_t i = 0; i < y.elements(); ++i) {
    ASSERT_NEAR(y.data()[i], want.data()[i], 1e-6) << i;
  }
}

// A Constant per-pixel scale (batch 1) broadcast over a batch of 3, and a Constant
// 2-D bias added to a classifier's scores.
TEST(Model, ConstantsBroadcastOverTheBatch) {
  GraphBuilder b;
  const Shape s{3, 4, 5, 6};
  const std::string x = b.input("x", s);
  const std::string scale =
      b.add_node("Constant", {}, {}, {{"value", random_weight({1, 4, 5, 6}, 1, 1.0f)}});
  auto t = b.mul(x, scale);
  t = b.flatten(b.global_avg_pool(t));
  const std::string bias = b.add_node("Constant", {}, {}, {{"value", random_weight({1, 4}, 2)}});
  // A constant following the batch: concatenated with the scores.
  const std::string extra = b.add_node("Constant", {x}, {}, {{"value", random_weight({1, 3}, 6)}});
  b.output(b.concat({b.add(t, bias), extra}));
  const Graph g = b.build();
  const RefTensor in = random_tensor(s, 3);
  const Model m(g, private_options());
  expect_close(run_model(m, in), ReferenceModel(g).run({in})[0]);
  EXPECT_EQ(m.output_rank(0), 2);
}

// A constant sampling grid of batch 1 serves every image.
TEST(Model, ConstantGridServesEveryImage) {
  const Shape s{2, 3, 6, 7};
  GraphBuilder b;
  const std::string x = b.input("x", s);
  const std::string grid =
      b.add_node("Constant", {}, {}, {{"value", random_weight({1, 2, 4, 5}, 4, 1.0f)}});
  b.output(b.grid_sample(x, grid));
  const Model m(b.build(), private_options());
  const RefTensor in = random_tensor(s, 5);
  const Tensor y = run_model(m, in);
  // Each image alone through a model of batch 1 gives the same numbers.
  for (int64_t i = 0; i < s.n; ++i) {
    const int64_t image = s.c * s.h * s.w, out_image = s.c * 4 * 5;
    const Tensor one = std::move(
        m.run({ConstTensorView{in.data.data() + i * image, {1, s.c, s.h, s.w}, Layout::nchw}})[0]);
    for (int64_t k = 0; k < out_image; ++k) {
      ASSERT_EQ(bits_of(one.data()[k]), bits_of(y.data()[i * out_image + k])) << i << " " << k;
    }
  }
}

// Flatten of a tensor with pixels: PyTorch's C, H, W order from the nhwc activation.
TEST(Model, FlattenKeepsPyTorchsOrder) {
  GraphBuilder b;
  const Shape s{2, 3, 4, 5};
  const std::string x = b.input("x", s);
  const Weight bias = random_weight({7}, 2);
  b.output(b.linear(b.flatten(b.relu(x)), random_weight({7, 60}, 1), &bias));
  const Graph g = b.build();
  const RefTensor in = random_tensor(s, 3);
  expect_close(run_model(Model(g, private_options(2)), in), ReferenceModel(g).run({in})[0]);
}

// A node whose output nobody reads (found by fuzz_model_loader): compiled, run, harmless.
TEST(Model, DeadNodeBesideAResidualConvolution) {
  GraphBuilder b;
  const Shape s{1, 4, 5, 5};
  const std::string x = b.input("x", s);
  const std::string fc1 = b.conv2d(x, random_weight({4, 4, 1, 1}, 1));
  b.conv2d(fc1, random_weight({4, 4, 1, 1}, 2));  // dead: read by no node, not an output
  b.output(b.add(x, fc1));
  const Graph g = b.build();
  const RefTensor in = random_tensor(s, 3);
  expect_close(run_model(Model(g, private_options()), in), ReferenceModel(g).run({in})[0]);
}

}  // namespace
}  // namespace shiftnn::test
