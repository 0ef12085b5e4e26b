// tools/cli/check: which metrics are compared, what counts as growth, the table.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "tools/cli/check.h"
#include "tools/cli/report_io.h"

namespace {

using cli::check::compare;
using cli::check::Metric;
using cli::check::parse_tolerance;
using nlohmann::ordered_json;

ordered_json kernel(const std::string& name, int launches, int dmas, int bytes) {
  return {{"name", name}, {"launches", launches}, {"dma_count", dmas}, {"dma_bytes", bytes}, {"task_cycles", 5}};
}

ordered_json report(int cycles, std::vector<ordered_json> kernels) {
  int l = 0, d = 0, b = 0;
  for (const auto& k : kernels) {
    l += k["launches"].get<int>();
    d += k["dma_count"].get<int>();
    b += k["dma_bytes"].get<int>();
  }
  return {{"total_cycles", cycles},
          {"total_us", cycles / 1000.0},
          {"totals", {{"launches", l}, {"dma_count", d}, {"dma_bytes", b}, {"tasks", l}}},
          {"kernels", kernels},
          {"roofline", {{"ratio", 1.0}}}};
}

const ordered_json kBase = report(10000, {kernel("qk", 4, 100, 6400), kernel("sv", 4, 50, 3200)});

TEST(Check, IdenticalReportsPassComparingEveryMetric) {
  const auto r = compare(kBase, kBase, 0.01);
  EXPECT_TRUE(r.grown.empty());
  EXPECT_TRUE(r.shrunk.empty());
  EXPECT_EQ(r.compared.size(), 4u + 2 * 3);  // totals: cycles, launches, dmas, bytes; per kernel: 3
}

TEST(Check, MoreDmasInOneKernelIsGrowthNamingIt) {
  const ordered_json now = report(10000, {kernel("qk", 4, 102, 6400), kernel("sv", 4, 50, 3200)});
  // At 1%: qk's dma_count (+2%) and the total (152/150 = +1.33%).
  const auto r = compare(now, kBase, 0.01);
  ASSERT_EQ(r.grown.size(), 2u);
  EXPECT_EQ(r.grown[0].kernel, "");
  EXPECT_EQ(r.grown[1].kernel, "qk");
  // At 1.5%: the kernel only.
  const auto r2 = compare(now, kBase, 0.015);
  ASSERT_EQ(r2.grown.size(), 1u);
  EXPECT_EQ(r2.grown[0].name, "dma_count");
  EXPECT_EQ(r2.grown[0].kernel, "qk");
  EXPECT_EQ(r2.grown[0].baseline, 100);
  EXPECT_EQ(r2.grown[0].now, 102);
  EXPECT_NEAR(r2.grown[0].change(), 0.02, 1e-12);
  const std::string t = cli::check::table(r2.grown);
  EXPECT_NE(t.find("dma_count"), std::string::npos) << t;
  EXPECT_NE(t.find("qk"), std::string::npos) << t;
  EXPECT_NE(t.find("+2.00%"), std::string::npos) << t;
}

TEST(Check, ToleranceIsAFractionOfTheBaseline) {
  const ordered_json now = report(10100, {kernel("qk", 4, 100, 6400), kernel("sv", 4, 50, 3200)});
  EXPECT_TRUE(compare(now, kBase, 0.01).grown.empty());    // +1.0% is within 1%
  EXPECT_EQ(compare(now, kBase, 0.005).grown.size(), 1u);  // not within 0.5%
  EXPECT_EQ(compare(now, kBase, 0).grown.size(), 1u);
  EXPECT_TRUE(compare(kBase, kBase, 0).grown.empty());
}

TEST(Check, ShrinkingIsNotGrowth) {
  const ordered_json now = report(5000, {kernel("qk", 2, 10, 640), kernel("sv", 4, 50, 3200)});
  const auto r = compare(now, kBase, 0.01);
  EXPECT_TRUE(r.grown.empty());
  EXPECT_EQ(r.shrunk.size(), 7u);  // total_cycles, the three totals, qk's three metrics
}

TEST(Check, NewKernelGrowsFromZeroMissingKernelIsFine) {
  const ordered_json now = report(10000, {kernel("qk", 4, 100, 6400), kernel("extra", 1, 0, 0)});
  const auto r = compare(now, kBase, 0.5);
  // sv is gone (fine); extra launched once where the baseline had none.
  bool extra = false;
  for (const Metric& m : r.grown) {
    EXPECT_EQ(m.kernel, "extra") << m.name;
    if (m.name == "launches") extra = true;
    EXPECT_TRUE(std::isinf(m.change()));
  }
  EXPECT_TRUE(extra);
  EXPECT_NE(cli::check::table(r.grown).find("new"), std::string::npos);
}

TEST(Check, ParseTolerance) {
  EXPECT_DOUBLE_EQ(parse_tolerance("1%"), 0.01);
  EXPECT_DOUBLE_EQ(parse_tolerance("0.5%"), 0.005);
  EXPECT_DOUBLE_EQ(parse_tolerance("2"), 0.02);
  EXPECT_DOUBLE_EQ(parse_tolerance("0"), 0.0);
  for (const char* bad : {"", "%", "-1%", "abc", "1%%", "1 %"}) EXPECT_THROW(parse_tolerance(bad), isa::InputError) << bad;
}

// load_report's structure check (tools/cli/report_io.h): what check and
// compare read is there with its type; the file and the JSON path are named.
std::string invalid(const ordered_json& r) {
  try {
    cli::validate_report(r, "base.json");
  } catch (const isa::InputError& e) {
    return e.what();
  }
  return "(valid)";
}

TEST(ValidateReport, AcceptsAReportAndOptionalKeysMayBeAbsent) {
  EXPECT_EQ(invalid(kBase), "(valid)");  // no launch_overhead_cycles, cube_busy_cycles, ...
  ordered_json empty = kBase;
  empty["kernels"] = ordered_json::array();
  EXPECT_EQ(invalid(empty), "(valid)");
}

TEST(ValidateReport, NamesTheFileThePathAndTheType) {
  auto with = [](const std::function<void(ordered_json&)>& edit) {
    ordered_json r = kBase;
    edit(r);
    return invalid(r);
  };
  EXPECT_EQ(with([](auto& r) { r["kernels"][1]["dma_count"] = "50"; }),
            "base.json: kernels[1].dma_count: expected a number, got a string (\"50\")");
  EXPECT_EQ(with([](auto& r) { r["kernels"][0]["task_cycles"] = true; }),
            "base.json: kernels[0].task_cycles: expected a number, got a boolean (true)");
  EXPECT_EQ(with([](auto& r) { r["kernels"][0].erase("launches"); }),
            "base.json: kernels[0].launches: missing (every npusim report has it)");
  EXPECT_EQ(with([](auto& r) { r["kernels"][1]["name"] = "qk"; }),
            "base.json: kernels[1].name: kernel \"qk\" appears twice (also kernels[0])");
  EXPECT_EQ(with([](auto& r) { r["kernels"][1] = 3; }), "base.json: kernels[1]: expected an object, got the number 3");
  EXPECT_EQ(with([](auto& r) { r["kernels"] = ordered_json::object(); }),
            "base.json: kernels: expected an array, got an object");
  EXPECT_EQ(with([](auto& r) { r.erase("kernels"); }), "base.json: kernels: missing (every npusim report has it)");
  EXPECT_EQ(with([](auto& r) { r["totals"]["tasks"] = nullptr; }),
            "base.json: totals.tasks: expected a number, got null");
  EXPECT_EQ(with([](auto& r) { r["totals"]["dma_bytes"] = -1; }),
            "base.json: totals.dma_bytes: expected a number >= 0, got -1");
  EXPECT_EQ(with([](auto& r) { r["roofline"] = ordered_json::array(); }),
            "base.json: roofline: expected an object, got an array");
  EXPECT_EQ(with([](auto& r) { r["total_cycles"] = "10000"; }),
            "base.json: total_cycles: expected a number, got a string (\"10000\")");
  EXPECT_EQ(invalid(ordered_json::array()),
            "base.json: not an npusim report: expected a JSON object at the top, got an array");
}

}  // namespace
