// Tensor bindings in a text program, and a small decode step (layers and the
// LM head) run functionally against the reference (issue 12).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "tests/common/cli_run.h"

using namespace clitest;

namespace {
// One kernel copying x to y, launched twice: the second launch binds x to x2
// and y to y2, so it copies x2 to y2 with the same two instructions.
const char* kBound =
    "tensor x [2,8] fp32 in\n"
    "tensor y [2,8] fp32 out\n"
    "tensor x2 [2,8] fp32 in\n"
    "tensor y2 [2,8] fp32 out\n"
    "site 0 \"copy: launch\"\n"
    "kernel 0 copy\n"
    "  vec 0\n"
    "    tload UB[0+2x8 fp32] <- x[0+2x8/8] @0\n"
    "    tstore y[0+2x8/8] <- UB[0+2x8 fp32] @0\n"
    "end\n"
    "binding 0 x=x2 y=y2\n"
    "task 0 kernel=0 site=0 reads=[x:0..64] writes=[y:0..64]\n"
    "task 1 kernel=0 site=0 binding=0 reads=[x2:0..64] writes=[y2:0..64]\n";

std::string bytes_of(const fs::path& f) {
  std::ifstream in(f, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

nlohmann::json totals(const fs::path& report) { return nlohmann::json::parse(bytes_of(report))["totals"]; }
}  // namespace

TEST(StepCli, ABoundLaunchTouchesTheBoundTensors) {
  const fs::path d = tmpdir();
  std::ofstream(d / "bound.npu") << kBound;
  Result r = sh(kBin + " run -q --functional --program " + (d / "bound.npu").string() + " --dump " +
                (d / "out").string() + " --report " + (d / "r.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  // Same shapes and dtype: the .npy files are byte-identical, header included.
  EXPECT_EQ(bytes_of(d / "out" / "y.npy"), bytes_of(d / "out" / "x.npy"));
  EXPECT_EQ(bytes_of(d / "out" / "y2.npy"), bytes_of(d / "out" / "x2.npy"));
  EXPECT_NE(bytes_of(d / "out" / "x.npy"), bytes_of(d / "out" / "x2.npy"));  // distinct inputs
  // 2 tasks x 2 instructions executed from one kernel of 2.
  EXPECT_EQ(totals(d / "r.json")["instructions"], 4);
  // The bound launch's ranges name the bound tensors: declaring x for it is
  // caught, naming the bytes of x2 it does read.
  std::string wrong = kBound;
  wrong.replace(wrong.find("binding=0 reads=[x2:0..64]"), 26, "binding=0 reads=[x:0..64] ");
  std::ofstream(d / "wrong.npu") << wrong;
  r = sh(kBin + " run -q --program " + (d / "wrong.npu").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("wrong.npu:13: task 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("reads x2:0..64, but x2:0..64 is not in the task's reads=[...]"), std::string::npos) << r.out;
  // disasm prints the binding back.
  r = sh(kBin + " disasm --program " + (d / "bound.npu").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("binding 0 x=x2 y=y2\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("task 1 kernel=0 site=0 binding=0 deps=[]"), std::string::npos) << r.out;
}

// Two layers and the head of the small upstream layer pass the reference
// check (each layer's own weights and caches, the logits judged), with
// 2 x the layer's tasks + 1 final norm + ceil(1000 / 256) = 4 head tasks.
TEST(StepCli, SmallStepPassesTheCheck) {
  const fs::path d = tmpdir();
  Result layer = sh(kBin + " run -q --workload configs/workloads/qwen3_32b_decode_upstream_small.yaml --report " +
                    (d / "layer.json").string());
  ASSERT_EQ(layer.code, 0) << layer.out;
  Result r = sh(kBin + " run --workload configs/workloads/qwen3_32b_decode_step_small.yaml --check --report " +
                (d / "step.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("PASS"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("logits: 0/2000 mismatched"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("L1.k_cache (written rows"), std::string::npos) << r.out;
  const int layer_tasks = totals(d / "layer.json")["tasks"];
  EXPECT_EQ(totals(d / "step.json")["tasks"], 2 * layer_tasks + 1 + 4);
}
