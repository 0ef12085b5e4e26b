#include "isa/validate.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <exception>
#include <map>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "isa/access.h"
#include "isa/text.h"

namespace isa {
namespace {

// The logical shape an instruction works on: the valid region (cols is also
// the row pitch, so a column sub-view keeps its parent's cols).
std::string shape(const Tile& t) { return std::to_string(t.vrows()) + "x" + std::to_string(t.vcols()); }

std::string quoted(const std::string& s) { return "'" + s + "'"; }

std::string fmt_float(float f) {
  char buf[64];
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, f).ptr);
}

bool known_dtype(DType t) { return dtype_bytes(t) != 0; }

// What every part of a split validation reads: computed once, before the
// parts run.
struct Shared {
  std::vector<uint32_t> first_launch;  // per kernel: the first task launching it (kNone: none)
  std::vector<uint32_t> launches;      // per kernel: how many tasks launch it (reused_accesses)
  std::vector<bool> sloads;            // per kernel: a stream SLOADs
  std::vector<bool> known;             // known_before_run, once every index is in range
  std::vector<int64_t> elems;          // per tensor (its declaration checked: in range)
  static constexpr uint32_t kNone = ~0u;
};

class Validator {
 public:
  Validator(const Program& p, const SourceMap* src, const Shared& shared) : p_(p), src_(src), sh_(shared) {}

  void declarations() {
    for (uint32_t i = 0; i < p_.tensors.size(); ++i) check_tensor(i);
    for (uint32_t i = 0; i < p_.bindings.size(); ++i) check_binding(i);
  }
  // Tasks [from, to), each followed by its kernel when it is the kernel's first launch.
  void tasks(uint32_t from, uint32_t to) {
    for (uint32_t t = from; t < to; ++t) {
      check_task(t);
      const uint32_t k = p_.tasks[t].kernel;
      if (sh_.first_launch[k] == t) check_kernel(k, "task " + std::to_string(t) + ", ");
    }
  }
  void unlaunched() {
    for (uint32_t k = 0; k < p_.kernels.size(); ++k)
      if (sh_.first_launch[k] == Shared::kNone) check_kernel(k, "", " (not launched)");
  }
  // Everything is in range now: the declared GM ranges of tasks [from, to)
  // must cover what their instructions touch (task dependencies are derived
  // from them).
  void coverage(uint32_t from, uint32_t to) {
    for (uint32_t t = from; t < to; ++t) check_coverage(t, sh_.known);
  }

  static std::string dims(const Tensor& t) {
    std::string s = std::string(to_string(t.dtype)) + " [";
    for (size_t i = 0; i < t.shape.size(); ++i) s += (i ? "," : "") + std::to_string(t.shape[i]);
    return s + "]";
  }

 private:
  [[noreturn]] void fail(const std::string& msg) const {
    throw ProgramError((src_ ? src_->at(line_) : "") + context() + ": " + msg);
  }

  // What fail() names: ctx_, or the instruction being checked, whose text is
  // built only when a check fails (never per instruction).
  std::string context() const {
    if (!in_) return ctx_;
    std::string s = *in_where_ + (in_vec_ < 0 ? std::string(", cube") : ", vec " + std::to_string(in_vec_)) +
                    ", instr " + std::to_string(in_index_);
    if (int(in_->op) >= kNumOps) return s;  // the opcode check names no mnemonic
    s += " " + quoted(mnemonic(*in_));
    if (in_->site < p_.sites.size()) s += " (site " + std::to_string(in_->site) + " \"" + p_.sites[in_->site] + "\")";
    return s;
  }
  void set_ctx(std::string c) {
    ctx_ = std::move(c);
    in_ = nullptr;
  }

  static uint32_t line_of(const std::vector<uint32_t>& lines, size_t i) {
    return i < lines.size() ? lines[i] : 0;
  }

  std::string kernel_name(uint32_t k) const {
    return "kernel " + std::to_string(k) + " " + quoted(p_.kernels[k].name);
  }

  // --- tensors and tasks ---

