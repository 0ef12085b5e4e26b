// One core (cube or vector) running one task's instruction stream. Plain
// C++: the SystemC shell feeds it DMA completions and time; the engine
// decides, per pipe and in program order, when each instruction starts.
//
// Rules (docs/architecture.md, "Core timing"):
// - instruction i is dispatched at t0 + i * issue_interval_cycles (in-order issue);
// - each pipe runs its instructions in order, one at a time;
// - an instruction starts when it is dispatched, its pipe is free, and every
//   earlier instruction whose buffer/GM/register range it overlaps (RAW, WAR,
//   WAW) has ended;
// - a GM DMA holds its pipe for setup + transfer; its data is visible
//   the memory system's latency after the transfer completes (memory_system.h);
// - SIGNAL waits for every earlier instruction; WAIT holds every later one
//   until the flag has been posted;
// - a vector core's access to its group's cube buffers (TMOV L0C -> UB,
//   UB -> L1) and the cube's own accesses to those bytes must be ordered by
//   SIGNAL / WAIT (sim/cross_core.h); an unordered one is an error.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <tuple>
#include <string>
#include <vector>

#include "isa/isa.h"
#include "sim/cost_model.h"
#include "sim/cross_core.h"
#include "sim/hw_config.h"
#include "sim/memory_system.h"
#include "sim/regions.h"
#include "sim/sim_error.h"

namespace isa {
struct SourceMap;
}

namespace sim {

constexpr uint64_t kUnknown = ~uint64_t(0);

// What the cores of one core group share for the duration of a task: the
// flags posted by SIGNAL and consumed by WAIT (each post carries its core's
// knowledge, sim/cross_core.h), and the logs of the accesses to the cube's L1
// and L0C in a task where a vector core writes L1 or reads L0C.
class FlagBoard {
 public:
  void reset() {
    posts_.assign(posts_.size(), {});
    total_ = 0;
    l1_.clear();
    l0c_.clear();
  }
  uint64_t total_posts() const { return total_; }  // grows with every post
  void post(uint32_t flag, uint64_t t, const Clock& known);
  // False if nothing posted yet; else the post's time and its core's knowledge.
  bool take(uint32_t flag, uint64_t* t, Clock* known);
  // The log of the cube's L1 or L0C.
  SharedBufferLog& log(isa::Space s) { return s == isa::Space::L0C ? l0c_ : l1_; }

