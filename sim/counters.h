// The counter registry: every counter of the report declared once, here.
// Plain C++ (no SystemC); the CLI reads it too.
//
// From NPUSIM_COUNTERS come: the fields of sim::Counters, its operator+=, the
// report's `totals` and per-kernel objects (stats.cpp), the summary's kernel
// table (format_summary), `npusim compare`'s rows, `npusim check`'s metrics
// and report validation (tools/cli/report_io.cpp, check.cpp), the sweep CSV's
// columns (tools/cli/sweep.cpp) and the README's counter table (`npusim
// report-keys --markdown`; test Counters.ReadmeTableIsTheRegistry fails when
// README.md differs).
//
// Adding a counter: one X(...) line below, plus the code in sim/stats.cpp
// that increments it. Test Counters.EveryCounterReachesEveryOutput checks it
// reaches every output.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sim {

// How a counter aggregates over tasks, kernels and the whole run.
enum class Agg : uint8_t {
  Sum,        // a uint64_t; the totals are the sum over kernels
  Histogram,  // log2 bucket (ceil) -> count; buckets sum
  Stat,       // a duration per execution record, kept in cycles, reported in us: per kernel
              // {"mean": ..} (with kMinMax also "min", "max"), in the totals `<key>_mean` over
              // all records (also the compare row and the sweep CSV column); 0 without records
};

// Flags of a counter.
enum CounterFlag : unsigned {
  kNone = 0,
  kGated = 1,   // `npusim check` compares it (totals and per kernel); every report must have it
  kMinMax = 2,  // Agg::Stat: a kernel's object also has "min" and "max"
};

// One type per aggregation, so the X-macro can declare the field.
using SumCounter = uint64_t;
using HistogramCounter = std::map<uint32_t, uint64_t>;
struct StatCounter {  // durations in cycles
  uint64_t sum = 0, count = 0, min = 0, max = 0;
  void add(uint64_t v) {
    min = count ? (v < min ? v : min) : v;
    max = count ? (v > max ? v : max) : v;
    sum += v;
    ++count;
  }
  void merge(const StatCounter& b) {
    if (!b.count) return;
    min = count ? (b.min < min ? b.min : min) : b.min;
    max = count ? (b.max > max ? b.max : max) : b.max;
    sum += b.sum;
    count += b.count;
  }
  double mean() const { return count ? double(sum) / double(count) : 0.0; }
  bool operator==(const StatCounter& o) const {
    return sum == o.sum && count == o.count && min == o.min && max == o.max;
  }
};

