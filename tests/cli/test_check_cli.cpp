// npusim check end to end: exit codes, the regression table, --update.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/common/cli_run.h"

namespace fs = std::filesystem;
using namespace clitest;

TEST(CheckCli, IdenticalReportPasses) {
  const fs::path d = tmpdir();
  const std::string a = gemm_report(d, "a"), b = gemm_report(d, "b");
  Result r = sh(kBin + " check " + a + " --baseline " + b);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("check: ok ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("metrics within 1%)"), std::string::npos) << r.out;
  r = sh(kBin + " check " + a + " --baseline " + b + " --tolerance 0 --strict");
  EXPECT_EQ(r.code, 0) << r.out;
}

TEST(CheckCli, MoreDmasFailNamingTheKernel) {
  const fs::path d = tmpdir();
  const std::string base = gemm_report(d, "base");
  // Half the K step: twice the K-step loads.
  const std::string more = gemm_report(d, "more", "--set workload.tiling.tile_k=128");
  Result r = sh(kBin + " check " + more + " --baseline " + base + " --tolerance 1%");
  EXPECT_EQ(r.code, 1) << r.out;
  bool kernel_row = false;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (line.find("dma_count") != std::string::npos && line.find("gemm") != std::string::npos &&
        line.find("%") != std::string::npos)
      kernel_row = true;
  EXPECT_TRUE(kernel_row) << r.out;
  EXPECT_NE(r.out.find("--update"), std::string::npos) << r.out;
  // The other way round the DMA counts halve: fine, unless --strict (time
  // moves by a few percent either way with the K step, so 10% lets it be).
  r = sh(kBin + " check " + base + " --baseline " + more + " --tolerance 10%");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("shrank"), std::string::npos) << r.out;
  r = sh(kBin + " check " + base + " --baseline " + more + " --tolerance 10% --strict");
  EXPECT_EQ(r.code, 1) << r.out;
  // A wide enough tolerance lets the growth through.
  r = sh(kBin + " check " + more + " --baseline " + base + " --tolerance 1000%");
  EXPECT_EQ(r.code, 0) << r.out;
}

TEST(CheckCli, UpdateWritesTheReportWithoutSimThenItPasses) {
  const fs::path d = tmpdir();
  const std::string base = gemm_report(d, "base");
  const std::string more = gemm_report(d, "more", "--set workload.tiling.tile_k=128");
  Result r = sh(kBin + " check " + more + " --baseline " + base + " --update");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("metrics moved"), std::string::npos) << r.out;
  std::ifstream in(base);
  const auto j = nlohmann::json::parse(in);
  EXPECT_FALSE(j.contains("sim"));
  EXPECT_TRUE(j.contains("kernels"));
  r = sh(kBin + " check " + more + " --baseline " + base + " --tolerance 0 --strict");
  EXPECT_EQ(r.code, 0) << r.out;
  // --update also creates a missing baseline.
  r = sh(kBin + " check " + more + " --baseline " + (d / "new.json").string() + " --update");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(fs::exists(d / "new.json"));
}

TEST(CheckCli, BadInputIsExitTwo) {
  const fs::path d = tmpdir();
  const std::string a = gemm_report(d, "a");
  EXPECT_EQ(sh(kBin + " check " + a + " --baseline " + a + " --tolerance lots").code, 2);
  EXPECT_EQ(sh(kBin + " check " + a).code, 2);
  Result r = sh(kBin + " check " + a + " --baseline " + (d / "none.json").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("none.json"), std::string::npos) << r.out;
}
