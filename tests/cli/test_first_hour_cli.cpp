// Issue 13, "the first hour as a user": what a newcomer following the README
// runs into, end to end through the binary.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/common/cli_run.h"

namespace fs = std::filesystem;
using namespace clitest;

namespace {

// `cmd` run in `dir` (sh() runs in the source directory).
Result sh_in(const fs::path& dir, const std::string& cmd) { return sh("cd " + dir.string() + " && " + cmd); }

}  // namespace

// The --hw default is the tree's configs/hw/a2a3.yaml whatever the working
// directory (it was relative to it: "cannot open configs/hw/a2a3.yaml").
TEST(FirstHour, DefaultHwWorksFromAnyDirectory) {
  const fs::path d = tmpdir();
  const Result r = sh_in(d, kBin + " run -q --workload " + kSrc + "/configs/workloads/gemm.yaml --report r.json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(read_json(d / "r.json")["hw"], "a2a3");
  const Result show = sh_in(d, kBin + " hw show");
  EXPECT_EQ(show.code, 0) << show.out;
  EXPECT_TRUE(has(show, "a2a3.yaml")) << show.out;
}

// A default that cannot be read says it was the default and how to give one.
TEST(FirstHour, UnreadableDefaultHwSaysItIsTheDefault) {
  const fs::path d = tmpdir();
  fs::create_directories(d / "tree/build/bin");
  fs::create_directories(d / "tree/configs/hw");  // a tree without a2a3.yaml
  fs::copy_file(kBin, d / "tree/build/bin/npusim");
  const Result r =
      sh_in(d, (d / "tree/build/bin/npusim").string() + " run -q --workload " + kSrc + "/configs/workloads/gemm.yaml");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, "cannot read hardware file tree/configs/hw/a2a3.yaml")) << r.out;  // below the working dir
  EXPECT_TRUE(has(r, "the default --hw")) << r.out;
  EXPECT_TRUE(has(r, "pass --hw FILE")) << r.out;
}

namespace {

// FNV-1a 64 of a file, as 16 hex digits: what provenance records.
std::string fnv1a64_of(const fs::path& p) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : read_text(p)) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

bool is_commit(const std::string& s) {
  return s == "unknown" || std::regex_match(s, std::regex("[0-9a-f]{12}(-dirty)?"));
}

}  // namespace

TEST(FirstHour, VersionPrintsTheVersionAndCommit) {
  const Result r = sh(kBin + " --version");
  ASSERT_EQ(r.code, 0) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_match(r.out, m, std::regex("npusim ([0-9]+\\.[0-9]+\\.[0-9]+) \\(commit (\\S+)\\)\n")))
      << r.out;
  EXPECT_TRUE(is_commit(m[2])) << r.out;
}

// Outside a git checkout the commit is "unknown".
TEST(FirstHour, VersionScriptSaysUnknownOutsideGit) {
  const fs::path d = tmpdir();
  const Result r = sh("cmake -DSRC=" + d.string() + " -DOUT=" + (d / "v.h").string() +
                      " -DVERSION=9.8.7 -P tools/version.cmake");
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string h = read_text(d / "v.h");
  EXPECT_TRUE(has({0, h}, "#define NPUSIM_VERSION \"9.8.7\"")) << h;
  EXPECT_TRUE(has({0, h}, "#define NPUSIM_COMMIT \"unknown\"")) << h;
}

