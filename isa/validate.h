// Structural checks of an isa::Program: operand spaces and shapes per op,
// which stream may run which op, tensor/kernel/site/task indices, static GM
// bounds. Hardware capacities (buffer sizes, core counts) and anything that
// depends on register values are left to the simulator.
#pragma once

#include "isa/isa.h"

namespace isa {

// Throws ProgramError at the first broken rule. The message names where:
//   task 3, kernel 1 'rmsnorm', vec 0, instr 5 'vadd' (site 2 "rmsnorm: add"): b is 16x32 but dst
//   is 16x64
// (a kernel no task launches is named "kernel 1 'rmsnorm' (not launched)").
void validate_program(const Program& p);

}  // namespace isa
