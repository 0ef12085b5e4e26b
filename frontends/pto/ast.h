// The parsed form of a .pto function body (internal to frontends/pto).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace pto {

// An operand: an SSA value ("%c16") or an integer literal written in place.
struct Operand {
  std::string name;  // with '%'; empty for a literal
  int64_t literal = 0;
};

struct Stmt;
using Block = std::vector<Stmt>;

struct Stmt {
  uint32_t line = 0;
  std::string op;                    // "arith.addi", "pto.tload", "scf.for", "scf.if", "scf.yield", "return"
  std::vector<std::string> results;  // "%x"; a multi-result "%r:2" gives "%r#0", "%r#1"
  std::vector<Operand> args;         // operands in order (pto ops: ins, then outs)
  size_t n_ins = 0;                  // pto ops: args[0, n_ins) are ins, the rest outs
  std::vector<std::string> types;    // pto ops: the types of ins then outs; arith: the result type
  std::map<std::string, std::vector<Operand>> lists;  // shape, strides, offsets, sizes
  std::map<std::string, Operand> named;               // alloc_tile: addr, valid_row, valid_col; pipe ops' (key = %v)
  std::map<std::string, std::string> attrs;           // push/pop ops: {key = value}, values as written
  std::string attr;                  // arith.constant: the literal; arith.cmpi: the predicate
  std::vector<Block> regions;        // scf.for: body; scf.if: then (, else)
  std::vector<Operand> iter_init;    // scf.for iter_args: initial values
  std::vector<std::string> iter_args;  // scf.for iter_args: the names inside the body
  std::string iv;                    // scf.for: the induction variable
};

struct Function {
  Block body;
};

}  // namespace pto
