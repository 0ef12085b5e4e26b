#include "sim/cost_model.h"

#include "sim/memory_system.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace sim {

using isa::Op;

void throw_too_many_cycles(double cycles, const char* what) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g", cycles);
  throw SimError(std::string(what) + " comes to " + buf + " cycles, past the " + std::to_string(kMaxCycles) +
                 " (2^53) the model represents: a rate too slow or a size too large");
}

namespace {
uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

uint64_t engine_cycles(const EngineConfig& e, uint64_t bytes) {
  return e.setup_cycles + whole_cycles(double(bytes) / e.bytes_per_cycle, "a local move");
}
}  // namespace

uint64_t CostModel::matmul_cycles(uint32_t m, uint32_t k, uint32_t n, isa::DType in) const {
  constexpr uint64_t f = isa::kCubeFractal;
  const uint64_t fractals = ceil_div(m, f) * ceil_div(k, f) * ceil_div(n, f);
  const double slow = in == isa::DType::FP32 ? hw_.cube.fp32_slowdown : 1;
  return hw_.cube.fill_cycles + whole_cycles(double(fractals) * slow / hw_.cube.fractals_per_cycle, "a matmul");
}

uint64_t CostModel::vector_cycles(uint64_t bytes, double per_repeat) const {
  const uint64_t repeats = ceil_div(bytes, hw_.vector.width_bytes);
  return hw_.vector.head_tail_cycles + whole_cycles(double(repeats) * per_repeat, "a vector op");
}

Cost CostModel::cost(const isa::Instr& in) const {
  using isa::CostClass;
  using isa::Space;
  const isa::OpInfo& op = isa::op_info(in.op);
  Cost c;
  c.cls = isa::cost_class(in);
  // The pipe by operand a's space, where the op's row says it differs (a
  // tile the op does not take stays at its default, so ask only then).
  c.pipe = op.pipe;
  if (in.a.space == Space::L0C && op.pipe_from_l0c != op.pipe && op.uses(isa::Operand::A)) c.pipe = op.pipe_from_l0c;
  else if (in.a.space == Space::UB && op.pipe_from_ub != op.pipe && op.uses(isa::Operand::A)) c.pipe = op.pipe_from_ub;
  // Vector work covers the valid regions (all of rows x cols for a whole
  // write); the widest operand sets the repeats.
  const auto vec = [&](double per_repeat) {
    uint64_t bytes = op.dst_use & isa::kDstWriteWhole ? in.dst.bytes() : in.dst.valid_bytes();
    if (op.uses(isa::Operand::A)) bytes = std::max(bytes, in.a.valid_bytes());
    if (op.uses(isa::Operand::B)) bytes = std::max(bytes, in.b.valid_bytes());
    c.cycles = vector_cycles(bytes, per_repeat);
    return c;
  };
  const auto gm_dma = [&](DmaDir dir, const EngineConfig& e, const isa::Tile& t) {
    c.dir = dir;
    c.setup_cycles = e.setup_cycles;
    c.bytes = t.valid_bytes();
    c.cap = e.bytes_per_cycle;
    return c;
  };
  const auto& v = hw_.vector;
  switch (c.cls) {
    case CostClass::GmLoad:
      return gm_dma(DmaDir::Load, in.dst.space == Space::L1 ? hw_.dma.gm_to_l1 : hw_.dma.gm_to_ub, in.dst);
    case CostClass::GmStore:
      return gm_dma(DmaDir::Store, in.a.space == Space::L0C ? hw_.dma.l0c_to_gm : hw_.dma.ub_to_gm, in.a);
    case CostClass::LocalMove:
      if (in.a.space == Space::L0C) {
        if (!hw_.dma.l0c_to_ub_path)
          throw isa::ProgramError(isa::mnemonic(in) + " L0C->UB: hardware '" + hw_.name +
                                  "' has no L0C->UB path (dma.l0c_to_ub_path is false)");
        c.cycles = engine_cycles(hw_.dma.l0c_to_ub, in.a.valid_bytes());
        return c;
      }
      if (in.a.space == Space::UB) {  // a vector core into its group's cube L1
        if (!hw_.dma.ub_to_l1_path)
          throw isa::ProgramError(isa::mnemonic(in) + " UB->L1: hardware '" + hw_.name +
                                  "' has no UB->L1 path (dma.ub_to_l1_path is false)");
        c.cycles = engine_cycles(hw_.dma.ub_to_l1, in.a.valid_bytes());
        return c;
      }
      c.cycles = engine_cycles(in.dst.space == Space::L0A ? hw_.dma.l1_to_l0a : hw_.dma.l1_to_l0b,
                               in.a.valid_bytes());
      return c;
    case CostClass::Matmul: {
      const bool tb = in.flags & isa::kTransposeB;
      c.cycles = matmul_cycles(in.a.vrows(), in.a.vcols(), tb ? in.b.vrows() : in.b.vcols(), in.a.dtype);
      return c;
    }
    case CostClass::VecBinary: return vec(v.binary);
    case CostClass::VecUnary: return vec(v.unary);
    case CostClass::VecTranscendental: return vec(v.transcendental);
    case CostClass::VecReduce: return vec(v.reduce);
    case CostClass::VecCast: return vec(v.cast);
    case CostClass::VecFill: return vec(v.fill);
    case CostClass::VecBroadcast: return vec(v.broadcast);
    case CostClass::View: return c;  // no data moves
    case CostClass::ScalarLoad:  // costed as an L2 miss: the latency is the memory system's
      c.cycles = hw_.scalar.sload_cycles + gm_miss_latency(hw_);
      return c;
    case CostClass::ScalarOp: c.cycles = hw_.scalar.op_cycles; return c;
    case CostClass::Signal: c.cycles = hw_.scalar.flag_cycles; return c;
    case CostClass::Wait: return c;  // lasts until its flag is posted, no longer
  }
  return c;
}

}  // namespace sim
