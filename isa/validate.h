// Structural checks of an isa::Program: operand spaces and shapes per op,
// which stream may run which op, tensor/kernel/site/task indices, static GM
// bounds; and that each task's declared reads/writes cover the GM its
// instructions touch (isa/access.h), since task dependencies are derived from
// them. Hardware capacities (buffer sizes, core counts) and GM bounds that
// depend on register values are left to the simulator.
#pragma once

#include "isa/isa.h"
#include "isa/text.h"

namespace isa {

// Throws ProgramError at the first broken rule (in program order: a host with
// two threads checks a program in two parts at once, and the first part's
// error wins). The message names where:
//   task 3, kernel 1 'rmsnorm', vec 0, instr 5 'vadd' (site 2 "rmsnorm: add"): b is 16x32 but dst
//   is 16x64
// (a kernel no task launches is named "kernel 1 'rmsnorm' (not launched)").
// With `src` (from parse_program), messages start with "FILE:LINE: ".
//
// An instruction touching GM outside its task's declared ranges (a TLOAD or
// SLOAD outside reads=, a TSTORE outside writes=) is reported at the task:
//   prog.txt:21: task 1, kernel 1 'consume', vec 0, instr 0 'tload' (site 1 "consume: z = y",
//   line 16): reads y:0..16384, but y:128..16384 is not in the task's reads=[...]
void validate_program(const Program& p, const SourceMap* src = nullptr);

}  // namespace isa
