#include "sim/cost_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace sim {

using isa::Op;

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

uint64_t whole_cycles(double cycles, const char* what) {
  const double c = std::ceil(cycles - 1e-9);
  if (!(c <= double(kMaxCycles))) {  // also NaN
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3g", cycles);
    throw SimError(std::string(what) + " comes to " + buf + " cycles, past the " + std::to_string(kMaxCycles) +
                   " (2^53) the model represents: a rate too slow or a size too large");
  }
  return c <= 0 ? 0 : uint64_t(c);
}

namespace {
uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

uint64_t engine_cycles(const EngineConfig& e, uint64_t bytes) {
  return e.setup_cycles + whole_cycles(double(bytes) / e.bytes_per_cycle, "a local move");
}
}  // namespace

uint64_t CostModel::burst_rounded(const isa::GmView& v, isa::DType t) const {
  const uint64_t burst = hw_.dma.burst_bytes;
  const uint64_t row = uint64_t(v.cols) * isa::dtype_bytes(t);
  if (v.contiguous()) return ceil_div(row * v.rows, burst) * burst;
  return uint64_t(v.rows) * ceil_div(row, burst) * burst;
}

uint64_t CostModel::matmul_cycles(uint32_t m, uint32_t k, uint32_t n, isa::DType in) const {
  const uint64_t fractals = ceil_div(m, 16) * ceil_div(k, 16) * ceil_div(n, 16);
  const double slow = in == isa::DType::FP32 ? hw_.cube.fp32_slowdown : 1;
  return hw_.cube.fill_cycles + whole_cycles(double(fractals) * slow / hw_.cube.fractals_per_cycle, "a matmul");
}

uint64_t CostModel::vector_cycles(uint64_t bytes, double per_repeat) const {
  const uint64_t repeats = ceil_div(bytes, hw_.vector.width_bytes);
  return hw_.vector.head_tail_cycles + whole_cycles(double(repeats) * per_repeat, "a vector op");
}

Cost CostModel::cost(const isa::Instr& in) const {
  Cost c;
  const auto& v = hw_.vector;
  auto vec = [&](double factor, uint64_t bytes) {
    c.pipe = Pipe::VEC;
    c.cycles = vector_cycles(bytes, factor);
    return c;
  };
  // Vector work covers the valid regions; the widest operand sets the repeats.
  const uint64_t ab = std::max<uint64_t>(in.dst.valid_bytes(), in.a.valid_bytes());
  switch (in.op) {
    case Op::TLOAD: {
      const EngineConfig& e = in.dst.space == isa::Space::L1 ? hw_.dma.gm_to_l1 : hw_.dma.gm_to_ub;
      c.pipe = Pipe::MTE2;
      c.dir = DmaDir::Load;
      c.cycles = e.setup_cycles;
      c.bytes = in.dst.valid_bytes();
      c.burst_bytes = burst_rounded(in.gm, in.dst.dtype);
      c.cap = e.bytes_per_cycle;
      return c;
    }
    case Op::TSTORE: {
      const bool from_l0c = in.a.space == isa::Space::L0C;
      const EngineConfig& e = from_l0c ? hw_.dma.l0c_to_gm : hw_.dma.ub_to_gm;
      c.pipe = from_l0c ? Pipe::FIXP : Pipe::MTE3;
      c.dir = DmaDir::Store;
      c.cycles = e.setup_cycles;
      c.bytes = in.a.valid_bytes();
      c.burst_bytes = burst_rounded(in.gm, in.a.dtype);
      c.cap = e.bytes_per_cycle;
      return c;
    }
    case Op::TMOV: {
      if (in.a.space == isa::Space::L0C) {
        if (!hw_.dma.l0c_to_ub_path)
          throw isa::ProgramError("tmov L0C->UB: hardware '" + hw_.name +
                                  "' has no L0C->UB path (dma.l0c_to_ub_path is false)");
        c.pipe = Pipe::FIXP;
        c.cycles = engine_cycles(hw_.dma.l0c_to_ub, in.a.valid_bytes());
        return c;
      }
      c.pipe = Pipe::MTE1;
      c.cycles = engine_cycles(in.dst.space == isa::Space::L0A ? hw_.dma.l1_to_l0a : hw_.dma.l1_to_l0b,
                               in.a.valid_bytes());
      return c;
    }
    case Op::TMATMUL: {
      const bool tb = in.flags & isa::kTransposeB;
      c.pipe = Pipe::CUBE;
      c.cycles = matmul_cycles(in.a.vrows(), in.a.vcols(), tb ? in.b.vrows() : in.b.vcols(), in.a.dtype);
      return c;
    }
    case Op::VBIN:
    case Op::VBINS:
      return vec(isa::BinOp(in.sub) == isa::BinOp::DIV ? v.transcendental : v.binary,
                 std::max<uint64_t>(ab, in.b.valid_bytes()));
    case Op::VUNARY: {
      const auto u = isa::UnOp(in.sub);
      return vec(u == isa::UnOp::NEG || u == isa::UnOp::ABS ? v.unary : v.transcendental, ab);
    }
    case Op::VCAST: return vec(v.cast, ab);
    case Op::VFILL: return vec(v.fill, in.dst.valid_bytes());
    case Op::VFILLPAD: return vec(v.fill, in.dst.bytes());  // the whole tile
    case Op::VROWRED: return vec(v.reduce, ab);
    case Op::VROWEXP:
    case Op::VCOLEXP: return vec(v.broadcast, ab);
    case Op::TRESHAPE: c.pipe = Pipe::VEC; return c;  // a view: no data moves
    case Op::SLOAD: c.cycles = hw_.scalar.sload_cycles; return c;
    case Op::SADD: c.cycles = hw_.scalar.op_cycles; return c;
    case Op::SIGNAL:
    case Op::WAIT: c.cycles = hw_.scalar.flag_cycles; return c;
  }
  return c;
}

}  // namespace sim