// Every report says what it was made from: version, commit, the files with
// their content hashes (the hw file's bases too), the --set overrides in
// order, the seed of a functional run.
TEST(FirstHour, ReportRecordsItsProvenance) {
  const fs::path d = tmpdir();
  const std::string out = (d / "r.json").string();
  const Result r = sh(kBin + " run -q --hw configs/hw/a5.yaml --workload configs/workloads/gemm.yaml"
                             " --set workload.tiling.tile_k=128 --set hw.gm.bandwidth_gbps=800"
                             " --set workload.tiling.tile_k=64 --report " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  const nlohmann::json p = read_json(out)["provenance"];
  EXPECT_TRUE(std::regex_match(p["npusim"].get<std::string>(), std::regex("[0-9]+\\.[0-9]+\\.[0-9]+"))) << p;
  EXPECT_TRUE(is_commit(p["commit"])) << p;
  EXPECT_EQ(p["hw"]["path"], "configs/hw/a5.yaml");
  EXPECT_EQ(p["hw"]["fnv1a64"], fnv1a64_of(kSrc + "/configs/hw/a5.yaml"));
  ASSERT_EQ(p["hw_bases"].size(), 1u) << p;
  EXPECT_EQ(p["hw_bases"][0]["path"], "configs/hw/a2a3.yaml");
  EXPECT_EQ(p["hw_bases"][0]["fnv1a64"], fnv1a64_of(kSrc + "/configs/hw/a2a3.yaml"));
  EXPECT_EQ(p["workload"]["path"], "configs/workloads/gemm.yaml");
  EXPECT_EQ(p["workload"]["fnv1a64"], fnv1a64_of(kSrc + "/configs/workloads/gemm.yaml"));
  EXPECT_EQ(p["set"], nlohmann::json({"workload.tiling.tile_k=128", "hw.gm.bandwidth_gbps=800",
                                      "workload.tiling.tile_k=64"}));
  EXPECT_FALSE(p.contains("seed")) << p;  // timing only: nothing generated

  // A text program is recorded as such.
  ASSERT_EQ(sh(kBin + " disasm --workload configs/workloads/gemm.yaml -o " + (d / "p.txt").string()).code, 0);
  ASSERT_EQ(sh(kBin + " run -q --program " + (d / "p.txt").string() + " --report " + out).code, 0);
  const nlohmann::json q = read_json(out)["provenance"];
  EXPECT_EQ(q["program"]["path"], (d / "p.txt").string());
  EXPECT_EQ(q["program"]["fnv1a64"], fnv1a64_of(d / "p.txt"));
  EXPECT_FALSE(q.contains("workload")) << q;
}

// compare prints each report's provenance (and reports without one, such as
// the committed baselines, still compare); check ignores it; a provenance of
// the wrong shape is exit 2 naming the JSON path.
TEST(FirstHour, CompareShowsProvenanceAndCheckIgnoresIt) {
  const fs::path d = tmpdir();
  const std::string a = gemm_report(d, "a"), b = gemm_report(d, "b", "--set workload.tiling.tile_k=128");
  Result r = sh(kBin + " compare " + a + " " + b + " tests/baselines/qwen3_32b_decode_reviewed.a2a3.json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(has(r, "a:             workload configs/workloads/gemm.yaml [" +
                         fnv1a64_of(kSrc + "/configs/workloads/gemm.yaml").substr(0, 8) + "], hw configs/hw/a2a3.yaml"))
      << r.out;
  EXPECT_TRUE(has(r, "], --set workload.tiling.tile_k=128; npusim ")) << r.out;
  EXPECT_TRUE(has(r, "qwen3_32b_decode_reviewed.a2a3: no provenance")) << r.out;

  r = sh(kBin + " check " + a + " --baseline " + a + " --tolerance 0 --strict");
  EXPECT_EQ(r.code, 0) << r.out;

  nlohmann::json j = read_json(a);
  j["provenance"]["set"] = "workload.tiling.tile_k=128";
  {
    std::ofstream(d / "bad.json") << j.dump(2);
  }
  r = sh(kBin + " compare " + a + " " + (d / "bad.json").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, "bad.json: provenance.set: expected an array, got a string")) << r.out;
}

