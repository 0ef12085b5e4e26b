// The PTO importer: tile-level PTO assembly (.pto, the MLIR dialect the
// PyPTO compiler and PTOAS emit) into an isa::Program. Its own layer: it
// knows the ISA, not the simulator (no SystemC, nothing of sim/).
//
//   parse_module   a .pto file's functions (func.func), as statements with
//                  their nested regions (scf.for / scf.if bodies)
//   expand         one function with its arguments bound (GM tensors for the
//                  pointer arguments, integers for the index/integer ones)
//                  into the instruction stream of one core: scf.for is
//                  unrolled and scf.if decided, since every offset is static
//                  once the arguments of a launch are known
//   load_launch    a launch file (YAML): the .pto files, the GM tensors bound
//                  to the pointer arguments and the launches (kernel,
//                  arguments, block grid, order) into a whole program with
//                  its tasks' GM ranges and dependencies derived
//
// Everything outside the supported subset is a PtoError naming the file,
// the line and the op (never skipped). docs/pto_import.md lists the subset
// and how each op maps onto npusim's ISA.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "isa/isa.h"
#include "isa/text.h"

namespace pto {

// Bad input: "FILE:LINE: what" (exit 2 in the CLI).
struct PtoError : isa::InputError {
  using isa::InputError::InputError;
};

struct Function;  // a parsed func.func (frontends/pto/ast.h)

struct Param {
  std::string name;  // without '%'
  bool pointer = false;
  isa::DType dtype = isa::DType::FP32;  // of a pointer's elements
  std::string type;                     // as written: "!pto.ptr<bf16>", "index", "i32"
};

struct Module {
  std::string file;
  struct Func {
    std::string name;
    uint32_t line = 0;
    bool cube = false;  // pto.kernel_kind<cube>; else vector
    std::vector<Param> params;
    std::shared_ptr<const Function> body;
    // A mixed kernel's cube half: the vector function its
    // pto.import_reserved_buffer names (peer_func), launched with it.
    std::string peer;
  };
  std::vector<Func> funcs;
  const Func* find(std::string_view name) const;
};

// Throws PtoError on anything outside the supported syntax.
Module parse_module(std::string_view text, const std::string& file);

// One argument of a launch: a GM tensor (program tensor index) for a
// pointer parameter, an integer for the others.
struct Arg {
  bool tensor = false;
  uint32_t index = 0;
  int64_t value = 0;
  bool is_float = false;  // an f32 parameter's value: `real`
  double real = 0;
};

// The cube -> vector hand-off inside a mixed kernel (pto.tpush_to_aiv in
// the cube half, pto.tpop_from_aic in its vector half, which runs on two
// vector cores, each taking half the rows): what one push handed over.
struct Pushed {
  bool through_gm = false;  // A2/A3: stored to a GM slot; else (A5) the vector cores read the cube's L0C
  isa::Tile part[2];        // each vector core's half of the acc tile (L0C)
  isa::GmView slot[2];      // through GM: where each half was stored
};

// How a function takes part in a mixed kernel (docs/pto_import.md,
// "Push and pop").
struct Pipe {
  enum Role { None, Cube, Vector } role = None;
  uint32_t consumer_bytes = 0;  // Cube: the size of the vector half's reserved buffer (slot count = this / slot_size)
  int64_t subblock = 0;         // Vector: which vector core (0 or 1)
  const std::vector<Pushed>* pushed = nullptr;  // Vector: what the cube half pushed, in order
};

struct Expanded {
  std::vector<isa::Instr> instrs;
  std::vector<uint32_t> lines;  // source line of each instruction
  // Tensors read by pto.load_scalar: their init values were used at import,
  // so no launch may write them (load_launch checks).
  std::vector<uint32_t> scalar_tensors;
  std::vector<Pushed> pushed;  // Cube half: its pushes, in order
  size_t popped = 0;           // Vector half: how many tiles it popped
};

// Expands `f` with `args` (one per parameter) against the tensors of `p`.
// `site_of(line, op)` gives the site index of an instruction from that line
// of the .pto file (the caller owns the sites). `block` / `blocks` are what
// pto.get_block_idx / pto.get_block_num return. At most `max_instrs`
// instructions and `max_steps` statements executed (a runaway loop is an
// error, not a hang). `pipe`: its part in a mixed kernel (none by default).
struct SiteFn {
  virtual ~SiteFn() = default;
  virtual uint32_t operator()(uint32_t line, const std::string& op) = 0;
};
Expanded expand(const Module& m, const Module::Func& f, const std::vector<Arg>& args, const isa::Program& p,
                SiteFn& site_of, int64_t block, int64_t blocks, uint64_t max_instrs = 4000000,
                uint64_t max_steps = 50000000, const Pipe& pipe = Pipe{});

// A launch file and the .pto files it names (plus `extra_pto`, e.g. from
// --pto), into a validated program with derived dependencies. `src` gets the
// source map of the program: the .pto lines of the instructions when every
// kernel comes from one file (else only the launches' lines).
struct Imported {
  isa::Program program;
  isa::SourceMap source;
};
Imported load_launch(const std::string& launch_path, const std::vector<std::string>& extra_pto);
// The same from text (tests, fuzzing): `files` maps each .pto name the
// launch may name to its text.
Imported load_launch_text(std::string_view yaml, const std::string& launch_name,
                          const std::map<std::string, std::string>& files,
                          const std::vector<std::string>& extra_pto = {});

}  // namespace pto
