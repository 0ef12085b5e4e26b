#include "workloads/builder.h"

#include <algorithm>
#include <iterator>
#include <cstdio>
#include <unordered_map>
#include <utility>

namespace workloads {

using isa::DType;
using isa::Instr;
using isa::Op;
using isa::Space;
using isa::Tile;

uint32_t Target::capacity(Space s) const {
  switch (s) {
    case Space::L1: return l1;
    case Space::L0A: return l0a;
    case Space::L0B: return l0b;
    case Space::L0C: return l0c;
    case Space::UB: return ub;
    case Space::GM: return 0;
  }
  return 0;
}

GmTensor GmTensor::reshape(int64_t new_rows, int64_t new_cols) const {
  if (new_rows <= 0 || new_cols <= 0 || new_rows * new_cols != rows * cols)
    throw BuildError("GmTensor::reshape: [" + std::to_string(rows) + "," + std::to_string(cols) +
                     "] cannot be viewed as [" + std::to_string(new_rows) + "," +
                     std::to_string(new_cols) + "]");
  GmTensor t = *this;
  t.rows = new_rows;
  t.cols = new_cols;
  return t;
}

namespace detail {

constexpr uint32_t kNone = UINT32_MAX;
constexpr int kStreams = 1 + 8;  // cube, then up to 8 vector cores (the hardware configs' limit)

struct Slot {
  uint32_t gen = 1;
  int32_t refs = 0;
  uint32_t begin = 0, size = 0;
  Space space = Space::UB;
  bool live = false, written = false;
};

struct Interval {
  uint32_t begin, end, slot;
};

struct SpaceAlloc {
  uint32_t capacity = 0;
  std::vector<Interval> live;  // sorted by begin
};

// Where one allocation of a loop iteration went.
struct Placement {
  Space space = Space::UB;
  uint32_t begin = 0, size = 0;  // size 0: none
};

// A KernelBuilder::loop in progress: the allocations of its last `stages`
// iterations, by iteration % stages and then by order within the iteration.
// After the first iteration `stages` drops to as many copies of that
// iteration's tiles as the space free at the loop's start holds (a tile the
// iteration keeps, an accumulator, counts once), as the compiler caps a
// pipeline's depth (at least 1).
struct LoopFrame {
  uint32_t stages = 1, iter = 0, pos = 0;
  std::vector<std::vector<Placement>> past;
  uint64_t free_at_start[isa::kNumSpaces] = {}, first_iter_bytes[isa::kNumSpaces] = {};
};

struct RegSlot {
  uint32_t gen = 1;
  int32_t refs = 0;
  int64_t value = 0;
  bool live = false;
};

struct KernelInfo {
  std::string name;
  uint32_t launch_site = kNone, compute_site = kNone;
  std::vector<uint32_t> load_site, store_site, sload_site, signal_site, wait_site, move_site, release_site;  // by tensor
  std::vector<std::pair<const char*, uint32_t>> labels;
  size_t last_sizes[kStreams] = {};
  // The distinct bodies its launches built (indices into Program::kernels),
  // the latest first: a launch whose body is one of them under other GM
  // offsets runs that kernel under a binding (Impl::share).
  std::vector<uint32_t> bodies;
};

// At most this many distinct bodies of one kernel are compared with a new
// launch's (a kernel whose launches all differ costs no more than this).
constexpr size_t kBodiesCompared = 8;

struct Rect {  // a 2-D GM access: rows x cols elements, rows `stride` apart
  uint32_t tensor;
  bool write;
  int64_t first;
  uint32_t rows, cols, stride;
};

struct RangeRec {
  uint32_t tensor;
  bool write;
  uint64_t begin, end;
};

struct ChannelState {
  int send_stream = -1, recv_stream = -1;
  LTile held;  // on chip: the L0C tile sent, kept allocated to the end of the launch
  // Through an L1Ring on chip: the ring, the buffer, the channel that used
  // the buffer before (-1: none), the flag of this channel's release (-1: not
  // yet given one).
  int ring = -1, prev = -1, release_flag = -1;
  uint32_t buffer = 0;
  bool released = false;
  int release_of = -1;  // this flag is the release of that channel (cube -> vector, no data)
};

struct RingState {
  std::vector<LTile> bufs;  // held to the end of the launch
  uint32_t next = 0;        // channels created over it so far
  std::vector<int> last;    // per buffer, the last channel (flag) over it; -1 none
};

// The memory a program under construction takes, estimated as it grows:
// each instruction is an isa::Instr, each task a Task, a Kernel and the
// vectors' headers around its streams.
constexpr uint64_t kTaskBytes = sizeof(isa::Task) + sizeof(isa::Kernel) + 3 * sizeof(std::vector<isa::Instr>);
uint64_t g_program_memory_limit = uint64_t(8) << 30;

std::string gib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g GiB", bytes / double(uint64_t(1) << 30));
  return buf;
}

struct Impl {
  Target target;
  isa::Program prog;
  uint64_t instructions = 0;  // in prog.kernels so far
  uint64_t bytes() const { return instructions * sizeof(isa::Instr) + prog.tasks.size() * kTaskBytes; }
  bool over_memory(double estimate) const { return estimate > double(g_program_memory_limit); }
  // A BuildError saying what would be built and that it passes the limit.
  [[noreturn]] void fail_memory(const std::string& what, double estimate) const {
    throw BuildError(what + " would take about " + gib(estimate) + " of memory, more than the " +
                     gib(double(g_program_memory_limit)) + " limit (npusim run --max-memory-gib)");
  }
  std::unordered_map<std::string, uint32_t> site_ids;
  std::unordered_map<std::string, uint32_t> kernel_ids;
  std::vector<KernelInfo> kinfos;
  bool finished = false;
  // A part made by fork(): what it started from (its parent's tensors,
  // sites and kernel infos, in that many), and the parent's.
  const Impl* forked_from = nullptr;
  size_t fork_tensors = 0, fork_sites = 0, fork_kinfos = 0;

  // per launch
  bool in_launch = false;
  uint32_t cur_kinfo = 0;
  std::vector<Slot> slots;
  std::vector<uint32_t> free_slots;
  SpaceAlloc spaces[isa::kNumSpaces];
  RegSlot regs[kStreams][isa::kNumRegs];
  isa::Kernel kern;
  std::vector<Rect> rects;
  std::vector<int32_t> last_rect[2];
  std::vector<uint32_t> touched;
  std::vector<ChannelState> channels;
  std::vector<RingState> rings;
  // The L1 bytes any allocation of this launch took: sorted, disjoint,
  // merged [begin, end) (few: allocations reuse the same places).
  std::vector<std::pair<uint32_t, uint32_t>> l1_used;
  void note_l1_used(uint32_t b, uint32_t e) {
    auto it = std::lower_bound(l1_used.begin(), l1_used.end(), std::make_pair(b, 0u));
    if (it != l1_used.begin() && std::prev(it)->second >= b) --it;  // overlaps or touches the one before
    if (it != l1_used.end() && it->first <= b && it->second >= e) return;  // already in
    auto last = it;
    for (; last != l1_used.end() && last->first <= e; ++last) {
      b = std::min(b, last->first);
      e = std::max(e, last->second);
    }
    it = l1_used.erase(it, last);
    l1_used.insert(it, {b, e});
  }
  std::vector<RangeRec> tmp;
  std::vector<std::pair<uint64_t, uint64_t>> hull;  // per tensor, for In reads

  // The tensors kernel k's GM views name (isa::Kernel::gm_tensors), computed
  // once per kernel for relaunch.
  std::vector<std::vector<uint32_t>> kernel_tensors_;
  const std::vector<uint32_t>& kernel_tensors(uint32_t k) {
    if (kernel_tensors_.size() <= k) kernel_tensors_.resize(prog.kernels.size());
    std::vector<uint32_t>& ts = kernel_tensors_[k];
    if (ts.empty()) ts = prog.kernels[k].gm_tensors();
    return ts;
  }

  uint32_t intern(const std::string& s) {
    auto [it, inserted] = site_ids.emplace(s, uint32_t(prog.sites.size()));
    if (inserted) prog.sites.push_back(s);
    return it->second;
  }
  KernelInfo& ki() { return kinfos[cur_kinfo]; }
  uint32_t tensor_site(std::vector<uint32_t>& cache, uint32_t tensor, const char* verb) {
    if (cache.size() <= tensor) cache.resize(prog.tensors.size(), kNone);
    uint32_t& s = cache[tensor];
    if (s == kNone) s = intern(ki().name + ": " + verb + " " + prog.tensors[tensor].name);
    return s;
  }
  uint32_t label_site(const char* label) {
    KernelInfo& k = ki();
    for (const auto& [p, id] : k.labels)
      if (p == label) return id;
    uint32_t id = intern(k.name + ": " + label);
    k.labels.emplace_back(label, id);
    return id;
  }

  void free_slot(uint32_t s) {
    Slot& sl = slots[s];
    auto& live = spaces[int(sl.space)].live;
    for (size_t i = 0; i < live.size(); ++i)
      if (live[i].slot == s) {
        live.erase(live.begin() + long(i));
        break;
      }
    sl.live = false;
    sl.refs = 0;
    ++sl.gen;
    free_slots.push_back(s);
  }

  // The lowest aligned address where `size` bytes fit between the live tiles
  // without overlapping any of `avoid` ([begin, end) pairs); kNone if none.
  static uint32_t first_fit(const SpaceAlloc& a, uint32_t size, uint32_t align,
                            const std::vector<std::pair<uint32_t, uint32_t>>& avoid) {
    auto up = [align](uint64_t x) { return (x + align - 1) / align * align; };
    for (size_t i = 0; i <= a.live.size(); ++i) {
      uint64_t gs = i == 0 ? 0 : a.live[i - 1].end;
      uint64_t ge = i == a.live.size() ? a.capacity : a.live[i].begin;
      uint64_t st = up(gs);
      for (bool moved = true; moved && st + size <= ge;) {
        moved = false;
        for (const auto& [b, e] : avoid)
          if (st < e && b < st + size) {
            st = up(e);
            moved = true;
          }
      }
      if (st + size <= ge) return uint32_t(st);
    }
    return kNone;
  }
  static bool is_free(const SpaceAlloc& a, uint32_t begin, uint32_t size) {
    if (uint64_t(begin) + size > a.capacity) return false;
    for (const Interval& iv : a.live)
      if (iv.begin < begin + size && begin < iv.end) return false;
    return true;
  }