// The summary leads with the critical path, labels sums over tasks as such,
// sorts the kernels by their share of task cycles and says what the columns sum.
TEST(FirstHour, SummaryLeadsWithTheCriticalPathAndSortsKernelsByTimeShare) {
  const fs::path d = tmpdir();
  const Result r = sh(kBin + " run --workload configs/workloads/qwen3_32b_decode_fused_qkrope_small.yaml --report " +
                      (d / "r.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  const nlohmann::json j = read_json(d / "r.json");
  std::vector<std::string> lines;
  {
    std::istringstream in(r.out);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  ASSERT_GT(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0].rfind("npusim: a2a3", 0), 0u) << r.out;
  EXPECT_EQ(lines[1].rfind("critical path: ", 0), 0u) << r.out;
  const auto& top = j["critical_path"]["kernels"][0];
  char share[32];
  std::snprintf(share, sizeof share, " (%.1f%%)",
                100.0 * top["cycles"].get<double>() / j["total_cycles"].get<double>());
  EXPECT_NE(lines[1].find(top["name"].get<std::string>() + " " + std::to_string(top["cycles"].get<uint64_t>()) +
                          " cycles" + share),
            std::string::npos)
      << r.out;
  EXPECT_TRUE(has(r, "; summed over tasks: launch overhead " +
                         std::to_string(j["totals"]["launch_overhead_cycles"].get<uint64_t>()) + " cycles, dispatch wait "))
      << r.out;

  // The table: the kernels in decreasing task cycles, each with its share.
  std::vector<std::pair<uint64_t, std::string>> want;
  for (const auto& k : j["kernels"]) want.push_back({k["task_cycles"].get<uint64_t>(), k["name"].get<std::string>()});
  std::stable_sort(want.begin(), want.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  size_t at = 0;
  while (at < lines.size() && lines[at].rfind("kernel ", 0) != 0) ++at;
  ASSERT_LT(at + want.size(), lines.size()) << r.out;
  EXPECT_NE(lines[at].find("time %  path %"), std::string::npos) << lines[at];
  const double all = j["totals"]["task_cycles"].get<double>();
  for (size_t i = 0; i < want.size(); ++i) {
    std::istringstream row(lines[at + 1 + i]);
    std::string name, pct;
    row >> name >> pct;
    EXPECT_EQ(name, want[i].second.substr(0, 22)) << r.out;
    std::snprintf(share, sizeof share, "%.1f%%", 100.0 * double(want[i].first) / all);
    EXPECT_EQ(pct, share) << lines[at + 1 + i];
  }
  EXPECT_TRUE(has(r, "task cycles: the sum over\nthe kernel's tasks of (end - start) on their core group")) << r.out;
}

namespace {

std::string last_line(const std::string& out) {
  std::string s = out;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s.substr(s.find_last_of('\n') + 1);
}

}  // namespace

// disasm takes the workload overrides run takes; the program it prints runs
// like the workload with them.
TEST(FirstHour, DisasmAcceptsSet) {
  const fs::path d = tmpdir();
  const std::string set = " --set workload.tiling.tile_k=128";
  Result r = sh(kBin + " disasm --workload configs/workloads/gemm.yaml" + set + " -o " + (d / "p.txt").string());
  ASSERT_EQ(r.code, 0) << r.out;
  ASSERT_EQ(sh(kBin + " run -q --program " + (d / "p.txt").string() + " --report " + (d / "p.json").string()).code, 0);
  const nlohmann::json p = read_json(d / "p.json"), w = read_json(gemm_report(d, "w", set)),
                       plain = read_json(gemm_report(d, "plain"));
  EXPECT_EQ(p["total_cycles"], w["total_cycles"]);
  EXPECT_EQ(p["totals"]["dma_count"], w["totals"]["dma_count"]);
  EXPECT_NE(p["totals"]["dma_count"], plain["totals"]["dma_count"]);  // the --set took effect
  r = sh(kBin + " disasm --workload configs/workloads/gemm.yaml --set hw.clock_ghz=1");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, "--set hw.clock_ghz: only workload.* keys")) << r.out;
  r = sh(kBin + " disasm --workload configs/workloads/gemm.yaml --set workload.tiling.tile_kk=1");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, "--set workload.tiling.tile_kk: no such key in configs/workloads/gemm.yaml")) << r.out;
}

