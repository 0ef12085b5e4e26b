// The hardware a workload generator lays its program out for (a plain
// description: workloads/ knows no simulator; tools/cli fills it from the
// hardware config).
#pragma once

#include <cstdint>
#include <string>

#include "isa/isa.h"

namespace workloads {

// What a generated program may assume of the core group it will run on: the
// local buffer capacities it allocates against (bytes), the vector cores it
// may use, whether the cube and the vector cores can hand results to each
// other on chip.
// `npusim run` fills it from the hardware config; workloads know no simulator.
// Defaults: a2a3's core group.
struct Target {
  std::string name = "a2a3";  // the hardware, for messages
  uint32_t l1 = 512 * 1024, l0a = 64 * 1024, l0b = 64 * 1024, l0c = 128 * 1024, ub = 192 * 1024;
  uint32_t vector_cores = 2;
  bool l0c_to_ub = false;  // a TMOV L0C -> UB path (a5); without it cube results cross GM
  bool ub_to_l1 = false;   // a TMOV UB -> L1 path (a5): a vector core writes its group's cube L1;
                           // without it vector results reach the cube through GM
  uint32_t capacity(isa::Space s) const;
};

}  // namespace workloads
