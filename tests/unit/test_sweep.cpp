// tools/cli/sweep: the sweep file, its expansion, the child command, the CSV
// and resuming from it. No processes (tests/cli/test_sweep_cli.cpp runs them).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tools/cli/sweep.h"

namespace {

using namespace cli::sweep;
using Row = std::vector<std::string>;

const std::string kSrc = NPUSIM_SOURCE_DIR;

std::vector<Row> values(const std::vector<Point>& ps) {
  std::vector<Row> v;
  for (const Point& p : ps) v.push_back(p.values);
  return v;
}

std::string error_of(const std::string& yaml) {
  try {
    parse_spec(yaml, "s.yaml");
  } catch (const SweepError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Sweep, ExpandsTheCartesianProductFirstAxisOutermost) {
  const Spec s = parse_spec(
      "hw: h.yaml\n"
      "workload: w.yaml\n"
      "axes:\n"
      "  workload.tiling.k: [128, 256, 512]\n"
      "  hw.gm.bandwidth_gbps: [800, 1600]\n",
      "s.yaml");
  EXPECT_EQ(s.hw, "h.yaml");
  EXPECT_EQ(s.workload, "w.yaml");
  EXPECT_EQ(s.columns(), (Row{"workload.tiling.k", "hw.gm.bandwidth_gbps"}));
  const std::vector<Point> ps = expand(s);
  ASSERT_EQ(ps.size(), 6u);
  EXPECT_EQ(values(ps), (std::vector<Row>{{"128", "800"},
                                          {"128", "1600"},
                                          {"256", "800"},
                                          {"256", "1600"},
                                          {"512", "800"},
                                          {"512", "1600"}}));
  for (size_t i = 0; i < ps.size(); ++i) EXPECT_EQ(ps[i].index, i);
}

TEST(Sweep, ZipGroupMovesTogetherAsOneDimension) {
  const Spec s = parse_spec(
      "hw: h.yaml\n"
      "workload: w.yaml\n"
      "axes:\n"
      "  hw.gm.bandwidth_gbps: [800, 1600]\n"
      "zip:\n"
      "  - workload.variant: [baseline, fused_qkrope, reviewed]\n"
      "    workload.tiling.kv_out_chunk: [64, 128, 128]\n",
      "s.yaml");
  ASSERT_EQ(s.dims.size(), 2u);
  EXPECT_EQ(s.columns(), (Row{"hw.gm.bandwidth_gbps", "workload.variant", "workload.tiling.kv_out_chunk"}));
  EXPECT_EQ(values(expand(s)), (std::vector<Row>{{"800", "baseline", "64"},
                                                 {"800", "fused_qkrope", "128"},
                                                 {"800", "reviewed", "128"},
                                                 {"1600", "baseline", "64"},
                                                 {"1600", "fused_qkrope", "128"},
                                                 {"1600", "reviewed", "128"}}));
}

TEST(Sweep, ZipAloneAndTwoZipGroupsMultiply) {
  const Spec s = parse_spec(
      "hw: h.yaml\n"
      "workload: w.yaml\n"
      "zip:\n"
      "  - {hw.a: [1, 2], hw.b: [3, 4]}\n"
      "  - {workload.c: [x, y, z]}\n",
      "s.yaml");
  EXPECT_EQ(expand(s).size(), 6u);
  EXPECT_EQ(expand(s)[5].values, (Row{"2", "4", "z"}));
}

TEST(Sweep, FileAxesSweepTheBaseFiles) {
  const Spec s = parse_spec(
      "hw: h.yaml\n"
      "axes:\n"
      "  workload: [a.yaml, b.yaml]\n"
      "  workload.tiling.k: [1]\n",
      "s.yaml");
  EXPECT_EQ(s.workload, "");
  const std::vector<Point> ps = expand(s);
  EXPECT_EQ(run_args(s, ps[1], "r.json"),
            (Row{"run", "--hw", "h.yaml", "--workload", "b.yaml", "--set", "workload.tiling.k=1", "--report",
                 "r.json", "-q"}));
}

TEST(Sweep, RunArgsPassEveryAxisAsSet) {
  const Spec s = parse_spec(
      "hw: h.yaml\nworkload: w.yaml\naxes:\n  hw.gm.bandwidth_gbps: [800]\n  workload.list: [[1, 2]]\n", "s.yaml");
  EXPECT_EQ(run_args(s, expand(s)[0], "out/p.json"),
            (Row{"run", "--hw", "h.yaml", "--workload", "w.yaml", "--set", "hw.gm.bandwidth_gbps=800", "--set",
                 "workload.list=[1, 2]", "--report", "out/p.json", "-q"}));
}

TEST(Sweep, ValueTextKeepsPlainQuotedAndFlowValues) {
  EXPECT_EQ(value_text("128"), "128");
  EXPECT_EQ(value_text("fused_qkrope"), "fused_qkrope");
  EXPECT_EQ(value_text("\"128\""), "\"128\"");
  EXPECT_EQ(value_text("[1,2]"), "[1, 2]");
  EXPECT_EQ(value_text("{a: 1}"), "{a: 1}");
}

TEST(Sweep, SweepFileErrorsNameFileLineAndKey) {
  const std::string head = "hw: h.yaml\nworkload: w.yaml\n";
  EXPECT_EQ(error_of(head + "axes:\n  workload.k: [1]\nfoo: 1\n"),
            "s.yaml:5: foo: unknown key (expected one of: hw, workload, axes, zip, timeout, description)");
  EXPECT_EQ(error_of(head + "axes:\n  gm.bandwidth_gbps: [1]\n"),
            "s.yaml:4: axes.gm.bandwidth_gbps: an axis key is hw.<key.path>, workload.<key.path>, or hw / workload "
            "(the base file itself)");
  EXPECT_EQ(error_of(head + "axes:\n  hw.gm.bandwidth_gbps: []\n"),
            "s.yaml:4: axes.hw.gm.bandwidth_gbps: expected a non-empty list of values, e.g. [128, 256]");
  EXPECT_EQ(error_of(head + "axes:\n  hw.gm.bandwidth_gbps: 800\n"),
            "s.yaml:4: axes.hw.gm.bandwidth_gbps: expected a non-empty list of values, e.g. [128, 256]");
  EXPECT_EQ(error_of(head + "axes:\n  hw.x: [1, 2, 1]\n"),
            "s.yaml:4: axes.hw.x: value 3 repeats value 1 (1): every point must be distinct");
  EXPECT_EQ(error_of(head + "axes:\n  hw.x: [1]\nzip:\n  - {hw.y: [1], hw.x: [2]}\n"),
            "s.yaml:6: zip[0].hw.x: swept twice (also on line 4)");
  EXPECT_EQ(error_of(head + "zip:\n  - hw.a: [1, 2, 3]\n    hw.b: [1, 2]\n"),
            "s.yaml:5: zip[0].hw.b: has 2 values, zip[0].hw.a has 3 (a zip group moves together: equal lengths)");
  EXPECT_EQ(error_of(head), "s.yaml:1: axes: no axes (give axes: or zip:)");
  EXPECT_EQ(error_of("workload: w.yaml\naxes: {hw.x: [1]}\n"),
            "s.yaml:1: hw: missing: give the base hardware file (or sweep it: axes: {hw: [...]})");
  EXPECT_EQ(error_of(head + "axes: [1, 2]\n"), "s.yaml:3: axes: expected a map of KEY: [values]");
  EXPECT_NE(error_of(head + "axes: {hw.x: [1\n").find("s.yaml:"), std::string::npos);
}

TEST(Sweep, TimeoutIsAPositiveNumberOfSeconds) {
  const std::string head = "hw: h.yaml\nworkload: w.yaml\naxes: {hw.x: [1]}\n";
  EXPECT_EQ(parse_spec(head, "s.yaml").timeout, 0.0);  // none: no limit
  EXPECT_EQ(parse_spec(head + "timeout: 600\n", "s.yaml").timeout, 600.0);
  EXPECT_EQ(parse_spec(head + "timeout: 0.5\n", "s.yaml").timeout, 0.5);
  for (const char* bad : {"0", "-1", "10s", "inf", "nan", "[1]", ""})
    EXPECT_EQ(error_of(head + "timeout: " + bad + "\n"),
              "s.yaml:4: timeout: expected a positive number of seconds, e.g. 600")
        << bad;
  EXPECT_EQ(error_of(head + "timeout: 1\ntimeout: 2\n"), "s.yaml:5: timeout: duplicate key");
}

TEST(Sweep, CheckKeysFindsEachKeyInTheBaseFiles) {
  const std::string hw = kSrc + "/configs/hw/tiny.yaml";
  const std::string gemm = kSrc + "/configs/workloads/gemm.yaml";
  Spec ok = parse_spec("hw: " + hw + "\nworkload: " + gemm +
                           "\naxes:\n  hw.gm.bandwidth_gbps: [1]\n  workload.tiling.tile_k: [64]\n",
                       "s.yaml");
  EXPECT_NO_THROW(check_keys(ok));
  Spec bad = parse_spec("hw: " + hw + "\nworkload: " + gemm + "\naxes:\n  hw.gm.bandwith_gbps: [1]\n", "s.yaml");
  try {
    check_keys(bad);
    FAIL() << "no error";
  } catch (const SweepError& e) {
    EXPECT_EQ(std::string(e.what()), "s.yaml:4: axes.hw.gm.bandwith_gbps: no such key in " + hw);
  }
  // With the workload swept, a key needs to exist in one of the files only.
  Spec some = parse_spec("hw: " + hw + "\naxes:\n  workload: [" + gemm + ", " + kSrc +
                             "/configs/workloads/dma_sweep.yaml]\n  workload.count: [1]\n",
                         "s.yaml");
  EXPECT_NO_THROW(check_keys(some));
}

// Issue 9: a hw key is one of the hardware schema, whether the file writes
// it, inherits it from its base or leaves it to its default.
TEST(Sweep, CheckKeysTakesHwKeysFromTheBaseAndTheDefaults) {
  const std::string a5 = kSrc + "/configs/hw/a5.yaml";  // base: a2a3
  const std::string gemm = kSrc + "/configs/workloads/gemm.yaml";
  Spec ok = parse_spec("hw: " + a5 + "\nworkload: " + gemm +
                           "\naxes:\n  hw.cube.fill_cycles: [1]\n  hw.dma.l0c_to_ub.bytes_per_cycle: [2]\n",
                       "s.yaml");
  EXPECT_NO_THROW(check_keys(ok));
  for (const char* key : {"hw.cube.fill", "hw.base", "hw.cube.fill_cycles.x"}) {
    Spec bad = parse_spec("hw: " + a5 + "\nworkload: " + gemm + "\naxes:\n  " + key + ": [1]\n", "s.yaml");
    try {
      check_keys(bad);
      ADD_FAILURE() << key << ": no error";
    } catch (const SweepError& e) {
      EXPECT_EQ(std::string(e.what()), "s.yaml:4: axes." + std::string(key) + ": no such key in " + a5);
    }
  }
}

TEST(Sweep, CsvLinesQuoteWhatNeedsItAndParseBack) {
  const Row r = {"0", "[1, 2]", "a \"b\"", "", "plain", "x\ny", " lead"};
  const std::string line = csv_line(r);
  EXPECT_EQ(line, "0,\"[1, 2]\",\"a \"\"b\"\"\",,plain,\"x\ny\",\" lead\"\n");
  EXPECT_EQ(parse_csv_line(csv_line({"a", "b,c", "d"}).substr(0, csv_line({"a", "b,c", "d"}).size() - 1)),
            (Row{"a", "b,c", "d"}));
  EXPECT_EQ(parse_csv_line(",,"), (Row{"", "", ""}));
  EXPECT_THROW(parse_csv_line("\"open"), std::runtime_error);
}

TEST(Sweep, OneLineJoinsAChildsStderr) {
  EXPECT_EQ(one_line("npusim: workload error: f.yaml:3: x: bad\n"), "workload error: f.yaml:3: x: bad");
  EXPECT_EQ(one_line("first\n\n  second  \r\n"), "first |   second");
  EXPECT_EQ(one_line(""), "");
}

TEST(Sweep, RowsHoldAxisValuesStatusAndTotals) {
  const Point p{3, {"128", "800"}};
  nlohmann::ordered_json rep = {{"total_cycles", 1000},
                                {"total_us", 0.5},
                                {"totals", {{"launches", 7}, {"dma_count", 9}, {"dma_size_histogram", {{"x", 1}}}}},
                                {"roofline", {{"ratio", 1.25}}}};
  const std::vector<std::string> h = csv_header({"a", "b"});
  const Row ok = ok_row(p, rep);
  ASSERT_EQ(ok.size(), h.size());
  auto col = [&](const Row& r, const std::string& name) {
    return r[size_t(std::find(h.begin(), h.end(), name) - h.begin())];
  };
  EXPECT_EQ(col(ok, "point"), "3");
  EXPECT_EQ(col(ok, "a"), "128");
  EXPECT_EQ(col(ok, "status"), "ok");
  EXPECT_EQ(col(ok, "error"), "");
  EXPECT_EQ(col(ok, "total_cycles"), "1000");
  EXPECT_EQ(col(ok, "total_us"), "0.5");
  EXPECT_EQ(col(ok, "launches"), "7");
  EXPECT_EQ(col(ok, "dma_count"), "9");
  EXPECT_EQ(col(ok, "tasks"), "");
  EXPECT_EQ(col(ok, "roofline_ratio"), "1.25");
  EXPECT_EQ(std::find(h.begin(), h.end(), "dma_size_histogram"), h.end());
  const Row err = error_row(p, "boom");
  ASSERT_EQ(err.size(), h.size());
  EXPECT_EQ(col(err, "status"), "error");
  EXPECT_EQ(col(err, "error"), "boom");
  EXPECT_EQ(col(err, "total_cycles"), "");
}

TEST(Sweep, ResumeReadsFinishedRowsAndDropsAPartialLastLine) {
  const Row h = csv_header({"a"});
  const Point p0{0, {"1"}}, p1{1, {"2"}};
  const std::string whole = csv_line(h) + csv_line(error_row(p1, "x, y")) + csv_line(error_row(p0, "z"));
  const std::string partial = "2,3,ok,,12";
  Existing e = read_existing(whole + partial, "r.csv", h);
  EXPECT_TRUE(e.has_header);
  EXPECT_TRUE(e.partial_line);
  EXPECT_EQ(e.keep_bytes, whole.size());
  EXPECT_EQ(e.rows, 2u);
  EXPECT_EQ(e.done, (std::set<Row>{{"1"}, {"2"}}));

  e = read_existing(whole, "r.csv", h);
  EXPECT_FALSE(e.partial_line);
  EXPECT_EQ(e.keep_bytes, whole.size());

  e = read_existing("point,a,sta", "r.csv", h);  // killed while writing the header
  EXPECT_FALSE(e.has_header);
  EXPECT_EQ(e.keep_bytes, 0u);
  e = read_existing("", "r.csv", h);
  EXPECT_FALSE(e.has_header);
}

TEST(Sweep, RetryFailedDropsTheErrorRowsOfThisSweepsPointsOnly) {
  const Row h = csv_header({"a"});
  const std::vector<Point> ps = {{0, {"1"}}, {1, {"2"}}, {2, {"3"}}};
  const Point other{7, {"9"}};  // a row of a point not in this sweep: it would not run again
  nlohmann::ordered_json rep = {{"total_cycles", 1}};
  const std::string kept = csv_line(h) + csv_line(ok_row(ps[0], rep)) + csv_line(error_row(other, "x"));
  const std::string text = csv_line(h) + csv_line(error_row(ps[2], "timed out after 1 s (killed)")) +
                           csv_line(ok_row(ps[0], rep)) + csv_line(error_row(ps[1], "a, \"quoted\" one")) +
                           csv_line(error_row(other, "x"));
  size_t dropped = 9;
  EXPECT_EQ(drop_failed(text, h, ps, dropped), kept);
  EXPECT_EQ(dropped, 2u);
  EXPECT_EQ(drop_failed(kept, h, ps, dropped), kept);
  EXPECT_EQ(dropped, 0u);
}

TEST(Sweep, ResumeRejectsAnotherSweepsCsv) {
  const Row h = csv_header({"a"});
  EXPECT_THROW(read_existing(csv_line(csv_header({"b"})), "r.csv", h), std::runtime_error);
  try {
    read_existing(csv_line(h) + "0,1,ok\n", "r.csv", h);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("r.csv:2: expected " + std::to_string(h.size()) + " fields, got 3", 0), 0u)
        << e.what();
  }
}

TEST(Sweep, ShellQuoteAndJobLine) {
  EXPECT_EQ(shell_quote("configs/hw/a2a3.yaml"), "configs/hw/a2a3.yaml");
  EXPECT_EQ(shell_quote("workload.list=[1, 2]"), "'workload.list=[1, 2]'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote(""), "''");
  const Spec s = parse_spec("hw: h.yaml\nworkload: w.yaml\naxes: {hw.x: [1]}\n", "s.yaml");
  EXPECT_EQ(job_line("/bin/npusim", s, expand(s)[0], "jobs"),
            "rm -f jobs/results/point-0.json jobs/results/point-0.err; /bin/npusim run --hw h.yaml --workload w.yaml "
            "--set hw.x=1 --report jobs/results/point-0.json -q 2> jobs/results/point-0.err && rm -f "
            "jobs/results/point-0.err");
}

}  // namespace
