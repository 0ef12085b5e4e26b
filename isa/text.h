// Text form of an isa::Program: a line-oriented, human-readable dump that
// parses back to the identical program. docs/text_format.md is the user's
// guide, with a program per construct (a test runs each).
//
//   # npusim program v1
//   tensor x [4,8] fp32 in
//   tensor pos [1] int32 in init=[3]
//   tensor y [4,8] fp32 out
//   site 0 "k: load x"
//   site 1 "k: store y"
//   kernel 0 k
//     cube
//     vec 0
//       sload R0 <- pos[0+1x1/1] @0
//       tload UB[0+4x8 fp32 valid=3x8] <- x[0+4x8/8] @0
//       vadds UB[128+4x8 fp32] <- UB[0+4x8 fp32 valid=3x8] 0.5 @0
//       tstore y[0+1x8/8 +R0*8] <- UB[128+1x8 fp32] @1
//     vec 1
//   end
//   task 0 kernel=0 site=0 deps=[] reads=[x:0..128,pos:0..4] writes=[y:0..128]
//
// Guarantees: parse_program(print_program(p)) == p, and printing the result
// again gives the same bytes, for every program: fields an op does not take
// are printed as `key=value` extras when they are not default, and indices
// out of range are printed as they are (validate_program rejects them). The
// one exception is a NaN immediate: it round-trips, but NaN != NaN.
//
// Grammar. One item per line; blank lines and lines whose first non-blank
// character is '#' are ignored; indentation and repeated blanks are free.
//
//   tensor := "tensor" NAME "[" dims "]" DTYPE KIND (" init=[" int,* "]")? (" role=" ROLE)?
//             ROLE: data (default) | weight | gain | cache | rope_cos | rope_sin
//             KIND: in | out | inout | scratch        DTYPE: bf16 | fp16 | fp32 | int32
//   site   := "site" INDEX STRING
//   kernel := "kernel" INDEX NAME, then ("cube", instrs)?, ("vec" INDEX, instrs)*, "end"
//             (each on its own line; vec indices count up from 0; "cube" may be
//             left out when the cube stream is empty, and comes before any "vec";
//             the printer always writes it)
//   binding := "binding" INDEX (TENSOR "=" TENSOR (("+"|"-") N)?)*   a task's
//             kernel touches the right-hand tensor wherever it names the
//             left-hand one, every view moved by N elements (isa.h, Binding);
//             the tensors not listed stand for themselves
//   task   := "task" INDEX "kernel="K "site="S ("block="B"/"N)? ("binding="BI)?
//             "deps=[" T,* "]" "reads=[" RANGE,* "]" "writes=[" RANGE,* "]"
//             (fields in any order; kernel= and site= required; a missing list
//             is empty)
//   RANGE  := TENSOR ":" BEGIN ".." END                 GM bytes [BEGIN, END)
//
// Tasks: reads= and writes= declare the GM a task touches; deps= lists
// earlier tasks it must wait for. What is checked and what is derived (by
// validate_program and derive_task_deps, which `npusim run/disasm --program`
// apply after parsing; parse_program itself keeps the fields as written):
//   - checked: reads= must cover every byte each tload and sload of the task's
//     kernel reads, writes= every byte each tstore writes (isa/access.h). A
//     view offset by a register is resolved when the register's value is known
//     before the run (an sload of an int32 tensor with init values that no
//     task stores to, plus sadds); otherwise it counts as the whole tensor. An
//     access outside them is an error at the task's line, naming the kernel,
//     stream, instruction, site and the uncovered range. Ranges may be wider
//     than the accesses (e.g. a hull).
//   - derived: deps gains the last earlier writer of each byte this task
//     reads or writes (read-after-write, write-after-write; an earlier writer
//     that a later one overwrote is reached through it). deps=[...] may be
//     omitted; the ones given are kept, so a dependency that is not through GM
//     can still be forced. disasm prints the resulting deps.
//   instr  := MNEMONIC OPERANDS FLAGWORD* EXTRA* "@" SITE
//   TILE   := SPACE "[" OFFSET "+" ROWS "x" COLS " " DTYPE (" valid=" VROWS "x" VCOLS)? "]"
//             SPACE: GM | L1 | L0A | L0B | L0C | UB; valid= printed when either is nonzero
//   VIEW   := TENSOR "[" OFFSET "+" ROWS "x" COLS "/" ROW_STRIDE (" +R" REG "*" SCALE)? "]"
//             OFFSET in elements, may be negative; the R part is printed when reg != -1
//   TENSOR := NAME | "$" INDEX         ($INDEX when no unique name identifies the tensor)
//   NAME   := [A-Za-z_][A-Za-z0-9_.]* | STRING
//   STRING := '"' ... '"' with escapes \" \\ \n \t \xHH
//   INDEX  := 0, 1, 2, ... in order of appearance (sites, kernels, tasks each count)
//
// Operands per op (D = destination tile, A/B = source tiles, G = VIEW,
// R = "R<n>" scalar register, I = immediate float): each op's printed form is
// next to it in the Op enum of isa/ops.h, e.g. "tmatmul D <- A B [acc] [tb]"
// (flag words: acc = kAccumulate, tb = kTransposeB), "vrow<red> D <- A",
// "sadd R I"; <bin> is add sub mul div max min, <un> exp sqrt recip neg abs,
// <red> sum max. `npusim disasm` of any shipped workload shows them in use.
//
// EXTRA := ("sub=" | "flags=" | "reg=" | "imm=") NUMBER | ("dst=" | "a=" | "b=") TILE
//          | "gm=" VIEW. Only for fields the op does not take (programs from the
//          builder never have them); "sub=" overrides the mnemonic's sub-op and
//          "flags=" ORs into the flag words.
//
// Immediates print as the shortest decimal that reads back to the same float
// ("0", "1", "0.5", "-3.4028235e+38", "1e-45", "inf", "-0").
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "isa/isa.h"
#include "isa/ops.h"

namespace isa {


std::string print_program(const Program& p);

// Where a parsed program's items came from, for the messages of
// validate_program and of the simulator's run-time checks (sim::RunOptions).
// Line numbers count from 1; 0 means unknown.
struct SourceMap {
  std::string file;
  std::vector<uint32_t> tensors, bindings, tasks;  // line of each tensor / binding / task
  // Per kernel, per stream (0: cube, 1 + i: vec i), the line of each instruction.
  std::vector<std::vector<std::vector<uint32_t>>> instrs;

  uint32_t instr(uint32_t kernel, int stream, size_t i) const;  // 0 when unknown
  uint32_t task(size_t t) const;                                // 0 when unknown
  // "FILE:LINE: ", what a message about the item on `line` starts with; ""
  // for line 0 (unknown).
  std::string at(uint32_t line) const;
};

// Throws ProgramError("<filename>:<line>: <what is wrong>") on bad input.
// Only the syntax and tensor names are checked here; run validate_program
// for the ISA rules (with `map`, its messages carry file:line too).
Program parse_program(std::string_view text, const std::string& filename, SourceMap* map = nullptr);

}  // namespace isa