  void check_tensor(uint32_t i) {
    const Tensor& t = p_.tensors[i];
    set_ctx("tensor " + std::to_string(i) + " " + quoted(t.name));
    line_ = src_ ? line_of(src_->tensors, i) : 0;
    if (t.name.empty()) fail("empty name");
    if (!known_dtype(t.dtype)) fail("bad dtype " + std::to_string(int(t.dtype)));
    if (int(t.kind) > int(TensorKind::Scratch)) fail("bad kind " + std::to_string(int(t.kind)));
    if (const auto [it, fresh] = names_.emplace(t.name, i); !fresh)
      fail("name also used by tensor " + std::to_string(it->second));
    for (int64_t d : t.shape)
      if (d <= 0) fail("dimension " + std::to_string(d) + " must be > 0");
    try {
      (void)t.elems();
    } catch (const ProgramError& e) {
      fail(e.what());
    }
    if (!t.init.empty()) {
      if (t.dtype != DType::INT32) fail("init values on a non-int32 tensor");
      if (int64_t(t.init.size()) != t.elems())
        fail(std::to_string(t.init.size()) + " init values for " + std::to_string(t.elems()) +
             " elements");
    }
  }

  // Every entry names a tensor of the dtype and shape of the one it replaces,
  // so what check_kernel proved of a kernel holds under the binding (but for
  // the bounds of views an offset moves: check_coverage's).
  void check_binding(uint32_t i) {
    const Binding& b = p_.bindings[i];
    set_ctx("binding " + std::to_string(i));
    line_ = src_ ? line_of(src_->bindings, i) : 0;
    for (size_t k = 0; k < b.entries.size(); ++k) {
      const BoundTensor& e = b.entries[k];
      if (e.from >= p_.tensors.size()) check_tensor_index(e.from, "entry " + std::to_string(k));
      if (e.to >= p_.tensors.size()) check_tensor_index(e.to, "entry for " + quoted(p_.tensors[e.from].name));
      if (k > 0 && b.entries[k - 1].from >= e.from)
        fail("entries are not sorted by the tensor they replace, each once (" + quoted(p_.tensors[e.from].name) + ")");
      const Tensor &from = p_.tensors[e.from], &to = p_.tensors[e.to];
      // Past this a view leaves any tensor; within it offsets add up in int64.
      if (e.offset > kMaxTensorBytes || e.offset < -kMaxTensorBytes)
        fail("moves " + quoted(from.name) + " by " + std::to_string(e.offset) +
             " elements, past the 2^48 any tensor holds");
      if (from.dtype != to.dtype || from.shape != to.shape)
        fail("binds " + quoted(from.name) + " (" + dims(from) + ") to " + quoted(to.name) + " (" + dims(to) +
             "): a bound tensor has the dtype and shape of the one it replaces");
    }
  }

  void check_task(uint32_t index) {
    const Task& t = p_.tasks[index];
    set_ctx("task " + std::to_string(index));
    line_ = src_ ? src_->task(index) : 0;
    if (t.kernel >= p_.kernels.size())
      fail("kernel index " + std::to_string(t.kernel) + " out of range (" +
           std::to_string(p_.kernels.size()) + " kernels)");
    ctx_ += " (" + kernel_name(t.kernel) + ")";
    check_site(t.site);
    if (t.binding != kNoBinding && t.binding >= p_.bindings.size())
      fail("binding " + std::to_string(t.binding) + " out of range (" + std::to_string(p_.bindings.size()) +
           " bindings)");
    if (t.blocks == 0 || t.block >= t.blocks)
      fail("block " + std::to_string(t.block) + " of " + std::to_string(t.blocks) + " is out of range");
    if (t.block > 0) {  // the blocks of a launch are consecutive tasks of one site
      const Task* prev = index > 0 ? &p_.tasks[index - 1] : nullptr;
      if (!prev || prev->blocks != t.blocks || prev->block + 1 != t.block || prev->site != t.site)
        fail("block " + std::to_string(t.block) + "/" + std::to_string(t.blocks) +
             " does not follow block " + std::to_string(t.block - 1) + " of the same launch (same site and count)");
    }
    if (t.block + 1 < t.blocks && (index + 1 >= p_.tasks.size() || p_.tasks[index + 1].block != t.block + 1))
      fail("block " + std::to_string(t.block) + "/" + std::to_string(t.blocks) + " is not followed by block " +
           std::to_string(t.block + 1));
    for (uint32_t d : t.deps) {
      if (d >= index) fail("dep " + std::to_string(d) + " is not an earlier task");
      if (d + t.block >= index) fail("dep " + std::to_string(d) + " is a block of this task's own launch");
    }
    for (const GmRange& r : t.reads) check_range(r, "read");
    for (const GmRange& r : t.writes) check_range(r, "write");
  }

