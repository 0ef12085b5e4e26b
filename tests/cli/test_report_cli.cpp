// Reports of the wrong JSON shape given to check and compare: exit 2 naming
// the file and the JSON path of what is wrong, never a json.exception or a
// string read as 0 (issue 10).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/common/cli_run.h"

namespace fs = std::filesystem;
using namespace clitest;

namespace {

// `a` with `edit` applied, written as NAME.json in `d`.
std::string edited(const fs::path& d, const std::string& a, const std::string& name,
                   const std::function<void(nlohmann::ordered_json&)>& edit) {
  auto j = nlohmann::ordered_json::parse(read_text(a));
  edit(j);
  const std::string out = (d / (name + ".json")).string();
  std::ofstream(out) << j.dump(2);
  return out;
}

}  // namespace

TEST(ReportCli, BaselineWithAStringCountIsExitTwoNamingTheKey) {
  const fs::path d = tmpdir();
  const std::string a = gemm_report(d, "a");
  const std::string base = edited(d, a, "base", [](auto& j) {
    j["kernels"][0]["dma_count"] = std::to_string(j["kernels"][0]["dma_count"].template get<long long>());
  });
  Result r = timed(kBin + " check " + a + " --baseline " + base);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, base + ": kernels[0].dma_count: expected a number, got a string")) << r.out;
  r = timed(kBin + " compare " + a + " " + base);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, base + ": kernels[0].dma_count: expected a number, got a string")) << r.out;
  r = timed(kBin + " check " + a + " --baseline " + base + " --update");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, base + ": kernels[0].dma_count")) << r.out;
}

TEST(ReportCli, ReportsOfTheWrongStructureAreExitTwoNamingFileAndPath) {
  const fs::path d = tmpdir();
  const std::string a = gemm_report(d, "a");
  struct Case {
    const char* name;
    std::function<void(nlohmann::ordered_json&)> edit;
    const char* message;
  };
  const Case cases[] = {
      {"kernels_object", [](auto& j) { j["kernels"] = nlohmann::ordered_json::object(); },
       "kernels: expected an array, got an object"},
      {"totals_array", [](auto& j) { j["totals"] = nlohmann::ordered_json::array(); },
       "totals: expected an object, got an array"},
      {"no_dma_bytes", [](auto& j) { j["totals"].erase("dma_bytes"); }, "totals.dma_bytes: missing"},
      {"kernel_name_number", [](auto& j) { j["kernels"][0]["name"] = 7; },
       "kernels[0].name: expected a string, got the number 7"},
      {"ratio_null", [](auto& j) { j["roofline"]["ratio"] = nullptr; },
       "roofline.ratio: expected a number, got null"},
      {"top_array", [](auto& j) { j = nlohmann::ordered_json::array({1, 2}); },
       "not an npusim report: expected a JSON object at the top, got an array"},
      {"negative", [](auto& j) { j["total_cycles"] = -5; }, "total_cycles: expected a number >= 0, got -5"},
  };
  for (const Case& c : cases) {
    const std::string bad = edited(d, a, c.name, c.edit);
    for (const std::string& cmd : {kBin + " check " + a + " --baseline " + bad, kBin + " check " + bad +
                                   " --baseline " + a, kBin + " compare " + a + " " + bad}) {
      const Result r = timed(cmd);
      EXPECT_EQ(r.code, 2) << cmd << "\n" << r.out;
      EXPECT_TRUE(has(r, bad + ": " + c.message)) << cmd << "\n" << r.out;
      EXPECT_FALSE(has(r, "json.exception")) << cmd << "\n" << r.out;
    }
  }
}

// A baseline written before a counter was added (pipe_busy_cycles, the sites'
// busy_cycles; the execution records' exec_records, exec_us, latency_us; the
// L2 counters of issue 8) still checks at tolerance 0, and compare shows the
// new counters with "-" for the old report. The old report is today's with
// those keys taken out (the committed baselines are updated whenever the
// model moves, so they cannot stand for an old report).
TEST(ReportCli, BaselineOlderThanACounterStillChecksAndCompares) {
  const fs::path d = tmpdir();
  const std::string now = (d / "now.json").string(), base = (d / "old.json").string();
  Result r = sh(kBin + " run -q --workload configs/workloads/qwen3_32b_decode_reviewed.yaml --report " + now);
  ASSERT_EQ(r.code, 0) << r.out;
  nlohmann::json old = read_json(now);
  const char* added[] = {"pipe_busy_cycles", "exec_records", "exec_us", "exec_us_mean", "latency_us",
                         "latency_us_mean", "l2_hits", "l2_misses", "l2_hit_bytes", "hbm_bytes"};
  for (const char* k : added) old["totals"].erase(k);
  for (auto& k : old["kernels"])
    for (const char* key : added) k.erase(key);
  for (auto& s : old["sites"]) {
    s.erase("busy_cycles");
    s.erase("busy_share");
    for (const char* key : added) s.erase(key);
  }
  old.erase("sim");
  std::ofstream(base) << old.dump(1);
  r = timed(kBin + " check " + now + " --baseline " + base + " --tolerance 0 --strict");
  EXPECT_EQ(r.code, 0) << r.out;
  r = timed(kBin + " compare " + base + " " + now);
  EXPECT_EQ(r.code, 0) << r.out;
  for (const std::string key : {"pipe_busy_cycles", "hbm_bytes", "exec_us_mean"}) {
    const size_t at = r.out.find("\n  " + key + " ");
    ASSERT_NE(at, std::string::npos) << r.out;
    std::istringstream row(r.out.substr(at));
    std::string label, old_value, new_value;
    row >> label >> old_value >> new_value;
    EXPECT_EQ(old_value, "-") << key;
    if (key != "exec_us_mean") {  // a mean, printed rounded
      EXPECT_EQ(new_value, std::to_string(read_json(now)["totals"][key].get<uint64_t>())) << key;
    }
  }
}

TEST(ReportCli, ReportKeysPrintsTheRegistry) {
  Result r = sh(kBin + " report-keys --markdown");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("| `pipe_busy_cycles` | cycles | sum |"), std::string::npos) << r.out;
  r = sh(kBin + " report-keys");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("launches"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("check"), std::string::npos) << r.out;
}
