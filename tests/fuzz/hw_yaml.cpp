// Fuzz the hardware YAML (--hw FILE): sim::load_hw_config, the CLI's reader.
#include "sim/hw_config.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::InputFile file;
  try {
    sim::load_hw_config(file.write(data, size));
  } catch (const isa::InputError&) {
  }
  return 0;
}