  // Where a new tile goes. Inside a loop (KernelBuilder::loop) the k-th
  // allocation of iteration i takes the buffer of the k-th allocation of
  // iteration i - stages if it is free, else the lowest address clear of the
  // iterations still in flight (i - stages + 1 .. i - 1), else the lowest that
  // fits. Outside loops: the lowest address that fits, so a tile freed is
  // reused by the next one of its size (one buffer: one iteration in flight).
  std::vector<LoopFrame> loops;
  std::vector<std::pair<uint32_t, uint32_t>> avoid;
  uint32_t place(Space sp, uint32_t size, uint32_t align) {
    const SpaceAlloc& a = spaces[int(sp)];
    if (loops.empty()) return first_fit(a, size, align, {});
    LoopFrame& f = loops.back();
    const uint32_t mine = f.iter % f.stages, k = f.pos++;
    if (f.past[mine].size() <= k) f.past[mine].resize(k + 1);
    Placement& prev = f.past[mine][k];
    uint32_t pos = kNone;
    if (prev.size >= size && prev.space == sp && is_free(a, prev.begin, size)) pos = prev.begin;
    if (pos == kNone) {
      avoid.clear();
      for (uint32_t s = 0; s < f.stages; ++s)
        if (s != mine)
          for (const Placement& q : f.past[s])
            if (q.size && q.space == sp) avoid.emplace_back(q.begin, q.begin + q.size);
      pos = first_fit(a, size, align, avoid);
    }
    if (pos == kNone) pos = first_fit(a, size, align, {});
    prev = pos == kNone ? Placement{} : Placement{sp, pos, size};
    if (f.iter == 0) f.first_iter_bytes[int(sp)] += size;
    return pos;
  }

  uint32_t alloc(Space sp, uint32_t size, uint32_t align) { return take(sp, place(sp, size, align), size); }

  // A slot for [pos, pos + size) of sp (kNone: none).
  uint32_t take(Space sp, uint32_t pos, uint32_t size) {
    if (pos == kNone) return kNone;
    if (sp == Space::L1) note_l1_used(pos, pos + size);
    SpaceAlloc& a = spaces[int(sp)];
    uint32_t s;
    if (!free_slots.empty()) {
      s = free_slots.back();
      free_slots.pop_back();
    } else {
      s = uint32_t(slots.size());
      slots.emplace_back();
    }
    Slot& sl = slots[s];
    sl.refs = 1;
    sl.begin = pos;
    sl.size = size;
    sl.space = sp;
    sl.live = true;
    sl.written = false;
    auto at = std::lower_bound(a.live.begin(), a.live.end(), pos,
                               [](const Interval& iv, uint32_t p) { return iv.begin < p; });
    a.live.insert(at, Interval{pos, pos + size, s});
    return s;
  }

  uint32_t live_bytes(Space sp, size_t* n, uint32_t* largest_gap) const {
    const SpaceAlloc& a = spaces[int(sp)];
    uint32_t used = 0, gap = 0, prev = 0;
    for (const Interval& iv : a.live) {
      used += iv.end - iv.begin;
      gap = std::max(gap, iv.begin - prev);
      prev = iv.end;
    }
    gap = std::max(gap, a.capacity - prev);
    *n = a.live.size();
    *largest_gap = gap;
    return used;
  }

  void begin_launch(uint32_t kid) {
    if (finished) throw BuildError("ProgramBuilder: finish() was already called");
    if (in_launch)
      throw BuildError("kernel '" + kinfos[kid].name + "' launched inside kernel '" +
                       ki().name + "': kernels do not nest");
    in_launch = true;
    cur_kinfo = kid;
    for (int s = 0; s < isa::kNumSpaces; ++s) {
      spaces[s].capacity = target.capacity(Space(s));
      spaces[s].live.clear();
    }
    for (auto& stream : regs)
      for (RegSlot& r : stream) r = RegSlot{r.gen + 1, 0, 0, false};
    loops.clear();
    KernelInfo& k = ki();
    // The last launch's streams are reused when its body was shared (their
    // memory is in place); moved into the program otherwise.
    kern.name = k.name;
    kern.cube.clear();
    for (auto& v : kern.vec) v.clear();
    kern.vec.resize(target.vector_cores);
    kern.cube.reserve(k.last_sizes[0]);
    for (size_t v = 0; v < kern.vec.size(); ++v) kern.vec[v].reserve(k.last_sizes[1 + v]);
    rects.clear();
    channels.clear();
    rings.clear();
    l1_used.clear();
    for (auto& lr : last_rect)
      if (lr.size() < prog.tensors.size()) lr.resize(prog.tensors.size(), -1);
    if (hull.size() < prog.tensors.size()) hull.resize(prog.tensors.size(), {UINT64_MAX, 0});
  }

  // Ends the launch: frees every allocation (stale handles become invalid),
  // checks channels, turns recorded accesses into the task's GM ranges.
  void end_launch() {
    for (uint32_t s = 0; s < slots.size(); ++s)
      if (slots[s].live) free_slot(s);
    in_launch = false;
    KernelInfo& k = ki();
    for (size_t f = 0; f < channels.size(); ++f) {
      const ChannelState& c = channels[f];
      std::string problem;
      if (c.release_of >= 0) {  // a buffer's release: waited for by its next writer, if any
        if (c.send_stream < 0)
          problem = "(the release of channel " + std::to_string(c.release_of) +
                    "'s L1 buffer) is waited for by the buffer's next writer, but the channel is never released "
                    "(KernelBuilder::release)";
      } else if (c.send_stream < 0) {
        problem = "is received but never sent (the WAIT would never be satisfied)";
      } else if (c.recv_stream < 0) {
        problem = "is sent but never received";
      } else if (c.send_stream == c.recv_stream) {
        problem = "is sent and received on the same core";
      }
      if (!problem.empty())
        throw BuildError("kernel '" + k.name + "' (task " + std::to_string(prog.tasks.size()) +
                         "): channel with flag " + std::to_string(f) + " " + problem);
    }
    isa::Task task;
    task.site = k.launch_site;
    finish_ranges(task);
    k.last_sizes[0] = kern.cube.size();
    for (size_t v = 0; v < kern.vec.size(); ++v) k.last_sizes[1 + v] = kern.vec[v].size();
    if (!share(k, task)) {
      task.kernel = uint32_t(prog.kernels.size());
      instructions += kern.instruction_count();
      k.bodies.insert(k.bodies.begin(), task.kernel);
      if (k.bodies.size() > kBodiesCompared) k.bodies.pop_back();
      prog.kernels.push_back(std::move(kern));
    }
    prog.tasks.push_back(std::move(task));
    if (over_memory(double(bytes())))  // the message is built only when it is needed
      fail_memory("the program (" + std::to_string(prog.tasks.size()) + " tasks, " + std::to_string(instructions) +
                      " instructions so far)",
                  double(bytes()));
  }

  // The launch's body is a body `k` built before, but for the offsets of
  // its GM views, each tensor's moved by one amount: the task launches that
  // kernel, under a binding of those amounts (none when they are all 0), as
  // a pl.parallel's launches run one kernel with other arguments.
  bool share(KernelInfo& k, isa::Task& task) {
    for (size_t b = 0; b < k.bodies.size(); ++b) {
      std::vector<isa::BoundTensor> moved;
      if (!same_but_offsets(prog.kernels[k.bodies[b]], kern, moved)) continue;
      task.kernel = k.bodies[b];
      std::rotate(k.bodies.begin(), k.bodies.begin() + long(b), k.bodies.begin() + long(b) + 1);  // latest first
      moved.erase(std::remove_if(moved.begin(), moved.end(), [](const isa::BoundTensor& e) { return e.offset == 0; }),
                  moved.end());
      if (!moved.empty()) {
        task.binding = uint32_t(prog.bindings.size());
        prog.bindings.push_back(isa::Binding{std::move(moved)});
        prog.bindings.back().sort();
      }
      return true;
    }
    return false;
  }

  // Whether `b` is `a` with each tensor's views moved by one offset (into
  // `moved`: one entry per tensor, from = to).
  static bool same_but_offsets(const isa::Kernel& a, const isa::Kernel& b, std::vector<isa::BoundTensor>& moved) {
    if (a.cube.size() != b.cube.size() || a.vec.size() != b.vec.size()) return false;
    for (size_t v = 0; v < a.vec.size(); ++v)
      if (a.vec[v].size() != b.vec[v].size()) return false;
    const auto same = [&](const std::vector<isa::Instr>& x, const std::vector<isa::Instr>& y) {
      for (size_t i = 0; i < x.size(); ++i) {
        isa::Instr in = y[i];
        const int64_t d = in.gm.offset - x[i].gm.offset;
        in.gm.offset = x[i].gm.offset;
        if (!(in == x[i])) return false;
        if (!isa::op_info(in.op).uses(isa::Operand::Gm)) continue;
        auto it = std::find_if(moved.begin(), moved.end(), [&](const isa::BoundTensor& e) { return e.from == in.gm.tensor; });
        if (it == moved.end()) moved.push_back({in.gm.tensor, in.gm.tensor, d});
        else if (it->offset != d) return false;
      }
      return true;
    };
    if (!same(a.cube, b.cube)) return false;
    for (size_t v = 0; v < a.vec.size(); ++v)
      if (!same(a.vec[v], b.vec[v])) return false;
    return true;
  }

  void record(uint32_t tensor, bool write, int64_t first, uint32_t rows, uint32_t cols,
              uint32_t stride) {
    if (tensor >= last_rect[0].size()) {  // a tensor created after this launch began
      for (auto& lr : last_rect) lr.resize(prog.tensors.size(), -1);
      hull.resize(prog.tensors.size(), {UINT64_MAX, 0});
    }
    if (rows <= 1) {
      rows = 1;
      stride = cols;
    }
    int32_t& li = last_rect[write][tensor];
    if (li >= 0) {
      Rect& r = rects[size_t(li)];
      if (r.stride == stride) {
        // same rows, next columns (e.g. the next K step of an A operand)
        if (r.rows == rows && first == r.first + r.cols && r.cols + cols <= stride) {
          r.cols += cols;
          if (r.cols == stride && rows > 1) r.stride = r.cols;
          return;
        }
        // same columns, next rows
        if (r.cols == cols && first == r.first + int64_t(r.rows) * stride) {
          r.rows += rows;
          return;
        }
        if (r.first == first && r.rows == rows && r.cols == cols) return;
      }
      // contiguous runs that follow each other
      if ((r.rows == 1 || r.cols == r.stride) && (rows == 1 || cols == stride)) {
        int64_t rend = r.first + int64_t(r.rows - 1) * r.stride + r.cols;
        if (first == rend) {
          uint64_t n = uint64_t(rend - r.first) + uint64_t(rows - 1) * stride + cols;
          if (n <= UINT32_MAX) {
            r.rows = 1;
            r.cols = uint32_t(n);
            r.stride = r.cols;
            return;
          }
        }
      }
    }
    li = int32_t(rects.size());
    rects.push_back(Rect{tensor, write, first, rows, cols, stride});
    touched.push_back(tensor);
  }

