// Model files: a good model runs from the CLI as from the library; every bad model is one
// clear Error naming the node or tensor, and exit status 2 with one line and no output
// file from `shiftnn run`.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "engine/src/graph/safetensors.hpp"
#include "shiftnn/model.hpp"
#include "shiftnn/npy.hpp"
#include "support/cli_runner.hpp"
#include "support/test_support.hpp"

namespace shiftnn::test {
namespace {

// One graph: x 1x4x3x3 -> Conv2d fc (1x1, bias) -> GELU -> Shift quad -> y.
std::string good_json(
    const std::string& fc_op = "Conv2d",
    const std::string& fc_weights = R"({"weight": "fc.weight", "bias": "fc.bias"})",
    const std::string& fc_attrs = R"({"stride": [1, 1]})") {
  return R"({"format_version": 1, "inputs": [{"name": "x", "shape": [1, 4, 3, 3]}],
  "outputs": ["y"], "nodes": [
    {"name": "fc", "op": ")" +
         fc_op + R"(", "inputs": ["x"], "outputs": ["t"],
     "attrs": )" +
         fc_attrs + R"(, "weights": )" + fc_weights + R"(},
    {"name": "act", "op": "GELU", "inputs": ["t"], "outputs": ["u"]},
    {"name": "sh", "op": "Shift", "inputs": ["u"], "outputs": ["y"],
     "attrs": {"pattern": "quad", "boundary": "zero"}}]})";
}

std::map<std::string, Weight> good_weights() {
  Weight w{{4, 4, 1, 1}, random_values(16, 1)}, b{{4}, random_values(4, 2)};
  return {{"fc.weight", w}, {"fc.bias", b}};
}

// A safetensors file from a header written by hand and `data_bytes` zero bytes.
std::string raw_safetensors(const std::string& header, size_t data_bytes) {
  std::string bytes(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(bytes.data(), &n, 8);
  return bytes + header + std::string(data_bytes, '\0');
}

struct BadModel {
  const char* name;
  std::string json, weights;
  const char* message;  // what the one-line error must contain
};

std::vector<BadModel> bad_models() {
  const std::string weights = detail::serialize_safetensors(good_weights());
  auto with_extra = good_weights();
  with_extra["extra"] = Weight{{2}, {1, 2}};
  auto wrong_shape = good_weights();
  wrong_shape["fc.weight"] = Weight{{4, 5, 1, 1}, random_values(20, 3)};
  const std::string f32 = R"("fc.bias": {"dtype": "F32", "shape": [4], "data_offsets": [64, 80]})";
  return {
      {"malformed_json", "{\"format_version\": 1, \"inputs\": [", weights, "not valid JSON"},
      {"wrong_version", R"({"format_version": 7})", weights, "format_version"},
      {"unknown_op", good_json("Conv3d"), weights, "unknown op 'Conv3d'"},
      {"missing_weight", good_json("Conv2d", R"({"weight": "nope", "bias": "fc.bias"})"), weights,
       "weight 'nope'"},
      {"unused_weight", good_json(), detail::serialize_safetensors(with_extra),
       "weight 'extra' is used by no node"},
      {"shape_mismatch", good_json(), detail::serialize_safetensors(wrong_shape),
       "node 'fc' (Conv2d)"},
      {"bad_attribute",
       good_json("Conv2d", R"({"weight": "fc.weight", "bias": "fc.bias"})", R"({"stride": "2"})"),
       weights, "attribute 'stride'"},
      {"unknown_attribute",
       good_json("Conv2d", R"({"weight": "fc.weight", "bias": "fc.bias"})",
                 R"({"strides": [1, 1]})"),
       weights, "unknown attribute 'strides'"},
      {"wrong_dtype", good_json(),
       raw_safetensors(R"({"fc.weight": {"dtype": "I32", "shape": [4, 4, 1, 1], )"
                       R"("data_offsets": [0, 64]}, )" +
                           f32 + "}",
                       80),
       "I32"},
      {"truncated_weights", good_json(), weights.substr(0, weights.size() - 9), "fc."},
      {"offsets_outside_file", good_json(),
       raw_safetensors(
           R"({"fc.weight": {"dtype": "F32", "shape": [4, 4, 1, 1], )"
           R"("data_offsets": [0, 64]}, )"
           R"("fc.bias": {"dtype": "F32", "shape": [4], "data_offsets": [4000, 4016]}})",
           80),
       "fc.bias"},
      {"overlapping_offsets", good_json(),
       raw_safetensors(R"({"fc.weight": {"dtype": "F32", "shape": [4, 4, 1, 1], )"
                       R"("data_offsets": [0, 64]}, )"
                       R"("fc.bias": {"dtype": "F32", "shape": [4], "data_offsets": [56, 72]}})",
                       80),
       "overlap"},
      {"overflowing_shape", good_json(),
       raw_safetensors(R"({"fc.weight": {"dtype": "F32", "shape": [4294967296, 4294967296, )"
                       R"(4294967296, 1], "data_offsets": [0, 64]}, )" +
                           f32 + "}",
                       80),
       "fc.weight"},
      {"absurd_input",
       R"({"format_version": 1, "inputs": [{"name": "x", "shape": )"
       R"([1, 2147483647, 2147483647, 2147483647]}], "outputs": ["x"], "nodes": []})",
       detail::serialize_safetensors({}), "too large"},
      {"cycle",
       R"({"format_version": 1, "inputs": [{"name": "x", "shape": [1, 4, 3, 3]}], "outputs": ["b"],
           "nodes": [{"name": "n1", "op": "Add", "inputs": ["x", "b"], "outputs": ["a"]},
                     {"name": "n2", "op": "ReLU", "inputs": ["a"], "outputs": ["b"]}]})",
       detail::serialize_safetensors({}), "cycle"},
      {"undefined_input",
       R"({"format_version": 1, "inputs": [{"name": "x", "shape": [1, 4, 3, 3]}], "outputs": ["a"],
           "nodes": [{"name": "n1", "op": "Add", "inputs": ["x", "ghost"], "outputs": ["a"]}]})",
       detail::serialize_safetensors({}), "input 'ghost'"},
      {"bad_pattern", R"({"format_version": 1, "inputs": [{"name": "x", "shape": [1, 4, 3, 3]}],
           "outputs": ["a"], "nodes": [{"name": "s", "op": "Shift", "inputs": ["x"],
           "outputs": ["a"], "attrs": {"pattern": "list:1,2"}}]})",
       detail::serialize_safetensors({}), "node 's' (Shift)"},
  };
}

