// Issue 11: generators lay their programs out for the hardware they run on
// (`--hw` and `--set hw.*` reach the generator as a workloads::Target).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/common/cli_run.h"

using namespace clitest;

TEST(TargetCli, OneVectorCorePerGroupRunsEveryShippedKind) {
  // The GEMM has no vector work: its kernels need no vector core at all.
  Result r = sh(kBin + " run -q --workload configs/workloads/gemm.yaml --set hw.vector_cores=1");
  EXPECT_EQ(r.code, 0) << r.out;
  // upstream_0427's mixed kernels split their rows over the vector cores
  // there are: one core takes all of them, and the numbers still check.
  for (const char* v : {"baseline", "fused_qkrope", "reviewed", "upstream_0427"}) {
    r = sh(kBin + " run -q --workload configs/workloads/qwen3_32b_decode_" + v +
           "_small.yaml --set hw.vector_cores=1 --check");
    EXPECT_EQ(r.code, 0) << v << "\n" << r.out;
  }
}

TEST(TargetCli, ATilingFitsTheBuffersOfTheHardwareItRunsOn) {
  // scope1_k_chunk 1024: rmsnorm's fp32 [16,1024] tiles (69632 B each with the
  // pad row) overflow a2a3's 192 KiB UB but fit a5's 248 KiB.
  const std::string set = " --set workload.tiling.scope1_k_chunk=1024";
  Result r = sh(kBin + " run -q --workload configs/workloads/qwen3_32b_decode_baseline.yaml --hw configs/hw/a5.yaml" + set);
  EXPECT_EQ(r.code, 0) << r.out;
  r = sh(kBin + " run -q --workload configs/workloads/qwen3_32b_decode_baseline.yaml --hw configs/hw/a2a3.yaml" + set);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("UB overflow on a2a3: a [16,1024] fp32 tile needs 69632 B"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("of 196608 B"), std::string::npos) << r.out;
  // The same on a5 with its UB cut to a2a3's: the message names a5 and 196608.
  r = sh(kBin + " run -q --workload configs/workloads/qwen3_32b_decode_baseline.yaml --hw configs/hw/a5.yaml" + set +
         " --set hw.buffers.ub_kib=192");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("UB overflow on a5:"), std::string::npos) << r.out;
}

TEST(TargetCli, EveryShippedQwen3_14bWorkloadRunsOnA2a3AndA5AndItsSmallOneChecks) {
  for (const char* v : {"baseline", "fused_qkrope", "reviewed", "upstream_0427", "upstream"}) {
    for (const char* hw : {"a2a3", "a5"}) {
      Result r = sh(kBin + " run -q --hw configs/hw/" + hw + ".yaml --workload configs/workloads/qwen3_14b_decode_" +
                    v + ".yaml");
      EXPECT_EQ(r.code, 0) << v << " on " << hw << "\n" << r.out;
    }
    Result r = sh(kBin + " run -q --workload configs/workloads/qwen3_14b_decode_" + std::string(v) +
                  "_small.yaml --check");
    EXPECT_EQ(r.code, 0) << v << " small\n" << r.out;
    EXPECT_NE(r.out.find("PASS"), std::string::npos) << r.out;
  }
}

