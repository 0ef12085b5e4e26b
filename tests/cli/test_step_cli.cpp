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

// A token-by-token run: each step's contexts one longer, its time per token
// reported per step. The small upstream layer's attention works in blocks of
// seq_tile = 64 rows: contexts 63, 64, 65 take 1, 1 and 2 blocks, so step 2
// does more work than step 1 and takes longer (step 0 also fills the L2 with
// the weights, which stay there for the next steps at this size). With
// continuous batching at finish_at 64 the sequences of step 2 restart at 8:
// one block again, and step 2 is faster than step 1.
TEST(StepCli, TokenByTokenTimePerTokenFollowsTheContext) {
  const fs::path d = tmpdir();
  std::ifstream f(kSrc + "/configs/workloads/qwen3_32b_decode_step_small.yaml");
  std::string text{std::istreambuf_iterator<char>(f), {}};
  text.replace(text.find("layers: 2"), 9, "layers: 2\ndecode_steps: 3");
  text.replace(text.find("seq_lens: {uniform: {min: 1, max: 256, seed: 7}}"), 48, "seq_lens: {all: 63}");
  std::ofstream(d / "tok.yaml") << text;
  const auto tpot = [&](const fs::path& report) {
    const nlohmann::json r = nlohmann::json::parse(bytes_of(report));
    std::vector<double> v;
    for (const auto& s : r["decode"]["per_step"]) v.push_back(s["tpot_us"].get<double>());
    return v;
  };
  Result r = sh(kBin + " run --workload " + (d / "tok.yaml").string() + " --report " + (d / "r.json").string() +
                " --trace " + (d / "t.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("decode: 3 steps of 2 tokens: time per output token"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("decode step 3/3:"), std::string::npos) << r.out;
  const nlohmann::json rep = nlohmann::json::parse(bytes_of(d / "r.json"));
  EXPECT_EQ(rep["decode"]["steps"], 3);
  EXPECT_EQ(rep["decode"]["per_step"][1]["context_mean"], 64.0);
  std::vector<double> t = tpot(d / "r.json");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_GT(t[2], t[1]);
  // The steps tile the run: step s + 1 starts when step s is released.
  EXPECT_DOUBLE_EQ(rep["decode"]["per_step"][1]["start_us"].get<double>(), t[0]);
  // tokens/s = 2 tokens per step / the mean time per token.
  EXPECT_NEAR(rep["decode"]["tokens_per_s"].get<double>(), 2 / ((t[0] + t[1] + t[2]) / 3 * 1e-6), 1e-6);
  // The trace marks each step and, inside it, each layer and the head.
  const std::string trace = bytes_of(d / "t.json");
  for (const char* mark : {"\"step 0\"", "\"step 2\"", "\"layer 0\"", "\"layer 1\"", "\"lm_head\"", "\"decode steps\""})
    EXPECT_NE(trace.find(mark), std::string::npos) << mark;
  text.replace(text.find("decode_steps: 3"), 15, "decode_steps: 3\ncontinuous_batching: {finish_at: 64, new_context: 8}");
  std::ofstream(d / "cb.yaml") << text;
  r = sh(kBin + " run -q --workload " + (d / "cb.yaml").string() + " --report " + (d / "cb.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  t = tpot(d / "cb.json");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_LT(t[2], t[1]);
  // One decode step at a time in functional mode.
  r = sh(kBin + " run -q --check --workload " + (d / "tok.yaml").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("functional mode runs one decode step; the workload asks for decode_steps: 3"),
            std::string::npos)
      << r.out;
}

// Every variant's small layer stacked two deep with a head (vocab 777: one
// 512-column lm_head task and a 265-column one) passes the reference check.
TEST(StepCli, EveryVariantStacksIntoAStepThatPassesTheCheck) {
  const fs::path d = tmpdir();
  for (const std::string v : {"baseline", "fused_qkrope", "reviewed", "upstream_0427", "upstream"}) {
    SCOPED_TRACE(v);
    std::ifstream f(kSrc + "/configs/workloads/qwen3_32b_decode_" + v + "_small.yaml");
    std::string text{std::istreambuf_iterator<char>(f), {}};
    const std::string var = "variant: " + v + "\n";
    text.replace(text.find(var), var.size(), var + "layers: 2\nlm_head: true\n");
    text.replace(text.find("I: 1024}"), 8, "I: 1024, vocab: 777}");
    std::ofstream(d / (v + ".yaml")) << text;
    const Result r = sh(kBin + " run -q --check --workload " + (d / (v + ".yaml")).string());
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("logits: 0/1554 mismatched"), std::string::npos) << r.out;  // B 2 x 777
    EXPECT_NE(r.out.find("L1.v_cache (written rows"), std::string::npos) << r.out;
  }
}