  void check_range(const GmRange& r, const char* what) {
    // A layer declares tens of thousands of ranges: the description is built
    // for a message only.
    const auto which = [&] {
      return std::string(what) + " range " + std::to_string(r.begin) + ".." + std::to_string(r.end);
    };
    if (r.tensor >= p_.tensors.size()) check_tensor_index(r.tensor, which());
    const Tensor& t = p_.tensors[r.tensor];
    if (r.begin >= r.end) fail(which() + " of " + quoted(t.name) + " is empty or reversed");
    const uint64_t bytes = uint64_t(sh_.elems[r.tensor]) * dtype_bytes(t.dtype);
    if (r.end > bytes) fail(which() + " exceeds tensor " + quoted(t.name) + " (" + std::to_string(bytes) + " bytes)");
  }

  void check_site(uint32_t site) const {
    if (site >= p_.sites.size())
      fail("site " + std::to_string(site) + " out of range (" + std::to_string(p_.sites.size()) +
           " sites)");
  }

  void check_tensor_index(uint32_t t, const std::string& what) const {
    if (t >= p_.tensors.size())
      fail(what + ": tensor index " + std::to_string(t) + " out of range (" +
           std::to_string(p_.tensors.size()) + " tensors)");
  }

  // --- kernels and instructions ---

  void check_kernel(uint32_t k, const std::string& prefix, const std::string& suffix = "") {
    const Kernel& kernel = p_.kernels[k];
    const std::string where = prefix + kernel_name(k) + suffix;
    in_where_ = &where;
    for (size_t i = 0; i < kernel.cube.size(); ++i) {
      line_ = src_ ? src_->instr(k, 0, i) : 0;
      in_vec_ = -1;
      in_index_ = i;
      check_instr(kernel.cube[i], true);
    }
    for (size_t v = 0; v < kernel.vec.size(); ++v)
      for (size_t i = 0; i < kernel.vec[v].size(); ++i) {
        line_ = src_ ? src_->instr(k, int(v + 1), i) : 0;
        in_vec_ = int(v);
        in_index_ = i;
        check_instr(kernel.vec[v][i], false);
      }
    in_ = nullptr;  // `where` goes out of scope
  }

  // --- declared GM ranges against what the instructions touch ---

  // Sorted by (tensor, begin), overlapping and adjacent ranges merged.
  static std::vector<GmRange> merged(std::vector<GmRange> rs) {
    std::sort(rs.begin(), rs.end(), [](const GmRange& a, const GmRange& b) {
      return std::tie(a.tensor, a.begin) < std::tie(b.tensor, b.begin);
    });
    std::vector<GmRange> out;
    for (const GmRange& r : rs) {
      if (!out.empty() && out.back().tensor == r.tensor && r.begin <= out.back().end)
        out.back().end = std::max(out.back().end, r.end);
      else
        out.push_back(r);
    }
    return out;
  }

  // The first stretch of bytes [b, e) of `tensor` outside `cover` (merged),
  // or an empty range when cover holds all of them.
  static GmRange first_gap(const std::vector<GmRange>& cover, uint32_t tensor, uint64_t b, uint64_t e) {
    if (b >= e) return {};
    auto it = std::upper_bound(cover.begin(), cover.end(), std::pair{tensor, b},
                               [](const std::pair<uint32_t, uint64_t>& x, const GmRange& r) {
                                 return x < std::pair{r.tensor, r.begin};
                               });
    // `it` is the first range starting after b; the one before may hold b.
    if (it != cover.begin()) {
      const GmRange& prev = *(it - 1);
      if (prev.tensor == tensor && prev.end > b) {
        if (prev.end >= e) return {};
        b = prev.end;  // merged: the next range starts after a gap
      }
    }
    const uint64_t next = it != cover.end() && it->tensor == tensor ? it->begin : e;
    return GmRange{tensor, b, std::min(e, next)};
  }

  std::string range_text(const GmRange& r) const {
    return p_.tensors[r.tensor].name + ":" + std::to_string(r.begin) + ".." + std::to_string(r.end);
  }

  // The GM accesses of a stream of a kernel that several tasks launch and
  // whose streams SLOAD nothing depend on the task's block alone (a binding
  // renames their tensors): computed once per (kernel, stream, block), with
  // the kernel's own tensors. Null: compute them for the task.
  const std::vector<InstrAccess>* reused_accesses(const Task& task, int sid, const std::vector<Instr>& s,
                                                  const std::vector<bool>& known) {
    if (sh_.launches[task.kernel] < 2 || sh_.sloads[task.kernel]) return nullptr;
    auto [it, fresh] = accesses_.try_emplace({task.kernel, sid, task.block});
    if (fresh) it->second = stream_gm_accesses(p_, s, known, task.block);
    return &it->second;
  }

