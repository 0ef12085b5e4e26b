// Fuzz the program text format (npusim run --program): parse, then the ISA
// rules. A program that parses must print and parse back to the same text
// (isa/text.h: print(parse(print(p))) == print(p), NaN immediates included).
#include "isa/text.h"
#include "isa/validate.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  isa::Program p;
  try {
    p = isa::parse_program(text, "fuzz.txt");
  } catch (const isa::InputError&) {
    return 0;
  }
  const std::string printed = isa::print_program(p);
  isa::Program q;
  try {
    q = isa::parse_program(printed, "printed");
  } catch (const isa::InputError& e) {
    fuzz::fail(std::string("the printed program does not parse: ") + e.what() + "\n" + printed);
  }
  if (isa::print_program(q) != printed) fuzz::fail("printing the parsed printed program differs:\n" + printed);
  try {
    isa::validate_program(p);
  } catch (const isa::InputError&) {
  }
  return 0;
}
