// The tile ISA: data types, memory spaces, operands, instructions and the
// program (GM tensors, kernels, tasks). Plain C++: no SystemC in isa/.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "isa/error.h"
#include "isa/ops.h"

namespace isa {

enum class DType : uint8_t { BF16, FP16, FP32, INT32 };
enum class Space : uint8_t { GM, L1, L0A, L0B, L0C, UB };
constexpr int kNumSpaces = 6;

uint32_t dtype_bytes(DType t);
const char* to_string(DType t);
const char* to_string(Space s);
std::optional<DType> parse_dtype(std::string_view s);
std::optional<Space> parse_space(std::string_view s);

// A tile in a local buffer, row-major with a row pitch of `cols` elements.
// Instructions work on its valid region (valid_rows x valid_cols; 0 means
// the whole of rows / cols), so a column sub-view of a wider tile keeps the
// parent's cols as its pitch. VFILLPAD is the one op that writes outside the
// valid region: it fills the rest of rows x cols.
struct Tile {
  Space space = Space::UB;
  DType dtype = DType::FP32;
  uint32_t offset = 0;  // byte offset inside the buffer
  uint16_t rows = 0, cols = 0;
  uint16_t valid_rows = 0, valid_cols = 0;

  // Sizes in 64 bits: 65535 x 65535 fp32 is 16 GiB, past uint32.
  uint32_t elems() const { return uint32_t(rows) * cols; }
  uint64_t bytes() const { return uint64_t(elems()) * dtype_bytes(dtype); }
  uint32_t vrows() const { return valid_rows ? valid_rows : rows; }
  uint32_t vcols() const { return valid_cols ? valid_cols : cols; }
  uint64_t valid_bytes() const { return uint64_t(vrows()) * vcols() * dtype_bytes(dtype); }
  // Bytes from the tile's first element to one past its last valid element.
  uint64_t footprint() const { return (uint64_t(vrows() - 1) * cols + vcols()) * dtype_bytes(dtype); }
  // Inline: the builder compares every instruction of a launch with a body
  // it may share (workloads/builder.cpp, Impl::share).
  bool operator==(const Tile& o) const {
    return space == o.space && dtype == o.dtype && offset == o.offset && rows == o.rows && cols == o.cols &&
           valid_rows == o.valid_rows && valid_cols == o.valid_cols;
  }
};

// A dense tile: `rows x cols` of `dtype` at byte `offset` of buffer `space`.
inline Tile make_tile(Space space, uint32_t offset, uint16_t rows, uint16_t cols, DType dtype) {
  Tile t;
  t.space = space;
  t.dtype = dtype;
  t.offset = offset;
  t.rows = rows;
  t.cols = cols;
  return t;
}

constexpr int kNumRegs = 16;  // scalar registers R0..R15 per core

// A 2-D view of a GM tensor. Element offset = offset + R[reg] * reg_scale
// when reg >= 0 (a position read from GM by SLOAD, e.g. seq_lens[b] - 1).
struct GmView {  // 32 bytes: the 64-bit offset first leaves no padding
  int64_t offset = 0;       // elements from the tensor start
  uint32_t tensor = 0;
  uint32_t rows = 0, cols = 0;
  uint32_t row_stride = 0;  // elements between row starts
  int32_t reg_scale = 0;
  int8_t reg = -1;

