// The functional data path: GM tensor data, each core's local buffers and
// scalar registers, and the numerics of every instruction. Plain C++ (no
// SystemC): the SystemC shell calls execute() at each InstrEvent, which the
// engine reports in an order that respects every data dependency (within a
// core by buffer/GM/register ranges, across cores by SIGNAL/WAIT, across
// tasks by the scheduler's dependencies), so executing the semantics there
// is exact.
//
// Data layout and numerics (the contract the tests pin down):
// - GM: one buffer per isa::Tensor, flat, row-major. bf16/fp16/fp32 tensors
//   are stored as fp32 values that are always representable in the tensor's
//   dtype (every write rounds, nearest even); int32 tensors as int32.
// - Local buffers (L1, L0A, L0B, L0C, UB; capacities from HwConfig) are byte
//   arrays per core (group g, core c: 0 = cube, 1.. = vector cores); L0C and
//   L1 are the cube core's, also when a vector core's TMOV reads L0C or
//   writes L1 (the on-chip paths). A tile
//   holds its dtype's bit patterns row-major with a row pitch of tile.cols:
//   element (r, c) at offset + (r * cols + c) * dtype_bytes (bf16/fp16 2
//   bytes, fp32/int32 4). Every instruction reads and writes only the valid
//   region (vrows() x vcols()), so a column sub-view of a wider tile works in
//   place. Buffers start zeroed and are never cleared (the timing engine
//   rejects a read before a write within a task).
// - TLOAD / TSTORE: view element (r, c) at gm_offset + r * row_stride + c <->
//   tile element (r, c) for the view's rows x cols (= the tile's valid
//   shape), converted to the destination dtype (int32 <-> int32 exactly).
// - TMOV: a's valid region into dst's (each with its own pitch); a byte copy
//   when the dtypes agree, else converted (a fixpipe L0C -> UB cast).
// - TMATMUL: fp32, M = a.vrows, K = a.vcols, N = b.vcols (b.vrows with
//   kTransposeB, b stored N x K). dst[i][j] = (accumulate ? dst[i][j] : 0) +
//   sum over k = 0..K-1 in order of a[i][k] * b[k][j], each product and sum
//   an fp32 operation.
// - Vector ops read their operands' valid regions as fp32, compute in fp32
//   and store into dst's valid region in dst's dtype. VFILLPAD is the one op
//   that writes outside the valid region: it sets the elements of rows x cols
//   outside vrows x vcols to imm (the lowest fp32 masks scores; in a bf16
//   tile it becomes -inf). VROWRED: dst[r, 0] = sum (left to right, fp32),
//   max or min of a[r, 0 .. a.vcols); VCOLRED: dst[0, c] the same down
//   a[0 .. a.vrows, c] (top to bottom). VROWEXP uses b[r, 0], VCOLEXP b[0, c];
//   VROWEXPAND and VCOLEXPAND copy a[r, 0] and a[0, c]. UnOp RECIP is 1 / x,
//   LOG the natural log, RELU max(x, 0) (NaN -> 0); BinOp MAX / MIN return a
//   when a and b compare equal or unordered (NaN). VCAST rounds to dst's
//   dtype as its isa::RoundMode says (sim/numerics.h round_to; from an int32
//   source, round_int_to from the exact integer, and int32 to int32 copies);
//   the others round to nearest even. VGATHER copies the indexed elements'
//   bytes (int32 ids stay exact); the other ops on int32 go through fp32,
//   exact up to 2^24.
// - TRESHAPE: nothing moves (dst names a's bytes).
// - SLOAD: R[reg] = the int32 element at gm_offset; SADD: R[reg] += int(imm)
//   (the engine resolves registers into gm_offset; the registers here mirror
//   them for inspection). SIGNAL / WAIT: nothing.
// Vector ops on int32 tiles compute in fp32 too (exact below 2^24).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "isa/isa.h"
#include "sim/hw_config.h"
#include "sim/sim_error.h"

namespace sim {

class FunctionalState {
 public:
  // Allocates every GM tensor (zero-filled; int32 tensors with their init
  // values when the program gives them). Local buffers are allocated on use.
  // `program` must outlive the state.
  FunctionalState(const isa::Program& program, const HwConfig& hw);
  // What the state may come to: every GM tensor (4 B per element) and, at
  // worst, every local buffer of every core. Callers refuse a run past their
  // memory limit with it before constructing.
  static uint64_t memory_bytes(const isa::Program& program, const HwConfig& hw);

  const isa::Program& program() const { return program_; }