  void check_coverage(uint32_t index, const std::vector<bool>& known) {
    const Task& task = p_.tasks[index];
    const Kernel& k = p_.kernels[task.kernel];
    const std::vector<GmRange> reads = merged(task.reads), writes = merged(task.writes);
    const Binding* binding = p_.binding_of(task);
    const auto stream = [&](const std::vector<Instr>& s, int sid, const std::string& name) {
      std::vector<InstrAccess> own;
      const std::vector<InstrAccess>* all = reused_accesses(task, sid, s, known);
      if (!all) {
        own = stream_gm_accesses(p_, s, known, task.block, binding);
        all = &own;
      }
      for (InstrAccess ia : *all) {
        int64_t moved = 0;  // elements the binding moves the view by
        if (binding) {
          if (const BoundTensor* e = all == &own ? nullptr : binding->find(ia.access.tensor)) {
            ia.access.tensor = e->to;
            ia.access.first += e->offset;
          }
          moved = binding->offset(s[ia.instr].gm.tensor);
        }
        const GmAccess& a = ia.access;
        // The kernel's checks kept its static views inside their tensors; a
        // binding's offset may move one out.
        if (moved && !a.whole) {
          const Tensor& t = p_.tensors[a.tensor];
          const int64_t last = a.first + (a.rows > 1 ? int64_t(a.rows - 1) * a.stride : 0) + a.cols;
          if (a.first < 0 || last > sh_.elems[a.tensor]) {
            const Instr& in = s[ia.instr];
            set_ctx("task " + std::to_string(index) + ", " + kernel_name(task.kernel) + ", " + name + ", instr " +
                    std::to_string(ia.instr) + " " + quoted(mnemonic(in)));
            line_ = src_ ? src_->task(index) : 0;
            fail("under binding " + std::to_string(task.binding) + " (" + quoted(p_.tensors[in.gm.tensor].name) +
                 " moved by " + std::to_string(moved) + " elements) its view of " + quoted(t.name) +
                 " is elements " + std::to_string(a.first) + ".." + std::to_string(last) + ", outside the tensor (" +
                 std::to_string(sh_.elems[a.tensor]) + " elements)");
          }
        }
        const std::vector<GmRange>& cover = a.write ? writes : reads;
        const uint64_t size = uint64_t(sh_.elems[a.tensor]) * dtype_bytes(p_.tensors[a.tensor].dtype);
        // Bytes outside the tensor are the simulator's bound error, not this one.
        const auto gap_in = [&](const GmRange& r) {
          return first_gap(cover, a.tensor, std::min(r.begin, size), std::min(r.end, size));
        };
        const GmRange hull = a.hull(p_);
        GmRange gap = gap_in(hull);
        if (gap.begin < gap.end && !a.whole && a.rows > 1 && a.stride != a.cols) {
          gap = {};  // the hull is not covered; the rows may be
          const uint64_t d = dtype_bytes(p_.tensors[a.tensor].dtype);
          for (uint32_t r = 0; r < a.rows && gap.begin == gap.end; ++r) {
            const int64_t b = (a.first + int64_t(r) * a.stride) * int64_t(d);
            const int64_t e = b + int64_t(a.cols) * int64_t(d);
            gap = gap_in(GmRange{a.tensor, uint64_t(std::max<int64_t>(0, b)), uint64_t(std::max<int64_t>(0, e))});
          }
        }
        if (gap.begin == gap.end) continue;
        const Instr& in = s[ia.instr];
        set_ctx("task " + std::to_string(index) + ", " + kernel_name(task.kernel) + ", " + name + ", instr " +
                std::to_string(ia.instr) + " " + quoted(mnemonic(in)) + " (site " + std::to_string(in.site) +
                " \"" + p_.sites[in.site] + "\"");
        if (const uint32_t l = src_ ? src_->instr(task.kernel, sid, ia.instr) : 0)
          ctx_ += ", line " + std::to_string(l);
        ctx_ += ")";
        line_ = src_ ? src_->task(index) : 0;
        const char* verb = a.write ? "writes" : "reads";
        std::string what = std::string(verb) + " " + range_text(hull);
        if (a.whole)
          what += " (its offset depends on R" + std::to_string(a.reg) +
                  ", whose value is not known before the run: the whole tensor)";
        else if (a.rows > 1 && a.stride != a.cols)
          what += " (" + std::to_string(a.rows) + " rows of " +
                  std::to_string(uint64_t(a.cols) * dtype_bytes(p_.tensors[a.tensor].dtype)) + " bytes)";
        fail(what + ", but " + range_text(gap) + " is not in the task's " + verb + "=[...]");
      }
    };
    stream(k.cube, 0, "cube");
    for (size_t v = 0; v < k.vec.size(); ++v) stream(k.vec[v], int(v + 1), "vec " + std::to_string(v));
  }

