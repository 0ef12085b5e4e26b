// pl.spmd blocks in a text program (docs/text_format.md, "pl.spmd blocks"):
// one kernel shared by the blocks, each offset by its SBLOCK register.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "tests/common/cli_run.h"

using namespace clitest;

namespace {
const char* kCopy =
    "tensor x [2,8] fp32 in\n"
    "tensor y [2,8] fp32 out\n"
    "site 0 \"copy: launch\"\n"
    "kernel 0 copy\n"
    "  vec 0\n"
    "    sblock R0 @0\n"
    "    tload UB[0+1x8 fp32] <- x[0+1x8/8 +R0*8] @0\n"
    "    tstore y[0+1x8/8 +R0*8] <- UB[0+1x8 fp32] @0\n"
    "end\n"
    "task 0 kernel=0 site=0 block=0/2 reads=[x:0..32] writes=[y:0..32]\n"
    "task 1 kernel=0 site=0 block=1/2 reads=[x:32..64] writes=[y:32..64]\n";

std::string bytes_of(const fs::path& f) {
  std::ifstream in(f, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
}  // namespace

TEST(SpmdCli, BlocksSharingAKernelReadTheirOwnIndex) {
  const fs::path d = tmpdir();
  std::ofstream(d / "copy.npu") << kCopy;
  // Block B copies row B: y == x after the run (same shape and dtype, so the
  // .npy files are byte-identical, header included).
  Result r = sh(kBin + " run -q --functional --program " + (d / "copy.npu").string() + " --dump " + (d / "out").string() +
                " --report " + (d / "r.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(bytes_of(d / "out" / "y.npy"), bytes_of(d / "out" / "x.npy"));
  // One submitted task, two launches (blocks), two execution records.
  const std::string rep = bytes_of(d / "r.json");
  EXPECT_NE(rep.find("\"tasks\": 1,"), std::string::npos) << rep.substr(0, 400);
  EXPECT_NE(rep.find("\"launches\": 2,"), std::string::npos);
  EXPECT_NE(rep.find("\"exec_records\": 2,"), std::string::npos);
  // Block 1's ranges are checked with its own index: declaring block 0's row
  // for it is caught, naming the row it does read.
  std::string wrong = kCopy;
  wrong.replace(wrong.find("block=1/2 reads=[x:32..64]"), 26, "block=1/2 reads=[x:0..32]");
  std::ofstream(d / "wrong.npu") << wrong;
  r = sh(kBin + " run -q --program " + (d / "wrong.npu").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("reads x:32..64, but x:32..64 is not in the task's reads=[...]"), std::string::npos) << r.out;
}
