// What one instruction costs on the configured hardware: which pipe it
// occupies and for how long, or, for a GM DMA, the parameters the shared
// bandwidth model needs (the memory system, memory_system.h, decides what
// its bytes cost beyond the engine). Plain C++ (no SystemC); unit-tested by hand counts.
#pragma once

#include <cstdint>

#include "isa/isa.h"
#include "isa/ops.h"
#include "sim/hw_config.h"
#include "sim/sim_error.h"

namespace sim {

// The pipes of a core are the ISA's (isa/ops.h: each op's row names its pipe).
using isa::kNumPipes;
using isa::Pipe;
using isa::to_string;

// The longest simulated time the model represents: SystemC time is a uint64
// count of picoseconds and one cycle is 1000 of them (npu.cpp), so time ends
// at 1.8e16 cycles; 2^53 (9.0e15, ~56 days at 1.85 GHz) keeps every cycle
// count exact in a double too. `npusim run --max-cycles` sets a lower limit.
constexpr uint64_t kMaxCycles = uint64_t(1) << 53;

// A duration computed in floating point, as whole cycles (rounded up; a
// part under 1e-9 of a cycle is rounding, not a cycle). Throws SimError
// naming `what` when it is not a number or exceeds kMaxCycles (a rate so
// slow, or a size so large, that the time overflows).
[[noreturn]] void throw_too_many_cycles(double cycles, const char* what);
inline uint64_t whole_cycles(double cycles, const char* what) {
  const double x = cycles - 1e-9;
  if (!(x > 0)) {
    if (x <= 0) return 0;
    throw_too_many_cycles(cycles, what);  // NaN
  }
  if (!(x <= double(kMaxCycles))) throw_too_many_cycles(cycles, what);
  // ceil(x) for 0 < x <= 2^53: the integer part, and one more for a
  // fraction (the conversion truncates; every integer here is a double).
  const uint64_t i = uint64_t(x);
  return i + (double(i) < x);
}

// Direction of a DMA for the report.
enum class DmaDir : uint8_t { None, Load, Store };

struct Cost {
  Pipe pipe = Pipe::SCALAR;
  DmaDir dir = DmaDir::None;
  isa::CostClass cls = isa::CostClass::ScalarOp;  // isa::cost_class of the instruction, for counting
  uint64_t cycles = 0;        // a local op's whole duration (0 for a GM DMA)
  uint64_t setup_cycles = 0;  // a GM DMA's engine setup, before its bytes move
  uint64_t bytes = 0;         // bytes the instruction moves (view size), for counting
  double cap = 0;             // GM DMAs: engine bytes/cycle
  bool gm_dma() const { return dir != DmaDir::None; }
};

class CostModel {
 public:
  explicit CostModel(const HwConfig& hw) : hw_(hw) {}

  // Throws isa::ProgramError for an op the hardware cannot run (TMOV
  // L0C->UB or UB->L1 without the path).
  Cost cost(const isa::Instr& in) const;

  // Cube cycles for an M x K x N matmul: fill + fractals / rate.
  uint64_t matmul_cycles(uint32_t m, uint32_t k, uint32_t n, isa::DType in) const;
  // Vector cycles: issue + ceil(ceil(bytes / width) * per-repeat factor).
  uint64_t vector_cycles(uint64_t bytes, double per_repeat) const;

 private:
  const HwConfig& hw_;
};

}  // namespace sim
