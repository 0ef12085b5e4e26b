// npusim hw show, and hardware files with a base (issue 9) end to end: every
// key printed with where its value came from, the output a valid file that
// runs like the original, --set and sweep axes on keys the file inherits.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/common/cli_run.h"

namespace fs = std::filesystem;
using namespace clitest;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

// The 1-based line of `file` (under the source dir) that starts with `prefix`
// after its indentation; 0 if none or more than one.
int line_of(const std::string& file, const std::string& prefix) {
  const auto ls = lines_of(read_text(kSrc + "/" + file));
  int hit = 0;
  for (size_t i = 0; i < ls.size(); ++i) {
    const size_t at = ls[i].find_first_not_of(' ');
    if (at != std::string::npos && ls[i].compare(at, prefix.size(), prefix) == 0) {
      if (hit) return 0;
      hit = int(i) + 1;
    }
  }
  return hit;
}

// The output line of `show` whose YAML text (before the comment) is `text`,
// once; "" if none or more than one.
std::string shown(const std::string& show, const std::string& text) {
  std::string hit;
  for (const std::string& l : lines_of(show))
    if (l.compare(0, text.size(), text) == 0 && (l.size() == text.size() || l[text.size()] == ' ')) {
      if (!hit.empty()) return "";
      hit = l;
    }
  return hit;
}

std::string origin_of(const std::string& line) {
  const size_t at = line.find("  # ");
  return at == std::string::npos ? "" : line.substr(at + 4);
}

// Without the wall times and the provenance (which names the files run).
nlohmann::json report_without_sim(const fs::path& p) {
  nlohmann::json j = read_json(p);
  j.erase("sim");
  j.erase("provenance");
  return j;
}

}  // namespace

TEST(HwCli, ShowPrintsEveryKeyWithWhereItsValueCameFrom) {
  Result r = sh(kBin + " hw show --hw configs/hw/a5.yaml --set hw.gm.bandwidth_gbps=4000");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(lines_of(r.out)[0],
            "# configs/hw/a5.yaml -> base configs/hw/a2a3.yaml, resolved; after each value, where it came from");
  // From a5.yaml itself, from its base a2a3.yaml, from --set, from the schema's defaults.
  EXPECT_EQ(origin_of(shown(r.out, "name: a5")), "configs/hw/a5.yaml:" + std::to_string(line_of("configs/hw/a5.yaml", "name:")));
  EXPECT_EQ(origin_of(shown(r.out, "core_groups: 36")),
            "configs/hw/a5.yaml:" + std::to_string(line_of("configs/hw/a5.yaml", "core_groups:")));
  EXPECT_EQ(origin_of(shown(r.out, "clock_ghz: 1.85")),
            "configs/hw/a2a3.yaml:" + std::to_string(line_of("configs/hw/a2a3.yaml", "clock_ghz:")));
  EXPECT_EQ(origin_of(shown(r.out, "  submit_cycles: 1610")),
            "configs/hw/a2a3.yaml:" + std::to_string(line_of("configs/hw/a2a3.yaml", "submit_cycles:")));
  EXPECT_EQ(origin_of(shown(r.out, "  threads: 4")),
            "configs/hw/a5.yaml:" + std::to_string(line_of("configs/hw/a5.yaml", "threads:")));
  EXPECT_EQ(origin_of(shown(r.out, "  bandwidth_gbps: 4000")), "--set hw.gm.bandwidth_gbps=4000");
  EXPECT_EQ(origin_of(shown(r.out, "    bytes_per_cycle: 40.63")), "");  // l0c_to_gm's and l0c_to_ub's: twice
  EXPECT_NE(r.out.find("  l0c_to_ub:\n    setup_cycles: 10"), std::string::npos) << r.out;
  EXPECT_EQ(origin_of(shown(r.out.substr(r.out.find("  l0c_to_ub:")), "    bytes_per_cycle: 40.63")),
            "default (= dma.l0c_to_gm.bytes_per_cycle)")
      << r.out;
  // UB -> L1: a5 says it has the path and its setup; the rate is MTE3's, ub_to_gm's.
  EXPECT_EQ(origin_of(shown(r.out, "  ub_to_l1_path: true")),
            "configs/hw/a5.yaml:" + std::to_string(line_of("configs/hw/a5.yaml", "ub_to_l1_path:")));
  EXPECT_NE(r.out.find("  ub_to_l1:\n    setup_cycles: 10"), std::string::npos) << r.out;
  EXPECT_EQ(origin_of(shown(r.out.substr(r.out.find("  ub_to_l1:")), "    bytes_per_cycle: 109.41")),
            "default (= dma.ub_to_gm.bytes_per_cycle)")
      << r.out;
  // Every key of the schema, each with an origin.
  int values = 0;
  for (const std::string& l : lines_of(r.out))
    if (l.find(": ") != std::string::npos && l[0] != '#') {
      ++values;
      EXPECT_FALSE(origin_of(l).empty()) << l;
    }
  EXPECT_EQ(values, 62);
  // A default shows as "default".
  const fs::path d = tmpdir();
  std::ofstream(d / "h.yaml") << "base: a2a3\nname: h\n";
  std::string text = read_text(kSrc + "/configs/hw/tiny.yaml");
  text.erase(text.find("issue_cycles: 1 "), text.find('\n', text.find("issue_cycles: 1 ")) + 1 - text.find("issue_cycles: 1 "));
  std::ofstream(d / "t.yaml") << text;
  Result t = sh(kBin + " hw show --hw " + (d / "t.yaml").string());
  ASSERT_EQ(t.code, 0) << t.out;
  EXPECT_EQ(origin_of(shown(t.out, "issue_cycles: 1")), "default");
}

