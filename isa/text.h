// Text form of an isa::Program: a line-oriented, human-readable dump that
// parses back to the identical program.
//
//   print_program(p) -> text,  parse_program(text, file) -> p
//
// Guarantees: parse_program(print_program(p)) == p and printing that again
// gives the same bytes, for every program (unused operand fields that are
// not default are printed as `key=value` extras, indices that are out of
// range are printed as they are and left to validate_program). The only
// exception is a NaN immediate: it round-trips, but NaN != NaN.
//
// Grammar (one item per line; blank lines and lines starting with '#' are
// ignored; tokens are separated by spaces; indentation is free):
//
//   program  := header? (tensor | site | kernel | task)*
//   tensor   := "tensor" NAME "[" int,* "]" DTYPE KIND ("init=[" int,* "]")?
//   site     := "site" INDEX STRING
//   kernel   := "kernel" INDEX NAME NL "cube" NL instr* ("vec" INDEX NL instr*)* "end"
//   task     := "task" INDEX "kernel=" N "site=" N "deps=[" N,* "]"
//               "reads=[" range,* "]" "writes=[" range,* "]"
//   range    := TENSOR ":" begin ".." end                 (bytes, [begin, end))
//   instr    := MNEMONIC operands word* extra* "@" SITE
//   tile     := SPACE "[" offset "+" ROWS "x" COLS " " DTYPE (" valid=" VR "x" VC)? "]"
//   view     := TENSOR "[" offset "+" ROWS "x" COLS "/" STRIDE (" +R" reg "*" scale)? "]"
//   TENSOR   := NAME | "$" index           ($index only for an index that has no unique name)
//   NAME     := [A-Za-z_][A-Za-z0-9_.]* | STRING
//   STRING   := '"' chars with \" \\ \n \t \xHH escapes '"'
//
// Operands per op (D = destination tile, A/B = source tiles, G = view,
// R = "R<n>" scalar register, I = immediate float):
//
//   tload D <- G          tstore G <- A          tmov D <- A
//   tmatmul D <- A B [acc] [tb]
//   v<bin> D <- A B       v<bin>s D <- A I       v<un> D <- A     vcast D <- A
//   vfill D <- I          vfillpad D <- I        vrow<red> D <- A
//   vrowexp<bin> D <- A B vcolexp<bin> D <- A B  treshape D <- A
//   sload R <- G          sadd R I               signal I         wait I
//
// extra := ("sub=" | "flags=" | "reg=" | "imm=") number | ("dst=" | "a=" | "b=") tile
//          | "gm=" view    -- only for fields the op does not use (never in
//          programs from the builder); "flags=" ORs into the flag words.
//
// Immediates print as the shortest decimal that reads back to the same
// float ("0", "1", "0.5", "-3.4028235e+38", "inf").
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "isa/isa.h"

namespace isa {

// The operands an op takes, in printed order; shared by the printer, the
// parser and validate_program (which requires the other fields to be default).
enum class Operand : uint8_t { Dst, A, B, Gm, Reg, Imm };

struct OpSignature {
  uint8_t num_subs = 0;   // how many BinOp/UnOp/RedOp values `sub` takes; 0: unused
  uint8_t flag_mask = 0;  // InstrFlags the op takes
  bool arrow = false;     // slots[0] is a destination, printed "slots[0] <- rest"
  uint8_t num_slots = 0;
  std::array<Operand, 3> slots{};

  bool uses(Operand o) const {
    for (int i = 0; i < num_slots; ++i)
      if (slots[i] == o) return true;
    return false;
  }
};

const OpSignature& op_signature(Op op);

std::string print_program(const Program& p);

// Throws ProgramError("<filename>:<line>: <what is wrong>") on bad input.
// Only the syntax and tensor names are checked here; run validate_program
// for the ISA rules.
Program parse_program(std::string_view text, const std::string& filename);

}  // namespace isa
