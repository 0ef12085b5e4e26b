// Counters keyed by kernel name and source site, and the report built from
// them (JSON for tools, a table for people). Plain C++.
#pragma once

#include <cstdint>
#include <array>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "isa/isa.h"
#include "sim/counters.h"
#include "sim/core_engine.h"
#include "sim/dispatcher.h"
#include "sim/hw_config.h"

namespace sim {

// The busy cycles `e` adds to its site and kernel (pipe_busy_cycles): the time
// it held its pipe, from its issue until the pipe was free again (a GM DMA
// until its last byte has moved, as the trace draws it), except a WAIT's,
// which holds the scalar pipe only while it waits for another core's flag
// (idle, not work): 0.
inline uint64_t pipe_busy_cycles(const InstrEvent& e) {
  return e.cost->cls == isa::CostClass::Wait ? 0 : e.pipe_end - e.start;
}

class Stats {
 public:
  explicit Stats(const isa::Program& p);
  // A token-by-token run's next decode step: the counts go on adding up,
  // kernels and sites matched by name; per-task calls now index `p`'s tasks
  // (and the critical path passed to report() is `p`'s).
  void next_program(const isa::Program& p);

  void on_dispatch(uint32_t task, uint64_t ready_at, uint64_t dispatch_at, uint64_t overhead);
  // `core_ends`: the end of the last instruction of each core that ran
  // instructions of the task: one execution record each (exec = end - start).
  void on_task_end(uint32_t task, uint64_t start, uint64_t end, const std::vector<uint64_t>& core_ends = {});
  // The scheduler detected the task's end at `detected`; the dispatch handed
  // it to its core at `handoff`. Each record's latency runs from the handoff
  // to the detection of its core's end, which the model puts as long after
  // that core's end as the task's detection is after the task's end (the
  // scheduler notices a task once, at its last core's end).
  void on_detected(uint32_t task, uint64_t handoff, uint64_t detected);
  void on_instr(uint32_t task, const InstrEvent& e);

  Counters totals() const;  // the sum over kernels

  // The report: keys are a contract (README "Report"); keep the names.
  nlohmann::ordered_json report(const HwConfig& hw, uint64_t total_cycles,
                                const std::vector<Dispatcher::Step>& critical_path) const;

 private:
  struct SiteCount {
    uint64_t count = 0, bytes = 0;
    uint64_t busy_cycles = 0;      // instruction entries: sum of pipe_busy_cycles
    uint64_t overhead_cycles = 0;  // launch entries only
    uint64_t l2_hits = 0, l2_misses = 0, l2_hit_bytes = 0, hbm_bytes = 0;  // GM DMA entries only
  };
  static constexpr uint8_t kLaunchOp = 0xff;  // the op byte of a launch-site entry
  const isa::Program* p_ = nullptr;
  std::vector<uint32_t> kernel_of_task_;  // task -> index into names_
  std::vector<std::string> names_;        // unique kernel names, first-appearance order
  std::unordered_map<std::string, uint32_t> name_index_;
  std::vector<uint32_t> site_of_;         // the program's site -> index into site_names_
  std::vector<std::string> site_names_;   // unique site labels, first-appearance order
  std::unordered_map<std::string, uint32_t> site_index_;
  std::vector<Counters> per_kernel_;
  struct Ends {  // per task, from on_task_end until on_detected
    uint64_t end = 0, sum = 0, min = 0, max = 0, count = 0;
  };
  std::vector<Ends> ends_;
  // key(kernel name index, site, op, sub) -> count; sorted when reported
  static uint64_t site_key(uint32_t kernel, uint32_t site, uint8_t op, uint8_t sub) {
    return (uint64_t(kernel) << 40) | (uint64_t(site) << 16) | (uint64_t(op) << 8) | sub;
  }
  std::unordered_map<uint64_t, SiteCount> sites_;
  // A direct-mapped cache in front of sites_: the hot loop touches few sites.
  struct CacheSlot {
    uint64_t key = ~0ull;
    SiteCount* count = nullptr;
  };
  std::array<CacheSlot, 256> cache_{};  // indexed by an 8-bit hash of the key
};

// The readable summary `npusim run` prints.
std::string format_summary(const nlohmann::ordered_json& report);

}  // namespace sim
