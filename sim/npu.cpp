#include "sim/npu.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <exception>
#include <memory>
#include <optional>
#include <sstream>

#include <sys/resource.h>

#include <systemc>

#include "isa/text.h"
#include "sim/bandwidth.h"
#include "sim/core_engine.h"
#include "sim/cost_model.h"
#include "sim/dispatcher.h"
#include "sim/functional.h"
#include "sim/memory_system.h"
#include "sim/predecode.h"
#include "sim/stats.h"
#include "sim/trace.h"

namespace sim {

namespace {

using sc_core::sc_event;
using sc_core::sc_module_name;
using sc_core::sc_time;

// One core clock cycle is 1 ns of SystemC time (1000 units at the default
// 1 ps resolution).
uint64_t now_cycles() { return sc_core::sc_time_stamp().value() / 1000; }

// Every wait and notification goes through here: the time from now until
// cycle `t`, or a SimError when t is past the run's limit (--max-cycles;
// at most kMaxCycles, so t * 1000 cannot overflow SystemC's time).
uint64_t g_max_cycles = kMaxCycles;
sc_time until(uint64_t t) {
  if (t > g_max_cycles)
    throw SimError("simulated time would pass " + std::to_string(g_max_cycles) + " cycles (at cycle " +
                   std::to_string(t) + "); raise the limit with --max-cycles if the run is meant to be this long");
  const uint64_t now = now_cycles();
  return sc_time::from_value(t > now ? (t - now) * 1000 : 0);
}

class Npu;

struct Completion {
  uint32_t core, instr;
  uint64_t t;
  MemResult mem;
};

// The channel to global memory (it models time, not data): the SystemC shell
// around the memory system (the L2 policy decides what each DMA hits and
// what goes to HBM) and the shared HBM bandwidth. Per DMA, after its setup:
// the L2-hit bytes move at min(engine rate, L2 hit bandwidth), then the bytes
// that missed go through the shared HBM model (as the HBM bytes they cost,
// at up to the engine's rate scaled by HBM bytes / payload bytes); a DMA
// with nothing to fetch completes without touching HBM. Dirty lines it
// evicted are written back in the background (sharing HBM, waited for by
// none). The method wakes at each start and completion and hands
// completions to their core groups.
//
// What a DMA's completion is handed to: its core group, which takes every
// completion of the moment (deliver) and then runs (resume), the groups in
// the order of their first completion. That is the order the groups' threads
// ran in when a completion woke one (an immediate notification queues the
// thread behind the ones already runnable), without a thread switch per
// DMA: the other processes runnable at that moment (a group ending its task,
// the scheduler) touch the dispatcher and no memory-system state, so running
// the groups first changes nothing they see.
class GmClient {
 public:
  virtual void deliver(const Completion& c) = 0;
  virtual void resume() = 0;
  bool queued = false;  // in the moment's list of clients to resume
 protected:
  ~GmClient() = default;
};

class GmChannel : public sc_core::sc_module {
 public:
  struct Owner {
    GmClient* client;
    uint32_t core, instr;
  };
  SC_HAS_PROCESS(GmChannel);
  GmChannel(sc_module_name n, double bytes_per_cycle, double core_rate, std::unique_ptr<MemorySystem> mem,
            std::function<void(std::exception_ptr)> fail)
      : sc_module(n), bw_(bytes_per_cycle), capacity_(bytes_per_cycle), core_rate_(core_rate), mem_(std::move(mem)),
        fail_(std::move(fail)) {
    SC_METHOD(update);
    sensitive << wake_;
    dont_initialize();
  }
  void submit(uint64_t start, const MemRequest& req, double cap, const Owner& o) {
    const MemResult m = mem_->access(req);
    uint64_t tag;
    if (free_.empty()) {
      tag = owners_.size();
      owners_.push_back({o, m});
    } else {
      tag = free_.back();
      free_.pop_back();
      owners_[tag] = {o, m};
    }
    const double hit_rate = std::min(cap, mem_->hit_bytes_per_cycle(req.write));
    const uint64_t hit_end = start + whole_cycles(double(m.hit_bytes) / hit_rate, "a DMA's L2 hit bytes");
    if (m.writeback_bytes) bw_.add(start, double(m.writeback_bytes), capacity_, kBackground);
    // What missed is also bounded by the core's own rate to HBM (its requests
    // in flight over the miss latency: gm.core_bytes_per_cycle).
    const double miss_rate = core_rate_ > 0 ? std::min(cap, core_rate_) : cap;
    if (m.miss_bytes)
      bw_.add(hit_end, double(m.fill_bytes), miss_rate * double(m.fill_bytes) / double(m.miss_bytes), tag);
    else
      insert_local({hit_end, tag});
    wake_at(start);
  }