// compare: total_us to the hundredth, the roofline bound and ratio, bus bytes and flops.
TEST(FirstHour, CompareShowsMicrosecondsRooflineBusBytesAndFlops) {
  const fs::path d = tmpdir();
  const std::string a = gemm_report(d, "a"), b = gemm_report(d, "b", "--set workload.tiling.tile_k=128");
  const Result r = sh(kBin + " compare " + a + " " + b);
  ASSERT_EQ(r.code, 0) << r.out;
  const nlohmann::json ja = read_json(a);
  char us[32];
  std::snprintf(us, sizeof us, "%.2f", ja["total_us"].get<double>());
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\n  total_us +" + std::string(us) + " "))) << r.out;
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex("\n  roofline bound_cycles +" + std::to_string(ja["roofline"]["bound_cycles"].get<uint64_t>()) +
                        " ")))
      << r.out;
  char ratio[32];
  std::snprintf(ratio, sizeof ratio, "%.2f", ja["roofline"]["ratio"].get<double>());
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\n  roofline ratio +" + std::string(ratio) + " "))) << r.out;
  for (const char* k : {"dma_bus_bytes", "flops"})
    EXPECT_TRUE(std::regex_search(r.out, std::regex(std::string("\n  ") + k + " +" +
                                                    std::to_string(ja["totals"][k].get<uint64_t>()) + " ")))
        << k << "\n" << r.out;
}

// check: what moved first, the verdict last; never "ok" when it fails.
TEST(FirstHour, CheckPrintsTheVerdictLastAndNeverOkWhenItFails) {
  const fs::path d = tmpdir();
  const std::string base = gemm_report(d, "base"), more = gemm_report(d, "more", "--set workload.tiling.tile_k=128");
  // Fewer DMAs than the baseline: passes, the shrinking listed before the verdict.
  Result r = sh(kBin + " check " + base + " --baseline " + more + " --tolerance 10%");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_LT(r.out.find("shrank past 10%"), r.out.find("check: ok ("));
  EXPECT_EQ(last_line(r.out).rfind("check: ok (", 0), 0u) << r.out;
  EXPECT_FALSE(has(r, "metrics within")) << r.out;  // they are not all within it
  // --strict: the same is a failure, and nothing says ok.
  r = sh(kBin + " check " + base + " --baseline " + more + " --tolerance 10% --strict");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_FALSE(has(r, "check: ok")) << r.out;
  EXPECT_EQ(last_line(r.out).rfind("check: FAILED (", 0), 0u) << r.out;
  // Growth: a failure.
  r = sh(kBin + " check " + more + " --baseline " + base + " --tolerance 1%");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_FALSE(has(r, "check: ok")) << r.out;
  EXPECT_EQ(last_line(r.out).rfind("check: FAILED (", 0), 0u) << r.out;
}

// An output that cannot be written is found before the simulation runs: the
// error names the flag and the path (a run that would fail at cycle 1 shows
// which came first), and the check leaves nothing behind.
TEST(FirstHour, OutputPathsAreCheckedBeforeTheRun) {
  const fs::path d = tmpdir();
  const std::string run = kBin + " run -q --workload configs/workloads/gemm.yaml --max-cycles 1";
  const std::string small =
      kBin + " run -q --workload configs/workloads/qwen3_32b_decode_baseline_small.yaml --max-cycles 1";
  { std::ofstream(d / "file") << "x"; }
  struct Case {
    std::string cmd, message;
  } cases[] = {
      {run + " --report " + (d / "no/r.json").string(),
       "cannot write --report " + (d / "no/r.json").string() + ": No such file or directory (checked before the run)"},
      {run + " --trace " + d.string(), "cannot write --trace " + d.string() + ": Is a directory"},
      {small + " --dump " + (d / "file/dump").string(), "cannot write --dump " + (d / "file/dump").string() + ": "},
  };
  for (const Case& c : cases) {
    const Result r = sh(c.cmd);
    EXPECT_EQ(r.code, 2) << c.cmd << "\n" << r.out;
    EXPECT_TRUE(has(r, c.message)) << c.cmd << "\n" << r.out;
    EXPECT_FALSE(has(r, "--max-cycles")) << r.out;  // the run did not start
  }
  // Writable outputs pass the check and the run fails as it would; the check
  // neither truncated an existing report nor left new files or directories.
  { std::ofstream(d / "old.json") << "old"; }
  const Result r = sh(small + " --report " + (d / "old.json").string() + " --trace " + (d / "t.json").string() +
                      " --dump " + (d / "dump/deeper").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, "--max-cycles")) << r.out;
  EXPECT_EQ(read_text(d / "old.json"), "old");
  EXPECT_FALSE(fs::exists(d / "t.json"));
  EXPECT_FALSE(fs::exists(d / "dump"));
}

