// The counter registry (sim/counters.h) and the outputs made from it: the
// report's JSON, the summary, `compare`, `check`, report validation, the
// sweep CSV and the README's table. sim::Stats is driven directly with
// InstrEvents (no SystemC kernel), with hand-made times.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "isa/error.h"
#include "sim/counters.h"
#include "sim/stats.h"
#include "tests/common/program_dsl.h"
#include "tools/cli/check.h"
#include "tools/cli/cli.h"
#include "tools/cli/report_io.h"
#include "tools/cli/sweep.h"

namespace {

using namespace testdsl;
using isa::DType;
using isa::Op;
using isa::Space;
using nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr uint64_t kLatency = 20;  // tiny.yaml's gm.latency_cycles

// A program of two kernels, "k" (tasks 0, 1) and "other" (task 2), three sites.
isa::Program two_kernels() {
  isa::Program p = program({{"x", 4096, DType::FP32}, {"seq", 16, DType::INT32}});
  p.sites = {"k: load x", "k: compute", "k: sync"};
  add_task(p, "k", {}, {{}});
  add_task(p, "other", {}, {{}});
  p.tasks.push_back(p.tasks[0]);  // task 2: kernel k again
  return p;
}

isa::Instr instr(Op op, uint32_t site) {
  isa::Instr i;
  i.op = op;
  i.site = site;
  return i;
}

// What the cost model would say of `in`, by hand: its class is the op's.
sim::Cost cost(const isa::Instr& in, sim::Pipe pipe, sim::DmaDir dir = sim::DmaDir::None, uint64_t bytes = 0) {
  sim::Cost c;
  c.cls = isa::cost_class(in);
  c.pipe = pipe;
  c.dir = dir;
  c.bytes = bytes;
  return c;
}

// Every kind of event a Stats counts, with hand-made times. Instructions and
// costs live here: events point at them.
struct Scenario {
  isa::Program p = two_kernels();
  isa::Instr tload = instr(Op::TLOAD, 0), tstore = instr(Op::TSTORE, 0), vadd = instr(Op::VBIN, 1),
             mm = instr(Op::TMATMUL, 1), wait = instr(Op::WAIT, 2), sload = instr(Op::SLOAD, 2);
  sim::Cost load_c = cost(tload, sim::Pipe::MTE2, sim::DmaDir::Load, 1024),
            store_c = cost(tstore, sim::Pipe::MTE3, sim::DmaDir::Store, 128), vec_c = cost(vadd, sim::Pipe::VEC),
            cube_c = cost(mm, sim::Pipe::CUBE), wait_c = cost(wait, sim::Pipe::SCALAR),
            sload_c = cost(sload, sim::Pipe::SCALAR);
  sim::Stats stats{p};

  // A GM DMA's pipe is free kLatency before its data is visible at `end`.
  sim::InstrEvent ev(const isa::Instr& in, const sim::Cost& c, uint64_t start, uint64_t end,
                     const sim::MemResult* mem = nullptr) {
    return sim::InstrEvent{0, &in, &c, start, c.gm_dma() ? end - kLatency : end, end, 0, mem};
  }
  // What the memory system said of the DMAs (by hand, tiny's 128 B lines):
  // the first load misses its 8 lines, the second hits them; the store
  // allocates its line (write-back: no HBM) after evicting 64 dirty bytes.
  sim::MemResult cold = mem(0, 8, 0, 1024, 0), warm = mem(8, 0, 1024, 0, 0), stored = mem(0, 1, 128, 0, 64);
  static sim::MemResult mem(uint64_t hits, uint64_t misses, uint64_t hit_bytes, uint64_t fill, uint64_t wb) {
    sim::MemResult m;
    m.l2_hits = hits;
    m.l2_misses = misses;
    m.hit_bytes = hit_bytes;
    m.miss_bytes = m.fill_bytes = fill;
    m.writeback_bytes = wb;
    return m;
  }

