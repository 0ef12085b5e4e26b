// sim/hw_config: the shipped configs load, every key lands in its field, and
// each kind of bad input gives a ConfigError naming file, line, key and reason.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "sim/hw_config.h"

namespace {

using sim::ConfigError;
using sim::HwConfig;
using sim::load_hw_config;
using sim::parse_hw_config;

std::string hw_file(const std::string& name) {
  return std::string(NPUSIM_SOURCE_DIR) + "/configs/hw/" + name + ".yaml";
}

// A complete, valid config with a distinct value per key where the type
// allows, so a key wired to the wrong field shows up. Line numbers matter:
// the error tests below refer to them.
const std::string kValid =
    "name: t\n"                                                            //  1
    "clock_ghz: 1.5\n"                                                     //  2
    "core_groups: 3\n"                                                     //  3
    "vector_cores: 4\n"                                                    //  4
    "issue_cycles: 5\n"                                                    //  5
    "buffers:\n"                                                           //  6
    "  l1_kib: 61\n"                                                       //  7
    "  l0a_kib: 62\n"                                                      //  8
    "  l0b_kib: 63\n"                                                      //  9
    "  l0c_kib: 64\n"                                                      // 10
    "  ub_kib: 65\n"                                                       // 11
    "cube: {fill_cycles: 7, fractals_per_cycle: 0.5, fp32_slowdown: 8}\n"  // 12
    "vector: {width_bytes: 128, issue_cycles: 9, binary: 1.1, unary: 1.2, transcendental: 1.3,"
    " reduce: 1.4, cast: 1.5, fill: 1.6, broadcast: 1.7}\n"                                   // 13
    "dma:\n"                                                                                  // 14
    "  burst_bytes: 33\n"                                                                     // 15
    "  gm_to_l1: {setup_cycles: 11, bytes_per_cycle: 21}\n"                                   // 16
    "  gm_to_ub: {setup_cycles: 12, bytes_per_cycle: 22}\n"                                   // 17
    "  ub_to_gm: {setup_cycles: 13, bytes_per_cycle: 23}\n"                                   // 18
    "  l0c_to_gm: {setup_cycles: 14, bytes_per_cycle: 24}\n"                                  // 19
    "  l1_to_l0a: {setup_cycles: 15, bytes_per_cycle: 25}\n"                                  // 20
    "  l1_to_l0b: {setup_cycles: 16, bytes_per_cycle: 26}\n"                                  // 21
    "  l0c_to_ub_path: true\n"                                                                // 22
    "  l0c_to_ub:\n"                                                                          // 23
    "    setup_cycles: 17\n"                                                                  // 24
    "    bytes_per_cycle: 27.5\n"                                                             // 25
    "gm: {bandwidth_gbps: 48, latency_cycles: 19}\n"                                          // 26
    "scalar: {sload_cycles: 31, op_cycles: 2, flag_cycles: 6}\n"                              // 27
    "scheduler: {submit_cycles: 41, threads: 2, dispatch_cycles: 101, launch_cycles: 51}\n";  // 28

// kValid with `from` (which must occur exactly once) replaced by `to`.
std::string with(const std::string& from, const std::string& to) {
  size_t at = kValid.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  EXPECT_EQ(kValid.find(from, at + 1), std::string::npos) << from << " is ambiguous";
  std::string s = kValid;
  return at == std::string::npos ? s : s.replace(at, from.size(), to);
}

// The ConfigError message parse_hw_config gives for `text`, or "" if none.
std::string error_of(const std::string& text) {
  try {
    parse_hw_config(text, "t.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// --- the shipped files ------------------------------------------------------

TEST(HwConfigFiles, A2a3) {
  HwConfig c = load_hw_config(hw_file("a2a3"));
  EXPECT_EQ(c.name, "a2a3");
  EXPECT_DOUBLE_EQ(c.clock_ghz, 1.85);
  EXPECT_EQ(c.core_groups, 24u);
  EXPECT_EQ(c.vector_cores, 2u);
  EXPECT_EQ(c.buffers.l1, 512u * 1024);
  EXPECT_EQ(c.buffers.l0a, 64u * 1024);
  EXPECT_EQ(c.buffers.l0b, 64u * 1024);
  EXPECT_EQ(c.buffers.l0c, 128u * 1024);
  EXPECT_EQ(c.buffers.ub, 192u * 1024);
  EXPECT_EQ(c.cube.fill_cycles, 6u);
  EXPECT_EQ(c.dma.burst_bytes, 128u);
  EXPECT_FALSE(c.dma.l0c_to_ub_path);
  // The YAML comments convert pto-isa's GiB/s at 1.85 GHz; check the arithmetic.
  const double gib_per_cycle = 1073741824.0 / 1.85e9;
  EXPECT_NEAR(c.dma.gm_to_l1.bytes_per_cycle, 135.0 * gib_per_cycle, 0.01);
  EXPECT_NEAR(c.dma.gm_to_ub.bytes_per_cycle, 100.9 * gib_per_cycle, 0.01);
  EXPECT_NEAR(c.dma.ub_to_gm.bytes_per_cycle, 188.5 * gib_per_cycle, 0.01);
  EXPECT_NEAR(c.dma.l0c_to_gm.bytes_per_cycle, 70.0 * gib_per_cycle, 0.01);
  EXPECT_NEAR(c.gm.bytes_per_cycle(c.clock_ghz), 864.86, 0.01);  // 1600 GB/s / 1.85 GHz
  EXPECT_EQ(c.gm.latency_cycles, 200u);
  EXPECT_EQ(c.scheduler.threads, 3u);
  EXPECT_EQ(c.scheduler.submit_cycles, 1610u);    // 0.87 us x 1850
  EXPECT_EQ(c.scheduler.dispatch_cycles, 5550u);  // 3 us x 1850
  EXPECT_EQ(c.scheduler.launch_cycles, 555u);     // 0.3 us x 1850
}

TEST(HwConfigFiles, A5) {
  HwConfig c = load_hw_config(hw_file("a5"));
  EXPECT_EQ(c.name, "a5");
  EXPECT_EQ(c.core_groups, 36u);
  EXPECT_EQ(c.buffers.l0c, 256u * 1024);
  EXPECT_EQ(c.buffers.ub, 248u * 1024);
  EXPECT_EQ(c.dma.burst_bytes, 128u);
  EXPECT_TRUE(c.dma.l0c_to_ub_path);
  EXPECT_DOUBLE_EQ(c.gm.bandwidth_gbps, 1600);
  EXPECT_EQ(c.scheduler.threads, 4u);
}

// tiny.yaml is the reference for hand-computed cycle counts in other tests:
// pin every value.
TEST(HwConfigFiles, TinyMatchesItsDocumentedValues) {
  HwConfig c = load_hw_config(hw_file("tiny"));
  EXPECT_EQ(c.name, "tiny");
  EXPECT_DOUBLE_EQ(c.clock_ghz, 1);
  EXPECT_EQ(c.core_groups, 2u);
  EXPECT_EQ(c.vector_cores, 2u);
  EXPECT_EQ(c.issue_cycles, 1u);
  EXPECT_EQ(c.buffers.l1, 64u * 1024);
  EXPECT_EQ(c.buffers.l0a, 16u * 1024);
  EXPECT_EQ(c.buffers.l0b, 16u * 1024);
  EXPECT_EQ(c.buffers.l0c, 32u * 1024);
  EXPECT_EQ(c.buffers.ub, 64u * 1024);
  EXPECT_EQ(c.cube.fill_cycles, 6u);
  EXPECT_DOUBLE_EQ(c.cube.fractals_per_cycle, 1);
  EXPECT_EQ(c.cube.fp32_slowdown, 4u);
  EXPECT_EQ(c.vector.width_bytes, 256u);
  EXPECT_EQ(c.vector.issue_cycles, 10u);
  EXPECT_DOUBLE_EQ(c.vector.binary, 2);
  EXPECT_DOUBLE_EQ(c.vector.unary, 1);
  EXPECT_DOUBLE_EQ(c.vector.transcendental, 4);
  EXPECT_DOUBLE_EQ(c.vector.reduce, 4);
  EXPECT_DOUBLE_EQ(c.vector.cast, 1);
  EXPECT_DOUBLE_EQ(c.vector.fill, 1);
  EXPECT_DOUBLE_EQ(c.vector.broadcast, 2);
  EXPECT_EQ(c.dma.burst_bytes, 32u);
  for (const sim::EngineConfig* e :
       {&c.dma.gm_to_l1, &c.dma.gm_to_ub, &c.dma.ub_to_gm, &c.dma.l0c_to_gm, &c.dma.l0c_to_ub}) {
    EXPECT_EQ(e->setup_cycles, 10u);
    EXPECT_DOUBLE_EQ(e->bytes_per_cycle, 32);
  }
  for (const sim::EngineConfig* e : {&c.dma.l1_to_l0a, &c.dma.l1_to_l0b}) {
    EXPECT_EQ(e->setup_cycles, 2u);
    EXPECT_DOUBLE_EQ(e->bytes_per_cycle, 64);
  }
  EXPECT_FALSE(c.dma.l0c_to_ub_path);
  EXPECT_DOUBLE_EQ(c.gm.bandwidth_gbps, 32);
  EXPECT_DOUBLE_EQ(c.gm.bytes_per_cycle(c.clock_ghz), 32);
  EXPECT_EQ(c.gm.latency_cycles, 20u);
  EXPECT_EQ(c.scalar.sload_cycles, 30u);
  EXPECT_EQ(c.scalar.op_cycles, 1u);
  EXPECT_EQ(c.scalar.flag_cycles, 5u);
  EXPECT_EQ(c.scheduler.submit_cycles, 0u);
  EXPECT_EQ(c.scheduler.threads, 1u);
  EXPECT_EQ(c.scheduler.dispatch_cycles, 100u);
  EXPECT_EQ(c.scheduler.launch_cycles, 50u);
}

// --- every key lands in its own field ---------------------------------------

TEST(HwConfigParse, EveryKeyLandsInItsField) {
  HwConfig c = parse_hw_config(kValid, "t.yaml");
  EXPECT_EQ(c.name, "t");
  EXPECT_DOUBLE_EQ(c.clock_ghz, 1.5);
  EXPECT_EQ(c.core_groups, 3u);
  EXPECT_EQ(c.vector_cores, 4u);
  EXPECT_EQ(c.issue_cycles, 5u);
  EXPECT_EQ(c.buffers.l1, 61u * 1024);
  EXPECT_EQ(c.buffers.l0a, 62u * 1024);
  EXPECT_EQ(c.buffers.l0b, 63u * 1024);
  EXPECT_EQ(c.buffers.l0c, 64u * 1024);
  EXPECT_EQ(c.buffers.ub, 65u * 1024);
  EXPECT_EQ(c.cube.fill_cycles, 7u);
  EXPECT_DOUBLE_EQ(c.cube.fractals_per_cycle, 0.5);
  EXPECT_EQ(c.cube.fp32_slowdown, 8u);
  EXPECT_EQ(c.vector.width_bytes, 128u);
  EXPECT_EQ(c.vector.issue_cycles, 9u);
  EXPECT_DOUBLE_EQ(c.vector.binary, 1.1);
  EXPECT_DOUBLE_EQ(c.vector.unary, 1.2);
  EXPECT_DOUBLE_EQ(c.vector.transcendental, 1.3);
  EXPECT_DOUBLE_EQ(c.vector.reduce, 1.4);
  EXPECT_DOUBLE_EQ(c.vector.cast, 1.5);
  EXPECT_DOUBLE_EQ(c.vector.fill, 1.6);
  EXPECT_DOUBLE_EQ(c.vector.broadcast, 1.7);
  EXPECT_EQ(c.dma.burst_bytes, 33u);
  EXPECT_EQ(c.dma.gm_to_l1.setup_cycles, 11u);
  EXPECT_DOUBLE_EQ(c.dma.gm_to_l1.bytes_per_cycle, 21);
  EXPECT_EQ(c.dma.gm_to_ub.setup_cycles, 12u);
  EXPECT_DOUBLE_EQ(c.dma.gm_to_ub.bytes_per_cycle, 22);
  EXPECT_EQ(c.dma.ub_to_gm.setup_cycles, 13u);
  EXPECT_DOUBLE_EQ(c.dma.ub_to_gm.bytes_per_cycle, 23);
  EXPECT_EQ(c.dma.l0c_to_gm.setup_cycles, 14u);
  EXPECT_DOUBLE_EQ(c.dma.l0c_to_gm.bytes_per_cycle, 24);
  EXPECT_EQ(c.dma.l1_to_l0a.setup_cycles, 15u);
  EXPECT_DOUBLE_EQ(c.dma.l1_to_l0a.bytes_per_cycle, 25);
  EXPECT_EQ(c.dma.l1_to_l0b.setup_cycles, 16u);
  EXPECT_DOUBLE_EQ(c.dma.l1_to_l0b.bytes_per_cycle, 26);
  EXPECT_TRUE(c.dma.l0c_to_ub_path);
  EXPECT_EQ(c.dma.l0c_to_ub.setup_cycles, 17u);
  EXPECT_DOUBLE_EQ(c.dma.l0c_to_ub.bytes_per_cycle, 27.5);
  EXPECT_DOUBLE_EQ(c.gm.bandwidth_gbps, 48);
  EXPECT_EQ(c.gm.latency_cycles, 19u);
  EXPECT_EQ(c.scalar.sload_cycles, 31u);
  EXPECT_EQ(c.scalar.op_cycles, 2u);
  EXPECT_EQ(c.scalar.flag_cycles, 6u);
  EXPECT_EQ(c.scheduler.submit_cycles, 41u);
  EXPECT_EQ(c.scheduler.threads, 2u);
  EXPECT_EQ(c.scheduler.dispatch_cycles, 101u);
  EXPECT_EQ(c.scheduler.launch_cycles, 51u);
}

TEST(HwConfigParse, CapacityPerSpace) {
  HwConfig c = parse_hw_config(kValid, "t.yaml");
  EXPECT_EQ(c.buffers.capacity(isa::Space::L1), 61u * 1024);
  EXPECT_EQ(c.buffers.capacity(isa::Space::L0A), 62u * 1024);
  EXPECT_EQ(c.buffers.capacity(isa::Space::L0B), 63u * 1024);
  EXPECT_EQ(c.buffers.capacity(isa::Space::L0C), 64u * 1024);
  EXPECT_EQ(c.buffers.capacity(isa::Space::UB), 65u * 1024);
  EXPECT_THROW(c.buffers.capacity(isa::Space::GM), std::logic_error);
}

TEST(HwConfigParse, CommentsAndKeyOrderDoNotMatter) {
  HwConfig c = parse_hw_config(
      with("name: t\nclock_ghz: 1.5\n", "# header\nclock_ghz: 1.5  # GHz\nname: t\n"), "t.yaml");
  EXPECT_EQ(c.name, "t");
  EXPECT_DOUBLE_EQ(c.clock_ghz, 1.5);
}

// --- errors -------------------------------------------------------------------

TEST(HwConfigErrors, UnknownKeyNamesTheKeyAndTheExpectedOnes) {
  // The typo sits on line 7 (l1_kib's line in kValid).
  EXPECT_EQ(error_of(with("l1_kib: 61", "l1_kb: 61")),
            "t.yaml:7: buffers: unknown key 'l1_kb' "
            "(expected one of: l1_kib, l0a_kib, l0b_kib, l0c_kib, ub_kib)");
  // Top level, line 2.
  EXPECT_EQ(
      error_of(with("clock_ghz: 1.5", "clock_mhz: 1500")).rfind("t.yaml:2: unknown key 'clock_mhz' (", 0),
      0u);
  // Inside a flow map on line 12.
  EXPECT_EQ(error_of(with("fp32_slowdown: 8", "fp32_slowdown: 8, fp8: 1"))
                .rfind("t.yaml:12: cube: unknown key 'fp8'", 0),
            0u);
}

TEST(HwConfigErrors, MissingKeyPointsAtItsMap) {
  // Removing ub_kib (line 11): the buffers map starts on line 7, its first key.
  EXPECT_EQ(error_of(with("  ub_kib: 65\n", "")), "t.yaml:7: buffers: missing key 'ub_kib'");
  // A nested map: dma.l0c_to_ub starts at setup_cycles on line 24.
  EXPECT_EQ(error_of(with("    bytes_per_cycle: 27.5\n", "")),
            "t.yaml:24: dma.l0c_to_ub: missing key 'bytes_per_cycle'");
  // Top level: the document's map starts on line 1.
  EXPECT_EQ(error_of(with("issue_cycles: 5\n", "")), "t.yaml:1: missing key 'issue_cycles'");
}

TEST(HwConfigErrors, WrongType) {
  EXPECT_EQ(error_of(with("clock_ghz: 1.5", "clock_ghz: abc")),
            "t.yaml:2: clock_ghz: expected a number, got 'abc'");
  EXPECT_EQ(error_of(with("latency_cycles: 19", "latency_cycles: \"19\"")),
            "t.yaml:26: gm.latency_cycles: expected a number, got '19' (quoted)");
  EXPECT_EQ(error_of(with("  ub_kib: 65", "  ub_kib: [65]")),
            "t.yaml:11: buffers.ub_kib: expected a number, got a sequence");
  // An empty value has no line of its own: the key's line (11) is used.
  EXPECT_EQ(error_of(with("  ub_kib: 65", "  ub_kib:")),
            "t.yaml:11: buffers.ub_kib: expected a number, got an empty value");
  EXPECT_EQ(error_of(with("  burst_bytes: 33", "  burst_bytes: 1e9x")),
            "t.yaml:15: dma.burst_bytes: expected a number, got '1e9x'");
  EXPECT_EQ(error_of(with("  gm_to_ub: {setup_cycles: 12, bytes_per_cycle: 22}", "  gm_to_ub: 22")),
            "t.yaml:17: dma.gm_to_ub: expected a map, got '22'");
  EXPECT_EQ(error_of(with("l0c_to_ub_path: true", "l0c_to_ub_path: yes")),
            "t.yaml:22: dma.l0c_to_ub_path: expected true or false, got 'yes'");
  EXPECT_EQ(error_of("- 1\n- 2\n"), "t.yaml:1: expected a map, got a sequence");
}

TEST(HwConfigErrors, IntegerFieldRejectsFractions) {
  EXPECT_EQ(error_of(with("issue_cycles: 5", "issue_cycles: 1.5")),
            "t.yaml:5: issue_cycles: expected an integer, got '1.5'");
  EXPECT_EQ(error_of(with("    setup_cycles: 17", "    setup_cycles: 1e3")),
            "t.yaml:24: dma.l0c_to_ub.setup_cycles: expected an integer, got '1e3'");
}

TEST(HwConfigErrors, OutOfRange) {
  EXPECT_EQ(error_of(with("clock_ghz: 1.5", "clock_ghz: 0")), "t.yaml:2: clock_ghz: must be > 0, got 0");
  EXPECT_EQ(error_of(with("core_groups: 3", "core_groups: 1025")),
            "t.yaml:3: core_groups: must be in 1..1024, got 1025");
  EXPECT_EQ(error_of(with("core_groups: 3", "core_groups: 0")),
            "t.yaml:3: core_groups: must be in 1..1024, got 0");
  EXPECT_EQ(error_of(with("vector_cores: 4", "vector_cores: 9")),
            "t.yaml:4: vector_cores: must be in 1..8, got 9");
  EXPECT_EQ(error_of(with("  l0a_kib: 62", "  l0a_kib: 0")), "t.yaml:8: buffers.l0a_kib: must be > 0, got 0");
  EXPECT_EQ(error_of(with("  l0a_kib: 62", "  l0a_kib: 4194304")),
            "t.yaml:8: buffers.l0a_kib: must be <= 4194303 (4 GiB), got 4194304");
  EXPECT_EQ(error_of(with("setup_cycles: 14, bytes_per_cycle: 24", "setup_cycles: 14, bytes_per_cycle: -5")),
            "t.yaml:19: dma.l0c_to_gm.bytes_per_cycle: must be > 0, got -5");
  EXPECT_EQ(error_of(with("setup_cycles: 13,", "setup_cycles: -5,")),
            "t.yaml:18: dma.ub_to_gm.setup_cycles: must be >= 0, got -5");
  EXPECT_EQ(error_of(with("latency_cycles: 19", "latency_cycles: 99999999999")),
            "t.yaml:26: gm.latency_cycles: must be <= 4294967295, got 99999999999");
  EXPECT_EQ(error_of(with("bandwidth_gbps: 48", "bandwidth_gbps: -1")),
            "t.yaml:26: gm.bandwidth_gbps: must be > 0, got -1");
  EXPECT_EQ(error_of(with("threads: 2", "threads: 0")), "t.yaml:28: scheduler.threads: must be > 0, got 0");
  EXPECT_EQ(error_of(with("binary: 1.1", "binary: -0.5")),
            "t.yaml:13: vector.binary: must be >= 0, got -0.5");
  EXPECT_EQ(error_of(with("fractals_per_cycle: 0.5", "fractals_per_cycle: 0")),
            "t.yaml:12: cube.fractals_per_cycle: must be > 0, got 0");
}

TEST(HwConfigErrors, DuplicateKey) {
  EXPECT_EQ(error_of(with("  ub_kib: 65\n", "  ub_kib: 65\n  ub_kib: 66\n")),
            "t.yaml:12: buffers: duplicate key 'ub_kib'");
}

TEST(HwConfigErrors, YamlSyntaxErrorNamesFileAndLine) {
  // l0b_kib indented under l0a_kib's value on line 9: yaml-cpp reports line 9.
  EXPECT_EQ(error_of(with("  l0b_kib: 63", "    l0b_kib: 63")),
            "t.yaml:9: YAML syntax error: illegal map value");
  // An unclosed flow map on line 16 runs into the next line's block key.
  std::string e = error_of(with("bytes_per_cycle: 21}", "bytes_per_cycle: 21"));
  EXPECT_EQ(e.rfind("t.yaml:", 0), 0u) << e;
  EXPECT_NE(e.find(": YAML syntax error: "), std::string::npos) << e;
}

TEST(HwConfigErrors, OneDocumentOnly) {
  EXPECT_EQ(error_of(kValid + "---\nname: u\n"), "t.yaml:30: expected one YAML document, got 2");
  EXPECT_EQ(error_of(""), "t.yaml:1: expected a map, got an empty value");
}

TEST(HwConfigErrors, MissingFile) {
  try {
    load_hw_config("/nonexistent/npusim/x.yaml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "cannot open /nonexistent/npusim/x.yaml");
  }
  EXPECT_THROW(load_hw_config(NPUSIM_SOURCE_DIR), ConfigError);  // a directory
}

TEST(HwConfigErrors, FileErrorsNameThePath) {
  std::string path = ::testing::TempDir() + "npusim_hw_config_test_" + std::to_string(getpid()) + ".yaml";
  {
    std::ofstream f(path);
    f << with("vector_cores: 4", "vector_cores: x");
  }
  try {
    load_hw_config(path);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), path + ":4: vector_cores: expected a number, got 'x'");
  }
  std::remove(path.c_str());
}

}  // namespace