// tools/setup.sh with a wrong argument prints its usage and exits 2 before it
// installs or builds anything (dpkg-query, apt-get, sudo and cmake are
// stand-ins here that record being called).
TEST(FirstHour, SetupShWithAWrongArgumentDoesNothingButSayItsUsage) {
  const fs::path d = tmpdir();
  fs::create_directories(d / "bin");
  for (const char* tool : {"dpkg-query", "apt-get", "sudo", "cmake", "ctest"}) {
    const fs::path f = d / "bin" / tool;
    std::ofstream(f) << "#!/bin/sh\necho " << tool << " >> " << (d / "called").string() << "\n";
    fs::permissions(f, fs::perms::owner_all);
  }
  for (const std::string args : {"", "bogus", "run extra", "--help"}) {
    const Result r = sh("PATH=" + (d / "bin").string() + ":$PATH tools/setup.sh " + args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.out;
    EXPECT_TRUE(has(r, "usage: tools/setup.sh run|test")) << args << "\n" << r.out;
    EXPECT_FALSE(fs::exists(d / "called")) << args << ": called " << read_text(d / "called");
  }
}

// A file that does not exist has no line: it is never "FILE:0:". Every kind
// of input says "cannot read KIND file PATH: REASON" (the sweep file said
// "nope.yaml: cannot open the sweep file", without the reason).
TEST(FirstHour, AMissingFileIsNotReportedAtLineZero) {
  const fs::path d = tmpdir();
  std::ofstream(d / "based.yaml") << "base: ./nope.yaml\n";
  const std::string gemm = " --workload configs/workloads/gemm.yaml";
  const std::string report = gemm_report(d, "r");
  const std::pair<std::string, std::string> cases[] = {
      {" run -q --workload nope.yaml", "cannot read workload file nope.yaml: No such file or directory"},
      {" run -q --workload nope.yaml --set workload.x=1",
       "cannot read workload file nope.yaml: No such file or directory"},
      {" disasm --workload nope.yaml", "cannot read workload file nope.yaml: No such file or directory"},
      {" run -q --program nope.txt", "cannot read program file nope.txt: No such file or directory"},
      {" run -q --hw nope.yaml" + gemm, "cannot read hardware file nope.yaml: No such file or directory"},
      {" run -q" + gemm + " --check-with nope.yaml", "cannot read workload file nope.yaml: No such file or directory"},
      {" hw show --hw " + (d / "based.yaml").string(),
       (d / "based.yaml").string() + ":1: base: cannot read hardware file " + (d / "nope.yaml").string() +
           ": No such file or directory"},
      {" sweep nope.yaml -o " + (d / "s.csv").string(), "cannot read sweep file nope.yaml: No such file or directory"},
      {" check nope.json --baseline " + report, "cannot read report file nope.json: No such file or directory"},
      {" check " + report + " --baseline nope.json", "cannot read report file nope.json: No such file or directory"},
      {" compare " + report + " nope.json", "cannot read report file nope.json: No such file or directory"},
      {" report nope.json", "cannot read report file nope.json: No such file or directory"},
  };
  for (const auto& [cmd, message] : cases) {
    const Result r = sh(kBin + cmd);
    EXPECT_EQ(r.code, 2) << cmd << "\n" << r.out;
    EXPECT_TRUE(has(r, message)) << cmd << "\n" << r.out;
    EXPECT_FALSE(has(r, ":0:")) << cmd << "\n" << r.out;
  }
}

// An empty workload file is "expected a mapping, got nothing" at its top,
// not "w.yaml:1: : expected a mapping" (an empty key path between colons).
TEST(FirstHour, AnEmptyWorkloadFileSaysItHoldsNothing) {
  const fs::path d = tmpdir();
  std::ofstream(d / "empty.yaml") << "# nothing but a comment\n";
  const Result r = sh(kBin + " run -q --workload " + (d / "empty.yaml").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, (d / "empty.yaml").string() + ":1: expected a mapping, got nothing")) << r.out;
}

