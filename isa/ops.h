// The op table: what the ISA says about each instruction, one row per op.
//
// Everything that is a fact about an op rather than about its numbers lives
// in its row: the operands and how they print, which are read and written,
// the streams and buffers it may use, its shape and dtype rules, the pipe it
// runs on and the class of formula that prices it. The printer and parser
// (isa/text.cpp), validation (isa/validate.cpp), GM access derivation
// (isa/access.cpp), the engine's hazard sets (sim/core_engine.cpp), the cost
// model's pipe and formula choice (sim/cost_model.cpp) and the statistics
// (sim/stats.cpp, by cost class) all read it. What is left per op elsewhere
// is its numerics (sim/functional.cpp) and, for a new cost class, its formula.
// docs/architecture.md, "How to add an op".
#pragma once

#include <array>
#include <cstdint>

namespace isa {

struct Instr;

// Each op with its printed form (isa/text.h) and what it does.
enum class Op : uint8_t {
  TLOAD,       // tload D <- G            dst(L1|UB) <- gm                        [MTE2]
  TSTORE,      // tstore G <- A [atomic_add]   gm <- a(UB|L0C), or gm += a       [MTE3 / FIXPIPE]
  TMOV,        // tmov D <- A             L1->L0A/L0B [MTE1]; L0C->UB [FIXPIPE], UB->L1 [MTE3] (if the hw has them)
  TMATMUL,     // tmatmul D <- A B [acc] [tb]   dst(L0C) (+)= a(L0A) x b(L0B)     [CUBE]
  VBIN,        // v<bin> D <- A B         dst = a (sub: BinOp) b                  [VEC]
  VBINS,       // v<bin>s D <- A I        dst = a (sub: BinOp) imm
  VUNARY,      // v<un> D <- A            dst = (sub: UnOp) a
  VCAST,       // vcast<rm> D <- A        dst = a converted to dst.dtype, rounded as sub: RoundMode says
  VFILL,       // vfill D <- I            dst = imm
  VFILLPAD,    // vfillpad D <- I         dst elements outside dst's valid rows/cols = imm (in place)
  VCI,         // vci D <- I [desc]       dst[0,c] = imm + c (desc: imm - c) over dst's valid cols, int32 (pto-isa TCI)
  VROWRED,     // vrow<red> D <- A        dst[r,0] = reduce(sub: RedOp) over a[r,:]
  VROWEXP,     // vrowexp<bin> D <- A B   dst[r,c] = a[r,c] (sub: BinOp) b[r,0]   (row_expand_*)
  VCOLEXP,     // vcolexp<bin> D <- A B   dst[r,c] = a[r,c] (sub: BinOp) b[0,c]   (col_expand_*)
  VROWEXPAND,  // vrowexpand D <- A       dst[r,c] = a[r,0]: a row broadcast (pto-isa TROWEXPAND)
  VCOLRED,     // vcol<red> D <- A        dst[0,c] = reduce(sub: RedOp) over a[:,c], down the rows in order
  VCOLEXPAND,  // vcolexpand D <- A       dst[r,c] = a[0,c]: a column broadcast (pto-isa TCOLEXPAND)
  VGATHER,     // vgather D <- A B        dst[r,c] = a's element b[r,c] (int32, counted row-major with a's cols
               //                         as the pitch; it must lie in a's valid region) (pto-isa TGATHER)
  TRESHAPE,    // treshape D <- A         dst is a re-shaped view of a's bytes (no data moves, no cost)
  SLOAD,       // sload R <- G            R[reg] = gm (one element)               [SCALAR]
  SADD,        // sadd R I                R[reg] += int(imm)
  SBLOCK,      // sblock R                R[reg] = the task's block index (pl.spmd; 0 for a plain task)
  SIGNAL,      // signal I                post flag int(imm) to the task's flag board, after all earlier instructions
  WAIT,        // wait I                  consume flag int(imm); later instructions wait for it
};
constexpr int kNumOps = int(Op::WAIT) + 1;

enum class BinOp : uint8_t { ADD, SUB, MUL, DIV, MAX, MIN };
enum class UnOp : uint8_t { EXP, SQRT, RECIP, NEG, ABS, LOG, RELU };  // LOG: natural; RELU: max(a, 0)
enum class RedOp : uint8_t { SUM, MAX, MIN };
// How VCAST rounds a value its dtype cannot hold (pto-isa / AscendC RoundMode):
// to nearest, ties to even (the default, printed as plain vcast); to nearest,
// ties away from zero; toward -inf; toward +inf; toward zero; to odd (the
// neighbour whose last bit is 1).
enum class RoundMode : uint8_t { RINT, ROUND, FLOOR, CEIL, TRUNC, ODD };

// kAtomicAdd: a TSTORE adds its tile to the GM it names (a read-modify-write
// in the memory system) instead of overwriting it, as pto-isa's atomic store.
// kDescending: VCI counts down.
enum InstrFlags : uint8_t { kAccumulate = 1, kTransposeB = 2, kAtomicAdd = 4, kDescending = 8 };

// The operands an op takes, in printed order; validation requires the rest
// of an Instr's fields to stay at their defaults.
enum class Operand : uint8_t { Dst, A, B, Gm, Reg, Imm };

// The pipes of a core. Each runs its instructions in order, one at a time;
// all of a core's pipes run concurrently.
enum class Pipe : uint8_t { MTE2, MTE1, CUBE, VEC, MTE3, FIXP, SCALAR };
constexpr int kNumPipes = int(Pipe::SCALAR) + 1;
const char* to_string(Pipe p);

// The cube's unit of work: a 16x16x16 fractal of bf16/fp16 (a matmul costs
// ceil(M/16) x ceil(K/16) x ceil(N/16) of them). Programs split K on it too.
constexpr uint32_t kCubeFractal = 16;

// Which formula prices an op (sim/cost_model.cpp implements one per class).
// Statistics follow the class too: GM loads and stores count as DMAs,
// ScalarLoad as a scalar read, Matmul as cube time and flops, Vec* as vector
// time.
enum class CostClass : uint8_t {
  GmLoad, GmStore,  // a GM DMA: its engine's setup, then the shared GM bandwidth
  LocalMove,        // L1 -> L0A/L0B, L0C -> UB or UB -> L1: setup + bytes / the engine's rate
  Matmul,           // fill + 16x16x16 fractals / rate
  VecBinary, VecUnary, VecTranscendental, VecReduce, VecCast, VecFill, VecBroadcast,  // issue + repeats x factor
  View,             // no data moves: free
  ScalarLoad,       // one GM element into a register
  ScalarOp,         // a register op
  Signal,           // posts a flag; the hand-off time
  Wait,             // lasts until its flag is posted, no longer
};

// Whether an op takes a sub-op (`Instr::sub`) and from which set.
enum class SubSet : uint8_t { None, Bin, Un, Red, Round };

// Op-specific checks beyond the table's generic ones (isa/validate.cpp).
enum class Check : uint8_t { None, Load, Store, Move, Matmul, Reshape, ScalarLoad, IntImm, FlagImm, Iota, Gather };

// A tile operand's expected valid shape, per dimension, relative to operand a.
enum class Dim : uint8_t { Any, SameAsA, One };
struct ShapeRule {
  Dim rows = Dim::Any, cols = Dim::Any;
};

// How the destination tile is used (bits).
enum DstUse : uint8_t {
  kDstWrite = 1,          // writes its valid region
  kDstRead = 2,           // reads it first (in place)
  kDstReadIfAcc = 4,      // reads it first when the instruction has kAccumulate
  kDstWriteWhole = 8,     // writes all of rows x cols, not only the valid region
};

// Which tile operands an op may use on which stream.
enum Streams : uint8_t { kCube = 1, kVec = 2, kBothStreams = 3 };

struct OpInfo {
  Op op;
  // Mnemonic: `stem` alone, or stem + the sub-op's name + `suffix`.
  const char* stem;
  SubSet subs;
  const char* suffix;
  uint8_t flag_mask;  // InstrFlags the op takes
  bool arrow;         // slots[0] is a destination, printed "slots[0] <- rest"
  uint8_t num_slots;
  std::array<Operand, 3> slots;
  Streams streams;
  bool vector_ub;     // a vector op: every tile operand in UB
  // Hazards: what is read and written.
  uint8_t dst_use;    // DstUse bits (when Dst is a slot)
  bool gm_write;      // the GM view is written (else read)
  bool reg_read;      // the register is read before it is written
  // Operand names in messages ("a", "source", "accumulator").
  const char* a_name;
  const char* b_name;
  const char* dst_read_name;
  // Shapes and dtypes (vector ops; the rest go by `check`).
  ShapeRule dst_shape, a_shape, b_shape;
  bool dst_dtype_of_a, b_dtype_of_a;  // must have a's dtype
  Check check;
  // Timing.
  Pipe pipe;
  Pipe pipe_from_l0c;  // when operand a is in L0C (FIXPIPE moves it)
  Pipe pipe_from_ub;   // when operand a is in UB (a vector op: VEC; a store or UB -> L1 move: MTE3)
  CostClass cost;
  bool cost_by_sub;    // the sub-op's class (e.g. vdiv is transcendental) overrides `cost`

  bool uses(Operand o) const {
    for (int i = 0; i < num_slots; ++i)
      if (slots[i] == o) return true;
    return false;
  }
};

// The row of `op`; throws ProgramError for a value outside the enum.
const OpInfo& op_info(Op op);

// Number of sub-ops in a set (0 for None), a sub-op's name and cost class.
uint8_t num_subs(SubSet s);
const char* sub_name(SubSet s, uint8_t sub);
CostClass sub_cost(SubSet s, uint8_t sub);

// The class that prices `in` (the row's, or its sub-op's).
CostClass cost_class(const Instr& in);

}  // namespace isa
