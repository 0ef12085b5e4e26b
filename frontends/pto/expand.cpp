// One function with its launch arguments -> one core's instruction stream.
//
// Every value the subset computes is known at import: arith on index values
// (the launch's arguments, constants, loop counters), tensor and partition
// views (element offsets), tiles (buffer, address, shape). scf.for is
// unrolled, scf.if decided. docs/pto_import.md is the op-by-op mapping.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <unordered_map>
#include <utility>

#include "frontends/pto/ast.h"
#include "frontends/pto/pto.h"

namespace pto {

namespace {

using isa::DType;
using isa::Instr;
using isa::Op;
using isa::Space;

// A tile as PTO declares it: its logical rows x cols; `transposed` when the
// bytes hold it column-major (a mat tile declared blayout=row_major,
// slayout=col_major: the transposed alias of a tile loaded row-major at the
// same address, as compilers express B^T). The layout words are kept for
// costs that may depend on them later.
struct TileV {
  Space space = Space::UB;
  DType dtype = DType::FP32;
  uint32_t addr = 0;
  uint32_t rows = 0, cols = 0, vrows = 0, vcols = 0;
  bool transposed = false;
  uint32_t width = 0;  // a column slice (pto.subview): its own cols, narrower than `cols` (its row pitch); 0: cols
  std::string blayout, slayout;
  int pad = 0;  // PadValue: 0 none, 1 zero, 2 the dtype's max, 3 its min (lowest)
};

struct Val {
  enum Kind { None, Int, Float, Ptr, TView, PView, Tile } k = None;
  int64_t i = 0;
  double f = 0;
  uint32_t tensor = 0;
  std::vector<int64_t> shape, strides;  // TView; PView: its strides
  int64_t offset = 0;                   // PView: elements
  std::vector<int64_t> sizes;           // PView
  TileV tile;
};

const char* kind_name(Val::Kind k) {
  switch (k) {
    case Val::None: return "nothing";
    case Val::Int: return "an integer";
    case Val::Float: return "a float";
    case Val::Ptr: return "a GM pointer";
    case Val::TView: return "a tensor view";
    case Val::PView: return "a partition view";
    case Val::Tile: return "a tile";
  }
  return "?";
}

std::string strip(std::string s) {
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

class Expander {
 public:
  Expander(const Module& m, const Module::Func& f, const isa::Program& p, SiteFn& site_of, int64_t block,
           int64_t blocks, uint64_t max_instrs, uint64_t max_steps, const Pipe& pipe)
      : m_(m), f_(f), p_(p), site_of_(site_of), block_(block), blocks_(blocks), max_instrs_(max_instrs),
        max_steps_(max_steps), pipe_(pipe) {}

  Expanded run(const std::vector<Arg>& args) {
    if (args.size() != f_.params.size())
      fail(f_.line, "@" + f_.name + " takes " + std::to_string(f_.params.size()) + " arguments, the launch gives " +
                        std::to_string(args.size()));
    for (size_t i = 0; i < args.size(); ++i) {
      Val v;
      if (f_.params[i].pointer) {
        if (!args[i].tensor) fail(f_.line, "argument %" + f_.params[i].name + " is a GM pointer: bind a tensor to it");
        v.k = Val::Ptr;
        v.tensor = args[i].index;
      } else {
        if (args[i].tensor) fail(f_.line, "argument %" + f_.params[i].name + " is a scalar, not a tensor");
        v.k = args[i].is_float ? Val::Float : Val::Int;
        v.i = args[i].value;
        v.f = args[i].real;
      }
      env_["%" + f_.params[i].name] = v;
    }
    std::vector<Val> yielded;
    exec(f_.body->body, yielded);
    return std::move(out_);
  }

 private:
  [[noreturn]] void fail(uint32_t line, const std::string& msg) const {
    throw PtoError(m_.file + ":" + std::to_string(line) + ": " + msg);
  }

  // --- values -------------------------------------------------------------

  const Val& get(const Stmt& s, const Operand& o) {
    if (o.name.empty()) {
      tmp_.k = Val::Int;
      tmp_.i = o.literal;
      return tmp_;
    }
    auto it = env_.find(o.name);
    if (it == env_.end()) fail(s.line, s.op + ": " + o.name + " is not defined");
    return it->second;
  }
  int64_t integer(const Stmt& s, const Operand& o, const char* what) {
    const Val& v = get(s, o);
    if (v.k != Val::Int) fail(s.line, s.op + ": " + what + " " + o.name + " is " + kind_name(v.k) + ", expected an integer");
    return v.i;
  }
  float scalar(const Stmt& s, const Operand& o) {
    const Val& v = get(s, o);
    const double d = v.k == Val::Float ? v.f : double(v.i);
    if (v.k == Val::Float || v.k == Val::Int) {
      if (std::isfinite(d) && std::fabs(d) > double(std::numeric_limits<float>::max()))
        fail(s.line, s.op + ": the scalar " + o.name + " = " + std::to_string(d) + " does not fit f32");
      return float(d);
    }
    fail(s.line, s.op + ": the scalar " + o.name + " is " + kind_name(v.k));
  }
  const TileV& tile(const Stmt& s, size_t i) {
    if (i >= s.args.size()) fail(s.line, s.op + ": missing operand " + std::to_string(i + 1));
    const Val& v = get(s, s.args[i]);
    if (v.k != Val::Tile) fail(s.line, s.op + ": " + s.args[i].name + " is " + kind_name(v.k) + ", expected a tile");
    return v.tile;
  }
  const Val& pview(const Stmt& s, size_t i) {
    if (i >= s.args.size()) fail(s.line, s.op + ": missing operand " + std::to_string(i + 1));
    const Val& v = get(s, s.args[i]);
    if (v.k != Val::PView)
      fail(s.line, s.op + ": " + s.args[i].name + " is " + kind_name(v.k) + ", expected a partition view");
    return v;
  }
  void set(const Stmt& s, size_t r, Val v) {
    if (r >= s.results.size()) fail(s.line, s.op + " needs a result (%name = " + s.op + " ...)");
    env_[s.results[r]] = std::move(v);
  }
  void arity(const Stmt& s, size_t ins, size_t outs) {
    if (s.n_ins != ins || s.args.size() - s.n_ins != outs)
      fail(s.line, s.op + " takes " + std::to_string(ins) + " ins and " + std::to_string(outs) + " outs, got " +
                       std::to_string(s.n_ins) + " and " + std::to_string(s.args.size() - s.n_ins));
  }

  // --- statements -----------------------------------------------------------

  // Runs `b`; an scf.yield at its end leaves its values in `yielded`.
  void exec(const Block& b, std::vector<Val>& yielded) {
    for (const Stmt& s : b) {
      if (++steps_ > max_steps_)
        fail(s.line, "more than " + std::to_string(max_steps_) + " statements executed (a runaway loop?)");
      if (s.op == "scf.yield") {
        yielded.clear();
        for (const Operand& o : s.args) yielded.push_back(get(s, o));
        return;
      }
      if (s.op == "return" || s.op == "func.return") {
        if (!s.args.empty()) fail(s.line, "return with values: a kernel returns none");
        return;
      }
      stmt(s);
    }
  }

  void stmt(const Stmt& s) {
    const std::string& op = s.op;
    if (op.rfind("arith.", 0) == 0) return arith(s);
    if (op == "scf.for") return loop(s);
    if (op == "scf.if") return branch(s);
    if (op == "pto.make_tensor_view") return tensor_view(s);
    if (op == "pto.partition_view") return partition_view(s);
    if (op == "pto.alloc_tile") return alloc_tile(s);
    if (op == "pto.get_block_idx" || op == "pto.get_block_num") {
      Val v;
      v.k = Val::Int;
      v.i = op == "pto.get_block_idx" ? block_ : blocks_;
      return set(s, 0, v);
    }
    if (op == "pto.get_subblock_idx" || op == "pto.get_subblock_num") {
      if (pipe_.role != Pipe::Vector)
        fail(s.line, op + ": only in the vector half of a mixed kernel (a vector kernel launched on its own runs on "
                          "one vector core)");
      Val v;
      v.k = Val::Int;
      v.i = op == "pto.get_subblock_idx" ? pipe_.subblock : 2;
      return set(s, 0, v);
    }
    if (op == "pto.load_scalar" || op == "pto.load") return load_scalar(s);
    if (op == "pto.set_validshape") return set_validshape(s);
    if (op == "pto.subview") return subview(s);
    if (op == "pto.import_reserved_buffer" || op == "pto.reserve_buffer" ||
        op.find("initialize_pipe") != std::string::npos || op == "pto.tpush_to_aiv" || op == "pto.tpop_from_aic" ||
        op == "pto.tfree_from_aic")
      return pipe_op(s);
    if (op.rfind("pto.", 0) == 0) return tile_op(s);
    unsupported(s);
  }

  // --- push and pop: a mixed kernel's cube -> vector hand-off ----------------
  //
  // The cube half pushes an acc tile; each of the two vector cores pops its
  // half of the rows (split = 1). Through GM (A2/A3, the pipe has a
  // gm_slot_buffer): the cube stores each half to the slot, k % slots, and
  // signals; the vector core waits, loads the half into its slot of the
  // reserved buffer and signals the slot free; the cube waits for both
  // frees before it stores into a slot again. On chip (A5): the cube signals
  // and each vector core moves its half of L0C into its slot in UB
  // (npusim's L0C -> UB move is the vector core's); before the cube next
  // writes those L0C bytes, it waits until both vector cores have moved
  // their half out. Flags: vector core v's "ready" is 2v, its "free" 2v + 1.
  // docs/pto_import.md, "Push and pop".

  static int flag_of(int64_t core, bool free) { return int(2 * core + (free ? 1 : 0)); }
  void flag(const Stmt& s, Op op, int64_t core, bool free) {
    Instr in;
    in.op = op;
    in.imm = float(flag_of(core, free));
    emit(s, in);
  }
  int64_t attr_int(const Stmt& s, const char* key) {
    auto it = s.attrs.find(key);
    if (it == s.attrs.end()) fail(s.line, s.op + ": no " + key + " = ...");
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end || errno) fail(s.line, s.op + ": " + key + " = " + it->second + " is not an integer");
    return v;
  }
  void split_rows(const Stmt& s) {
    const int64_t split = attr_int(s, "split");
    if (split != 1)
      fail(s.line, s.op + ": split = " + std::to_string(split) +
                       " is not supported (only 1: the rows halved between the two vector cores)");
  }
  void need_pipe(const Stmt& s) {
    if (!slots_) fail(s.line, s.op + " before the pipe is initialized (pto.aic_initialize_pipe / aiv_initialize_pipe)");
  }

  void pipe_op(const Stmt& s) {
    const std::string& op = s.op;
    const bool cube = pipe_.role == Pipe::Cube;
    if (pipe_.role == Pipe::None) {
      if (op == "pto.import_reserved_buffer")
        fail(s.line, op + ": only at the top of the body of a mixed kernel's cube half (a cube func.func), where it "
                          "names the vector half (peer_func)");
      fail(s.line, op + (f_.cube ? ": only in the cube half of a mixed kernel, which names its vector half in a "
                                   "pto.import_reserved_buffer {peer_func = @...} at the top of its body"
                                 : ": @" + f_.name + " is the vector half of a mixed kernel: launch its cube half "
                                   "(whose pto.import_reserved_buffer names @" + f_.name + " as peer_func)"));
    }
    auto only = [&](bool in_cube) {
      if (cube != in_cube) fail(s.line, op + " in the " + (cube ? "cube" : "vector") + " half of a mixed kernel");
    };
    Val handle;
    handle.k = Val::Int;
    if (op == "pto.import_reserved_buffer") {
      only(true);
      return set(s, 0, handle);
    }
    if (op == "pto.reserve_buffer") {
      only(false);
      auto loc = s.attrs.find("location");
      if (loc == s.attrs.end() || loc->second != "#pto.address_space<vec>")
        fail(s.line, op + ": only a buffer in vec (UB), location = #pto.address_space<vec>");
      const int64_t base = attr_int(s, "base"), size = attr_int(s, "size");
      if (base < 0 || size <= 0 || base > int64_t(UINT32_MAX) - size)
        fail(s.line, op + ": base " + std::to_string(base) + ", size " + std::to_string(size));
      buf_base_ = uint32_t(base);
      buf_size_ = uint32_t(size);
      handle.i = base;
      return set(s, 0, handle);
    }
    if (op == "pto.aic_initialize_pipe" || op == "pto.aiv_initialize_pipe") {
      only(op == "pto.aic_initialize_pipe");
      if (slots_) fail(s.line, op + ": the pipe is already initialized");
      const int64_t dir = attr_int(s, "dir_mask");
      if (dir != 1)
        fail(s.line, op + ": dir_mask = " + std::to_string(dir) +
                         " is not supported (only 1, cube -> vector; a vector -> cube pipe is not modelled)");
      slot_size_ = attr_int(s, "slot_size");
      if (slot_size_ <= 0 || slot_size_ > int64_t(UINT32_MAX)) fail(s.line, op + ": slot_size = " + std::to_string(slot_size_));
      const int64_t consumer = cube ? int64_t(pipe_.consumer_bytes) : int64_t(buf_size_);
      if (!cube && !buf_size_) fail(s.line, op + " before the pto.reserve_buffer of its consumer buffer");
      if (consumer / slot_size_ < 1)
        fail(s.line, op + ": the vector half's reserved buffer (" + std::to_string(consumer) +
                         " B) holds no slot of slot_size = " + std::to_string(slot_size_));
      slots_ = uint32_t(std::min<int64_t>(consumer / slot_size_, 1 << 20));
      auto gm = s.named.find("gm_slot_buffer");
      if (gm != s.named.end()) {
        const Val& ptr = get(s, gm->second);
        if (ptr.k != Val::Ptr) fail(s.line, op + ": gm_slot_buffer " + gm->second.name + " is not a GM pointer argument");
        through_gm_ = true;
        gm_tensor_ = ptr.tensor;
        const isa::Tensor& t = p_.tensors[ptr.tensor];
        if (t.bytes() < int64_t(slots_) * slot_size_)
          fail(s.line, op + ": gm_slot_buffer tensor '" + t.name + "' has " + std::to_string(t.bytes()) + " B, less than " +
                           std::to_string(slots_) + " slots of " + std::to_string(slot_size_) + " B");
      }
      return;
    }
    if (op == "pto.tpush_to_aiv") {
      only(true);
      need_pipe(s);
      split_rows(s);
      const TileV& acc = tile(s, 0);
      if (acc.space != Space::L0C) fail(s.line, op + ": " + s.args[0].name + " is not an acc tile");
      if (acc.vrows % 2) fail(s.line, op + ": " + std::to_string(acc.vrows) + " valid rows do not halve between two vector cores");
      const uint64_t k = pushes_++;
      const int64_t slot = int64_t(k % slots_);
      if (k >= slots_ && through_gm_)
        for (int v = 0; v < 2; ++v) flag(s, Op::WAIT, v, true);  // the slot's last tile was taken
      Pushed p;
      p.through_gm = through_gm_;
      const uint32_t half = acc.vrows / 2, esize = uint32_t(isa::dtype_bytes(acc.dtype));
      for (int v = 0; v < 2; ++v) {
        TileV part = acc;
        part.addr = acc.addr + uint32_t(v) * half * acc.cols * esize;
        part.rows = part.vrows = half;
        p.part[v] = to_tile(part);
      }
      if (through_gm_) {
        const isa::Tensor& t = p_.tensors[gm_tensor_];
        if (t.dtype != acc.dtype)
          fail(s.line, op + ": the acc tile is " + isa::to_string(acc.dtype) + " but gm_slot_buffer '" + t.name + "' is " +
                           isa::to_string(t.dtype));
        if (int64_t(acc.vrows) * acc.vcols * esize > slot_size_)
          fail(s.line, op + ": the tile's " + std::to_string(int64_t(acc.vrows) * acc.vcols * esize) +
                           " B do not fit a slot of " + std::to_string(slot_size_) + " B");
        for (int v = 0; v < 2; ++v) {
          p.slot[v] = isa::make_view(gm_tensor_, slot * slot_size_ / esize + int64_t(v) * half * acc.vcols, half,
                                     acc.vcols, acc.vcols);
          Instr in;
          in.op = Op::TSTORE;
          in.gm = p.slot[v];
          in.a = p.part[v];
          emit(s, in);
          flag(s, Op::SIGNAL, v, false);
        }
      } else {
        for (int v = 0; v < 2; ++v) flag(s, Op::SIGNAL, v, false);
        // Both halves must be moved out before L0C is written again: the
        // waits go before the next write of these bytes (emit).
        on_chip_.emplace_back(acc.addr, uint64_t(acc.addr) + uint64_t(acc.rows) * acc.cols * esize);
      }
      out_.pushed.push_back(p);
      return;
    }
    if (op == "pto.tpop_from_aic") {
      only(false);
      need_pipe(s);
      split_rows(s);
      const uint64_t k = out_.popped++;
      if (!pipe_.pushed || k >= pipe_.pushed->size())
        fail(s.line, op + ": pop " + std::to_string(k + 1) + ", but the cube half pushes " +
                         std::to_string(pipe_.pushed ? pipe_.pushed->size() : 0) + " tiles");
      const Pushed& p = (*pipe_.pushed)[k];
      const isa::Tile& part = p.part[pipe_.subblock];
      if (s.types.empty()) fail(s.line, op + ": no result type (-> !pto.tile_buf<...>)");
      const uint32_t addr = buf_base_ + uint32_t(int64_t(k % slots_) * slot_size_);
      TileV t = tile_of_type(s, s.types.back(), addr, [](const char*) -> const Operand* { return nullptr; });
      if (t.space != Space::UB) fail(s.line, op + ": the popped tile must be a vec tile");
      if (s.types.back().find("v_row=?") != std::string::npos) t.vrows = part.vrows();
      if (s.types.back().find("v_col=?") != std::string::npos) t.vcols = part.vcols();
      if (t.vrows != part.vrows() || t.vcols != part.vcols())
        fail(s.line, op + ": the popped tile is " + std::to_string(t.vrows) + "x" + std::to_string(t.vcols) +
                         " but the cube pushed halves of " + std::to_string(part.vrows()) + "x" + std::to_string(part.vcols()));
      if (int64_t(t.rows) * t.cols * isa::dtype_bytes(t.dtype) > slot_size_)
        fail(s.line, op + ": the popped tile does not fit a slot of " + std::to_string(slot_size_) + " B");
      flag(s, Op::WAIT, pipe_.subblock, false);
      Instr in;
      in.dst = to_tile(t);
      if (p.through_gm) {
        if (t.dtype != p_.tensors[p.slot[0].tensor].dtype)
          fail(s.line, op + ": the popped tile is " + isa::to_string(t.dtype) + " but the slots hold " +
                           isa::to_string(p_.tensors[p.slot[0].tensor].dtype) + " (a load does not convert)");
        in.op = Op::TLOAD;
        in.gm = p.slot[pipe_.subblock];
      } else {
        in.op = Op::TMOV;
        in.a = part;
      }
      emit(s, in);
      flag(s, Op::SIGNAL, pipe_.subblock, true);  // the pop frees the slot (pto-isa's TPOP notifies free)
      Val v;
      v.k = Val::Tile;
      v.tile = t;
      return set(s, 0, v);
    }
    if (op == "pto.tfree_from_aic") {
      // The pop has freed the slot already (pto-isa: TFREE after a tile
      // TPOP does nothing).
      only(false);
      need_pipe(s);
      split_rows(s);
      return;
    }
    unsupported(s);
  }

  // pto.set_validshape %t, %rows, %cols: the tile value %t has that valid
  // shape from here on (other tiles at its address keep theirs).
  void set_validshape(const Stmt& s) {
    if (s.args.size() != 3) fail(s.line, "pto.set_validshape takes a tile, rows and cols");
    tile(s, 0);
    const int64_t r = integer(s, s.args[1], "rows"), c = integer(s, s.args[2], "cols");
    TileV& t = env_[s.args[0].name].tile;
    const uint32_t cols = t.width ? t.width : t.cols;
    if (r < 1 || r > int64_t(t.rows) || c < 1 || c > int64_t(cols))
      fail(s.line, "pto.set_validshape: " + std::to_string(r) + "x" + std::to_string(c) + " is outside the tile's " +
                       std::to_string(t.rows) + "x" + std::to_string(cols));
    t.vrows = uint32_t(r);
    t.vcols = uint32_t(c);
  }

  // %v = pto.subview %t[%r, %c] sizes [R, C] valid [%vr, %vc]: the R x C part
  // of %t at (r, c) as a tile over the same bytes, its rows %t's cols apart
  // (npusim's sub-tile: the parent's cols as the pitch, the part as the valid
  // region), valid vr x vc (without valid: R x C). No instruction.
  void subview(const Stmt& s) {
    if (s.args.size() != 3) fail(s.line, "pto.subview takes a tile and a row and column offset");
    const TileV& src = tile(s, 0);
    if (src.transposed) fail(s.line, "pto.subview of a transposed (col-major) mat tile is not supported");
    const int64_t r0 = integer(s, s.args[1], "row offset"), c0 = integer(s, s.args[2], "column offset");
    const auto list = [&](const char* key, bool required) -> const std::vector<Operand>* {
      const auto it = s.lists.find(key);
      if (it == s.lists.end()) {
        if (required) fail(s.line, "pto.subview: no " + std::string(key) + " [rows, cols]");
        return nullptr;
      }
      if (it->second.size() != 2) fail(s.line, "pto.subview: " + std::string(key) + " takes [rows, cols]");
      return &it->second;
    };
    for (const auto& kv : s.lists)
      if (kv.first != "sizes" && kv.first != "valid") fail(s.line, "pto.subview: unknown '" + kv.first + "'");
    const std::vector<Operand>& sz = *list("sizes", true);
    const int64_t rows = integer(s, sz[0], "rows"), cols = integer(s, sz[1], "cols");
    int64_t vr = rows, vc = cols;
    if (const std::vector<Operand>* v = list("valid", false)) {
      vr = integer(s, (*v)[0], "valid rows");
      vc = integer(s, (*v)[1], "valid cols");
    }
    const uint32_t src_cols = src.width ? src.width : src.cols;  // a slice of a slice stays inside it
    if (rows < 1 || cols < 1 || r0 < 0 || c0 < 0 || r0 + rows > int64_t(src.rows) || c0 + cols > int64_t(src_cols))
      fail(s.line, "pto.subview: the " + std::to_string(rows) + "x" + std::to_string(cols) + " part at (" +
                       std::to_string(r0) + ", " + std::to_string(c0) + ") is outside the " +
                       std::to_string(src.rows) + "x" + std::to_string(src_cols) + " tile");
    if (vr < 1 || vr > rows || vc < 1 || vc > cols)
      fail(s.line, "pto.subview: valid " + std::to_string(vr) + "x" + std::to_string(vc) + " is outside the " +
                       std::to_string(rows) + "x" + std::to_string(cols) + " part");
    Val v;
    v.k = Val::Tile;
    v.tile = src;
    if (s.types.size() == 2) {  // the part's own type: its loc, dtype and shape are the tile's and sizes; its pad counts
      const TileV declared = tile_of_type(s, s.types[1], 0, [](const char*) -> const Operand* { return nullptr; });
      if (declared.space != src.space || declared.dtype != src.dtype || declared.rows != rows || declared.cols != cols)
        fail(s.line, "pto.subview: the result type is not a " + std::to_string(rows) + "x" + std::to_string(cols) +
                         " part of the tile's loc and dtype");
      v.tile.pad = declared.pad;
    }
    v.tile.addr = uint32_t(src.addr + (uint64_t(r0) * src.cols + uint64_t(c0)) * isa::dtype_bytes(src.dtype));
    v.tile.rows = uint32_t(rows);
    v.tile.width = cols < int64_t(src.cols) ? uint32_t(cols) : 0;  // narrower than the pitch
    v.tile.vrows = uint32_t(vr);
    v.tile.vcols = uint32_t(vc);
    set(s, 0, v);
  }

  // An int32 element of GM whose value the launch file gives (init:): the
  // value is used at import, so offsets and loop bounds computed from it stay
  // static; an SLOAD still pays for the read.
  void load_scalar(const Stmt& s) {
    const Val& ptr = get(s, s.args.at(0));
    if (ptr.k != Val::Ptr) fail(s.line, s.op + " from " + s.args[0].name + ", which is not a GM pointer argument");
    const int64_t i = integer(s, s.args.at(1), "index");
    const isa::Tensor& t = p_.tensors[ptr.tensor];
    if (t.dtype != DType::INT32)
      fail(s.line, s.op + " from tensor '" + t.name + "' (" + isa::to_string(t.dtype) +
                       "): only int32 scalars, whose values offsets and bounds are computed from, are supported");
    if (t.init.empty())
      fail(s.line, s.op + " from tensor '" + t.name +
                       "', which has no init values in the launch file: the importer needs the value (give init: [...])");
    if (i < 0 || i >= int64_t(t.init.size()))
      fail(s.line, s.op + ": element " + std::to_string(i) + " of tensor '" + t.name + "' (" +
                       std::to_string(t.init.size()) + " elements)");
    Instr in;
    in.op = Op::SLOAD;
    in.reg = 0;
    in.gm = isa::make_view(ptr.tensor, i, 1, 1, 1);
    emit(s, in);
    if (std::find(out_.scalar_tensors.begin(), out_.scalar_tensors.end(), ptr.tensor) == out_.scalar_tensors.end())
      out_.scalar_tensors.push_back(ptr.tensor);
    Val v;
    v.k = Val::Int;
    v.i = t.init[size_t(i)];
    set(s, 0, v);
  }

  [[noreturn]] void unsupported(const Stmt& s) {
    std::string why;
    const std::string& op = s.op;
    if (op == "pto.tpush" || op == "pto.tpop" || op == "pto.tfree" || op.find("push") != std::string::npos ||
        op.find("pop") != std::string::npos || op.find("reserved_buffer") != std::string::npos ||
        op.find("initialize_pipe") != std::string::npos)
      why = ": of the push/pop ops only the cube -> vector ones (pto.tpush_to_aiv, pto.tpop_from_aic, "
            "pto.tfree_from_aic) are supported; hand other data between kernels through GM (two launches)";
    else if (op.find("flag") != std::string::npos || op.find("barrier") != std::string::npos ||
             op.find("event") != std::string::npos || op.find("sync") != std::string::npos)
      why = ": explicit synchronisation is not supported (npusim orders a core's instructions by the bytes they "
            "touch)";
    else if (op.rfind("arith.", 0) == 0)
      why = ": not one of the integer arith ops npusim evaluates at import";
    else if (op.rfind("scf.", 0) == 0)
      why = ": only scf.for, scf.if and scf.yield are supported";
    throw PtoError(m_.file + ":" + std::to_string(s.line) + ": unsupported op '" + op + "'" +
                   (why.empty() ? " (not in npusim's PTO subset, docs/pto_import.md)" : why));
  }

  void arith(const Stmt& s) {
    const std::string op = s.op.substr(6);
    Val v;
    v.k = Val::Int;
    if (op == "constant") {
      const std::string ty = s.types.empty() ? "" : s.types[0];
      if (s.attr == "true" || s.attr == "false") {
        v.i = s.attr == "true";
      } else if (ty == "f32" || ty == "f16" || ty == "bf16" || ty == "f64" ||
                 s.attr.find_first_of(".eE") != std::string::npos) {
        if (ty.size() && ty[0] != 'f' && ty != "bf16") fail(s.line, "arith.constant " + s.attr + " : " + ty + ": a float literal of an integer type");
        char* end = nullptr;
        v.k = Val::Float;
        v.f = std::strtod(s.attr.c_str(), &end);
        if (*end) fail(s.line, "arith.constant: bad float '" + s.attr + "'");
      } else {
        if (ty != "index" && ty != "i64" && ty != "i32" && ty != "i16" && ty != "i8" && ty != "i1" && !ty.empty())
          fail(s.line, "arith.constant of type '" + ty + "' is not supported (integers and floats)");
        char* end = nullptr;
        errno = 0;
        v.i = std::strtoll(s.attr.c_str(), &end, 0);
        if (*end || errno) fail(s.line, "arith.constant: bad integer '" + s.attr + "'");
      }
      return set(s, 0, v);
    }
    auto arg = [&](size_t i) {
      if (i >= s.args.size()) fail(s.line, s.op + ": missing operand " + std::to_string(i + 1));
      return integer(s, s.args[i], "operand");
    };
    if (op == "index_cast" || op == "index_castui" || op == "extsi" || op == "extui" || op == "trunci") {
      v.i = arg(0);
      if (op == "trunci" && s.types.size() == 2 && s.types[1] == "i32" &&
          (v.i < std::numeric_limits<int32_t>::min() || v.i > std::numeric_limits<int32_t>::max()))
        fail(s.line, "arith.trunci: " + std::to_string(v.i) + " does not fit i32");
      return set(s, 0, v);
    }
    if (op == "select") {
      if (s.args.size() != 3) fail(s.line, "arith.select takes 3 operands");
      const int64_t c = arg(0);
      Val a = get(s, s.args[1]);
      Val b = get(s, s.args[2]);
      return set(s, 0, c ? a : b);
    }
    if (op == "cmpi") {
      const int64_t a = arg(0), b = arg(1);
      const uint64_t ua = uint64_t(a), ub = uint64_t(b);
      const std::string& p = s.attr;
      if (p == "eq") v.i = a == b;
      else if (p == "ne") v.i = a != b;
      else if (p == "slt") v.i = a < b;
      else if (p == "sle") v.i = a <= b;
      else if (p == "sgt") v.i = a > b;
      else if (p == "sge") v.i = a >= b;
      else if (p == "ult") v.i = ua < ub;
      else if (p == "ule") v.i = ua <= ub;
      else if (p == "ugt") v.i = ua > ub;
      else if (p == "uge") v.i = ua >= ub;
      else fail(s.line, "arith.cmpi: unknown predicate '" + p + "'");
      return set(s, 0, v);
    }
    if (s.args.size() != 2) unsupported(s);
    const int64_t a = arg(0), b = arg(1);
    bool ovf = false;
    if (op == "addi") ovf = __builtin_add_overflow(a, b, &v.i);
    else if (op == "subi") ovf = __builtin_sub_overflow(a, b, &v.i);
    else if (op == "muli") ovf = __builtin_mul_overflow(a, b, &v.i);
    else if (op == "maxsi") v.i = std::max(a, b);
    else if (op == "minsi") v.i = std::min(a, b);
    else if (op == "maxui") v.i = int64_t(std::max(uint64_t(a), uint64_t(b)));
    else if (op == "minui") v.i = int64_t(std::min(uint64_t(a), uint64_t(b)));
    else if (op == "andi") v.i = a & b;
    else if (op == "ori") v.i = a | b;
    else if (op == "xori") v.i = a ^ b;
    else if (op == "shli" || op == "shrsi" || op == "shrui") {
      if (b < 0 || b > 63) fail(s.line, s.op + ": shift by " + std::to_string(b));
      v.i = op == "shli" ? int64_t(uint64_t(a) << b) : op == "shrsi" ? a >> b : int64_t(uint64_t(a) >> b);
    } else if (op == "divsi" || op == "divui" || op == "remsi" || op == "remui" || op == "floordivsi" ||
               op == "ceildivsi") {
      if (b == 0) fail(s.line, s.op + ": division by zero");
      if (a == std::numeric_limits<int64_t>::min() && b == -1) fail(s.line, s.op + ": overflow");
      if ((op == "divui" || op == "remui") && (a < 0 || b < 0))
        fail(s.line, s.op + " of a negative value");
      if (op == "divsi" || op == "divui") v.i = a / b;
      else if (op == "remsi" || op == "remui") v.i = a % b;
      else if (op == "floordivsi") v.i = a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
      else v.i = a / b + ((a % b != 0) && ((a < 0) == (b < 0)));
    } else {
      unsupported(s);
    }
    if (ovf) fail(s.line, s.op + ": integer overflow");
    set(s, 0, v);
  }

  void loop(const Stmt& s) {
    const int64_t lb = integer(s, s.args[0], "lower bound"), ub = integer(s, s.args[1], "upper bound"),
                  step = integer(s, s.args[2], "step");
    if (step <= 0) fail(s.line, "scf.for: step " + std::to_string(step) + " (must be positive)");
    std::vector<Val> carried;
    for (const Operand& o : s.iter_init) carried.push_back(get(s, o));
    for (int64_t i = lb; i < ub;) {
      Val iv;
      iv.k = Val::Int;
      iv.i = i;
      env_[s.iv] = iv;
      for (size_t k = 0; k < s.iter_args.size(); ++k) env_[s.iter_args[k]] = carried[k];
      std::vector<Val> y;
      exec(s.regions[0], y);
      if (!s.iter_args.empty()) {
        if (y.size() != carried.size())
          fail(s.line, "scf.for: the body yields " + std::to_string(y.size()) + " values for " +
                           std::to_string(carried.size()) + " iter_args");
        carried = std::move(y);
      }
      if (__builtin_add_overflow(i, step, &i)) break;
    }
    for (size_t k = 0; k < s.results.size() && k < carried.size(); ++k) env_[s.results[k]] = carried[k];
  }

  void branch(const Stmt& s) {
    const int64_t c = integer(s, s.args[0], "condition");
    std::vector<Val> y;
    if (c) {
      exec(s.regions[0], y);
    } else if (s.regions.size() > 1) {
      exec(s.regions[1], y);
    } else if (!s.results.empty()) {
      fail(s.line, "scf.if with results needs an else region");
    }
    if (y.size() < s.results.size())
      fail(s.line, "scf.if: the taken region yields " + std::to_string(y.size()) + " values for " +
                       std::to_string(s.results.size()) + " results");
    for (size_t k = 0; k < s.results.size(); ++k) env_[s.results[k]] = y[k];
  }

  // --- views and tiles ------------------------------------------------------

  std::vector<int64_t> ints(const Stmt& s, const char* key) {
    auto it = s.lists.find(key);
    if (it == s.lists.end()) fail(s.line, s.op + ": missing " + key + " = [...]");
    std::vector<int64_t> r;
    for (const Operand& o : it->second) r.push_back(integer(s, o, key));
    return r;
  }

  static std::string elem_of(const std::string& type) {  // "!pto.tensor_view<?x?xbf16>" -> "bf16"
    const size_t x = type.rfind('x'), lt = type.find('<');
    if (lt == std::string::npos || type.back() != '>') return "";
    const size_t from = x == std::string::npos || x < lt ? lt + 1 : x + 1;
    return type.substr(from, type.size() - 1 - from);
  }

  void tensor_view(const Stmt& s) {
    const Val& ptr = get(s, s.args[0]);
    if (ptr.k != Val::Ptr) fail(s.line, "pto.make_tensor_view of " + s.args[0].name + ", which is not a GM pointer argument");
    Val v;
    v.k = Val::TView;
    v.tensor = ptr.tensor;
    v.shape = ints(s, "shape");
    v.strides = ints(s, "strides");
    if (v.shape.size() != v.strides.size() || v.shape.empty())
      fail(s.line, "pto.make_tensor_view: shape and strides differ in rank");
    const isa::Tensor& t = p_.tensors[ptr.tensor];
    int64_t last = 0;
    for (size_t d = 0; d < v.shape.size(); ++d) {
      if (v.shape[d] < 0 || v.strides[d] < 0) fail(s.line, "pto.make_tensor_view: a negative size or stride");
      int64_t reach = 0;
      if (v.shape[d] > 0 && (__builtin_mul_overflow(v.shape[d] - 1, v.strides[d], &reach) ||
                             __builtin_add_overflow(last, reach, &last)))
        fail(s.line, "pto.make_tensor_view: the view's extent overflows");
    }
    if (last >= t.elems())
      fail(s.line, "pto.make_tensor_view: the view reaches element " + std::to_string(last) + " but tensor '" +
                       t.name + "' has " + std::to_string(t.elems()));
    if (!s.types.empty()) {
      const std::string el = elem_of(s.types[0]);
      const std::string want = t.dtype == DType::BF16 ? "bf16" : t.dtype == DType::FP16 ? "f16"
                               : t.dtype == DType::FP32 ? "f32" : "i32";
      if (!el.empty() && el != want)
        fail(s.line, "pto.make_tensor_view: the view is of " + el + " but tensor '" + t.name + "' is " + want);
    }
    set(s, 0, v);
  }

  void partition_view(const Stmt& s) {
    const Val& tv = get(s, s.args[0]);
    if (tv.k != Val::TView) fail(s.line, "pto.partition_view of " + s.args[0].name + ", which is not a tensor view");
    const std::vector<int64_t> off = ints(s, "offsets"), sz = ints(s, "sizes");
    if (off.size() != tv.shape.size() || sz.size() != tv.shape.size())
      fail(s.line, "pto.partition_view: offsets and sizes must have the view's rank " + std::to_string(tv.shape.size()));
    Val v;
    v.k = Val::PView;
    v.tensor = tv.tensor;
    v.strides = tv.strides;
    v.sizes = sz;
    for (size_t d = 0; d < off.size(); ++d) {
      if (off[d] < 0 || sz[d] <= 0 || sz[d] > tv.shape[d] || off[d] > tv.shape[d] - sz[d])
        fail(s.line, "pto.partition_view: dimension " + std::to_string(d) + ": offset " + std::to_string(off[d]) +
                         ", size " + std::to_string(sz[d]) + " is outside the view's " + std::to_string(tv.shape[d]));
      v.offset += off[d] * tv.strides[d];
    }
    set(s, 0, v);
  }

  // A partition view as rows x cols, rows row_stride apart.
  isa::GmView gm_view(const Stmt& s, const Val& pv) {
    const size_t n = pv.sizes.size();
    if (pv.strides[n - 1] != 1 && pv.sizes[n - 1] > 1)
      fail(s.line, s.op + ": the innermost stride is " + std::to_string(pv.strides[n - 1]) + " (must be 1)");
    int64_t rows = 1, stride = 0;
    for (size_t d = n - 1; d-- > 0;) {
      if (pv.sizes[d] == 1) continue;
      if (rows == 1) {
        rows = pv.sizes[d];
        stride = pv.strides[d];
      } else if (int64_t inner = 0; !__builtin_mul_overflow(stride, rows, &inner) && pv.strides[d] == inner &&
                                    !__builtin_mul_overflow(rows, pv.sizes[d], &rows)) {
        // contiguous with the dimension inside it: merged
      } else {
        fail(s.line, s.op + ": the view has more than one outer dimension that cannot be merged into rows");
      }
    }
    const int64_t cols = pv.sizes[n - 1];
    if (rows > UINT32_MAX || cols > UINT32_MAX) fail(s.line, s.op + ": view too large");
    return isa::make_view(pv.tensor, pv.offset, uint32_t(rows), uint32_t(cols),
                          uint32_t(rows == 1 ? cols : stride));
  }

  // A column-major (dn) partition view, K x N with strides [1, ld] (and outer
  // dimensions of size 1), loaded into a transposed mat tile of K x N: the
  // bytes are N rows of K elements, rows ld apart in GM, which is how a
  // transposed tile holds them (cols x rows, row-major). The compiler loads
  // K^T this way from a K cache stored row-major.
  void load_transposed(const Stmt& s, const Val& pv, const TileV& dst) {
    const size_t n = pv.sizes.size();
    if (n < 2)
      fail(s.line, s.op + ": a transposed (col-major) mat tile loads from a column-major (dn) view of rank 2 or more");
    for (size_t d = 0; d + 2 < n; ++d)
      if (pv.sizes[d] != 1)
        fail(s.line, s.op + ": a column-major (dn) view into a transposed mat tile may have outer dimensions of size 1 "
                            "only; dimension " + std::to_string(d) + " has " + std::to_string(pv.sizes[d]));
    const int64_t k = pv.sizes[n - 2], cols = pv.sizes[n - 1];
    if (pv.strides[n - 2] != 1 && k > 1)
      fail(s.line, s.op + ": a transposed (col-major) mat tile loads only from a column-major (dn) view, whose "
                          "second-innermost stride is 1; this view's is " + std::to_string(pv.strides[n - 2]) +
                          " (a transposing load from a row-major view is not supported)");
    if (k != dst.vrows || cols != dst.vcols)
      fail(s.line, s.op + ": the " + std::to_string(k) + "x" + std::to_string(cols) + " view does not match the " +
                       std::to_string(dst.vrows) + "x" + std::to_string(dst.vcols) + " valid shape of the transposed tile");
    const int64_t ld = cols == 1 ? k : pv.strides[n - 1];
    if (ld < k) fail(s.line, s.op + ": the column-major view's columns overlap (stride " + std::to_string(ld) + " < " + std::to_string(k) + ")");
    if (ld > UINT32_MAX) fail(s.line, s.op + ": view too large");
    Instr in;
    in.op = Op::TLOAD;
    // N rows of K, as stored: the transposed tile's bytes.
    in.gm = isa::make_view(pv.tensor, pv.offset, uint32_t(cols), uint32_t(k), uint32_t(ld));
    in.dst = part(Space::L1, dst.addr, dst.vcols, dst.rows, dst.vrows, dst.dtype);
    emit(s, in);
  }

  void alloc_tile(const Stmt& s) {
    auto named = [&](const char* k) -> const Operand* {
      auto it = s.named.find(k);
      return it == s.named.end() ? nullptr : &it->second;
    };
    for (const auto& kv : s.named)
      if (kv.first != "addr" && kv.first != "valid_row" && kv.first != "valid_col")
        fail(s.line, "pto.alloc_tile: unknown operand '" + kv.first + "'");
    if (!named("addr"))
      fail(s.line, "pto.alloc_tile without addr = ...: npusim needs explicit tile addresses (PTOAS's planned output)");
    const int64_t addr = integer(s, *named("addr"), "addr");
    if (addr < 0 || addr > int64_t(UINT32_MAX)) fail(s.line, "pto.alloc_tile: addr " + std::to_string(addr));
    Val v;
    v.k = Val::Tile;
    v.tile = tile_of_type(s, s.types.at(0), uint32_t(addr), named);
    set(s, 0, v);
  }

  // A tile of type `ty` (!pto.tile_buf<...>) at `addr`. A valid shape of
  // '?' comes from the operand named(valid_row / valid_col); where there is
  // none (a tile an op returns), it is the whole shape, for the caller to set.
  template <class Named>
  TileV tile_of_type(const Stmt& s, const std::string& ty, uint32_t addr, const Named& named) {
    const std::string what = s.op + ": ";
    if (ty.rfind("!pto.tile_buf<", 0) != 0) fail(s.line, what + "type '" + ty + "' is not a !pto.tile_buf<...>");
    std::unordered_map<std::string, std::string> kv;
    {
      const std::string in = ty.substr(14, ty.size() - 15);
      size_t from = 0;
      while (from <= in.size()) {
        size_t comma = in.find(',', from);
        if (comma == std::string::npos) comma = in.size();
        const std::string item = strip(in.substr(from, comma - from));
        const size_t eq = item.find('=');
        if (eq == std::string::npos) fail(s.line, what + "'" + item + "' in the tile type is not key=value");
        kv[strip(item.substr(0, eq))] = strip(item.substr(eq + 1));
        from = comma + 1;
      }
    }
    auto key = [&](const char* k) -> const std::string& {
      auto it = kv.find(k);
      if (it == kv.end()) fail(s.line, std::string(what + "the tile type has no ") + k + "=");
      return it->second;
    };
    TileV t;
    const std::string& loc = key("loc");
    if (loc == "mat") t.space = Space::L1;
    else if (loc == "left") t.space = Space::L0A;
    else if (loc == "right") t.space = Space::L0B;
    else if (loc == "acc") t.space = Space::L0C;
    else if (loc == "vec") t.space = Space::UB;
    else fail(s.line, what + "loc=" + loc + " is not supported (mat, left, right, acc, vec)");
    const std::string& dt = key("dtype");
    if (dt == "bf16") t.dtype = DType::BF16;
    else if (dt == "f16") t.dtype = DType::FP16;
    else if (dt == "f32") t.dtype = DType::FP32;
    else if (dt == "i32") t.dtype = DType::INT32;
    else fail(s.line, what + "dtype=" + dt + " is not supported (npusim has bf16, f16, f32, i32)");
    auto dim = [&](const char* k) {
      const std::string& v = key(k);
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (*end || n <= 0 || n > 65535) fail(s.line, what + k + "=" + v + " (1..65535)");
      return uint32_t(n);
    };
    t.rows = dim("rows");
    t.cols = dim("cols");
    auto valid = [&](const char* k, const char* operand, uint32_t full) {
      const std::string& v = key(k);
      if (v == "?") {
        const Operand* o = named(operand);
        if (!o && s.op != "pto.alloc_tile") return full;
        if (!o) fail(s.line, what + k + "=? needs " + operand + " = ...");
        const int64_t n = integer(s, *o, operand);
        if (n < 1 || n > int64_t(full))
          fail(s.line, what + operand + " " + std::to_string(n) + " is outside 1.." +
                           std::to_string(full));
        return uint32_t(n);
      }
      if (named(operand)) fail(s.line, what + operand + " given but the type has " + k + "=" + v);
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (*end || n < 1 || n > long(full)) fail(s.line, what + k + "=" + v);
      return uint32_t(n);
    };
    t.vrows = kv.count("v_row") ? valid("v_row", "valid_row", t.rows) : t.rows;
    t.vcols = kv.count("v_col") ? valid("v_col", "valid_col", t.cols) : t.cols;
    t.addr = addr;
    t.blayout = kv.count("blayout") ? kv["blayout"] : "";
    t.slayout = kv.count("slayout") ? kv["slayout"] : "";
    if (kv.count("pad")) {
      const std::string& v = kv["pad"];
      if (v != "0" && v != "1" && v != "2" && v != "3")
        fail(s.line, what + "pad=" + v + " (0 none, 1 zero, 2 max, 3 min)");
      t.pad = v[0] - '0';
    }
    if (t.space == Space::L1) t.transposed = t.blayout == "row_major" && t.slayout == "col_major";
    if (t.space == Space::UB && t.blayout == "col_major" && t.cols > 1)
      fail(s.line, what + "a column-major vec tile with " + std::to_string(t.cols) +
                       " columns is not supported (npusim's tiles are row-major)");
    return t;
  }

  static isa::Tile to_tile(const TileV& t) {
    isa::Tile r = isa::make_tile(t.space, t.addr, uint16_t(t.rows), uint16_t(t.cols), t.dtype);
    // As the builder writes them: 0 for a dimension that is whole.
    if (t.vrows != t.rows) r.valid_rows = uint16_t(t.vrows);
    if (t.vcols != t.cols) r.valid_cols = uint16_t(t.vcols);
    return r;
  }
  isa::Tile plain(const Stmt& s, const TileV& t, const char* what) {
    if (t.transposed) fail(s.line, s.op + ": " + what + " is a transposed (col-major) mat tile; only textract/tmov into a right tile can read one");
    return to_tile(t);
  }

  void emit(const Stmt& s, Instr in) {
    if (!on_chip_.empty() && in.dst.space == Space::L0C) {
      // Before the cube writes L0C that a vector core may still be moving
      // out of, it waits for the frees of the pushes up to the last such one.
      const uint64_t b = in.dst.offset, e = b + in.dst.footprint();
      size_t upto = 0;
      for (size_t i = 0; i < on_chip_.size(); ++i)
        if (on_chip_[i].first < e && b < on_chip_[i].second) upto = i + 1;
      for (size_t i = 0; i < upto; ++i)
        for (int v = 0; v < 2; ++v) {
          Instr w;
          w.op = Op::WAIT;
          w.imm = float(flag_of(v, true));
          push(s, w);
        }
      on_chip_.erase(on_chip_.begin(), on_chip_.begin() + std::ptrdiff_t(upto));
    }
    push(s, in);
  }
  void push(const Stmt& s, Instr in) {
    if (out_.instrs.size() >= max_instrs_)
      fail(s.line, "more than " + std::to_string(max_instrs_) + " instructions from one launch");
    in.site = site_of_(s.line, s.op);
    out_.instrs.push_back(in);
    out_.lines.push_back(s.line);
  }

  // The transposed form each L0B address holds (set by the move that wrote it).
  struct Stored {
    bool transposed = false;
    isa::Tile tile;
  };

  // textract / tmov from L1 into L0A/L0B, or between vec tiles.
  void move(const Stmt& s, const TileV& src, const TileV& dst, int64_t r0, int64_t c0) {
    Instr in;
    in.op = Op::TMOV;
    if (dst.space == Space::UB && src.space == Space::L0C) {
      // Refused: in npusim the L0C -> UB move is a vector core's (as the
      // on-chip pop maps it), ordered with the cube by the pop's flags. In a
      // cube kernel it would land in a UB no vector core of the task reads
      // (A5's fixpipe writes a vector core's UB; A2/A3 have no such path), and
      // a vector kernel launched alone has no cube result in its L0C.
      fail(s.line, s.op + " from loc=acc to loc=vec " +
                       (f_.cube ? std::string("in a cube kernel is not supported: no vector core would read that UB "
                                              "(on A5 the cube writes a vector core's UB; A2/A3 have no L0C -> UB path)")
                                : std::string("in a vector kernel is not supported: no cube of the launch wrote that L0C")) +
                       "; hand acc tiles to the vector cores with pto.tpush_to_aiv / pto.tpop_from_aic in a mixed "
                       "kernel, or through GM (pto.tstore, then pto.tload)");
    }
    if (src.space == Space::UB && dst.space == Space::UB && r0 == 0 && c0 == 0) {
      // A copy between vec tiles: npusim has no UB -> UB move; a multiply
      // by 1 on the VEC pipe copies every value (-0 and NaN included).
      in.op = Op::VBINS;
      in.sub = uint8_t(isa::BinOp::MUL);
      in.imm = 1.0f;
      in.a = to_tile(src);
      in.dst = to_tile(dst);
      return emit(s, in);
    }
    const bool vec = src.space == Space::UB && dst.space == Space::UB;  // a part of a vec tile (textract)
    if (!vec && (src.space != Space::L1 || (dst.space != Space::L0A && dst.space != Space::L0B)))
      fail(s.line, s.op + " from loc=" + loc(src.space) + " to loc=" + loc(dst.space) +
                       " is not supported (mat -> left/right, vec -> vec)");
    if (r0 < 0 || c0 < 0 || r0 + dst.vrows > src.rows || c0 + dst.vcols > src.cols)
      fail(s.line, s.op + ": the " + std::to_string(dst.vrows) + "x" + std::to_string(dst.vcols) + " part at (" +
                       std::to_string(r0) + ", " + std::to_string(c0) + ") is outside the " +
                       std::to_string(src.rows) + "x" + std::to_string(src.cols) + " source");
    const uint32_t eb = isa::dtype_bytes(src.dtype);
    if (uint64_t(src.addr) + uint64_t(src.rows) * src.cols * eb > UINT32_MAX)
      fail(s.line, s.op + ": the source tile passes the 32-bit address range");
    if (vec) {
      // The part, rows src.cols apart, copied on the VEC pipe as above.
      in.op = Op::VBINS;
      in.sub = uint8_t(isa::BinOp::MUL);
      in.imm = 1.0f;
      in.a = part(Space::UB, uint32_t(src.addr + (uint64_t(r0) * src.cols + uint64_t(c0)) * eb), dst.vrows,
                  src.cols, dst.vcols, src.dtype);
      in.dst = to_tile(dst);
      return emit(s, in);
    }
    if (!src.transposed) {
      in.a = part(Space::L1, uint32_t(src.addr + (uint64_t(r0) * src.cols + uint64_t(c0)) * eb), dst.vrows, src.cols,
                  dst.vcols, src.dtype);
      in.dst = to_tile(dst);
      if (dst.space == Space::L0B) stored_[dst.addr] = Stored{false, in.dst};
      return emit(s, in);
    }
    // The source's bytes hold it transposed (cols x rows, row-major): the
    // part (r0, c0) of vrows x vcols is the stored rows c0.. and columns r0..
    if (dst.space != Space::L0B)
      fail(s.line, s.op + ": a transposed mat tile into loc=left (A transposed) is not supported");
    in.a = part(Space::L1, uint32_t(src.addr + (uint64_t(c0) * src.rows + uint64_t(r0)) * eb), dst.vcols, src.rows,
                dst.vrows, src.dtype);
    in.dst = isa::make_tile(Space::L0B, dst.addr, uint16_t(dst.vcols), uint16_t(dst.vrows), dst.dtype);
    stored_[dst.addr] = Stored{true, in.dst};
    emit(s, in);
  }

  // rows x vcols of a tile whose rows are `pitch` elements apart.
  static isa::Tile part(Space sp, uint32_t offset, uint32_t rows, uint32_t pitch, uint32_t vcols, DType dt) {
    isa::Tile t = isa::make_tile(sp, offset, uint16_t(rows), uint16_t(pitch), dt);
    if (vcols != pitch) t.valid_cols = uint16_t(vcols);
    return t;
  }

  static std::string loc(Space sp) {
    switch (sp) {
      case Space::L1: return "mat";
      case Space::L0A: return "left";
      case Space::L0B: return "right";
      case Space::L0C: return "acc";
      case Space::UB: return "vec";
      case Space::GM: return "gm";
    }
    return "?";
  }

  void matmul(const Stmt& s, const TileV& a, const TileV& b, const TileV& c, bool acc) {
    Instr in;
    in.op = Op::TMATMUL;
    in.a = plain(s, a, "the left operand");
    in.dst = plain(s, c, "the result");
    if (b.space != Space::L0B) fail(s.line, s.op + ": the right operand is in loc=" + loc(b.space) + ", not right");
    auto it = stored_.find(b.addr);
    if (it != stored_.end() && it->second.transposed) {
      in.b = it->second.tile;
      in.flags |= isa::kTransposeB;
    } else {
      in.b = to_tile(b);
    }
    if (acc) in.flags |= isa::kAccumulate;
    emit(s, in);
  }

  // tcvt's {rmode = #pto<round_mode X>} (X as pto-isa's RoundMode, with or
  // without CAST_): none means RINT. NONE is RINT too: AscendC's CAST_NONE
  // rounds as CAST_RINT wherever the conversion loses precision.
  isa::RoundMode round_mode(const Stmt& s) {
    const auto it = s.attrs.find("rmode");
    if (it == s.attrs.end()) return isa::RoundMode::RINT;
    std::string m = it->second;
    const std::string pre = "#pto<round_mode ";
    if (m.rfind(pre, 0) == 0 && m.back() == '>') m = m.substr(pre.size(), m.size() - pre.size() - 1);
    if (m.rfind("CAST_", 0) == 0) m = m.substr(5);
    static const std::unordered_map<std::string, isa::RoundMode> kModes = {
        {"NONE", isa::RoundMode::RINT},   {"RINT", isa::RoundMode::RINT},   {"ROUND", isa::RoundMode::ROUND},
        {"FLOOR", isa::RoundMode::FLOOR}, {"CEIL", isa::RoundMode::CEIL},   {"TRUNC", isa::RoundMode::TRUNC},
        {"ODD", isa::RoundMode::ODD}};
    const auto mode = kModes.find(m);
    if (mode == kModes.end())
      fail(s.line, s.op + ": rmode '" + it->second +
                       "' is not a rounding mode (#pto<round_mode X>, X one of NONE, RINT, ROUND, FLOOR, CEIL, "
                       "TRUNC, ODD)");
    return mode->second;
  }

  // A tile op, then its attributes: an attribute npusim does not model is an
  // error (after the op's own, so an unsupported op is named as one), never
  // ignored (tstore's atomicType once was, and its sums came out overwritten).
  void tile_op(const Stmt& s) {
    tile_op_body(s);
    static const std::unordered_map<std::string, std::vector<std::string>> kModelled = {
        {"pto.tcvt", {"rmode"}},        {"pto.tstore", {"atomicType"}},  {"pto.tcolsum", {"isBinary"}},
        {"pto.tci", {"descending"}},
        {"pto.tcolmax", {"isBinary"}}, {"pto.tcolmin", {"isBinary"}}};
    const auto known = kModelled.find(s.op);
    for (const auto& [key, value] : s.attrs)
      if (known == kModelled.end() ||
          std::find(known->second.begin(), known->second.end(), key) == known->second.end())
        fail(s.line, s.op + ": attribute {" + key + " = " + value +
                         "} is not modelled, and npusim ignores nothing silently (docs/pto_import.md)");
  }

  void tile_op_body(const Stmt& s) {
    static const std::unordered_map<std::string, uint8_t> kBin = {
        {"tadd", uint8_t(isa::BinOp::ADD)}, {"tsub", uint8_t(isa::BinOp::SUB)}, {"tmul", uint8_t(isa::BinOp::MUL)},
        {"tdiv", uint8_t(isa::BinOp::DIV)}, {"tmax", uint8_t(isa::BinOp::MAX)}, {"tmin", uint8_t(isa::BinOp::MIN)}};
    static const std::unordered_map<std::string, uint8_t> kUn = {
        {"texp", uint8_t(isa::UnOp::EXP)},     {"tsqrt", uint8_t(isa::UnOp::SQRT)}, {"trecip", uint8_t(isa::UnOp::RECIP)},
        {"tneg", uint8_t(isa::UnOp::NEG)},     {"tabs", uint8_t(isa::UnOp::ABS)},   {"tlog", uint8_t(isa::UnOp::LOG)},
        {"trelu", uint8_t(isa::UnOp::RELU)}};
    const std::string name = s.op.substr(4);
    Instr in;
    if (name == "tload") {
      arity(s, 1, 1);
      in.op = Op::TLOAD;
      const TileV& dst = tile(s, 1);
      if (dst.transposed) return load_transposed(s, pview(s, 0), dst);
      in.gm = gm_view(s, pview(s, 0));
      in.dst = plain(s, dst, "the destination");
      return emit(s, in);
    }
    if (name == "tstore") {
      arity(s, 1, 1);
      in.op = Op::TSTORE;
      in.a = plain(s, tile(s, 0), "the source");
      in.gm = gm_view(s, pview(s, 1));
      if (const auto at = s.attrs.find("atomicType"); at != s.attrs.end()) {
        if (at->second == "#pto<atomic_type atomic_add>")
          in.flags |= isa::kAtomicAdd;
        else if (at->second != "#pto<atomic_type atomic_none>")
          fail(s.line, s.op + ": atomicType " + at->second +
                           " is not modelled (atomic_add and atomic_none are; docs/pto_import.md)");
      }
      return emit(s, in);
    }
    if (name == "tmov") {
      arity(s, 1, 1);
      return move(s, tile(s, 0), tile(s, 1), 0, 0);
    }
    if (name == "textract") {
      arity(s, 3, 1);
      return move(s, tile(s, 0), tile(s, 3), integer(s, s.args[1], "row offset"), integer(s, s.args[2], "column offset"));
    }
    if (name == "tmatmul") {
      arity(s, 2, 1);
      return matmul(s, tile(s, 0), tile(s, 1), tile(s, 2), false);
    }
    if (name == "tmatmul.acc") {
      arity(s, 3, 1);
      const TileV& c_in = tile(s, 0);
      const TileV& c = tile(s, 3);
      if (c_in.space != c.space || c_in.addr != c.addr)
        fail(s.line, "pto.tmatmul.acc: the accumulator in (addr " + std::to_string(c_in.addr) +
                         ") and out (addr " + std::to_string(c.addr) + ") differ: npusim accumulates in place");
      return matmul(s, tile(s, 1), tile(s, 2), c, true);
    }
    auto bin = kBin.find(name);
    if (bin != kBin.end()) {
      arity(s, 2, 1);
      in.op = Op::VBIN;
      in.sub = bin->second;
      in.a = plain(s, tile(s, 0), "a");
      in.b = plain(s, tile(s, 1), "b");
      in.dst = plain(s, tile(s, 2), "dst");
      return emit(s, in);
    }
    if (name.size() > 1 && name.back() == 's' && kBin.count(name.substr(0, name.size() - 1))) {
      arity(s, 2, 1);
      in.op = Op::VBINS;
      in.sub = kBin.at(name.substr(0, name.size() - 1));
      in.a = plain(s, tile(s, 0), "a");
      in.imm = scalar(s, s.args[1]);
      in.dst = plain(s, tile(s, 2), "dst");
      return emit(s, in);
    }
    auto un = kUn.find(name);
    if (un != kUn.end() || name == "trsqrt") {
      if (name != "trsqrt" || s.n_ins != 2) arity(s, 1, 1);  // trsqrt may have a scratch tile (not used)
      arity(s, s.n_ins, 1);
      in.op = Op::VUNARY;
      in.a = plain(s, tile(s, 0), "a");
      in.dst = plain(s, tile(s, s.n_ins), "dst");
      if (name != "trsqrt") {
        in.sub = un->second;
        return emit(s, in);
      }
      in.sub = uint8_t(isa::UnOp::SQRT);  // 1/sqrt(x): vsqrt, then vrecip in place
      emit(s, in);
      in.sub = uint8_t(isa::UnOp::RECIP);
      in.a = in.dst;
      return emit(s, in);
    }
    if (name == "tcvt") {
      arity(s, 1, 1);
      in.op = Op::VCAST;
      in.sub = uint8_t(round_mode(s));
      in.a = plain(s, tile(s, 0), "a");
      in.dst = plain(s, tile(s, 1), "dst");
      return emit(s, in);
    }
    if (name == "tgather") {  // ins(%src, %indices[, %tmp]) outs(%dst): vgather (the scratch tile is not used)
      if (const auto m = s.attrs.find("maskPattern"); m != s.attrs.end())
        fail(s.line, s.op + " with maskPattern " + m->second + ": only the index form (an int32 index tile) is supported");
      if (s.args.size() - s.n_ins != 1 || (s.n_ins != 2 && s.n_ins != 3))
        fail(s.line, s.op + " takes 2 or 3 ins (the source, the indices and a scratch tile) and 1 out (npusim has "
                            "the index form; a maskPattern gather is not supported)");
      in.op = Op::VGATHER;
      in.a = plain(s, tile(s, 0), "the source");
      in.b = plain(s, tile(s, 1), "the indices");
      in.dst = plain(s, tile(s, s.n_ins), "dst");
      return emit(s, in);
    }
    if (name == "tci") {  // pto.tci ins(%S : i32) outs(%t) {descending = false}: vci
      arity(s, 1, 1);
      in.op = Op::VCI;
      const int64_t start = integer(s, s.args[0], "start");
      if (start < -(int64_t(1) << 24) || start > int64_t(1) << 24)
        fail(s.line, "pto.tci: start " + std::to_string(start) + " is past 2^24 (npusim's vci takes it as an fp32 immediate)");
      in.imm = float(start);
      if (const auto d = s.attrs.find("descending"); d != s.attrs.end()) {
        if (d->second == "true") in.flags |= isa::kDescending;
        else if (d->second != "false") fail(s.line, "pto.tci: descending = " + d->second + " (true or false)");
      }
      in.dst = plain(s, tile(s, 1), "dst");
      return emit(s, in);
    }
    if (name == "texpands") {
      arity(s, 1, 1);
      in.op = Op::VFILL;
      in.imm = scalar(s, s.args[0]);
      in.dst = plain(s, tile(s, 1), "dst");
      return emit(s, in);
    }
    // Row and column reductions, with or without a scratch tile (not used).
    // A column sum runs down the rows in order whatever {isBinary} says (a
    // tree would round differently, never by more than the order of additions).
    static const std::unordered_map<std::string, std::pair<Op, isa::RedOp>> kRed = {
        {"trowsum", {Op::VROWRED, isa::RedOp::SUM}}, {"trowmax", {Op::VROWRED, isa::RedOp::MAX}},
        {"trowmin", {Op::VROWRED, isa::RedOp::MIN}}, {"tcolsum", {Op::VCOLRED, isa::RedOp::SUM}},
        {"tcolmax", {Op::VCOLRED, isa::RedOp::MAX}}, {"tcolmin", {Op::VCOLRED, isa::RedOp::MIN}}};
    if (const auto red = kRed.find(name); red != kRed.end()) {
      if (s.args.size() - s.n_ins != 1 || (s.n_ins != 1 && s.n_ins != 2))
        fail(s.line, s.op + " takes 1 or 2 ins (the source and a scratch tile) and 1 out");
      in.op = red->second.first;
      in.sub = uint8_t(red->second.second);
      in.a = plain(s, tile(s, 0), "a");
      in.dst = plain(s, tile(s, s.n_ins), "dst");
      return emit(s, in);
    }
    if (name == "trowexpand" || name == "tcolexpand") {
      arity(s, 1, 1);
      in.op = name == "trowexpand" ? Op::VROWEXPAND : Op::VCOLEXPAND;
      in.a = plain(s, tile(s, 0), "a");
      in.dst = plain(s, tile(s, 1), "dst");
      return emit(s, in);
    }
    for (const char* pre : {"trowexpand", "tcolexpand"}) {
      const size_t n = std::string(pre).size();
      if (name.rfind(pre, 0) == 0 && kBin.count("t" + name.substr(n))) {
        arity(s, 2, 1);
        in.op = name[1] == 'r' ? Op::VROWEXP : Op::VCOLEXP;
        in.sub = kBin.at("t" + name.substr(n));
        in.a = plain(s, tile(s, 0), "a");
        in.b = plain(s, tile(s, 1), "b");
        in.dst = plain(s, tile(s, 2), "dst");
        return emit(s, in);
      }
    }
    if (name == "tfillpad") {
      // The destination's pad value outside the source's valid region.
      // npusim's vfillpad works in place; into another tile (of the same
      // shape and dtype), the source's valid region is first copied there
      // (a multiply by 1 on the VEC pipe, as a vec -> vec tmov).
      arity(s, 1, 1);
      const TileV& src = tile(s, 0);
      const TileV& dst = tile(s, 1);
      if (src.space != dst.space || src.rows != dst.rows || src.cols != dst.cols || src.dtype != dst.dtype)
        fail(s.line, "pto.tfillpad into a tile of another shape, dtype or buffer than its source (npusim pads a tile "
                     "of the source's shape)");
      if (dst.width)  // vfillpad pads up to the row pitch: past the slice, into its neighbours' columns
        fail(s.line, "pto.tfillpad of a column slice (pto.subview narrower than its tile) is not supported");
      if (dst.pad == 0) fail(s.line, "pto.tfillpad: the destination's type has pad=0 (no pad value)");
      TileV at = src;  // the source's valid region, at the destination
      at.addr = dst.addr;
      if (src.addr != dst.addr) {
        Instr copy;
        copy.op = Op::VBINS;
        copy.sub = uint8_t(isa::BinOp::MUL);
        copy.imm = 1.0f;
        copy.a = plain(s, src, "the source");
        copy.dst = plain(s, at, "the destination");
        emit(s, copy);
      }
      in.op = Op::VFILLPAD;
      in.dst = plain(s, at, "the source");
      in.imm = dst.pad == 1 ? 0.0f : dst.pad == 2 ? std::numeric_limits<float>::max() : std::numeric_limits<float>::lowest();
      return emit(s, in);
    }
    if (name == "treshape") {
      arity(s, 1, 1);
      in.op = Op::TRESHAPE;
      in.a = plain(s, tile(s, 0), "a");
      in.dst = plain(s, tile(s, 1), "dst");
      return emit(s, in);
    }
    unsupported(s);
  }


  const Module& m_;
  const Module::Func& f_;
  const isa::Program& p_;
  SiteFn& site_of_;
  int64_t block_, blocks_;
  uint64_t max_instrs_, max_steps_;
  uint64_t steps_ = 0;
  std::unordered_map<std::string, Val> env_;
  std::unordered_map<uint32_t, Stored> stored_;
  Val tmp_;
  Expanded out_;
  // The push/pop pipe (a mixed kernel's half).
  const Pipe& pipe_;
  uint32_t slots_ = 0;  // 0 until initialized
  int64_t slot_size_ = 0;
  bool through_gm_ = false;
  uint32_t gm_tensor_ = 0;
  uint32_t buf_base_ = 0, buf_size_ = 0;  // the vector half's reserved buffer
  uint64_t pushes_ = 0;
  std::vector<std::pair<uint64_t, uint64_t>> on_chip_;  // L0C bytes of pushes not yet known moved out, in order
};

}  // namespace

Expanded expand(const Module& m, const Module::Func& f, const std::vector<Arg>& args, const isa::Program& p,
                SiteFn& site_of, int64_t block, int64_t blocks, uint64_t max_instrs, uint64_t max_steps,
                const Pipe& pipe) {
  return Expander(m, f, p, site_of, block, blocks, max_instrs, max_steps, pipe).run(args);
}

}  // namespace pto
