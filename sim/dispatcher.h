// The device-side task scheduler as a plain C++ policy (the SystemC shell in
// npu.cpp asks it what to do next and tells it what happened).
//
// Model (docs/architecture.md, "Scheduler"):
// - the orchestrator submits its k-th launch at (k + 1) * submit_cycles; the
//   blocks of a pl.spmd launch are submitted together, each then dispatched
//   on its own (dispatch and pickup per block, to any free group), as the
//   runtime's threads dispatch an SPMD task block by block as cores free up
//   (hw-native-sys/simpler, scheduler_dispatch.cpp);
// - each scheduler thread owns a contiguous block of the core groups (as the
//   runtime gives each thread its share of the cores); only the owner
//   dispatches to a group and handles the completions of its tasks;
// - a task is ready when it is submitted and every task it depends on has
//   been released (its completion handled);
// - the lowest-numbered ready task goes to the free core group whose owning
//   thread can dispatch it first (the lowest-numbered group on a tie);
// - dispatch takes dispatch_cycles of that thread, then the core picks the
//   task up after launch_cycles: launch overhead = dispatch + launch cycles;
// - a task that ends on its group is detected completion_detect_cycles later;
//   the owning thread then handles it for completion_cycles, serialized with
//   its dispatches (each thread serves its work in the order it becomes due,
//   a completion before a dispatch due at the same cycle). Only after the
//   handling are the task's successors released and its group free for a new
//   dispatch. A handling of 0 cycles (the key's default: not modelled) takes
//   no thread time and happens at detection.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "isa/isa.h"
#include "sim/hw_config.h"

namespace sim {

class Dispatcher {
 public:
  // `origin`: the cycle the orchestrator starts submitting (a token-by-token
  // run's next decode step starts when the last one has been released).
  Dispatcher(const isa::Program& p, const HwConfig& hw, uint64_t origin = 0);

  enum class Kind : uint8_t { Dispatch, Completion };
  struct Decision {
    Kind kind = Kind::Dispatch;
    uint32_t task = 0, group = 0, thread = 0;
    uint64_t ready_at = 0;     // Dispatch: submitted and dependencies released
    uint64_t dispatch_at = 0;  // Dispatch: the scheduler thread starts dispatching
    uint64_t start_at = 0;     // Dispatch: the core group starts running it
    uint64_t handle_at = 0;    // Completion: the thread detects the task's end and starts handling it
    uint64_t at() const { return kind == Kind::Dispatch ? dispatch_at : handle_at; }
  };
  // The next thing a scheduler thread does (a dispatch or a completion
  // handling), at the earliest at `now`; nullopt while there is nothing to do.
  std::optional<Decision> next(uint64_t now) const;
  void commit(const Decision& d);
  // The task ended on its core group at t. Its completion is detected at
  // t + completion_detect_cycles; with completion_cycles 0 it is handled
  // there and then (released(task) is true), else next() offers the handling.
  void complete(uint32_t task, uint64_t t);
  // Every task's completion handled.
  bool all_done() const { return released_ == deps_left_.size(); }
  bool released(uint32_t task) const { return rec_[task].released; }
  uint64_t overhead_cycles() const { return s_.dispatch_cycles + s_.launch_cycles; }
  // The scheduler thread that owns core group g: threads own contiguous
  // blocks, as even as the counts allow (g * threads / core_groups).
  uint32_t owner(uint32_t group) const { return owner_[group]; }
  // When the dispatch handed the task to its core (dispatch_at + dispatch_cycles).
  uint64_t handoff_at(uint32_t task) const { return rec_[task].dispatch_at + s_.dispatch_cycles; }
  // When the owning thread detected the task's end (the start of its
  // completion handling); once released(task).
  uint64_t detected_at(uint32_t task) const { return rec_[task].handle_at; }

  // What held a task back: its submission, its last-released dependency, a
  // core group (released by the task that ran on it before), or its scheduler
  // thread (busy with its previous dispatch or completion handling).
  enum class Bound : uint8_t { Submit, Dependency, CoreGroup, Scheduler };
  struct Step {
    uint32_t task;
    Bound bound;        // what this task waited for
    uint64_t from, to;  // its share of the path: from its release to its successor's
  };
  // The critical path, last step first: from the task that ends last, back
  // through what bound each dispatch, to a task bound by its submission. A
  // step runs from the task's dispatch to the release of the next step's
  // task (so it holds the task's dispatch, pickup, run, completion detection
  // and handling as far as they were on the path), or, when the task's
  // completion handling waited for its scheduler thread, from the start of
  // that handling (bound Scheduler, continuing with the thread's previous
  // work). The steps tile [first step's dispatch, end of the last task).
  std::vector<Step> critical_path() const;

 private:
  void release(uint32_t task, uint64_t handle_at, uint64_t at);
  uint64_t group_available(uint32_t g) const;  // when a dispatch to g could start; ~0: busy

  HwConfig::Scheduler s_;
  std::vector<uint64_t> submit_at_;  // per task: when its launch is submitted
  std::vector<uint32_t> deps_left_;
  std::vector<uint64_t> deps_done_at_;  // per task: release time of its last-released dependency
  std::vector<std::vector<uint32_t>> succ_;
  std::vector<uint32_t> ready_;          // sorted task indices
  std::vector<uint32_t> owner_;          // per core group: its scheduler thread
  std::vector<int64_t> group_task_;      // -1: free (from group_free_at_)
  std::vector<uint64_t> group_free_at_;  // released by the task that ran on it last
  std::vector<int64_t> group_last_;      // the task that ran on it last
  std::vector<uint64_t> thread_free_;
  std::vector<int64_t> thread_last_;     // per thread: the task of its last dispatch or handling
  struct Pending {
    uint32_t task, group;
    uint64_t detect_at;
  };
  std::vector<Pending> pending_;  // completions detected but not handled (completion_cycles > 0)
  size_t released_ = 0;
  struct Record {
    uint64_t dispatch_at = 0, end = 0, detect_at = 0, handle_at = 0, release_at = 0;
    uint32_t group = 0;
    int64_t pred = -1;             // what bound the dispatch
    Bound bound = Bound::Submit;
    int64_t handling_pred = -1;    // >= 0: the handling waited for the thread's work for this task
    bool released = false;
  };
  std::vector<Record> rec_;
  std::vector<int64_t> latest_dep_;  // per task: its dependency released last
};

}  // namespace sim
