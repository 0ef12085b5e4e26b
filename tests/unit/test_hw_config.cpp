// sim/hw_config: the shipped configs load, every key lands in its field, and
// each kind of bad input gives a ConfigError naming file, line, key and reason.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include <map>

#include "sim/hw_config.h"

namespace {

using sim::ConfigError;
using sim::HwConfig;
using sim::load_hw_config;
using sim::parse_hw_config;
namespace fs = std::filesystem;

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
    "  # (dma.burst_bytes was here; the L2 on line 29 replaced it)\n"                         // 15
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
    "scheduler: {submit_cycles: 41, threads: 2, dispatch_cycles: 101, launch_cycles: 51,"
    " completion_detect_cycles: 52, completion_cycles: 53}\n"                                   // 28
    "l2: {size_kib: 2048, line_bytes: 256, sector_bytes: 64, associativity: 8, hit_latency_cycles: 43,"
    " read_bytes_per_cycle: 44, write_bytes_per_cycle: 45, write_policy: write_through}\n";   // 29

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
  EXPECT_FALSE(c.dma.l0c_to_ub_path);
  // The YAML comments convert pto-isa's GiB/s at 1.85 GHz; check the arithmetic.
  const double gib_per_cycle = 1073741824.0 / 1.85e9;
  // The engines' rates: pto-isa's flat table; fitted fixed costs, one for the
  // cube core's GM engines, one each for the vector core's MTE2 and MTE3
  // (docs/results/calibration.md).
  EXPECT_NEAR(c.dma.gm_to_l1.bytes_per_cycle, 135.0 * gib_per_cycle, 0.01);
  EXPECT_NEAR(c.dma.gm_to_ub.bytes_per_cycle, 100.9 * gib_per_cycle, 0.01);
  EXPECT_NEAR(c.dma.ub_to_gm.bytes_per_cycle, 188.5 * gib_per_cycle, 0.01);
  EXPECT_NEAR(c.dma.l0c_to_gm.bytes_per_cycle, 70.0 * gib_per_cycle, 0.01);
  EXPECT_EQ(c.dma.gm_to_l1.setup_cycles, 172u);  // [F]
  EXPECT_EQ(c.dma.l0c_to_gm.setup_cycles, 172u);  // [F] the same value
  EXPECT_EQ(c.dma.gm_to_ub.setup_cycles, 92u);    // [F]
  EXPECT_EQ(c.dma.ub_to_gm.setup_cycles, 180u);   // [F]
  EXPECT_DOUBLE_EQ(c.gm.core_bytes_per_cycle, 39.48);  // [F]; pto-isa's GM->L1 fit 16.6 was the start
  EXPECT_EQ(c.issue_interval_cycles, 4u);               // [G]
  EXPECT_EQ(c.task_entry_cycles, 3104u);                // [F] 1.7 us
  EXPECT_NEAR(c.gm.bytes_per_cycle(c.clock_ghz), 523.24, 0.01);  // [F] 968 GB/s / 1.85 GHz
  // L2: 192 MiB of 512 B lines filled whole, 16 ways: 24576 sets; hit 50, miss + 150.
  EXPECT_EQ(c.l2.size_bytes, 192u << 20);
  EXPECT_EQ(c.l2.line_bytes, 512u);
  EXPECT_EQ(c.l2.sector_bytes, 512u);
  EXPECT_EQ(c.l2.associativity, 16u);
  EXPECT_EQ(c.l2.hit_latency_cycles, 50u);
  EXPECT_DOUBLE_EQ(c.l2.read_bytes_per_cycle, 110);
  EXPECT_DOUBLE_EQ(c.l2.write_bytes_per_cycle, 86);
  EXPECT_TRUE(c.l2.write_back);
  EXPECT_EQ(c.gm.latency_cycles, 150u);
  EXPECT_EQ(c.scalar.sload_cycles, 0u);  // + 50 + 150: an SLOAD is costed as a miss, 200
  EXPECT_EQ(c.scheduler.threads, 3u);
  EXPECT_EQ(c.scheduler.submit_cycles, 1610u);    // 0.87 us x 1850
  EXPECT_EQ(c.scheduler.dispatch_cycles, 5550u);  // 3 us x 1850
  EXPECT_EQ(c.scheduler.launch_cycles, 555u);     // 0.3 us x 1850
  EXPECT_EQ(c.scheduler.completion_detect_cycles, 97381u);  // [F] 53 us
  EXPECT_EQ(c.scheduler.completion_cycles, 5550u);          // 3 us (middle of 2-4 us) x 1850
  // l0c_to_ub is left to its default: the l0c_to_gm figures.
  EXPECT_EQ(c.dma.l0c_to_ub.setup_cycles, 172u);
  EXPECT_DOUBLE_EQ(c.dma.l0c_to_ub.bytes_per_cycle, 40.63);
  // No UB -> L1 on a2a3; ub_to_l1 is left to its default: the ub_to_gm figures.
  EXPECT_FALSE(c.dma.ub_to_l1_path);
  EXPECT_EQ(c.dma.ub_to_l1.setup_cycles, 180u);
  EXPECT_DOUBLE_EQ(c.dma.ub_to_l1.bytes_per_cycle, 109.41);
}

