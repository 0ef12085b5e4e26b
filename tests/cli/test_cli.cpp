// The npusim binary end to end: exit codes, messages, report and trace files.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace {

const std::string kSrc = NPUSIM_SOURCE_DIR;
const std::string kBin = NPUSIM_BIN;

struct Result {
  int code;
  std::string out;  // stdout and stderr
};

Result sh(const std::string& cmd) {
  Result r{0, {}};
  FILE* p = popen(("cd " + kSrc + " && " + cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

fs::path tmpdir() {
  fs::path d = fs::temp_directory_path() /
               ("npusim_cli_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

}  // namespace

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
                        "cube_busy_cycles", "vector_busy_cycles"})
    EXPECT_TRUE(rep["totals"].contains(k)) << k;
  ASSERT_FALSE(rep["kernels"].empty());
  for (const char* k : {"name", "launches", "dma_count", "dma_bytes", "load_count", "load_bytes", "store_count",
                        "store_bytes", "dma_size_histogram", "scalar_reads", "launch_overhead_cycles",
                        "cube_busy_cycles", "vector_busy_cycles"})
    EXPECT_TRUE(rep["kernels"][0].contains(k)) << k;
  ASSERT_FALSE(rep["sites"].empty());
  for (const char* k : {"kernel", "site", "op", "count", "bytes"}) EXPECT_TRUE(rep["sites"][0].contains(k)) << k;
  for (const char* k : {"wall_s", "instructions_per_s"}) EXPECT_TRUE(rep["sim"].contains(k)) << k;
  EXPECT_TRUE(rep["roofline"].contains("bound_cycles"));
  EXPECT_GE(rep["total_cycles"].get<uint64_t>(), rep["roofline"]["bound_cycles"].get<uint64_t>());

  const auto trace = read_json(d / "t.json");
  ASSERT_TRUE(trace.contains("traceEvents"));
  bool scheduler = false, task = false, dma = false;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] == "M" && e["args"]["name"] == "scheduler") scheduler = true;
    if (e["ph"] == "X" && e["cat"] == "task") task = true;
    if (e["ph"] == "X" && e["name"].get<std::string>().rfind("tload", 0) == 0) dma = true;
  }
  EXPECT_TRUE(scheduler && task && dma);
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
