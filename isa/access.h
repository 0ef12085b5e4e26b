// The GM an instruction touches, derived from the instruction alone: TLOAD
// reads its GM view, TSTORE writes it (an atomic-add TSTORE reads it too: two
// accesses, the read first), SLOAD reads its one element. No other op touches
// GM.
//
// A view with a register (offset + R[reg] * reg_scale) is resolved when the
// register's value is known before the run: set by an SLOAD of an element
// whose value is fixed (an int32 tensor with init values that no launched
// kernel stores to; the simulator reads the same init values in timing mode)
// and moved by SADDs. Otherwise (no init values, a tensor some task writes, a
// register no earlier SLOAD set, an SLOAD out of bounds) the offset depends
// on a run-time value and the access counts as the whole tensor: the
// simulator's bound check keeps every access inside it.
#pragma once

#include <cstdint>
#include <vector>

#include "isa/isa.h"

namespace isa {

// `rows` rows of `cols` elements of one tensor, row starts `stride` apart,
// from element `first`; or, when `whole`, every byte of the tensor.
struct GmAccess {
  uint32_t tensor = 0;
  bool write = false;
  bool whole = false;  // the offset depends on a register whose value is not known before the run
  int8_t reg = -1;     // the view's register, if any
  int64_t first = 0;   // elements; includes R[reg] * reg_scale when resolved
  uint32_t rows = 0, cols = 0, stride = 0;

  // Bytes [begin, end) from the first element to one past the last.
  GmRange hull(const Program& p) const;
  bool operator==(const GmAccess& o) const;
};

// Per tensor: are its values known before the run (int32, one init value per
// element, and no TSTORE to it by any task, through its binding)?
std::vector<bool> known_before_run(const Program& p);

// One entry per GM-touching instruction of `stream`, in order.
struct InstrAccess {
  uint32_t instr = 0;  // index in the stream
  GmAccess access;
};

// Walks `stream` tracking the registers whose values are known (`known`:
// from known_before_run). Expects a structurally valid stream (tensor
// indices in range); an unresolvable offset yields `whole`.
// `block`: the task's block index, the value an SBLOCK gives its register;
// `binding`: the task's (Program::binding_of), applied to every access.
std::vector<InstrAccess> stream_gm_accesses(const Program& p, const std::vector<Instr>& stream,
                                            const std::vector<bool>& known, uint32_t block = 0,
                                            const Binding* binding = nullptr);

}  // namespace isa
