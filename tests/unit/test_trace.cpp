// sim/trace: the Chrome trace file written by TraceWriter.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/file_io.h"
#include "sim/trace.h"

namespace fs = std::filesystem;

namespace {

fs::path fresh_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const fs::path d = fs::temp_directory_path() / ("npusim_Trace_" + std::string(info->name()) + "_" +
                                                  std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

nlohmann::json written(const sim::TraceWriter& w, const fs::path& path) {
  w.write(path.string());
  return nlohmann::json::parse(sim::read_file(path.string(), "trace"));
}

// The metadata events of a trace named `what` ("process_name", "thread_sort_index", ...).
std::vector<nlohmann::json> metadata(const nlohmann::json& t, const std::string& what) {
  std::vector<nlohmann::json> out;
  for (const auto& e : t["traceEvents"])
    if (e["ph"] == "M" && e["name"] == what) out.push_back(e);
  return out;
}

}  // namespace

TEST(Trace, LanesAndProcessesWithoutEventsAreLeftOut) {
  sim::TraceWriter w(1.0, {});
  w.name_process(1, "busy");
  w.name_thread(1, 0, "used");
  w.name_thread(1, 1, "idle");
  w.name_process(2, "idle process");
  w.name_thread(2, 0, "idle lane");
  w.event(sim::TraceLevel::Task, 1, 0, "x", "c", 0, 10, "");
  const nlohmann::json t = written(w, fresh_dir() / "t.json");
  const auto processes = metadata(t, "process_name");
  ASSERT_EQ(processes.size(), 1u);
  EXPECT_EQ(processes[0]["pid"], 1);
  EXPECT_EQ(processes[0]["args"]["name"], "busy");
  const auto lanes = metadata(t, "thread_name");
  ASSERT_EQ(lanes.size(), 1u);
  EXPECT_EQ(lanes[0]["args"]["name"], "used");
  // The sort indices are left out with their names.
  EXPECT_EQ(metadata(t, "process_sort_index").size(), 1u);
  EXPECT_EQ(metadata(t, "thread_sort_index").size(), 1u);
}

TEST(Trace, ProcessesAndLanesAreOrderedAsNamed) {
  // Named in the order 3, 1 (pids need not be in order: npusim names the
  // scheduler, the highest pid, first); lanes 5, 2 of pid 3.
  sim::TraceWriter w(1.0, {});
  w.name_process(3, "first");
  w.name_thread(3, 5, "a");
  w.name_thread(3, 2, "b");
  w.name_process(1, "second");
  w.name_thread(1, 0, "c");
  for (auto [pid, tid] : {std::pair{3, 5}, {3, 2}, {1, 0}})
    w.event(sim::TraceLevel::Task, pid, tid, "x", "c", 0, 1, "");
  const nlohmann::json t = written(w, fresh_dir() / "t.json");
  std::map<int, int> process_index;
  for (const auto& e : metadata(t, "process_sort_index")) process_index[e["pid"]] = e["args"]["sort_index"];
  EXPECT_EQ(process_index, (std::map<int, int>{{3, 0}, {1, 1}}));
  std::map<std::pair<int, int>, int> lane_index;
  for (const auto& e : metadata(t, "thread_sort_index")) lane_index[{e["pid"], e["tid"]}] = e["args"]["sort_index"];
  EXPECT_EQ(lane_index, (std::map<std::pair<int, int>, int>{{{3, 5}, 0}, {{3, 2}, 1}, {{1, 0}, 0}}));
}

TEST(Trace, AnEventOnPidZeroIsABug) {
  // Perfetto's JSON importer takes pid 0 for the kernel's idle process.
  sim::TraceWriter w(1.0, {});
  w.event(sim::TraceLevel::Task, 0, 0, "x", "c", 0, 1, "");
  EXPECT_THROW(w.write((fresh_dir() / "t.json").string()), std::logic_error);
}

namespace {

using sim::TraceLevel;
struct Ev {
  TraceLevel level;
  uint64_t start, end;  // cycles
};

// The events a writer at `ghz` with `filter` writes of `events`, as
// "START-END" in ns, in the file's order (by start).
std::vector<std::string> kept(const sim::TraceFilter& filter, const std::vector<Ev>& events, double ghz = 1.0) {
  sim::TraceWriter w(ghz, filter);
  w.name_process(1, "p");
  for (const Ev& e : events) w.event(e.level, 1, 0, "x", "c", e.start, e.end, "");
  const nlohmann::json t = written(w, fresh_dir() / "t.json");
  std::vector<std::string> out;
  for (const auto& e : t["traceEvents"])
    if (e["ph"] == "X") {
      const long long t0 = std::llround(e["ts"].get<double>() * 1000);
      out.push_back(std::to_string(t0) + "-" + std::to_string(t0 + std::llround(e["dur"].get<double>() * 1000)));
    }
  return out;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST(Trace, DetailKeepsTaskOrPipeEventsOrBoth) {
  using Detail = sim::TraceFilter::Detail;
  const std::vector<Ev> events = {{TraceLevel::Task, 0, 10}, {TraceLevel::Pipe, 2, 5}, {TraceLevel::Pipe, 5, 8}};
  EXPECT_EQ(kept({Detail::Tasks}, events), (Strings{"0-10"}));
  EXPECT_EQ(kept({Detail::Pipes}, events), (Strings{"2-5", "5-8"}));
  EXPECT_EQ(kept({Detail::All}, events), (Strings{"0-10", "2-5", "5-8"}));
  const sim::TraceWriter w(1.0, {Detail::Tasks});
  EXPECT_TRUE(w.keeps(TraceLevel::Task, 0, 10));
  EXPECT_FALSE(w.keeps(TraceLevel::Pipe, 2, 5));
}

TEST(Trace, WindowKeepsWholeEventsThatOverlapIt) {
  // At 1 GHz a cycle is a ns: the window 1:2 us is [1000, 2000) ns.
  const sim::TraceFilter window{sim::TraceFilter::Detail::All, 1, 2};
  const std::vector<Ev> events = {
      {TraceLevel::Pipe, 0, 999},     // ends before: dropped
      {TraceLevel::Pipe, 0, 1000},    // ends where it starts: dropped
      {TraceLevel::Task, 0, 1001},    // overlaps its start: kept whole (not cut at 1000)
      {TraceLevel::Pipe, 1000, 1000}, // of no duration, at its start: kept
      {TraceLevel::Pipe, 1500, 1600}, // inside: kept
      {TraceLevel::Task, 1999, 2500}, // overlaps its end: kept whole
      {TraceLevel::Pipe, 2000, 2000}, // of no duration, at its end: dropped
      {TraceLevel::Pipe, 2000, 2100}, // starts at its end: dropped
  };
  EXPECT_EQ(kept(window, events), (Strings{"0-1001", "1000-1000", "1500-1600", "1999-2500"}));
  // Open ends: from 1 us to the run's end, from the start to 1 us.
  EXPECT_EQ(kept({sim::TraceFilter::Detail::All, 1}, events).size(), 6u);
  EXPECT_EQ(kept({sim::TraceFilter::Detail::All, 0, 1}, events), (Strings{"0-999", "0-1000", "0-1001"}));
}

TEST(Trace, WindowComparesTheWrittenNanoseconds) {
  // At 2 GHz cycle 1999 is 999.5 ns, written (rounded) as 1000 ns: an event
  // ending there ends where the window 1:2 us starts, and is dropped.
  const sim::TraceFilter window{sim::TraceFilter::Detail::All, 1, 2};
  EXPECT_EQ(kept(window, {{TraceLevel::Pipe, 0, 1999}, {TraceLevel::Pipe, 0, 2002}}, 2.0), (Strings{"0-1001"}));
}
