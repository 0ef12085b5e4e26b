// Tile builder: emits an isa::Program from C++ that reads like the PyPTO source.
//
//   ProgramBuilder pb;
//   GmTensor x = pb.tensor("x", {16, 1024}, DType::BF16, TensorKind::In);
//   pb.kernel("scale", [&](KernelBuilder& k) {        // one pl.at = one launch
//     LTile t = k.slice(x, {16, 256}, {0, 0});        // pl.slice   -> TLOAD GM->UB
//     LTile y = k.muls(k.cast(t, DType::FP32), 2.0f);  // vector ops on UB tiles
//     k.assemble(out, k.cast(y, DType::BF16), {0, 0}); // pl.assemble -> TSTORE
//   });
//   pb.parallel("proj", 128, 4, [&](KernelBuilder& k, int64_t ob) { ... });  // 32 tasks
//   isa::Program p = pb.finish();                     // derives task deps
//
// Conventions the generated programs rely on (documented in docs/workloads.md):
//  - A tile is row-major in its buffer with row pitch = Tile::cols; every
//    instruction reads/writes only the valid region (vrows x vcols). A column
//    sub-view (KernelBuilder::view) keeps the parent's cols as pitch and sets
//    valid_cols; allocations in L1/L0C/UB are padded by one row so a sub-view's
//    [offset, offset + bytes()) never leaves its parent allocation.
//  - TLOAD/TSTORE move the valid region; tile dtype == tensor dtype (no conversion).
//  - TMOV L1->L0A/L0B copies a's valid region into a dense dst.
//  - TMATMUL: M = a.vrows, K = a.vcols, N = b.vcols (b.vrows with kTransposeB).
//  - Cube <-> vector data crosses GM: Channel = TSTORE + SIGNAL(flag) on the
//    producer core, WAIT(flag) + TLOAD on the consumer core. Flag ids are unique
//    within a launch (0, 1, 2, ...). Where the target has the on-chip paths a
//    channel may cross without GM: L0C -> UB (channel(..., on_chip)), UB -> L1
//    (a channel through an L1Ring).
//  - Calls that emit or allocate are sequenced: never two of them in the
//    arguments of one call (`k.sub(k.mul(a, b), k.mul(c, d))`). C++ leaves the
//    order of arguments unspecified (gcc and clang differ), and the order
//    decides which slots the tiles get, so the program would depend on the
//    compiler. Compute such operands into named tiles first.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "isa/isa.h"
#include "workloads/target.h"

namespace workloads {

// A generator-side error: names the kernel and the source site involved.
struct BuildError : isa::InputError {
  using isa::InputError::InputError;
};

// A site label. Must be a string literal: the builder caches sites by the
// literal's address so emitting an instruction never builds or hashes strings.
class Label {
 public:
  constexpr Label() = default;
  template <size_t N>
  constexpr Label(const char (&s)[N]) : s_(s) {}  // NOLINT: implicit on purpose
  const char* str() const { return s_; }
  explicit operator bool() const { return s_ != nullptr; }

 private:
  const char* s_ = nullptr;
};

struct Shape2 {
  uint32_t rows = 0, cols = 0;
};

namespace detail {
struct Impl;
struct Slot;     // a tile allocation
struct RegSlot;  // a scalar register

// The ref-counted part of LTile and Reg: which builder, which slot, which
// generation of it. Copies add a reference; when the last handle to a slot
// dies the slot is freed (a stale handle, from an earlier generation, counts
// for nothing). S is the slot kind the handle points at.
template <class S>
class SlotRef {
 public:
  SlotRef() = default;
  SlotRef(const SlotRef& o);
  SlotRef(SlotRef&& o) noexcept;
  SlotRef& operator=(SlotRef o) noexcept;
  ~SlotRef();

 protected:
  Impl* impl_ = nullptr;
  uint32_t slot_ = 0, gen_ = 0;
  S& entry() const;      // the slot this handle points at
  void last_released();  // the slot's last reference is gone: free it
  void release();
};
}  // namespace detail

// A scalar register holding a value read from GM (SLOAD) on one core.
// Ref-counted; the register is free again when the last handle dies.
class Reg : private detail::SlotRef<detail::RegSlot> {
 public:
  int64_t value() const;  // the value the builder knows it holds
  int index() const { return idx_; }
  explicit operator bool() const { return impl_ != nullptr; }

