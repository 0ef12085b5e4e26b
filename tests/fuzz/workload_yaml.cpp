// Fuzz the workload YAML (--workload FILE): load, generate the program, and
// check it as `npusim run` does. A valid workload may describe a huge program;
// generation is bounded by libFuzzer's -timeout and -rss_limit_mb.
#include "isa/validate.h"
#include "tests/fuzz/fuzz_input.h"
#include "workloads/workload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::InputFile file;
  try {
    isa::validate_program(workloads::build_workload_file(file.write(data, size)));
  } catch (const isa::InputError&) {
  }
  return 0;
}