// A sweep's progress line shortens a long error from the start: the cause at
// its end stays.
TEST(FirstHour, SweepProgressKeepsTheEndOfALongError) {
  const fs::path d = tmpdir();
  const fs::path deep = d / std::string(120, 'w');
  fs::create_directories(deep);
  fs::copy_file(kSrc + "/configs/workloads/dma_sweep.yaml", deep / "dma_sweep.yaml");
  std::ofstream(d / "s.yaml") << "hw: configs/hw/a2a3.yaml\n"
                                 "workload: " << (deep / "dma_sweep.yaml").string() << "\n"
                                 "axes:\n"
                                 "  workload.bytes: [1001]\n";
  const Result r = sh(kBin + " sweep " + (d / "s.yaml").string() + " -j 1 -o " + (d / "r.csv").string());
  EXPECT_EQ(r.code, 0) << r.out;
  std::string progress;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);)
    if (l.find("point 0 error: ") != std::string::npos) progress = l;
  ASSERT_FALSE(progress.empty()) << r.out;
  const std::string m = progress.substr(progress.find("point 0 error: ") + 15);
  EXPECT_EQ(m.rfind("...", 0), 0u) << progress;  // shortened
  EXPECT_NE(m.find("is not a multiple of 2*rows=2 (bf16 rows of equal size) (from --set workload.bytes=1001) ("),
            std::string::npos)
      << progress;
}

// compare --help and sweep --help say what they take, what they print and
// their exit codes; the sweep file shown in the help is a valid one.
TEST(FirstHour, CompareAndSweepHelpDescribeInputsAndExitCodes) {
  Result r = sh(kBin + " compare --help");
  EXPECT_EQ(r.code, 0) << r.out;
  for (const char* s : {"usage: npusim compare A.json B.json", "Prints two or more reports of `npusim run --report`", "provenance",
                        "Exit status: 0 printed; 2 bad input", "3 an internal error"})
    EXPECT_TRUE(has(r, s)) << s << "\n" << r.out;
  r = sh(kBin + " check --help");
  EXPECT_TRUE(has(r, "Exit status: 0 ok (or --update wrote BASE); 1 a regression; 2 bad input")) << r.out;

  r = sh(kBin + " sweep --help");
  EXPECT_EQ(r.code, 0) << r.out;
  for (const char* s : {"The sweep file (YAML", "axes:", "zip:", "timeout:", "The CSV\nhas a row per point",
                        "Exit status: 0 every point has a row", "1 --collect", "2 bad input", "128+N"})
    EXPECT_TRUE(has(r, s)) << s << "\n" << r.out;
  // The example: the indented lines after "The sweep file", up to a blank line.
  std::istringstream in(r.out);
  std::string yaml;
  bool on = false;
  for (std::string l; std::getline(in, l);) {
    if (l.rfind("The sweep file", 0) == 0) {
      on = true;
      continue;
    }
    if (!on) continue;
    if (l.empty()) break;
    yaml += l.substr(2) + "\n";
  }
  const fs::path d = tmpdir();
  std::ofstream(d / "s.yaml") << yaml;
  r = sh(kBin + " sweep " + (d / "s.yaml").string() + " --emit-jobs " + (d / "jobs").string());
  ASSERT_EQ(r.code, 0) << yaml << r.out;
  std::istringstream jobs(read_text(d / "jobs/jobs.txt"));
  size_t n = 0;
  for (std::string l; std::getline(jobs, l);) ++n;
  EXPECT_EQ(n, 2u * 2u * 2u) << yaml;  // tile_k x hw x the zip group
}

