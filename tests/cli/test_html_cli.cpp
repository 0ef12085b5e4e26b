// The HTML report through the binary: `npusim run --html FILE` and `npusim
// report R.json [-o FILE]` (issue 13). The page's content is tested in
// tests/unit/test_html_report.cpp, its rendering in Chromium by
// tests/tools/test_html_browser.py.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>

#include "tests/common/cli_run.h"

namespace fs = std::filesystem;
using namespace clitest;

namespace {

// The data-label of each bar of the page's time chart (one per kernel).
std::set<std::string> time_bars(const std::string& page) {
  const size_t at = page.find("<svg class=\"chart time\"");
  const std::string svg = page.substr(at, page.find("</svg>", at) - at);
  static const std::regex bar("<rect class=\"bar\" data-label=\"([^\"]*)\"");
  std::set<std::string> out;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), bar); it != std::sregex_iterator(); ++it)
    out.insert((*it)[1]);
  return out;
}

std::set<std::string> kernels_of(const fs::path& report) {
  std::set<std::string> out;
  const nlohmann::json r = read_json(report);
  for (const auto& k : r["kernels"]) out.insert(k["name"].get<std::string>());
  return out;
}

}  // namespace

// run --html and report -o write the same page (but the footer's "made
// from"), with a bar for every kernel of the report.
TEST(HtmlCli, RunAndReportWriteTheSamePage) {
  const fs::path d = tmpdir();
  Result r = sh(kBin + " run -q --workload configs/workloads/qwen3_32b_decode_baseline_small.yaml --report " +
                (d / "r.json").string() + " --html " + (d / "run.html").string());
  ASSERT_EQ(r.code, 0) << r.out;
  r = sh(kBin + " report " + (d / "r.json").string() + " -o " + (d / "report.html").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, "");
  std::string run = read_text(d / "run.html"), report = read_text(d / "report.html");
  const std::string from_run = "Made by npusim from the run of configs/workloads/qwen3_32b_decode_baseline_small.yaml;";
  const std::string from_report = "Made by npusim from the report " + (d / "r.json").string() + ";";
  ASSERT_NE(run.find(from_run), std::string::npos) << run.substr(run.size() - 300);
  ASSERT_NE(report.find(from_report), std::string::npos) << report.substr(report.size() - 300);
  run.replace(run.find(from_run), from_run.size(), "");
  report.replace(report.find(from_report), from_report.size(), "");
  EXPECT_EQ(run, report);
  const std::set<std::string> kernels = kernels_of(d / "r.json");
  EXPECT_GT(kernels.size(), 5u);
  EXPECT_EQ(time_bars(report), kernels);
  // Without -o the page goes to standard output.
  r = sh(kBin + " report " + (d / "r.json").string());
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("<!DOCTYPE html>", 0), 0u) << r.out.substr(0, 200);
}

// Issue 13's bound: the full-size fused layer's page is under 2 MB.
TEST(HtmlCli, FusedLayerPageIsUnderTwoMegabytes) {
  const fs::path d = tmpdir();
  const Result r = sh(kBin + " run -q --workload configs/workloads/qwen3_32b_decode_fused_qkrope.yaml --report " +
                      (d / "r.json").string() + " --html " + (d / "p.html").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_LT(fs::file_size(d / "p.html"), 2'000'000u);
  EXPECT_EQ(time_bars(read_text(d / "p.html")), kernels_of(d / "r.json"));
}

// Bad input is exit 2 with an error naming the file (and the JSON path).
TEST(HtmlCli, BadReportsAreExitTwoNamingTheFile) {
  const fs::path d = tmpdir();
  const std::string good = gemm_report(d, "good");
  std::ofstream(d / "broken.json") << "{\"total_cycles\": ";
  nlohmann::json j = read_json(good);
  j["critical_path"]["kernels"][0]["cycles"] = "many";
  std::ofstream(d / "typed.json") << j.dump();
  const std::string out = " -o " + (d / "out.html").string();
  struct Case {
    std::string args, message;
  } cases[] = {
      {(d / "broken.json").string() + out, (d / "broken.json").string() + ": not a JSON report: "},
      {(d / "typed.json").string() + out,
       (d / "typed.json").string() + ": critical_path.kernels[0].cycles: expected a number, got a string"},
      {"nope.json" + out, "cannot read report file nope.json: No such file or directory"},
      {d.string() + out, d.string() + " is a directory (expected a report file)"},
      {good + " -o " + (d / "no/p.html").string(),
       "cannot write the HTML report " + (d / "no/p.html").string() + ": No such file or directory"},
      {out, "give the report: npusim report REPORT.json -o FILE.html"},
      {good + " " + good + out, "too many positional options"},
  };
  for (const Case& c : cases) {
    const Result r = timed(kBin + " report " + c.args);
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.out;
    EXPECT_TRUE(has(r, c.message)) << c.args << "\n" << r.out;
  }
  EXPECT_FALSE(fs::exists(d / "out.html"));
}

// --html is tried before the simulation, like --report and --trace.
TEST(HtmlCli, RunChecksTheHtmlPathBeforeTheRun) {
  const fs::path d = tmpdir();
  const Result r = sh(kBin + " run -q --workload configs/workloads/gemm.yaml --max-cycles 1 --html " +
                      (d / "no/p.html").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, "cannot write --html " + (d / "no/p.html").string() +
                         ": No such file or directory (checked before the run)"))
      << r.out;
  EXPECT_FALSE(has(r, "--max-cycles")) << r.out;  // the run did not start
}

TEST(HtmlCli, ReportHelpSaysWhatItWritesAndItsExitCodes) {
  Result r = sh(kBin + " report --help");
  EXPECT_EQ(r.code, 0) << r.out;
  for (const char* s : {"usage: npusim report REPORT.json [-o FILE.html]", "self-contained", "no script",
                        "Exit status: 0 written; 2 bad input", "3 an internal error"})
    EXPECT_TRUE(has(r, s)) << s << "\n" << r.out;
  r = sh(kBin + " --help");
  EXPECT_TRUE(has(r, "  report   the HTML page of a report")) << r.out;
  r = sh(kBin + " run --help");
  EXPECT_TRUE(has(r, "--html arg")) << r.out;
}