// Every field of a config, named, for comparing two configs field by field.
std::vector<std::pair<std::string, double>> fields_of(const HwConfig& c) {
  std::vector<std::pair<std::string, double>> f = {
      {"clock_ghz", c.clock_ghz},
      {"core_groups", c.core_groups},
      {"vector_cores", c.vector_cores},
      {"issue_interval_cycles", c.issue_interval_cycles},
      {"task_entry_cycles", c.task_entry_cycles},
      {"pipe_sync_cycles", c.pipe_sync_cycles},
      {"buffers.l1", c.buffers.l1},
      {"buffers.l0a", c.buffers.l0a},
      {"buffers.l0b", c.buffers.l0b},
      {"buffers.l0c", c.buffers.l0c},
      {"buffers.ub", c.buffers.ub},
      {"cube.fill_cycles", c.cube.fill_cycles},
      {"cube.fractals_per_cycle", c.cube.fractals_per_cycle},
      {"cube.fp32_slowdown", c.cube.fp32_slowdown},
      {"vector.width_bytes", c.vector.width_bytes},
      {"vector.head_tail_cycles", c.vector.head_tail_cycles},
      {"vector.binary", c.vector.binary},
      {"vector.unary", c.vector.unary},
      {"vector.transcendental", c.vector.transcendental},
      {"vector.reduce", c.vector.reduce},
      {"vector.cast", c.vector.cast},
      {"vector.fill", c.vector.fill},
      {"vector.broadcast", c.vector.broadcast},
      {"l2.size_bytes", c.l2.size_bytes},
      {"l2.line_bytes", c.l2.line_bytes},
      {"l2.sector_bytes", c.l2.sector_bytes},
      {"l2.associativity", c.l2.associativity},
      {"l2.hit_latency_cycles", c.l2.hit_latency_cycles},
      {"l2.read_bytes_per_cycle", c.l2.read_bytes_per_cycle},
      {"l2.write_bytes_per_cycle", c.l2.write_bytes_per_cycle},
      {"l2.write_back", c.l2.write_back},
      {"dma.l0c_to_ub_path", c.dma.l0c_to_ub_path},
      {"dma.ub_to_l1_path", c.dma.ub_to_l1_path},
      {"gm.bandwidth_gbps", c.gm.bandwidth_gbps},
      {"gm.latency_cycles", c.gm.latency_cycles},
      {"scalar.sload_cycles", c.scalar.sload_cycles},
      {"scalar.op_cycles", c.scalar.op_cycles},
      {"scalar.flag_cycles", c.scalar.flag_cycles},
      {"scheduler.submit_cycles", c.scheduler.submit_cycles},
      {"scheduler.threads", c.scheduler.threads},
      {"scheduler.dispatch_cycles", c.scheduler.dispatch_cycles},
      {"scheduler.launch_cycles", c.scheduler.launch_cycles},
      {"scheduler.completion_detect_cycles", c.scheduler.completion_detect_cycles},
      {"scheduler.completion_cycles", c.scheduler.completion_cycles},
  };
  const std::pair<const char*, const sim::EngineConfig*> engines[] = {
      {"gm_to_l1", &c.dma.gm_to_l1},   {"gm_to_ub", &c.dma.gm_to_ub},   {"ub_to_gm", &c.dma.ub_to_gm},
      {"l0c_to_gm", &c.dma.l0c_to_gm}, {"l1_to_l0a", &c.dma.l1_to_l0a}, {"l1_to_l0b", &c.dma.l1_to_l0b},
      {"l0c_to_ub", &c.dma.l0c_to_ub}, {"ub_to_l1", &c.dma.ub_to_l1}};
  for (const auto& [n, e] : engines) {
    f.push_back({std::string("dma.") + n + ".setup_cycles", e->setup_cycles});
    f.push_back({std::string("dma.") + n + ".bytes_per_cycle", e->bytes_per_cycle});
  }
  return f;
}

void expect_same_config(const HwConfig& a, const HwConfig& b) {
  EXPECT_EQ(a.name, b.name);
  const auto fa = fields_of(a), fb = fields_of(b);
  ASSERT_EQ(fa.size(), fb.size());
  for (size_t i = 0; i < fa.size(); ++i) EXPECT_EQ(fa[i].second, fb[i].second) << fa[i].first;  // exact
}

