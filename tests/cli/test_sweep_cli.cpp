// npusim sweep end to end: failed points, resume after an interruption (a cut
// CSV, SIGTERM, SIGKILL), the per-point timeout, what a killed sweep leaves
// behind (nothing), --retry-failed, emit-jobs + GNU parallel + collect.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/common/cli_run.h"

namespace fs = std::filesystem;
using namespace clitest;

namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) v.push_back(l);
  return v;
}

std::string field(const std::string& line, size_t i) {  // no quoted fields in these tests' rows
  std::vector<std::string> f;
  std::stringstream ss(line);
  std::string x;
  while (std::getline(ss, x, ',')) f.push_back(x);
  return i < f.size() ? f[i] : "";
}

// Rows (without the header) sorted, and the point indexes they hold.
std::vector<std::string> sorted_rows(const std::string& csv) {
  std::vector<std::string> v = lines(csv);
  v.erase(v.begin());
  std::sort(v.begin(), v.end());
  return v;
}

std::multiset<std::string> points_of(const std::string& csv) {
  std::multiset<std::string> s;
  const auto l = lines(csv);
  for (size_t i = 1; i < l.size(); ++i) s.insert(field(l[i], 0));
  return s;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// dma_sweep: 3 sizes (one invalid: 1001 is not a whole number of bf16) x 2 counts.
std::string small_sweep(const fs::path& d) {
  std::ofstream(d / "s.yaml") << "hw: configs/hw/a2a3.yaml\n"
                                 "workload: configs/workloads/dma_sweep.yaml\n"
                                 "axes:\n"
                                 "  workload.bytes: [1024, 1001, 4096]\n"
                                 "  workload.count: [32, 64]\n";
  return (d / "s.yaml").string();
}

// Eight points of about 0.2 s each (300k DMAs), for interrupting.
std::string slow_sweep(const fs::path& d) {
  std::ofstream(d / "slow.yaml") << "hw: configs/hw/a2a3.yaml\n"
                                    "workload: configs/workloads/dma_sweep.yaml\n"
                                    "axes:\n"
                                    "  workload.count: [300000, 300002, 300004, 300006, 300008, 300010, 300012, "
                                    "300014]\n"
                                    "  workload.tasks: [64]\n";
  return (d / "slow.yaml").string();
}

void expect_one_row_per_point(const std::string& csv, size_t n) {
  const auto pts = points_of(csv);
  EXPECT_EQ(pts.size(), n) << csv;
  for (size_t i = 0; i < n; ++i) EXPECT_EQ(pts.count(std::to_string(i)), 1u) << "point " << i << "\n" << csv;
  EXPECT_TRUE(!csv.empty() && csv.back() == '\n');
}

// A copy of gemm.yaml at d/slow-gemm.yaml: the children of a sweep on it have
// that path in their command line, which no other process has.
std::string slow_gemm(const fs::path& d) {
  fs::copy_file(kSrc + "/configs/workloads/gemm.yaml", d / "slow-gemm.yaml");
  return (d / "slow-gemm.yaml").string();
}

// This test relies on M=N=4096, K=524288 being slow: about 6 s in a release
// build today (16.8 M instructions: one body of 16,385 launched 1,024 times), so far
// past the 1-2 s timeouts and kill delays used here. If the simulator gets
// that much faster, scale the shape up (keep it a multiple of the tiling: 128
// for M and N, 256 for K).
const char* kSlowShape = "{M: 4096, N: 4096, K: 524288}";

// The processes whose command line contains `marker` (zombies have none).
std::vector<pid_t> processes_with(const std::string& marker) {
  std::vector<pid_t> v;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmd = read_text(e.path() / "cmdline");
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (cmd.find(marker) != std::string::npos) v.push_back(pid_t(std::stol(name)));
  }
  return v;
}

