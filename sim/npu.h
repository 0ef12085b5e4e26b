// The SystemC model: core groups, the shared GM, the task scheduler.
// SystemC stays in npu.cpp; the policies it drives are plain C++
// (Dispatcher, CoreEngine, SharedBandwidth, Stats).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "isa/isa.h"
#include "sim/hw_config.h"
#include "sim/sim_error.h"
#include "sim/trace.h"

namespace isa {
struct SourceMap;
}

namespace sim {

class FunctionalState;

struct RunOptions {
  std::string trace_path;  // empty: no trace
  TraceFilter trace_filter;  // what the trace keeps
  // Functional mode: when set, every finished instruction's semantics are
  // executed on this state (built for the same program and hardware) and
  // SLOAD reads its int32 tensors. The timing is the same as without it as
  // long as the int32 tensors hold the program's init values.
  FunctionalState* functional = nullptr;
  // The run stops with a SimError when anything would happen after this
  // cycle (a runaway: rates or sizes that make time explode). At most
  // kMaxCycles (cost_model.h), the end of the model's time base.
  uint64_t max_cycles = kDefaultMaxCycles;
  static constexpr uint64_t kDefaultMaxCycles = 10'000'000'000'000;  // 1e13: 1.5 h at 1.85 GHz
  // The program's named task spans (its layers), marked in the trace, and
  // its sequences' mean context (reported per decode step).
  std::vector<isa::TaskSection> sections;
  double context_mean = 0;
  // Token-by-token: `steps` decode steps back to back. The first is the
  // program simulate() is given; step s >= 1 is next_step(s), generated once
  // step s - 1 has been released (its last task's completion handled: the
  // host has the token) and dispatched from then on, on the same machine
  // (the L2 keeps its lines). Each step has the first's tensors, the same GM
  // layout. `tokens_per_step` (the batch) gives tokens/s. Not with functional.
  uint32_t steps = 1;
  uint32_t tokens_per_step = 0;
  // From the call of next_step(1) on, simulate() no longer reads the first
  // step's program (simulate's argument): the caller may free it in that
  // call, so that a token run holds one step's program at a time.
  std::function<isa::DecodeStep(uint32_t step)> next_step;
  // Called as each step is released, with its time per token (progress).
  std::function<void(uint32_t step, double tpot_us)> on_step;
  // A text program's source lines (isa::parse_program): a run-time error
  // about an instruction or a task (a tile past its buffer, a GM access out
  // of bounds, a read of what nothing wrote, a deadlock, a vector core the
  // hardware lacks) starts with its FILE:LINE, as validate_program's do.
  const isa::SourceMap* source = nullptr;
};

struct RunResult {
  uint64_t total_cycles = 0;
  nlohmann::ordered_json report;  // Stats::report plus "sim": {wall_s, instructions_per_s}
};

// Elaborate and simulate once. SystemC allows one simulation per process,
// so call this at most once (the CLI does; tests run one scenario per process).
// With opts.steps > 1 the report's sections count every step (the critical
// path is the last step's) and "decode" gives each step's time per token.
// Throws SimError for a program that breaks a rule at run time.
RunResult simulate(const isa::Program& program, const HwConfig& hw, const RunOptions& opts);

}  // namespace sim