 private:
  friend class KernelBuilder;
  int idx_ = -1;
};

// A position in a GM tensor: row, column, and optionally a register whose
// value is added to the row (dynamic rows, e.g. pos = seq_lens[b] - 1).
struct At {
  int64_t row = 0, col = 0;
  const Reg* reg = nullptr;
  At() = default;
  At(int64_t r, int64_t c) : row(r), col(c) {}
  At(const Reg& rg, int64_t r, int64_t c) : row(r), col(c), reg(&rg) {}
};

// A GM tensor seen as a 2-D row-major matrix (rows = product of all but the
// last dim; a 1-D tensor is [n, 1]). reshape() re-views the same bytes.
struct GmTensor {
  uint32_t id = 0;
  int64_t rows = 0, cols = 0;
  isa::DType dtype = isa::DType::FP32;
  GmTensor reshape(int64_t new_rows, int64_t new_cols) const;
};

// A local tile handle: a tile descriptor plus a reference to its allocation.
// The allocation is freed when the last handle to it dies; sub-views share it.
// Handles are only valid inside the launch that created them.
class LTile : private detail::SlotRef<detail::Slot> {
 public:
  const isa::Tile& tile() const { return t_; }
  isa::Space space() const { return t_.space; }
  isa::DType dtype() const { return t_.dtype; }
  uint32_t rows() const { return t_.vrows(); }  // valid shape
  uint32_t cols() const { return t_.vcols(); }
  explicit operator bool() const { return impl_ != nullptr; }

 private:
  friend class KernelBuilder;
  isa::Tile t_;
};

// A cube <-> vector hand-off through a GM scratch region inside one launch.
struct Channel {
  int flag = -1;
  GmTensor tensor;
  At at;
  Shape2 shape, valid;  // tile shape on the receiving side; valid = GM extent
  bool on_chip = false;  // without GM (asked for, and the target has the path)
  int ring = -1;         // on chip UB -> L1: the L1Ring it goes through (-1: none)
};

// L1 buffers of the cube through which vector cores hand tiles to it on chip
// (UB -> L1, a5), for channels created over the ring (KernelBuilder::l1_ring).
class L1Ring {
 public:
  bool on_chip() const { return id_ >= 0; }  // false: the target has no UB -> L1 path (channels cross GM)
  Shape2 shape() const { return shape_; }
  isa::DType dtype() const { return dtype_; }
  uint32_t depth() const { return depth_; }

 private:
  friend class KernelBuilder;
  int id_ = -1;  // in its launch
  Shape2 shape_;
  isa::DType dtype_ = isa::DType::BF16;
  uint32_t depth_ = 0;
};

// Emits one launch (task + kernel body). Obtained from ProgramBuilder::kernel
// or ::parallel; never constructed by clients. A launch whose body is an
// earlier launch's of the same kernel but for its GM offsets (each tensor's
// views moved by one amount: the heads and tiles of a pl.parallel) runs that
// body under a binding of the offsets (isa::Binding) instead of a copy.
class KernelBuilder {
 public:
  KernelBuilder(const KernelBuilder&) = delete;
  KernelBuilder& operator=(const KernelBuilder&) = delete;

  const std::string& name() const;

  // ---- where instructions go -------------------------------------------
  // Vector ops, UB loads/stores and SLOADs go to the current vector core
  // (default 0; 0 .. target().vector_cores - 1). Loads into L1, stores from
  // L0C, TMOV and TMATMUL go to cube.
  void on_vec(int v);
  const Target& target() const;
  int vec() const { return cur_vec_; }
  // Site label for compute instructions emitted from now on ("compute" until set).
  void section(Label label);

  // ---- GM <-> local (DMA) -------------------------------------------------
  // pl.slice: TLOAD a [shape] tile at `at` into UB (vector) or L1 (cube).
  // valid (if set) loads only [valid] rows/cols; the rest of the tile is unwritten.
  LTile slice(const GmTensor& t, Shape2 shape, At at, isa::Space space = isa::Space::UB,
              Shape2 valid = {}, Label label = {});
  // TLOAD into an existing tile (its valid shape) e.g. a row of a bigger tile.
  void slice_into(const LTile& dst, const GmTensor& t, At at, Label label = {});
  // pl.assemble: TSTORE the valid region of src (UB or L0C) at `at`.
  void assemble(const GmTensor& t, const LTile& src, At at, Label label = {});

