// Issue 10: inputs a hostile user gives, each of which used to hang, eat
// memory or answer wrongly with exit 0. Every command runs under
// `timeout 20` so a regression fails here (exit 124) instead of hanging the
// suite; each must end with a named error (exit 2) or a correct result.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/common/cli_run.h"

namespace fs = std::filesystem;
using namespace clitest;

namespace {

Result run(const std::string& args) { return sh("timeout 20 " + kBin + " run " + args); }

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

const std::string kGemm = " --workload configs/workloads/gemm.yaml -q";

}  // namespace

// Case 1: yaml-cpp 0.7's LoadAll never returned on these.
TEST(Hostile, HwFileOfOneCommaIsASyntaxError) {
  const fs::path d = tmpdir();
  write(d / "comma.yaml", ",");
  Result r = run("--hw " + (d / "comma.yaml").string() + kGemm);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("comma.yaml:1: YAML syntax error: unexpected ','"), std::string::npos) << r.out;
}

TEST(Hostile, StrayCommaOnLineThreeOfA2a3IsASyntaxError) {
  const fs::path d = tmpdir();
  std::string text = read_text(kSrc + "/configs/hw/a2a3.yaml");
  const size_t line3 = text.find('\n', text.find('\n') + 1) + 1;
  write(d / "a2a3.yaml", text.insert(line3, ","));
  Result r = run("--hw " + (d / "a2a3.yaml").string() + kGemm);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("a2a3.yaml:3: YAML syntax error: unexpected ','"), std::string::npos) << r.out;
}

// Case 2: values that passed validation and then spun forever in the GM
// model; now each is refused with the bound in the message.
TEST(Hostile, RatesAndCyclesPastTheModelAreRefusedWithTheLimit) {
  const std::pair<const char*, const char*> cases[] = {
      {"hw.gm.bandwidth_gbps=1e-9", "gm.bandwidth_gbps: must be in 0.001..1e+09, got 1e-9"},
      {"hw.clock_ghz=1e30", "clock_ghz: must be in 0.001..1000, got 1e30"},
      {"hw.issue_cycles=4294967295", "issue_cycles: must be in 0..1000000000, got 4294967295"},
      {"hw.dma.gm_to_l1.bytes_per_cycle=1e-300", "dma.gm_to_l1.bytes_per_cycle: must be in 0.001..1e+09, got 1e-300"},
  };
  for (const auto& [set, msg] : cases) {
    Result r = run("--set " + std::string(set) + kGemm);
    EXPECT_EQ(r.code, 2) << set << "\n" << r.out;
    EXPECT_NE(r.out.find(msg), std::string::npos) << set << "\n" << r.out;
  }
}

// Case 5: a matmul's cycle count was cast to uint32 and wrapped: total
// cycles came out lower than at the default rate, the roofline bound 0.
TEST(Hostile, TooSlowACubeIsRefusedNotWrapped) {
  Result r = run("--set hw.cube.fractals_per_cycle=1e-20" + kGemm);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("cube.fractals_per_cycle: must be in 0.001..1e+09, got 1e-20"), std::string::npos) << r.out;
}

// The slowest rates the validators allow still give a correct, finite
// answer: slower than the default, never wrapped to faster.
TEST(Hostile, SlowestAllowedCubeIsSlowerThanTheDefault) {
  const fs::path d = tmpdir();
  ASSERT_EQ(run(kGemm + " --report " + (d / "a.json").string()).code, 0);
  Result r = run("--set hw.cube.fractals_per_cycle=0.001" + kGemm + " --report " + (d / "b.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  const auto a = read_json(d / "a.json"), b = read_json(d / "b.json");
  // 1000x slower matmuls; the default run is DMA-bound since GM->L1 took
  // pto-isa's fitted rate (issue 8), so the total grows ~80x, not 1000x.
  EXPECT_GT(b["total_cycles"].get<uint64_t>(), 50 * a["total_cycles"].get<uint64_t>());
  EXPECT_GT(b["roofline"]["cube_bound_cycles"].get<uint64_t>(), a["roofline"]["cube_bound_cycles"].get<uint64_t>());
}

// The runaway guard: simulated time past --max-cycles is a named error.
TEST(Hostile, MaxCyclesEndsARunawayRun) {
  // The GEMM on a2a3 runs ~50k cycles; its first task alone passes 1000.
  Result r = run(kGemm + " --max-cycles 1000");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("simulated time would pass 1000 cycles"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--max-cycles"), std::string::npos) << r.out;
  r = run(kGemm + " --max-cycles 9007199254740993");  // 2^53 + 1
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("past the 9007199254740992 (2^53) cycles the model represents"), std::string::npos) << r.out;
}

// Case 3: sizes that grew memory to 7-13 GB with no message. A pl.parallel
// is estimated from its first launch and refused before it is built.
TEST(Hostile, HugeWorkloadsAreRefusedBeforeTheyAreBuilt) {
  // M = 2^32: (2^32 / 128) x (1024 / 128) = 2^28 launches.
  Result r = run("--set workload.shapes.M=4294967296" + kGemm);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("pl.parallel 'gemm' of 268435456 launches would take about"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("more than the 8 GiB limit (npusim run --max-memory-gib)"), std::string::npos) << r.out;
  r = run("--workload configs/workloads/many_kernels.yaml --set workload.kernels=4294967295 -q");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("pl.parallel 'small_kernel' of 4294967295 launches"), std::string::npos) << r.out;
  // Functional GEMM at 65536^3: 512 x 512 = 262144 launches.
  r = run("--workload configs/workloads/gemm.yaml --set workload.shapes.M=65536 --set workload.shapes.N=65536 "
          "--set workload.shapes.K=65536 --functional -q");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("pl.parallel 'gemm' of 262144 launches"), std::string::npos) << r.out;
}