 private:
  static constexpr uint64_t kBackground = ~uint64_t(0);  // the tag of a write-back
  // wake_.notify at cycle t, skipped when a wake at t or earlier is pending
  // (SystemC would ignore it: an event keeps its earliest notification), so
  // most DMAs cost no kernel call here. The limit is checked all the same.
  void wake_at(uint64_t t) {
    if (t > g_max_cycles) until(t);  // throws
    if (wake_pending_ && wake_cycle_ <= t) return;
    wake_.notify(until(t));
    wake_pending_ = true;
    wake_cycle_ = std::max(t, now_cycles());
  }
  void update() {
    wake_pending_ = false;  // the notification that ran this has fired
    try {
      advance();
    } catch (...) {
      fail_(std::current_exception());
    }
  }
  void advance() {
    const uint64_t now = now_cycles();
    done_.clear();
    bw_.advance(now, done_);
    for (; local_head_ < local_.size() && local_[local_head_].first <= now; ++local_head_)
      done_.push_back(local_[local_head_].second);
    if (local_head_ == local_.size()) {
      local_.clear();
      local_head_ = 0;
    } else if (2 * local_head_ > local_.size()) {  // the completed half goes
      local_.erase(local_.begin(), local_.begin() + long(local_head_));
      local_head_ = 0;
    }
    woken_.clear();
    for (uint64_t tag : done_) {
      if (tag == kBackground) continue;
      const Owner& o = owners_[tag].first;
      o.client->deliver({o.core, o.instr, now, owners_[tag].second});
      if (!o.client->queued) {
        o.client->queued = true;
        woken_.push_back(o.client);
      }
      free_.push_back(tag);
    }
    std::optional<uint64_t> next = bw_.next_event();
    if (local_head_ < local_.size() && (!next || local_[local_head_].first < *next)) next = local_[local_head_].first;
    if (next) wake_at(*next);
    for (GmClient* c : woken_) {
      c->queued = false;
      c->resume();  // may submit DMAs: submit() is reentrant here
    }
  }
  SharedBandwidth bw_;
  double capacity_;
  double core_rate_;  // gm.core_bytes_per_cycle; 0: no limit of its own
  std::unique_ptr<MemorySystem> mem_;
  std::function<void(std::exception_ptr)> fail_;
  sc_event wake_;
  bool wake_pending_ = false;  // wake_ has a notification pending, at wake_cycle_
  uint64_t wake_cycle_ = 0;
  std::vector<std::pair<Owner, MemResult>> owners_;
  std::vector<uint64_t> free_;
  std::vector<uint64_t> done_;
  std::vector<GmClient*> woken_;
  // Completions of DMAs that do not touch HBM: (cycle, tag), in order from
  // local_head_ on. A new one mostly goes among the last (its hit bytes end
  // after those submitted before), so a sorted vector searched from its end
  // costs less than a heap's log n compares, which mispredict.
  using Timed = std::pair<uint64_t, uint64_t>;
  std::vector<Timed> local_;
  size_t local_head_ = 0;
  void insert_local(const Timed& x) {
    size_t at = local_.size();
    while (at > local_head_ && x < local_[at - 1]) --at;
    local_.insert(local_.begin() + long(at), x);
  }
};

// A core group: one cube core and N vector cores, each a CoreEngine. A
// method starts each task it is assigned (and ends it when its last result
// is visible); between, the GM channel hands it its DMA completions and
// resumes it, and it runs its cores until every one waits for GM.
class CoreGroup : public sc_core::sc_module, public GmClient {
 public:
  SC_HAS_PROCESS(CoreGroup);
  CoreGroup(sc_module_name n, uint32_t id, Npu& npu);
  void assign(uint32_t task, uint64_t start_at) {
    task_ = task;
    start_at_ = start_at;
    assign_.notify(sc_core::SC_ZERO_TIME);
  }
  void deliver(const Completion& c) override { inbox_.push_back(c); }
  void resume() override { run_cores(); }