TEST(HwCli, ShowOutputIsAFileThatRunsLikeTheOriginal) {
  const fs::path d = tmpdir();
  const std::string set = " --set hw.gm.bandwidth_gbps=800 --set hw.cube.fill_cycles=9";
  Result r = sh(kBin + " hw show --hw configs/hw/a5.yaml" + set + " > " + (d / "flat.yaml").string());
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string run = kBin + " run -q --workload configs/workloads/qwen3_32b_decode_reviewed_small.yaml";
  ASSERT_EQ(sh(run + " --hw " + (d / "flat.yaml").string() + " --report " + (d / "a.json").string()).code, 0);
  ASSERT_EQ(sh(run + " --hw configs/hw/a5.yaml" + set + " --report " + (d / "b.json").string()).code, 0);
  EXPECT_EQ(report_without_sim(d / "a.json").dump(), report_without_sim(d / "b.json").dump());
  // Showing the flat file again gives the same values.
  Result again = sh(kBin + " hw show --hw " + (d / "flat.yaml").string());
  ASSERT_EQ(again.code, 0) << again.out;
  const auto a = lines_of(read_text(d / "flat.yaml")), b = lines_of(again.out);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 1; i < a.size(); ++i) EXPECT_EQ(a[i].substr(0, a[i].find('#')), b[i].substr(0, b[i].find('#')));
}

TEST(HwCli, SetAndSweepWorkOnKeysOnlyTheBaseHas) {
  const fs::path d = tmpdir();
  const std::string run = kBin + " run -q --hw configs/hw/a5.yaml --workload configs/workloads/gemm.yaml --report ";
  ASSERT_EQ(sh(run + (d / "a.json").string()).code, 0);
  Result r = sh(run + (d / "b.json").string() + " --set hw.cube.fill_cycles=5000");  // a2a3.yaml's key
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_GT(read_json(d / "b.json")["total_cycles"].get<uint64_t>(), read_json(d / "a.json")["total_cycles"].get<uint64_t>());
  std::ofstream(d / "s.yaml") << "hw: configs/hw/a5.yaml\n"
                                 "workload: configs/workloads/gemm.yaml\n"
                                 "axes:\n"
                                 "  hw.cube.fill_cycles: [6, 5000]\n"
                                 "  hw.dma.l0c_to_ub.bytes_per_cycle: [40.63]\n";  // a default on a5
  Result s = sh(kBin + " sweep " + (d / "s.yaml").string() + " -j 2 -o " + (d / "r.csv").string());
  ASSERT_EQ(s.code, 0) << s.out;
  const auto rows = lines_of(read_text(d / "r.csv"));
  ASSERT_EQ(rows.size(), 3u);
  for (size_t i = 1; i < rows.size(); ++i) EXPECT_NE(rows[i].find(",ok,"), std::string::npos) << rows[i];
}

TEST(HwCli, ErrorsAreExitTwoNamingWhereTheValueCameFrom) {
  Result r = sh(kBin + " hw show --hw configs/hw/a5.yaml --set hw.gm.bandwith_gbps=1");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("--set hw.gm.bandwith_gbps: no such key in configs/hw/a5.yaml"), std::string::npos) << r.out;
  r = sh(kBin + " run -q --hw configs/hw/a5.yaml --workload configs/workloads/gemm.yaml --set hw.cube.fill_cycles=-1");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("configs/hw/a5.yaml: cube.fill_cycles: must be in 0..1000000000, got -1 "
                       "(from --set hw.cube.fill_cycles=-1)"),
            std::string::npos)
      << r.out;
  // A bad value in a base names the base file and line.
  const fs::path d = tmpdir();
  std::string base = read_text(kSrc + "/configs/hw/tiny.yaml");
  base.replace(base.find("threads: 1 "), 11, "threads: x ");
  std::ofstream(d / "base.yaml") << base;
  std::ofstream(d / "top.yaml") << "base: base.yaml\nname: top\n";
  r = sh(kBin + " hw show --hw " + (d / "top.yaml").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find((d / "base.yaml").string() + ":" + std::to_string(line_of("configs/hw/tiny.yaml", "threads:")) +
                       ": scheduler.threads: expected a number, got 'x'"),
            std::string::npos)
      << r.out;
  for (const char* bad : {" hw", " hw frob", " hw show --set workload.count=1", " hw show --bogus"}) {
    r = sh(kBin + bad);
    EXPECT_EQ(r.code, 2) << bad << "\n" << r.out;
  }
  EXPECT_EQ(sh(kBin + " hw show --help").code, 0);
  EXPECT_NE(sh(kBin + " --help").out.find("hw show"), std::string::npos);
}