  Scenario() {
    mm.a = tile(Space::L0A, 0, 16, 32, DType::BF16);
    mm.b = tile(Space::L0B, 0, 32, 16, DType::BF16);
    sload.gm.tensor = 1;
    tload.gm.tensor = tstore.gm.tensor = 0;
    // Task 0 (k): ready at 0, dispatched at 0; overhead 150.
    stats.on_dispatch(0, 0, 0, 150);
    // Two loads at site 0: each holds MTE2 from its issue to its last byte,
    // data visible 20 (latency) later: 150..192 and 192..234 -> 42 + 42.
    stats.on_instr(0, ev(tload, load_c, 150, 212, &cold));
    stats.on_instr(0, ev(tload, load_c, 192, 254, &warm));
    stats.on_instr(0, ev(vadd, vec_c, 254, 272));  // site 1: 18
    stats.on_instr(0, ev(wait, wait_c, 150, 300));  // site 2: waiting only: 0
    stats.on_instr(0, ev(sload, sload_c, 300, 330));  // site 2: 30
    stats.on_instr(0, ev(mm, cube_c, 330, 338));  // site 1: 8; 2 * 16 * 32 * 16 flops
    // Two execution records (two cores ran instructions): ends 338 and 272.
    stats.on_task_end(0, 150, 338, {338, 272});
    // Handed to the core at 100, detected at 358: latencies 338 - 100 + 20 = 258
    // and 272 - 100 + 20 = 192 (each record as long after its core's end as
    // the task's detection after the task's end).
    stats.on_detected(0, 100, 358);
    // Task 1 (other): ready at 0, dispatched at 100 (waited 100).
    stats.on_dispatch(1, 0, 100, 150);
    stats.on_instr(1, ev(tstore, store_c, 250, 284, &stored));  // 128 B: 250..264 on MTE3 -> 14
    stats.on_task_end(1, 250, 284, {284});  // exec 34
    stats.on_detected(1, 200, 284);          // latency 84
    // Task 2 (k) dispatched, runs nothing.
    stats.on_dispatch(2, 0, 200, 150);
    stats.on_task_end(2, 350, 350, {});  // no instructions: no record
    stats.on_detected(2, 300, 350);
  }
  ordered_json report() { return stats.report(tiny_hw(), 400, {}); }
};

const ordered_json* kernel(const ordered_json& r, const std::string& name) {
  for (const auto& k : r["kernels"])
    if (k["name"] == name) return &k;
  return nullptr;
}

// What `body` printed on stdout.
template <class F>
std::string stdout_of(F body) {
  const fs::path f = fs::temp_directory_path() / ("npusim_counters_" + std::to_string(::getpid()) + ".out");
  std::fflush(stdout);
  const int saved = ::dup(1);
  const int fd = ::open(f.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ::dup2(fd, 1);
  ::close(fd);
  body();
  std::fflush(stdout);
  ::dup2(saved, 1);
  ::close(saved);
  std::ifstream in(f);
  std::stringstream ss;
  ss << in.rdbuf();
  fs::remove(f);
  return ss.str();
}

}  // namespace

TEST(Counters, RegistryKeysAreUniqueAndDescribed) {
  std::set<std::string> keys;
  for (const sim::CounterInfo& c : sim::counters()) {
    EXPECT_TRUE(keys.insert(c.key).second) << c.key;
    EXPECT_NE(std::string(c.unit), "") << c.key;
    EXPECT_NE(std::string(c.description), "") << c.key;
    EXPECT_EQ(c.sum != nullptr, c.agg == sim::Agg::Sum) << c.key;
    EXPECT_EQ(c.histogram != nullptr, c.agg == sim::Agg::Histogram) << c.key;
    EXPECT_EQ(c.stat != nullptr, c.agg == sim::Agg::Stat) << c.key;
    EXPECT_EQ(c.parts().empty(), c.agg != sim::Agg::Stat) << c.key;
    EXPECT_EQ(sim::find_counter(c.key), &c);
  }
  EXPECT_EQ(sim::find_counter("no_such_counter"), nullptr);
  // The keys of every report so far, in their order (a contract: scripts read them).
  const std::vector<std::string> kept = {
      "tasks",        "launches",     "launch_overhead_cycles", "dispatch_wait_cycles", "instructions",
      "dma_count",    "dma_bytes",    "dma_bus_bytes",          "load_count",           "load_bytes",
      "store_count",  "store_bytes",  "scalar_reads",           "cube_busy_cycles",     "vector_busy_cycles",
      "task_cycles",  "flops"};
  for (size_t i = 0; i < kept.size(); ++i) EXPECT_EQ(sim::counters().at(i).key, kept[i]);
  EXPECT_EQ(std::string(sim::counters().back().key), "dma_size_histogram");
  // `check` compares exactly these (README "Regression gates").
  std::vector<std::string> gated;
  for (const sim::CounterInfo& c : sim::counters())
    if (c.gated()) gated.push_back(c.key);
  EXPECT_EQ(gated, (std::vector<std::string>{"launches", "dma_count", "dma_bytes"}));
}

TEST(Counters, PlusEqualsAddsEveryCounterAsItAggregates) {
  sim::Counters a, b;
  uint64_t n = 1;
  for (const sim::CounterInfo& c : sim::counters()) {
    if (c.agg == sim::Agg::Sum) {
      a.*c.sum = n;
      b.*c.sum = 10 * n;
    } else if (c.agg == sim::Agg::Stat) {
      (a.*c.stat).add(n);
      (b.*c.stat).add(10 * n);
      (b.*c.stat).add(20 * n);
    } else {
      (a.*c.histogram)[7] = n;  // <=128B
      (b.*c.histogram)[7] = 10 * n;
      (b.*c.histogram)[12] = 1;  // <=4KiB, only in b
    }
    ++n;
  }
  a += b;
  n = 1;
  for (const sim::CounterInfo& c : sim::counters()) {
    if (c.agg == sim::Agg::Sum) {
      EXPECT_EQ(a.*c.sum, 11 * n) << c.key;
    } else if (c.agg == sim::Agg::Stat) {
      EXPECT_EQ((a.*c.stat), (sim::StatCounter{31 * n, 3, n, 20 * n})) << c.key;  // sum, count, min, max
    } else {
      EXPECT_EQ((a.*c.histogram), (sim::HistogramCounter{{7, 11 * n}, {12, 1}})) << c.key;
    }
    ++n;
  }
}

// README "Where a kernel's cycles went, per site", counted by hand.
TEST(Counters, SiteBusyCyclesAndShareByHand) {
  Scenario s;
  const ordered_json r = s.report();
  // k: loads 42 + 42, vadd 18, wait 0, sload 30, matmul 8 = 140.
  EXPECT_EQ((*kernel(r, "k"))["pipe_busy_cycles"], 140);
  // other: one 128 B store, 250..284 visible, pipe free at 264: 14.
  EXPECT_EQ((*kernel(r, "other"))["pipe_busy_cycles"], 14);
  EXPECT_EQ(r["totals"]["pipe_busy_cycles"], 154);
  struct Want {
    const char *kernel, *site, *op;
    uint64_t count, busy;
    double share;
  };
  const Want want[] = {
      {"k", "k: load x", "launch", 2, 0, 0.0},  // tasks 0 and 2: a launch holds no pipe
      {"k", "k: load x", "tload", 2, 84, 84.0 / 140},
      {"k", "k: compute", "tmatmul", 1, 8, 8.0 / 140},
      {"k", "k: compute", "vadd", 1, 18, 18.0 / 140},
      {"k", "k: sync", "sload", 1, 30, 30.0 / 140},
      {"k", "k: sync", "wait", 1, 0, 0.0},
      {"other", "k: load x", "launch", 1, 0, 0.0},
      {"other", "k: load x", "tstore", 1, 14, 1.0},
  };
  ASSERT_EQ(r["sites"].size(), std::size(want)) << r["sites"].dump(1);
  for (const Want& w : want) {
    bool found = false;
    for (const auto& e : r["sites"]) {
      if (e["kernel"] != w.kernel || e["site"] != w.site || e["op"] != w.op) continue;
      found = true;
      EXPECT_EQ(e["count"], w.count) << w.op;
      EXPECT_EQ(e["busy_cycles"], w.busy) << w.op;
      EXPECT_DOUBLE_EQ(e["busy_share"].get<double>(), w.share) << w.op;
    }
    EXPECT_TRUE(found) << w.kernel << " " << w.site << " " << w.op;
  }
  // The pipe counters are the same instructions' time.
  EXPECT_EQ(r["totals"]["cube_busy_cycles"], 8);
  EXPECT_EQ(r["totals"]["vector_busy_cycles"], 18);
}

// Execution records (README "The report"; tiny.yaml: 1 GHz, so us = cycles / 1000).
TEST(Counters, ExecAndLatencyPerRecordByHand) {
  Scenario s;
  const ordered_json r = s.report();
  // k: task 0's two records (task 2 ran no instruction: none).
  //   exec 338 - 150 = 188 and 272 - 150 = 122: mean 155, min 122, max 188
  //   latency 258 and 192 (Scenario): mean 225
  const ordered_json& k = *kernel(r, "k");
  EXPECT_EQ(k["exec_records"], 2);
  EXPECT_DOUBLE_EQ(k["exec_us"]["mean"].get<double>(), 0.155);
  EXPECT_DOUBLE_EQ(k["exec_us"]["min"].get<double>(), 0.122);
  EXPECT_DOUBLE_EQ(k["exec_us"]["max"].get<double>(), 0.188);
  EXPECT_DOUBLE_EQ(k["latency_us"]["mean"].get<double>(), 0.225);
  EXPECT_FALSE(k["latency_us"].contains("min"));  // the mean only
  // other: one record, exec 284 - 250 = 34, latency 284 - 200 + 0 = 84.
  const ordered_json& o = *kernel(r, "other");
  EXPECT_DOUBLE_EQ(o["exec_us"]["mean"].get<double>(), 0.034);
  EXPECT_DOUBLE_EQ(o["exec_us"]["min"].get<double>(), 0.034);
  EXPECT_DOUBLE_EQ(o["latency_us"]["mean"].get<double>(), 0.084);
  // totals: over all three records, not the mean of the kernels' means.
  EXPECT_EQ(r["totals"]["exec_records"], 3);
  EXPECT_DOUBLE_EQ(r["totals"]["exec_us_mean"].get<double>(), (188 + 122 + 34) / 3.0 / 1000);
  EXPECT_DOUBLE_EQ(r["totals"]["latency_us_mean"].get<double>(), (258 + 192 + 84) / 3.0 / 1000);
  EXPECT_FALSE(r["totals"].contains("exec_us"));
  // A kernel without records reports 0.
  sim::Stats empty(s.p);
  empty.on_dispatch(2, 0, 0, 150);
  empty.on_task_end(2, 150, 150, {});
  empty.on_detected(2, 100, 150);
  const ordered_json e = empty.report(tiny_hw(), 150, {});
  EXPECT_EQ((*kernel(e, "k"))["exec_us"], (ordered_json{{"mean", 0.0}, {"min", 0.0}, {"max", 0.0}}));
  EXPECT_EQ(e["totals"]["latency_us_mean"], 0.0);
}

// What the DMAs cost the memory system, per kernel and per site.
TEST(Counters, L2AndHbmBytesPerKernelAndSite) {
  Scenario s;
  const ordered_json r = s.report();
  const ordered_json& k = *kernel(r, "k");
  EXPECT_EQ(k["l2_hits"], 8);
  EXPECT_EQ(k["l2_misses"], 8);
  EXPECT_EQ(k["l2_hit_bytes"], 1024);
  EXPECT_EQ(k["hbm_bytes"], 1024);
  EXPECT_EQ(k["dma_bus_bytes"], 2048);  // l2_hit_bytes + hbm_bytes
  const ordered_json& o = *kernel(r, "other");
  EXPECT_EQ(o["l2_misses"], 1);
  EXPECT_EQ(o["l2_hit_bytes"], 128);
  EXPECT_EQ(o["hbm_bytes"], 64);  // the write-back it caused
  EXPECT_EQ(r["totals"]["hbm_bytes"], 1088);
  int dma_sites = 0;
  for (const auto& e : r["sites"]) {
    if (e["op"] == "tload") {
      ++dma_sites;
      EXPECT_EQ(e["l2_hits"], 8);
      EXPECT_EQ(e["l2_misses"], 8);
      EXPECT_EQ(e["l2_hit_bytes"], 1024);
      EXPECT_EQ(e["hbm_bytes"], 1024);
    } else if (e["op"] == "tstore") {
      ++dma_sites;
      EXPECT_EQ(e["hbm_bytes"], 64);
    } else {
      EXPECT_FALSE(e.contains("hbm_bytes")) << e.dump();  // only DMA sites carry them
    }
  }
  EXPECT_EQ(dma_sites, 2);
}

TEST(Counters, TasksAndLaunchesCountEachDispatchOfAOneBlockTask) {
  Scenario s;
  const ordered_json r = s.report();
  // Three tasks, each dispatched once (no task runs as several blocks yet).
  EXPECT_EQ(r["totals"]["tasks"], 3);
  EXPECT_EQ(r["totals"]["launches"], 3);
  EXPECT_EQ((*kernel(r, "k"))["launches"], 2);
  EXPECT_EQ(r["totals"]["launch_overhead_cycles"], 3 * 150);
  EXPECT_EQ(r["totals"]["dispatch_wait_cycles"], 0 + 100 + 200);
}

// Adding a counter is one declaration in sim/counters.h plus the code that
// increments it; this test fails until it reaches every output (and until
// the Scenario above makes it non-zero: extend it with what counts it).
TEST(Counters, EveryCounterReachesEveryOutput) {
  Scenario s;
  const ordered_json r = s.report();
  const std::string summary = sim::format_summary(r);
  const std::string summary_header = summary.substr(summary.find("\nkernel ") + 1);

  const fs::path dir = fs::temp_directory_path() / ("npusim_counters_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string file = (dir / "r.json").string();
  std::ofstream(file) << r.dump(1);
  int rc = -1;
  const std::string compared = stdout_of([&] { rc = cli::cmd_compare({file, file}); });
  ASSERT_EQ(rc, cli::kOk);
  const auto check = cli::check::compare(r, r, 0);
  std::set<std::string> checked;
  for (const auto& m : check.compared) checked.insert(m.name + "/" + m.kernel);

  const std::vector<std::string> header = cli::sweep::csv_header({});
  const std::vector<std::string> row = cli::sweep::ok_row(cli::sweep::Point{}, r);
  ASSERT_EQ(row.size(), header.size());

  for (const sim::CounterInfo& c : sim::counters()) {
    SCOPED_TRACE(c.key);
    // Its key in the totals (and the compare row, the CSV column).
    const std::string tkey = c.agg == sim::Agg::Stat ? c.totals_key() : std::string(c.key);
    // JSON: totals and every kernel; the scenario counts it.
    ASSERT_TRUE(r["totals"].contains(tkey));
    for (const auto& k : r["kernels"]) EXPECT_TRUE(k.contains(c.key)) << k["name"];
    const ordered_json& total = r["totals"][tkey];
    if (c.agg == sim::Agg::Sum) {
      EXPECT_GT(total.get<uint64_t>(), 0u) << "the Scenario never counts it";
    } else if (c.agg == sim::Agg::Stat) {
      EXPECT_GT(total.get<double>(), 0.0) << "the Scenario never counts it";
      for (const auto& k : r["kernels"])
        for (const std::string& part : c.parts()) EXPECT_TRUE(k[c.key].contains(part)) << k["name"] << " " << part;
    } else {
      EXPECT_FALSE(total.empty()) << "the Scenario never counts it";
    }
    // The summary's kernel table.
    if (c.summary) {
      EXPECT_NE(summary_header.find(c.summary), std::string::npos) << summary;
    }
    // compare: a row in the totals (a histogram a row per bucket), the same value.
    if (c.agg != sim::Agg::Histogram) {
      const std::string line = "\n  " + tkey + " ";
      const size_t at = compared.find(line);
      ASSERT_NE(at, std::string::npos) << compared;
      std::istringstream fields(compared.substr(at + line.size()));
      std::string v;
      fields >> v;
      if (c.agg == sim::Agg::Sum) {
        EXPECT_EQ(v, total.dump());
      } else {
        char want[64];
        std::snprintf(want, sizeof want, "%.2f", total.get<double>());
        EXPECT_EQ(v, want);
      }
    } else {
      for (const auto& [bucket, n] : total.items())
        EXPECT_NE(compared.find("\n  " + std::string(c.key) + " " + bucket + " "), std::string::npos) << compared;
    }
    // check: the gated ones, in the totals and per kernel.
    EXPECT_EQ(checked.count(std::string(c.key) + "/"), c.gated() ? 1u : 0u);
    EXPECT_EQ(checked.count(std::string(c.key) + "/k"), c.gated() ? 1u : 0u);
    // validate_report: a gated counter is required; any counter must be a number (or a histogram, an object).
    ordered_json bad = r;
    bad["kernels"][0].erase(c.key);
    if (c.gated())
      EXPECT_THROW(cli::validate_report(bad, "r.json"), isa::InputError);
    else
      EXPECT_NO_THROW(cli::validate_report(bad, "r.json"));
    bad = r;
    bad["totals"][tkey] = "12";
    EXPECT_THROW(cli::validate_report(bad, "r.json"), isa::InputError);
    if (c.agg == sim::Agg::Stat) {
      bad = r;
      bad["kernels"][0][c.key]["mean"] = "12";
      EXPECT_THROW(cli::validate_report(bad, "r.json"), isa::InputError);
    }
    // The sweep CSV: a column per summed counter and per Stat counter's mean, with the value of totals.
    const auto col = std::find(header.begin(), header.end(), tkey);
    if (c.agg != sim::Agg::Histogram) {
      ASSERT_NE(col, header.end());
      EXPECT_EQ(row[size_t(col - header.begin())], total.dump());
    } else {
      EXPECT_EQ(col, header.end());
    }
  }
  fs::remove_all(dir);
}

// README.md's counter table is the registry's (npusim report-keys --markdown).
TEST(Counters, ReadmeTableIsTheRegistry) {
  std::ifstream in(std::string(NPUSIM_SOURCE_DIR) + "/README.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const std::string begin = "<!-- counters:begin -->\n", end = "<!-- counters:end -->";
  const size_t b = text.find(begin), e = text.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  const std::string table = text.substr(b + begin.size(), e - b - begin.size());
  EXPECT_EQ(table, sim::counters_markdown())
      << "README.md's counter table differs from sim/counters.h: paste the output of\n"
         "  build/bin/npusim report-keys --markdown\n"
         "between " << begin << "and " << end;
}