 private:
  void on_event();  // the method: a task assigned, or the running one's end reached
  void begin();     // starts the assigned task's streams
  void run_cores();  // steps the cores until none can make progress
  void end_task();
  uint32_t id_;
  Npu& npu_;
  std::vector<CoreEngine> engines_;
  FlagBoard flags_;
  sc_event assign_, end_;
  std::vector<Completion> inbox_;
  int64_t task_ = -1;
  uint64_t start_at_ = 0;
  bool ending_ = false;  // every core has finished; end_ fires when the task ends
  uint64_t end_at_ = 0;
  // The running task: its engines with work (0 the cube, 1 + v vector core
  // v), which of them to step, its DMAs to submit, the instruction sink.
  std::vector<uint32_t> active_;
  std::vector<char> dirty_;
  std::vector<DmaRequest> requests_;
  uint32_t core_ = 0;  // the engine being stepped, for done_
  std::function<void(const InstrEvent&)> done_;
};

class Npu : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Npu);
  // `trace`: null for no trace.
  Npu(sc_module_name n, const isa::Program& p, const HwConfig& hw, const TraceFilter* trace,
      FunctionalState* functional, const RunOptions& opts)
      : sc_module(n), hw(hw), functional(functional), source(opts.source), cost(hw), stats(p),
        dispatcher(std::make_unique<Dispatcher>(p, hw)), plans(std::make_unique<PlanCache>(p)),
        gm("gm", hw.gm.bytes_per_cycle(hw.clock_ghz), hw.gm.core_bytes_per_cycle, std::make_unique<L2Memory>(hw, p.tensors),
           [this](std::exception_ptr e) { fail(e); }),
        opts_(opts), prog_(&p), sections_(opts.sections), context_mean_(opts.context_mean) {
    task_times_.assign(p.tasks.size(), {~uint64_t(0), 0});
    if (trace) tracer = std::make_unique<TraceWriter>(hw.clock_ghz, *trace);
    for (uint32_t g = 0; g < hw.core_groups; ++g)
      groups.push_back(std::make_unique<CoreGroup>(("group" + std::to_string(g)).c_str(), g, *this));
    name_tracks();
    if (Predecoder::useful(functional != nullptr))
      predecoder = std::make_unique<Predecoder>(p, hw, cost, *plans, source);
    SC_THREAD(schedule);
    scheduler_ = sc_core::sc_get_last_created_process_handle();
  }

