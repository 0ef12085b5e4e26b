// npusim run --trace: what the trace file holds and how its options shape it.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

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