  void finish_ranges(isa::Task& task) {
    tmp.clear();
    for (const Rect& r : rects) {
      const isa::Tensor& T = prog.tensors[r.tensor];
      uint64_t d = isa::dtype_bytes(T.dtype);
      if (!r.write && T.kind == isa::TensorKind::In) {
        // Inputs are never written, so their reads carry no dependency:
        // record the hull, not every row.
        auto& h = hull[r.tensor];
        h.first = std::min<uint64_t>(h.first, uint64_t(r.first) * d);
        h.second = std::max<uint64_t>(
            h.second, uint64_t(r.first + int64_t(r.rows - 1) * r.stride + r.cols) * d);
        continue;
      }
      if (r.rows == 1 || r.cols == r.stride) {
        tmp.push_back({r.tensor, r.write, uint64_t(r.first) * d,
                       uint64_t(r.first + int64_t(r.rows - 1) * r.stride + r.cols) * d});
      } else {
        for (uint32_t i = 0; i < r.rows; ++i) {
          int64_t b = r.first + int64_t(i) * r.stride;
          tmp.push_back({r.tensor, r.write, uint64_t(b) * d, uint64_t(b + r.cols) * d});
        }
      }
    }
    std::sort(tmp.begin(), tmp.end(), [](const RangeRec& a, const RangeRec& b) {
      if (a.write != b.write) return a.write < b.write;
      if (a.tensor != b.tensor) return a.tensor < b.tensor;
      return a.begin < b.begin;
    });
    for (size_t i = 0; i < tmp.size();) {
      RangeRec cur = tmp[i++];
      while (i < tmp.size() && tmp[i].write == cur.write && tmp[i].tensor == cur.tensor &&
             tmp[i].begin <= cur.end) {
        cur.end = std::max(cur.end, tmp[i].end);
        ++i;
      }
      (cur.write ? task.writes : task.reads).push_back(isa::GmRange{cur.tensor, cur.begin, cur.end});
    }
    for (uint32_t t : touched) {
      auto& h = hull[t];
      if (h.second > 0) {
        task.reads.push_back(isa::GmRange{t, h.first, h.second});
        h = {UINT64_MAX, 0};
      }
      last_rect[0][t] = last_rect[1][t] = -1;
    }
    touched.clear();
  }
};

}  // namespace detail

using detail::Impl;
using detail::kNone;

// ---------------------------------------------------------------------------
// handles

namespace detail {

template <>
Slot& SlotRef<Slot>::entry() const {
  return impl_->slots[slot_];
}
template <>
void SlotRef<Slot>::last_released() {
  impl_->free_slot(slot_);
}
template <>
RegSlot& SlotRef<RegSlot>::entry() const {
  return impl_->regs[slot_ / isa::kNumRegs][slot_ % isa::kNumRegs];
}
template <>
void SlotRef<RegSlot>::last_released() {
  entry().live = false;
}

template <class S>
void SlotRef<S>::release() {
  if (!impl_) return;
  S& s = entry();
  if (s.gen == gen_ && s.live && --s.refs == 0) last_released();
  impl_ = nullptr;
}
template <class S>
SlotRef<S>::SlotRef(const SlotRef& o) : impl_(o.impl_), slot_(o.slot_), gen_(o.gen_) {
  if (impl_) {
    S& s = entry();
    if (s.gen == gen_ && s.live) ++s.refs;
  }
}
template <class S>
SlotRef<S>::SlotRef(SlotRef&& o) noexcept : impl_(o.impl_), slot_(o.slot_), gen_(o.gen_) {
  o.impl_ = nullptr;
}
template <class S>
SlotRef<S>& SlotRef<S>::operator=(SlotRef o) noexcept {
  release();
  impl_ = o.impl_;
  slot_ = o.slot_;
  gen_ = o.gen_;
  o.impl_ = nullptr;
  return *this;
}
template <class S>
SlotRef<S>::~SlotRef() {
  release();
}

template class SlotRef<Slot>;     // LTile
template class SlotRef<RegSlot>;  // Reg

}  // namespace detail

int64_t Reg::value() const {
  if (!impl_) throw BuildError("Reg::value on an empty register handle");
  return entry().value;
}

// ---------------------------------------------------------------------------
// KernelBuilder

KernelBuilder::KernelBuilder(Impl* impl, uint32_t kinfo) : impl_(impl), kinfo_(kinfo) {
  detail::KernelInfo& k = impl_->kinfos[kinfo_];
  if (k.compute_site == kNone) k.compute_site = impl_->intern(k.name + ": compute");
  section_site_ = k.compute_site;
}

const std::string& KernelBuilder::name() const { return impl_->kinfos[kinfo_].name; }

void KernelBuilder::fail(uint32_t site, const std::string& msg) const {
  std::string s = "kernel '" + name() + "' (task " + std::to_string(impl_->prog.tasks.size()) + ")";
  if (site != kNone && site < impl_->prog.sites.size())
    s += " at site '" + impl_->prog.sites[site] + "'";
  throw BuildError(s + ": " + msg);
}

void KernelBuilder::on_vec(int v) {
  const Target& t = impl_->target;
  if (v < 0 || uint32_t(v) >= t.vector_cores)
    fail(kNone, "on_vec(" + std::to_string(v) + "): a core group of " + t.name + " has " +
                    std::to_string(t.vector_cores) + " vector core" + (t.vector_cores == 1 ? "" : "s"));
  cur_vec_ = v;
}

void KernelBuilder::section(Label label) {
  section_site_ = label ? impl_->label_site(label.str()) : impl_->kinfos[kinfo_].compute_site;
}

uint32_t KernelBuilder::label_site(Label l, uint32_t fallback) const {
  return l ? impl_->label_site(l.str()) : fallback;
}

Instr& KernelBuilder::emit(int stream, Op op, uint32_t site) {
  std::vector<Instr>& v = stream == 0 ? impl_->kern.cube : impl_->kern.vec[size_t(stream - 1)];
  v.emplace_back();
  Instr& in = v.back();
  in.op = op;
  in.site = site;
  return in;
}

static const char* space_name(Space s) { return isa::to_string(s); }

static std::string shape_str(uint32_t r, uint32_t c, DType dt) {
  return "[" + std::to_string(r) + "," + std::to_string(c) + "] " + isa::to_string(dt);
}

LTile KernelBuilder::make_tile(Shape2 shape, DType dt, Space space, uint32_t site) {
  if (space == Space::GM) fail(site, "a local tile cannot live in GM");
  if (shape.rows == 0 || shape.cols == 0 || shape.rows > 65535 || shape.cols > 65535)
    fail(site, "tile shape " + shape_str(shape.rows, shape.cols, dt) + " is out of range (1..65535)");
  uint32_t d = isa::dtype_bytes(dt);
  uint64_t bytes = uint64_t(shape.rows) * shape.cols * d;
  // One row of padding in L1/L0C/UB keeps column sub-views inside the allocation.
  bool pad = shape.rows > 1 && (space == Space::L1 || space == Space::L0C || space == Space::UB);
  uint64_t size = bytes + (pad ? uint64_t(shape.cols) * d : 0);
  uint32_t align = (space == Space::L0A || space == Space::L0B || space == Space::L0C) ? 512 : 32;
  uint32_t cap = impl_->target.capacity(space);
  uint32_t slot = size > cap ? kNone : impl_->alloc(space, uint32_t(size), align);
  if (slot == kNone) {
    size_t n;
    uint32_t gap;
    uint32_t used = impl_->live_bytes(space, &n, &gap);
    fail(site, std::string(space_name(space)) + " overflow on " + impl_->target.name + ": a " +
                   shape_str(shape.rows, shape.cols, dt) +
                   " tile needs " + std::to_string(size) + " B; " + std::to_string(used) + " B of " +
                   std::to_string(cap) + " B are held by " + std::to_string(n) +
                   " live tiles (largest free gap " + std::to_string(gap) + " B)");
  }
  LTile t;
  t.impl_ = impl_;
  t.slot_ = slot;
  t.gen_ = impl_->slots[slot].gen;
  t.t_.space = space;
  t.t_.dtype = dt;
  t.t_.offset = impl_->slots[slot].begin;
  t.t_.rows = uint16_t(shape.rows);
  t.t_.cols = uint16_t(shape.cols);
  return t;
}

LTile KernelBuilder::alloc(Shape2 shape, DType dt, Space space) {
  return make_tile(shape, dt, space, section_site_);
}

void KernelBuilder::check(const LTile& t, const char* what, uint32_t site, bool needs_written) const {
  if (!t.impl_) fail(site, std::string(what) + ": empty tile handle");
  if (t.impl_ != impl_) fail(site, std::string(what) + ": tile from another program builder");
  const detail::Slot& s = impl_->slots[t.slot_];
  if (s.gen != t.gen_ || !s.live)
    fail(site, std::string(what) +
                   ": tile does not belong to this launch (local tiles do not survive a launch: "
                   "pass data between kernels through GM)");
  if (needs_written && !s.written)
    fail(site, std::string(what) + ": reads a " + space_name(t.space()) +
                   " tile that nothing in this launch has written");
}

void KernelBuilder::mark_written(const LTile& t) { impl_->slots[t.slot_].written = true; }

LTile KernelBuilder::view(const LTile& t, Shape2 shape, uint32_t r0, uint32_t c0) {
  check(t, "view", section_site_, false);
  if (shape.rows == 0 || shape.cols == 0 || r0 + shape.rows > t.rows() || c0 + shape.cols > t.cols())
    fail(section_site_, "view [" + std::to_string(shape.rows) + "," + std::to_string(shape.cols) +
                            "] at (" + std::to_string(r0) + "," + std::to_string(c0) +
                            ") is outside the tile's valid " +
                            shape_str(t.rows(), t.cols(), t.dtype()));
  uint32_t d = isa::dtype_bytes(t.dtype());
  LTile v = t;
  Tile& x = v.t_;
  x.offset = t.t_.offset + (r0 * uint32_t(t.t_.cols) + c0) * d;
  x.rows = uint16_t(shape.rows);
  x.valid_rows = 0;
  x.valid_cols = shape.cols == t.t_.cols ? 0 : uint16_t(shape.cols);
  const detail::Slot& s = impl_->slots[t.slot_];
  if (uint64_t(x.offset) + x.bytes() > uint64_t(s.begin) + s.size)
    fail(section_site_, "sub-view at (" + std::to_string(r0) + "," + std::to_string(c0) +
                            ") would reach past its allocation (column sub-views need a padded "
                            "L1/L0C/UB tile)");
  return v;
}