  // `core_ends`: the end of each core's last instruction, for the cores that
  // ran instructions of the task (its execution records).
  void task_done(uint32_t task, uint32_t group, uint64_t start, uint64_t end, const std::vector<uint64_t>& core_ends) {
    const isa::Program& p = prog();
    plans->launch_done(p.tasks[task].kernel);
    if (predecoder) predecoder->release(task);
    dispatcher->complete(task, end);
    stats.on_task_end(task, start, end, core_ends);
    task_times_[task] = {start, end};
    if (dispatcher->released(task)) on_detected(task);
    if (tracer) {
      const isa::Task& t = p.tasks[task];
      tracer->event(TraceLevel::Task, group + 1, 0, p.kernels[t.kernel].name, "task", start, end,
                    "{\"task\":" + std::to_string(task) + ",\"site\":" +
                        nlohmann::json(p.sites.at(t.site)).dump() + "}");
    }
    last_end = std::max(last_end, end);
    task_done_.notify(sc_core::SC_ZERO_TIME);
  }
  // The scheduler has detected the task's end: its records' latency is known.
  void on_detected(uint32_t task) {
    stats.on_detected(task, dispatcher->handoff_at(task), dispatcher->detected_at(task));
  }
  // The first error stops the run; simulate() rethrows it as it was thrown
  // (bad input stays bad input, a bug stays a bug). Every other thread is
  // unwound first: one suspended in the middle of a task would never resume,
  // and what its stack owns would leak.
  void fail(std::exception_ptr e) {
    if (error) return;
    error = e;
    const sc_core::sc_process_handle self = sc_core::sc_get_current_process_handle();
    if (scheduler_ != self) scheduler_.kill();
    sc_core::sc_stop();
  }
  void on_instr(uint32_t task, uint32_t group, uint32_t core, const InstrEvent& e) {
    // Events arrive in an order that respects every data dependency, so the
    // semantics can run here (docs/architecture.md, "Functional mode").
    const isa::Program& p = prog();
    if (functional) functional->execute(group, core, *e.instr, e.gm_offset, e.gm_tensor, p.tasks[task].block);
    stats.on_instr(task, e);
    // keeps() first: most of a trace's events are instructions, and building
    // their names and args costs more than the test.
    if (!tracer || e.instr->op == isa::Op::TRESHAPE || !tracer->keeps(TraceLevel::Pipe, e.start, e.pipe_end))
      return;
    const uint32_t tid = 1 + core * kNumPipes + uint32_t(e.cost->pipe);
    std::string name = isa::mnemonic(*e.instr);
    if (e.cost->gm_dma()) name += " " + p.tensors[e.gm_tensor].name;
    // A lane shows when its pipe is busy (a DMA until its last byte has moved).
    tracer->event(TraceLevel::Pipe, group + 1, tid, name, p.kernels[p.tasks[task].kernel].name, e.start,
                  e.pipe_end, "{\"task\":" + std::to_string(task) + ",\"site\":" +
                      nlohmann::json(p.sites.at(e.instr->site)).dump() + ",\"bytes\":" +
                      std::to_string(e.cost->bytes) + "}");
  }

  // The program being run: simulate()'s, then each decode step's.
  const isa::Program& prog() const { return *prog_; }
  const HwConfig& hw;
  FunctionalState* functional;  // null: timing only
  const isa::SourceMap* source;  // a text program's lines; null: none
  CostModel cost;
  Stats stats;  // every step's counts
  std::unique_ptr<Dispatcher> dispatcher;  // the current step's
  std::unique_ptr<PlanCache> plans;
  GmChannel gm;
  std::unique_ptr<TraceWriter> tracer;
  std::vector<std::unique_ptr<CoreGroup>> groups;
  std::exception_ptr error;
  uint64_t last_end = 0;
  struct StepRecord {
    uint64_t start = 0, released = 0;  // dispatching began; its last task's completion was handled
    uint64_t tasks = 0;
    double context_mean = 0;
  };
  std::vector<StepRecord> steps;

