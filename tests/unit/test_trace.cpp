// sim/trace: the Chrome trace file written by TraceWriter.
#include <gtest/gtest.h>

#include <unistd.h>

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
  sim::TraceWriter w(1.0);
  w.name_process(1, "busy");
  w.name_thread(1, 0, "used");
  w.name_thread(1, 1, "idle");
  w.name_process(2, "idle process");
  w.name_thread(2, 0, "idle lane");
  w.event(1, 0, "x", "c", 0, 10, "");
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
  sim::TraceWriter w(1.0);
  w.name_process(3, "first");
  w.name_thread(3, 5, "a");
  w.name_thread(3, 2, "b");
  w.name_process(1, "second");
  w.name_thread(1, 0, "c");
  for (auto [pid, tid] : {std::pair{3, 5}, {3, 2}, {1, 0}}) w.event(pid, tid, "x", "c", 0, 1, "");
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
  sim::TraceWriter w(1.0);
  w.event(0, 0, "x", "c", 0, 1, "");
  EXPECT_THROW(w.write((fresh_dir() / "t.json").string()), std::logic_error);
}