  // ---- scalars --------------------------------------------------------------
  // pl.tensor.read inside a kernel: SLOAD t[index] into a free register of the
  // current vector core.
  Reg sload(const GmTensor& t, int64_t index, Label label = {});
  void sadd(Reg& r, int64_t imm);

  // ---- local tiles ------------------------------------------------------------
  LTile alloc(Shape2 shape, isa::DType dt, isa::Space space = isa::Space::UB);
  // A sub-view [shape] at (r0, c0) of t's valid region; shares t's allocation.
  LTile view(const LTile& t, Shape2 shape, uint32_t r0 = 0, uint32_t c0 = 0);

  // ---- vector ops (dst = `into` if given, else a new dense UB tile) ----------
  LTile add(const LTile& a, const LTile& b, const LTile& into = {});
  LTile sub(const LTile& a, const LTile& b, const LTile& into = {});
  LTile mul(const LTile& a, const LTile& b, const LTile& into = {});
  LTile div(const LTile& a, const LTile& b, const LTile& into = {});
  LTile max(const LTile& a, const LTile& b, const LTile& into = {});
  LTile min(const LTile& a, const LTile& b, const LTile& into = {});
  LTile adds(const LTile& a, float s, const LTile& into = {});
  LTile subs(const LTile& a, float s, const LTile& into = {});
  LTile muls(const LTile& a, float s, const LTile& into = {});
  LTile divs(const LTile& a, float s, const LTile& into = {});
  LTile maxs(const LTile& a, float s, const LTile& into = {});
  LTile mins(const LTile& a, float s, const LTile& into = {});
  LTile exp(const LTile& a, const LTile& into = {});
  LTile sqrt(const LTile& a, const LTile& into = {});
  LTile recip(const LTile& a, const LTile& into = {});
  LTile neg(const LTile& a, const LTile& into = {});
  LTile abs(const LTile& a, const LTile& into = {});
  LTile cast(const LTile& a, isa::DType to, const LTile& into = {});
  LTile fill(Shape2 shape, isa::DType dt, float value);
  void fill_into(const LTile& dst, float value);
  // VFILLPAD: elements of t outside its valid shape = value (in place); returns
  // a handle to the whole tile (valid shape = full).
  LTile fillpad(const LTile& t, float value);
  LTile row_sum(const LTile& a, const LTile& into = {});
  LTile row_max(const LTile& a, const LTile& into = {});
  LTile row_expand_add(const LTile& a, const LTile& col, const LTile& into = {});
  LTile row_expand_sub(const LTile& a, const LTile& col, const LTile& into = {});
  LTile row_expand_mul(const LTile& a, const LTile& col, const LTile& into = {});
  LTile row_expand_div(const LTile& a, const LTile& col, const LTile& into = {});
  LTile col_expand_add(const LTile& a, const LTile& row, const LTile& into = {});
  LTile col_expand_sub(const LTile& a, const LTile& row, const LTile& into = {});
  LTile col_expand_mul(const LTile& a, const LTile& row, const LTile& into = {});
  LTile col_expand_div(const LTile& a, const LTile& row, const LTile& into = {});
  LTile reshape(const LTile& a, Shape2 shape);  // TRESHAPE (a must be dense)

  // ---- loops --------------------------------------------------------------------
  // pl.pipeline(begin, end, step, stage=stages); a plain pl.range is stage 1.
  // body(i) for i = begin, begin + step, ... < end. The tiles an iteration
  // allocates get `stages` buffers used in turn (iteration i reuses iteration
  // i - stages's), so at most `stages` iterations are in flight: a load of
  // iteration i waits until iteration i - stages is done with its buffer.
  // Outside a loop a freed buffer is reused by the next tile that fits in it,
  // which serialises a plain C++ loop like a stage-1 one.
  void loop(int64_t begin, int64_t end, int64_t step, int stages,
            const std::function<void(int64_t)>& body);

  // ---- cube -------------------------------------------------------------------
  // a, b in L1 (TMOV'd to L0A/L0B here) or already in L0A/L0B. K-split into
  // sub-steps when an operand exceeds half of L0A/L0B. Result fp32 in L0C.
  LTile matmul(const LTile& a, const LTile& b, bool transpose_b = false, const LTile& into = {});
  LTile matmul_acc(const LTile& acc, const LTile& a, const LTile& b, bool transpose_b = false);

