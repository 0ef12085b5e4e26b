// `npusim run/disasm --launch FILE [--pto FILE]`: kernels in PTO assembly
// (tests/pto, docs/pto_import.md) end to end through the binary.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/common/cli_run.h"

using namespace clitest;

TEST(PtoCli, RunsAMultiBlockCubeKernelWithAReport) {
  const fs::path d = tmpdir();
  Result r = sh(kBin + " run --hw configs/hw/tiny.yaml --launch tests/pto/gemm.yaml --report " + (d / "r.json").string() +
                " --trace " + (d / "t.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("gemm_blocks"), std::string::npos) << r.out;
  const auto rep = nlohmann::json::parse(read_text(d / "r.json"));
  EXPECT_EQ(rep["workload"], "tests/pto/gemm.yaml");
  EXPECT_EQ(rep["provenance"]["launch"]["path"], "tests/pto/gemm.yaml");
  std::map<std::string, int> launches;
  for (const auto& k : rep["kernels"]) launches[k["name"]] = k["launches"];
  EXPECT_EQ(launches["gemm_blocks"], 4);
  EXPECT_EQ(launches["qk_bt"], 1);
  EXPECT_TRUE(fs::file_size(d / "t.json") > 0);
}

TEST(PtoCli, RunsACubeThenVectorSequenceFunctionally) {
  const fs::path d = tmpdir();
  Result r = sh(kBin + " run -q --hw configs/hw/tiny.yaml --launch tests/pto/mm_exp.yaml --functional --dump " +
                (d / "out").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(fs::exists(d / "out" / "out.npy"));
  EXPECT_TRUE(fs::exists(d / "out" / "s.npy"));
}

TEST(PtoCli, DisasmPrintsAProgramThatRunsTheSame) {
  const fs::path d = tmpdir();
  Result dis = sh(kBin + " disasm --launch tests/pto/gemm_kloop.yaml -o " + (d / "p.txt").string());
  ASSERT_EQ(dis.code, 0) << dis.out;
  Result a = sh(kBin + " run --hw configs/hw/tiny.yaml --launch tests/pto/gemm_kloop.yaml --report " + (d / "a.json").string());
  Result b = sh(kBin + " run --hw configs/hw/tiny.yaml --program " + (d / "p.txt").string() + " --report " + (d / "b.json").string());
  ASSERT_EQ(a.code, 0) << a.out;
  ASSERT_EQ(b.code, 0) << b.out;
  const auto ra = nlohmann::json::parse(read_text(d / "a.json")), rb = nlohmann::json::parse(read_text(d / "b.json"));
  EXPECT_EQ(ra["total_cycles"], 579);  // tests/sc/test_pto_run.cpp, GemmKLoopDoubleBuffered
  EXPECT_EQ(ra["total_cycles"], rb["total_cycles"]);
}

TEST(PtoCli, PtoFilesMayComeFromTheCommandLine) {
  const fs::path d = tmpdir();
  std::string launch = read_text(kSrc + "/tests/pto/mm_exp.yaml");
  launch.replace(launch.find("pto: [mm_exp.pto]"), 17, "");
  std::ofstream(d / "l.yaml") << launch;
  Result r = sh(kBin + " run -q --hw configs/hw/tiny.yaml --launch " + (d / "l.yaml").string() + " --pto tests/pto/mm_exp.pto");
  EXPECT_EQ(r.code, 0) << r.out;
}

TEST(PtoCli, BadInputIsExit2WithFileAndLine) {
  const fs::path d = tmpdir();
  std::string k = read_text(kSrc + "/tests/pto/mm_exp.pto");
  k.replace(k.find("pto.texp"), 8, "pto.tsort32");
  std::ofstream(d / "k.pto") << k;
  std::ofstream(d / "l.yaml") << "pto: [k.pto]\n"
                              << read_text(kSrc + "/tests/pto/mm_exp.yaml").substr(read_text(kSrc + "/tests/pto/mm_exp.yaml").find("tensors:"));
  Result r = sh(kBin + " run -q --launch " + (d / "l.yaml").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find((d / "k.pto").string() + ":49: unsupported op 'pto.tsort32'"), std::string::npos) << r.out;
  std::ofstream(d / "m.yaml") << "pto: [missing.pto]\ntensors: {}\n";
  r = sh(kBin + " run -q --launch " + (d / "m.yaml").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find((d / "m.yaml").string() + ":1: pto: cannot read the .pto file"), std::string::npos) << r.out;
  r = sh(kBin + " run -q --pto tests/pto/mm_exp.pto");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("--launch FILE"), std::string::npos) << r.out;
  r = sh(kBin + " disasm --launch tests/pto/mm_exp.yaml --program x.txt");
  EXPECT_EQ(r.code, 2) << r.out;
}