// Issue 9: a5.yaml became `base: a2a3` plus what differs. Every field is
// still what the complete a5.yaml of before gave (values copied from it),
// plus the keys added since, which a5 inherits from a2a3.
TEST(HwConfigFiles, A5ResolvesToExactlyTheOldA5Values) {
  HwConfig old;
  old.name = "a5";
  old.clock_ghz = 1.85;
  old.core_groups = 36;
  old.vector_cores = 2;
  old.issue_interval_cycles = 4;  // a2a3's, fitted later
  old.buffers = {512 * 1024, 64 * 1024, 64 * 1024, 256 * 1024, 248 * 1024};
  old.cube = {6, 1, 4};
  old.vector.width_bytes = 256;
  old.vector.head_tail_cycles = 24;
  old.vector.binary = 2;
  old.vector.unary = 1;
  old.vector.transcendental = 2;
  old.vector.reduce = 4;
  old.vector.cast = 1;
  old.vector.fill = 1;
  old.vector.broadcast = 2;
  // Issue 8: a2a3's engines (GM->L1 the pto-isa fit, the others' setup the
  // fit's K at their rate), its L2 (a5: 128 B sectors) and latencies.
  old.dma.gm_to_l1 = {172, 78.35};  // a2a3's engines after the calibration
  old.dma.gm_to_ub = {92, 58.56};
  old.dma.ub_to_gm = {180, 109.41};
  old.dma.l0c_to_gm = {172, 40.63};
  old.l2 = {192u << 20, 512, 128, 16, 50, 110, 86, true};
  old.dma.l1_to_l0a = {10, 256};
  old.dma.l1_to_l0b = {10, 128};
  old.dma.l0c_to_ub_path = true;
  old.dma.l0c_to_ub = {10, 40.63};  // the rate: the default, l0c_to_gm's
  old.dma.ub_to_l1_path = true;     // added later (issue 11: UB -> L1)
  old.dma.ub_to_l1 = {10, 109.41};  // the rate: the default, ub_to_gm's (MTE3)
  old.gm.bandwidth_gbps = 968;      // a2a3's fitted rate
  old.gm.latency_cycles = 150;
  old.scalar = {0, 1, 20};
  old.scheduler = {1610, 4, 5550, 555, 97381, 5550};  // completion handling: a2a3's, added later
  old.gm.core_bytes_per_cycle = 39.48;                 // a2a3's, added later
  old.task_entry_cycles = 3104;                        // a2a3's, added later
  expect_same_config(load_hw_config(hw_file("a5")), old);
}

// tiny.yaml is the reference for hand-computed cycle counts in other tests:
// pin every value.
TEST(HwConfigFiles, TinyMatchesItsDocumentedValues) {
  HwConfig c = load_hw_config(hw_file("tiny"));
  EXPECT_EQ(c.name, "tiny");
  EXPECT_DOUBLE_EQ(c.clock_ghz, 1);
  EXPECT_EQ(c.core_groups, 2u);
  EXPECT_EQ(c.vector_cores, 2u);
  EXPECT_EQ(c.issue_interval_cycles, 1u);
  EXPECT_EQ(c.buffers.l1, 64u * 1024);
  EXPECT_EQ(c.buffers.l0a, 16u * 1024);
  EXPECT_EQ(c.buffers.l0b, 16u * 1024);
  EXPECT_EQ(c.buffers.l0c, 32u * 1024);
  EXPECT_EQ(c.buffers.ub, 64u * 1024);
  EXPECT_EQ(c.cube.fill_cycles, 6u);
  EXPECT_DOUBLE_EQ(c.cube.fractals_per_cycle, 1);
  EXPECT_EQ(c.cube.fp32_slowdown, 4u);
  EXPECT_EQ(c.vector.width_bytes, 256u);
  EXPECT_EQ(c.vector.head_tail_cycles, 10u);
  EXPECT_DOUBLE_EQ(c.vector.binary, 2);
  EXPECT_DOUBLE_EQ(c.vector.unary, 1);
  EXPECT_DOUBLE_EQ(c.vector.transcendental, 4);
  EXPECT_DOUBLE_EQ(c.vector.reduce, 4);
  EXPECT_DOUBLE_EQ(c.vector.cast, 1);
  EXPECT_DOUBLE_EQ(c.vector.fill, 1);
  EXPECT_DOUBLE_EQ(c.vector.broadcast, 2);
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
  EXPECT_FALSE(c.dma.ub_to_l1_path);
  EXPECT_EQ(c.dma.ub_to_l1.setup_cycles, 4u);
  EXPECT_DOUBLE_EQ(c.dma.ub_to_l1.bytes_per_cycle, 64);
  EXPECT_DOUBLE_EQ(c.gm.bandwidth_gbps, 32);
  EXPECT_DOUBLE_EQ(c.gm.bytes_per_cycle(c.clock_ghz), 32);
  EXPECT_EQ(c.l2.size_bytes, 64u * 1024);
  EXPECT_EQ(c.l2.line_bytes, 128u);
  EXPECT_EQ(c.l2.sector_bytes, 32u);
  EXPECT_EQ(c.l2.associativity, 4u);
  EXPECT_EQ(c.l2.hit_latency_cycles, 5u);
  EXPECT_DOUBLE_EQ(c.l2.read_bytes_per_cycle, 64);
  EXPECT_DOUBLE_EQ(c.l2.write_bytes_per_cycle, 64);
  EXPECT_TRUE(c.l2.write_back);
  EXPECT_EQ(c.gm.latency_cycles, 15u);
  EXPECT_EQ(c.scalar.sload_cycles, 10u);
  EXPECT_EQ(c.scalar.op_cycles, 1u);
  EXPECT_EQ(c.scalar.flag_cycles, 5u);
  EXPECT_EQ(c.scheduler.submit_cycles, 0u);
  EXPECT_EQ(c.scheduler.threads, 1u);
  EXPECT_EQ(c.scheduler.dispatch_cycles, 100u);
  EXPECT_EQ(c.scheduler.launch_cycles, 50u);
  EXPECT_EQ(c.scheduler.completion_detect_cycles, 0u);
  EXPECT_EQ(c.scheduler.completion_cycles, 0u);
}

