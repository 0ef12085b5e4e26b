// The device-side task scheduler as a plain C++ policy (the SystemC shell in
// npu.cpp asks it what to do next and tells it what happened).
//
// Model (docs/architecture.md, "Scheduler"):
// - the orchestrator submits task i at (i + 1) * submit_cycles;
// - a task is ready when it is submitted and every task it depends on is done;
// - the lowest-numbered ready task goes to the lowest-numbered free core
//   group, on the scheduler thread that frees first;
// - dispatch takes dispatch_cycles of that thread, then the core picks the
//   task up after launch_cycles: launch overhead = dispatch + launch cycles.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "isa/isa.h"
#include "sim/hw_config.h"

namespace sim {

class Dispatcher {
 public:
  Dispatcher(const isa::Program& p, const HwConfig& hw);

  struct Decision {
    uint32_t task = 0, group = 0, thread = 0;
    uint64_t ready_at = 0;     // submitted and dependencies done
    uint64_t dispatch_at = 0;  // a scheduler thread starts dispatching
    uint64_t start_at = 0;     // the core group starts running it
  };
  // The next dispatch, at the earliest at `now`; nullopt while no task is
  // ready or no core group is free.
  std::optional<Decision> next(uint64_t now) const;
  void commit(const Decision& d);
  void complete(uint32_t task, uint64_t t);  // frees its group, releases successors
  bool all_done() const { return done_ == deps_left_.size(); }
  uint64_t overhead_cycles() const { return s_.dispatch_cycles + s_.launch_cycles; }

  // What held a task's dispatch back: its submission, its last-finishing
  // dependency, a free core group (the task that freed one), or a free
  // scheduler thread (the task dispatched before it on that thread).
  enum class Bound : uint8_t { Submit, Dependency, CoreGroup, Scheduler };
  struct Step {
    uint32_t task;
    Bound bound;        // what this task waited for
    uint64_t from, to;  // its share of the path: from its release to its successor's
  };
  // The critical path, last step first: from the task that ends last, back
  // through what bound each dispatch, to a task bound by its submission. The
  // steps tile [first step's dispatch, end of the last task).
  std::vector<Step> critical_path() const;

 private:
  HwConfig::Scheduler s_;
  std::vector<uint32_t> deps_left_;
  std::vector<uint64_t> deps_done_at_;
  std::vector<std::vector<uint32_t>> succ_;
  std::vector<uint32_t> ready_;        // sorted task indices
  std::vector<int64_t> group_task_;    // -1: free
  std::vector<uint64_t> thread_free_;
  size_t done_ = 0;
  // For the critical path.
  struct Record {
    uint64_t dispatch_at = 0, end = 0;
    int64_t pred = -1;
    Bound bound = Bound::Submit;
  };
  std::vector<Record> rec_;
  std::vector<int64_t> latest_dep_;   // per task: its dependency that finished last
  std::vector<int64_t> thread_last_;  // per scheduler thread: the task it dispatched last
  int64_t last_done_ = -1;            // the task that finished last
};

}  // namespace sim