  // In the context of in_where_, in_vec_ and in_index_ (check_kernel).
  void check_instr(const Instr& in, bool cube) {
    in_ = &in;
    if (int(in.op) >= kNumOps) fail("bad opcode " + std::to_string(int(in.op)));
    check_site(in.site);

    const OpInfo& s = op_info(in.op);
    if (const uint8_t n = num_subs(s.subs); n ? in.sub >= n : in.sub != 0)
      fail("sub " + std::to_string(in.sub) + " is not valid for " + mnemonic(in));
    if (in.flags & ~s.flag_mask) fail("flags " + std::to_string(in.flags) + " not valid for " + mnemonic(in));
    check_unused(in, s);

    if (cube && !(s.streams & kCube)) fail(mnemonic(in) + " cannot run on the cube stream");
    if (!cube && !(s.streams & kVec)) fail(mnemonic(in) + " cannot run on a vec stream");

    const std::tuple<Operand, const char*, const Tile*> tiles[] = {
        {Operand::Dst, "dst", &in.dst}, {Operand::A, "a", &in.a}, {Operand::B, "b", &in.b}};
    for (const auto& [o, name, t] : tiles)
      if (s.uses(o)) check_tile(name, *t);
    if (s.uses(Operand::Gm)) check_view(in.gm);
    if (s.uses(Operand::Reg) && (in.reg < 0 || in.reg >= kNumRegs))
      fail("register R" + std::to_string(in.reg) + " out of range R0..R" +
           std::to_string(kNumRegs - 1));

    if (s.vector_ub) {
      for (const auto& [o, name, t] : tiles)
        if (s.uses(o)) space(name, *t, {Space::UB}, "");
      if (s.uses(Operand::Dst)) {
        shape_rule("dst", in.dst, s.dst_shape, in.a);
        if (s.dst_dtype_of_a) same_dtype("dst", in.dst, "a", in.a);
      }
      if (s.uses(Operand::B)) {
        if (s.b_dtype_of_a) same_dtype("b", in.b, "a", in.a);
        shape_rule("b", in.b, s.b_shape, in.a);
      }
      if (s.uses(Operand::A)) shape_rule("a", in.a, s.a_shape, in.a);
    }
    const char* stream = cube ? " on the cube stream" : " on a vec stream";
    switch (s.check) {
      case Check::None: break;
      case Check::Load:
        space("dst", in.dst, {cube ? Space::L1 : Space::UB}, stream);
        check_transfer(in.dst, "dst", in.gm);
        break;
      case Check::Store:
        space("a", in.a, {cube ? Space::L0C : Space::UB}, stream);
        check_transfer(in.a, "a", in.gm);
        break;
      case Check::Move:
        // A vector core reaches its group's cube buffers: it reads L0C
        // (L0C -> UB) and writes L1 (UB -> L1), where the hardware has the path.
        if (cube)
          space("a", in.a, {Space::L1, Space::L0C}, "");
        else
          space("a", in.a, {Space::L0C, Space::UB}, stream);
        if (in.a.space == Space::L1) {
          space("dst", in.dst, {Space::L0A, Space::L0B}, " when a is in L1");
          same_dtype("dst", in.dst, "a", in.a);
        } else if (in.a.space == Space::UB) {
          space("dst", in.dst, {Space::L1}, " when a is in UB");
          same_dtype("dst", in.dst, "a", in.a);
        } else {
          space("dst", in.dst, {Space::UB}, " when a is in L0C");
        }
        same_shape("dst", in.dst, "a", in.a);
        break;
      case Check::Matmul: check_matmul(in); break;
      case Check::Reshape:
        if (cube)
          space("dst", in.dst, {Space::L1, Space::L0A, Space::L0B, Space::L0C}, stream);
        else
          space("dst", in.dst, {Space::UB}, stream);
        if (in.a.space != in.dst.space || in.a.offset != in.dst.offset ||
            in.a.bytes() != in.dst.bytes())
          fail("dst must view the same bytes as a (same space, offset and size)");
        break;
      case Check::ScalarLoad:
        if (in.gm.rows != 1 || in.gm.cols != 1)
          fail("gm must be a single element (1x1), got " + std::to_string(in.gm.rows) + "x" +
               std::to_string(in.gm.cols));
        if (p_.tensors[in.gm.tensor].dtype != DType::INT32)
          fail("gm tensor " + quoted(p_.tensors[in.gm.tensor].name) + " must be int32");
        break;
      case Check::IntImm: integral_imm(in.imm, false); break;
      case Check::Gather:  // indices: an int32 tile of dst's shape; dst: the source's dtype
        if (in.b.dtype != DType::INT32) fail("indices are " + std::string(to_string(in.b.dtype)) + ", must be int32");
        same_shape("indices", in.b, "dst", in.dst);
        same_dtype("dst", in.dst, "source", in.a);
        break;
      case Check::Iota:  // one row of int32 values, exact in the fp32 immediate's 24 bits at both ends
        if (in.dst.dtype != DType::INT32) fail("dst is " + std::string(to_string(in.dst.dtype)) + ", must be int32");
        if (in.dst.vrows() != 1) fail("dst is " + shape(in.dst) + ": vci writes one row (valid rows must be 1)");
        integral_imm(in.imm, false);
        if (std::fabs(double(in.imm)) + in.dst.vcols() > double(1 << 24))
          fail("imm " + fmt_float(in.imm) + " +- " + std::to_string(in.dst.vcols()) +
               " columns passes 2^24, past what the fp32 immediate holds exactly");
        break;
      case Check::FlagImm: integral_imm(in.imm, true); break;
    }
  }