  bool contiguous() const { return rows <= 1 || row_stride == cols; }
  // Elements from the first to one past the last (a single row: cols).
  // Fits in int64 for any uint32 rows, cols and stride.
  int64_t span() const { return int64_t(rows > 1 ? rows - 1 : 0) * row_stride + cols; }
  bool operator==(const GmView& o) const {
    return tensor == o.tensor && offset == o.offset && rows == o.rows && cols == o.cols &&
           row_stride == o.row_stride && reg == o.reg && reg_scale == o.reg_scale;
  }
};

// A static view: `rows x cols` elements from element `offset`, rows `row_stride` apart.
inline GmView make_view(uint32_t tensor, int64_t offset, uint32_t rows, uint32_t cols, uint32_t row_stride) {
  GmView v;
  v.tensor = tensor;
  v.offset = offset;
  v.rows = rows;
  v.cols = cols;
  v.row_stride = row_stride;
  return v;
}

struct Instr {
  Op op = Op::VFILL;
  uint8_t sub = 0;    // BinOp / UnOp / RedOp / RoundMode, per op
  uint8_t flags = 0;  // InstrFlags
  int8_t reg = -1;    // SLOAD / SADD destination register
  float imm = 0.0f;   // scalar operand, fill value, SADD increment, flag id
  uint32_t site = 0;  // index into Program::sites
  Tile dst, a, b;
  GmView gm;
  bool operator==(const Instr& o) const {
    return op == o.op && sub == o.sub && flags == o.flags && reg == o.reg && imm == o.imm && site == o.site &&
           dst == o.dst && a == o.a && b == o.b && gm == o.gm;
  }
};
// A full-size layer holds about half a million: a byte more here is half a
// megabyte more to write, page in and read back (README "Speed").
static_assert(sizeof(Instr) <= 96, "isa::Instr grew past 96 bytes");

// The text mnemonic of an instruction ("tload", "vadd", "vrowsum", ...).
std::string mnemonic(const Instr& in);

enum class TensorKind : uint8_t { In, Out, InOut, Scratch };

// What an input tensor holds, for the values a functional run generates for
// it (sim/npy.h, generate_input); the workload that declares it says so.
enum class InputRole : uint8_t {
  Data,     // activations and the like: uniform in [-0.5, 0.5)
  Weight,   // a linear layer's [fan_in, fan_out] weight: uniform in +-1/sqrt(fan_in)
  Gain,     // a norm's scale: 1 + uniform in [-0.1, 0.1)
  Cache,    // a KV cache: uniform in [-1, 1)
  RopeCos,  // [S, D] cos(p * inv_freq) of a rotary embedding (no draws)
  RopeSin,  // [S, D] sin(...)
};
const char* to_string(InputRole r);

struct Tensor {
  std::string name;
  std::vector<int64_t> shape;  // row-major; GM views index it as flat elements
  DType dtype = DType::FP32;
  TensorKind kind = TensorKind::Scratch;
  std::vector<int32_t> init;  // int32 tensors only: initial values (e.g. seq_lens)
  InputRole role = InputRole::Data;

  // Throw ProgramError when the size passes kMaxTensorBytes (or int64).
  int64_t elems() const;
  int64_t bytes() const { return elems() * dtype_bytes(dtype); }
  bool operator==(const Tensor& o) const;
};

// The largest GM tensor a program may declare: 2^48 bytes (256 TiB, the
// reach of a 48-bit device address; any real HBM is far smaller). It keeps
// every element and byte offset inside int64.
constexpr int64_t kMaxTensorBytes = int64_t(1) << 48;

// A byte range [begin, end) of one GM tensor.
struct GmRange {
  uint32_t tensor = 0;
  uint64_t begin = 0, end = 0;
  bool overlaps(const GmRange& o) const {
    return tensor == o.tensor && begin < o.end && o.begin < end;
  }
  bool operator==(const GmRange& o) const;
};

// One kernel body: an instruction stream per core role. vec[i] runs on
// vector core i of the core group; an empty stream leaves that core idle.
struct Kernel {
  std::string name;
  std::vector<Instr> cube;
  std::vector<std::vector<Instr>> vec;
  uint64_t instruction_count() const;  // over every stream
  std::vector<uint32_t> gm_tensors() const;  // the tensors its GM views name, sorted, once each
  bool operator==(const Kernel& o) const;
};

// One dispatch to a core group. A submitted task is one launch of a kernel
// block: a plain launch is one Task; a pl.spmd launch of N blocks is N
// consecutive Tasks, block 0..N-1 of `blocks` = N, each with its kernel (the
// block's instructions) and ranges. The orchestrator submits the N blocks
// once; the scheduler dispatches each to its own core group; they share
// their dependencies (each block waits for every block of the launches the
// launch depends on), as the runtime tracks a task, not its blocks.
// No tensor binding: the task's kernel touches the tensors it names.
constexpr uint32_t kNoBinding = UINT32_MAX;

struct Task {
  uint32_t kernel = 0;  // index into Program::kernels
  uint32_t site = 0;    // source site of the launch (index into sites)
  uint32_t block = 0, blocks = 1;  // pl.spmd: this block of how many
  uint32_t binding = kNoBinding;   // index into Program::bindings
  std::vector<GmRange> reads, writes;
  std::vector<uint32_t> deps;  // indices of earlier tasks that must finish first
  bool operator==(const Task& o) const;
};

// A task's tensor binding: the kernel's GM operands name program tensors; a
// task with a binding runs its kernel with each tensor `from` the binding
// lists replaced by tensor `to`, the views moved by `offset` elements, as a
// launch binds a kernel's pointer arguments (a pointer into a tensor). So one
// kernel serves the launches that differ only in where their data is: the
// heads or tiles of one pl.parallel (the generators launch one body under an
// offset per launch), and the layers of a model (one layer's kernels, each
// layer's tasks binding that layer's weights, caches and activations). A
// bound tensor has the dtype and shape of the one it stands for
// (validate_program checks), so the kernel's static checks hold under every
// binding but the bounds, which the simulator checks per launch. The task's
// reads/writes name the bound tensors and offsets.
struct BoundTensor {
  uint32_t from = 0, to = 0;
  int64_t offset = 0;  // elements added to every view of `from`
  bool operator==(const BoundTensor& o) const;
};
struct Binding {
  std::vector<BoundTensor> entries;  // sorted by `from`, each at most once; the others stand for themselves
  void sort();  // puts the entries in `from` order
  const BoundTensor* find(uint32_t t) const;
  uint32_t tensor(uint32_t t) const {
    const BoundTensor* e = find(t);
    return e ? e->to : t;
  }
  int64_t offset(uint32_t t) const {
    const BoundTensor* e = find(t);
    return e ? e->offset : 0;
  }
  bool operator==(const Binding& o) const { return entries == o.entries; }
};

struct Program {
  std::vector<Tensor> tensors;
  std::vector<std::string> sites;  // "kernel: label", e.g. "q_head_rope: store all_q_padded"
  std::vector<Kernel> kernels;
  std::vector<Binding> bindings;
  std::vector<Task> tasks;

