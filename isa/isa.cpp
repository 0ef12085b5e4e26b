#include "isa/isa.h"

#include "isa/ops.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <tuple>

namespace isa {

uint32_t dtype_bytes(DType t) {
  switch (t) {
    case DType::BF16:
    case DType::FP16: return 2;
    case DType::FP32:
    case DType::INT32: return 4;
  }
  return 0;
}

const char* to_string(DType t) {
  switch (t) {
    case DType::BF16: return "bf16";
    case DType::FP16: return "fp16";
    case DType::FP32: return "fp32";
    case DType::INT32: return "int32";
  }
  return "?";
}

const char* to_string(Space s) {
  switch (s) {
    case Space::GM: return "GM";
    case Space::L1: return "L1";
    case Space::L0A: return "L0A";
    case Space::L0B: return "L0B";
    case Space::L0C: return "L0C";
    case Space::UB: return "UB";
  }
  return "?";
}

std::optional<DType> parse_dtype(std::string_view s) {
  for (DType t : {DType::BF16, DType::FP16, DType::FP32, DType::INT32})
    if (s == to_string(t)) return t;
  return std::nullopt;
}

std::optional<Space> parse_space(std::string_view s) {
  for (int sp = 0; sp < kNumSpaces; ++sp)
    if (s == to_string(Space(sp))) return Space(sp);
  return std::nullopt;
}

std::string mnemonic(const Instr& in) {
  const OpInfo& o = op_info(in.op);
  if (o.subs == SubSet::None) return o.stem;
  // An out-of-range sub (validation rejects it) prints as a valid one plus
  // "sub=N" (isa/text.cpp), so the text still round-trips.
  return std::string(o.stem) + sub_name(o.subs, uint8_t(in.sub % num_subs(o.subs))) + o.suffix;
}

int64_t Tensor::elems() const {
  int64_t n = 1;
  bool over = false;
  for (int64_t d : shape) {
    if (d <= 0) return 0;  // an empty or invalid shape (validation names it)
    over |= __builtin_mul_overflow(n, d, &n) || n > kMaxTensorBytes / std::max<uint32_t>(1, dtype_bytes(dtype));
  }
  if (over) {
    std::string dims;
    for (int64_t d : shape) dims += (dims.empty() ? "" : ", ") + std::to_string(d);
    throw ProgramError("tensor '" + name + "' of shape [" + dims + "] holds more than " +
                       std::to_string(kMaxTensorBytes) + " bytes (2^48), the largest a GM tensor may be");
  }
  return n;
}

bool Tensor::operator==(const Tensor& o) const {
  return std::tie(name, shape, dtype, kind, init, role) ==
         std::tie(o.name, o.shape, o.dtype, o.kind, o.init, o.role);
}

const char* to_string(InputRole r) {
  switch (r) {
    case InputRole::Data: return "data";
    case InputRole::Weight: return "weight";
    case InputRole::Gain: return "gain";
    case InputRole::Cache: return "cache";
    case InputRole::RopeCos: return "rope_cos";
    case InputRole::RopeSin: return "rope_sin";
  }
  return "?";
}

bool GmRange::operator==(const GmRange& o) const {
  return std::tie(tensor, begin, end) == std::tie(o.tensor, o.begin, o.end);
}

bool Kernel::operator==(const Kernel& o) const {
  return std::tie(name, cube, vec) == std::tie(o.name, o.cube, o.vec);
}

bool Task::operator==(const Task& o) const {
  return std::tie(kernel, site, block, blocks, binding, reads, writes, deps) ==
         std::tie(o.kernel, o.site, o.block, o.blocks, o.binding, o.reads, o.writes, o.deps);
}

bool BoundTensor::operator==(const BoundTensor& o) const {
  return std::tie(from, to, offset) == std::tie(o.from, o.to, o.offset);
}

void Binding::sort() {
  std::sort(entries.begin(), entries.end(), [](const BoundTensor& x, const BoundTensor& y) { return x.from < y.from; });
}

const BoundTensor* Binding::find(uint32_t t) const {
  const auto it = std::lower_bound(entries.begin(), entries.end(), t,
                                   [](const BoundTensor& e, uint32_t x) { return e.from < x; });
  return it != entries.end() && it->from == t ? &*it : nullptr;
}

uint64_t Kernel::instruction_count() const {
  uint64_t n = cube.size();
  for (const auto& v : vec) n += v.size();
  return n;
}

std::vector<uint32_t> Kernel::gm_tensors() const {
  std::vector<uint32_t> ts;
  const auto scan = [&](const std::vector<Instr>& s) {
    for (const Instr& in : s)
      if (op_info(in.op).uses(Operand::Gm)) ts.push_back(in.gm.tensor);
  };
  scan(cube);
  for (const auto& v : vec) scan(v);
  std::sort(ts.begin(), ts.end());
  ts.erase(std::unique(ts.begin(), ts.end()), ts.end());
  return ts;
}

uint64_t Program::instruction_count() const {
  uint64_t n = 0;
  for (const Task& t : tasks) n += kernels.at(t.kernel).instruction_count();
  return n;
}

std::optional<uint32_t> Program::find_tensor(std::string_view name) const {
  for (uint32_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].name == name) return i;
  return std::nullopt;
}