class ModelFiles : public testing::Test {
 protected:
  std::string write_model(const std::string& name, const std::string& json,
                          const std::string& weights) {
    write_bytes(dir_.file(name + ".json"), json);
    write_bytes(dir_.file(name + ".safetensors"), weights);
    return dir_.file(name + ".json");
  }
  TempDir dir_;
};

TEST_F(ModelFiles, EveryBadModelIsOneClearError) {
  for (const BadModel& bad : bad_models()) {
    const std::string path = write_model(bad.name, bad.json, bad.weights);
    try {
      Model::load(path);
      ADD_FAILURE() << bad.name << ": no error";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(bad.message), std::string::npos) << bad.name << ": " << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << bad.name << ": " << what;
    }
  }
}

#ifdef SHIFTNN_CLI
TEST_F(ModelFiles, CliRunsAGoodModelLikeTheLibrary) {
  const std::string path =
      write_model("good", good_json(), detail::serialize_safetensors(good_weights()));
  const std::vector<float> x = random_values(36, 5);
  save_npy(dir_.file("x.npy"), {1, 4, 3, 3}, x.data());
  const CliResult r = run_cli(dir_, "run " + path + " --input " + dir_.file("x.npy") +
                                        " --output " + dir_.file("y.npy") + " --profile");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("arena"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(copy/"), std::string::npos) << r.out;  // the Shift node's plan
  const NpyArray y = load_npy(dir_.file("y.npy"));
  const std::vector<Tensor> want =
      Model::load(path).run({ConstTensorView{x.data(), {1, 4, 3, 3}, Layout::nchw}});
  ASSERT_EQ(y.shape, (std::vector<int64_t>{1, 4, 3, 3}));
  for (size_t i = 0; i < y.data.size(); ++i) EXPECT_EQ(y.data[i], want[0].data()[i]) << i;
}

TEST_F(ModelFiles, CliRejectsEveryBadModelWithStatus2AndNoOutput) {
  const std::vector<float> x = random_values(36, 5);
  save_npy(dir_.file("x.npy"), {1, 4, 3, 3}, x.data());
  for (const BadModel& bad : bad_models()) {
    const std::string path = write_model(bad.name, bad.json, bad.weights);
    const std::string out = dir_.file(std::string(bad.name) + ".npy");
    write_bytes(out, "stale");
    const CliResult r =
        run_cli(dir_, "run " + path + " --input " + dir_.file("x.npy") + " --output " + out);
    EXPECT_EQ(r.status, 2) << bad.name;
    EXPECT_EQ(count_lines(r.err), 1) << bad.name << ": " << r.err;
    EXPECT_NE(r.err.find(bad.message), std::string::npos) << bad.name << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << bad.name;
  }
}

TEST_F(ModelFiles, CliRejectsAnInputOfTheWrongShape) {
  const std::string path =
      write_model("good", good_json(), detail::serialize_safetensors(good_weights()));
  const std::vector<float> x = random_values(40, 5);
  save_npy(dir_.file("x.npy"), {1, 4, 2, 5}, x.data());
  const CliResult r = run_cli(
      dir_, "run " + path + " --input " + dir_.file("x.npy") + " --output " + dir_.file("y.npy"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("input 'x' is 1x4x2x5"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.file("y.npy")));
}
#endif

}  // namespace
}  // namespace shiftnn::test
