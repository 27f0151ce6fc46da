// ISA detection and dispatch: SHIFTNN_MAX_ISA parsing, host support, per-ISA kernel
// tables, and (through the binary) that the cap and the verbose log take effect.
#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/isa.hpp"
#include "kernels/kernel_table.hpp"
#include "shiftnn/npy.hpp"
#include "shiftnn/system_info.hpp"
#include "support/test_support.hpp"

#ifdef SHIFTNN_CLI
#include "support/cli_runner.hpp"
#endif

namespace shiftnn::test {
namespace {

namespace sk = shiftnn::kernels;

TEST(Isa, ParsesTheMaxIsaNames) {
  const std::vector<std::pair<const char*, sk::Isa>> names = {
      {"sse2", sk::Isa::sse2},       {"avx2", sk::Isa::avx2},     {"avx512", sk::Isa::avx512f},
      {"avx512f", sk::Isa::avx512f}, {"neon64", sk::Isa::neon64},
  };
  for (const auto& [text, isa] : names) {
    sk::Isa out = isa == sk::Isa::sse2 ? sk::Isa::avx2 : sk::Isa::sse2;
    EXPECT_TRUE(sk::parse_isa(text, &out)) << text;
    EXPECT_EQ(out, isa) << text;
  }
  for (const char* bad : {"", "avx", "avx3", "sse2 ", "avx512bw", "x86"}) {
    sk::Isa out;
    EXPECT_FALSE(sk::parse_isa(bad, &out)) << "'" << bad << "'";
  }
}

TEST(Isa, NamesRoundTrip) {
  for (sk::Isa isa : {sk::Isa::sse2, sk::Isa::avx2, sk::Isa::avx512f, sk::Isa::neon64}) {
    sk::Isa out;
    ASSERT_TRUE(sk::parse_isa(sk::isa_name(isa), &out)) << sk::isa_name(isa);
    EXPECT_EQ(out, isa);
  }
}

TEST(Isa, HostSupportIsConsistent) {
  const std::vector<sk::Isa> isas = built_isa_list();
  ASSERT_FALSE(isas.empty());
  EXPECT_TRUE(sk::host_supports(sk::detected_isa()));
  EXPECT_TRUE(sk::host_supports(sk::active_isa()));
  EXPECT_TRUE(sk::host_supports(isas.front())) << "the baseline ISA must always run";
  // Built best last: support is a prefix of the list, ending at the detected ISA.
  bool supported = true;
  for (sk::Isa isa : isas) {
    if (!supported) {
      EXPECT_FALSE(sk::host_supports(isa)) << sk::isa_name(isa);
    }
    supported = sk::host_supports(isa);
  }
  EXPECT_NE(std::find(isas.begin(), isas.end(), sk::detected_isa()), isas.end());
#if defined(__x86_64__)
  EXPECT_FALSE(sk::host_supports(sk::Isa::neon64));
  EXPECT_TRUE(sk::host_supports(sk::Isa::sse2));
#elif defined(__aarch64__)
  EXPECT_FALSE(sk::host_supports(sk::Isa::sse2));
  EXPECT_TRUE(sk::host_supports(sk::Isa::neon64));
#endif
}

// The kernel's AMD family against the kernel's own report of the CPU (Linux).
TEST(Isa, AmdFamilyMatchesProcCpuinfo) {
#if defined(__x86_64__)
  std::ifstream cpuinfo("/proc/cpuinfo");
  if (!cpuinfo) GTEST_SKIP() << "no /proc/cpuinfo";
  std::string line, vendor;
  int family = -1;
  while (std::getline(cpuinfo, line) && (vendor.empty() || family < 0)) {
    const std::string value = line.substr(line.find(':') + 1);
    if (line.rfind("vendor_id", 0) == 0) vendor = value.substr(value.find_first_not_of(' '));
    if (line.rfind("cpu family", 0) == 0) family = std::stoi(value);
  }
  ASSERT_FALSE(vendor.empty());
  ASSERT_GE(family, 0);
  EXPECT_EQ(sk::amd_cpu_family(), vendor == "AuthenticAMD" ? family : 0) << vendor;
#else
  EXPECT_EQ(sk::amd_cpu_family(), 0);
#endif
}

TEST(Isa, TablePerSupportedIsa) {
  int tested = 0;
  for (sk::Isa isa : built_isa_list()) {
    if (!sk::host_supports(isa)) continue;
    const sk::KernelTable& t = sk::kernels_for(isa);
    EXPECT_EQ(t.isa, isa) << sk::isa_name(isa);
#define SHIFTNN_TEST_NOT_NULL(name, type, what) \
  EXPECT_NE(t.name, nullptr) << #name << "/" << sk::isa_name(isa);
    SHIFTNN_KERNEL_LIST(SHIFTNN_TEST_NOT_NULL)
#undef SHIFTNN_TEST_NOT_NULL
    ++tested;
  }
  EXPECT_GE(tested, 1);
  EXPECT_EQ(sk::active_kernels().isa, sk::active_isa());
  EXPECT_EQ(SHIFTNN_KERNEL_NAME(shift_copy_nchw, sk::Isa::avx2), "shift_copy_nchw/avx2");
}

TEST(Isa, SystemInfoReportsTheActiveIsa) {
  const SystemInfo info = system_info();
  EXPECT_EQ(info.kernel_isa, sk::isa_name(sk::active_isa()));
  EXPECT_EQ(info.detected_isa, sk::isa_name(sk::detected_isa()));
  EXPECT_GE(info.max_threads, 1);
  EXPECT_FALSE(info.onednn_version.empty());
}

#ifdef SHIFTNN_CLI

std::string kernel_isa_line(const std::string& info) {
  const size_t k = info.find("kernel isa:");
  if (k == std::string::npos) return "";
  return info.substr(k, info.find('\n', k) - k);
}

// The baseline ISA every host of this architecture runs: sse2 on x86-64, neon64 on aarch64.
std::string baseline_isa() {
  int count = 0;
  return sk::isa_name(sk::built_isas(&count)[0]);
}

TEST(IsaCli, MaxIsaCapsTheKernels) {
  TempDir dir;
  const CliResult r = run_cli(dir, "info", "SHIFTNN_MAX_ISA=" + baseline_isa());
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string line = kernel_isa_line(r.out);
  EXPECT_NE(line.find(baseline_isa()), std::string::npos) << r.out;
  EXPECT_EQ(line.find("avx"), std::string::npos) << r.out;
  if (sk::host_supports(sk::Isa::avx2)) {
    const CliResult avx2 = run_cli(dir, "info", "SHIFTNN_MAX_ISA=avx2");
    ASSERT_EQ(avx2.status, 0) << avx2.err;
    EXPECT_NE(kernel_isa_line(avx2.out).find("avx2"), std::string::npos) << avx2.out;
  }
  const CliResult plain = run_cli(dir, "info", "SHIFTNN_MAX_ISA=");
  ASSERT_EQ(plain.status, 0) << plain.err;
  EXPECT_NE(kernel_isa_line(plain.out).find(sk::isa_name(sk::detected_isa())), std::string::npos)
      << plain.out;
}

// The log line naming `kernel` must also name `strategy` outside the kernel name.
void expect_logged(const std::string& err, const std::string& strategy, const std::string& kernel) {
  const size_t k = err.find(kernel);
  ASSERT_NE(k, std::string::npos) << "no " << kernel << " in: " << err;
  const size_t begin = err.rfind('\n', k) == std::string::npos ? 0 : err.rfind('\n', k) + 1;
  std::string line = err.substr(begin, err.find('\n', k) - begin);
  line.erase(line.find(kernel), kernel.size());
  EXPECT_NE(line.find(strategy), std::string::npos)
      << "strategy " << strategy << " not in: " << err;
}

TEST(IsaCli, VerboseNamesStrategyAndKernel) {
  TempDir dir;
  const std::vector<float> x = random_values(2 * 8 * 5 * 5, 1);
  const std::string in = dir.file("x.npy"), out = dir.file("y.npy");
  save_npy(in, {2, 8, 5, 5}, x.data());
  const std::string args = "shift --input " + in + " --output " + out + " --pattern quad ";

  const CliResult copy = run_cli(dir, args + "--strategy copy", "SHIFTNN_VERBOSE=1");
  ASSERT_EQ(copy.status, 0) << copy.err;
  const std::string kernel = std::string("shift_copy_nchw/") + sk::isa_name(sk::active_isa());
  expect_logged(copy.err, "copy", kernel);

  const std::string capped = "SHIFTNN_VERBOSE=1 SHIFTNN_MAX_ISA=" + baseline_isa();
  const CliResult base = run_cli(dir, args + "--strategy copy", capped);
  ASSERT_EQ(base.status, 0) << base.err;
  expect_logged(base.err, "copy", "shift_copy_nchw/" + baseline_isa());

  const CliResult roll = run_cli(dir, args + "--strategy roll --layout nhwc", capped);
  ASSERT_EQ(roll.status, 0) << roll.err;
  expect_logged(roll.err, "roll", "shift_roll_nhwc/" + baseline_isa());

  const CliResult quiet = run_cli(dir, args + "--strategy copy");
  ASSERT_EQ(quiet.status, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "") << "without SHIFTNN_VERBOSE nothing is logged";
}

#endif

}  // namespace
}  // namespace shiftnn::test
