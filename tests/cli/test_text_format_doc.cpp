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