 private:
  struct Post {
    uint64_t t;
    Clock known;
  };
  std::vector<std::vector<Post>> posts_;  // per flag, FIFO
  uint64_t total_ = 0;
  SharedBufferLog l1_, l0c_;
};

struct DmaRequest {
  uint32_t instr;     // index in the stream
  uint64_t start;     // cycle the bytes start moving (after setup)
  MemRequest mem;     // what it touches, for the memory system
  double cap;         // engine bytes/cycle
};

// What the engine tells the outside world about each finished instruction.
struct InstrEvent {
  uint32_t index;
  const isa::Instr* instr;
  const Cost* cost;
  uint64_t start;
  uint64_t pipe_end;  // its pipe is free again (a GM DMA: its last byte has moved)
  uint64_t end;       // its result is visible (a GM DMA: the memory system's latency after pipe_end)
  int64_t gm_offset;    // resolved element offset of the GM view (dynamic regs applied)
  const MemResult* mem = nullptr;  // a GM DMA: what it cost the memory system
  uint32_t gm_tensor = 0;  // the tensor the GM view touches (the task's binding applied)
};

// Read-only facts about the running task, for messages and dynamic offsets.
struct TaskContext {
  const isa::Program* program = nullptr;
  uint32_t task = 0;
  uint32_t block = 0;  // the task's block index (pl.spmd), for SBLOCK
  // The kernel's stream, which is the core in the group: 0 the cube's, 1 + i
  // vector core i's (named as sim/cross_core.h's core_name).
  int stream = 0;
  const isa::SourceMap* source = nullptr;  // a text program's lines; null: none
  // Value of an int32 GM element (seq_lens), for SLOAD during decode.
  std::function<int64_t(uint32_t tensor, int64_t elem)> read_int;
};

// The context of stream `stream` of `task` (0 the cube's, 1 + v vector core
// v's). SLOAD reads the int32 tensors' init values, as in timing mode.
TaskContext task_context(const isa::Program& p, uint32_t task, int stream, const isa::SourceMap* source);

// One instruction of a decoded stream.
struct Decoded {
  Cost cost;
  uint64_t issue_offset;  // in-order issue: t0 + issue_offset (i x the issue interval)
  // deps[dep_begin, dep_end) of its stream: the instructions it waits for,
  // each with kCrossPipe set when it runs on another pipe (its hand-off costs
  // the pipe sync).
  uint32_t dep_begin, dep_end;
  int64_t gm_offset;  // the GM view's element offset, registers applied
};

// An access of an instruction to a buffer of the cube its group's vector
// cores reach (sim/cross_core.h): a vector core's L1 write or L0C read, and,
// in a task where one happens, every access of the cube to that buffer.
// Checked and logged when the instruction starts.
struct SharedAccess {
  uint32_t instr;
  int32_t wait;       // ordinal of the last WAIT before it in the stream (-1: none)
  isa::Space space;   // L1 or L0C
  uint64_t lo, hi;
  bool write, need_written;
  const char* role;
};

// A stream decoded for a task: costs, dependencies, each pipe's order. It
// depends on the stream and the task's block index alone (not on the start
// time, nor on the tensor binding: it holds the kernel's own GM offsets, which
// the binding moves at run time, and its hazards between views hold under any
// binding that maps the kernel's tensors one to one) unless an SLOAD sets a
// register from GM, whose value is read at run time: then it is decoded for
// each launch, as it is for a kernel some launch binds two of its tensors to
// one. CoreGroup keeps the others for the kernel's next launch (the launches
// of a pl.parallel share one body; the layers of a decode step launch one
// layer's kernels 64 times).
struct DecodedStream {
  static constexpr uint32_t kCrossPipe = 1u << 31;
  static constexpr uint32_t kDepIndex = kCrossPipe - 1;
  std::vector<Decoded> dec;
  std::vector<uint32_t> deps;
  std::vector<uint32_t> queue[kNumPipes];  // per pipe, its instructions in order
  int live_pipes[kNumPipes] = {};           // pipes with instructions in this stream
  int num_live = 0;
  // Its accesses shared with other cores, in instruction order; shared_at[i]
  // is instruction i's first (-1: none), empty when there are none at all.
  std::vector<SharedAccess> shared;
  std::vector<int32_t> shared_at;
};

// The decoded streams kept for later launches of their kernel: a kernel
// launched by several tasks, none of whose streams SLOADs, is decoded once per
// (core, block) and dropped when its last launch has finished.
class PlanCache {
 public:
  explicit PlanCache(const isa::Program& p);
  // Whether the kernel's plans are kept (launched again, no SLOAD, no launch
  // binding two of the tensors it names to one).
  bool keeps(uint32_t kernel) const { return keep_[kernel]; }
  const DecodedStream* find(uint32_t kernel, uint32_t core, uint32_t block) const;
  // Keeps `plan` if the kernel's plans are kept: the kept plan, else null.
  const DecodedStream* put(uint32_t kernel, uint32_t core, uint32_t block, DecodedStream plan);
  // A launch of the kernel has finished.
  void launch_done(uint32_t kernel);
  size_t size() const { return plans_.size(); }

