// tools/cli/html_report: the page of a hand-made report, no simulator. The
// charts' geometry is read back from the SVG: bars are kBarMax = 540 px at the
// largest value, histogram columns 150 px tall (the whole run's) at the
// largest count.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "isa/error.h"
#include "tools/cli/html_report.h"
#include "tools/cli/report_io.h"

namespace {

using nlohmann::ordered_json;

const char* const kOdd = "a<b>&\"c'";  // a kernel name every character of which needs escaping but a, b, c

// Three kernels of 300, 100 and 50 task cycles (450 in all); the run took
// 1000 cycles: 100 before the first dispatch, then sv 600 and qk 300 on the
// critical path. DMAs: qk one of <=128B and two of <=1KiB, sv four of <=1KiB.
ordered_json sample() {
  auto kernel = [](const std::string& name, int task_cycles, ordered_json hist) {
    int dmas = 0;
    for (const auto& [b, n] : hist.items()) dmas += n.get<int>();
    return ordered_json{{"name", name},           {"tasks", 1},          {"launches", 1},
                        {"dma_count", dmas},      {"dma_bytes", 64 * dmas}, {"task_cycles", task_cycles},
                        {"dma_size_histogram", hist}};
  };
  ordered_json r;
  r["hw"] = "tiny";
  r["clock_ghz"] = 1.0;
  r["total_cycles"] = 1000;
  r["total_us"] = 1.0;
  r["totals"] = {{"tasks", 3},     {"launches", 3},        {"dma_count", 7},
                 {"dma_bytes", 448}, {"task_cycles", 450}, {"dma_size_histogram", {{"<=128B", 1}, {"<=1KiB", 6}}}};
  r["roofline"] = {{"bound_cycles", 500}, {"gm_bound_cycles", 500}, {"cube_bound_cycles", 20}, {"ratio", 2.0}};
  r["kernels"] = {kernel("qk", 300, {{"<=128B", 1}, {"<=1KiB", 2}}), kernel("sv", 100, {{"<=1KiB", 4}}),
                  kernel(kOdd, 50, ordered_json::object())};
  r["critical_path"] = {{"tasks", 3},
                        {"first_dispatch_cycles", 100},
                        {"waited_for", {{"submit", 1}, {"dependency", 2}, {"core_group", 0}, {"scheduler", 0}}},
                        {"kernels", {{{"name", "sv"}, {"tasks", 1}, {"cycles", 600}},
                                     {{"name", "qk"}, {"tasks", 2}, {"cycles", 300}}}}};
  r["sites"] = {{{"kernel", "qk"}, {"site", "qk: load <x>"}, {"op", "tload"}, {"count", 3}, {"bytes", 192},
                 {"busy_cycles", 90}, {"busy_share", 0.3}},
                {{"kernel", kOdd}, {"site", "odd: launch"}, {"op", "launch"}, {"count", 1}, {"bytes", 0},
                 {"launch_overhead_cycles", 40}, {"busy_cycles", 0}, {"busy_share", 0.0}}};
  r["workload"] = "w&<.yaml";
  r["provenance"] = {{"npusim", "0.1.0"},
                     {"commit", "0123456789ab"},
                     {"hw", {{"path", "configs/hw/tiny.yaml"}, {"fnv1a64", "00000000000000aa"}}},
                     {"workload", {{"path", "w&<.yaml"}, {"fnv1a64", "00000000000000bb"}}},
                     {"set", {"workload.x=<1>"}}};
  return r;
}

// The <svg class="chart CLS"> elements of `page`, in order.
std::vector<std::string> charts(const std::string& page, const std::string& cls) {
  std::vector<std::string> out;
  const std::string open = "<svg class=\"chart " + cls + "\"";
  for (size_t at = page.find(open); at != std::string::npos; at = page.find(open, at + 1))
    out.push_back(page.substr(at, page.find("</svg>", at) - at));
  return out;
}

// (data-label or data-bucket, width or height) of each bar or column of a chart.
std::vector<std::pair<std::string, double>> bars(const std::string& svg) {
  static const std::regex bar(R"re(<rect class="bar" data-label="([^"]*)" x="[^"]*" y="[^"]*" width="([0-9.]+)")re");
  static const std::regex col(
      R"re(<rect class="col" data-bucket="([^"]*)" x="[^"]*" y="[^"]*" width="[^"]*" height="([0-9.]+)")re");
  std::vector<std::pair<std::string, double>> out;
  for (const std::regex* re : {&bar, &col})
    for (auto it = std::sregex_iterator(svg.begin(), svg.end(), *re); it != std::sregex_iterator(); ++it)
      out.emplace_back((*it)[1], std::stod((*it)[2]));
  return out;
}

using Bars = std::vector<std::pair<std::string, double>>;

TEST(HtmlReport, EscapeReplacesEveryMarkupCharacter) {
  EXPECT_EQ(cli::html_escape("<a href=\"x\">&'ok"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;ok");
  EXPECT_EQ(cli::html_escape(""), "");
}

// A bar per kernel, most task cycles first; the longest is the largest share:
// qk 300 -> 540 px, sv 100 -> 540 * 100 / 300 = 180, the odd one 50 -> 90.
TEST(HtmlReport, TimeChartHasABarPerKernelLongestForTheLargestShare) {
  const std::string page = cli::html_report(sample(), "the report r.json");
  const std::vector<std::string> time = charts(page, "time");
  ASSERT_EQ(time.size(), 1u) << page;
  EXPECT_EQ(bars(time[0]), (Bars{{"qk", 540.0}, {"sv", 180.0}, {"a&lt;b&gt;&amp;&quot;c&#39;", 90.0}}));
  // Its note: 300 of the 450 task cycles of all kernels.
  EXPECT_NE(time[0].find("<title>qk: 300 cycles (66.7%)</title>"), std::string::npos) << time[0];
  // The kernel table has a row per kernel, in the same order, with time % and path %:
  // sv 600 of 1000 run cycles on the path = 60.0%; the odd kernel is not on it.
  const size_t qk = page.find("<tr><td>qk</td><td class=\"n\">66.7%</td><td class=\"n\">30.0%</td>");
  const size_t sv = page.find("<tr><td>sv</td><td class=\"n\">22.2%</td><td class=\"n\">60.0%</td>");
  const size_t odd = page.find("<tr><td>a&lt;b&gt;&amp;&quot;c&#39;</td><td class=\"n\">11.1%</td><td class=\"n\">-</td>");
  ASSERT_NE(qk, std::string::npos) << page;
  ASSERT_NE(sv, std::string::npos) << page;
  ASSERT_NE(odd, std::string::npos) << page;
  EXPECT_LT(qk, sv);
  EXPECT_LT(sv, odd);
}

// The time before the first dispatch on top, then the kernels longest first:
// sv 600 -> 540 px, qk 300 -> 270, the first 100 -> 90.
TEST(HtmlReport, PathChartAddsUpTheRun) {
  const std::string page = cli::html_report(sample(), "the report r.json");
  const std::vector<std::string> path = charts(page, "path");
  ASSERT_EQ(path.size(), 1u) << page;
  EXPECT_EQ(bars(path[0]), (Bars{{"(before the first dispatch)", 90.0}, {"sv", 540.0}, {"qk", 270.0}}));
  EXPECT_NE(path[0].find(">600 cycles (60.0%), 1 tasks<"), std::string::npos) << path[0];
  EXPECT_NE(page.find("a dependency 2, a core group 0, submission 1."), std::string::npos) << page;
}

// A path without first_dispatch_cycles (it came later than the path): the
// kernels alone, longest first, whatever their order in the report.
TEST(HtmlReport, PathChartWithoutTheFirstDispatch) {
  ordered_json r = sample();
  r["critical_path"].erase("first_dispatch_cycles");
  std::swap(r["critical_path"]["kernels"][0], r["critical_path"]["kernels"][1]);  // qk 300, then sv 600
  const std::vector<std::string> path = charts(cli::html_report(r, "the report r.json"), "path");
  ASSERT_EQ(path.size(), 1u);
  EXPECT_EQ(bars(path[0]), (Bars{{"sv", 540.0}, {"qk", 270.0}}));
}

// Buckets from <=128B to <=1KiB, the empty ones between included; the whole
// run's columns: 1 of 6 -> 150 / 6 = 25 px, 6 -> 150. A kernel without DMAs
// gets no histogram.
TEST(HtmlReport, DmaHistogramsOnOneAxisWithEmptyBucketsShown) {
  const std::string page = cli::html_report(sample(), "the report r.json");
  const std::vector<std::string> hists = charts(page, "hist");
  ASSERT_EQ(hists.size(), 3u) << page;  // the run, qk, sv
  EXPECT_EQ(bars(hists[0]), (Bars{{"&lt;=128B", 25.0}, {"&lt;=256B", 0}, {"&lt;=512B", 0}, {"&lt;=1KiB", 150.0}}));
  // qk: its own largest count (2) is 60 px, 1 is 30.
  EXPECT_EQ(bars(hists[1]), (Bars{{"&lt;=128B", 30.0}, {"&lt;=256B", 0}, {"&lt;=512B", 0}, {"&lt;=1KiB", 60.0}}));
  EXPECT_NE(page.find("<figure class=\"dma-kernel\" data-kernel=\"qk\">"), std::string::npos);
  EXPECT_NE(page.find("<figure class=\"dma-kernel\" data-kernel=\"sv\">"), std::string::npos);
  EXPECT_EQ(page.find("<figure class=\"dma-kernel\" data-kernel=\"a&lt;"), std::string::npos);
}

TEST(HtmlReport, EveryStringOfTheReportIsEscaped) {
  const std::string page = cli::html_report(sample(), "the report <r>.json");
  for (const char* raw : {"a<b>", "<x>", "w&<", "<1>", "<r>"}) EXPECT_EQ(page.find(raw), std::string::npos) << raw;
  for (const char* escaped : {"a&lt;b&gt;&amp;&quot;c&#39;", "qk: load &lt;x&gt;", "w&amp;&lt;.yaml",
                              "--set workload.x=&lt;1&gt;", "the report &lt;r&gt;.json"})
    EXPECT_NE(page.find(escaped), std::string::npos) << escaped;
  // The sites: a table per kernel with a site, the launch row's overhead.
  EXPECT_NE(page.find("<table class=\"sites\" data-kernel=\"a&lt;b&gt;&amp;&quot;c&#39;\">"), std::string::npos);
  EXPECT_NE(page.find("<td>odd: launch</td><td><code>launch</code></td><td class=\"n\">1</td>"), std::string::npos);
}

// The answer first: the total, then the critical path, before the rest.
TEST(HtmlReport, SummaryLeadsWithTheTotalAndTheCriticalPath) {
  const std::string page = cli::html_report(sample(), "the report r.json");
  const size_t total = page.find("<b>1,000 cycles = 1.00 us</b> on tiny at 1 GHz");
  const size_t path = page.find("Critical path: the end of the run waited longest on <b>sv</b> 600 cycles (60.0%), "
                                "<b>qk</b> 300 cycles (30.0%)");
  const size_t roofline = page.find("Roofline: bound 500 cycles");
  ASSERT_NE(total, std::string::npos) << page;
  ASSERT_NE(path, std::string::npos) << page;
  ASSERT_NE(roofline, std::string::npos) << page;
  EXPECT_LT(total, path);
  EXPECT_LT(path, roofline);
  EXPECT_LT(roofline, page.find("<section id=\"kernels\">"));
  EXPECT_NE(page.find("configs/hw/tiny.yaml</code> <span class=\"note\">fnv1a64 00000000000000aa"), std::string::npos);
}

// Nothing to fetch: no script, no source attribute; the only URL is the SVG
// namespace; the policy forbids loads.
TEST(HtmlReport, PageIsSelfContained) {
  const std::string page = cli::html_report(sample(), "the report r.json");
  EXPECT_EQ(page.rfind("<!DOCTYPE html>\n", 0), 0u);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("src="), std::string::npos);
  EXPECT_NE(page.find("content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\""), std::string::npos);
  size_t urls = 0;
  for (size_t at = page.find("http"); at != std::string::npos; at = page.find("http", at + 1)) {
    if (page.compare(at, 10, "http-equiv") == 0) continue;
    EXPECT_EQ(page.compare(at, 26, "http://www.w3.org/2000/svg"), 0) << page.substr(at, 60);
    ++urls;
  }
  EXPECT_EQ(urls, 1u + 1 + 3 + 2);  // the time and path charts, 3 histograms, a share bar per site (2)
}

// A report of an older npusim (no critical path, sites, histograms or
// provenance) still makes a page, which says what it lacks.
TEST(HtmlReport, OlderReportSaysWhatItLacks) {
  ordered_json r = sample();
  for (const char* k : {"critical_path", "sites", "provenance"}) r.erase(k);
  r["totals"].erase("dma_size_histogram");
  for (auto& k : r["kernels"]) k.erase("dma_size_histogram");
  const std::string page = cli::html_report(r, "the report old.json");
  EXPECT_EQ(charts(page, "time").size(), 1u);
  EXPECT_TRUE(charts(page, "path").empty());
  EXPECT_TRUE(charts(page, "hist").empty());
  for (const char* s : {"This report has no critical path", "provenance</th><td>not recorded",
                        "No DMA size histogram in this report", "<section id=\"sites\">\n<h2>Costs per source site</h2>\n<p>Not in this report."})
    EXPECT_NE(page.find(s), std::string::npos) << s << "\n" << page;
}

// What the page reads is checked when the report is loaded: a bad value is an
// error naming the file and the JSON path.
TEST(HtmlReport, ValidationCoversWhatThePageReads) {
  EXPECT_NO_THROW(cli::validate_report(sample(), "r.json"));
  struct Case {
    std::function<void(ordered_json&)> edit;
    const char* message;
  } cases[] = {
      {[](ordered_json& r) { r["critical_path"]["kernels"][0]["cycles"] = "600"; },
       "r.json: critical_path.kernels[0].cycles: expected a number, got a string (\"600\")"},
      {[](ordered_json& r) { r["critical_path"].erase("kernels"); }, "r.json: critical_path.kernels: missing"},
      {[](ordered_json& r) { r["critical_path"]["waited_for"]["dependency"] = -1; },
       "r.json: critical_path.waited_for.dependency: expected a number >= 0, got -1"},
      {[](ordered_json& r) { r["sites"][1].erase("site"); }, "r.json: sites[1].site: missing"},
      {[](ordered_json& r) { r["sites"][0]["busy_share"] = nullptr; }, "r.json: sites[0].busy_share: expected a number, got null"},
      {[](ordered_json& r) { r["sites"] = ordered_json::object(); }, "r.json: sites: expected an array, got an object"},
      {[](ordered_json& r) { r["hw"] = 3; }, "r.json: hw: expected a string, got the number 3"},
  };
  for (const Case& c : cases) {
    ordered_json r = sample();
    c.edit(r);
    try {
      cli::validate_report(r, "r.json");
      ADD_FAILURE() << "no error for " << c.message;
    } catch (const isa::InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(c.message, 0), 0u) << e.what();
    }
  }
}

// Every report shipped in the tree (the baselines, the fuzz corpus) makes a
// page with a bar per kernel in its time chart.
TEST(HtmlReport, EveryShippedReportMakesAPageWithABarPerKernel) {
  size_t n = 0;
  for (const char* dir : {"/tests/baselines", "/tests/fuzz/corpus/report_check"})
    for (const auto& f : std::filesystem::directory_iterator(std::string(NPUSIM_SOURCE_DIR) + dir)) {
      const ordered_json r = cli::load_report(f.path().string());
      const std::string page = cli::html_report(r, "the report " + f.path().string());
      const std::vector<std::string> time = charts(page, "time");
      ASSERT_EQ(time.size(), 1u) << f.path();
      std::vector<std::string> want, got;
      for (const auto& k : r["kernels"]) want.push_back(cli::html_escape(k["name"].get<std::string>()));
      for (const auto& [label, width] : bars(time[0])) got.push_back(label);
      std::sort(want.begin(), want.end());
      std::sort(got.begin(), got.end());
      EXPECT_EQ(got, want) << f.path();
      EXPECT_EQ(page.substr(page.size() - 8), "</html>\n") << f.path();
      ++n;
    }
  EXPECT_GE(n, 10u);  // 5 baselines, 5 corpus reports
}

TEST(HtmlReport, HistogramBucketBytesOrdersLabels) {
  EXPECT_EQ(cli::histogram_bucket_bytes("<=128B"), 128.0);
  EXPECT_EQ(cli::histogram_bucket_bytes("<=4KiB"), 4096.0);
  EXPECT_EQ(cli::histogram_bucket_bytes("<=2MiB"), 2097152.0);
  EXPECT_GT(cli::histogram_bucket_bytes("other"), cli::histogram_bucket_bytes("<=1024MiB"));
}

}  // namespace