 private:
  const RunOptions& opts_;
  const isa::Program* prog_;
  isa::DecodeStep owned_;  // the current step's program from step 1 on
  std::vector<isa::TaskSection> sections_;
  double context_mean_;
  std::vector<std::pair<uint64_t, uint64_t>> task_times_;  // per task of the step: (start, end)
  // Trace processes: core group g is pid g + 1, the scheduler the one after
  // them (it is shown first: name_tracks names it first).
  uint32_t scheduler_pid() const { return hw.core_groups + 1; }
  // Scheduler-process tracks after its threads': the decode steps, the
  // program's sections (its layers).
  uint32_t steps_tid() const { return hw.scheduler.threads; }
  uint32_t sections_tid() const { return hw.scheduler.threads + 1; }
  void name_tracks() {
    if (!tracer) return;
    tracer->name_process(scheduler_pid(), "scheduler");
    for (uint32_t t = 0; t < hw.scheduler.threads; ++t)
      tracer->name_thread(scheduler_pid(), t, "scheduler thread " + std::to_string(t));
    tracer->name_thread(scheduler_pid(), steps_tid(), "decode steps");
    tracer->name_thread(scheduler_pid(), sections_tid(), "layers");
    for (uint32_t g = 0; g < hw.core_groups; ++g) {
      tracer->name_process(g + 1, "core group " + std::to_string(g));
      tracer->name_thread(g + 1, 0, "tasks");
      for (uint32_t c = 0; c <= hw.vector_cores; ++c)
        for (int pi = 0; pi < kNumPipes; ++pi)
          tracer->name_thread(g + 1, 1 + c * kNumPipes + pi,
                              (c == 0 ? std::string("cube ") : "vec" + std::to_string(c - 1) + " ") +
                                  to_string(Pipe(pi)));
    }
  }
  sc_core::sc_process_handle scheduler_;

 public:
  // Decodes the current step's tasks ahead, on a second host thread (null:
  // the core groups decode them). Declared after what it reads (the plan
  // cache, the step's program), so that it stops before they go.
  std::unique_ptr<Predecoder> predecoder;

 private:
  void schedule() {
    try {
      dispatch_all();
    } catch (const sc_core::sc_unwind_exception&) {
      throw;  // fail() is killing this thread
    } catch (...) {
      fail(std::current_exception());
    }
  }
  // Each decode step in turn: its tasks to their end, then the next step's
  // program from the release of its last task on.
  void dispatch_all() {
    for (uint32_t step = 0;; ++step) {
      StepRecord rec;
      rec.start = now_cycles();
      for (const isa::Task& t : prog().tasks) rec.tasks += t.block == 0;  // submitted tasks
      rec.context_mean = context_mean_;
      dispatch_step();
      rec.released = std::max(now_cycles(), last_end);
      steps.push_back(rec);
      mark_step(step);
      if (opts_.on_step) opts_.on_step(step, double(rec.released - rec.start) / hw.clock_ghz / 1000.0);
      if (step + 1 >= opts_.steps) break;
      predecoder.reset();  // it reads this step's program and plan cache
      // From next_step on, this step's program is not read (the caller may
      // free the first step's then, RunOptions::next_step): its tensors' sizes first.
      std::vector<uint64_t> sizes;
      for (const isa::Tensor& t : prog().tensors) sizes.push_back(uint64_t(t.bytes()));
      owned_ = opts_.next_step(step + 1);
      const isa::Program& next = owned_.program;
      if (next.tensors.size() != sizes.size())
        throw SimError("decode step " + std::to_string(step + 1) + " has " + std::to_string(next.tensors.size()) +
                       " tensors, step 0 " + std::to_string(sizes.size()) + ": the steps share one GM layout");
      for (size_t i = 0; i < next.tensors.size(); ++i)
        if (uint64_t(next.tensors[i].bytes()) != sizes[i])
          throw SimError("decode step " + std::to_string(step + 1) + ": tensor '" + next.tensors[i].name +
                         "' differs in size from step 0's: the steps share one GM layout");
      prog_ = &next;
      sections_ = owned_.sections;
      context_mean_ = owned_.context_mean;
      stats.next_program(next);
      dispatcher = std::make_unique<Dispatcher>(next, hw, rec.released);
      plans = std::make_unique<PlanCache>(next);
      if (Predecoder::useful(functional != nullptr))
        predecoder = std::make_unique<Predecoder>(next, hw, cost, *plans, source);
      task_times_.assign(next.tasks.size(), {~uint64_t(0), 0});
    }
    // Nothing is left to notify: the simulation ends on its own when the
    // last task has ended (sc_stop is kept for errors).
  }

