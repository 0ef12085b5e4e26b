// Running the built npusim binary from tests (tests/cli/*.cpp).
#pragma once

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace clitest {

namespace fs = std::filesystem;

inline const std::string kSrc = NPUSIM_SOURCE_DIR;
inline const std::string kBin = NPUSIM_BIN;

struct Result {
  int code;
  std::string out;  // stdout and stderr
};

// Runs `cmd` through the shell in the source directory.
inline Result sh(const std::string& cmd) {
  Result r{0, {}};
  FILE* p = popen(("cd " + kSrc + " && " + cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// A fresh, empty directory named after the running test and the binary under
// test, so suites of other build directories or worktrees running at the same
// time do not share it (and a rerun reuses it).
inline fs::path tmpdir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path d = fs::temp_directory_path() /
               ("npusim_" + std::string(info->test_suite_name()) + "_" + std::string(info->name()) + "_" +
                std::to_string(std::hash<std::string>{}(kBin)));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

inline nlohmann::json read_json(const fs::path& p) { return nlohmann::json::parse(read_text(p)); }

// `sh`, also checking the run ends in under 5 s (hostile inputs must).
inline Result timed(const std::string& cmd) {
  const auto t0 = std::chrono::steady_clock::now();
  Result r = sh(cmd);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0) << cmd;
  return r;
}

inline bool has(const Result& r, const std::string& s) { return r.out.find(s) != std::string::npos; }

// The report of the GEMM workload on a2a3 as DIR/NAME.json; `set` adds --set options.
inline std::string gemm_report(const fs::path& d, const std::string& name, const std::string& set = "") {
  const std::string out = (d / (name + ".json")).string();
  const Result r = sh(kBin + " run -q --workload configs/workloads/gemm.yaml " + set + " --report " + out);
  EXPECT_EQ(r.code, 0) << r.out;
  return out;
}

}  // namespace clitest
