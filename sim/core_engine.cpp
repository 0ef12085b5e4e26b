#include "sim/core_engine.h"

#include <algorithm>
#include <sstream>

#include "isa/text.h"

namespace sim {

using isa::Op;

void FlagBoard::post(uint32_t flag, uint64_t t, const Clock& known) {
  if (flag >= posts_.size()) posts_.resize(flag + 1);
  posts_[flag].push_back({t, known});
  ++total_;
}

bool FlagBoard::take(uint32_t flag, uint64_t* t, Clock* known) {
  if (flag >= posts_.size() || posts_[flag].empty()) return false;
  *t = posts_[flag].front().t;
  *known = posts_[flag].front().known;
  posts_[flag].erase(posts_[flag].begin());
  return true;
}

namespace {
// The core of the group that runs a task's stream (TaskContext::stream).
uint32_t core_of(const TaskContext& ctx) {
  if (ctx.stream < 0 || ctx.stream >= int(kMaxGroupCores))
    throw std::logic_error("core engine: stream " + std::to_string(ctx.stream) + " is not a core of a group (0.." +
                           std::to_string(kMaxGroupCores - 1) + ")");
  return uint32_t(ctx.stream);
}
}  // namespace

uint8_t CoreEngine::kernel_sharing() {
  const isa::Program& p = *ctx_.program;
  // Keyed by the kernels' storage, not the Program's address: a token run's
  // steps reuse one Program object, and each step's kernels are allocated
  // while the step before still holds its own, so two steps in a row never
  // share a kernels array.
  if (kernels_of_ != p.kernels.data() || kernel_sharing_.size() != p.kernels.size()) {
    kernels_of_ = p.kernels.data();
    kernel_sharing_.assign(p.kernels.size(), -1);
  }
  const uint32_t k = p.tasks[ctx_.task].kernel;
  if (kernel_sharing_[k] < 0) {
    uint8_t bits = 0;
    for (const std::vector<isa::Instr>& s : p.kernels[k].vec)
      for (const isa::Instr& in : s)
        if (in.op == Op::TMOV)
          bits |= (in.dst.space == isa::Space::L1 ? kVecWritesL1 : 0) | (in.a.space == isa::Space::L0C ? kVecReadsL0c : 0);
    kernel_sharing_[k] = int8_t(bits);
  }
  return uint8_t(kernel_sharing_[k]);
}

PlanCache::PlanCache(const isa::Program& p) : keep_(p.kernels.size(), false), left_(p.kernels.size(), 0) {
  for (const isa::Task& t : p.tasks) ++left_[t.kernel];
  std::vector<std::vector<uint32_t>> tensors(p.kernels.size());  // the GM tensors each kept kernel names
  for (size_t k = 0; k < p.kernels.size(); ++k) {
    if (left_[k] < 2) continue;
    const isa::Kernel& kernel = p.kernels[k];
    const auto sloads = [](const std::vector<isa::Instr>& s) {
      return std::any_of(s.begin(), s.end(), [](const isa::Instr& in) { return in.op == Op::SLOAD; });
    };
    keep_[k] = !sloads(kernel.cube) && std::none_of(kernel.vec.begin(), kernel.vec.end(), sloads);
    if (keep_[k]) tensors[k] = kernel.gm_tensors();
  }
  // A plan's GM hazards are those of its first launch's binding. Under one
  // that binds two tensors the kernel names to one tensor their views may
  // overlap where the first's did not: such a kernel is decoded per launch.
  std::vector<uint32_t> bound;
  for (const isa::Task& t : p.tasks) {
    if (!keep_[t.kernel] || t.binding == isa::kNoBinding) continue;
    bound.clear();
    for (uint32_t x : tensors[t.kernel]) bound.push_back(p.bindings[t.binding].tensor(x));
    std::sort(bound.begin(), bound.end());
    if (std::adjacent_find(bound.begin(), bound.end()) != bound.end()) keep_[t.kernel] = false;
  }
}

const DecodedStream* PlanCache::find(uint32_t kernel, uint32_t core, uint32_t block) const {
  const auto it = plans_.find({kernel, core, block});
  return it == plans_.end() ? nullptr : it->second.get();
}

const DecodedStream* PlanCache::put(uint32_t kernel, uint32_t core, uint32_t block, DecodedStream plan) {
  if (!keep_[kernel]) return nullptr;
  auto& kept = plans_[{kernel, core, block}];
  kept = std::make_unique<DecodedStream>(std::move(plan));
  return kept.get();
}

TaskContext task_context(const isa::Program& p, uint32_t task, int stream, const isa::SourceMap* source) {
  TaskContext ctx;
  ctx.program = &p;
  ctx.task = task;
  ctx.block = p.tasks[task].block;
  ctx.stream = stream;
  ctx.source = source;
  ctx.read_int = [&p](uint32_t tensor, int64_t elem) -> int64_t {
    const isa::Tensor& t = p.tensors[tensor];
    return elem < int64_t(t.init.size()) ? t.init[size_t(elem)] : 0;
  };
  return ctx;
}

DecodedStream CoreEngine::take_decoded() {
  DecodedStream d = std::move(own_);
  own_ = DecodedStream();
  plan_ = &own_;
  return d;
}

void PlanCache::launch_done(uint32_t kernel) {
  if (--left_[kernel] > 0 || !keep_[kernel]) return;
  plans_.erase(plans_.lower_bound({kernel, 0, 0}), plans_.lower_bound({kernel + 1, 0, 0}));
}

std::string CoreEngine::source_at(uint32_t i) const {
  if (!ctx_.source) return "";
  return ctx_.source->at(ctx_.source->instr(ctx_.program->tasks[ctx_.task].kernel, ctx_.stream, i));
}

std::string CoreEngine::where(uint32_t i) const { return source_at(i) + describe(i); }

std::string CoreEngine::describe(uint32_t i) const {
  const isa::Program& p = *ctx_.program;
  const isa::Task& t = p.tasks[ctx_.task];
  const isa::Instr& in = (*stream_)[i];
  std::ostringstream os;
  os << "task " << ctx_.task << " (kernel " << t.kernel << " '" << p.kernels[t.kernel].name << "', "
     << core_name(core_) << ") instruction #" << i << " " << isa::mnemonic(in);
  if (in.site < p.sites.size()) os << " at '" << p.sites[in.site] << "'";
  return os.str();
}

void CoreEngine::load(const std::vector<isa::Instr>* stream, uint64_t t0, const TaskContext& ctx) {
  stream_ = stream;
  ctx_ = ctx;
  bind(*ctx.program, ctx.program->binding_of(ctx.program->tasks[ctx.task]));
  core_ = core_of(ctx);
  cube_ = core_ == 0;
  const uint8_t sharing = cube_ ? kernel_sharing() : 0;
  // The cube's buffers its vector cores reach in this task (all accesses of
  // the cube to them are logged then), and what a vector core reaches.
  for (bool& s : shared_space_) s = false;
  shared_space_[int(isa::Space::L1)] = !cube_ || (sharing & kVecWritesL1);
  shared_space_[int(isa::Space::L0C)] = !cube_ || (sharing & kVecReadsL0c);
  own_.shared.clear();
  own_.shared_at.clear();
  waits_decoded_ = 0;
  const size_t n = stream->size();
  if (n > DecodedStream::kDepIndex)
    throw SimError(where(0) + ": a stream of " + std::to_string(n) + " instructions is too long");
  plan_ = &own_;
  own_.dec.resize(n);
  own_.deps.clear();
  for (auto& q : own_.queue) q.clear();
  written_.clear();
  written_at_.assign(n + 1, 0);
  for (RegionTracker& r : local_) r.clear();
  regs_.clear();

  std::vector<uint32_t>& deps = own_.deps;
  int64_t regs[isa::kNumRegs] = {};
  gm_tensors_.clear();
  int32_t last_wait = -1, last_sync = -1;
  std::vector<uint32_t> since_sync;
  for (uint32_t i = 0; i < n; ++i) {
    Decoded& d = own_.dec[i];
    d.issue_offset = uint64_t(i) * hw_.issue_interval_cycles;
    d.dep_begin = uint32_t(deps.size());
    written_at_[i] = uint32_t(written_.size());
    decode_one(i, regs);
    written_at_[i + 1] = uint32_t(written_.size());
    const Op op = (*stream)[i].op;
    if (op == Op::WAIT) ++waits_decoded_;
    if (op == Op::SIGNAL) deps.insert(deps.end(), since_sync.begin(), since_sync.end());
    if (last_sync >= 0 && (op == Op::SIGNAL || op == Op::WAIT)) deps.push_back(uint32_t(last_sync));
    if (last_wait >= 0) deps.push_back(uint32_t(last_wait));
    // A SIGNAL covers every earlier instruction: those since the previous
    // SIGNAL directly, the rest through it (a WAIT does not wait for what
    // came before it, so it does not end the list).
    if (op == Op::SIGNAL || op == Op::WAIT) {
      if (op == Op::SIGNAL) since_sync.clear();
      last_sync = int32_t(i);
      if (op == Op::WAIT) last_wait = int32_t(i);
    } else {
      since_sync.push_back(i);
    }
    auto b = deps.begin() + d.dep_begin;
    std::sort(b, deps.end());
    deps.erase(std::unique(b, deps.end()), deps.end());
    d.dep_end = uint32_t(deps.size());
    for (auto k = b; k != deps.end(); ++k)
      if (own_.dec[*k].cost.pipe != d.cost.pipe) *k |= DecodedStream::kCrossPipe;
    own_.queue[int(d.cost.pipe)].push_back(i);
  }
  own_.num_live = 0;
  for (int p = 0; p < kNumPipes; ++p)
    if (!own_.queue[p].empty()) own_.live_pipes[own_.num_live++] = p;
  reset_run(t0);
}

void CoreEngine::start(const DecodedStream* plan, const std::vector<isa::Instr>* stream, uint64_t t0,
                       const TaskContext& ctx) {
  stream_ = stream;
  ctx_ = ctx;
  bind(*ctx.program, ctx.program->binding_of(ctx.program->tasks[ctx.task]));
  core_ = core_of(ctx);
  cube_ = core_ == 0;
  plan_ = plan;
  reset_run(t0);
}

void CoreEngine::bind(const isa::Program& p, const isa::Binding* b) {
  for (uint32_t t : bound_set_) {
    bound_tensor_[t] = t;
    bound_offset_[t] = 0;
  }
  bound_set_.clear();
  const size_t n = p.tensors.size();
  if (bound_tensor_.size() != n) {
    bound_tensor_.resize(n);
    for (uint32_t t = 0; t < n; ++t) bound_tensor_[t] = t;
    bound_offset_.assign(n, 0);
  }
  if (elems_of_ != &p || tensor_elems_.size() != n) {
    elems_of_ = &p;
    tensor_elems_.resize(n);
    for (size_t t = 0; t < n; ++t) tensor_elems_[t] = p.tensors[t].elems();
  }
  if (!b) return;
  for (const isa::BoundTensor& e : b->entries) {  // validate_program checked the indices
    bound_tensor_[e.from] = e.to;
    bound_offset_[e.from] = e.offset;
    bound_set_.push_back(e.from);
  }
}

void CoreEngine::gm_out_of_bounds(uint32_t i, uint32_t tensor, int64_t off, const char* regs) const {
  const isa::Instr& in = (*stream_)[i];
  const int64_t last = off + in.gm.span();  // one past the end
  std::ostringstream os;
  os << where(i) << ": GM access out of bounds of '" << ctx_.program->tensors[tensor].name << "' ("
     << tensor_elems_[tensor] << " elements): elements [" << off << ", " << last << ")" << regs;
  if (const int64_t moved = gm_moved(in)) os << " (the task's binding moves the view by " << moved << ")";
  throw SimError(os.str());
}

void CoreEngine::reset_run(uint64_t t0) {
  const size_t n = plan_->dec.size();
  t0_ = t0;
  start_.assign(n, kUnknown);
  end_.assign(n, kUnknown);
  dep_ready_.assign(n, 0);
  dep_next_.resize(n);
  for (size_t i = 0; i < n; ++i) dep_next_[i] = plan_->dec[i].dep_begin;
  for (int p = 0; p < kNumPipes; ++p) {
    head_[p] = 0;
    pipe_free_[p] = t0;
    in_flight_[p] = false;
    blocked_on_[p] = kNotBlocked;
  }
  finished_count_ = 0;
  end_max_ = t0;
  wait_clock_.clear();
  known_.fill(0);
}

void CoreEngine::decode_one(uint32_t i, int64_t regs[]) {
  const isa::Instr& in = (*stream_)[i];
  Decoded& d = own_.dec[i];
  try {
    d.cost = cm_.cost(in);
  } catch (const isa::InputError& e) {  // no path for the op; a duration past kMaxCycles
    throw SimError(where(i) + ": " + e.what());
  }
  d.gm_offset = 0;
  const int pipe = int(d.cost.pipe);
  const int32_t idx = int32_t(i);
  auto add_shared = [&](isa::Space space, uint64_t lo, uint64_t hi, bool write, bool need_written, const char* role) {
    if (own_.shared_at.empty()) own_.shared_at.assign(stream_->size(), -1);
    if (own_.shared_at[i] < 0) own_.shared_at[i] = int32_t(own_.shared.size());
    own_.shared.push_back({i, waits_decoded_ - 1, space, lo, hi, write, need_written, role});
  };
  auto shared_space = [&](isa::Space s) { return shared_space_[int(s)]; };

  // Capacity: a tile's bytes run from its first element to its last valid
  // one (to the end of rows x cols for VFILLPAD's write).
  auto check_tile = [&](const isa::Tile& t, const char* role, uint64_t bytes) {
    const uint32_t cap = capacity_[int(t.space)];
    if (uint64_t(t.offset) + bytes > cap) {
      std::ostringstream os;
      os << where(i) << ": " << role << " tile " << isa::to_string(t.space) << "[" << t.offset << ", "
         << uint64_t(t.offset) + bytes << ") (" << t.vrows() << "x" << t.vcols() << " "
         << isa::to_string(t.dtype) << ", " << bytes << " B) exceeds the " << isa::to_string(t.space)
         << " capacity of " << cap << " B";
      throw SimError(os.str());
    }
  };
  // The bytes of a tile's valid region, one interval per row unless the rows
  // are contiguous (a column sub-view skips its parent's other columns).
  auto for_rows = [](const isa::Tile& t, auto&& f) {
    const uint64_t e = isa::dtype_bytes(t.dtype), pitch = uint64_t(t.cols) * e, row = t.vcols() * e;
    if (t.vcols() == t.cols || t.vrows() == 1) return f(t.offset, t.offset + uint64_t(t.footprint()));
    for (uint64_t r = 0; r < t.vrows(); ++r) f(t.offset + r * pitch, t.offset + r * pitch + row);
  };
  // Hazards are tracked on a tile's span, from its first element to its last
  // valid one: exact for dense tiles, conservative for a column sub-view
  // (its parent's other columns in between count as touched).
  auto read_tile = [&](const isa::Tile& t, const char* role) {
    check_tile(t, role, t.footprint());
    const size_t first_writer = own_.deps.size();
    const uint64_t lo = t.offset, hi = t.offset + uint64_t(t.footprint());
    const bool shared = shared_space(t.space);
    // A vector core reads the cube's L0C (the L0C -> UB path): the cube wrote
    // it, which the run checks (cross_core.h); nothing on this core writes
    // L0C, so there is no hazard here to track.
    if (shared && !cube_) {
      add_shared(t.space, lo, hi, false, true, role);
      return;
    }
    const bool written = local_[int(t.space)].read(lo, hi, idx, pipe, own_.deps);
    // The cube's L1 in a task where a vector core writes it: bytes this core
    // did not write may come from a vector core, which the run checks.
    if (shared) add_shared(t.space, lo, hi, false, !written, role);
    if (!written && !shared) {
      std::ostringstream os;
      os << where(i) << ": reads " << role << " tile " << isa::to_string(t.space) << "[" << lo << ", " << hi
         << ") before anything in this task wrote it (local buffers do not survive across launches)";
      throw SimError(os.str());
    }
    check_live_tiles(i, t, role, first_writer);
  };
  // `whole`: the write covers all of rows x cols (vfillpad), not just the valid region.
  auto write_tile = [&](const isa::Tile& t, const char* role, bool whole = false) {
    const uint64_t bytes = whole ? t.bytes() : t.footprint();
    check_tile(t, role, bytes);
    local_[int(t.space)].write(t.offset, t.offset + bytes, idx, own_.deps);
    // A vector core writing the cube's L1 (UB -> L1), or the cube writing L1
    // or L0C in a task where a vector core reaches it.
    if (shared_space(t.space)) add_shared(t.space, t.offset, t.offset + bytes, true, false, role);
    // The exact bytes, for the live-tile check.
    if (whole) written_.push_back({t.offset, t.offset + bytes});
    else for_rows(t, [&](uint64_t lo, uint64_t hi) { written_.push_back({lo, hi}); });
  };
  auto use_reg = [&](int r) {
    if (!regs_.read(uint64_t(r), uint64_t(r) + 1, idx, pipe, own_.deps))
      throw SimError(where(i) + ": reads register R" + std::to_string(r) + " before any sload set it");
  };
  auto gm_access = [&](bool write) {
    const isa::GmView& v = in.gm;
    const uint32_t tensor = gm_tensor(in);
    const isa::Tensor& t = ctx_.program->tensors[tensor];
    int64_t off = v.offset;
    if (v.reg >= 0) {
      use_reg(v.reg);
      off += regs[v.reg] * v.reg_scale;
    }
    // The plan keeps the kernel's offset; the task's binding moves it at run
    // time (a kept plan serves launches with other offsets).
    d.gm_offset = off;
    off += gm_moved(in);
    const int64_t last = off + v.span();  // one past the end
    if (off < 0 || last > tensor_elems_[tensor]) {
      const std::string reg =
          v.reg >= 0 ? " with R" + std::to_string(int(v.reg)) + " = " + std::to_string(regs[v.reg]) : "";
      gm_out_of_bounds(i, tensor, off, reg.c_str());
    }
    size_t k = 0;
    while (k < gm_tensors_.size() && gm_tensors_[k] != tensor) ++k;
    if (k == gm_tensors_.size()) {
      gm_tensors_.push_back(tensor);
      if (gm_trackers_.size() < gm_tensors_.size()) gm_trackers_.emplace_back();
      gm_trackers_[k].clear();
    }
    const uint64_t e = isa::dtype_bytes(t.dtype);
    if (write) gm_trackers_[k].write(uint64_t(off) * e, uint64_t(last) * e, idx, own_.deps);
    else gm_trackers_[k].read(uint64_t(off) * e, uint64_t(last) * e, idx, pipe, own_.deps);
  };

  // What the instruction reads and writes, as its row in the op table says.
  const isa::OpInfo& op = isa::op_info(in.op);
  if (op.uses(isa::Operand::Gm) && !op.gm_write) gm_access(false);
  if (op.uses(isa::Operand::A)) read_tile(in.a, op.a_name);
  if (op.uses(isa::Operand::B)) read_tile(in.b, op.b_name);
  if (op.uses(isa::Operand::Dst)) {
    if (op.dst_use & isa::kDstRead || (op.dst_use & isa::kDstReadIfAcc && in.flags & isa::kAccumulate))
      read_tile(in.dst, op.dst_read_name);
    if (op.dst_use & isa::kDstWrite) write_tile(in.dst, "dst", op.dst_use & isa::kDstWriteWhole);
  }
  if (op.gm_write) gm_access(true);
  if (op.uses(isa::Operand::Reg)) {
    if (op.reg_read) use_reg(in.reg);
    // The register's value, for offsets later in the stream.
    if (in.op == Op::SLOAD) regs[in.reg] = ctx_.read_int ? ctx_.read_int(gm_tensor(in), d.gm_offset + gm_moved(in)) : 0;
    else if (in.op == Op::SADD) regs[in.reg] += int64_t(in.imm);
    else if (in.op == Op::SBLOCK) regs[in.reg] = ctx_.block;
    regs_.write(uint64_t(in.reg), uint64_t(in.reg) + 1, idx, own_.deps);
  }
}

namespace {
using Intervals = std::pair<const std::pair<uint64_t, uint64_t>*, const std::pair<uint64_t, uint64_t>*>;

// Both lists are sorted and disjoint.
bool intersects(Intervals a, Intervals b) {
  while (a.first != a.second && b.first != b.second) {
    if (a.first->second <= b.first->first) ++a.first;
    else if (b.first->second <= a.first->first) ++b.first;
    else return true;
  }
  return false;
}

bool covers(Intervals outer, Intervals inner) {  // every byte of inner is in outer
  for (; inner.first != inner.second; ++inner.first) {
    while (outer.first != outer.second && outer.first->second <= inner.first->first) ++outer.first;
    if (outer.first == outer.second || outer.first->first > inner.first->first ||
        outer.first->second < inner.first->second)
      return false;
  }
  return true;
}
}  // namespace

void CoreEngine::check_live_tiles(uint32_t i, const isa::Tile& t, const char* role, size_t first_writer) {
  // The bytes a read expects come from the instructions that last wrote them
  // (own_.deps from first_writer on). Pieces of one tile are written side by side
  // or one inside another; two writes that overlap without either holding
  // the other are two live tiles sharing bytes: the later one clobbered the
  // earlier one before this read.
  const auto first = own_.deps.begin() + long(first_writer);
  if (std::all_of(first, own_.deps.end(), [&](uint32_t w) { return w == *first; })) return;  // one writer
  std::vector<uint32_t> writers(first, own_.deps.end());
  std::sort(writers.begin(), writers.end());
  writers.erase(std::unique(writers.begin(), writers.end()), writers.end());
  auto set_of = [&](uint32_t w) -> Intervals {
    return {written_.data() + written_at_[w], written_.data() + written_at_[w + 1]};
  };
  auto hull = [&](uint32_t w) {
    const Intervals s = set_of(w);
    return "[" + std::to_string(s.first->first) + ", " + std::to_string((s.second - 1)->second) + ")";
  };
  for (size_t x = 0; x < writers.size(); ++x)
    for (size_t y = x + 1; y < writers.size(); ++y) {
      const Intervals a = set_of(writers[x]), b = set_of(writers[y]);
      if (a.first == a.second || b.first == b.second || !intersects(a, b) || covers(a, b) || covers(b, a))
        continue;
      std::ostringstream os;
      os << where(i) << ": reads " << role << " tile " << isa::to_string(t.space) << "[" << t.offset << ", "
         << uint64_t(t.offset) + t.footprint() << ") whose bytes come from #" << writers[x] << " "
         << isa::mnemonic((*stream_)[writers[x]]) << " (wrote " << hull(writers[x]) << ") and #" << writers[y]
         << " " << isa::mnemonic((*stream_)[writers[y]]) << " (wrote " << hull(writers[y])
         << "), which overlap without one holding the other: two live tiles share bytes in "
         << isa::to_string(t.space);
      throw SimError(os.str());
    }
}

void CoreEngine::step(FlagBoard& flags, std::vector<DmaRequest>& out,
                      const std::function<void(const InstrEvent&)>& done) {
  const DecodedStream& plan = *plan_;
  for (bool progress = true; progress;) {
    progress = false;
    for (int lp = 0; lp < plan.num_live; ++lp) {
      const int p = plan.live_pipes[lp];
      const std::vector<uint32_t>& queue = plan.queue[p];
      while (head_[p] < queue.size() && !in_flight_[p]) {
        // The head still waits for the instruction it waited for last time:
        // nothing else to look at.
        if (blocked_on_[p] != kNotBlocked) {
          if (end_[blocked_on_[p]] == kUnknown) break;
          blocked_on_[p] = kNotBlocked;
        }
        const uint32_t i = queue[head_[p]];
        // A pipe's instructions are read in its queue's order, mostly from
        // host memory (a kernel's instructions were last read a layer ago, or
        // decoded on the other thread): fetch the one two ahead and its
        // decoded entry (-15% wall on bench, -6% on the 64-layer step).
        if (head_[p] + 2 < queue.size()) {
          const uint32_t ahead = queue[head_[p] + 2];
          // Both host lines of each: an instruction is 96 bytes, its GM view
          // (read first by a DMA) in the second; a decoded entry straddles two.
          const char* in_ahead = reinterpret_cast<const char*>(&(*stream_)[ahead]);
          const char* dec_ahead = reinterpret_cast<const char*>(&plan.dec[ahead]);
          __builtin_prefetch(in_ahead);
          __builtin_prefetch(in_ahead + sizeof(isa::Instr) - 1);
          __builtin_prefetch(dec_ahead);
          __builtin_prefetch(dec_ahead + sizeof(Decoded) - 1);
          // The dependency list of the next one, whose entry the previous
          // round fetched.
          __builtin_prefetch(&plan.deps[plan.dec[queue[head_[p] + 1]].dep_begin]);
        }
        const Decoded& d = plan.dec[i];
        uint32_t& next = dep_next_[i];
        for (; next < d.dep_end; ++next) {
          const uint32_t dep = plan.deps[next];
          const uint64_t e = end_[dep & DecodedStream::kDepIndex];
          if (e == kUnknown) {
            blocked_on_[p] = dep & DecodedStream::kDepIndex;
            break;
          }
          // Across pipes the hand-off is a flag (set_flag / wait_flag): it costs.
          dep_ready_[i] = std::max(dep_ready_[i], dep & DecodedStream::kCrossPipe ? e + hw_.pipe_sync_cycles : e);
        }
        if (next < d.dep_end) break;
        const uint64_t ready = std::max({t0_ + d.issue_offset, pipe_free_[p], dep_ready_[i]});
        const isa::Instr& in = (*stream_)[i];
        uint64_t posted;
        Clock post_known;
        if (in.op == Op::WAIT && !flags.take(uint32_t(in.imm), &posted, &post_known)) break;
        if (!plan.shared_at.empty() && plan.shared_at[i] >= 0) shared_access(i, flags);
        if (d.cost.gm_dma()) {
          // A kept plan was decoded, and its bounds checked, under another
          // launch's binding: every launch's offsets are checked here.
          const int64_t off = d.gm_offset + gm_moved(in);
          check_gm_bounds(i, gm_tensor(in), off, "");
          start_[i] = ready;
          out.push_back({i, ready + d.cost.setup_cycles, mem_request(in, off), d.cost.cap});
          in_flight_[p] = true;
          progress = true;
          break;
        }
        uint64_t end = ready + d.cost.cycles;
        if (in.op == Op::WAIT) {
          end = std::max(ready, posted);
          // What the post's core knew holds for every later instruction here.
          for (int c = 0; c < kMaxGroupCores; ++c) known_[c] = std::max(known_[c], post_known[c]);
          wait_clock_.push_back(known_);
        } else if (in.op == Op::SIGNAL) {
          // Every earlier instruction of this core has ended: i of them.
          Clock k = known_;
          k[core_] = i;
          flags.post(uint32_t(in.imm), end, k);
        }
        pipe_free_[p] = end;
        ++head_[p];
        finish(i, ready, end, end, done);
        progress = true;
      }
    }
  }
}

void CoreEngine::dma_done(uint32_t i, uint64_t t, const MemResult& mem,
                          const std::function<void(const InstrEvent&)>& done) {
  const int p = int(plan_->dec[i].cost.pipe);
  pipe_free_[p] = t;
  in_flight_[p] = false;
  ++head_[p];
  finish(i, start_[i], t, t + mem.latency_cycles, done, &mem);  // the latency the memory system decided
}

void CoreEngine::shared_access(uint32_t i, FlagBoard& flags) {
  const std::vector<SharedAccess>& shared = plan_->shared;
  for (size_t k = size_t(plan_->shared_at[i]); k < shared.size() && shared[k].instr == i; ++k) {
    const SharedAccess& a = shared[k];
    // The WAITs before i have ended (i waits for the last one), in order.
    const Clock& known = a.wait >= 0 ? wait_clock_[size_t(a.wait)] : kNothingKnown;
    const SharedBufferLog::Conflict c =
        flags.log(a.space).access({core_, i, &(*stream_)[i]}, known, a.lo, a.hi, a.write, a.need_written);
    if (c.kind != SharedBufferLog::Conflict::None) throw SimError(shared_conflict(i, a, c));
  }
}

std::string CoreEngine::shared_conflict(uint32_t i, const SharedAccess& a, const SharedBufferLog::Conflict& c) const {
  using K = SharedBufferLog::Conflict;
  std::ostringstream os;
  os << where(i) << ": ";
  const std::string mine = std::string(a.write ? "writes " : "reads ") + a.role + " tile " + isa::to_string(a.space) +
                           "[" + std::to_string(a.lo) + ", " + std::to_string(a.hi) + ")";
  const std::string bytes = "bytes [" + std::to_string(c.lo) + ", " + std::to_string(c.hi) + ")";
  std::string other;
  if (c.kind != K::ReadBeforeWrite) {
    const isa::Program& p = *ctx_.program;
    other = core_name(c.other.core) + "'s #" + std::to_string(c.other.index) + " " + isa::mnemonic(*c.other.instr);
    if (c.other.instr->site < p.sites.size()) other += " at '" + p.sites[c.other.instr->site] + "'";
  }
  const std::string who = core_name(c.other.core);
  switch (c.kind) {
    case K::None: break;
    case K::ReadBeforeWrite:
      os << mine << " but nothing in this task wrote " << bytes << " before it (local buffers do not survive across "
         << "launches; "
         << (a.space == isa::Space::L1 ? "a vector core's write into the cube's L1 must come first: SIGNAL on the "
                                         "vector core after its write, WAIT here before the read)"
                                       : "the cube's write must come first: SIGNAL on the cube after its write, WAIT "
                                         "here before the read)");
      break;
    case K::ReadAfterWrite:
      os << mine << ", whose " << bytes << " " << other
         << " wrote, and nothing orders the read after that write (SIGNAL on " << who
         << " after the write, WAIT here before the read)";
      break;
    case K::WriteAfterRead:
      os << mine << " over " << bytes << " that " << other
         << " reads, and nothing orders the write after that read: the core could overwrite data still being "
            "read (SIGNAL on " << who << " after the read, WAIT here before the write)";
      break;
    case K::WriteAfterWrite:
      os << mine << " over " << bytes << " that " << other
         << " wrote, and nothing orders the two writes (SIGNAL on " << who << " after its write, WAIT here "
            "before this one)";
      break;
  }
  return os.str();
}

MemRequest CoreEngine::mem_request(const isa::Instr& in, int64_t gm_offset) const {
  const isa::GmView& v = in.gm;
  MemRequest r;
  r.tensor = gm_tensor(in);
  const uint64_t e = isa::dtype_bytes(ctx_.program->tensors[r.tensor].dtype);
  r.offset = uint64_t(gm_offset) * e;
  r.rows = v.rows;
  r.row_bytes = uint64_t(v.cols) * e;
  r.stride_bytes = uint64_t(v.row_stride) * e;
  r.write = isa::op_info(in.op).gm_write;
  r.atomic = r.write && (in.flags & isa::kAtomicAdd);
  return r;
}

void CoreEngine::finish(uint32_t i, uint64_t start, uint64_t pipe_end, uint64_t end,
                        const std::function<void(const InstrEvent&)>& done, const MemResult* mem) {
  start_[i] = start;
  end_[i] = end;
  end_max_ = std::max(end_max_, end);
  ++finished_count_;
  const isa::Instr& in = (*stream_)[i];
  const Decoded& d = plan_->dec[i];
  const bool gm = isa::op_info(in.op).uses(isa::Operand::Gm);
  done(InstrEvent{i, &in, &d.cost, start, pipe_end, end, gm ? d.gm_offset + gm_moved(in) : d.gm_offset, mem,
                  gm ? gm_tensor(in) : 0});
}

bool CoreEngine::dma_in_flight() const {
  for (bool f : in_flight_)
    if (f) return true;
  return false;
}

std::string CoreEngine::blocked_state() const {
  // The oldest instruction that has not finished tells why this core is stuck.
  uint32_t oldest = ~0u;
  for (int p = 0; p < kNumPipes; ++p)
    if (head_[p] < plan_->queue[p].size()) oldest = std::min(oldest, plan_->queue[p][head_[p]]);
  if (oldest == ~0u) return core_name(core_) + ": finished";
  const isa::Instr& in = (*stream_)[oldest];
  std::ostringstream os;
  os << core_name(core_) << ": " << source_at(oldest) << "blocked at " << describe(oldest);
  if (in.op == Op::WAIT) {
    os << ", waiting for flag " << uint32_t(in.imm) << " that no core posts";
  } else {
    for (uint32_t k = plan_->dec[oldest].dep_begin; k < plan_->dec[oldest].dep_end; ++k)
      if (const uint32_t dep = plan_->deps[k] & DecodedStream::kDepIndex; end_[dep] == kUnknown) {
        os << ", after #" << dep << " " << isa::mnemonic((*stream_)[dep]);
        break;
      }
  }
  return os.str();
}

}  // namespace sim