  // A vector operand's shape against operand a, as the op's row says.
  void shape_rule(const char* name, const Tile& t, ShapeRule r, const Tile& a) const {
    if (r.rows == Dim::Any && r.cols == Dim::Any) return;
    if (r.rows == Dim::SameAsA && r.cols == Dim::SameAsA) return same_shape(name, t, "a", a);
    const auto want = [](Dim d, uint32_t of_a) { return d == Dim::SameAsA ? of_a : d == Dim::One ? 1u : 0u; };
    const uint32_t rows = want(r.rows, a.vrows()), cols = want(r.cols, a.vcols());
    if ((r.rows == Dim::Any || t.vrows() == rows) && (r.cols == Dim::Any || t.vcols() == cols)) return;
    const auto dim = [](Dim d, uint32_t n) { return d == Dim::Any ? std::string("*") : std::to_string(n); };
    const auto says = [](Dim d, const char* of_a) {
      return d == Dim::SameAsA ? std::string("a's ") + of_a : d == Dim::One ? std::string("1") : std::string("any");
    };
    fail(std::string(name) + " is " + shape(t) + " but must be " + dim(r.rows, rows) + "x" + dim(r.cols, cols) +
         " (" + says(r.rows, "rows") + " x " + says(r.cols, "cols") + ")");
  }

  void integral_imm(float v, bool flag_id) const {
    if (!std::isfinite(v) || v != std::trunc(v) || (flag_id && v < 0))
      fail("imm " + fmt_float(v) + " must be " +
           (flag_id ? "a flag id (an integer >= 0)" : "an integer"));
  }

  void check_unused(const Instr& in, const OpInfo& s) const {
    const auto unused = [&](Operand o, bool is_default, const char* name) {
      if (!s.uses(o) && !is_default) fail(std::string("operand ") + name + " is set but unused");
    };
    unused(Operand::Dst, in.dst == Tile{}, "dst");
    unused(Operand::A, in.a == Tile{}, "a");
    unused(Operand::B, in.b == Tile{}, "b");
    unused(Operand::Gm, in.gm == GmView{}, "gm");
    unused(Operand::Reg, in.reg == -1, "reg");
    unused(Operand::Imm, in.imm == 0.0f, "imm");
  }