// Waits up to `seconds` for at least `n` processes with `marker` (for none if n == 0).
bool wait_for(const std::string& marker, size_t n, double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (true) {
    const size_t have = processes_with(marker).size();
    if (n == 0 ? have == 0 : have >= n) return true;
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Starts `npusim sweep ARGS` in the source directory with TMPDIR=tmp and its
// output in `log`; returns its pid (a child of the test, to kill and wait for).
pid_t start_sweep(const std::vector<std::string>& args, const fs::path& tmp, const fs::path& log) {
  std::vector<std::string> all = {kBin, "sweep"};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (chdir(kSrc.c_str()) != 0 || fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) _exit(127);
    setenv("TMPDIR", tmp.c_str(), 1);
    execv(kBin.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

// A sweep of two slow points with -j 2 gets `sig` once both run; then neither
// child may survive it, and nothing may be left in TMPDIR. Returns the sweep's
// wait status.
int signal_a_running_sweep(int sig) {
  const fs::path d = tmpdir();
  const std::string w = slow_gemm(d);
  std::ofstream(d / "k.yaml") << "hw: configs/hw/a2a3.yaml\nworkload: " << w << "\n"
                              << "axes:\n  workload.shapes: [" << kSlowShape << ", {M: 4096, N: 4224, K: 524288}]\n";
  const fs::path tmp = d / "tmp";
  fs::create_directories(tmp);
  const pid_t pid = start_sweep({(d / "k.yaml").string(), "-j", "2", "-o", (d / "r.csv").string()}, tmp, d / "log");
  EXPECT_TRUE(wait_for(w, 2, 5)) << "the two points did not start\n" << read_text(d / "log");
  kill(pid, sig);
  int status = 0;
  waitpid(pid, &status, 0);
  const bool gone = wait_for(w, 0, 2);
  EXPECT_TRUE(gone) << "children of the sweep survive " << strsignal(sig);
  for (pid_t orphan : processes_with(w)) kill(orphan, SIGKILL);  // not left running when this fails
  EXPECT_TRUE(fs::is_empty(tmp)) << "temporary files left in " << tmp << " after " << strsignal(sig);
  // No row of an interrupted point (both are left for --resume).
  EXPECT_EQ(lines(read_text(d / "r.csv")).size(), 1u) << read_text(d / "r.csv");
  return status;
}

}  // namespace

TEST(SweepCli, PointTimeoutKillsTheSlowPointAndTheOthersFinish) {
  const fs::path d = tmpdir();
  const std::string w = slow_gemm(d);
  // The quick points take a few ms; the limits leave them seconds to spare on
  // a loaded machine (a limit near their run time made this test flaky).
  std::ofstream(d / "t.yaml") << "hw: configs/hw/a2a3.yaml\nworkload: " << w << "\ntimeout: 2\n"
                              << "axes:\n  workload.shapes: [{M: 128, N: 256, K: 256}, " << kSlowShape
                              << ", {M: 128, N: 128, K: 256}]\n";
  const std::string cmd = kBin + " sweep " + (d / "t.yaml").string() + " -j 2 -o " + (d / "r.csv").string();
  for (const std::string& limit : {std::string("2"), std::string("1.5")}) {  // timeout: of the file, then the flag
    const auto t0 = std::chrono::steady_clock::now();
    Result r = sh(cmd + (limit == "1" ? "" : " --point-timeout " + limit));
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(r.code, 0) << r.out;  // every point has a row
    EXPECT_LT(took, 6.0) << "the slow point was not cut\n" << r.out;
    EXPECT_TRUE(wait_for(w, 0, 1)) << "the timed-out child still runs";
    const std::string csv = read_text(d / "r.csv");
    expect_one_row_per_point(csv, 3);
    for (const std::string& row : lines(csv)) {
      if (row.rfind("1,", 0) == 0) {
        EXPECT_NE(row.find(",error,timed out after " + limit + " s (killed),"), std::string::npos) << row;
      } else if (row.rfind("point,", 0) != 0) {
        EXPECT_NE(row.find(",ok,"), std::string::npos) << row;
      }
    }
    EXPECT_NE(r.out.find("point 1 error: timed out after " + limit + " s"), std::string::npos) << r.out;
  }
  // A bad limit is bad input, named.
  Result r = sh(cmd + " --point-timeout 0");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("--point-timeout must be a positive number of seconds"), std::string::npos) << r.out;
  std::ofstream(d / "bad.yaml") << "hw: configs/hw/a2a3.yaml\nworkload: " << w << "\ntimeout: 10 s\n"
                                << "axes: {hw.gm.bandwidth_gbps: [800]}\n";
  r = sh(kBin + " sweep " + (d / "bad.yaml").string() + " -o " + (d / "bad.csv").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find((d / "bad.yaml").string() + ":3: timeout: expected a positive number of seconds"),
            std::string::npos)
      << r.out;
}

TEST(SweepCli, KilledSweepLeavesNoChildAndNoTemporaryFiles) {
  const int status = signal_a_running_sweep(SIGKILL);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

TEST(SweepCli, TerminatedSweepLeavesNoChildAndNoTemporaryFiles) {
  const int status = signal_a_running_sweep(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM) << status;
}

TEST(SweepCli, InterruptedSweepLeavesNoChildAndNoTemporaryFiles) {
  const int status = signal_a_running_sweep(SIGINT);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGINT) << status;
}

TEST(SweepCli, RetryFailedRerunsExactlyTheFailedPoints) {
  const fs::path d = tmpdir();
  // bytes must be a multiple of 2*rows: with rows 512, the 1536-byte points fail.
  std::ofstream(d / "w.yaml") << "workload: dma_sweep\ncount: 32\nbytes: 1024\nrows: 512\ntasks: 1\n"
                                 "direction: gm_to_ub\n";
  std::ofstream(d / "s.yaml") << "hw: configs/hw/a2a3.yaml\nworkload: " << (d / "w.yaml").string() << "\n"
                              << "axes:\n  workload.bytes: [1024, 1536, 2048]\n  workload.count: [32, 64]\n";
  const std::string cmd = kBin + " sweep " + (d / "s.yaml").string() + " -j 2 -o " + (d / "r.csv").string();
  Result r = sh(cmd);
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string first = read_text(d / "r.csv");
  auto failed = [](const std::string& csv) {
    size_t n = 0;
    for (const std::string& row : lines(csv)) n += field(row, 3) == "error";
    return n;
  };
  ASSERT_EQ(failed(first), 2u) << first;
  // Only with --resume.
  r = sh(cmd + " --retry-failed");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("--retry-failed goes with --resume"), std::string::npos) << r.out;
  EXPECT_EQ(read_text(d / "r.csv"), first);
  // Fix the cause; the failed points (and only they) run again.
  std::ofstream(d / "w.yaml") << "workload: dma_sweep\ncount: 32\nbytes: 1024\nrows: 256\ntasks: 1\n"
                                 "direction: gm_to_ub\n";
  r = sh(cmd + " --resume --retry-failed");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("2 failed points of"), std::string::npos) << r.out;
  EXPECT_EQ(count(r.out, "| point "), 2u) << r.out;
  EXPECT_EQ(count(r.out, "| point 2 ok"), 1u) << r.out;  // bytes 1536, count 32
  EXPECT_EQ(count(r.out, "| point 3 ok"), 1u) << r.out;  // bytes 1536, count 64
  const std::string csv = read_text(d / "r.csv");
  expect_one_row_per_point(csv, 6);
  EXPECT_EQ(failed(csv), 0u) << csv;
  for (const std::string& row : lines(first)) {  // the ok rows are kept as they were
    if (field(row, 3) == "ok") {
      EXPECT_NE(csv.find(row + "\n"), std::string::npos) << row;
    }
  }
  // Nothing failed: nothing runs.
  r = sh(cmd + " --resume --retry-failed");
  EXPECT_NE(r.out.find("running 0 with"), std::string::npos) << r.out;
  EXPECT_EQ(read_text(d / "r.csv"), csv);
}