  // The tensor that operand tensor `t` of `task`'s kernel stands for.
  uint32_t bound(const Task& task, uint32_t t) const {
    return task.binding == kNoBinding ? t : bindings[task.binding].tensor(t);
  }
  // View `v` of `task`'s kernel as the task touches it: its tensor and
  // offset under the task's binding.
  GmView bound_view(const Task& task, GmView v) const {
    if (task.binding == kNoBinding) return v;
    if (const BoundTensor* e = bindings[task.binding].find(v.tensor)) {
      v.tensor = e->to;
      v.offset += e->offset;
    }
    return v;
  }
  // The binding of `task` (null: none), for loops that resolve many operands.
  const Binding* binding_of(const Task& task) const {
    return task.binding == kNoBinding ? nullptr : &bindings[task.binding];
  }
  uint64_t instruction_count() const;
  std::optional<uint32_t> find_tensor(std::string_view name) const;
  bool operator==(const Program& o) const;
};

// A named span of a program's tasks [first, first + count), e.g. "layer 3":
// not part of the program (nothing runs differently), marked in traces.
struct TaskSection {
  std::string name;
  uint32_t first = 0, count = 0;
};

// One decode step of a token-by-token run: its program, the spans of its
// tasks (its layers) and the mean context length of its sequences.
struct DecodeStep {
  Program program;
  std::vector<TaskSection> sections;
  double context_mean = 0;
};

// A program that breaks an ISA rule. The message names the task, kernel,
// instruction and operand involved.
struct ProgramError : InputError {
  using InputError::InputError;
};

// Add to Task::deps from reads/writes: a task depends on the last earlier
// writer of each byte it reads (read-after-write) or writes (write-after-
// write). A writer whose bytes a later one overwrote is reached through that
// one, which depends on it: the order is that of "every earlier writer of a
// byte it touches", in shorter lists where bytes are rewritten (in no shipped
// workload). Per tensor, the written bytes are kept as spans with their last
// writer: a range costs log(spans) plus the spans it overlaps.
// As the PTO2 runtime: its tensor map keeps producers only (hw-native-sys/
// simpler, src/a2a3/runtime/tensormap_and_ringbuffer/runtime/
// pto_dep_compute.h: compute_task_fanin looks up the writers of a task's INPUT
// and INOUT arguments, register_task_outputs records its INOUT and
// OUTPUT_EXISTING ones), so write-after-read is no edge. Unlike it, npusim
// orders every write after the earlier writers: the runtime does so for INOUT
// only, not for a write-only OUTPUT_EXISTING (pypto's pl.Out).
// The blocks of a pl.spmd launch share their deps (the union of what each
// block found, widened to every block of each launch found) and none depends
// on another block of its own launch: the runtime tracks the submitted task.
// Deps already there (a text program's deps=[...]) are kept; the result is
// sorted, without duplicates, so deriving twice changes nothing.
// validate_program checks that the ranges cover what the instructions touch
// and are not empty; run it first (it also checks the tensor indices this
// relies on).
void derive_task_deps(Program& p);

}  // namespace isa
