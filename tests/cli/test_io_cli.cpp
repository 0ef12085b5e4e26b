// Hostile paths and files end in a named error, exit 2, in well under 5 s
// (issue 10): directories where a file is expected, outputs that cannot be
// written (/dev/full, a directory), reports of the wrong JSON shape.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/common/cli_run.h"

namespace fs = std::filesystem;
using namespace clitest;

namespace {

const std::string kGemm = " --workload configs/workloads/gemm.yaml";




}  // namespace

// --- a directory where a file is expected -----------------------------------

TEST(IoCli, ProgramThatIsADirectoryIsExitTwo) {
  const fs::path d = tmpdir();
  const Result r = timed(kBin + " run -q --program " + d.string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, d.string() + " is a directory")) << r.out;
  const Result s = timed(kBin + " disasm --program " + d.string());
  EXPECT_EQ(s.code, 2) << s.out;
  EXPECT_TRUE(has(s, d.string() + " is a directory")) << s.out;
}

TEST(IoCli, WorkloadThatIsADirectoryIsExitTwo) {
  const fs::path d = tmpdir();
  Result r = timed(kBin + " run -q --workload " + d.string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, d.string() + " is a directory")) << r.out;
  // With --set the YAML is loaded by another path.
  r = timed(kBin + " run -q --workload " + d.string() + " --set workload.count=2");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, d.string() + " is a directory")) << r.out;
}

TEST(IoCli, ReportThatIsADirectoryIsExitTwo) {
  const fs::path d = tmpdir();
  const std::string a = gemm_report(d, "a");
  const fs::path dir = d / "dir.json";
  fs::create_directories(dir);
  Result r = timed(kBin + " check " + a + " --baseline " + dir.string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, dir.string() + " is a directory")) << r.out;
  r = timed(kBin + " check " + dir.string() + " --baseline " + a);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, dir.string() + " is a directory")) << r.out;
  r = timed(kBin + " compare " + a + " " + dir.string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, dir.string() + " is a directory")) << r.out;
}

TEST(IoCli, DeviceInputsAreExitTwoNotAnEndlessRead) {
  Result r = timed(kBin + " run -q --program /dev/zero");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, "/dev/zero is a device, not a program file")) << r.out;
  r = timed(kBin + " run -q --workload /dev/zero");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, "/dev/zero is a device, not a workload file")) << r.out;
  r = timed(kBin + " compare /dev/zero /dev/zero");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, "/dev/zero is a device, not a report file")) << r.out;
}

TEST(IoCli, NpyInputThatIsADirectoryIsExitTwo) {
  const fs::path d = tmpdir();
  fs::create_directories(d / "wq.npy");
  const Result r = timed(kBin + " run -q --functional --workload configs/workloads/qwen3_32b_decode_baseline_small.yaml"
                                " --inputs " + d.string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, (d / "wq.npy").string() + " is a directory")) << r.out;
}

// --- outputs that cannot be written -----------------------------------------

TEST(IoCli, ReportTraceAndDisasmToAFullDeviceAreExitTwo) {
  ASSERT_TRUE(fs::exists("/dev/full"));
  Result r = timed(kBin + " run -q" + kGemm + " --report /dev/full");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, "/dev/full: No space left on device")) << r.out;
  r = timed(kBin + " run -q" + kGemm + " --trace /dev/full");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, "/dev/full: No space left on device")) << r.out;
  r = timed(kBin + " disasm" + kGemm + " -o /dev/full");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, "/dev/full: No space left on device")) << r.out;
}

TEST(IoCli, OutputsThatAreDirectoriesAreExitTwoNamingTheReason) {
  const fs::path d = tmpdir();
  Result r = timed(kBin + " run -q" + kGemm + " --report " + d.string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, d.string() + ": Is a directory")) << r.out;
  r = timed(kBin + " run -q" + kGemm + " --trace " + d.string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, d.string() + ": Is a directory")) << r.out;
  r = timed(kBin + " disasm" + kGemm + " -o " + d.string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, d.string() + ": Is a directory")) << r.out;
}

TEST(IoCli, CheckUpdateToAFullDeviceIsExitTwo) {
  const fs::path d = tmpdir();
  const std::string a = gemm_report(d, "a");
  const Result r = timed(kBin + " check " + a + " --baseline /dev/full --update");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, "/dev/full: No space left on device")) << r.out;
  EXPECT_FALSE(has(r, "check: wrote")) << r.out;
}

TEST(IoCli, DumpToAFullDeviceIsExitTwo) {
  const fs::path d = tmpdir();
  fs::create_directories(d / "dump");
  fs::create_symlink("/dev/full", d / "dump" / "out.npy");
  const Result r = timed(kBin + " run -q --workload configs/workloads/qwen3_32b_decode_baseline_small.yaml --dump " +
                         (d / "dump").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, (d / "dump" / "out.npy").string() + ": No space left on device")) << r.out;
}

TEST(IoCli, SweepEmitJobsToAFullDeviceIsExitTwo) {
  const fs::path d = tmpdir();
  std::ofstream(d / "s.yaml") << "hw: configs/hw/tiny.yaml\nworkload: configs/workloads/gemm.yaml\n"
                                 "axes:\n  workload.tiling.tile_k: [64, 128]\n";
  fs::create_directories(d / "jobs");
  fs::create_symlink("/dev/full", d / "jobs" / "jobs.txt");
  const Result r = timed(kBin + " sweep " + (d / "s.yaml").string() + " --emit-jobs " + (d / "jobs").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, "jobs.txt: No space left on device")) << r.out;
}