 private:
  std::vector<bool> keep_;
  std::vector<uint32_t> left_;  // per kernel: launches not yet finished
  std::map<std::tuple<uint32_t, uint32_t, uint32_t>, std::unique_ptr<DecodedStream>> plans_;
};

class CoreEngine {
 public:
  CoreEngine(const HwConfig& hw, const CostModel& cm) : hw_(hw), cm_(cm) {
    for (int s = 0; s < isa::kNumSpaces; ++s)  // every local buffer (all but GM)
      if (isa::Space(s) != isa::Space::GM) capacity_[s] = hw.buffers.capacity(isa::Space(s));
  }

  // Decode `stream` for a task starting at t0: costs, resource checks,
  // dependencies. Throws SimError for capacity / bounds / read-before-write.
  void load(const std::vector<isa::Instr>* stream, uint64_t t0, const TaskContext& ctx);
  // Run `stream` for a task starting at t0 as `plan` (decoded by an earlier
  // load of the same stream and block, and kept alive by the caller until
  // this task has finished).
  void start(const DecodedStream* plan, const std::vector<isa::Instr>* stream, uint64_t t0, const TaskContext& ctx);
  const DecodedStream& decoded() const { return *plan_; }
  // What the last load() decoded, moved out (the engine cannot run it then).
  DecodedStream take_decoded();

  // Start every instruction that can start. New GM DMAs go to `out`; each
  // finished instruction to `done`.
  void step(FlagBoard& flags, std::vector<DmaRequest>& out,
            const std::function<void(const InstrEvent&)>& done);
  // The transfer of DMA `instr` completed at cycle t; `mem` says what it cost
  // the memory system (its latency included).
  void dma_done(uint32_t instr, uint64_t t, const MemResult& mem,
                const std::function<void(const InstrEvent&)>& done);

  bool finished() const { return finished_count_ == stream_size(); }
  bool dma_in_flight() const;
  uint64_t end_time() const { return end_max_; }
  // "vec0: blocked at #12 wait flag 3 (site 'x: y')" for deadlock reports.
  std::string blocked_state() const;

 private:
  size_t stream_size() const { return stream_ ? stream_->size() : 0; }
  // The tensor instruction `in`'s GM view touches under the task's binding,
  // and the elements the binding moves the view by.
  uint32_t gm_tensor(const isa::Instr& in) const { return bound_tensor_[in.gm.tensor]; }
  int64_t gm_moved(const isa::Instr& in) const { return bound_offset_[in.gm.tensor]; }
  // Makes bound_tensor_ / bound_offset_ the task's binding (identity where
  // it binds nothing): undoes the last task's entries, sets this one's.
  void bind(const isa::Program& p, const isa::Binding* b);
  // Throws the SimError of instruction i's GM view of `tensor` at element
  // `off` if it leaves the tensor; `regs` says what registers gave (may be
  // empty), the message adds what the task's binding did.
  void check_gm_bounds(uint32_t i, uint32_t tensor, int64_t off, const char* regs) const {
    if (off < 0 || off + (*stream_)[i].gm.span() > tensor_elems_[tensor]) gm_out_of_bounds(i, tensor, off, regs);
  }
  [[noreturn]] void gm_out_of_bounds(uint32_t i, uint32_t tensor, int64_t off, const char* regs) const;
  // "task 3 (kernel 1 'k', vec0) instruction #5 vadd at 'k: add'";
  // source_at(): "FILE:LINE: " of instruction i of a text program, else "";
  // where(): both, what a message about the instruction starts with.
  std::string describe(uint32_t i) const;
  std::string source_at(uint32_t i) const;
  std::string where(uint32_t i) const;
  void decode_one(uint32_t i, int64_t regs[]);
  void reset_run(uint64_t t0);  // the run state, for plan_ from t0
  // The memory-system view of GM DMA `in` at element offset `gm_offset`.
  MemRequest mem_request(const isa::Instr& in, int64_t gm_offset) const;
  void check_live_tiles(uint32_t i, const isa::Tile& t, const char* role, size_t first_writer);
  void finish(uint32_t i, uint64_t start, uint64_t pipe_end, uint64_t end,
              const std::function<void(const InstrEvent&)>& done, const MemResult* mem = nullptr);
  // Which of the cube's buffers the running task's kernel shares with its
  // vector cores: kVecWritesL1 | kVecReadsL0c.
  enum : uint8_t { kVecWritesL1 = 1, kVecReadsL0c = 2 };
  uint8_t kernel_sharing();
  // Instruction i starts: check and log its accesses to the cube's buffers
  // shared with other cores (throws SimError for one the program does not order).
  void shared_access(uint32_t i, FlagBoard& flags);
  std::string shared_conflict(uint32_t i, const SharedAccess& a, const SharedBufferLog::Conflict& c) const;

