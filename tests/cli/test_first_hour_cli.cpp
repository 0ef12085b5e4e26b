// Issue 13, "the first hour as a user": what a newcomer following the README
// runs into, end to end through the binary.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/common/cli_run.h"

namespace fs = std::filesystem;
using namespace clitest;

namespace {

// `cmd` run in `dir` (sh() runs in the source directory).
Result sh_in(const fs::path& dir, const std::string& cmd) { return sh("cd " + dir.string() + " && " + cmd); }

}  // namespace

// The --hw default is the tree's configs/hw/a2a3.yaml whatever the working
// directory (it was relative to it: "cannot open configs/hw/a2a3.yaml").
TEST(FirstHour, DefaultHwWorksFromAnyDirectory) {
  const fs::path d = tmpdir();
  const Result r = sh_in(d, kBin + " run -q --workload " + kSrc + "/configs/workloads/gemm.yaml --report r.json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(read_json(d / "r.json")["hw"], "a2a3");
  const Result show = sh_in(d, kBin + " hw show");
  EXPECT_EQ(show.code, 0) << show.out;
  EXPECT_TRUE(has(show, "a2a3.yaml")) << show.out;
}

// A default that cannot be read says it was the default and how to give one.
TEST(FirstHour, UnreadableDefaultHwSaysItIsTheDefault) {
  const fs::path d = tmpdir();
  fs::create_directories(d / "tree/build/bin");
  fs::create_directories(d / "tree/configs/hw");  // a tree without a2a3.yaml
  fs::copy_file(kBin, d / "tree/build/bin/npusim");
  const Result r =
      sh_in(d, (d / "tree/build/bin/npusim").string() + " run -q --workload " + kSrc + "/configs/workloads/gemm.yaml");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, "cannot read hardware file tree/configs/hw/a2a3.yaml")) << r.out;  // below the working dir
  EXPECT_TRUE(has(r, "the default --hw")) << r.out;
  EXPECT_TRUE(has(r, "pass --hw FILE")) << r.out;
}