isa::GmView KernelBuilder::gm_view(const GmTensor& t, uint32_t rows, uint32_t cols, const At& at,
                                   int stream, uint32_t site) const {
  if (t.id >= impl_->prog.tensors.size()) fail(site, "unknown GM tensor");
  isa::GmView v;
  v.tensor = t.id;
  v.rows = rows;
  v.cols = cols;
  v.row_stride = uint32_t(t.cols);
  v.offset = at.row * t.cols + at.col;
  int64_t row = at.row;
  if (at.reg) {
    const Reg& r = *at.reg;
    if (!r.impl_ || r.impl_ != impl_) fail(site, "GM view with an empty register handle");
    const detail::RegSlot& rs = impl_->regs[r.slot_ / isa::kNumRegs][r.slot_ % isa::kNumRegs];
    if (rs.gen != r.gen_ || !rs.live) fail(site, "register handle from another launch");
    int rstream = int(r.slot_ / isa::kNumRegs);
    if (rstream != stream)
      fail(site, "register R" + std::to_string(r.idx_) + " lives on " +
                     (rstream == 0 ? std::string("cube") : "vec" + std::to_string(rstream - 1)) +
                     " but the access runs on " +
                     (stream == 0 ? std::string("cube") : "vec" + std::to_string(stream - 1)));
    v.reg = int8_t(r.idx_);
    v.reg_scale = int32_t(t.cols);
    row += rs.value;
  }
  if (row < 0 || at.col < 0 || row + rows > t.rows || at.col + cols > t.cols)
    fail(site, "GM access [" + std::to_string(rows) + "," + std::to_string(cols) + "] at (" +
                   std::to_string(row) + "," + std::to_string(at.col) + ") is outside " +
                   impl_->prog.tensors[t.id].name + " viewed as [" + std::to_string(t.rows) + "," +
                   std::to_string(t.cols) + "]");
  return v;
}

// A TLOAD (GM -> tile) or TSTORE (tile -> GM) of `tile`'s valid shape at `at`
// in t: emits it and records the GM range it reads or writes.
void KernelBuilder::dma(int stream, Op op, const GmTensor& t, const LTile& tile, const At& at,
                        uint32_t site) {
  isa::GmView v = gm_view(t, tile.rows(), tile.cols(), at, stream, site);
  Instr& in = emit(stream, op, site);
  if (op == Op::TLOAD)
    in.dst = tile.tile();
  else
    in.a = tile.tile();
  in.gm = v;
  int64_t row_add = 0;
  if (at.reg) row_add = at.reg->value();
  impl_->record(t.id, op == Op::TSTORE, v.offset + row_add * t.cols, v.rows, v.cols, v.row_stride);
}

void KernelBuilder::dma_load(int stream, const LTile& dst, const GmTensor& t, const At& at,
                             uint32_t site) {
  check(dst, "load", site, false);
  if (dst.dtype() != t.dtype)
    fail(site, std::string("load of a ") + isa::to_string(t.dtype) + " tensor into a " +
                   isa::to_string(dst.dtype()) + " tile (TLOAD does not convert: cast after)");
  dma(stream, Op::TLOAD, t, dst, at, site);
  mark_written(dst);
}

void KernelBuilder::dma_store(int stream, const GmTensor& t, const LTile& src, const At& at,
                              uint32_t site) {
  check(src, "store", site);
  if (src.dtype() != t.dtype)
    fail(site, std::string("store of a ") + isa::to_string(src.dtype()) + " tile into a " +
                   isa::to_string(t.dtype) + " tensor (cast first)");
  dma(stream, Op::TSTORE, t, src, at, site);
}

LTile KernelBuilder::slice(const GmTensor& t, Shape2 shape, At at, Space space, Shape2 valid,
                           Label label) {
  if (space != Space::UB && space != Space::L1)
    fail(section_site_, "slice loads into UB or L1 only");
  uint32_t site = label_site(label, impl_->tensor_site(impl_->ki().load_site, t.id, "load"));
  LTile tile = make_tile(shape, t.dtype, space, site);
  if (valid.rows || valid.cols) {
    if (!valid.rows) valid.rows = shape.rows;
    if (!valid.cols) valid.cols = shape.cols;
    if (valid.rows > shape.rows || valid.cols > shape.cols)
      fail(site, "valid shape larger than the tile");
    tile.t_.valid_rows = valid.rows == shape.rows ? 0 : uint16_t(valid.rows);
    tile.t_.valid_cols = valid.cols == shape.cols ? 0 : uint16_t(valid.cols);
  }
  dma_load(space == Space::L1 ? 0 : vec_stream(), tile, t, at, site);
  return tile;
}

void KernelBuilder::slice_into(const LTile& dst, const GmTensor& t, At at, Label label) {
  uint32_t site = label_site(label, impl_->tensor_site(impl_->ki().load_site, t.id, "load"));
  if (dst.impl_ && dst.space() != Space::UB && dst.space() != Space::L1)
    fail(site, "slice_into loads into UB or L1 only");
  dma_load(dst.space() == Space::L1 ? 0 : vec_stream(), dst, t, at, site);
}

void KernelBuilder::assemble(const GmTensor& t, const LTile& src, At at, Label label) {
  uint32_t site = label_site(label, impl_->tensor_site(impl_->ki().store_site, t.id, "store"));
  if (src.impl_ && src.space() != Space::UB && src.space() != Space::L0C)
    fail(site, std::string("assemble stores from UB or L0C only, not ") + space_name(src.space()));
  dma_store(src.space() == Space::L0C ? 0 : vec_stream(), t, src, at, site);
}

Reg KernelBuilder::sload_stream(int stream, const GmTensor& t, int64_t index, Label label) {
  uint32_t site = label_site(label, impl_->tensor_site(impl_->ki().sload_site, t.id, "sload"));
  const isa::Tensor& T = impl_->prog.tensors.at(t.id);
  if (index < 0 || index >= int64_t(T.init.size()))
    fail(site, "sload of " + T.name + "[" + std::to_string(index) +
                   "]: the builder needs the value (an int32 tensor with init values)");
  int idx = -1;
  for (int i = 0; i < isa::kNumRegs; ++i)
    if (!impl_->regs[stream][i].live) {
      idx = i;
      break;
    }
  if (idx < 0) fail(site, "out of scalar registers (16 live)");
  detail::RegSlot& rs = impl_->regs[stream][idx];
  rs.live = true;
  rs.refs = 1;
  rs.value = T.init[size_t(index)];
  Instr& in = emit(stream, Op::SLOAD, site);
  in.reg = int8_t(idx);
  in.gm.tensor = t.id;
  in.gm.offset = index;
  in.gm.rows = 1;
  in.gm.cols = 1;
  in.gm.row_stride = 1;
  impl_->record(t.id, false, index, 1, 1, 1);
  Reg r;
  r.impl_ = impl_;
  r.slot_ = uint32_t(stream * isa::kNumRegs + idx);
  r.gen_ = rs.gen;
  r.idx_ = idx;
  return r;
}

Reg KernelBuilder::sload(const GmTensor& t, int64_t index, Label label) {
  return sload_stream(vec_stream(), t, index, label);
}

void KernelBuilder::sadd(Reg& r, int64_t imm) {
  if (!r.impl_ || r.impl_ != impl_) fail(section_site_, "sadd on an empty register handle");
  int stream = int(r.slot_ / isa::kNumRegs);
  detail::RegSlot& rs = impl_->regs[stream][r.slot_ % isa::kNumRegs];
  if (rs.gen != r.gen_ || !rs.live) fail(section_site_, "sadd on a register from another launch");
  Instr& in = emit(stream, Op::SADD, section_site_);
  in.reg = int8_t(r.idx_);
  in.imm = float(imm);
  rs.value += imm;
}

LTile KernelBuilder::dst_or_new(const LTile& into, uint32_t rows, uint32_t cols, DType dt,
                                uint32_t site) {
  if (!into) return make_tile({rows, cols}, dt, Space::UB, site);
  check(into, "destination", site, false);
  if (into.space() != Space::UB) fail(site, "vector destination must be in UB");
  if (into.rows() != rows || into.cols() != cols || into.dtype() != dt)
    fail(site, "destination is " + shape_str(into.rows(), into.cols(), into.dtype()) + ", expected " +
                   shape_str(rows, cols, dt));
  return into;
}

LTile KernelBuilder::vbin(uint8_t op, const LTile& a, const LTile& b, const LTile& into) {
  uint32_t site = section_site_;
  check(a, "vector op operand a", site);
  check(b, "vector op operand b", site);
  if (a.space() != Space::UB || b.space() != Space::UB) fail(site, "vector operands must be in UB");
  if (a.rows() != b.rows() || a.cols() != b.cols() || a.dtype() != b.dtype())
    fail(site, "operand shapes differ: " + shape_str(a.rows(), a.cols(), a.dtype()) + " vs " +
                   shape_str(b.rows(), b.cols(), b.dtype()));
  LTile d = dst_or_new(into, a.rows(), a.cols(), a.dtype(), site);
  Instr& in = emit(vec_stream(), Op::VBIN, site);
  in.sub = op;
  in.dst = d.tile();
  in.a = a.tile();
  in.b = b.tile();
  mark_written(d);
  return d;
}

LTile KernelBuilder::vbins(uint8_t op, const LTile& a, float s, const LTile& into) {
  uint32_t site = section_site_;
  check(a, "vector op operand", site);
  if (a.space() != Space::UB) fail(site, "vector operands must be in UB");
  LTile d = dst_or_new(into, a.rows(), a.cols(), a.dtype(), site);
  Instr& in = emit(vec_stream(), Op::VBINS, site);
  in.sub = op;
  in.imm = s;
  in.dst = d.tile();
  in.a = a.tile();
  mark_written(d);
  return d;
}

