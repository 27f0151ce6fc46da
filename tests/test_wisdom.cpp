// The wisdom file: round trip, merging, mismatched headers, corrupt and truncated files
// (a warning, never a crash, then rebuilt), and processes writing at once losing nothing.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/isa.hpp"
#include "shiftnn/error.hpp"
#include "shiftnn/planner.hpp"
#include "shiftnn/system_info.hpp"
#include "support/wisdom_support.hpp"

namespace {

using namespace shiftnn;
namespace fs = std::filesystem;

using test::isa;
using test::TempWisdomDir;
const TempWisdomDir temp_dir("shiftnn-wisdom");

// Deterministic: copy at one thread is always fastest; nothing runs.
Timing fake_timer(const Candidate& c, const std::function<void()>&, double) {
  return {c.strategy == Strategy::copy && c.threads == 1 ? 10.0 : 20.0, false};
}

PlannerOptions measuring(const std::string& path) {
  PlannerOptions o;
  o.mode = PlanMode::measure;
  o.wisdom_path = path;
  o.timer = fake_timer;
  return o;
}

ShiftProblem problem(int64_t h, int64_t w) {
  return {{1, 8, h, w}, Layout::nchw, parse_pattern("quad", 8), 2};
}

std::string read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

size_t remembered_count(const std::string& path, int64_t hmax, int64_t wmax) {
  Planner reader(test::reading(path));
  size_t n = 0;
  for (int64_t h = 1; h <= hmax; ++h) {
    for (int64_t w = 1; w <= wmax; ++w) n += reader.remembered(problem(h, w)).has_value();
  }
  return n;
}

TEST(Wisdom, DefaultPathFollowsTheEnvironment) {
  EXPECT_EQ(default_wisdom_path(), temp_dir.file("default.json"));
  const std::string saved = std::getenv("SHIFTNN_WISDOM");
  unsetenv("SHIFTNN_WISDOM");
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  EXPECT_EQ(default_wisdom_path(), "/xdg/shiftnn/wisdom.json");
  unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(default_wisdom_path(),
            std::string(std::getenv("HOME")) + "/.cache/shiftnn/wisdom.json");
  setenv("SHIFTNN_WISDOM", saved.c_str(), 1);
}

TEST(Wisdom, RoundTrip) {
  const std::string path = temp_dir.file("sub/dir/roundtrip.json");
  {
    Planner planner(measuring(path));
    planner.plan(problem(5, 6));
    planner.plan(problem(7, 3));
  }
  const std::string text = read(path);
  EXPECT_NE(text.find("\"engine\": \"" + std::string(version()) + "\""), std::string::npos);
  EXPECT_NE(text.find("copy/" + isa() + "/t1"), std::string::npos);
  EXPECT_EQ(remembered_count(path, 8, 8), 2u);
  const std::string shown = describe_wisdom(path);
  EXPECT_NE(shown.find("2 decisions"), std::string::npos) << shown;
  EXPECT_NE(shown.find("1x8x5x6"), std::string::npos) << shown;
  EXPECT_EQ(clear_wisdom(path), 2u);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(remembered_count(path, 8, 8), 0u);
}

TEST(Wisdom, WritersMergeInsteadOfOverwriting) {
  const std::string path = temp_dir.file("merge.json");
  Planner a(measuring(path)), b(measuring(path));  // both read the empty file
  a.plan(problem(1, 1));
  b.plan(problem(2, 2));
  a.plan(problem(3, 3));
  EXPECT_EQ(remembered_count(path, 3, 3), 3u);
  // A write also brings in what others wrote meanwhile.
  EXPECT_TRUE(a.remembered(problem(2, 2)).has_value());
}

TEST(Wisdom, CalibrationIsStored) {
  const std::string path = temp_dir.file("calibrated.json");
  PlannerOptions o = measuring(path);
  o.min_seconds = 0.001;
  Planner planner(o);
  EXPECT_FALSE(planner.calibrated());
  planner.calibrate();
  EXPECT_TRUE(planner.calibrated());
  EXPECT_TRUE(Planner(measuring(path)).calibrated());
  EXPECT_NE(describe_wisdom(path).find("copy bandwidth"), std::string::npos);
}

// A file from another engine version, CPU or candidate set is set aside whole.
TEST(Wisdom, MismatchedHeaderIsSetAside) {
  const std::string path = temp_dir.file("mismatch.json");
  {
    Planner planner(measuring(path));
    planner.plan(problem(4, 4));
  }
  std::string text = read(path);
  const std::string engine = "\"engine\": \"" + std::string(version()) + "\"";
  text.replace(text.find(engine), engine.size(), "\"engine\": \"0.0.0-other\"");
  write(path, text);

  testing::internal::CaptureStderr();
  Planner planner(measuring(path));
  const std::string warning = testing::internal::GetCapturedStderr();
  EXPECT_NE(warning.find("set aside"), std::string::npos) << warning;
  EXPECT_NE(warning.find("0.0.0-other"), std::string::npos) << warning;
  EXPECT_EQ(std::count(warning.begin(), warning.end(), '\n'), 1);
  EXPECT_FALSE(planner.remembered(problem(4, 4)).has_value());

  planner.plan(problem(5, 5));
  EXPECT_TRUE(fs::exists(path + ".bad"));
  EXPECT_EQ(remembered_count(path, 6, 6), 1u);  // rebuilt: only the new entry
}

class BrokenFile : public testing::TestWithParam<const char*> {};

TEST_P(BrokenFile, WarnsThenRebuilds) {
  const std::string path = temp_dir.file(std::string("broken-") + GetParam() + ".json");
  {
    Planner planner(measuring(path));
    planner.plan(problem(2, 3));
    planner.plan(problem(3, 2));
  }
  const std::string good = read(path);
  const std::string kind = GetParam();
  if (kind == "truncated") write(path, good.substr(0, good.size() / 2));
  if (kind == "empty") write(path, "");
  if (kind == "garbage")
    write(path,
          "\x7f"
          "ELF not wisdom at all {{{");
  if (kind == "wrong-types") {
    std::string text = good;
    text.replace(text.find("\"entries\": {"), 12, "\"entries\": {\"k\": 3, ");
    write(path, text);
  }

  testing::internal::CaptureStderr();
  Planner planner(measuring(path));
  const std::string warning = testing::internal::GetCapturedStderr();
  EXPECT_NE(warning.find("unusable"), std::string::npos) << warning;
  EXPECT_FALSE(planner.remembered(problem(2, 3)).has_value());
  EXPECT_NE(describe_wisdom(path).find("unusable"), std::string::npos);

  planner.plan(problem(4, 4));
  EXPECT_EQ(remembered_count(path, 4, 4), 1u);
}

INSTANTIATE_TEST_SUITE_P(Kinds, BrokenFile,
                         testing::Values("truncated", "empty", "garbage", "wrong-types"));

TEST(Wisdom, UnwritableLocationIsAnErrorForTuneAndAWarningForPlan) {
  const std::string blocker = temp_dir.file("not-a-dir");
  write(blocker, "x");
  Planner planner(measuring(blocker + "/wisdom.json"));
  EXPECT_THROW(planner.tune(problem(2, 2), PlanMode::measure), Error);
  testing::internal::CaptureStderr();
  const Plan plan = planner.plan(problem(3, 3));
  EXPECT_NE(testing::internal::GetCapturedStderr().find("warning"), std::string::npos);
  EXPECT_EQ(plan.candidate().strategy, Strategy::copy);
}

// One writer process: tunes its own shapes (h = its id), each tune a locked merge.
constexpr int kWriters = 3;
constexpr int kShapesPerWriter = 12;

TEST(WisdomProcess, Writer) {
  const char* id = std::getenv("SHIFTNN_TEST_WRITER");
  if (!id) GTEST_SKIP() << "runs only as a child of ProcessesWritingAtOnceKeepEveryEntry";
  // The child's own TempWisdomDir has replaced SHIFTNN_WISDOM: the shared file comes apart.
  Planner planner(measuring(std::getenv("SHIFTNN_TEST_WISDOM")));
  for (int w = 1; w <= kShapesPerWriter; ++w) planner.plan(problem(std::atoi(id), w));
}

TEST(Wisdom, ProcessesWritingAtOnceKeepEveryEntry) {
  const std::string path = temp_dir.file("processes.json");
  std::vector<pid_t> children;
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  for (int i = 1; i <= kWriters; ++i) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      setenv("SHIFTNN_TEST_WRITER", std::to_string(i).c_str(), 1);
      setenv("SHIFTNN_TEST_WISDOM", path.c_str(), 1);
      // The child's own gtest report would interleave with ours.
      if (FILE* devnull = std::freopen("/dev/null", "w", stdout); !devnull) _exit(126);
      // Through the launcher: in a cross build this binary runs under qemu.
      const std::string cmd =
          std::string(SHIFTNN_TEST_LAUNCHER " '") + self + "' --gtest_filter=WisdomProcess.Writer";
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  EXPECT_EQ(remembered_count(path, kWriters, kShapesPerWriter),
            static_cast<size_t>(kWriters * kShapesPerWriter));
  for (const auto& entry : fs::directory_iterator(temp_dir.dir)) {
    EXPECT_EQ(entry.path().string().find(".tmp."), std::string::npos) << entry.path();
  }
}

}  // namespace