  // Perform one instruction of core `core` (0 = cube, 1 + i = vector core i)
  // of core group `group`. gm_offset is the resolved element offset of in.gm
  // (InstrEvent::gm_offset: the static offset plus R[reg] * reg_scale).
  // Throws SimError for a tile outside its buffer or a GM access outside its
  // tensor (the timing engine rejects both earlier in a normal run).
  // `block`: the task's block index (pl.spmd), the value SBLOCK reads.
  // `gm_tensor`: the tensor the instruction's GM view touches (the task's
  // binding applied: InstrEvent::gm_tensor; without one, in.gm.tensor).
  void execute(uint32_t group, uint32_t core, const isa::Instr& in, int64_t gm_offset, uint32_t gm_tensor,
               uint32_t block = 0);

  // An int32 tensor element (TaskContext::read_int in functional mode).
  // Throws SimError for a float tensor or an element out of range.
  int64_t read_int(uint32_t tensor, int64_t elem) const;

  // Whole-tensor access. The float accessors are for bf16/fp16/fp32 tensors,
  // the int ones for int32 tensors; anything else, or a size that is not the
  // tensor's element count, throws SimError. set_float rounds every value to
  // the tensor's dtype (bf16 tensors hold bf16 values).
  bool is_int(uint32_t tensor) const;
  std::vector<float> get_float(uint32_t tensor) const;
  void set_float(uint32_t tensor, const float* data, size_t n);
  void set_float(uint32_t tensor, const std::vector<float>& v) { set_float(tensor, v.data(), v.size()); }
  std::vector<int32_t> get_int(uint32_t tensor) const;
  void set_int(uint32_t tensor, const std::vector<int32_t>& v);
  // Zero-copy views (valid until the state is destroyed).
  const float* float_data(uint32_t tensor) const;
  const int32_t* int_data(uint32_t tensor) const;

  // Inspection, for tests and debugging.
  int64_t reg(uint32_t group, uint32_t core, int r) const;
  // A tile's valid region as fp32, dense row-major (vrows x vcols).
  std::vector<float> read_tile(uint32_t group, uint32_t core, const isa::Tile& t) const;
  // Store values (dense row-major, vrows x vcols) into a tile's valid
  // region, rounding to its dtype.
  void write_tile(uint32_t group, uint32_t core, const isa::Tile& t, const std::vector<float>& v);
  // Raw bytes of a local buffer (allocated if needed); capacity from HwConfig.
  uint8_t* buffer(uint32_t group, uint32_t core, isa::Space s);
  uint32_t cores_per_group() const { return cores_per_group_; }
  uint32_t core_groups() const { return hw_.core_groups; }

 private:
  struct Core {
    std::unique_ptr<uint8_t[]> buf[isa::kNumSpaces];  // indexed by isa::Space (GM unused)
    int64_t regs[isa::kNumRegs] = {};
  };
  struct GmData {
    std::vector<float> f;    // bf16/fp16/fp32 tensors
    std::vector<int32_t> i;  // int32 tensors
  };

  Core& core_at(uint32_t group, uint32_t core, const char* what);
  const Core* core_if(uint32_t group, uint32_t core) const;
  // The tile's first byte; checks [offset, offset + bytes) against the
  // capacity, bytes = the footprint of the valid region unless given.
  uint8_t* tile_ptr(Core& c, const isa::Tile& t, const char* role, const isa::Instr* in, uint64_t bytes = 0);
  void check_gm(const isa::Instr& in, uint32_t tensor, int64_t off) const;
  std::string where(uint32_t group, uint32_t core, const isa::Instr* in) const;

  // A tile's valid region <-> dense fp32 (vrows x vcols).
  void load(const uint8_t* p, const isa::Tile& t, std::vector<float>& out) const;
  void store(uint8_t* p, const isa::Tile& t, const std::vector<float>& v) const;

  void tload(uint8_t* dst, const isa::Tile& t, uint32_t tensor, const isa::GmView& v, int64_t off);
  // `add`: gm += tile (an atomic-add store), rounded to the tensor's dtype.
  void tstore(const uint8_t* src, const isa::Tile& t, uint32_t tensor, const isa::GmView& v, int64_t off, bool add);
  void matmul(Core& c, const isa::Instr& in);
  void vector_op(Core& c, const isa::Instr& in);

  const isa::Program& program_;
  HwConfig hw_;  // a copy: only the buffer capacities and core counts are used
  uint32_t cores_per_group_;
  std::vector<GmData> gm_;
  std::vector<Core> cores_;  // group * cores_per_group_ + core
  std::vector<float> sa_, sb_, sd_;  // scratch for operands
  uint32_t cur_group_ = 0, cur_core_ = 0;  // for messages
};

}  // namespace sim
