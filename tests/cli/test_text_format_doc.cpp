// docs/text_format.md: every ```npusim block is a complete program that
// `npusim run --program` parses, validates and simulates.
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

// The fenced blocks of `doc` whose info string is `lang`.
std::vector<std::string> fenced(const std::string& doc, const std::string& lang) {
  std::vector<std::string> out;
  std::istringstream in(doc);
  std::string block;
  bool on = false;
  for (std::string l; std::getline(in, l);) {
    if (!on && l == "```" + lang) {
      on = true;
      block.clear();
    } else if (on && l == "```") {
      on = false;
      out.push_back(block);
    } else if (on) {
      block += l + "\n";
    }
  }
  EXPECT_FALSE(on) << "an unterminated ```" << lang << " block";
  return out;
}

}  // namespace

TEST(TextFormatDoc, EveryExampleRuns) {
  const std::vector<std::string> examples = fenced(read_text(kSrc + "/docs/text_format.md"), "npusim");
  ASSERT_GE(examples.size(), 8u);  // one per construct
  const fs::path d = tmpdir();
  for (size_t i = 0; i < examples.size(); ++i) {
    const fs::path p = d / ("example" + std::to_string(i) + ".txt");
    std::ofstream(p) << examples[i];
    const Result r = sh(kBin + " run -q --program " + p.string() + " --report " + (d / "r.json").string());
    EXPECT_EQ(r.code, 0) << "example " << i << ":\n" << examples[i] << r.out;
    if (r.code == 0) {
      EXPECT_GT(read_json(d / "r.json")["totals"]["instructions"].get<uint64_t>(), 0u) << i;
    }
  }
}

// The examples of what only A5 has (```npusim-a5) run there; the UB -> L1
// one is refused on a2a3 and without the WAIT that frees the buffer.
TEST(TextFormatDoc, EveryA5ExampleRunsOnA5) {
  const std::vector<std::string> examples = fenced(read_text(kSrc + "/docs/text_format.md"), "npusim-a5");
  ASSERT_GE(examples.size(), 1u);
  const fs::path d = tmpdir();
  for (size_t i = 0; i < examples.size(); ++i) {
    const fs::path p = d / ("a5_example" + std::to_string(i) + ".txt");
    std::ofstream(p) << examples[i];
    const Result r = sh(kBin + " run -q --hw configs/hw/a5.yaml --program " + p.string());
    EXPECT_EQ(r.code, 0) << "example " << i << ":\n" << examples[i] << r.out;
  }
  std::ofstream(d / "a5_on_a2a3.txt") << examples[0];
  Result r = sh(kBin + " run -q --hw configs/hw/a2a3.yaml --program " + (d / "a5_on_a2a3.txt").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, "has no UB->L1 path")) << r.out;
  std::string racy = examples[0];
  const std::string wait = "    wait 1 @0\n";
  ASSERT_NE(racy.find(wait), std::string::npos);
  racy.erase(racy.find(wait), wait.size());
  std::ofstream(d / "racy.txt") << racy;
  r = sh(kBin + " run -q --hw configs/hw/a5.yaml --program " + (d / "racy.txt").string());
  EXPECT_EQ(r.code, 2) << r.out;
  // The error names both: vec0's second write (#4) and the cube's read of the first (#3),
  // from whichever of the two the run reached second.
  EXPECT_TRUE(has(r, "#4 tmov at 'mm2: launch'")) << r.out;
  EXPECT_TRUE(has(r, "#3 tmov at 'mm2: launch'")) << r.out;
  EXPECT_TRUE(has(r, "and nothing orders the")) << r.out;
}

// The grammar's optional `cube`: a kernel that leaves it out parses and runs
// (docs and isa/text.h say so), and `cube` after a `vec` is an error.
TEST(TextFormatDoc, CubeMayBeLeftOutButNotComeLate) {
  const fs::path d = tmpdir();
  const std::string head = "tensor x [1,8] fp32 in\ntensor y [1,8] fp32 out\nsite 0 \"k\"\nkernel 0 k\n";
  const std::string body = "    tload UB[0+1x8 fp32] <- x[0+1x8/8] @0\n    tstore y[0+1x8/8] <- UB[0+1x8 fp32] @0\n";
  const std::string task = "end\ntask 0 kernel=0 site=0 reads=[x:0..32] writes=[y:0..32]\n";
  std::ofstream(d / "no_cube.txt") << head << "  vec 0\n" << body << task;
  Result r = sh(kBin + " run -q --program " + (d / "no_cube.txt").string());
  EXPECT_EQ(r.code, 0) << r.out;
  std::ofstream(d / "late_cube.txt") << head << "  vec 0\n" << body << "  cube\n" << task;
  r = sh(kBin + " run -q --program " + (d / "late_cube.txt").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r, "late_cube.txt:8: 'cube' must come once, before the vec streams")) << r.out;
}
