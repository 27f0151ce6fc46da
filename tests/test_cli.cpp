// The shiftnn binary (SPEC §4): shift reproduces the seed tensor with every strategy;
// any bad input means exit status 2, one line on stderr and no output file.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "shiftnn/npy.hpp"
#include "shiftnn/shift.hpp"
#include "support/cli_runner.hpp"
#include "support/test_support.hpp"

namespace shiftnn::test {
namespace {

bool exists(const std::string& path) {
  return std::filesystem::exists(path);
}

class Cli : public testing::Test {
 protected:
  void SetUp() override {
    const std::vector<float> x = seed_input();
    input_ = dir_.file("seed.npy");
    output_ = dir_.file("out.npy");
    save_npy(input_, {1, 8, 5, 5}, x.data());
  }
  std::string shift_args(const std::string& extra) const {
    return "shift --input " + input_ + " --output " + output_ + " " + extra;
  }

  TempDir dir_;
  std::string input_, output_;
};

TEST_F(Cli, ShiftReproducesTheSeedWithEveryStrategy) {
  std::vector<std::string> names = {"auto"};
  for (Strategy s : all_strategies()) names.push_back(strategy_name(s));
  const std::vector<float> want = seed_expected();
  for (const std::string& s : names) {
    for (const char* boundary : {"keep", "replicate"}) {
      SCOPED_TRACE(std::string("strategy ") + s + " boundary " + boundary);
      std::filesystem::remove(output_);
      const CliResult r = run_cli(dir_, shift_args(std::string("--pattern quad --boundary ") +
                                                   boundary + " --strategy " + s + " --threads 2"));
      EXPECT_EQ(r.status, 0) << r.err;
      if (r.status != 0) continue;
      EXPECT_EQ(r.err, "");
      const NpyArray y = load_npy(output_);
      EXPECT_EQ(y.shape, (std::vector<int64_t>{1, 8, 5, 5}));
      ASSERT_EQ(y.data.size(), want.size());
      EXPECT_EQ(compare(y.data.data(), want.data(), kSeedShape, Layout::nchw), "");
    }
  }
}

TEST_F(Cli, ShiftNhwcLayout) {
  const std::vector<float> x = to_nhwc(seed_input(), kSeedShape);
  const std::vector<float> want = to_nhwc(seed_expected(), kSeedShape);
  save_npy(input_, {1, 5, 5, 8}, x.data());
  for (const char* s : {"copy", "roll", "auto"}) {
    SCOPED_TRACE(std::string("strategy ") + s);
    const CliResult r = run_cli(
        dir_,
        shift_args(std::string("--pattern quad --boundary keep --layout nhwc --strategy ") + s));
    EXPECT_EQ(r.status, 0) << r.err;
    if (r.status != 0) continue;
    const NpyArray y = load_npy(output_);
    EXPECT_EQ(y.shape, (std::vector<int64_t>{1, 5, 5, 8}));
    ASSERT_EQ(y.data.size(), want.size());
    EXPECT_EQ(compare(y.data.data(), want.data(), kSeedShape, Layout::nhwc), "");
  }
}

TEST_F(Cli, DefaultBoundaryIsZero) {
  const CliResult r = run_cli(dir_, shift_args("--pattern uniform:0,1"));
  ASSERT_EQ(r.status, 0) << r.err;
  const NpyArray y = load_npy(output_);
  ASSERT_EQ(y.data.size(), 200u);
  const std::vector<float> x = seed_input();
  for (int p = 0; p < 8; ++p) {
    for (int h = 0; h < 5; ++h) {
      EXPECT_EQ(y.data[(p * 5 + h) * 5], 0.0f);
      for (int w = 1; w < 5; ++w)
        EXPECT_EQ(y.data[(p * 5 + h) * 5 + w], x[(p * 5 + h) * 5 + w - 1]);
    }
  }
}

struct BadCall {
  const char* what;
  std::string args;
};

// Every bad call: status 2, exactly one non-empty line on stderr, no output file,
// also when a stale output file was there before.
void expect_rejected(const TempDir& dir, const std::string& output, const BadCall& bad) {
  for (bool stale : {false, true}) {
    SCOPED_TRACE(std::string(bad.what) + (stale ? " (stale output present)" : ""));
    std::filesystem::remove(output);
    if (stale) write_bytes(output, "stale output from an earlier run");
    const CliResult r = run_cli(dir, bad.args);
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(count_lines(r.err), 1) << "stderr: " << r.err;
    EXPECT_GT(r.err.size(), 1u);
    EXPECT_FALSE(exists(output)) << "output file left behind";
  }
}

TEST_F(Cli, BadShiftCallsExitWithStatus2AndNoOutput) {
  const std::vector<double> f8(200, 1.0);
  write_bytes(dir_.file("f8.npy"),
              npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 8, 5, 5), }",
                        f8.data(), f8.size() * 8));
  const std::vector<float> d3(200, 1.0f);
  save_npy(dir_.file("d3.npy"), {8, 5, 5}, d3.data());
  const std::string out = " --output " + output_;
  const std::vector<BadCall> calls = {
      {"missing input", "shift --input " + dir_.file("missing.npy") + out + " --pattern quad"},
      {"float64 input", "shift --input " + dir_.file("f8.npy") + out + " --pattern quad"},
      {"3-D input", "shift --input " + dir_.file("d3.npy") + out + " --pattern quad"},
      {"bad pattern", shift_args("--pattern spiral")},
      {"bad quad", shift_args("--pattern quad:x")},
      {"list with the wrong count", shift_args("--pattern 'list:1,0;0,1'")},
      {"copy cannot serve fractional", shift_args("--pattern uniform:0.5,0 --strategy copy")},
      {"keep with fractional", shift_args("--pattern uniform:0.5,0 --boundary keep")},
      {"unknown boundary", shift_args("--pattern quad --boundary mirror")},
      {"unknown layout", shift_args("--pattern quad --layout chwn")},
      {"unknown strategy", shift_args("--pattern quad --strategy fastest")},
      {"negative threads", shift_args("--pattern quad --threads -1")},
      {"unknown option", shift_args("--pattern quad --frobnicate")},
      {"missing pattern", shift_args("")},
  };
  for (const BadCall& c : calls) expect_rejected(dir_, output_, c);
}

TEST_F(Cli, GridSampleBadGridShape) {
  const std::vector<float> g3(1 * 4 * 4 * 3, 0.0f), g2(2 * 4 * 6 * 2, 0.0f);
  save_npy(dir_.file("grid3.npy"), {1, 4, 4, 3}, g3.data());
  save_npy(dir_.file("grid_n2.npy"), {2, 4, 6, 2}, g2.data());
  const std::string base = "grid-sample --input " + input_ + " --output " + output_ + " --grid ";
  expect_rejected(dir_, output_, {"grid with last axis 3", base + dir_.file("grid3.npy")});
  expect_rejected(dir_, output_,
                  {"grid batch 2 for input batch 1", base + dir_.file("grid_n2.npy")});
  expect_rejected(dir_, output_, {"missing grid", base + dir_.file("none.npy")});
}

TEST_F(Cli, InfoNamesTheIsa) {
  const CliResult r = run_cli(dir_, "info");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("kernel isa"), std::string::npos) << r.out;
  bool named = false;
  for (const char* isa : {"sse2", "avx2", "avx512f", "neon64"}) {
    named = named || r.out.find(isa) != std::string::npos;
  }
  EXPECT_TRUE(named) << r.out;
}

TEST_F(Cli, NoSubcommandIsAnError) {
  const CliResult r = run_cli(dir_, "");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
}

}  // namespace
}  // namespace shiftnn::test
