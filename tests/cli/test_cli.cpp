// The npusim binary end to end: exit codes, messages, report and trace files.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/common/cli_run.h"

namespace fs = std::filesystem;
using namespace clitest;

TEST(Cli, RunWritesReportAndTraceWithTheDocumentedKeys) {
  const fs::path d = tmpdir();
  Result r = sh(kBin + " run --hw configs/hw/a2a3.yaml --workload configs/workloads/gemm.yaml --report " +
                (d / "r.json").string() + " --trace " + (d / "t.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("kernel"), std::string::npos) << r.out;
  const auto rep = read_json(d / "r.json");
  for (const char* k : {"total_cycles", "total_us", "clock_ghz", "totals", "kernels", "sites", "sim", "roofline"})
    EXPECT_TRUE(rep.contains(k)) << k;
  for (const char* k : {"tasks", "launches", "launch_overhead_cycles", "instructions", "dma_count", "dma_bytes",
                        "load_count", "load_bytes", "store_count", "store_bytes", "scalar_reads",
                        "cube_busy_cycles", "vector_busy_cycles", "pipe_busy_cycles"})
    EXPECT_TRUE(rep["totals"].contains(k)) << k;
  ASSERT_FALSE(rep["kernels"].empty());
  for (const char* k : {"name", "launches", "dma_count", "dma_bytes", "load_count", "load_bytes", "store_count",
                        "store_bytes", "dma_size_histogram", "scalar_reads", "launch_overhead_cycles",
                        "cube_busy_cycles", "vector_busy_cycles"})
    EXPECT_TRUE(rep["kernels"][0].contains(k)) << k;
  ASSERT_FALSE(rep["sites"].empty());
  for (const auto& s : rep["sites"])
    for (const char* k : {"kernel", "site", "op", "count", "bytes", "busy_cycles", "busy_share"})
      EXPECT_TRUE(s.contains(k)) << k;
  for (const char* k : {"wall_s", "prepare_s", "instructions_per_s", "peak_rss_mib"}) EXPECT_TRUE(rep["sim"].contains(k)) << k;
  EXPECT_TRUE(rep["roofline"].contains("bound_cycles"));
  EXPECT_GE(rep["total_cycles"].get<uint64_t>(), rep["roofline"]["bound_cycles"].get<uint64_t>());

  const auto trace = read_json(d / "t.json");
  ASSERT_TRUE(trace.contains("traceEvents"));
  bool scheduler = false, task = false, dma = false;
  for (const auto& e : trace["traceEvents"]) {
    if (e["name"] == "process_name" && e["args"]["name"] == "scheduler") scheduler = true;
    if (e["ph"] == "X" && e["cat"] == "task") task = true;
    if (e["ph"] == "X" && e["name"].get<std::string>().rfind("tload", 0) == 0) dma = true;
  }
  EXPECT_TRUE(scheduler && task && dma);
  // Every lane is one pipe, DMA engine, task slot or scheduler thread: its
  // events follow one another without overlapping (Perfetto needs nesting).
  std::map<std::pair<int, int>, std::vector<std::pair<long long, long long>>> lanes;
  for (const auto& e : trace["traceEvents"])
    if (e["ph"] == "X") {
      const long long t0 = std::llround(e["ts"].get<double>() * 1000);
      lanes[{e["pid"].get<int>(), e["tid"].get<int>()}].push_back({t0, t0 + std::llround(e["dur"].get<double>() * 1000)});
    }
  for (auto& [lane, evs] : lanes) {
    std::sort(evs.begin(), evs.end());
    for (size_t i = 1; i < evs.size(); ++i)
      EXPECT_LE(evs[i - 1].second, evs[i].first) << "lane " << lane.first << "/" << lane.second;
  }
}

TEST(Cli, SameProgramAndConfigGiveAnIdenticalReport) {
  const fs::path d = tmpdir();
  for (const char* n : {"a", "b"})
    ASSERT_EQ(sh(kBin + " run -q --workload configs/workloads/gemm.yaml --report " + (d / n).string() + ".json").code, 0);
  auto a = read_json(d / "a.json"), b = read_json(d / "b.json");
  a.erase("sim");
  b.erase("sim");
  EXPECT_EQ(a.dump(), b.dump());
}

TEST(Cli, DisasmThenRunProgramGivesTheSameReport) {
  const fs::path d = tmpdir();
  ASSERT_EQ(sh(kBin + " disasm --workload configs/workloads/gemm.yaml -o " + (d / "p.txt").string()).code, 0);
  ASSERT_EQ(sh(kBin + " run -q --workload configs/workloads/gemm.yaml --report " + (d / "w.json").string()).code, 0);
  Result r = sh(kBin + " run -q --program " + (d / "p.txt").string() + " --report " + (d / "p.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  auto w = read_json(d / "w.json"), p = read_json(d / "p.json");
  for (auto* j : {&w, &p}) {
    j->erase("sim");
    j->erase("workload");
    j->erase("provenance");  // names the input file
  }
  EXPECT_EQ(w.dump(), p.dump());
}

TEST(Cli, ConfigTypoIsExitTwoWithFileLineAndKey) {
  const fs::path d = tmpdir();
  std::ifstream in(kSrc + "/configs/hw/tiny.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = text.str();
  const size_t at = yaml.find("l0a_kib:");
  ASSERT_NE(at, std::string::npos);
  yaml.replace(at, 8, "l0a_kb: ");
  const int line = 1 + int(std::count(yaml.begin(), yaml.begin() + long(at), '\n'));
  std::ofstream(d / "bad.yaml") << yaml;
  Result r = sh(kBin + " run --hw " + (d / "bad.yaml").string() + " --workload configs/workloads/gemm.yaml");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find((d / "bad.yaml").string() + ":" + std::to_string(line) + ": buffers: unknown key 'l0a_kb'"),
            std::string::npos)
      << r.out;
}

TEST(Cli, ProgramParseErrorIsExitTwoWithFileAndLine) {
  const fs::path d = tmpdir();
  std::ofstream(d / "bad.txt") << "# npusim program v1\nfrobnicate\n";
  Result r = sh(kBin + " run --program " + (d / "bad.txt").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find((d / "bad.txt").string() + ":2:"), std::string::npos) << r.out;
}

// --- text programs: task dependencies through GM ----------------------------

namespace {
// Task 0 writes y = x + 1; task 1 copies y to z: a read-after-write through
// GM, and no deps=[...]. Task 1 is on line 21, its tload on line 17.
std::string raw_program(const std::string& consume_reads = " reads=[y:0..16384]",
                        const std::string& consume_deps = "", const std::string& consume_from = "y") {
  return "# npusim program v1\n"
         "tensor x [64,64] fp32 in\n"
         "tensor y [64,64] fp32 scratch\n"
         "tensor z [64,64] fp32 out\n"
         "site 0 \"produce: y = x + 1\"\n"
         "site 1 \"consume: z = y\"\n"
         "kernel 0 produce\n"
         "  cube\n"
         "  vec 0\n"
         "    tload UB[0+64x64 fp32] <- x[0+64x64/64] @0\n"
         "    vadds UB[16384+64x64 fp32] <- UB[0+64x64 fp32] 1 @0\n"
         "    tstore y[0+64x64/64] <- UB[16384+64x64 fp32] @0\n"
         "end\n"
         "kernel 1 consume\n"
         "  cube\n"
         "  vec 0\n"
         "    tload UB[0+64x64 fp32] <- " + consume_from + "[0+64x64/64] @1\n"
         "    tstore z[0+64x64/64] <- UB[0+64x64 fp32] @1\n"
         "end\n"
         "task 0 kernel=0 site=0 reads=[x:0..16384] writes=[y:0..16384]\n"
         "task 1 kernel=1 site=1" + consume_deps + consume_reads + " writes=[z:0..16384]\n";
}

// (start, end) in cycles of each task bar of a trace, by task index.
std::map<int, std::pair<long long, long long>> task_spans(const fs::path& trace) {
  std::map<int, std::pair<long long, long long>> spans;
  const nlohmann::json t = read_json(trace);
  for (const auto& e : t["traceEvents"])
    if (e["ph"] == "X" && e["cat"] == "task") {
      const long long t0 = std::llround(e["ts"].get<double>() * 1000);
      spans[e["args"]["task"].get<int>()] = {t0, t0 + std::llround(e["dur"].get<double>() * 1000)};
    }
  return spans;
}
}  // namespace

TEST(CliProgramDeps, ReadAfterWriteThroughGmWithoutDepsIsSerialized) {
  const fs::path d = tmpdir();
  std::ofstream(d / "raw.txt") << raw_program();
  Result r = sh(kBin + " run -q --hw configs/hw/tiny.yaml --program " + (d / "raw.txt").string() + " --trace " +
                (d / "t.json").string() + " --functional --dump " + (d / "out").string());
  ASSERT_EQ(r.code, 0) << r.out;
  const auto spans = task_spans(d / "t.json");
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_GE(spans.at(1).first, spans.at(0).second) << "the reader starts before the writer ends";
  // The reader copied what the writer wrote (x + 1), not zeros.
  const std::string y = read_text(d / "out" / "y.npy"), z = read_text(d / "out" / "z.npy");
  ASSERT_EQ(y.size(), z.size());
  EXPECT_EQ(z, y);
  const size_t data = y.size() - 64 * 64 * 4;
  EXPECT_NE(z.substr(data), std::string(64 * 64 * 4, '\0'));
  // The derived dependency is what disasm prints.
  r = sh(kBin + " disasm --program " + (d / "raw.txt").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("task 1 kernel=1 site=1 deps=[0] reads=[y:0..16384]"), std::string::npos) << r.out;
}

TEST(CliProgramDeps, ExplicitDepsStillAddEdges) {
  // The consumer reads x, not y: nothing to derive, but deps=[0] orders it.
  const fs::path d = tmpdir();
  std::ofstream(d / "p.txt") << raw_program(" reads=[x:0..16384]", " deps=[0]", "x");
  Result r = sh(kBin + " run -q --hw configs/hw/tiny.yaml --program " + (d / "p.txt").string() + " --trace " +
                (d / "t.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  const auto spans = task_spans(d / "t.json");
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_GE(spans.at(1).first, spans.at(0).second);
}

TEST(CliProgramDeps, RangesThatMissAnAccessAreExitTwoWithFileLine) {
  const fs::path d = tmpdir();
  const std::string where = ": task 1, kernel 1 'consume', vec 0, instr 0 'tload' (site 1 \"consume: z = y\", "
                            "line 17): reads y:0..16384, but ";
  std::ofstream(d / "short.txt") << raw_program(" reads=[y:0..128]");
  Result r = sh(kBin + " run -q --program " + (d / "short.txt").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find((d / "short.txt").string() + ":21" + where +
                       "y:128..16384 is not in the task's reads=[...]"),
            std::string::npos)
      << r.out;
  std::ofstream(d / "none.txt") << raw_program("");
  r = sh(kBin + " run -q --program " + (d / "none.txt").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find((d / "none.txt").string() + ":21" + where + "y:0..16384 is not in the task's reads=[...]"),
            std::string::npos)
      << r.out;
}

TEST(Cli, MissingWorkloadFileAndUnknownCommandAreExitTwo) {
  Result r = sh(kBin + " run --workload configs/workloads/no_such.yaml");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("no_such.yaml"), std::string::npos) << r.out;
  r = sh(kBin + " frobnicate");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("unknown command 'frobnicate'"), std::string::npos) << r.out;
}

TEST(Cli, CompareShowsKernelsSideBySide) {
  const fs::path d = tmpdir();
  ASSERT_EQ(sh(kBin + " run -q --workload configs/workloads/gemm.yaml --report " + (d / "a2a3.json").string()).code, 0);
  ASSERT_EQ(sh(kBin + " run -q --hw configs/hw/a5.yaml --workload configs/workloads/gemm.yaml --report " +
               (d / "a5.json").string()).code,
            0);
  Result r = sh(kBin + " compare " + (d / "a2a3.json").string() + " " + (d / "a5.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("a2a3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("a5"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("total_cycles"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("kernel "), std::string::npos) << r.out;
  r = sh(kBin + " compare " + (d / "a2a3.json").string());
  EXPECT_EQ(r.code, 2);
}

TEST(Cli, RunSetChangesHwAndWorkloadKeys) {
  const fs::path d = tmpdir();
  const std::string base = kBin + " run -q --workload configs/workloads/dma_sweep.yaml --report ";
  ASSERT_EQ(sh(base + (d / "a.json").string()).code, 0);
  Result r = sh(base + (d / "b.json").string() +
                " --set workload.count=128 --set hw.scheduler.dispatch_cycles=0 --set 'hw.gm={bandwidth_gbps: 100, "
                "latency_cycles: 0}'");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto a = read_json(d / "a.json"), b = read_json(d / "b.json");
  EXPECT_EQ(a["totals"]["dma_count"].get<int>(), 64);
  EXPECT_EQ(b["totals"]["dma_count"].get<int>(), 128);
  EXPECT_LT(b["totals"]["launch_overhead_cycles"].get<int>(), a["totals"]["launch_overhead_cycles"].get<int>());
}

TEST(Cli, RunSetErrorsNameTheKeyAndExitTwo) {
  Result r = sh(kBin + " run -q --workload configs/workloads/dma_sweep.yaml --set hw.gm.bandwith_gbps=800");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("--set hw.gm.bandwith_gbps: no such key in configs/hw/a2a3.yaml"), std::string::npos) << r.out;
  r = sh(kBin + " run -q --workload configs/workloads/dma_sweep.yaml --set hw.gm.bandwidth_gbps=0");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("configs/hw/a2a3.yaml: gm.bandwidth_gbps: must be in 0.001..1e+09, got 0 (from --set "
                       "hw.gm.bandwidth_gbps=0)"),
            std::string::npos)
      << r.out;
  r = sh(kBin + " run -q --workload configs/workloads/dma_sweep.yaml --set workload.bytes=1001");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("configs/workloads/dma_sweep.yaml: bytes: bytes=1001 is not a multiple of 2*rows=2"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("(from --set workload.bytes=1001)"), std::string::npos) << r.out;
  r = sh(kBin + " run -q --workload configs/workloads/dma_sweep.yaml --set workload.tiling.tile_k=1");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("--set workload.tiling.tile_k: no such key in configs/workloads/dma_sweep.yaml"),
            std::string::npos)
      << r.out;
}

// --- functional mode -------------------------------------------------------

namespace {
const std::string kSmall = "configs/workloads/qwen3_32b_decode_baseline_small.yaml";
}

TEST(CliFunctional, CheckPassesOnEverySmallQwen3Variant) {
  for (const char* v : {"baseline", "fused_qkrope", "reviewed", "upstream_0427"}) {
    Result r = sh(kBin + " run -q --check --workload configs/workloads/qwen3_32b_decode_" + v + "_small.yaml");
    ASSERT_EQ(r.code, 0) << v << "\n" << r.out;
    EXPECT_NE(r.out.find("(rtol 3e-3, atol 3e-3): PASS"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("out: 0/1024 mismatched"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("  k_cache (written rows, or within 1 bf16 ulp): 0/"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("  v_cache (written rows, or within 1 bf16 ulp): 0/"), std::string::npos) << r.out;
  }
}

TEST(CliFunctional, CheckPassesOnEveryMediumQwen3Variant) {
  // B=4, NKV=2, NH=16, D=128, H=2048, I=4096, S_max=512: full head dim and
  // full-size tiling constants; out has B*H = 4*2048 = 8192 elements.
  for (const char* v : {"baseline", "fused_qkrope", "reviewed", "upstream_0427"}) {
    Result r = sh(kBin + " run -q --check --workload configs/workloads/qwen3_32b_decode_" + v + "_medium.yaml");
    ASSERT_EQ(r.code, 0) << v << "\n" << r.out;
    EXPECT_NE(r.out.find("(rtol 3e-3, atol 3e-3): PASS"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("out: 0/8192 mismatched"), std::string::npos) << r.out;
  }
}

TEST(CliFunctional, Upstream0427WithPr185TilingRunsAndChecks) {
  // The next upstream commit (PR 185) through --set: seq_tile 256, a separate
  // out-projection K chunk of 512, K and V in one K loop.
  const std::string pr185 =
      " --set workload.tiling.seq_tile=256 --set workload.tiling.out_proj_k_chunk=512"
      " --set workload.tiling.fuse_kv_loops=true";
  Result r = sh(kBin + " run -q --workload configs/workloads/qwen3_32b_decode_upstream_0427.yaml" + pr185);
  ASSERT_EQ(r.code, 0) << r.out;
  r = sh(kBin + " run -q --check --workload configs/workloads/qwen3_32b_decode_upstream_0427_medium.yaml" + pr185);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("(rtol 3e-3, atol 3e-3): PASS"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("out: 0/8192 mismatched"), std::string::npos) << r.out;
}

TEST(CliFunctional, TimingReportIsTheSameWithOrWithoutFunctional) {
  const fs::path d = tmpdir();
  ASSERT_EQ(sh(kBin + " run -q --workload " + kSmall + " --report " + (d / "t.json").string()).code, 0);
  Result r = sh(kBin + " run -q --functional --workload " + kSmall + " --report " + (d / "f.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  auto t = read_json(d / "t.json"), f = read_json(d / "f.json");
  t.erase("sim");  // wall time
  f.erase("sim");
  EXPECT_EQ(f["provenance"]["seed"], 1);  // only a functional run has one
  t.erase("provenance");
  f.erase("provenance");
  EXPECT_EQ(t, f);
}

TEST(CliFunctional, DumpIsAnInputsDirectory) {
  const fs::path d = tmpdir();
  Result r = sh(kBin + " run -q --seed 5 --workload " + kSmall + " --dump " + (d / "a").string());
  ASSERT_EQ(r.code, 0) << r.out;
  for (const char* t : {"out", "hidden_states", "seq_lens", "k_cache", "attn_out"})
    EXPECT_TRUE(fs::exists(d / "a" / (std::string(t) + ".npy"))) << t;
  // Read back with another seed: every input comes from the files, so the outputs are identical.
  r = sh(kBin + " run --check --seed 99 --workload " + kSmall + " --inputs " + (d / "a").string() + " --dump " +
         (d / "b").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("functional: 15 input tensors read from"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(", 0 generated with seed 99"), std::string::npos) << r.out;
  auto bytes = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(bytes(d / "a" / "out.npy"), bytes(d / "b" / "out.npy"));
  EXPECT_EQ(bytes(d / "a" / "k_cache.npy"), bytes(d / "b" / "k_cache.npy"));
}

TEST(CliFunctional, AWrongProgramFailsTheCheckWithExitOne) {
  // Scale the attention scores by 0.5 instead of 1/sqrt(D) = 0.125 in one softmax kernel.
  const fs::path d = tmpdir();
  ASSERT_EQ(sh(kBin + " disasm --workload " + kSmall + " -o " + (d / "p.txt").string()).code, 0);
  std::ifstream in(d / "p.txt");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const size_t at = text.find(" 0.125 @");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 6, " 0.5");
  std::ofstream(d / "q.txt") << text;
  // A text program has no reference of its own: the workload it came from lends its.
  Result r = sh(kBin + " run -q --check --program " + (d / "q.txt").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("--check: a text program has no reference of its own; name the workload it came from with "
                       "--check-with FILE"), std::string::npos) << r.out;
  r = sh(kBin + " run -q --check-with " + kSmall + " --program " + (d / "q.txt").string());
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("): FAIL"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("out: 0/1024 mismatched"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("diagnostics (not judged"), std::string::npos) << r.out;
}

TEST(CliFunctional, BadInputsAndNonQwen3ChecksAreExitTwo) {
  const fs::path d = tmpdir();
  Result r = sh(kBin + " run -q --check --workload configs/workloads/gemm.yaml");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("--check: this workload has no reference to check against"), std::string::npos) << r.out;
  std::ofstream(d / "wq.npy") << "not a numpy file";
  r = sh(kBin + " run -q --functional --workload " + kSmall + " --inputs " + d.string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find((d / "wq.npy").string() + ": bad magic (not a .npy file)"), std::string::npos) << r.out;
  r = sh(kBin + " run -q --functional --workload " + kSmall + " --inputs " + (d / "nope").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("inputs directory does not exist"), std::string::npos) << r.out;
}