  // ---- cube <-> vector hand-off ----------------------------------------------------
  // A channel over `t` at `at`: the producer stores its tile's valid region
  // there; the consumer loads a [shape] tile whose valid part is `valid`
  // (default: all of shape). With `on_chip` and a target that has the L0C ->
  // UB path (a5), a cube result crosses on chip instead: the cube SIGNALs,
  // the vector core WAITs and TMOVs the tile from L0C into its UB (no GM
  // bytes); the L0C tile stays allocated to the end of the launch, so
  // nothing on the cube overwrites it before the vector core has read it.
  Channel channel(const GmTensor& t, Shape2 shape, At at, Shape2 valid = {}, bool on_chip = false);
  // Producer side: TSTORE src (L0C on cube, UB on the current vector core), SIGNAL;
  // on chip: SIGNAL only.
  void send(const Channel& ch, const LTile& src, Label label = {});
  // Consumer side: WAIT, TLOAD into UB (current vector core) or L1 (cube);
  // on chip: WAIT, TMOV L0C -> UB; through an L1Ring: WAIT only.
  LTile recv(const Channel& ch, isa::Space dst = isa::Space::UB, Label label = {});

  // ---- vector -> cube hand-off on chip (UB -> L1) ------------------------------------
  // `depth` L1 buffers of [shape] dt through which vector cores hand tiles to
  // the cube without GM where the target has the UB -> L1 path (a5). They
  // take L1 bytes nothing else in this launch has used (so a buffer's first
  // write races with no earlier read) and stay allocated to the launch's
  // end. On a target without the path nothing is allocated and channels over
  // the ring cross GM as any other.
  L1Ring l1_ring(Shape2 shape, isa::DType dt, uint32_t depth);
  // A vector -> cube channel over `t` at `at` through `ring`: the ring's n-th
  // channel (in creation order) uses buffer n % depth; shape and dtype are
  // the ring's, `valid` the part sent. On chip:
  //   send (vector core): [WAIT for the release of the buffer's previous
  //     channel] TMOV UB -> the buffer, SIGNAL;
  //   recv(ch, L1) (cube): WAIT; returns the buffer (valid shape `valid`);
  //   release (cube, after its last read of it): SIGNAL that the buffer may
  //     be written again.
  // So the cube reads a buffer only after the vector core wrote it, and a
  // vector core overwrites it only after the cube has read it (the
  // simulator refuses either race). Through GM (no path): TSTORE + SIGNAL,
  // WAIT + TLOAD into a new L1 tile, and release emits nothing.
  Channel channel(const GmTensor& t, Shape2 shape, At at, const L1Ring& ring, Shape2 valid = {});
  // The cube is done with the channel's buffer (see above).
  void release(const Channel& ch, Label label = {});

 private:
  friend class ProgramBuilder;
  friend struct detail::Impl;
  KernelBuilder(detail::Impl* impl, uint32_t kinfo);
  detail::Impl* impl_;
  uint32_t kinfo_;
  int cur_vec_ = 0;
  uint32_t section_site_;

  // internals
  int vec_stream() const { return 1 + cur_vec_; }
  isa::Instr& emit(int stream, isa::Op op, uint32_t site);
  LTile make_tile(Shape2 shape, isa::DType dt, isa::Space space, uint32_t site);
  LTile dst_or_new(const LTile& into, uint32_t rows, uint32_t cols, isa::DType dt, uint32_t site);
  void check(const LTile& t, const char* what, uint32_t site, bool needs_written = true) const;
  void mark_written(const LTile& t);
  isa::GmView gm_view(const GmTensor& t, uint32_t rows, uint32_t cols, const At& at, int stream,
                      uint32_t site) const;
  void dma(int stream, isa::Op op, const GmTensor& t, const LTile& tile, const At& at, uint32_t site);
  void dma_load(int stream, const LTile& dst, const GmTensor& t, const At& at, uint32_t site);
  void dma_store(int stream, const GmTensor& t, const LTile& src, const At& at, uint32_t site);
  LTile vbin(uint8_t op, const LTile& a, const LTile& b, const LTile& into);
  LTile vbins(uint8_t op, const LTile& a, float s, const LTile& into);
  LTile vun(uint8_t op, const LTile& a, const LTile& into);
  LTile vrowred(uint8_t op, const LTile& a, const LTile& into);
  LTile vexpand(isa::Op opc, uint8_t op, const LTile& a, const LTile& b, const LTile& into);
  LTile tmov(const LTile& src, isa::Space to);
  int release_flag(int flag);  // the flag of channel `flag`'s release (allocated on first use)
  LTile ring_buffer(const Channel& ch, int ring, uint32_t buffer) const;  // with ch's valid shape
  void mm_steps(const LTile& acc, bool accumulate, const LTile& a, const LTile& b, bool transpose_b,
                uint32_t site);
  uint32_t label_site(Label l, uint32_t fallback) const;
  Reg sload_stream(int stream, const GmTensor& t, int64_t index, Label label);
  [[noreturn]] void fail(uint32_t site, const std::string& msg) const;
};

// The memory a generated program may take (its instructions and tasks),
// checked as it grows and, for a pl.parallel, estimated from its first
// launch so a runaway is refused before it is built: past it generation
// stops with a BuildError naming the estimate. Default 8 GiB; `npusim run
// --max-memory-gib` sets it.
void set_program_memory_limit(uint64_t bytes);

class ProgramBuilder {
 public:
  explicit ProgramBuilder(Target target = {});
  const Target& target() const;
  ~ProgramBuilder();
  ProgramBuilder(const ProgramBuilder&) = delete;
  ProgramBuilder& operator=(const ProgramBuilder&) = delete;
  ProgramBuilder(ProgramBuilder&&) noexcept;
  ProgramBuilder& operator=(ProgramBuilder&&) noexcept;