LTile KernelBuilder::vun(uint8_t op, const LTile& a, const LTile& into) {
  uint32_t site = section_site_;
  check(a, "vector op operand", site);
  if (a.space() != Space::UB) fail(site, "vector operands must be in UB");
  LTile d = dst_or_new(into, a.rows(), a.cols(), a.dtype(), site);
  Instr& in = emit(vec_stream(), Op::VUNARY, site);
  in.sub = op;
  in.dst = d.tile();
  in.a = a.tile();
  mark_written(d);
  return d;
}

LTile KernelBuilder::add(const LTile& a, const LTile& b, const LTile& i) { return vbin(uint8_t(isa::BinOp::ADD), a, b, i); }
LTile KernelBuilder::sub(const LTile& a, const LTile& b, const LTile& i) { return vbin(uint8_t(isa::BinOp::SUB), a, b, i); }
LTile KernelBuilder::mul(const LTile& a, const LTile& b, const LTile& i) { return vbin(uint8_t(isa::BinOp::MUL), a, b, i); }
LTile KernelBuilder::div(const LTile& a, const LTile& b, const LTile& i) { return vbin(uint8_t(isa::BinOp::DIV), a, b, i); }
LTile KernelBuilder::max(const LTile& a, const LTile& b, const LTile& i) { return vbin(uint8_t(isa::BinOp::MAX), a, b, i); }
LTile KernelBuilder::min(const LTile& a, const LTile& b, const LTile& i) { return vbin(uint8_t(isa::BinOp::MIN), a, b, i); }
LTile KernelBuilder::adds(const LTile& a, float s, const LTile& i) { return vbins(uint8_t(isa::BinOp::ADD), a, s, i); }
LTile KernelBuilder::subs(const LTile& a, float s, const LTile& i) { return vbins(uint8_t(isa::BinOp::SUB), a, s, i); }
LTile KernelBuilder::muls(const LTile& a, float s, const LTile& i) { return vbins(uint8_t(isa::BinOp::MUL), a, s, i); }
LTile KernelBuilder::divs(const LTile& a, float s, const LTile& i) { return vbins(uint8_t(isa::BinOp::DIV), a, s, i); }
LTile KernelBuilder::maxs(const LTile& a, float s, const LTile& i) { return vbins(uint8_t(isa::BinOp::MAX), a, s, i); }
LTile KernelBuilder::mins(const LTile& a, float s, const LTile& i) { return vbins(uint8_t(isa::BinOp::MIN), a, s, i); }
LTile KernelBuilder::exp(const LTile& a, const LTile& i) { return vun(uint8_t(isa::UnOp::EXP), a, i); }
LTile KernelBuilder::sqrt(const LTile& a, const LTile& i) { return vun(uint8_t(isa::UnOp::SQRT), a, i); }
LTile KernelBuilder::recip(const LTile& a, const LTile& i) { return vun(uint8_t(isa::UnOp::RECIP), a, i); }
LTile KernelBuilder::neg(const LTile& a, const LTile& i) { return vun(uint8_t(isa::UnOp::NEG), a, i); }
LTile KernelBuilder::abs(const LTile& a, const LTile& i) { return vun(uint8_t(isa::UnOp::ABS), a, i); }

LTile KernelBuilder::cast(const LTile& a, DType to, const LTile& into) {
  uint32_t site = section_site_;
  check(a, "cast", site);
  if (a.space() != Space::UB) fail(site, "vector operands must be in UB");
  LTile d = dst_or_new(into, a.rows(), a.cols(), to, site);
  Instr& in = emit(vec_stream(), Op::VCAST, site);
  // pl.cast as PTOAS lowers it: tcvt with rmode ROUND (nearest, ties away
  // from zero), what the compiler's kernels of the Qwen3 layer hold
  // (docs/pto_import.md); it differs from RINT on exact ties only.
  in.sub = uint8_t(isa::RoundMode::ROUND);
  in.dst = d.tile();
  in.a = a.tile();
  mark_written(d);
  return d;
}

LTile KernelBuilder::fill(Shape2 shape, DType dt, float value) {
  LTile d = make_tile(shape, dt, Space::UB, section_site_);
  fill_into(d, value);
  return d;
}

void KernelBuilder::fill_into(const LTile& dst, float value) {
  uint32_t site = section_site_;
  check(dst, "fill", site, false);
  if (dst.space() != Space::UB) fail(site, "fill destination must be in UB");
  Instr& in = emit(vec_stream(), Op::VFILL, site);
  in.imm = value;
  in.dst = dst.tile();
  mark_written(dst);
}

LTile KernelBuilder::fillpad(const LTile& t, float value) {
  uint32_t site = section_site_;
  check(t, "fillpad", site);
  if (t.space() != Space::UB) fail(site, "fillpad works on UB tiles");
  Instr& in = emit(vec_stream(), Op::VFILLPAD, site);
  in.imm = value;
  in.dst = t.tile();
  LTile full = t;
  full.t_.valid_rows = 0;
  full.t_.valid_cols = 0;
  return full;
}

LTile KernelBuilder::vrowred(uint8_t op, const LTile& a, const LTile& into) {
  uint32_t site = section_site_;
  check(a, "row reduction", site);
  if (a.space() != Space::UB) fail(site, "vector operands must be in UB");
  LTile d = dst_or_new(into, a.rows(), 1, a.dtype(), site);
  Instr& in = emit(vec_stream(), Op::VROWRED, site);
  in.sub = op;
  in.dst = d.tile();
  in.a = a.tile();
  mark_written(d);
  return d;
}
LTile KernelBuilder::row_sum(const LTile& a, const LTile& i) { return vrowred(uint8_t(isa::RedOp::SUM), a, i); }
LTile KernelBuilder::row_max(const LTile& a, const LTile& i) { return vrowred(uint8_t(isa::RedOp::MAX), a, i); }

LTile KernelBuilder::vexpand(Op opc, uint8_t op, const LTile& a, const LTile& b, const LTile& into) {
  uint32_t site = section_site_;
  check(a, "broadcast operand a", site);
  check(b, "broadcast operand b", site);
  if (a.space() != Space::UB || b.space() != Space::UB) fail(site, "vector operands must be in UB");
  bool ok = opc == Op::VROWEXP ? (b.rows() == a.rows() && b.cols() == 1)
                               : (b.rows() == 1 && b.cols() == a.cols());
  if (!ok || a.dtype() != b.dtype())
    fail(site, std::string(opc == Op::VROWEXP ? "row_expand" : "col_expand") + " of " +
                   shape_str(a.rows(), a.cols(), a.dtype()) + " by " +
                   shape_str(b.rows(), b.cols(), b.dtype()));
  LTile d = dst_or_new(into, a.rows(), a.cols(), a.dtype(), site);
  Instr& in = emit(vec_stream(), opc, site);
  in.sub = op;
  in.dst = d.tile();
  in.a = a.tile();
  in.b = b.tile();
  mark_written(d);
  return d;
}
LTile KernelBuilder::row_expand_add(const LTile& a, const LTile& c, const LTile& i) { return vexpand(Op::VROWEXP, uint8_t(isa::BinOp::ADD), a, c, i); }
LTile KernelBuilder::row_expand_sub(const LTile& a, const LTile& c, const LTile& i) { return vexpand(Op::VROWEXP, uint8_t(isa::BinOp::SUB), a, c, i); }
LTile KernelBuilder::row_expand_mul(const LTile& a, const LTile& c, const LTile& i) { return vexpand(Op::VROWEXP, uint8_t(isa::BinOp::MUL), a, c, i); }
LTile KernelBuilder::row_expand_div(const LTile& a, const LTile& c, const LTile& i) { return vexpand(Op::VROWEXP, uint8_t(isa::BinOp::DIV), a, c, i); }
LTile KernelBuilder::col_expand_add(const LTile& a, const LTile& r, const LTile& i) { return vexpand(Op::VCOLEXP, uint8_t(isa::BinOp::ADD), a, r, i); }
LTile KernelBuilder::col_expand_sub(const LTile& a, const LTile& r, const LTile& i) { return vexpand(Op::VCOLEXP, uint8_t(isa::BinOp::SUB), a, r, i); }
LTile KernelBuilder::col_expand_mul(const LTile& a, const LTile& r, const LTile& i) { return vexpand(Op::VCOLEXP, uint8_t(isa::BinOp::MUL), a, r, i); }
LTile KernelBuilder::col_expand_div(const LTile& a, const LTile& r, const LTile& i) { return vexpand(Op::VCOLEXP, uint8_t(isa::BinOp::DIV), a, r, i); }

LTile KernelBuilder::reshape(const LTile& a, Shape2 shape) {
  uint32_t site = section_site_;
  check(a, "reshape", site);
  const Tile& t = a.tile();
  if (t.vrows() != t.rows || t.vcols() != t.cols)
    fail(site, "reshape needs a dense tile (no valid-shape or column sub-view)");
  if (uint32_t(shape.rows) * shape.cols != t.elems() || shape.rows > 65535 || shape.cols > 65535)
    fail(site, "reshape " + shape_str(t.rows, t.cols, t.dtype) + " to [" + std::to_string(shape.rows) +
                   "," + std::to_string(shape.cols) + "]: element counts differ");
  LTile d = a;
  d.t_.rows = uint16_t(shape.rows);
  d.t_.cols = uint16_t(shape.cols);
  Instr& in = emit(a.space() == Space::UB ? vec_stream() : 0, Op::TRESHAPE, site);
  in.dst = d.tile();
  in.a = t;
  return d;
}

// ---- loops ----------------------------------------------------------------

void KernelBuilder::loop(int64_t begin, int64_t end, int64_t step, int stages,
                         const std::function<void(int64_t)>& body) {
  if (step <= 0) fail(section_site_, "loop step " + std::to_string(step) + " is not positive");
  if (stages < 1 || stages > 16)
    fail(section_site_, "loop stage count " + std::to_string(stages) + " is out of range (1..16)");
  auto& loops = impl_->loops;
  const size_t depth = loops.size();
  loops.push_back(detail::LoopFrame{uint32_t(stages), 0, 0, std::vector<std::vector<detail::Placement>>(size_t(stages))});
  for (int s = 0; s < isa::kNumSpaces; ++s) {
    size_t n;
    uint32_t gap;
    loops.back().free_at_start[s] = impl_->spaces[s].capacity - impl_->live_bytes(Space(s), &n, &gap);
  }
  struct Pop {  // the frame goes when the loop ends, also by an exception
    std::vector<detail::LoopFrame>& v;
    size_t n;
    ~Pop() { v.resize(n); }
  } pop{loops, depth};
  for (int64_t i = begin; i < end; i += step) {
    detail::LoopFrame& f = loops[depth];
    f.pos = 0;
    body(i);
    detail::LoopFrame& g = loops[depth];  // body() may have grown `loops`
    if (g.iter++ == 0) {
      // What iteration 0 allocated and still holds is loop-carried (an
      // accumulator): it takes its space once, not once per stage.
      uint64_t carried[isa::kNumSpaces] = {};
      for (const detail::Placement& q : g.past[0])
        if (q.size && !detail::Impl::is_free(impl_->spaces[int(q.space)], q.begin, q.size))
          carried[int(q.space)] += q.size;
      for (int s = 0; s < isa::kNumSpaces; ++s)
        if (g.first_iter_bytes[s] > carried[s])
          g.stages = uint32_t(std::clamp<uint64_t>((g.free_at_start[s] - std::min(carried[s], g.free_at_start[s])) /
                                                       (g.first_iter_bytes[s] - carried[s]),
                                                   1, g.stages));
    }
  }
}