// --- every key lands in its own field ---------------------------------------

TEST(HwConfigParse, EveryKeyLandsInItsField) {
  HwConfig c = parse_hw_config(kValid, "t.yaml");
  EXPECT_EQ(c.name, "t");
  EXPECT_DOUBLE_EQ(c.clock_ghz, 1.5);
  EXPECT_EQ(c.core_groups, 3u);
  EXPECT_EQ(c.vector_cores, 4u);
  EXPECT_EQ(c.issue_interval_cycles, 5u);
  EXPECT_EQ(c.buffers.l1, 61u * 1024);
  EXPECT_EQ(c.buffers.l0a, 62u * 1024);
  EXPECT_EQ(c.buffers.l0b, 63u * 1024);
  EXPECT_EQ(c.buffers.l0c, 64u * 1024);
  EXPECT_EQ(c.buffers.ub, 65u * 1024);
  EXPECT_EQ(c.cube.fill_cycles, 7u);
  EXPECT_DOUBLE_EQ(c.cube.fractals_per_cycle, 0.5);
  EXPECT_EQ(c.cube.fp32_slowdown, 8u);
  EXPECT_EQ(c.vector.width_bytes, 128u);
  EXPECT_EQ(c.vector.head_tail_cycles, 9u);
  EXPECT_DOUBLE_EQ(c.vector.binary, 1.1);
  EXPECT_DOUBLE_EQ(c.vector.unary, 1.2);
  EXPECT_DOUBLE_EQ(c.vector.transcendental, 1.3);
  EXPECT_DOUBLE_EQ(c.vector.reduce, 1.4);
  EXPECT_DOUBLE_EQ(c.vector.cast, 1.5);
  EXPECT_DOUBLE_EQ(c.vector.fill, 1.6);
  EXPECT_DOUBLE_EQ(c.vector.broadcast, 1.7);
  EXPECT_EQ(c.l2.size_bytes, 2048u * 1024);
  EXPECT_EQ(c.l2.line_bytes, 256u);
  EXPECT_EQ(c.l2.sector_bytes, 64u);
  EXPECT_EQ(c.l2.associativity, 8u);
  EXPECT_EQ(c.l2.hit_latency_cycles, 43u);
  EXPECT_DOUBLE_EQ(c.l2.read_bytes_per_cycle, 44);
  EXPECT_DOUBLE_EQ(c.l2.write_bytes_per_cycle, 45);
  EXPECT_FALSE(c.l2.write_back);
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
  EXPECT_EQ(c.scheduler.completion_detect_cycles, 52u);
  EXPECT_EQ(c.scheduler.completion_cycles, 53u);
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


// --- bases (issue 9) ----------------------------------------------------------

// A fresh directory for the running test's files.
fs::path scratch() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path d = fs::path(::testing::TempDir()) /
               ("npusim_hw_" + std::string(info->test_suite_name()) + "_" + std::string(info->name()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void put(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

std::string load_error(const fs::path& p) {
  try {
    load_hw_config(p.string());
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(HwConfigBases, DerivedFileOverridesOnlyWhatItSays) {
  const fs::path d = scratch();
  put(d / "base.yaml", kValid);
  put(d / "derived.yaml",
      "base: base.yaml\n"
      "name: derived\n"
      "buffers: {ub_kib: 99}\n"
      "dma:\n"
      "  gm_to_ub: {bytes_per_cycle: 7.5}\n");
  const HwConfig c = load_hw_config((d / "derived.yaml").string());
  HwConfig want = parse_hw_config(kValid, "t.yaml");
  want.name = "derived";
  want.buffers.ub = 99 * 1024;
  want.dma.gm_to_ub.bytes_per_cycle = 7.5;  // its setup_cycles (12) still from the base: maps merge
  expect_same_config(c, want);
  EXPECT_EQ(c.dma.gm_to_ub.setup_cycles, 12u);
}

TEST(HwConfigBases, BasesChainAndTheNearestValueWins) {
  const fs::path d = scratch();
  fs::create_directories(d / "sub");
  put(d / "a.yaml", kValid);
  put(d / "sub" / "b.yaml", "base: ../a.yaml\nname: b\ncore_groups: 5\nvector_cores: 6\n");
  put(d / "c.yaml", "base: sub/b.yaml  # relative to this file\nname: c\ncore_groups: 7\n");
  const HwConfig c = load_hw_config((d / "c.yaml").string());
  EXPECT_EQ(c.name, "c");
  EXPECT_EQ(c.core_groups, 7u);   // c
  EXPECT_EQ(c.vector_cores, 6u);  // b
  EXPECT_EQ(c.buffers.l1, 61u * 1024);  // a
  const sim::HwSource src = sim::load_hw_source((d / "c.yaml").string());
  EXPECT_EQ(src.files(), (std::vector<std::string>{(d / "c.yaml").string(), (d / "sub/b.yaml").string(),
                                                   (d / "a.yaml").string()}));
}

TEST(HwConfigBases, CycleIsAnErrorNamingTheFiles) {
  const fs::path d = scratch();
  const std::string a = (d / "a.yaml").string(), b = (d / "b.yaml").string();
  put(a, "base: b.yaml\nname: a\n");
  put(b, "name: b\nbase: a.yaml\n");
  EXPECT_EQ(load_error(a), b + ":2: base: cycle: " + a + " -> " + b + " -> " + a);
  put(d / "self.yaml", "base: ./self.yaml\n");
  EXPECT_EQ(load_error(d / "self.yaml"),
            (d / "self.yaml").string() + ":1: base: cycle: " + (d / "self.yaml").string() + " -> " +
                (d / "self.yaml").string());
}

TEST(HwConfigBases, UnknownKeyInTheDerivedFileNamesItsLine) {
  const fs::path d = scratch();
  put(d / "base.yaml", kValid);
  put(d / "derived.yaml", "base: base.yaml\ngm:\n  bandwith_gbps: 9\n");
  EXPECT_EQ(load_error(d / "derived.yaml"),
            (d / "derived.yaml").string() + ":3: gm: unknown key 'bandwith_gbps' (expected one of: bandwidth_gbps, "
                                             "latency_cycles, core_bytes_per_cycle)");
  put(d / "top.yaml", "base: base.yaml\nclock_mhz: 9\n");
  EXPECT_EQ(load_error(d / "top.yaml").rfind((d / "top.yaml").string() + ":2: unknown key 'clock_mhz' (", 0), 0u);
  EXPECT_NE(load_error(d / "top.yaml").find(", base)"), std::string::npos);  // base is a key of a file
}

TEST(HwConfigBases, BadValueFromTheBaseNamesTheBaseFileAndLine) {
  const fs::path d = scratch();
  put(d / "base.yaml", with("  ub_kib: 65", "  ub_kib: lots"));  // line 11
  put(d / "derived.yaml", "base: base.yaml\nname: derived\n");
  EXPECT_EQ(load_error(d / "derived.yaml"),
            (d / "base.yaml").string() + ":11: buffers.ub_kib: expected a number, got 'lots'");
  // Overridden by the derived file: the base's bad value is never read.
  put(d / "fixed.yaml", "base: base.yaml\nbuffers: {ub_kib: 64}\n");
  EXPECT_EQ(load_error(d / "fixed.yaml"), "");
  // A value the derived file gives is reported there.
  put(d / "bad.yaml", "base: base.yaml\nbuffers:\n  ub_kib: 64\n  l1_kib: 0\n");
  EXPECT_EQ(load_error(d / "bad.yaml"), (d / "bad.yaml").string() + ":4: buffers.l1_kib: must be > 0, got 0");
}

TEST(HwConfigBases, BadBase) {
  const fs::path d = scratch();
  const std::string f = (d / "f.yaml").string();
  put(f, "name: x\nbase: missing.yaml\n");
  EXPECT_EQ(load_error(f), f + ":2: base: cannot read hardware file " + (d / "missing.yaml").string() +
                               ": No such file or directory");
  put(f, "base: a2a4\n");
  const std::string e = load_error(f);
  EXPECT_EQ(e.rfind(f + ":1: base: no preset 'a2a4' in ", 0), 0u) << e;
  EXPECT_NE(e.find("(presets: a2a3, a5, tiny;"), std::string::npos) << e;
  put(f, "base: [a2a3]\n");
  EXPECT_EQ(load_error(f), f + ":1: base: expected a preset name (a2a3) or a file path, got a sequence");
  put(f, "base: a2a3\nbase: a5\n");
  EXPECT_EQ(load_error(f), f + ":2: duplicate key 'base'");
  // `base` is a key of files only, at the top.
  put(f, "base: a2a3\ngm: {base: 1}\n");
  EXPECT_EQ(load_error(f).rfind(f + ":2: gm: unknown key 'base'", 0), 0u);
}

TEST(HwConfigBases, PresetNameIsTheShippedFile) {
  // The binary's tree: build-dev/bin/unit_tests -> configs/hw of this source.
  EXPECT_EQ(fs::canonical(sim::hw_preset_dir()), fs::canonical(fs::path(NPUSIM_SOURCE_DIR) / "configs/hw"));
  const fs::path d = scratch();
  put(d / "mine.yaml", "base: a2a3\nname: mine\ngm: {bandwidth_gbps: 800}\n");
  HwConfig want = load_hw_config(hw_file("a2a3"));
  want.name = "mine";
  want.gm.bandwidth_gbps = 800;
  expect_same_config(load_hw_config((d / "mine.yaml").string()), want);
}

// --- defaults (issue 9) -------------------------------------------------------

TEST(HwConfigDefaults, KeysWithADefaultMayBeLeftOut) {
  std::string text = with("issue_cycles: 5\n", "");
  text = text.substr(0, text.find("  l0c_to_ub_path: true\n")) + text.substr(text.find("\ngm: {") + 1);
  const HwConfig c = parse_hw_config(text, "t.yaml");
  EXPECT_EQ(c.issue_interval_cycles, 1u);
  EXPECT_FALSE(c.dma.l0c_to_ub_path);
  EXPECT_EQ(c.dma.l0c_to_ub.setup_cycles, 14u);  // l0c_to_gm's
  EXPECT_DOUBLE_EQ(c.dma.l0c_to_ub.bytes_per_cycle, 24);
  EXPECT_FALSE(c.dma.ub_to_l1_path);  // no UB -> L1 unless a file says so
  EXPECT_EQ(c.dma.ub_to_l1.setup_cycles, c.dma.ub_to_gm.setup_cycles);
  EXPECT_DOUBLE_EQ(c.dma.ub_to_l1.bytes_per_cycle, c.dma.ub_to_gm.bytes_per_cycle);
  // One key of the engine given, the other defaulted.
  const HwConfig half = parse_hw_config(with("    bytes_per_cycle: 27.5\n", ""), "t.yaml");
  EXPECT_EQ(half.dma.l0c_to_ub.setup_cycles, 17u);
  EXPECT_DOUBLE_EQ(half.dma.l0c_to_ub.bytes_per_cycle, 24);
  // Completion handling: 0 (not modelled), as before the keys existed.
  const HwConfig old = parse_hw_config(with(", completion_detect_cycles: 52, completion_cycles: 53", ""), "t.yaml");
  EXPECT_EQ(old.scheduler.completion_detect_cycles, 0u);
  EXPECT_EQ(old.scheduler.completion_cycles, 0u);
  // Keys without a default stay required.
  EXPECT_EQ(error_of(with("gm: {bandwidth_gbps: 48, latency_cycles: 19}", "gm: {bandwidth_gbps: 48}")),
            "t.yaml:26: gm: missing key 'latency_cycles'");
}

TEST(HwConfigDefaults, SettingsListEveryKeyWithItsOrigin) {
  std::string text = with("issue_cycles: 5\n", "");
  std::vector<sim::HwSetting> s;
  sim::parse_hw_source(text, "t.yaml").resolve(&s);
  ASSERT_EQ(s.size(), 62u);  // every value key of the schema, in schema order
  EXPECT_EQ(s[0].path, "name");
  EXPECT_EQ(s[0].value, "t");
  EXPECT_EQ(s[0].origin, "t.yaml:1");
  EXPECT_EQ(s[4].path, "issue_cycles");
  EXPECT_EQ(s[4].value, "1");
  EXPECT_EQ(s[4].origin, "default");
  EXPECT_EQ(s.back().path, "scheduler.completion_cycles");
  EXPECT_EQ(s.back().origin, "t.yaml:27");  // one line up: issue_cycles is gone
  // Edits name their --set; a default given as another key follows that key.
  text = text.substr(0, text.find("  l0c_to_ub_path: true\n")) + text.substr(text.find("\ngm: {") + 1);
  sim::HwSource src = sim::parse_hw_source(text, "t.yaml");
  src.set("dma.l0c_to_gm.setup_cycles", YAML::Load("3"), "--set hw.dma.l0c_to_gm.setup_cycles=3");
  const HwConfig c = src.resolve(&s);
  EXPECT_EQ(c.dma.l0c_to_ub.setup_cycles, 3u);
  std::map<std::string, sim::HwSetting> by_path;
  for (const sim::HwSetting& x : s) by_path[x.path] = x;
  EXPECT_EQ(by_path["dma.l0c_to_gm.setup_cycles"].origin, "--set hw.dma.l0c_to_gm.setup_cycles=3");
  EXPECT_EQ(by_path["dma.l0c_to_ub.setup_cycles"].value, "3");
  EXPECT_EQ(by_path["dma.l0c_to_ub.setup_cycles"].origin, "default (= dma.l0c_to_gm.setup_cycles)");
  EXPECT_EQ(by_path["dma.l0c_to_ub_path"].origin, "default");
  EXPECT_EQ(by_path["dma.ub_to_l1_path"].value, "false");
  EXPECT_EQ(by_path["dma.ub_to_l1_path"].origin, "default");
  EXPECT_EQ(by_path["dma.ub_to_l1.setup_cycles"].origin, "default (= dma.ub_to_gm.setup_cycles)");
  EXPECT_EQ(by_path["dma.l0c_to_gm.bytes_per_cycle"].origin, "t.yaml:18");
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
  // A nested map: dma.gm_to_l1 is on line 16.
  EXPECT_EQ(error_of(with("setup_cycles: 11, bytes_per_cycle: 21", "setup_cycles: 11")),
            "t.yaml:16: dma.gm_to_l1: missing key 'bytes_per_cycle'");
  // Top level: the document's map starts on line 1.
  EXPECT_EQ(error_of(with("vector_cores: 4\n", "")), "t.yaml:1: missing key 'vector_cores'");
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
  EXPECT_EQ(error_of(with("line_bytes: 256", "line_bytes: 1e9x")),
            "t.yaml:29: l2.line_bytes: expected a number, got '1e9x'");
  EXPECT_EQ(error_of(with("write_policy: write_through", "write_policy: write_around")),
            "t.yaml:29: l2.write_policy: expected write_back or write_through, got 'write_around'");
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
  EXPECT_EQ(error_of(with("clock_ghz: 1.5", "clock_ghz: 0")), "t.yaml:2: clock_ghz: must be in 0.001..1000, got 0");
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
            "t.yaml:19: dma.l0c_to_gm.bytes_per_cycle: must be in 0.001..1e+09, got -5");
  EXPECT_EQ(error_of(with("setup_cycles: 13,", "setup_cycles: -5,")),
            "t.yaml:18: dma.ub_to_gm.setup_cycles: must be in 0..1000000000, got -5");
  EXPECT_EQ(error_of(with("latency_cycles: 19", "latency_cycles: 99999999999")),
            "t.yaml:26: gm.latency_cycles: must be in 0..1000000000, got 99999999999");
  EXPECT_EQ(error_of(with("bandwidth_gbps: 48", "bandwidth_gbps: -1")),
            "t.yaml:26: gm.bandwidth_gbps: must be in 0.001..1e+09, got -1");
  EXPECT_EQ(error_of(with("threads: 2", "threads: 0")), "t.yaml:28: scheduler.threads: must be in 1..1024, got 0");
  EXPECT_EQ(error_of(with("binary: 1.1", "binary: -0.5")),
            "t.yaml:13: vector.binary: must be in 0..1e+06, got -0.5");
  EXPECT_EQ(error_of(with("fractals_per_cycle: 0.5", "fractals_per_cycle: 0")),
            "t.yaml:12: cube.fractals_per_cycle: must be in 0.001..1e+09, got 0");
}

TEST(HwConfigErrors, ValuesPastWhatTheModelRepresents) {
  // Issue 10, case 2: each of these passed validation and then spun forever
  // in the GM model or overflowed a cycle count; each limit is in its message.
  EXPECT_EQ(error_of(with("bandwidth_gbps: 48", "bandwidth_gbps: 1e-9")),
            "t.yaml:26: gm.bandwidth_gbps: must be in 0.001..1e+09, got 1e-9");
  EXPECT_EQ(error_of(with("clock_ghz: 1.5", "clock_ghz: 1e30")),
            "t.yaml:2: clock_ghz: must be in 0.001..1000, got 1e30");
  EXPECT_EQ(error_of(with("issue_cycles: 5", "issue_cycles: 4294967295")),
            "t.yaml:5: issue_cycles: must be in 0..1000000000, got 4294967295");
  EXPECT_EQ(error_of(with("setup_cycles: 14, bytes_per_cycle: 24", "setup_cycles: 14, bytes_per_cycle: 1e-300")),
            "t.yaml:19: dma.l0c_to_gm.bytes_per_cycle: must be in 0.001..1e+09, got 1e-300");
  EXPECT_EQ(error_of(with("fractals_per_cycle: 0.5", "fractals_per_cycle: 1e-20")),
            "t.yaml:12: cube.fractals_per_cycle: must be in 0.001..1e+09, got 1e-20");
  // threads = 2^32 - 1 ended in an unnamed std::bad_alloc.
  EXPECT_EQ(error_of(with("threads: 2", "threads: 4294967295")),
            "t.yaml:28: scheduler.threads: must be in 1..1024, got 4294967295");
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

// Issue 8: the L2's geometry is checked across its keys.
TEST(HwConfigErrors, L2GeometryMustFit) {
  EXPECT_EQ(error_of(with("sector_bytes: 64", "sector_bytes: 96")),
            "t.yaml:29: l2.sector_bytes: must divide l2.line_bytes (256), got 96");
  EXPECT_EQ(error_of(with("sector_bytes: 64", "sector_bytes: 2")),
            "t.yaml:29: l2.sector_bytes: a line holds at most 16 sectors: must be >= l2.line_bytes / 16 = 16, got 2");
  EXPECT_EQ(error_of(with("size_kib: 2048", "size_kib: 3")),
            "t.yaml:29: l2.size_kib: must be a whole number of sets: a multiple of l2.line_bytes x l2.associativity "
            "= 2048 B, got 3072 B");
  // A file without an l2 map has none: size 0, every request straight to HBM.
  const std::string no_l2 = kValid.substr(0, kValid.find("l2: {"));
  const HwConfig c = parse_hw_config(no_l2, "t.yaml");
  EXPECT_EQ(c.l2.size_bytes, 0u);
  EXPECT_EQ(c.l2.line_bytes, 512u);
  EXPECT_EQ(c.l2.sector_bytes, 512u);  // = line_bytes
  // burst_bytes is gone: an old file says so.
  EXPECT_EQ(error_of(with("  # (dma.burst_bytes was here; the L2 on line 29 replaced it)", "  burst_bytes: 32")),
            "t.yaml:15: dma: unknown key 'burst_bytes' (expected one of: gm_to_l1, gm_to_ub, ub_to_gm, l0c_to_gm, "
            "l1_to_l0a, l1_to_l0b, l0c_to_ub_path, l0c_to_ub, ub_to_l1_path, ub_to_l1)");
}

TEST(HwConfigErrors, OneDocumentOnly) {
  EXPECT_EQ(error_of(kValid + "---\nname: u\n"), "t.yaml:30: expected one YAML document; a second one starts here");
  EXPECT_EQ(error_of(""), "t.yaml:1: expected a map, got an empty value");
}

TEST(HwConfigErrors, LineStartingWithACommaIsASyntaxError) {
  // yaml-cpp 0.7 reads these as an endless run of empty documents (LoadAll
  // never returned: issue 10, case 1); the loader looks at two at most.
  EXPECT_EQ(error_of(","), "t.yaml:1: YAML syntax error: unexpected ','");
  // As at the start of line 3 of a2a3.yaml, below its header comments.
  EXPECT_EQ(error_of("# hw\n#\n," + kValid), "t.yaml:3: YAML syntax error: unexpected ','");
  // Before a map, too.
  EXPECT_EQ(error_of("," + kValid), "t.yaml:1: YAML syntax error: unexpected ','");
}

TEST(HwConfigErrors, MissingFile) {
  try {
    load_hw_config("/nonexistent/npusim/x.yaml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "cannot read hardware file /nonexistent/npusim/x.yaml: No such file or directory");
  }
  try {
    load_hw_config(NPUSIM_SOURCE_DIR);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), std::string(NPUSIM_SOURCE_DIR) + " is a directory (expected a hardware file)");
  }
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