TEST(SweepCli, InvalidPointFailsAloneEveryOtherRowIsWritten) {
  const fs::path d = tmpdir();
  Result r = sh(kBin + " sweep " + small_sweep(d) + " -j 2 -o " + (d / "r.csv").string());
  EXPECT_EQ(r.code, 0) << r.out;  // every point has a row, failed or not
  const std::string csv = read_text(d / "r.csv");
  expect_one_row_per_point(csv, 6);
  const auto l = lines(csv);
  EXPECT_EQ(l[0].rfind("point,workload.bytes,workload.count,status,error,total_cycles,total_us,", 0), 0u) << l[0];
  size_t ok = 0, err = 0;
  for (size_t i = 1; i < l.size(); ++i) {
    if (field(l[i], 3) == "ok") {
      ++ok;
      EXPECT_NE(field(l[i], 1), "1001");
      EXPECT_FALSE(field(l[i], 5).empty()) << l[i];  // total_cycles
    } else {
      ++err;
      EXPECT_EQ(field(l[i], 3), "error");
      EXPECT_EQ(field(l[i], 1), "1001");
      EXPECT_NE(l[i].find("bytes=1001 is not a multiple of 2*rows=2"), std::string::npos) << l[i];
      EXPECT_NE(l[i].find("(from --set workload.bytes=1001)"), std::string::npos) << l[i];
    }
  }
  EXPECT_EQ(ok, 4u);
  EXPECT_EQ(err, 2u);
  // Progress on stderr: done / total, failures, elapsed, ETA.
  EXPECT_NE(r.out.find("6/6 done, 2 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ETA"), std::string::npos) << r.out;
}