  // A GM tensor (pl.create_tensor at orchestration level for Scratch).
  // `role`: what a functional run generates for an input (isa::InputRole).
  GmTensor tensor(const std::string& name, std::vector<int64_t> shape, isa::DType dt,
                  isa::TensorKind kind, std::vector<int32_t> init = {}, isa::InputRole role = isa::InputRole::Data);
  // pl.tensor.read at orchestration level: the device CPU reads the value while
  // building the graph. No instruction; the value comes from the tensor's init.
  int64_t read_scalar(const GmTensor& t, int64_t index) const;

  // pl.at: one launch of kernel `name` (one task) each call.
  void kernel(std::string_view name, const std::function<void(KernelBuilder&)>& body,
              Label launch = {});
  // pl.at around pl.parallel(n, chunk): ceil(n/chunk) launches of `name`, all
  // from one launch site; task t runs body(k, i) for i in [t*chunk, min(n, (t+1)*chunk)).
  void parallel(std::string_view name, int64_t n, int64_t chunk,
                const std::function<void(KernelBuilder&, int64_t)>& body, Label launch = {});
  // pl.at around pl.spmd(blocks): one submitted task of `blocks` blocks,
  // each dispatched to its own core group; body(k, b) emits block b (its
  // instructions may differ by b, as get_block_idx() offsets them).
  void spmd(std::string_view name, int64_t blocks, const std::function<void(KernelBuilder&, int64_t)>& body,
            Label launch = {});
  // Same split, the body gets its range [begin, end) (for per-task prologues).
  void parallel_range(std::string_view name, int64_t n, int64_t chunk,
                      const std::function<void(KernelBuilder&, int64_t, int64_t)>& body,
                      Label launch = {});

  // A tensor binding (isa::Binding) over the tensors declared so far: each
  // pair's first tensor is replaced by its second. Returns its index.
  uint32_t binding(const std::vector<std::pair<GmTensor, GmTensor>>& replace);
  // Launches tasks [first, end) again, in order, with their kernels' tensors
  // bound by `binding` (one layer's launches for the next layer): no
  // instruction is emitted, and each copy's GM ranges are its original's
  // under the binding. A task with a binding of its own (the offsets of a
  // shared body) gets both: its own, then `binding` over the tensors it
  // names. [first, end) holds whole pl.spmd launches.
  void relaunch(uint32_t first, uint32_t end, uint32_t binding);

  // A part of the program built apart (on another thread): a builder that
  // starts where this one is (its tensors, sites and kernels known), to be
  // joined back. join() appends the part's launches after this builder's,
  // so `a = pb.fork(); <launches on pb>; <launches on a>; pb.join(a)` builds
  // the program that making them in that order on pb builds, provided the
  // part launches only kernels that neither builder launched before (their
  // bodies could not be shared across the two) and declares no tensor.
  // Breaking either is a BuildError at join.
  ProgramBuilder fork() const;
  void join(ProgramBuilder&& part);

  const isa::Program& program() const;
  // Derives task deps and hands the program over (the builder is spent).
  isa::Program finish();

 private:
  std::unique_ptr<detail::Impl> impl_;
};

}  // namespace workloads