  // The step and its sections on their trace tracks.
  void mark_step(uint32_t step) {
    if (!tracer) return;
    const StepRecord& r = steps.back();
    if (opts_.steps > 1)
      tracer->event(TraceLevel::Task, scheduler_pid(), steps_tid(), "step " + std::to_string(step), "step", r.start,
                    r.released, "{\"step\":" + std::to_string(step) + ",\"tasks\":" + std::to_string(r.tasks) + "}");
    for (const isa::TaskSection& sec : sections_) {
      uint64_t from = ~uint64_t(0), to = 0;
      for (uint32_t t = sec.first; t < sec.first + sec.count && t < task_times_.size(); ++t) {
        from = std::min(from, task_times_[t].first);
        to = std::max(to, task_times_[t].second);
      }
      if (from < to)
        tracer->event(TraceLevel::Task, scheduler_pid(), sections_tid(), sec.name, "section", from, to,
                      "{\"step\":" + std::to_string(step) + ",\"first_task\":" + std::to_string(sec.first) +
                          ",\"tasks\":" + std::to_string(sec.count) + "}");
    }
  }

  void dispatch_step() {
    const isa::Program& p = prog();
    while (!dispatcher->all_done()) {
      const uint64_t now = now_cycles();
      auto d = dispatcher->next(now);
      if (!d) {
        wait(task_done_);
        continue;
      }
      if (d->at() > now) {  // a completion meanwhile may change the choice
        wait(until(d->at()), task_done_);
        continue;
      }
      dispatcher->commit(*d);
      if (d->kind == Dispatcher::Kind::Completion) {
        on_detected(d->task);
        if (tracer)
          tracer->event(TraceLevel::Task, scheduler_pid(), d->thread, p.kernels[p.tasks[d->task].kernel].name,
                        "completion", d->handle_at, d->handle_at + hw.scheduler.completion_cycles,
                        "{\"task\":" + std::to_string(d->task) + ",\"group\":" + std::to_string(d->group) + "}");
        continue;
      }
      stats.on_dispatch(d->task, d->ready_at, d->dispatch_at, dispatcher->overhead_cycles());
      if (tracer)
        tracer->event(TraceLevel::Task, scheduler_pid(), d->thread, p.kernels[p.tasks[d->task].kernel].name,
                      "dispatch", d->dispatch_at, d->dispatch_at + hw.scheduler.dispatch_cycles,
                      "{\"task\":" + std::to_string(d->task) + ",\"group\":" + std::to_string(d->group) + "}");
      groups[d->group]->assign(d->task, d->start_at);
    }
  }
  sc_event task_done_;
};

CoreGroup::CoreGroup(sc_module_name n, uint32_t id, Npu& npu) : sc_module(n), id_(id), npu_(npu) {
  for (uint32_t c = 0; c <= npu.hw.vector_cores; ++c) engines_.emplace_back(npu.hw, npu.cost);
  dirty_.assign(engines_.size(), 0);
  done_ = [this](const InstrEvent& e) { npu_.on_instr(uint32_t(task_), id_, core_, e); };
  SC_METHOD(on_event);
  sensitive << assign_ << end_;
  dont_initialize();
}

void CoreGroup::on_event() {
  try {
    if (ending_) {
      end_task();
    } else {
      begin();
      run_cores();
    }
  } catch (...) {
    npu_.fail(std::current_exception());
  }
}