  void check_tile(const char* name, const Tile& t) const {
    const char* n = name;  // messages are built only on failure
    if (int(t.space) >= kNumSpaces) fail(std::string(n) + ": bad space " + std::to_string(int(t.space)));
    if (!known_dtype(t.dtype)) fail(std::string(n) + ": bad dtype " + std::to_string(int(t.dtype)));
    if (t.space == Space::GM) fail(std::string(n) + " is a tile in GM (use a GM view)");
    const auto full = [&] { return std::to_string(t.rows) + "x" + std::to_string(t.cols); };
    if (t.rows == 0 || t.cols == 0) fail(std::string(n) + " has an empty shape " + full());
    if (t.valid_rows > t.rows || t.valid_cols > t.cols)
      fail(std::string(n) + " valid " + std::to_string(t.valid_rows) + "x" + std::to_string(t.valid_cols) +
           " exceeds its shape " + full());
  }

  void check_view(const GmView& v) const {
    check_tensor_index(v.tensor, "gm");
    const Tensor& t = p_.tensors[v.tensor];
    const auto n = [&] { return "gm view of " + quoted(t.name); };  // built only on failure
    if (v.rows == 0 || v.cols == 0)
      fail(n() + " has an empty shape " + std::to_string(v.rows) + "x" + std::to_string(v.cols));
    if (v.rows > 1 && v.row_stride < v.cols)
      fail(n() + ": row_stride " + std::to_string(v.row_stride) + " < cols " +
           std::to_string(v.cols));
    if (v.offset < 0)
      fail(n() + ": offset " + std::to_string(v.offset) + " < 0" +
           (v.reg >= 0 ? " (the static part of a register offset must be >= 0)" : ""));
    if (v.reg != -1) {
      if (v.reg < 0 || v.reg >= kNumRegs)
        fail(n() + ": register R" + std::to_string(v.reg) + " out of range R0..R" +
             std::to_string(kNumRegs - 1));
      return;  // the simulator checks the dynamic bound
    }
    if (v.reg_scale != 0)
      fail(n() + ": reg_scale " + std::to_string(v.reg_scale) + " without a register");
    const uint64_t span = uint64_t(v.span());  // rows >= 1 here
    const uint64_t elems = uint64_t(sh_.elems[v.tensor]);
    if (uint64_t(v.offset) > elems || span > elems - uint64_t(v.offset))
      fail(n() + ": elements " + std::to_string(v.offset) + ".." +
           std::to_string(uint64_t(v.offset) + span) + " exceed the tensor (" +
           std::to_string(elems) + " elements)");
  }

  // TLOAD/TSTORE: the tile matches the GM view's shape and the tensor's dtype.
  void check_transfer(const Tile& t, const char* name, const GmView& v) const {
    const Tensor& tensor = p_.tensors[v.tensor];
    if (t.vrows() != v.rows || t.vcols() != v.cols)
      fail(std::string(name) + " is " + shape(t) + " but the gm view is " + std::to_string(v.rows) +
           "x" + std::to_string(v.cols));
    if (t.dtype != tensor.dtype)
      fail(std::string(name) + " is " + to_string(t.dtype) + " but tensor " + quoted(tensor.name) +
           " is " + to_string(tensor.dtype));
  }

  void check_matmul(const Instr& in) const {
    space("dst", in.dst, {Space::L0C}, "");
    space("a", in.a, {Space::L0A}, "");
    space("b", in.b, {Space::L0B}, "");
    if (in.dst.dtype != DType::FP32)
      fail(std::string("dst must be fp32, got ") + to_string(in.dst.dtype));
    same_dtype("b", in.b, "a", in.a);
    const bool tb = in.flags & kTransposeB;
    const uint32_t m = in.a.vrows(), k = in.a.vcols();
    const uint32_t bk = tb ? in.b.vcols() : in.b.vrows(), n = tb ? in.b.vrows() : in.b.vcols();
    if (bk != k)
      fail("a is " + shape(in.a) + " (MxK) but b is " + shape(in.b) +
           (tb ? " (NxK, transposed)" : " (KxN)") + ": K differs");
    if (in.dst.vrows() != m || in.dst.vcols() != n)
      fail("dst is " + shape(in.dst) + " but a x b is " + std::to_string(m) + "x" +
           std::to_string(n));
  }

  void space(const char* name, const Tile& t, std::initializer_list<Space> ok,
             const char* why) const {
    for (Space sp : ok)
      if (t.space == sp) return;
    std::string list;
    for (Space sp : ok) list += (list.empty() ? "" : " or ") + std::string(to_string(sp));
    fail(std::string(name) + " must be in " + list + why + " (got " + to_string(t.space) + ")");
  }