TEST(Hostile, FunctionalMemoryIsEstimatedAndRefusedPastTheLimit) {
  // The small fused layer's tensors and a2a3's buffers: 24 groups x (512 +
  // 64 + 64 + 128 + 2 x 192 KiB) = 27 MiB of buffers alone, past 10 MiB.
  Result r = run("--workload configs/workloads/qwen3_32b_decode_fused_qkrope_small.yaml --functional -q "
                 "--max-memory-gib 0.01");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("functional mode would need about"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("more than the 10 MiB of --max-memory-gib"), std::string::npos) << r.out;
  EXPECT_EQ(run("--workload configs/workloads/qwen3_32b_decode_fused_qkrope_small.yaml --functional -q").code, 0);
}

// Case 10: the element count overflowed int64 (Tensor::elems was signed and
// unchecked), so the bounds check used a wrapped size.
TEST(Hostile, TensorLargerThanGmCanAddressIsNamed) {
  const fs::path d = tmpdir();
  write(d / "p.txt",
        "# npusim program v1\n"
        "tensor x [4294967295,4294967295,4294967295] fp32 in\n"
        "site 0 \"k: launch\"\n"
        "kernel 0 k\n"
        "  cube\n"
        "  vec 0\n"
        "    tload UB[0+16x64 fp32] <- x[0+16x64/64] @0\n"
        "  vec 1\n"
        "end\n"
        "task 0 kernel=0 site=0\n");
  Result r = run("--program " + (d / "p.txt").string() + " -q");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("tensor 'x' of shape [4294967295, 4294967295, 4294967295] holds more than "
                       "281474976710656 bytes (2^48)"),
            std::string::npos)
      << r.out;
}

namespace {
// A little-endian int32 vector as a .npy v1.0 file.
void write_npy_i32(const fs::path& p, const std::vector<int32_t>& v) {
  std::string header = "{'descr': '<i4', 'fortran_order': False, 'shape': (" + std::to_string(v.size()) + ",), }";
  header.append(64 - (10 + header.size() + 1) % 64, ' ');
  header += '\n';
  std::ofstream out(p, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const uint16_t len = uint16_t(header.size());
  out.write(reinterpret_cast<const char*>(&len), 2);
  out << header;
  out.write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * 4));
}
}  // namespace

// Case 8: the program's control flow (context blocks, cache positions) is
// generated from seq_lens; a seq_lens.npy with other values was a warning and
// then a run of the wrong program, exit 0.
TEST(Hostile, InputsWhoseSeqLensDifferFromTheProgramAreRefused) {
  const fs::path d = tmpdir();
  const std::string w = "--workload configs/workloads/qwen3_32b_decode_fused_qkrope_small.yaml -q";
  // The small layer has B = 2: dump its inputs, then change one length.
  ASSERT_EQ(run(w + " --functional --dump " + d.string()).code, 0);
  write_npy_i32(d / "seq_lens.npy", {100, 200});
  Result r = run(w + " --inputs " + d.string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find(d.string() + "/seq_lens.npy holds [100, 200] but the program was generated for "
                       "'seq_lens' = ["),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("--set workload.seq_lens.list=[...]"), std::string::npos) << r.out;
  // Generated for those lengths, the same inputs run and pass the check.
  r = run(w + " --inputs " + d.string() + " --check --set 'workload.seq_lens={list: [100, 200]}'");
  EXPECT_EQ(r.code, 0) << r.out;
}

// Case 9 (stdout): a summary or a program printed to a full disk was a
// silent success.
TEST(Hostile, StandardOutputThatCannotBeWrittenIsAnError) {
  for (const std::string cmd : {"disasm --workload configs/workloads/gemm.yaml",
                                "run --workload configs/workloads/gemm.yaml"}) {
    Result r = sh("{ timeout 20 " + kBin + " " + cmd + " > /dev/full; }");  // sh() adds 2>&1 after the group
    EXPECT_EQ(r.code, 2) << cmd << "\n" << r.out;
    EXPECT_NE(r.out.find("npusim: cannot write standard output: No space left on device"), std::string::npos)
        << cmd << "\n" << r.out;
  }
}
