// npusim run --trace: what the trace file holds, how its options shape it, and
// its gzip form.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include "tests/common/cli_run.h"

namespace fs = std::filesystem;
using namespace clitest;

namespace {

const std::string kGemm = " --workload configs/workloads/gemm.yaml";

// The trace of `run -q ARGS --trace DIR/NAME`.
nlohmann::json trace_of(const fs::path& d, const std::string& args, const std::string& name = "t.json") {
  const Result r = sh(kBin + " run -q" + args + " --trace " + (d / name).string());
  EXPECT_EQ(r.code, 0) << r.out;
  return read_json(d / name);
}

}  // namespace

TEST(TraceCli, EveryPidIsPositiveAndEveryNamedLaneHasEvents) {
  const nlohmann::json t = trace_of(tmpdir(), kGemm);
  std::set<int> pids_with_events, named_pids;
  std::set<std::pair<int, int>> lanes_with_events, named_lanes;
  int scheduler_pid = -1;
  std::map<int, int> rank;
  for (const auto& e : t["traceEvents"]) {
    EXPECT_GE(e["pid"].get<int>(), 1) << e;
    const int pid = e["pid"];
    if (e["ph"] == "X") {
      pids_with_events.insert(pid);
      lanes_with_events.insert({pid, e["tid"]});
    } else if (e["name"] == "process_name") {
      named_pids.insert(pid);
      if (e["args"]["name"] == "scheduler") scheduler_pid = pid;
    } else if (e["name"] == "thread_name") {
      named_lanes.insert({pid, e["tid"]});
    } else if (e["name"] == "process_sort_index") {
      rank[pid] = e["args"]["sort_index"];
    }
  }
  EXPECT_EQ(named_pids, pids_with_events);
  EXPECT_EQ(named_lanes, lanes_with_events);
  // The scheduler is shown first.
  ASSERT_TRUE(rank.count(scheduler_pid));
  for (const auto& [pid, r] : rank) EXPECT_GE(r, rank[scheduler_pid]) << pid;
  // 256x1024 in 128x128 tiles is 2 * 8 = 16 tasks, so at most 16 of a2a3's
  // 24 core groups run one: the scheduler and at most 16 processes are left.
  EXPECT_LE(named_pids.size(), 1u + 16u);
  // GEMM is cube-only: no lane of a vector core.
  for (const auto& e : t["traceEvents"])
    if (e["ph"] == "M" && e["name"] == "thread_name") {
      EXPECT_EQ(e["args"]["name"].get<std::string>().rfind("vec", 0), std::string::npos) << e;
    }
}

