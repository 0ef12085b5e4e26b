// tools/cli/overrides (npusim run --set): key paths, values, and the messages
// for overridden keys.
#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include <string>

#include "sim/file_io.h"
#include "sim/hw_config.h"
#include "tools/cli/overrides.h"

namespace {

using cli::apply_override;
using cli::Override;
using cli::OverrideError;
using cli::parse_override;

const std::string kSrc = NPUSIM_SOURCE_DIR;

std::string override_error(YAML::Node& doc, const std::string& arg) {
  try {
    apply_override(doc, parse_override(arg), "f.yaml");
  } catch (const OverrideError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Overrides, ParseSplitsTargetPathAndValue) {
  const Override o = parse_override("hw.gm.bandwidth_gbps=800");
  EXPECT_EQ(o.target, "hw");
  EXPECT_EQ(o.path, "gm.bandwidth_gbps");
  EXPECT_EQ(o.value, "800");
  EXPECT_EQ(o.origin(), "--set hw.gm.bandwidth_gbps=800");
  EXPECT_EQ(parse_override("workload.list=[1, 2]").value, "[1, 2]");
  EXPECT_EQ(parse_override("workload.a=b=c").value, "b=c");
  EXPECT_THROW(parse_override("hw.gm.bandwidth_gbps"), OverrideError);
  EXPECT_THROW(parse_override("gm.bandwidth_gbps=1"), OverrideError);
  EXPECT_THROW(parse_override("hw=1"), OverrideError);
  EXPECT_THROW(parse_override("hw.a..b=1"), OverrideError);
  EXPECT_THROW(parse_override("hw.a[x]=1"), OverrideError);
}

TEST(Overrides, ScalarKeepsItsPlaceFlowValuesReplace) {
  YAML::Node doc = YAML::Load("a: 1\nm:\n  b: 2\n  c: [1, 2, 3]\nq: \"text\"\n");
  apply_override(doc, parse_override("workload.m.b=20"), "f.yaml");
  EXPECT_EQ(doc["m"]["b"].Scalar(), "20");
  EXPECT_EQ(doc["m"]["b"].Mark().line, 2);  // still the file's line (0-based)
  apply_override(doc, parse_override("workload.m.c[1]=7"), "f.yaml");
  EXPECT_EQ(doc["m"]["c"][1].as<int>(), 7);
  EXPECT_EQ(doc["m"]["c"].size(), 3u);
  apply_override(doc, parse_override("workload.a=[4, 5]"), "f.yaml");
  ASSERT_TRUE(doc["a"].IsSequence());
  EXPECT_EQ(doc["a"][1].as<int>(), 5);
  apply_override(doc, parse_override("workload.q=plain"), "f.yaml");
  EXPECT_EQ(doc["q"].Scalar(), "plain");
  EXPECT_NE(doc["q"].Tag(), "!");  // no longer quoted
  // Other keys untouched, nothing added.
  EXPECT_EQ(doc.size(), 3u);
  EXPECT_EQ(doc["m"].size(), 2u);
}

TEST(Overrides, UnknownKeyIsAnErrorNamingKeyAndFile) {
  YAML::Node doc = YAML::Load("gm: {bandwidth_gbps: 1}\nlist: [1]\n");
  EXPECT_EQ(override_error(doc, "hw.gm.bandwith_gbps=5"), "--set hw.gm.bandwith_gbps: no such key in f.yaml");
  EXPECT_EQ(override_error(doc, "hw.gm.bandwidth_gbps.x=5"), "--set hw.gm.bandwidth_gbps.x: no such key in f.yaml");
  EXPECT_EQ(override_error(doc, "hw.list[1]=5"), "--set hw.list[1]: no such key in f.yaml");
  EXPECT_NE(override_error(doc, "hw.gm.bandwidth_gbps=[1").find("is not valid YAML"), std::string::npos);
  EXPECT_EQ(doc["gm"].size(), 1u);
}

TEST(Overrides, HwErrorInAnOverriddenKeyNamesTheSet) {
  const std::string file = kSrc + "/configs/hw/tiny.yaml";
  const Override o = parse_override("hw.gm.bandwidth_gbps=-5");
  try {
    cli::load_hw_source(file, {o}).resolve();
    FAIL() << "no error";
  } catch (const sim::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              file + ": gm.bandwidth_gbps: must be in 0.001..1e+09, got -5 (from --set hw.gm.bandwidth_gbps=-5)");
  }
  // A valid override lands in the config; untouched keys keep their values.
  const Override ok = parse_override("hw.gm.bandwidth_gbps=123.5");
  const sim::HwConfig c = cli::load_hw_source(file, {ok}).resolve();
  EXPECT_EQ(c.gm.bandwidth_gbps, 123.5);
  EXPECT_EQ(c.name, sim::load_hw_config(file).name);
  // The last --set of a key wins.
  EXPECT_EQ(cli::load_hw_source(file, {o, ok}).resolve().gm.bandwidth_gbps, 123.5);
}

TEST(Overrides, HwErrorsElsewhereKeepTheirLine) {
  const std::string file = kSrc + "/configs/hw/tiny.yaml";
  std::string text = sim::read_file(file, "hardware");
  text.replace(text.find("clock_ghz: 1 "), 13, "clock_ghz: x ");
  sim::HwSource hw = sim::parse_hw_source(text, file);
  cli::apply_override(hw, parse_override("hw.name=renamed"));
  try {
    hw.resolve();
    FAIL() << "no error";
  } catch (const sim::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), file + ":7: clock_ghz: expected a number, got 'x'");
  }
}