// ---- cube ---------------------------------------------------------------

LTile KernelBuilder::tmov(const LTile& src, Space to) {
  uint32_t site = section_site_;
  check(src, to == Space::L0A ? "TMOV to L0A" : "TMOV to L0B", site);
  if (src.space() != Space::L1)
    fail(site, std::string("matmul operand must be in L1 (or already in ") + space_name(to) +
                   "), not " + space_name(src.space()));
  LTile d = make_tile({src.rows(), src.cols()}, src.dtype(), to, site);
  Instr& in = emit(0, Op::TMOV, site);
  in.dst = d.tile();
  in.a = src.tile();
  mark_written(d);
  return d;
}


LTile KernelBuilder::matmul(const LTile& a, const LTile& b, bool transpose_b, const LTile& into) {
  uint32_t site = section_site_;
  check(a, "matmul a", site);
  check(b, "matmul b", site);
  uint32_t M = a.rows(), N = transpose_b ? b.rows() : b.cols();
  LTile acc;
  if (into) {
    check(into, "matmul destination", site, false);
    acc = into;
  } else {
    acc = make_tile({M, N}, DType::FP32, Space::L0C, site);
  }
  mm_steps(acc, false, a, b, transpose_b, site);
  mark_written(acc);
  return acc;
}

LTile KernelBuilder::matmul_acc(const LTile& acc, const LTile& a, const LTile& b, bool transpose_b) {
  uint32_t site = section_site_;
  check(acc, "matmul_acc accumulator", site);
  check(a, "matmul a", site);
  check(b, "matmul b", site);
  mm_steps(acc, true, a, b, transpose_b, site);
  return acc;
}

// TMOV + TMATMUL sub-steps along K, splitting when an operand in L1 exceeds
// half of L0A / L0B (so consecutive sub-steps double-buffer in L0).
void KernelBuilder::mm_steps(const LTile& acc, bool accumulate, const LTile& a, const LTile& b,
                             bool transpose_b, uint32_t site) {
  uint32_t M = a.rows(), K = a.cols();
  uint32_t N = transpose_b ? b.rows() : b.cols();
  uint32_t Kb = transpose_b ? b.cols() : b.rows();
  if (K != Kb)
    fail(site, "matmul K mismatch: a is " + shape_str(a.rows(), a.cols(), a.dtype()) + ", b is " +
                   shape_str(b.rows(), b.cols(), b.dtype()) + (transpose_b ? " (transposed)" : ""));
  if (acc.space() != Space::L0C || acc.dtype() != DType::FP32 || acc.rows() != M || acc.cols() != N)
    fail(site, "matmul accumulator is " + shape_str(acc.rows(), acc.cols(), acc.dtype()) + " in " +
                   space_name(acc.space()) + ", expected " + shape_str(M, N, DType::FP32) + " in L0C");
  bool a_l1 = a.space() == Space::L1, b_l1 = b.space() == Space::L1;
  if (!a_l1 && a.space() != Space::L0A) fail(site, "matmul a must be in L1 or L0A");
  if (!b_l1 && b.space() != Space::L0B) fail(site, "matmul b must be in L1 or L0B");
  uint32_t da = isa::dtype_bytes(a.dtype()), db = isa::dtype_bytes(b.dtype());
  uint32_t half_a = impl_->target.l0a / 2, half_b = impl_->target.l0b / 2;
  uint32_t ks = K;
  if ((a_l1 && uint64_t(M) * K * da > half_a) || (b_l1 && uint64_t(K) * N * db > half_b)) {
    uint64_t ka = a_l1 ? half_a / (uint64_t(M) * da) : K;
    uint64_t kb = b_l1 ? half_b / (uint64_t(N) * db) : K;
    uint64_t k = std::min<uint64_t>({ka, kb, K});
    if (k >= isa::kCubeFractal) k = k / isa::kCubeFractal * isa::kCubeFractal;
    if (k == 0) fail(site, "matmul operand too large for half of L0A/L0B even at K=1");
    ks = uint32_t(k);
    if (ks < K && (!a_l1 || !b_l1))
      fail(site, "matmul needs a K split but an operand is already in L0A/L0B");
  }
  auto step = [&](int64_t k0v) {
    const uint32_t k0 = uint32_t(k0v), kk = std::min(ks, K - k0);
    LTile a0 = a_l1 ? tmov(ks == K ? a : view(a, {M, kk}, 0, k0), Space::L0A) : a;
    LTile b0 = b;
    if (b_l1)
      b0 = tmov(ks == K ? b : (transpose_b ? view(b, {N, kk}, 0, k0) : view(b, {kk, N}, k0, 0)),
                Space::L0B);
    Instr& in = emit(0, Op::TMATMUL, site);
    in.flags = uint8_t(((accumulate || k0 > 0) ? isa::kAccumulate : 0) |
                       (transpose_b ? isa::kTransposeB : 0));
    in.dst = acc.tile();
    in.a = a0.tile();
    in.b = b0.tile();
  };
  if (ks < K)
    loop(0, K, ks, 2, step);  // the sub-steps alternate between two halves of L0A/L0B
  else
    step(0);
}

// ---- channels -----------------------------------------------------------

Channel KernelBuilder::channel(const GmTensor& t, Shape2 shape, At at, Shape2 valid, bool on_chip) {
  if (at.reg) fail(section_site_, "channels use static GM positions");
  Channel c;
  c.flag = int(impl_->channels.size());
  c.tensor = t;
  c.at = at;
  c.shape = shape;
  c.valid = Shape2{valid.rows ? valid.rows : shape.rows, valid.cols ? valid.cols : shape.cols};
  c.on_chip = on_chip && impl_->target.l0c_to_ub;
  impl_->channels.emplace_back();
  return c;
}

void KernelBuilder::send(const Channel& ch, const LTile& src, Label label) {
  if (ch.flag < 0 || size_t(ch.flag) >= impl_->channels.size())
    fail(section_site_, "send on a channel of another launch");
  detail::ChannelState& cs = impl_->channels[size_t(ch.flag)];
  uint32_t site = label_site(label, impl_->tensor_site(impl_->ki().store_site, ch.tensor.id, "store"));
  if (cs.send_stream >= 0) fail(site, "channel flag " + std::to_string(ch.flag) + " sent twice");
  check(src, "send", site);
  if (src.rows() != ch.valid.rows || src.cols() != ch.valid.cols)
    fail(site, "send of " + shape_str(src.rows(), src.cols(), src.dtype()) + " on a channel of [" +
                   std::to_string(ch.valid.rows) + "," + std::to_string(ch.valid.cols) + "]");
  int stream;
  if (src.space() == Space::L0C) stream = 0;
  else if (src.space() == Space::UB) stream = vec_stream();
  else fail(site, "send from L0C (cube) or UB (vector) only");
  if (ch.ring >= 0) {  // UB -> the ring's L1 buffer
    if (src.space() != Space::UB) fail(site, "a channel through an L1 ring is sent from UB (a vector core)");
    if (src.dtype() != ch.tensor.dtype)
      fail(site, std::string("send of a ") + isa::to_string(src.dtype()) + " tile through a " +
                     isa::to_string(ch.tensor.dtype) + " L1 ring (UB -> L1 does not convert: cast first)");
    const int me = ch.flag, prev = cs.prev;
    if (prev >= 0) {  // the buffer's previous channel: the cube must be done reading it
      const int rf = release_flag(prev);
      Instr& w = emit(stream, Op::WAIT, impl_->tensor_site(impl_->ki().wait_site, ch.tensor.id, "wait"));
      w.imm = float(rf);
      impl_->channels[size_t(rf)].recv_stream = stream;
    }
    const detail::ChannelState& c = impl_->channels[size_t(me)];
    Instr& m = emit(stream, Op::TMOV, impl_->tensor_site(impl_->ki().move_site, ch.tensor.id, "move"));
    m.dst = ring_buffer(ch, c.ring, c.buffer).tile();
    m.a = src.tile();
  } else if (ch.on_chip) {
    if (src.space() != Space::L0C) fail(site, "an on-chip channel sends a cube result (from L0C)");
    cs.held = src;
  } else {
    dma_store(stream, ch.tensor, src, ch.at, site);
  }
  Instr& in = emit(stream, Op::SIGNAL,
                   impl_->tensor_site(impl_->ki().signal_site, ch.tensor.id, "signal"));
  in.imm = float(ch.flag);
  impl_->channels[size_t(ch.flag)].send_stream = stream;
}