void CoreGroup::begin() {
  const uint32_t task = uint32_t(task_);
  const isa::Program& p = npu_.prog();
  const isa::Task& t = p.tasks[task];
  const isa::Kernel& k = p.kernels[t.kernel];
  // An empty vector stream needs no core. A text program's error is at the
  // stream's first instruction.
  const isa::SourceMap* src = npu_.source;
  for (size_t v = npu_.hw.vector_cores; v < k.vec.size(); ++v)
    if (!k.vec[v].empty())
      throw SimError((src ? src->at(src->instr(p.tasks[task].kernel, int(1 + v), 0)) : "") + "task " +
                     std::to_string(task) + " (kernel '" + k.name + "') has instructions for vector core " +
                     std::to_string(v) + " but hardware '" + npu_.hw.name + "' has " +
                     std::to_string(npu_.hw.vector_cores) + " vector cores per group");
  active_.clear();
  // Each stream's plan: kept from an earlier launch, decoded ahead by the
  // predecoder, or decoded here.
  Predecoder::Decoded* pre = npu_.predecoder ? npu_.predecoder->claim(task) : nullptr;
  for (uint32_t c = 0; c <= k.vec.size(); ++c) {
    const std::vector<isa::Instr>& s = c == 0 ? k.cube : k.vec[c - 1];
    if (s.empty()) continue;
    TaskContext ctx = task_context(p, task, int(c), src);
    if (FunctionalState* f = npu_.functional)
      ctx.read_int = [f](uint32_t tensor, int64_t elem) -> int64_t { return f->read_int(tensor, elem); };
    const uint64_t t0 = start_at_ + npu_.hw.task_entry_cycles;
    if (const DecodedStream* plan = npu_.plans->find(t.kernel, c, t.block)) {
      engines_[c].start(plan, &s, t0, ctx);
    } else if (pre && c < pre->plans.size()) {
      if (pre->error && c + 1 == pre->plans.size()) std::rethrow_exception(pre->error);
      const DecodedStream* plan = npu_.plans->keeps(t.kernel)
                                      ? npu_.plans->put(t.kernel, c, t.block, std::move(pre->plans[c]))
                                      : &pre->plans[c];
      engines_[c].start(plan, &s, t0, ctx);
    } else {
      engines_[c].load(&s, t0, ctx);
      npu_.plans->put(t.kernel, c, t.block, engines_[c].decoded());
    }
    active_.push_back(c);
  }
  flags_.reset();
  inbox_.clear();
  // An engine is stepped only when something it may be waiting for changed:
  // its own DMA completed, or another core posted a flag.
  std::fill(dirty_.begin(), dirty_.end(), 0);
  for (uint32_t c : active_) dirty_[c] = 1;
}

void CoreGroup::run_cores() {
  while (true) {
    bool stepped = false;
    for (uint32_t c : active_) {
      if (!dirty_[c]) continue;
      dirty_[c] = 0;
      stepped = true;
      core_ = c;
      const uint64_t posts = flags_.total_posts();
      engines_[c].step(flags_, requests_, done_);
      if (flags_.total_posts() != posts)
        for (uint32_t o : active_) dirty_[o] |= o != c;
      for (const DmaRequest& r : requests_) npu_.gm.submit(r.start, r.mem, r.cap, {this, c, r.instr});
      requests_.clear();
    }
    for (const Completion& cpl : inbox_) {
      core_ = cpl.core;
      engines_[cpl.core].dma_done(cpl.instr, cpl.t, cpl.mem, done_);
      dirty_[cpl.core] = 1;
    }
    const bool completions = !inbox_.empty();
    inbox_.clear();
    if (stepped || completions) continue;
    bool finished = true, waiting_on_gm = false;
    for (uint32_t c : active_) {
      finished &= engines_[c].finished();
      waiting_on_gm |= engines_[c].dma_in_flight();
    }
    if (finished) break;
    if (!waiting_on_gm) {
      const isa::SourceMap* src = npu_.source;
      const uint32_t task = uint32_t(task_);
      std::ostringstream os;
      os << (src ? src->at(src->task(task)) : "") << "deadlock in task " << task << " (kernel '"
         << npu_.prog().kernels[npu_.prog().tasks[task].kernel].name << "') on core group " << id_
         << ": no core can make progress";
      for (uint32_t c : active_) os << "\n  " << engines_[c].blocked_state();
      throw SimError(os.str());
    }
    return;  // the GM channel resumes the group at the next completion
  }
  end_at_ = start_at_;
  for (uint32_t c : active_) end_at_ = std::max(end_at_, engines_[c].end_time());
  ending_ = true;
  const uint64_t now = now_cycles();
  if (end_at_ > now) end_.notify(until(end_at_));
  else end_task();
}