bool Program::operator==(const Program& o) const {
  return std::tie(tensors, sites, kernels, bindings, tasks) ==
         std::tie(o.tensors, o.sites, o.kernels, o.bindings, o.tasks);
}

namespace {

// The bytes of one tensor written so far, as disjoint spans [begin, end)
// keyed by begin, each with the task that wrote it last.
struct LastWriters {
  struct Span {
    uint64_t end;
    uint32_t task;
  };
  std::map<uint64_t, Span> spans;

  // The first span that ends after b.
  std::map<uint64_t, Span>::iterator first_after(uint64_t b) {
    auto it = spans.upper_bound(b);
    if (it != spans.begin() && std::prev(it)->second.end > b) --it;
    return it;
  }
  // Adds the last writer of every byte of [b, e) that has one, unless
  // `found` says it was added already (found[t] == mark).
  void collect(uint64_t b, uint64_t e, std::vector<uint32_t>& out, std::vector<uint32_t>& found, uint32_t mark) {
    for (auto it = first_after(b); it != spans.end() && it->first < e; ++it) {
      const uint32_t t = it->second.task;
      if (found[t] != mark) {
        found[t] = mark;
        out.push_back(t);
      }
    }
  }
  // Task t is now the last writer of [b, e).
  void write(uint64_t b, uint64_t e, uint32_t t) {
    auto it = first_after(b);
    if (it != spans.end() && it->first < b) {  // keep the head of a span that starts before b
      const Span s = it->second;
      it->second.end = b;
      it = spans.emplace_hint(std::next(it), b, s);
    }
    while (it != spans.end() && it->first < e) {
      if (it->second.end > e) {  // keep the tail of a span that ends after e
        spans.emplace_hint(std::next(it), e, it->second);
      }
      it = spans.erase(it);
    }
    spans.emplace_hint(it, b, Span{e, t});
  }
};

}  // namespace

void derive_task_deps(Program& p) {
  std::vector<LastWriters> last(p.tensors.size());
  // A launch at a time (one task, or the blocks of a pl.spmd launch): its
  // blocks depend on what the launch depends on, never on each other, and on
  // every block of a launch they depend on. `found` holds what the launch
  // depends on, each task once: a reader of bytes many tasks wrote meets
  // each writer once per span (a projection's output, written a row block at
  // a time, has thousands of spans).
  std::vector<uint32_t> found;
  std::vector<uint32_t> mark(p.tasks.size(), UINT32_MAX);  // the launch (its first task) that found task t
  const auto add = [&](uint32_t t, uint32_t launch) {
    if (mark[t] != launch) {
      mark[t] = launch;
      found.push_back(t);
    }
  };
  for (uint32_t first = 0; first < p.tasks.size();) {
    const uint32_t end = first + std::max<uint32_t>(p.tasks[first].blocks - p.tasks[first].block, 1);
    found.clear();
    for (uint32_t t = first; t < end; ++t) {
      const Task& task = p.tasks[t];
      for (uint32_t d : task.deps)  // explicit deps: the launch's too
        if (d < mark.size()) add(d, first);
        else found.push_back(d);  // validation names it
      for (const GmRange& r : task.reads) last.at(r.tensor).collect(r.begin, r.end, found, mark, first);
      for (const GmRange& r : task.writes) last.at(r.tensor).collect(r.begin, r.end, found, mark, first);
    }
    const size_t derived = found.size();
    for (size_t i = 0; i < derived; ++i) {  // the other blocks of each launch found
      if (found[i] >= mark.size()) continue;
      const Task& d = p.tasks[found[i]];
      for (uint32_t b = 0; b < d.blocks; ++b) add(found[i] - d.block + b, first);
    }
    for (uint32_t t = first; t < end; ++t) {
      Task& task = p.tasks[t];
      std::vector<uint32_t> deps = std::move(task.deps);  // explicit deps stay
      deps.insert(deps.end(), found.begin(), found.end());
      std::sort(deps.begin(), deps.end());
      deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
      task.deps = std::move(deps);
    }
    for (uint32_t t = first; t < end; ++t)
      for (const GmRange& r : p.tasks[t].writes) last[r.tensor].write(r.begin, r.end, t);
    first = end;
  }
}

}  // namespace isa