LTile KernelBuilder::recv(const Channel& ch, Space dst, Label label) {
  if (ch.flag < 0 || size_t(ch.flag) >= impl_->channels.size())
    fail(section_site_, "recv on a channel of another launch");
  uint32_t site = label_site(label, impl_->tensor_site(impl_->ki().load_site, ch.tensor.id, "load"));
  if (impl_->channels[size_t(ch.flag)].recv_stream >= 0)
    fail(site, "channel flag " + std::to_string(ch.flag) + " received twice");
  if (dst != Space::UB && dst != Space::L1) fail(site, "recv into UB (vector) or L1 (cube) only");
  int stream = dst == Space::L1 ? 0 : vec_stream();
  const detail::ChannelState& cs = impl_->channels[size_t(ch.flag)];
  if (ch.ring >= 0) {  // the vector core's TMOV puts the data in the ring's buffer
    if (dst != Space::L1) fail(site, "a channel through an L1 ring is received into L1 (on the cube)");
    Instr& w = emit(0, Op::WAIT, impl_->tensor_site(impl_->ki().wait_site, ch.tensor.id, "wait"));
    w.imm = float(ch.flag);
    LTile t = ring_buffer(ch, cs.ring, cs.buffer);
    mark_written(t);
    impl_->channels[size_t(ch.flag)].recv_stream = 0;
    return t;
  }
  if (ch.on_chip && (dst != Space::UB || !cs.held))
    fail(site, "an on-chip channel is received into UB, after its send");
  Instr& w = emit(stream, Op::WAIT, impl_->tensor_site(impl_->ki().wait_site, ch.tensor.id, "wait"));
  w.imm = float(ch.flag);
  LTile t = make_tile(ch.shape, ch.tensor.dtype, dst, site);
  t.t_.valid_rows = ch.valid.rows == ch.shape.rows ? 0 : uint16_t(ch.valid.rows);
  t.t_.valid_cols = ch.valid.cols == ch.shape.cols ? 0 : uint16_t(ch.valid.cols);
  if (ch.on_chip) {  // FIXPIPE L0C -> this vector core's UB, converting to the channel's dtype
    Instr& m = emit(stream, Op::TMOV, impl_->tensor_site(impl_->ki().move_site, ch.tensor.id, "move"));
    m.dst = t.tile();
    m.a = cs.held.tile();
    mark_written(t);
  } else {
    dma_load(stream, t, ch.tensor, ch.at, site);
  }
  impl_->channels[size_t(ch.flag)].recv_stream = stream;
  return t;
}

L1Ring KernelBuilder::l1_ring(Shape2 shape, DType dt, uint32_t depth) {
  const uint32_t site = section_site_;
  if (depth < 1 || depth > 16) fail(site, "l1_ring depth " + std::to_string(depth) + " is out of range (1..16)");
  if (shape.rows == 0 || shape.cols == 0 || shape.rows > 65535 || shape.cols > 65535)
    fail(site, "l1_ring shape " + shape_str(shape.rows, shape.cols, dt) + " is out of range (1..65535)");
  L1Ring r;
  r.shape_ = shape;
  r.dtype_ = dt;
  r.depth_ = depth;
  if (!impl_->target.ub_to_l1) return r;  // channels over it cross GM
  Impl& I = *impl_;
  detail::RingState st;
  // As make_tile sizes an L1 tile (a pad row), placed clear of every L1 byte
  // this launch has used: nothing the cube read before can be overwritten
  // by a buffer's first write.
  const uint64_t d = isa::dtype_bytes(dt);
  const uint64_t size = (uint64_t(shape.rows) + (shape.rows > 1 ? 1 : 0)) * shape.cols * d;
  for (uint32_t b = 0; b < depth; ++b) {
    const uint32_t pos = size > I.target.l1 ? kNone : Impl::first_fit(I.spaces[int(Space::L1)], uint32_t(size), 32, I.l1_used);
    const uint32_t slot = I.take(Space::L1, pos, uint32_t(size));
    if (slot == kNone)
      fail(site, "L1 ring of " + std::to_string(depth) + " [" + std::to_string(shape.rows) + "," +
                     std::to_string(shape.cols) + "] " + isa::to_string(dt) + " buffers (" + std::to_string(size) +
                     " B each) does not fit in the L1 bytes this launch has not used yet on " + I.target.name +
                     " (create the ring before the cube's other L1 tiles)");
    LTile t;
    t.impl_ = impl_;
    t.slot_ = slot;
    t.gen_ = I.slots[slot].gen;
    t.t_.space = Space::L1;
    t.t_.dtype = dt;
    t.t_.offset = I.slots[slot].begin;
    t.t_.rows = uint16_t(shape.rows);
    t.t_.cols = uint16_t(shape.cols);
    st.bufs.push_back(std::move(t));
  }
  st.last.assign(depth, -1);
  r.id_ = int(I.rings.size());
  I.rings.push_back(std::move(st));
  return r;
}

Channel KernelBuilder::channel(const GmTensor& t, Shape2 shape, At at, const L1Ring& ring, Shape2 valid) {
  const uint32_t site = section_site_;
  if (ring.depth_ == 0) fail(site, "channel through an L1 ring that KernelBuilder::l1_ring did not make");
  if (shape.rows != ring.shape_.rows || shape.cols != ring.shape_.cols || t.dtype != ring.dtype_)
    fail(site, "channel of " + shape_str(shape.rows, shape.cols, t.dtype) + " through an L1 ring of " +
                   shape_str(ring.shape_.rows, ring.shape_.cols, ring.dtype_) + " buffers");
  Channel c = channel(t, shape, at, valid, false);
  if (!ring.on_chip()) return c;
  if (size_t(ring.id_) >= impl_->rings.size()) fail(site, "channel through an L1 ring of another launch");
  detail::RingState& rs = impl_->rings[size_t(ring.id_)];
  detail::ChannelState& cs = impl_->channels[size_t(c.flag)];
  cs.ring = ring.id_;
  cs.buffer = rs.next++ % uint32_t(rs.bufs.size());
  cs.prev = rs.last[cs.buffer];
  rs.last[cs.buffer] = c.flag;
  c.on_chip = true;
  c.ring = ring.id_;
  return c;
}

void KernelBuilder::release(const Channel& ch, Label label) {
  if (ch.flag < 0 || size_t(ch.flag) >= impl_->channels.size())
    fail(section_site_, "release of a channel of another launch");
  if (ch.ring < 0) {
    if (ch.on_chip) fail(section_site_, "release is for channels through an L1 ring (L0C -> UB holds its tile)");
    return;  // through GM: the cube's L1 tile is its own
  }
  const uint32_t site = label_site(label, impl_->tensor_site(impl_->ki().release_site, ch.tensor.id, "release"));
  const detail::ChannelState& cs = impl_->channels[size_t(ch.flag)];
  if (cs.recv_stream != 0) fail(site, "release of channel flag " + std::to_string(ch.flag) + " before the cube received it");
  if (cs.released) fail(site, "channel flag " + std::to_string(ch.flag) + " released twice");
  const int rf = release_flag(ch.flag);
  Instr& in = emit(0, Op::SIGNAL, site);
  in.imm = float(rf);
  impl_->channels[size_t(rf)].send_stream = 0;
  impl_->channels[size_t(ch.flag)].released = true;
}

int KernelBuilder::release_flag(int flag) {
  auto& chs = impl_->channels;
  if (chs[size_t(flag)].release_flag < 0) {
    const int rf = int(chs.size());
    chs.emplace_back();
    chs.back().release_of = flag;
    chs[size_t(flag)].release_flag = rf;
  }
  return chs[size_t(flag)].release_flag;
}

LTile KernelBuilder::ring_buffer(const Channel& ch, int ring, uint32_t buffer) const {
  LTile t = impl_->rings[size_t(ring)].bufs[buffer];
  t.t_.valid_rows = ch.valid.rows == ch.shape.rows ? 0 : uint16_t(ch.valid.rows);
  t.t_.valid_cols = ch.valid.cols == ch.shape.cols ? 0 : uint16_t(ch.valid.cols);
  return t;
}

// ---------------------------------------------------------------------------
// ProgramBuilder

ProgramBuilder::ProgramBuilder(Target target) : impl_(std::make_unique<Impl>()) {
  if (target.vector_cores < 1 || target.vector_cores + 1 > uint32_t(detail::kStreams))
    throw BuildError("target '" + target.name + "': " + std::to_string(target.vector_cores) +
                     " vector cores per group; the builder supports 1.." + std::to_string(detail::kStreams - 1));
  impl_->target = std::move(target);
}
ProgramBuilder::~ProgramBuilder() = default;
ProgramBuilder::ProgramBuilder(ProgramBuilder&&) noexcept = default;
ProgramBuilder& ProgramBuilder::operator=(ProgramBuilder&&) noexcept = default;

ProgramBuilder ProgramBuilder::fork() const {
  const Impl& I = *impl_;
  if (I.finished) throw BuildError("ProgramBuilder: finish() was already called");
  if (I.in_launch) throw BuildError("fork inside kernel '" + I.kinfos[I.cur_kinfo].name + "'");
  ProgramBuilder part(I.target);
  Impl& C = *part.impl_;
  C.prog.tensors = I.prog.tensors;
  C.prog.sites = I.prog.sites;
  C.site_ids = I.site_ids;
  C.kernel_ids = I.kernel_ids;
  C.kinfos = I.kinfos;
  for (detail::KernelInfo& k : C.kinfos) k.bodies.clear();  // the parent's kernels: not the part's
  C.forked_from = &I;
  C.fork_tensors = I.prog.tensors.size();
  C.fork_sites = I.prog.sites.size();
  C.fork_kinfos = I.kinfos.size();
  return part;
}

void ProgramBuilder::join(ProgramBuilder&& part) {
  Impl& I = *impl_;
  Impl& C = *part.impl_;
  if (I.finished) throw BuildError("ProgramBuilder: finish() was already called");
  if (I.in_launch) throw BuildError("join inside kernel '" + I.ki().name + "'");
  if (C.forked_from != &I || C.finished || C.in_launch)
    throw BuildError("join: the part was not forked from this builder, or is finished or inside a launch");
  if (C.prog.tensors.size() != C.fork_tensors)
    throw BuildError("join: the part declared GM tensor '" + C.prog.tensors[C.fork_tensors].name +
                     "' (declare a program's tensors before forking it)");
  // The part's launches are of kernels new to both builders (checked before
  // anything changes here).
  std::vector<bool> launched(C.kinfos.size(), false);
  for (const isa::Task& t : C.prog.tasks) launched[C.kernel_ids.at(C.prog.kernels[t.kernel].name)] = true;
  for (uint32_t k = 0; k < C.kinfos.size(); ++k)
    if (launched[k] && (k < C.fork_kinfos || I.kernel_ids.count(C.kinfos[k].name)))
      throw BuildError("join: kernel '" + C.kinfos[k].name + "' is launched by the part and by the builder it was "
                       "forked from (fork a part whose kernels are its own)");
  // Sites: the part's own ones after this builder's (the same strings, once).
  std::vector<uint32_t> site(C.prog.sites.size());
  for (uint32_t s = 0; s < site.size(); ++s) site[s] = s < C.fork_sites ? s : I.intern(C.prog.sites[s]);
  const auto remap = [&](uint32_t& s) {
    if (s != detail::kNone) s = site[s];
  };
  const uint32_t k0 = uint32_t(I.prog.kernels.size()), b0 = uint32_t(I.prog.bindings.size());
  for (uint32_t k = 0; k < C.kinfos.size(); ++k) {
    if (!launched[k]) continue;
    detail::KernelInfo ki = C.kinfos[k];
    remap(ki.launch_site);
    remap(ki.compute_site);
    for (auto* v : {&ki.load_site, &ki.store_site, &ki.sload_site, &ki.signal_site, &ki.wait_site, &ki.move_site,
                    &ki.release_site})
      for (uint32_t& s : *v) remap(s);
    for (auto& l : ki.labels) remap(l.second);
    for (uint32_t& b : ki.bodies) b += k0;
    I.kernel_ids.emplace(ki.name, uint32_t(I.kinfos.size()));
    I.kinfos.push_back(std::move(ki));
  }
  for (isa::Kernel& k : C.prog.kernels) {
    for (isa::Instr& in : k.cube) in.site = site[in.site];
    for (auto& v : k.vec)
      for (isa::Instr& in : v) in.site = site[in.site];
    I.prog.kernels.push_back(std::move(k));
  }
  for (isa::Binding& b : C.prog.bindings) I.prog.bindings.push_back(std::move(b));
  for (isa::Task& t : C.prog.tasks) {
    t.kernel += k0;
    if (t.binding != isa::kNoBinding) t.binding += b0;
    t.site = site[t.site];
    I.prog.tasks.push_back(std::move(t));
  }
  I.instructions += C.instructions;
  C.finished = true;  // spent
  if (I.over_memory(double(I.bytes())))
    I.fail_memory("the program (" + std::to_string(I.prog.tasks.size()) + " tasks, " +
                      std::to_string(I.instructions) + " instructions so far)",
                  double(I.bytes()));
}