TEST(Overrides, HwKeyMustBeInTheSchema) {
  sim::HwSource hw = sim::parse_hw_source("name: t\n", "f.yaml");
  auto err = [&](const std::string& arg) {
    try {
      cli::apply_override(hw, parse_override(arg));
    } catch (const OverrideError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(err("hw.gm.bandwith_gbps=5"), "--set hw.gm.bandwith_gbps: no such key in f.yaml");
  EXPECT_EQ(err("hw.gm.bandwidth_gbps.x=5"), "--set hw.gm.bandwidth_gbps.x: no such key in f.yaml");
  EXPECT_EQ(err("hw.dma.gm_to_l1[0]=5"), "--set hw.dma.gm_to_l1[0]: no such key in f.yaml");
  EXPECT_EQ(err("hw.base=a5"), "--set hw.base: the base of a hardware file cannot be set (give another --hw file)");
  EXPECT_NE(err("hw.gm.bandwidth_gbps=[1").find("is not valid YAML"), std::string::npos);
  // Keys the file does not write are fine: they exist in the schema.
  EXPECT_EQ(err("hw.gm.bandwidth_gbps=5"), "no error");
  EXPECT_EQ(err("hw.dma.l0c_to_ub={setup_cycles: 1}"), "no error");
}

// Issue 9: a key the file inherits from its base, or leaves to its default,
// can be set like one it writes.
TEST(Overrides, HwSetOnAKeyOnlyTheBaseHas) {
  const std::string a5 = kSrc + "/configs/hw/a5.yaml";
  const sim::HwConfig c = cli::load_hw_source(a5, {parse_override("hw.cube.fill_cycles=9"),
                                                  parse_override("hw.gm.latency_cycles=7")})
                              .resolve();
  EXPECT_EQ(c.cube.fill_cycles, 9u);  // a2a3.yaml's key, not in a5.yaml
  EXPECT_EQ(c.gm.latency_cycles, 7u);
  EXPECT_EQ(c.name, "a5");
  EXPECT_EQ(c.core_groups, 36u);
  // A map merges with the base's: the other key is kept.
  const sim::HwConfig m = cli::load_hw_source(a5, {parse_override("hw.gm={latency_cycles: 3}")}).resolve();
  EXPECT_EQ(m.gm.latency_cycles, 3u);
  EXPECT_DOUBLE_EQ(m.gm.bandwidth_gbps, 968);
  // A key left to its default.
  std::string text = sim::read_file(kSrc + "/configs/hw/tiny.yaml", "hardware");
  const size_t at = text.find("issue_cycles: 1 ");
  ASSERT_NE(at, std::string::npos);
  text.erase(at, text.find('\n', at) + 1 - at);
  sim::HwSource hw = sim::parse_hw_source(text, "t.yaml");
  EXPECT_EQ(hw.resolve().issue_interval_cycles, 1u);  // the default
  cli::apply_override(hw, parse_override("hw.issue_cycles=3"));
  EXPECT_EQ(hw.resolve().issue_interval_cycles, 3u);
}

TEST(Overrides, WorkloadErrorAboutAnOverriddenKeyNamesTheSet) {
  const std::vector<Override> os = {parse_override("workload.tiling.tile_k=300"),
                                    parse_override("workload.seq_lens.list=[1]")};
  EXPECT_EQ(cli::explain_workload_error("w.yaml:7: tiling.tile_k: K=2048 is not a multiple of 300", "w.yaml", os),
            "w.yaml: tiling.tile_k: K=2048 is not a multiple of 300 (from --set workload.tiling.tile_k=300)");
  EXPECT_EQ(cli::explain_workload_error("w.yaml:9: seq_lens.list[0]: bad", "w.yaml", os),
            "w.yaml: seq_lens.list[0]: bad (from --set workload.seq_lens.list=[1])");
  // Not overridden (a prefix of a name is not a parent): unchanged.
  for (const std::string m : {"w.yaml:6: tiling.tile_m: bad", "w.yaml:6: tiling.tile_kk: bad", "other: x"})
    EXPECT_EQ(cli::explain_workload_error(m, "w.yaml", os), m);
}

}  // namespace