// X(key, Agg, unit, summary column label or nullptr, flags, description)
// key: the JSON key in `totals` and in each `kernels[i]`, and the field name.
// Keys are a contract that scripts rely on: never rename one. The order is
// the report's (and the CSV's): append new counters before the histogram.
#define NPUSIM_COUNTERS(X)                                                                                        \
  X(tasks, Sum, "tasks", nullptr, kNone,                                                                          \
    "submitted tasks that ran; a pl.spmd task counts once however many blocks it runs as")                        \
  X(launches, Sum, "launches", "launches", kGated,                                                                \
    "dispatches of a block onto a core group, each paying launch_overhead_cycles: one per task, N for a "         \
    "pl.spmd task of N blocks")                                                                                   \
  X(launch_overhead_cycles, Sum, "cycles", "overhead cy", kNone,                                                  \
    "per launch: the scheduler's dispatch time plus the core's pickup time")                                      \
  X(dispatch_wait_cycles, Sum, "cycles", nullptr, kNone,                                                          \
    "how long ready tasks waited for a scheduler thread or a free core group")                                    \
  X(instructions, Sum, "instructions", nullptr, kNone, "tile instructions executed")                              \
  X(dma_count, Sum, "DMAs", "DMAs", kGated, "GM DMAs (loads and stores)")                                         \
  X(dma_bytes, Sum, "bytes", "DMA bytes", kGated, "payload bytes of the GM DMAs")                                 \
  X(dma_bus_bytes, Sum, "bytes", nullptr, kNone,                                                                 \
    "bytes the memory system moved for the GM DMAs: l2_hit_bytes + hbm_bytes (the payload, plus whole sectors "  \
    "filled for short rows and dirty lines written back)")                                                       \
  X(load_count, Sum, "DMAs", nullptr, kNone, "GM -> local buffer DMAs")                                           \
  X(load_bytes, Sum, "bytes", nullptr, kNone, "payload bytes loaded from GM")                                     \
  X(store_count, Sum, "DMAs", nullptr, kNone, "local buffer -> GM DMAs")                                          \
  X(store_bytes, Sum, "bytes", nullptr, kNone, "payload bytes stored to GM")                                      \
  X(scalar_reads, Sum, "reads", nullptr, kNone, "scalar GM reads (sload)")                                        \
  X(cube_busy_cycles, Sum, "cycles", "cube busy", kNone, "time the CUBE pipes were busy (matmuls)")               \
  X(vector_busy_cycles, Sum, "cycles", "vector busy", kNone, "time the VEC pipes were busy (vector ops)")         \
  X(task_cycles, Sum, "cycles", "task cycles", kNone, "sum over tasks of (end - start) on their core group")      \
  X(flops, Sum, "flops", nullptr, kNone, "2 * M * K * N per matmul (of the tiles' valid regions)")                                              \
  X(pipe_busy_cycles, Sum, "cycles", "pipe busy", kNone,                                                          \
    "sum over instructions of the cycles each held its pipe (see sites' busy_cycles); pipes overlap, so it can "  \
    "exceed task_cycles")                                                                                         \
  X(exec_records, Sum, "records", nullptr, kNone,                                                                \
    "execution records: one per core that ran instructions of a task (a mixed cube + vector task gives one per "  \
    "core, as the runtime's profile does); exec_us and latency_us are over these")                               \
  X(exec_us, Stat, "us", "exec us", kMinMax,                                                                      \
    "per execution record, from the task's start on its core group to the end of that core's last instruction "   \
    "(the calibration data's \"exec\"): {mean, min, max}; in totals exec_us_mean")                                \
  X(latency_us, Stat, "us", "latency us", kNone,                                                                  \
    "per execution record, from the dispatch handing the task to the core to the scheduler thread detecting "      \
    "that core's end, as the runtime's profile timestamps it (pickup + exec + completion detection; the "          \
    "calibration data's \"latency\"): {mean}; in totals latency_us_mean")                                          \
  X(l2_hits, Sum, "line accesses", nullptr, kNone,                                                               \
    "GM DMA line accesses that found every sector they touch in L2 (a store: its line was there)")               \
  X(l2_misses, Sum, "line accesses", nullptr, kNone,                                                             \
    "GM DMA line accesses that did not: a load fills the sectors missing from HBM, a store allocates the line")   \
  X(l2_hit_bytes, Sum, "bytes", nullptr, kNone,                                                                  \
    "payload bytes served by L2 without waiting for HBM: loads that hit, stores under write-back")               \
  X(hbm_bytes, Sum, "bytes", nullptr, kNone,                                                                     \
    "bytes HBM moved for the GM DMAs: sectors filled on load misses, sectors written through, dirty sectors "    \
    "written back when the DMA evicted their line")                                                              \
  X(dma_size_histogram, Histogram, "DMAs per size", nullptr, kNone,                                               \
    "GM DMAs by payload size, rounded up to a power of two: {\"<=128B\": n, \"<=4KiB\": n, ...}")

struct Counters {
#define NPUSIM_COUNTER_FIELD(key, agg, unit, summary, flags, description) agg##Counter key{};
  NPUSIM_COUNTERS(NPUSIM_COUNTER_FIELD)
#undef NPUSIM_COUNTER_FIELD
  // One GM DMA of `bytes` payload; `l2_hits` .. `hbm_bytes` as the memory system counted them.
  void add_dma(bool load, uint64_t bytes, uint64_t l2_hits, uint64_t l2_misses, uint64_t l2_hit_bytes,
               uint64_t hbm_bytes);
  Counters& operator+=(const Counters& o);  // as each counter aggregates
};

// A counter's declaration, for code that iterates the registry.
struct CounterInfo {
  const char* key;
  Agg agg;
  const char* unit;
  const char* summary;  // column label in the summary's kernel table; nullptr: not shown there
  unsigned flags;
  const char* description;
  SumCounter Counters::*sum;              // Agg::Sum only, else nullptr
  HistogramCounter Counters::*histogram;  // Agg::Histogram only, else nullptr
  StatCounter Counters::*stat;            // Agg::Stat only, else nullptr
  bool gated() const { return flags & kGated; }
  // Agg::Stat: the parts of a kernel's object ("mean", then "min", "max" with kMinMax).
  std::vector<std::string> parts() const;
  // Agg::Stat: its key in the totals, its compare row and its sweep CSV column.
  std::string totals_key() const { return std::string(key) + "_mean"; }
};

// Every counter, in report order.
const std::vector<CounterInfo>& counters();
// The counter called `key`, or nullptr.
const CounterInfo* find_counter(const std::string& key);

// A histogram bucket's label: sizes up to 2^l bytes ("<=128B", "<=4KiB").
std::string size_bucket_label(uint32_t l);

// The README's table of the counters (markdown), between the markers
// <!-- counters:begin --> and <!-- counters:end -->.
std::string counters_markdown();

}  // namespace sim