GmTensor ProgramBuilder::tensor(const std::string& name, std::vector<int64_t> shape, DType dt,
                                isa::TensorKind kind, std::vector<int32_t> init, isa::InputRole role) {
  if (impl_->prog.find_tensor(name)) throw BuildError("GM tensor '" + name + "' defined twice");
  if (shape.empty()) throw BuildError("GM tensor '" + name + "' has no shape");
  for (int64_t d : shape)
    if (d <= 0) throw BuildError("GM tensor '" + name + "' has a non-positive dimension");
  isa::Tensor T;
  T.name = name;
  T.shape = shape;
  T.dtype = dt;
  T.kind = kind;
  T.init = std::move(init);
  T.role = role;
  if (!T.init.empty() && (dt != DType::INT32 || int64_t(T.init.size()) != T.elems()))
    throw BuildError("GM tensor '" + name + "': init values need an int32 tensor of matching size");
  GmTensor g;
  g.id = uint32_t(impl_->prog.tensors.size());
  g.dtype = dt;
  g.cols = shape.size() == 1 ? 1 : shape.back();
  g.rows = T.elems() / g.cols;
  impl_->prog.tensors.push_back(std::move(T));
  return g;
}

int64_t ProgramBuilder::read_scalar(const GmTensor& t, int64_t index) const {
  const isa::Tensor& T = impl_->prog.tensors.at(t.id);
  if (index < 0 || index >= int64_t(T.init.size()))
    throw BuildError("read_scalar: " + T.name + "[" + std::to_string(index) + "] has no known value");
  return T.init[size_t(index)];
}

void ProgramBuilder::kernel(std::string_view name, const std::function<void(KernelBuilder&)>& body,
                            Label launch) {
  Impl& I = *impl_;
  auto [it, inserted] = I.kernel_ids.emplace(std::string(name), uint32_t(I.kinfos.size()));
  if (inserted) {
    I.kinfos.emplace_back();
    I.kinfos.back().name = std::string(name);
  }
  uint32_t kid = it->second;
  detail::KernelInfo& k = I.kinfos[kid];
  if (launch) {
    // A kernel launched from several places keeps the first launch site
    // unless the call names its own.
    k.launch_site = I.intern(k.name + ": " + launch.str());
  } else if (k.launch_site == kNone) {
    k.launch_site = I.intern(k.name + ": launch");
  }
  I.begin_launch(kid);
  try {
    KernelBuilder kb(impl_.get(), kid);
    body(kb);
  } catch (...) {
    I.in_launch = false;
    throw;
  }
  I.end_launch();
}

void ProgramBuilder::parallel_range(std::string_view name, int64_t n, int64_t chunk,
                                    const std::function<void(KernelBuilder&, int64_t, int64_t)>& body,
                                    Label launch) {
  if (n <= 0 || chunk <= 0)
    throw BuildError("parallel '" + std::string(name) + "': n=" + std::to_string(n) +
                     " and chunk=" + std::to_string(chunk) + " must be positive");
  const int64_t launches = n / chunk + (n % chunk != 0);
  const uint64_t before = impl_->bytes();
  for (int64_t t0 = 0; t0 < n; t0 += chunk) {
    int64_t t1 = std::min(n, t0 + chunk);
    kernel(name, [&](KernelBuilder& k) { body(k, t0, t1); }, launch);
    if (t0 != 0) continue;
    // Every launch like the first, a body of its own (an upper bound: the
    // ones that share the first's cost a task): refuse a runaway before
    // building it, and the time building it would take.
    const double estimate = double(before) + double(impl_->bytes() - before) * double(launches);
    if (impl_->over_memory(estimate))
      impl_->fail_memory("pl.parallel '" + std::string(name) + "' of " + std::to_string(launches) + " launches",
                         estimate);
  }
}

void ProgramBuilder::spmd(std::string_view name, int64_t blocks, const std::function<void(KernelBuilder&, int64_t)>& body,
                          Label launch) {
  if (blocks <= 0 || blocks > 65536)
    throw BuildError("spmd '" + std::string(name) + "': " + std::to_string(blocks) + " blocks (1..65536)");
  const uint64_t before = impl_->bytes();
  for (int64_t b = 0; b < blocks; ++b) {
    kernel(name, [&](KernelBuilder& k) { body(k, b); }, launch);
    isa::Task& t = impl_->prog.tasks.back();
    t.block = uint32_t(b);
    t.blocks = uint32_t(blocks);
    if (b != 0) continue;
    const double estimate = double(before) + double(impl_->bytes() - before) * double(blocks);
    if (impl_->over_memory(estimate))
      impl_->fail_memory("pl.spmd '" + std::string(name) + "' of " + std::to_string(blocks) + " blocks", estimate);
  }
}

void ProgramBuilder::parallel(std::string_view name, int64_t n, int64_t chunk,
                              const std::function<void(KernelBuilder&, int64_t)>& body, Label launch) {
  parallel_range(
      name, n, chunk,
      [&](KernelBuilder& k, int64_t b, int64_t e) {
        k.loop(b, e, 1, 1, [&](int64_t i) { body(k, i); });  // the chunk's iterations: a plain loop
      },
      launch);
}

uint32_t ProgramBuilder::binding(const std::vector<std::pair<GmTensor, GmTensor>>& replace) {
  isa::Program& p = impl_->prog;
  isa::Binding b;
  for (const auto& [from, to] : replace) {
    const isa::Tensor &f = p.tensors.at(from.id), &t = p.tensors.at(to.id);
    if (f.dtype != t.dtype || f.shape != t.shape)
      throw BuildError("binding: '" + t.name + "' cannot stand for '" + f.name + "' (another dtype or shape)");
    b.entries.push_back({from.id, to.id, 0});
  }
  b.sort();
  for (size_t i = 1; i < b.entries.size(); ++i)
    if (b.entries[i].from == b.entries[i - 1].from)
      throw BuildError("binding: '" + p.tensors[b.entries[i].from].name + "' is replaced twice");
  p.bindings.push_back(std::move(b));
  return uint32_t(p.bindings.size() - 1);
}

void ProgramBuilder::relaunch(uint32_t first, uint32_t end, uint32_t binding) {
  Impl& I = *impl_;
  isa::Program& p = I.prog;
  if (I.finished) throw BuildError("ProgramBuilder: finish() was already called");
  if (I.in_launch) throw BuildError("relaunch inside kernel '" + I.ki().name + "'");
  if (first > end || end > p.tasks.size() || binding >= p.bindings.size())
    throw BuildError("relaunch: tasks [" + std::to_string(first) + ", " + std::to_string(end) + ") or binding " +
                     std::to_string(binding) + " out of range");
  if ((first < end && p.tasks[first].block != 0) || (end < p.tasks.size() && p.tasks[end].block != 0))
    throw BuildError("relaunch: tasks [" + std::to_string(first) + ", " + std::to_string(end) +
                     ") cut a pl.spmd launch");
  const double estimate = double(I.bytes()) + double(end - first) * double(detail::kTaskBytes);
  if (I.over_memory(estimate)) I.fail_memory("relaunching " + std::to_string(end - first) + " tasks", estimate);
  p.tasks.reserve(p.tasks.size() + (end - first));
  const isa::Binding layer = p.bindings[binding];  // p.bindings grows below
  for (uint32_t i = first; i < end; ++i) {
    isa::Task t = p.tasks[i];
    if (t.binding == isa::kNoBinding) {
      t.binding = binding;
    } else {
      // The task's own binding (its offsets), then `layer` over the tensors
      // it names: entries for the tensors the kernel touches.
      const isa::Binding own = p.bindings[t.binding];
      isa::Binding both;
      for (uint32_t tensor : I.kernel_tensors(t.kernel)) {
        const isa::BoundTensor* e = own.find(tensor);
        isa::BoundTensor c{tensor, layer.tensor(e ? e->to : tensor), e ? e->offset : 0};
        if (c.to != c.from || c.offset) both.entries.push_back(c);
      }
      t.binding = uint32_t(p.bindings.size());
      p.bindings.push_back(std::move(both));
    }
    t.deps.clear();  // finish() derives them from the ranges
    for (auto* rs : {&t.reads, &t.writes})
      for (isa::GmRange& r : *rs) r.tensor = layer.tensor(r.tensor);
    p.tasks.push_back(std::move(t));
  }
}

const isa::Program& ProgramBuilder::program() const { return impl_->prog; }
const Target& ProgramBuilder::target() const { return impl_->target; }
const Target& KernelBuilder::target() const { return impl_->target; }

void set_program_memory_limit(uint64_t bytes) { detail::g_program_memory_limit = bytes; }

isa::Program ProgramBuilder::finish() {
  if (impl_->finished) throw BuildError("ProgramBuilder::finish called twice");
  impl_->finished = true;
  isa::Program& p = impl_->prog;
  isa::derive_task_deps(p);
  return std::move(impl_->prog);
}

}  // namespace workloads