// Issue 13: errors in a text program carry its file and line. validate_program's
// did; those of the run-time checks (a tile past its buffer, a read of what
// nothing wrote, a deadlock, a vector core the hardware lacks) named only the
// task and instruction. The programs are text_format.md's first example,
// varied: lines 1-6 below, the vector streams from line 7 (vec 0 on line 7,
// its first instruction on line 8), then "end" and the task.
TEST(FirstHour, RunTimeErrorsOfATextProgramNameItsFileAndLine) {
  const fs::path d = tmpdir();
  const std::string head =
      "tensor x [4,8] fp32 in\n"                    // 1
      "tensor y [4,8] fp32 out\n"                   // 2
      "site 0 \"k: launch\"\n"                      // 3
      "site 1 \"k: compute\"\n"                     // 4
      "kernel 0 k\n"                                // 5
      "  cube\n";                                   // 6
  const std::string task = "end\ntask 0 kernel=0 site=0 deps=[] reads=[x:0..128] writes=[y:0..128]\n";
  struct Case {
    const char* name;
    std::string body;  // lines 7 on: the vector streams
    std::string hw_set, message;
  } cases[] = {
      // UB is 192 KiB on a2a3: a 128 B tile at 196600 passes its end (line 9).
      {"past_ub",
       "  vec 0\n    tload UB[0+4x8 fp32] <- x[0+4x8/8] @1\n    vadds UB[196600+4x8 fp32] <- UB[0+4x8 fp32] 0.5 @1\n"
       "    tstore y[0+4x8/8] <- UB[196600+4x8 fp32] @1\n",
       "", "past_ub.txt:9: task 0 (kernel 0 'k', vec0) instruction #1 vadds at 'k: compute': dst tile UB[196600, "},
      // vadds reads UB[64..192), which nothing wrote (line 9).
      {"unwritten",
       "  vec 0\n    tload UB[0+4x8 fp32] <- x[0+4x8/8] @1\n    vadds UB[128+4x8 fp32] <- UB[64+4x8 fp32] 0.5 @1\n"
       "    tstore y[0+4x8/8] <- UB[128+4x8 fp32] @1\n",
       "", "unwritten.txt:9: task 0 (kernel 0 'k', vec0) instruction #1 vadds at 'k: compute': reads a tile UB[64, "},
      // A wait for a flag no core posts (line 9); the task is on line 12 (7-10 the stream, 11 end).
      {"deadlock",
       "  vec 0\n    tload UB[0+4x8 fp32] <- x[0+4x8/8] @1\n    wait 3 @1\n"
       "    tstore y[0+4x8/8] <- UB[0+4x8 fp32] @1\n",
       "", "deadlock.txt:12: deadlock in task 0 (kernel 'k') on core group 0: no core can make progress\n"
           "  vec0: deadlock.txt:9: blocked at task 0 (kernel 0 'k', vec0) instruction #1 wait"},
      // Vector core 1's stream (vec 1 on line 8) starts on line 9; the hardware has one vector core.
      {"vec1",
       "  vec 0\n  vec 1\n    tload UB[0+4x8 fp32] <- x[0+4x8/8] @1\n    tstore y[0+4x8/8] <- UB[0+4x8 fp32] @1\n"
       "    vadds UB[128+4x8 fp32] <- UB[0+4x8 fp32] 0.5 @1\n",
       " --set hw.vector_cores=1",
       "vec1.txt:9: task 0 (kernel 'k') has instructions for vector core 1 but hardware 'a2a3' has 1 vector cores"},
  };
  for (const Case& c : cases) {
    const fs::path f = d / (std::string(c.name) + ".txt");
    std::ofstream(f) << head << c.body << task;
    const Result r = sh("cd " + d.string() + " && " + kBin + " run -q --program " + f.filename().string() + c.hw_set);
    EXPECT_EQ(r.code, 2) << c.name << "\n" << r.out;
    EXPECT_TRUE(has(r, "npusim: simulation error: " + c.message)) << c.name << "\n" << r.out;
  }
}