namespace {

bool task_level(const nlohmann::json& e) {
  return e["cat"] == "task" || e["cat"] == "dispatch" || e["cat"] == "completion";
}

// The complete events of a trace, each dumped to a string, sorted.
std::vector<std::string> events_of(const nlohmann::json& t) {
  std::vector<std::string> out;
  for (const auto& e : t["traceEvents"])
    if (e["ph"] == "X") out.push_back(e.dump());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(TraceCli, DetailTasksAndPipesSplitTheFullTrace) {
  const fs::path d = tmpdir();
  const nlohmann::json all = trace_of(d, kGemm, "all.json");
  const nlohmann::json tasks = trace_of(d, kGemm + " --trace-detail tasks", "tasks.json");
  const nlohmann::json pipes = trace_of(d, kGemm + " --trace-detail pipes", "pipes.json");
  // tasks: a dispatch, a task bar and a completion per task, 2 * 8 = 16
  // tasks (256x1024 in 128x128 tiles); nothing on a pipe, no pipe lane.
  const std::vector<std::string> t = events_of(tasks);
  EXPECT_EQ(t.size(), 3u * 16u);
  for (const auto& e : tasks["traceEvents"])
    if (e["ph"] == "X") {
      EXPECT_TRUE(task_level(e)) << e;
    } else if (e["name"] == "thread_name") {
      const std::string lane = e["args"]["name"];
      EXPECT_TRUE(lane == "tasks" || lane.rfind("scheduler thread", 0) == 0) << lane;
    }
  // pipes: instructions only; no scheduler process, no tasks lane.
  const std::vector<std::string> p = events_of(pipes);
  for (const auto& e : pipes["traceEvents"])
    if (e["ph"] == "X") {
      EXPECT_FALSE(task_level(e)) << e;
    } else if (e["name"] == "thread_name" || e["name"] == "process_name") {
      EXPECT_NE(e["args"]["name"], "tasks");
      EXPECT_NE(e["args"]["name"], "scheduler");
    }
  // Together they are the full trace, event for event.
  std::vector<std::string> both = t;
  both.insert(both.end(), p.begin(), p.end());
  std::sort(both.begin(), both.end());
  EXPECT_EQ(both, events_of(all));
}

TEST(TraceCli, WindowKeepsExactlyTheEventsOverlappingIt) {
  const fs::path d = tmpdir();
  const nlohmann::json all = trace_of(d, kGemm, "all.json");
  // The middle third of the run, in whole us.
  long long end_ns = 0;
  for (const auto& e : all["traceEvents"])
    if (e["ph"] == "X")
      end_ns = std::max(end_ns, std::llround((e["ts"].get<double>() + e["dur"].get<double>()) * 1000));
  const long long lo = end_ns / 3 / 1000 * 1000, hi = 2 * end_ns / 3 / 1000 * 1000;
  ASSERT_LT(lo, hi);
  const nlohmann::json win = trace_of(
      d, kGemm + " --trace-window " + std::to_string(lo / 1000) + ":" + std::to_string(hi / 1000), "win.json");
  std::vector<std::string> inside;
  size_t outside = 0;
  for (const auto& e : all["traceEvents"])
    if (e["ph"] == "X") {
      const long long t0 = std::llround(e["ts"].get<double>() * 1000);
      const long long t1 = t0 + std::llround(e["dur"].get<double>() * 1000);
      if (t0 < hi && (t1 > lo || t0 >= lo)) {
        inside.push_back(e.dump());
      } else {
        ++outside;
      }
    }
  std::sort(inside.begin(), inside.end());
  EXPECT_GT(outside, 0u);
  EXPECT_FALSE(inside.empty());
  EXPECT_EQ(events_of(win), inside);
}

TEST(TraceCli, BadDetailOrWindowIsExitTwoNamingTheFlag) {
  const fs::path d = tmpdir();
  const std::string run = kBin + " run -q" + kGemm + " --trace " + (d / "t.json").string();
  Result r = timed(run + " --trace-detail instr");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, "--trace-detail 'instr': expected tasks, pipes or all")) << r.out;
  for (const auto& [value, why] : std::vector<std::pair<std::string, std::string>>{
           {"10", "no ':'"},
           {"20:10", "the start is not before the end"},
           {"10:10", "the start is not before the end"},
           {"=-1:10", "-1 is negative"},
           {"1us:2us", "'1us' is not a number"},
           {"1:nan", "'nan' is not a number"}}) {
    r = timed(run + " --trace-window" + (value[0] == '=' ? value : " " + value));
    EXPECT_EQ(r.code, 2) << value << ": " << r.out;
    const std::string shown = value[0] == '=' ? value.substr(1) : value;
    EXPECT_TRUE(has(r, "--trace-window '" + shown + "': " + why + "; expected START_US:END_US")) << r.out;
  }
  // Without --trace there is nothing to shape.
  r = timed(kBin + " run -q" + kGemm + " --trace-window 1:2");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, "--trace-window needs --trace FILE")) << r.out;
  // A window after the run is no error, but said.
  r = timed(run + " --trace-window 1000000:");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(has(r, "note: --trace-window starts at 1e+06 us, after the last task ended")) << r.out;
  EXPECT_TRUE(events_of(read_json(d / "t.json")).empty());
}

namespace {

// The bytes of gzip file `p`, inflated with zlib.
std::string gunzip(const fs::path& p) {
  gzFile f = gzopen(p.c_str(), "rb");
  EXPECT_NE(f, nullptr) << p;
  if (!f) return "";
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, size_t(n));
  EXPECT_EQ(n, 0) << p << ": " << gzerror(f, &n);
  gzclose(f);
  return out;
}

}  // namespace

TEST(TraceCli, GzSuffixWritesTheSameTraceGzipped) {
  const fs::path d = tmpdir();
  const std::string args = kGemm + " --trace-window 5:";
  trace_of(d, args, "t.json");
  ASSERT_EQ(sh(kBin + " run -q" + args + " --trace " + (d / "t.json.gz").string()).code, 0);
  const std::string gz = read_text(d / "t.json.gz"), plain = read_text(d / "t.json");
  ASSERT_GE(gz.size(), 2u);
  EXPECT_EQ(gz.substr(0, 2), "\x1f\x8b") << "not gzip";  // gzip's magic number (RFC 1952)
  // A loose bound: trace JSON repeats itself (the Qwen3 layer's full trace
  // compresses about 21x).
  EXPECT_LT(gz.size(), plain.size() / 5) << "compressed";
  const std::string inflated = gunzip(d / "t.json.gz");
  EXPECT_EQ(inflated, plain);
  const nlohmann::json parsed = nlohmann::json::parse(inflated, nullptr, false);  // no throw: discarded on error
  EXPECT_TRUE(parsed.contains("traceEvents")) << "the inflated trace is not a trace";
}

TEST(TraceCli, GzTraceToAFullDiskIsExitTwo) {
  // A full disk, met while writing compressed data (the check before the
  // run leaves devices to the writer).
  const fs::path d = tmpdir();
  fs::create_symlink("/dev/full", d / "full.json.gz");
  const Result r = timed(kBin + " run -q" + kGemm + " --trace " + (d / "full.json.gz").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, "cannot write the trace " + (d / "full.json.gz").string() + ": No space left on device"))
      << r.out;
}
