// The SystemC model: core groups, the shared GM, the task scheduler.
// SystemC stays in npu.cpp; the policies it drives are plain C++
// (Dispatcher, CoreEngine, SharedBandwidth, Stats).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "isa/isa.h"
#include "sim/hw_config.h"
#include "sim/sim_error.h"

namespace sim {

struct RunOptions {
  std::string trace_path;  // empty: no trace
};

struct RunResult {
  uint64_t total_cycles = 0;
  nlohmann::ordered_json report;  // Stats::report plus "sim": {wall_s, instructions_per_s}
};

// Elaborate and simulate once. SystemC allows one simulation per process,
// so call this at most once (the CLI does; tests run one scenario per process).
// Throws SimError for a program that breaks a rule at run time.
RunResult simulate(const isa::Program& program, const HwConfig& hw, const RunOptions& opts);

}  // namespace sim