// Issue 13: every command's --help says what it does (prose between its
// usage and its options) and its exit status, down to the internal error;
// run, disasm, bench, report-keys and hw show gave only their options.
TEST(FirstHour, EveryCommandsHelpSaysWhatItDoesAndItsExitStatus) {
  for (const std::string cmd : {"run", "disasm", "bench", "compare", "sweep", "check", "report", "report-keys",
                                "hw show"}) {
    const Result r = sh(kBin + " " + cmd + " --help");
    EXPECT_EQ(r.code, 0) << cmd << "\n" << r.out;
    EXPECT_EQ(r.out.rfind("usage: npusim " + cmd, 0), 0u) << cmd << "\n" << r.out;
    // The text without the options block (up to its blank line or the end).
    const size_t options = r.out.find("npusim " + cmd + " options:");
    ASSERT_NE(options, std::string::npos) << cmd << "\n" << r.out;
    const size_t after = r.out.find("\n\n", options);
    const std::string head = r.out.substr(0, options) + (after == std::string::npos ? "" : r.out.substr(after));
    EXPECT_NE(head.find("Exit status: 0 "), std::string::npos) << cmd << "\n" << head;
    EXPECT_NE(head.find("2 bad input ("), std::string::npos) << cmd << "\n" << head;
    std::string flat = head;  // lines joined: a phrase may wrap
    std::replace(flat.begin(), flat.end(), '\n', ' ');
    EXPECT_NE(flat.find("3 an internal error (a bug in npusim)"), std::string::npos) << cmd << "\n" << head;
    // What it does: at least two lines of prose that are not usage lines.
    size_t prose = 0;
    std::istringstream in(head);
    for (std::string l; std::getline(in, l);)
      if (l.find("usage: ") == std::string::npos && l.rfind("       npusim ", 0) != 0 &&
          l.rfind("                    [", 0) != 0 && l.size() > 40)
        ++prose;
    EXPECT_GE(prose, 2u) << cmd << "\n" << head;
  }
  const Result r = sh(kBin + " --help");
  EXPECT_TRUE(has(r, "Exit status: 0 done; 1 a result that fails")) << r.out;
  EXPECT_TRUE(has(r, "3 an internal\nerror (a bug in npusim)")) << r.out;
}

// Issue 13: bench ran only on configs whose L0B held two [128,64] bf16
// operands. On tiny (L0B 16 KiB) it single-buffers them: 10 instructions per
// K-step + 1 store per task: 3 tasks x (10 x 2 + 1) = 63 instructions.
TEST(FirstHour, BenchRunsOnTheSmallestConfig) {
  Result r = sh(kBin + " bench --hw configs/hw/tiny.yaml --tasks 3 --steps 2");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("bench: 63 instructions in 3 tasks"), std::string::npos) << r.out;
}

// Issue 13: a long functional run and a big trace say what they are doing.
TEST(FirstHour, FunctionalRunsAndTracesSayWhatTheyDo) {
  const fs::path d = tmpdir();
  Result r = sh(kBin + " run --functional --workload configs/workloads/gemm.yaml --trace " + (d / "t.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("functional: executing "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" instructions on their data ..."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("trace: " + (d / "t.json").string() + " ("), std::string::npos) << r.out;
  r = sh(kBin + " run --check --workload configs/workloads/qwen3_32b_decode_baseline_small.yaml");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_LT(r.out.find("functional: computing the reference"), r.out.find("functional: executing")) << r.out;
}