TEST(SweepCli, ResumeAfterACutCsvRecomputesNothingFinished) {
  const fs::path d = tmpdir();
  const std::string s = small_sweep(d);
  sh(kBin + " sweep " + s + " -j 2 -o " + (d / "full.csv").string());
  const std::string full = read_text(d / "full.csv");
  // An interrupted run: header, three finished rows, and half a row.
  const auto l = lines(full);
  ASSERT_EQ(l.size(), 7u);
  const std::string kept = l[0] + "\n" + l[1] + "\n" + l[2] + "\n" + l[3] + "\n";
  std::ofstream(d / "r.csv", std::ios::binary) << kept << l[4].substr(0, l[4].size() / 2);
  Result r = sh(kBin + " sweep " + s + " -j 2 -o " + (d / "r.csv").string() + " --resume");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("dropped the unfinished last line"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3 already in"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("running 3 with"), std::string::npos) << r.out;
  // None of the finished points ran again; their rows were not rewritten.
  for (size_t i = 1; i <= 3; ++i) {
    const std::string p = field(l[i], 0);
    EXPECT_EQ(r.out.find("| point " + p + " "), std::string::npos) << "point " << p << " ran again\n" << r.out;
  }
  EXPECT_EQ(count(r.out, "| point "), 3u) << r.out;
  const std::string resumed = read_text(d / "r.csv");
  EXPECT_EQ(resumed.substr(0, kept.size()), kept);
  expect_one_row_per_point(resumed, 6);
  EXPECT_EQ(sorted_rows(resumed), sorted_rows(full));
  // Resuming a complete CSV runs nothing.
  r = sh(kBin + " sweep " + s + " -o " + (d / "r.csv").string() + " --resume");
  EXPECT_NE(r.out.find("running 0 with"), std::string::npos) << r.out;
  EXPECT_EQ(read_text(d / "r.csv"), resumed);
}

TEST(SweepCli, TerminatedSweepStopsCleanlyAndResumes) {
  const fs::path d = tmpdir();
  const std::string s = slow_sweep(d), out = (d / "r.csv").string();
  Result r = sh("TMPDIR=" + d.string() + " timeout --preserve-status -s TERM 0.6 " + kBin + " sweep " + s +
                " -j 1 -o " + out);
  const std::string cut = read_text(out);
  const size_t before = lines(cut).size() - 1;
  if (before < 8) {  // it was interrupted (a very slow machine may not get that far)
    EXPECT_EQ(r.code, 128 + 15) << r.out;
    EXPECT_NE(r.out.find("rerun with --resume"), std::string::npos) << r.out;
  }
  // No temporary directory left behind, no row of an interrupted point.
  for (const auto& e : fs::directory_iterator(d))
    EXPECT_EQ(e.path().filename().string().rfind("npusim-sweep-", 0), std::string::npos) << e.path();
  for (const std::string& row : lines(cut)) EXPECT_NE(field(row, 3), "error") << row;
  r = sh(kBin + " sweep " + s + " -j 2 -o " + out + " --resume");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(count(r.out, "| point "), 8 - before) << r.out;
  const std::string csv = read_text(out);
  EXPECT_EQ(csv.substr(0, cut.size()), cut);
  expect_one_row_per_point(csv, 8);
}

TEST(SweepCli, KilledSweepResumesWithoutDuplicates) {
  const fs::path d = tmpdir();
  const std::string s = slow_sweep(d), out = (d / "r.csv").string();
  sh("TMPDIR=" + d.string() + " timeout -s KILL 0.6 " + kBin + " sweep " + s + " -j 2 -o " + out);
  const size_t before = lines(read_text(out)).size() - 1;
  Result r = sh(kBin + " sweep " + s + " -j 2 -o " + out + " --resume");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(count(r.out, "| point "), 8 - before) << r.out;
  expect_one_row_per_point(read_text(out), 8);
}

TEST(SweepCli, EmitJobsRunByGnuParallelThenCollectGiveTheLocalCsv) {
  if (sh("command -v parallel").code != 0) GTEST_SKIP() << "GNU parallel is not installed (Debian: parallel)";
  const fs::path d = tmpdir();
  const std::string s = small_sweep(d);
  sh(kBin + " sweep " + s + " -j 2 -o " + (d / "local.csv").string());
  const std::string jobs = (d / "jobs").string();
  Result r = sh(kBin + " sweep " + s + " --emit-jobs " + jobs);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(lines(read_text(d / "jobs" / "jobs.txt")).size(), 6u);
  EXPECT_EQ(lines(read_text(d / "jobs" / "points.csv")).size(), 7u);
  EXPECT_NE(read_text(d / "jobs" / "slurm.sh").find("SLURM_ARRAY_TASK_ID"), std::string::npos);
  EXPECT_NE(r.out.find("sbatch --array=0-5"), std::string::npos) << r.out;
  r = sh("parallel -j 2 < " + jobs + "/jobs.txt");
  EXPECT_EQ(r.code, 2) << r.out;  // GNU parallel: the number of failed jobs (the two invalid points)
  // Collect sorts by point; the local sweep writes in completion order.
  r = sh(kBin + " sweep --collect " + jobs + " -o " + (d / "collected.csv").string());
  EXPECT_EQ(r.code, 0) << r.out;  // every point has a result (two of them errors)
  const std::string local = read_text(d / "local.csv"), collected = read_text(d / "collected.csv");
  EXPECT_EQ(lines(collected)[0], lines(local)[0]);
  EXPECT_EQ(sorted_rows(collected), sorted_rows(local));
  std::vector<std::string> by_point = lines(collected);
  for (size_t i = 1; i < by_point.size(); ++i) EXPECT_EQ(field(by_point[i], 0), std::to_string(i - 1));
  // The Slurm script runs one line of jobs.txt by task id.
  fs::remove(jobs + "/results/point-4.json");
  r = sh("SLURM_ARRAY_TASK_ID=4 bash " + jobs + "/slurm.sh");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(fs::exists(jobs + "/results/point-4.json"));
  // A point with no result yet is reported, and the others are still merged.
  fs::remove(jobs + "/results/point-5.json");
  r = sh(kBin + " sweep --collect " + jobs + " -o " + (d / "partial.csv").string());
  EXPECT_EQ(r.code, 1);  // incomplete
  EXPECT_NE(r.out.find("1 points have no result"), std::string::npos) << r.out;
  EXPECT_EQ(lines(read_text(d / "partial.csv")).size(), 6u);
}

TEST(SweepCli, CsvHasEveryNumericTotalOfTheReport) {
  const fs::path d = tmpdir();
  std::ofstream(d / "one.yaml") << "hw: configs/hw/a2a3.yaml\nworkload: configs/workloads/gemm.yaml\n"
                                   "axes: {hw.gm.bandwidth_gbps: [968]}\n";
  ASSERT_EQ(sh(kBin + " sweep " + (d / "one.yaml").string() + " -o " + (d / "r.csv").string()).code, 0);
  ASSERT_EQ(sh(kBin + " run -q --workload configs/workloads/gemm.yaml --report " + (d / "r.json").string()).code, 0);
  std::ifstream in(d / "r.json");
  const auto rep = nlohmann::json::parse(in);
  const auto l = lines(read_text(d / "r.csv"));
  ASSERT_EQ(l.size(), 2u);
  std::vector<std::string> head;
  for (size_t i = 0; !field(l[0], i).empty(); ++i) head.push_back(field(l[0], i));
  auto col = [&](const std::string& k) { return size_t(std::find(head.begin(), head.end(), k) - head.begin()); };
  for (const auto& [k, v] : rep["totals"].items()) {
    if (!v.is_number()) continue;
    ASSERT_LT(col(k), head.size()) << "totals." << k << " has no CSV column";
    EXPECT_EQ(field(l[1], col(k)), v.dump()) << k;
  }
  EXPECT_EQ(field(l[1], col("total_cycles")), rep["total_cycles"].dump());
  EXPECT_EQ(field(l[1], col("roofline_ratio")), rep["roofline"]["ratio"].dump());
}

TEST(SweepCli, BadSweepFileIsExitTwoWithFileLineAndKey) {
  const fs::path d = tmpdir();
  std::ofstream(d / "bad.yaml") << "hw: configs/hw/a2a3.yaml\nworkload: configs/workloads/gemm.yaml\n"
                                   "axes:\n  hw.gm.bandwith_gbps: [800]\n";
  Result r = sh(kBin + " sweep " + (d / "bad.yaml").string() + " -o " + (d / "r.csv").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find((d / "bad.yaml").string() +
                       ":4: axes.hw.gm.bandwith_gbps: no such key in configs/hw/a2a3.yaml"),
            std::string::npos)
      << r.out;
  EXPECT_FALSE(fs::exists(d / "r.csv"));
  // A CSV of another sweep is not resumed.
  std::ofstream(d / "other.csv") << "point,x,status\n";
  r = sh(kBin + " sweep " + small_sweep(d) + " -o " + (d / "other.csv").string() + " --resume");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("other.csv:1: the header is not this sweep's"), std::string::npos) << r.out;
}

TEST(SweepCli, PlotScriptTurnsTheCsvIntoAPng) {
  if (sh("/usr/bin/python3 -c 'import matplotlib'").code != 0)
    GTEST_SKIP() << "Debian's python3-matplotlib is not installed";
  const fs::path d = tmpdir();
  ASSERT_EQ(sh(kBin + " sweep " + small_sweep(d) + " -o " + (d / "r.csv").string()).code, 0);
  Result r = sh("tools/plot_sweep.py " + (d / "r.csv").string() +
                " --x workload.bytes --y total_us --hue workload.count -o " + (d / "fig.png").string());
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string png = read_text(d / "fig.png");
  ASSERT_GT(png.size(), 8u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  // Another axis left free is an error that names it.
  r = sh("tools/plot_sweep.py " + (d / "r.csv").string() + " --x workload.bytes --y total_us -o " +
         (d / "bad.png").string());
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("axis workload.count has several values"), std::string::npos) << r.out;
  r = sh("tools/plot_sweep.py " + (d / "r.csv").string() +
         " --x workload.bytes --y total_us --where workload.count=64 -o " + (d / "where.png").string());
  EXPECT_EQ(r.code, 0) << r.out;
}