  void same_shape(const char* x, const Tile& tx, const char* y, const Tile& ty) const {
    if (tx.vrows() != ty.vrows() || tx.vcols() != ty.vcols())
      fail(std::string(x) + " is " + shape(tx) + " but " + y + " is " + shape(ty));
  }

  void same_dtype(const char* x, const Tile& tx, const char* y, const Tile& ty) const {
    if (tx.dtype != ty.dtype)
      fail(std::string(x) + " is " + to_string(tx.dtype) + " but " + y + " is " +
           to_string(ty.dtype));
  }

  const Program& p_;
  const SourceMap* src_;
  const Shared& sh_;
  uint32_t line_ = 0;  // source line of what ctx_ names; 0: none
  // The instruction check_instr is at (in_ null: none): its kernel's text, its
  // stream (-1: cube, else the vector core) and index.
  const Instr* in_ = nullptr;
  const std::string* in_where_ = nullptr;
  int in_vec_ = -1;
  size_t in_index_ = 0;
  std::unordered_map<std::string_view, uint32_t> names_;  // tensor name -> first index
  std::map<std::tuple<uint32_t, int, uint32_t>, std::vector<InstrAccess>> accesses_;
  std::string ctx_;
};

// Runs part(0, mid) here and part(mid, n) on a second thread when the host
// has one, with mid splitting `weight` (per index) in two; the first part's
// error comes first, so the message is the one a single pass would give.
template <typename Part>
void in_two(uint32_t n, const std::vector<uint64_t>& weight, const Part& part) {
  uint64_t total = 0;
  for (uint64_t w : weight) total += w;
  uint32_t mid = 0;
  for (uint64_t sum = 0; mid < n && 2 * sum < total; ++mid) sum += weight[mid];
  if (std::thread::hardware_concurrency() < 2 || mid == 0 || mid == n) return part(0, n);
  std::exception_ptr second;
  std::thread t;
  try {
    t = std::thread([&] {
      try {
        part(mid, n);
      } catch (...) {
        second = std::current_exception();
      }
    });
  } catch (const std::system_error&) {  // no thread to be had: one pass
    return part(0, n);
  }
  try {
    part(0, mid);
  } catch (...) {
    t.join();
    throw;
  }
  t.join();
  if (second) std::rethrow_exception(second);
}

}  // namespace

void validate_program(const Program& p, const SourceMap* src) {
  Shared sh;
  Validator(p, src, sh).declarations();
  for (const Tensor& t : p.tensors) sh.elems.push_back(t.elems());  // each checked to fit
  const uint32_t n = uint32_t(p.tasks.size());
  // Each part of the task checks is weighed by the instructions it checks: a
  // task's own fields, and its kernel's instructions at its first launch.
  sh.first_launch.assign(p.kernels.size(), Shared::kNone);
  sh.launches.assign(p.kernels.size(), 0);
  std::vector<uint64_t> weight(n, 1);
  for (uint32_t t = 0; t < n; ++t) {
    const uint32_t k = p.tasks[t].kernel;
    if (k >= p.kernels.size()) continue;  // the task's check names it
    ++sh.launches[k];
    if (sh.first_launch[k] == Shared::kNone) {
      sh.first_launch[k] = t;
      weight[t] += p.kernels[k].instruction_count();
    }
  }
  in_two(n, weight, [&](uint32_t from, uint32_t to) { Validator(p, src, sh).tasks(from, to); });
  Validator(p, src, sh).unlaunched();
  sh.sloads.assign(p.kernels.size(), false);
  const auto sloads = [](const std::vector<Instr>& v) {
    return std::any_of(v.begin(), v.end(), [](const Instr& in) { return in.op == Op::SLOAD; });
  };
  for (size_t k = 0; k < p.kernels.size(); ++k)
    sh.sloads[k] = sloads(p.kernels[k].cube) || std::any_of(p.kernels[k].vec.begin(), p.kernels[k].vec.end(), sloads);
  sh.known = known_before_run(p);
  // A coverage check reads each of the task's instructions (a relaunch of a
  // kept kernel, once per block: weighed all the same).
  for (uint32_t t = 0; t < n; ++t) weight[t] = 1 + p.kernels[p.tasks[t].kernel].instruction_count();
  in_two(n, weight, [&](uint32_t from, uint32_t to) { Validator(p, src, sh).coverage(from, to); });
}

}  // namespace isa