// docs/workloads.md shows the whole of a Qwen3-8B workload: it runs as given.
TEST(Docs, Qwen3_8bExampleRuns) {
  std::ifstream in(std::string(NPUSIM_SOURCE_DIR) + "/docs/workloads.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  const size_t at = doc.find("```yaml\nworkload: qwen3_decode\nvariant: upstream\nshapes: {B: 16, S_max: 4096, NH: 32");
  ASSERT_NE(at, std::string::npos) << "the Qwen3-8B example is gone from docs/workloads.md";
  const size_t b = at + 8, e = doc.find("```", b);
  const fs::path d = tmpdir();
  std::ofstream(d / "qwen3_8b.yaml") << doc.substr(b, e - b);
  Result r = sh(kBin + " run -q --workload " + (d / "qwen3_8b.yaml").string() + " --report " + (d / "r.json").string());
  EXPECT_EQ(r.code, 0) << r.out;
}

TEST(TargetCli, OnA5ReviewedHandsCubeResultsOverOnChip) {
  // a5 has the L0C -> UB path: reviewed's single-channel mixed kernels
  // (q_proj_rope, kv_proj_rope_cache, o_proj_residual, gate_up_silu,
  // down_residual) skip their GM scratch round trip, so it moves fewer GM
  // bytes than on a2a3, and its numbers still check.
  const fs::path d = tmpdir();
  auto bytes = [&](const std::string& hw) {
    const std::string out = (d / (hw + ".json")).string();
    Result r = sh(kBin + " run -q --hw configs/hw/" + hw +
                  ".yaml --workload configs/workloads/qwen3_32b_decode_reviewed.yaml --report " + out);
    EXPECT_EQ(r.code, 0) << r.out;
    std::ifstream in(out);
    return nlohmann::json::parse(in)["totals"]["dma_bytes"].get<uint64_t>();
  };
  EXPECT_LT(bytes("a5"), bytes("a2a3"));
  Result r = sh(kBin + " run -q --hw configs/hw/a5.yaml --workload configs/workloads/qwen3_32b_decode_reviewed_small.yaml --check");
  EXPECT_EQ(r.code, 0) << r.out;
}

TEST(TargetCli, OnA5ReviewedAttentionHandsItsExpTilesToTheCubeThroughL1) {
  // a5 has UB -> L1: each attention block's exp tile (16 x 256 bf16 = 8 KiB)
  // reaches the sv matmul through two L1 buffers instead of a GM store and
  // load: 2048 blocks (16 batch rows x 8 KV groups x 16 blocks of 256), so
  // 2048 x 8 KiB x 2 = 32 MiB fewer GM bytes than the a5 program through GM.
  const fs::path d = tmpdir();
  auto sites = [&](const std::string& hw) {
    const std::string out = (d / (hw + ".json")).string();
    Result r = sh(kBin + " run -q --hw configs/hw/" + hw +
                  ".yaml --workload configs/workloads/qwen3_32b_decode_reviewed.yaml --report " + out);
    EXPECT_EQ(r.code, 0) << r.out;
    std::ifstream in(out);
    const nlohmann::json report = nlohmann::json::parse(in);
    std::map<std::string, uint64_t> n;  // "site op" -> count
    for (const auto& s : report["sites"])
      if (s["kernel"] == "attention")
        n[s["site"].get<std::string>() + " " + s["op"].get<std::string>()] += s["count"].get<uint64_t>();
    return n;
  };
  auto a5 = sites("a5"), a2a3 = sites("a2a3");
  EXPECT_EQ(a2a3["attention: store all_exp_padded tstore"], 2048u);
  EXPECT_EQ(a2a3["attention: load all_exp_padded tload"], 2048u);
  EXPECT_EQ(a5.count("attention: store all_exp_padded tstore"), 0u);
  EXPECT_EQ(a5.count("attention: load all_exp_padded tload"), 0u);
  EXPECT_EQ(a5["attention: move all_exp_padded tmov"], 2048u);
  // The cube releases every buffer after its matmul; the vector core waits
  // for it before each write but the first two of each (b, group): 2048 - 2 x 128.
  EXPECT_EQ(a5["attention: release all_exp_padded signal"], 2048u);
  EXPECT_EQ(a5["attention: wait all_exp_padded wait"], 2048u + 2048u - 2u * 128u);
  Result r = sh(kBin + " run -q --hw configs/hw/a5.yaml --workload configs/workloads/qwen3_32b_decode_reviewed_small.yaml --check");
  EXPECT_EQ(r.code, 0) << r.out;
}

// A vector core's TMOV from L0C reads the cube's L0C (a5's path): the program
// must order it after the cube's write (SIGNAL there, WAIT here), and the
// cube's next write of the tile after it; an unordered one is refused, naming
// the instruction.
TEST(TargetCli, AVectorCoreReadsTheCubesL0cOnlyAfterAWait) {
  const std::string wait_then_move = R"(tensor a [16,16] bf16 in
tensor b [16,16] bf16 in
tensor d [16,16] fp32 out
site 0 "mm: launch"
kernel 0 mm
  cube
    tload L1[0+16x16 bf16] <- a[0+16x16/16] @0
    tload L1[1024+16x16 bf16] <- b[0+16x16/16] @0
    tmov L0A[0+16x16 bf16] <- L1[0+16x16 bf16] @0
    tmov L0B[0+16x16 bf16] <- L1[1024+16x16 bf16] @0
    tmatmul L0C[0+16x16 fp32] <- L0A[0+16x16 bf16] L0B[0+16x16 bf16] @0
    signal 0 @0
  vec 0
    wait 0 @0
    tmov UB[0+16x16 fp32] <- L0C[0+16x16 fp32] @0
    tstore d[0+16x16/16] <- UB[0+16x16 fp32] @0
end
task 0 kernel=0 site=0 reads=[a:0..512,b:0..512] writes=[d:0..1024]
)";
  const fs::path d = tmpdir();
  std::ofstream(d / "good.npu") << wait_then_move;
  Result r = sh(kBin + " run -q --hw configs/hw/a5.yaml --program " + (d / "good.npu").string());
  EXPECT_EQ(r.code, 0) << r.out;
  std::string bad = wait_then_move;
  const std::string wait = "    wait 0 @0\n", move = "    tmov UB[0+16x16 fp32] <- L0C[0+16x16 fp32] @0\n";
  bad.replace(bad.find(wait), wait.size() + move.size(), move + wait);
  std::ofstream(d / "bad.npu") << bad;
  r = sh(kBin + " run -q --hw configs/hw/a5.yaml --program " + (d / "bad.npu").string());
  EXPECT_EQ(r.code, 2) << r.out;
  // (The cube's matmul waits for its loads: the vector core's read runs first.)
  EXPECT_NE(r.out.find("vec0) instruction #0 tmov at 'mm: launch': reads source tile L0C[0, 1024) but nothing in "
                       "this task wrote bytes [0, 1024) before it"),
            std::string::npos) << r.out;
  // The cube overwriting the tile the vector core reads needs a flag from it
  // too (its read done): the same program with a second matmul into the tile
  // after the SIGNAL is refused, and runs once the cube WAITs for vec0's
  // SIGNAL 1 after its read.
  const std::string signal = "    signal 0 @0\n", store = "    tstore d[0+16x16/16] <- UB[0+16x16 fp32] @0\n";
  const std::string again = "    tmatmul L0C[0+16x16 fp32] <- L0A[0+16x16 bf16] L0B[0+16x16 bf16] @0\n";
  std::string overwrite = wait_then_move;
  overwrite.insert(overwrite.find(signal) + signal.size(), again);
  std::ofstream(d / "overwrite.npu") << overwrite;
  r = sh(kBin + " run -q --hw configs/hw/a5.yaml --program " + (d / "overwrite.npu").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("and nothing orders the"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("#6 tmatmul"), std::string::npos) << r.out;  // named by either side
  std::string released = wait_then_move;
  released.insert(released.find(signal) + signal.size(), "    wait 1 @0\n" + again);
  released.insert(released.find(store) + store.size(), "    signal 1 @0\n");
  std::ofstream(d / "released.npu") << released;
  r = sh(kBin + " run -q --hw configs/hw/a5.yaml --program " + (d / "released.npu").string());
  EXPECT_EQ(r.code, 0) << released << r.out;
}

// The reverse direction (a5's UB -> L1): vector core 0 writes x into the
// cube's L1 and SIGNALs; the cube WAITs, then reads it for a matmul. Where
// the hardware has no such path the TMOV is refused; on a5 a cube read the
// flags do not order after the write is refused, naming the instruction.
TEST(TargetCli, AVectorCoreWritesTheCubesL1OnlyWhereThePathExistsAndOrdered) {
  const std::string handoff = R"(tensor x [16,16] bf16 in
tensor b [16,16] bf16 in
tensor c [16,16] fp32 out
site 0 "mm: launch"
site 1 "mm: hand x over"
kernel 0 mm
  cube
    tload L1[1024+16x16 bf16] <- b[0+16x16/16] @0
    wait 0 @0
    tmov L0A[0+16x16 bf16] <- L1[0+16x16 bf16] @0
    tmov L0B[0+16x16 bf16] <- L1[1024+16x16 bf16] @0
    tmatmul L0C[0+16x16 fp32] <- L0A[0+16x16 bf16] L0B[0+16x16 bf16] @0
    tstore c[0+16x16/16] <- L0C[0+16x16 fp32] @0
  vec 0
    tload UB[0+16x16 bf16] <- x[0+16x16/16] @0
    tmov L1[0+16x16 bf16] <- UB[0+16x16 bf16] @1
    signal 0 @1
end
task 0 kernel=0 site=0 reads=[x:0..512,b:0..512] writes=[c:0..1024]
)";
  const fs::path d = tmpdir();
  std::ofstream(d / "good.npu") << handoff;
  Result r = sh(kBin + " run -q --hw configs/hw/a5.yaml --program " + (d / "good.npu").string());
  EXPECT_EQ(r.code, 0) << r.out;
  // a2a3 has no UB -> L1 path.
  r = sh(kBin + " run -q --hw configs/hw/a2a3.yaml --program " + (d / "good.npu").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("task 0 (kernel 0 'mm', vec0) instruction #1 tmov at 'mm: hand x over': tmov UB->L1: "
                       "hardware 'a2a3' has no UB->L1 path (dma.ub_to_l1_path is false)"),
            std::string::npos)
      << r.out;
  // The SIGNAL before the write: nothing orders the cube's read after it.
  std::string bad = handoff;
  const std::string move = "    tmov L1[0+16x16 bf16] <- UB[0+16x16 bf16] @1\n", signal = "    signal 0 @1\n";
  bad.replace(bad.find(move), move.size() + signal.size(), signal + move);
  std::ofstream(d / "bad.npu") << bad;
  r = sh(kBin + " run -q --hw configs/hw/a5.yaml --program " + (d / "bad.npu").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("cube) instruction #2 tmov at 'mm: launch': reads source tile L1[0, 512)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("nothing orders the read after that write"), std::string::npos) << r.out;
}