  const HwConfig& hw_;
  const CostModel& cm_;
  const std::vector<isa::Instr>* stream_ = nullptr;
  bool cube_ = false;    // this engine runs the cube core's stream
  uint32_t core_ = 0;    // its index in the group: 0 the cube, 1 + v vector core v
  // Cross-core ordering (sim/cross_core.h). Decoding: per space, whether its
  // accesses are shared with other cores in this task (the cube's L1 when a
  // vector core writes it, its L0C when one reads it; for a vector core, the
  // cube's buffers it reaches), and the WAITs so far.
  bool shared_space_[isa::kNumSpaces] = {};
  int32_t waits_decoded_ = 0;
  std::vector<Clock> wait_clock_;        // running: the core's knowledge after each WAIT, in order
  Clock known_{};                        // running: after the last WAIT that ended
  const isa::Kernel* kernels_of_ = nullptr;  // the kernels kernel_sharing_ is for
  std::vector<int8_t> kernel_sharing_;        // per kernel: -1 not known yet, else its bits
  TaskContext ctx_;
  // The task's binding as lookups by the kernel's tensor index (set by bind()).
  std::vector<uint32_t> bound_tensor_;
  std::vector<int64_t> bound_offset_;
  std::vector<uint32_t> bound_set_;  // the entries bind() set, to undo
  std::vector<int64_t> tensor_elems_;  // per tensor of elems_of_, for the bounds checks
  const isa::Program* elems_of_ = nullptr;
  DecodedStream own_;                       // what load() decodes
  const DecodedStream* plan_ = &own_;       // what runs: own_, or a kept one
  uint64_t t0_ = 0;
  std::vector<uint64_t> start_, end_;
  // step() resumes each instruction's dependency scan at dep_next_[i], the
  // ones before it having ended: dep_ready_[i] is the latest of their hand-offs.
  std::vector<uint32_t> dep_next_;
  std::vector<uint64_t> dep_ready_;
  // The local bytes each instruction wrote, as sorted row intervals:
  // written_[written_at_[i] .. written_at_[i + 1]) (for the live-tile check).
  std::vector<std::pair<uint64_t, uint64_t>> written_;
  std::vector<uint32_t> written_at_;
  size_t head_[kNumPipes] = {};
  uint64_t pipe_free_[kNumPipes] = {};
  bool in_flight_[kNumPipes] = {};
  // The instruction whose end the pipe's head waits for (its dependency scan
  // stopped there), or kNotBlocked: a revisit checks that one end alone.
  static constexpr uint32_t kNotBlocked = ~uint32_t(0);
  uint32_t blocked_on_[kNumPipes] = {};
  size_t finished_count_ = 0;
  uint64_t end_max_ = 0;
  RegionTracker local_[isa::kNumSpaces];  // indexed by isa::Space (GM unused)
  uint32_t capacity_[isa::kNumSpaces] = {};  // bytes, indexed by isa::Space
  RegionTracker regs_;
  // GM hazards: one tracker per tensor the stream touches (gm_tensors_[k] is
  // the tensor of gm_trackers_[k]); kept across tasks to reuse their memory.
  std::vector<uint32_t> gm_tensors_;
  std::vector<RegionTracker> gm_trackers_;
};

}  // namespace sim