void CoreGroup::end_task() {
  ending_ = false;
  std::vector<uint64_t> core_ends;
  for (uint32_t c : active_) core_ends.push_back(engines_[c].end_time());
  const uint32_t task = uint32_t(task_);
  task_ = -1;
  npu_.task_done(task, id_, start_at_, end_at_, core_ends);
}

}  // namespace

RunResult simulate(const isa::Program& program, const HwConfig& hw, const RunOptions& opts) {
  const auto t0 = std::chrono::steady_clock::now();
  // Quiet the kernel's "Simulation stopped by user" (sc_stop after an error).
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  if (opts.functional && (&opts.functional->program() != &program ||
                          opts.functional->cores_per_group() != 1 + hw.vector_cores ||
                          opts.functional->core_groups() != hw.core_groups))
    throw SimError("functional state was built for another program or hardware");
  if (opts.max_cycles > kMaxCycles)
    throw SimError("--max-cycles " + std::to_string(opts.max_cycles) + " is past the " +
                   std::to_string(kMaxCycles) + " (2^53) cycles the model represents");
  if (opts.steps == 0 || (opts.steps > 1 && !opts.next_step))
    throw SimError("a run of " + std::to_string(opts.steps) + " decode steps needs a program for each");
  if (opts.steps > 1 && opts.functional)
    throw SimError("functional mode runs one decode step (" + std::to_string(opts.steps) + " asked for)");
  g_max_cycles = opts.max_cycles;
  Npu npu("npu", program, hw, opts.trace_path.empty() ? nullptr : &opts.trace_filter, opts.functional, opts);
  sc_core::sc_start();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (npu.error) std::rethrow_exception(npu.error);
  if (!npu.dispatcher->all_done() || npu.steps.size() != opts.steps)
    throw SimError("simulation ended with tasks left undispatched");
  RunResult r;
  r.total_cycles = npu.last_end;
  r.report = npu.stats.report(hw, r.total_cycles, npu.dispatcher->critical_path());
  if (opts.steps > 1) {
    // Time per output token: a step runs from its first submission to the
    // release of its last task (the host then has the token and starts the
    // next step), so the steps tile the run.
    const auto us = [&](uint64_t cycles) { return double(cycles) / hw.clock_ghz / 1000.0; };
    nlohmann::ordered_json per = nlohmann::ordered_json::array();
    double sum = 0, lo = 0, hi = 0;
    for (size_t i = 0; i < npu.steps.size(); ++i) {
      const auto& s = npu.steps[i];
      const double tpot = us(s.released - s.start);
      sum += tpot;
      lo = i ? std::min(lo, tpot) : tpot;
      hi = i ? std::max(hi, tpot) : tpot;
      per.push_back({{"step", i}, {"start_us", us(s.start)}, {"tpot_us", tpot}, {"tasks", s.tasks},
                     {"context_mean", s.context_mean}});
    }
    const double mean = sum / double(npu.steps.size());
    r.report["decode"] = {{"steps", npu.steps.size()},
                          {"tokens_per_step", opts.tokens_per_step},
                          {"tpot_us", {{"mean", mean}, {"min", lo}, {"max", hi},
                                       {"first", per.front()["tpot_us"]}, {"last", per.back()["tpot_us"]}}},
                          {"tokens_per_s", mean > 0 ? double(opts.tokens_per_step) / (mean * 1e-6) : 0.0},
                          {"per_step", per}};
  }
  if (npu.tracer) npu.tracer->write(opts.trace_path);
  const double instrs = double(npu.stats.totals().instructions);
  // The process's peak resident memory so far (generation included): what
  // a run of this size needs (ru_maxrss is in KiB on Linux).
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  r.report["sim"] = {{"wall_s", wall},
                     {"instructions_per_s", wall > 0 ? instrs / wall : 0.0},
                     {"peak_rss_mib", double(ru.ru_maxrss) / 1024.0}};
  return r;
}

}  // namespace sim
