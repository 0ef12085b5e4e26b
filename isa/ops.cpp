#include "isa/ops.h"

#include "isa/isa.h"

#include <iterator>
#include <string>
#include <vector>

namespace isa {

const char* to_string(Pipe p) {
  switch (p) {
    case Pipe::MTE2: return "MTE2";
    case Pipe::MTE1: return "MTE1";
    case Pipe::CUBE: return "CUBE";
    case Pipe::VEC: return "VEC";
    case Pipe::MTE3: return "MTE3";
    case Pipe::FIXP: return "FIXPIPE";
    case Pipe::SCALAR: return "SCALAR";
  }
  return "?";
}

namespace {

struct Sub {
  const char* name;
  CostClass cost;
};
constexpr CostClass kBin = CostClass::VecBinary, kUn = CostClass::VecUnary, kTr = CostClass::VecTranscendental;
// BinOp, UnOp and RedOp values in enum order.
constexpr Sub kBinSubs[] = {{"add", kBin}, {"sub", kBin}, {"mul", kBin}, {"div", kTr}, {"max", kBin}, {"min", kBin}};
constexpr Sub kUnSubs[] = {{"exp", kTr}, {"sqrt", kTr}, {"recip", kTr}, {"neg", kUn},
                            {"abs", kUn}, {"log", kTr},  {"relu", kUn}};
constexpr Sub kRedSubs[] = {{"sum", CostClass::VecReduce}, {"max", CostClass::VecReduce}, {"min", CostClass::VecReduce}};
constexpr CostClass kCast = CostClass::VecCast;
constexpr Sub kRoundSubs[] = {{"", kCast},      {"_round", kCast}, {"_floor", kCast},
                              {"_ceil", kCast}, {"_trunc", kCast}, {"_odd", kCast}};
static_assert(std::size(kBinSubs) == size_t(BinOp::MIN) + 1, "a name per BinOp");
static_assert(std::size(kRoundSubs) == size_t(RoundMode::ODD) + 1, "a name per RoundMode");
static_assert(std::size(kUnSubs) == size_t(UnOp::RELU) + 1, "a name per UnOp");
static_assert(std::size(kRedSubs) == size_t(RedOp::MIN) + 1, "a name per RedOp");

// One row, written as a chain of the fields that differ from the defaults.
struct Row {
  OpInfo i;
  Row(Op op, const char* stem) : i{} {
    i.op = op;
    i.stem = stem;
    i.suffix = "";
    i.arrow = true;
    i.streams = kBothStreams;
    i.a_name = "a";
    i.b_name = "b";
    i.dst_read_name = "dst";
    i.dst_use = kDstWrite;
    i.pipe = i.pipe_from_l0c = i.pipe_from_ub = Pipe::VEC;
  }
  Row& subs(SubSet s, const char* suffix = "") { i.subs = s; i.suffix = suffix; return *this; }
  Row& operands(std::initializer_list<Operand> slots) {
    for (Operand o : slots) i.slots[i.num_slots++] = o;
    return *this;
  }
  Row& no_arrow() { i.arrow = false; return *this; }
  Row& flags(uint8_t mask) { i.flag_mask = mask; return *this; }
  Row& streams(Streams s) { i.streams = s; return *this; }
  // A vector op: vec streams only, tiles in UB, on the VEC pipe.
  Row& vector(CostClass c) {
    i.streams = kVec;
    i.vector_ub = true;
    i.pipe = i.pipe_from_l0c = i.pipe_from_ub = Pipe::VEC;
    i.cost = c;
    return *this;
  }
  Row& dst(uint8_t use) { i.dst_use = use; return *this; }
  Row& gm_write() { i.gm_write = true; return *this; }
  Row& reg_read() { i.reg_read = true; return *this; }
  Row& names(const char* a, const char* b, const char* dst_read) {
    i.a_name = a;
    i.b_name = b;
    i.dst_read_name = dst_read;
    return *this;
  }
  Row& shapes(ShapeRule dst, ShapeRule a, ShapeRule b) {
    i.dst_shape = dst;
    i.a_shape = a;
    i.b_shape = b;
    return *this;
  }
  Row& dtypes(bool dst_of_a, bool b_of_a) { i.dst_dtype_of_a = dst_of_a; i.b_dtype_of_a = b_of_a; return *this; }
  Row& check(Check c) { i.check = c; return *this; }
  Row& pipe(Pipe p, Pipe from_l0c, Pipe from_ub) {
    i.pipe = p;
    i.pipe_from_l0c = from_l0c;
    i.pipe_from_ub = from_ub;
    return *this;
  }
  Row& pipe(Pipe p, Pipe from_l0c) { return pipe(p, from_l0c, p); }
  Row& pipe(Pipe p) { return pipe(p, p, p); }
  Row& cost(CostClass c, bool by_sub = false) { i.cost = c; i.cost_by_sub = by_sub; return *this; }
};

constexpr ShapeRule kAny{}, kLikeA{Dim::SameAsA, Dim::SameAsA}, kRowsOfA{Dim::SameAsA, Dim::One},
    kColsOfA{Dim::One, Dim::SameAsA};
using O = Operand;
using C = CostClass;

std::vector<OpInfo> build_table() {
  const Row rows[] = {
      Row(Op::TLOAD, "tload").operands({O::Dst, O::Gm}).check(Check::Load).pipe(Pipe::MTE2).cost(C::GmLoad),
      Row(Op::TSTORE, "tstore").operands({O::Gm, O::A}).flags(kAtomicAdd).dst(0).gm_write().names("source", "b", "dst")
          .check(Check::Store).pipe(Pipe::MTE3, Pipe::FIXP).cost(C::GmStore),
      Row(Op::TMOV, "tmov").operands({O::Dst, O::A}).names("source", "b", "dst").check(Check::Move)
          .pipe(Pipe::MTE1, Pipe::FIXP, Pipe::MTE3).cost(C::LocalMove),
      Row(Op::TMATMUL, "tmatmul").operands({O::Dst, O::A, O::B}).flags(kAccumulate | kTransposeB)
          .streams(kCube).dst(kDstWrite | kDstReadIfAcc).names("A", "B", "accumulator").check(Check::Matmul)
          .pipe(Pipe::CUBE).cost(C::Matmul),
      Row(Op::VBIN, "v").subs(SubSet::Bin).operands({O::Dst, O::A, O::B}).vector(C::VecBinary)
          .cost(C::VecBinary, true).shapes(kLikeA, kAny, kLikeA).dtypes(true, true),
      Row(Op::VBINS, "v").subs(SubSet::Bin, "s").operands({O::Dst, O::A, O::Imm}).vector(C::VecBinary)
          .cost(C::VecBinary, true).shapes(kLikeA, kAny, kAny).dtypes(true, false),
      Row(Op::VUNARY, "v").subs(SubSet::Un).operands({O::Dst, O::A}).vector(C::VecTranscendental)
          .cost(C::VecTranscendental, true).shapes(kLikeA, kAny, kAny).dtypes(true, false),
      Row(Op::VCAST, "vcast").subs(SubSet::Round).operands({O::Dst, O::A}).vector(C::VecCast)
          .shapes(kLikeA, kAny, kAny),
      Row(Op::VFILL, "vfill").operands({O::Dst, O::Imm}).vector(C::VecFill),
      Row(Op::VFILLPAD, "vfillpad").operands({O::Dst, O::Imm}).vector(C::VecFill)
          .dst(kDstRead | kDstWrite | kDstWriteWhole),
      // Writes one row (the sequence runs along the valid cols): a fill's cost.
      Row(Op::VCI, "vci").operands({O::Dst, O::Imm}).flags(kDescending).vector(C::VecFill).check(Check::Iota),
      Row(Op::VROWRED, "vrow").subs(SubSet::Red).operands({O::Dst, O::A}).vector(C::VecReduce)
          .shapes(kRowsOfA, kAny, kAny).dtypes(true, false),
      Row(Op::VROWEXP, "vrowexp").subs(SubSet::Bin).operands({O::Dst, O::A, O::B}).vector(C::VecBroadcast)
          .shapes(kLikeA, kAny, kRowsOfA).dtypes(true, true),
      Row(Op::VCOLEXP, "vcolexp").subs(SubSet::Bin).operands({O::Dst, O::A, O::B}).vector(C::VecBroadcast)
          .shapes(kLikeA, kAny, kColsOfA).dtypes(true, true),
      Row(Op::VROWEXPAND, "vrowexpand").operands({O::Dst, O::A}).vector(C::VecBroadcast)
          .shapes({Dim::SameAsA, Dim::Any}, kAny, kAny).dtypes(true, false),
      // A column reduction is elementwise ops down the rows (no reduction
      // inside a vector): a binary op's cost per repeat over a's bytes.
      Row(Op::VCOLRED, "vcol").subs(SubSet::Red).operands({O::Dst, O::A}).vector(C::VecBinary)
          .shapes(kColsOfA, kAny, kAny).dtypes(true, false),
      Row(Op::VCOLEXPAND, "vcolexpand").operands({O::Dst, O::A}).vector(C::VecBroadcast)
          .shapes({Dim::Any, Dim::SameAsA}, kAny, kAny).dtypes(true, false),
      // An estimate: an indexed read per element, costed as a binary op over
      // the widest operand (no measured figure).
      Row(Op::VGATHER, "vgather").operands({O::Dst, O::A, O::B}).vector(C::VecBinary).check(Check::Gather)
          .names("source", "indices", "dst"),
      Row(Op::TRESHAPE, "treshape").operands({O::Dst, O::A}).check(Check::Reshape).pipe(Pipe::VEC).cost(C::View),
      Row(Op::SLOAD, "sload").operands({O::Reg, O::Gm}).dst(0).check(Check::ScalarLoad).pipe(Pipe::SCALAR)
          .cost(C::ScalarLoad),
      Row(Op::SADD, "sadd").operands({O::Reg, O::Imm}).no_arrow().dst(0).reg_read().check(Check::IntImm)
          .pipe(Pipe::SCALAR).cost(C::ScalarOp),
      Row(Op::SBLOCK, "sblock").operands({O::Reg}).no_arrow().dst(0).pipe(Pipe::SCALAR).cost(C::ScalarOp),
      Row(Op::SIGNAL, "signal").operands({O::Imm}).no_arrow().dst(0).check(Check::FlagImm).pipe(Pipe::SCALAR)
          .cost(C::Signal),
      Row(Op::WAIT, "wait").operands({O::Imm}).no_arrow().dst(0).check(Check::FlagImm).pipe(Pipe::SCALAR)
          .cost(C::Wait),
  };
  std::vector<OpInfo> t;
  for (const Row& r : rows) {
    if (size_t(r.i.op) != t.size()) throw std::logic_error(std::string("op table: row ") + r.i.stem + " out of order");
    t.push_back(r.i);
  }
  if (t.size() != size_t(kNumOps)) throw std::logic_error("op table: a row per op");
  return t;
}

const Sub* subs_of(SubSet s, uint8_t* n) {
  switch (s) {
    case SubSet::Bin: *n = std::size(kBinSubs); return kBinSubs;
    case SubSet::Un: *n = std::size(kUnSubs); return kUnSubs;
    case SubSet::Red: *n = std::size(kRedSubs); return kRedSubs;
    case SubSet::Round: *n = std::size(kRoundSubs); return kRoundSubs;
    case SubSet::None: break;
  }
  *n = 0;
  return nullptr;
}

}  // namespace

const OpInfo& op_info(Op op) {
  static const std::vector<OpInfo> table = build_table();
  if (size_t(op) >= table.size()) throw ProgramError("bad opcode " + std::to_string(int(op)));
  return table[size_t(op)];
}

uint8_t num_subs(SubSet s) {
  uint8_t n;
  subs_of(s, &n);
  return n;
}

const char* sub_name(SubSet s, uint8_t sub) {
  uint8_t n;
  const Sub* t = subs_of(s, &n);
  return sub < n ? t[sub].name : "?";
}

CostClass sub_cost(SubSet s, uint8_t sub) {
  uint8_t n;
  const Sub* t = subs_of(s, &n);
  return sub < n ? t[sub].cost : CostClass::VecBinary;
}

CostClass cost_class(const Instr& in) {
  const OpInfo& o = op_info(in.op);
  return o.cost_by_sub ? sub_cost(o.subs, in.sub) : o.cost;
}

}  // namespace isa
