// Hardware description, resolved from configs/hw/*.yaml. Plain C++.
// Every field is required in the YAML; the loader rejects unknown keys,
// missing keys, wrong types and out-of-range values with
// "file:line: key.path: message" (ConfigError).
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

#include "isa/isa.h"

namespace YAML {
class Node;
}

namespace sim {

struct ConfigError : isa::InputError {
  using isa::InputError::InputError;
};

// One DMA or move engine: a fixed setup latency, then bytes at a rate.
struct EngineConfig {
  uint32_t setup_cycles = 0;
  double bytes_per_cycle = 0;  // > 0
};

struct HwConfig {
  std::string name;           // "a2a3"
  double clock_ghz = 1.0;     // core clock; cycles -> us
  uint32_t core_groups = 1;   // cube + vector cores each
  uint32_t vector_cores = 2;  // per core group
  uint32_t issue_cycles = 1;  // in-order dispatch: instruction i is issued at task start + i * issue_cycles

  struct Buffers {            // capacities in bytes (YAML gives KiB: l1_kib, ...)
    uint32_t l1 = 0, l0a = 0, l0b = 0, l0c = 0, ub = 0;
    uint32_t capacity(isa::Space s) const;
  } buffers;

  struct Cube {
    uint32_t fill_cycles = 0;        // pipeline fill per TMATMUL
    double fractals_per_cycle = 1;   // 16x16x16 bf16/fp16 fractals per cycle
    uint32_t fp32_slowdown = 4;      // fp32 operands run at 1/N of the bf16 rate
  } cube;

  struct Vector {
    uint32_t width_bytes = 256;      // bytes per repeat
    uint32_t issue_cycles = 0;       // head + tail per vector instruction
    // cycles per repeat, per op class
    double binary = 1, unary = 1, transcendental = 1, reduce = 1, cast = 1, fill = 1, broadcast = 1;
  } vector;

  struct Dma {
    uint32_t burst_bytes = 32;       // transfers move in bursts; a row pays at least one
    EngineConfig gm_to_l1;           // MTE2 on the cube core
    EngineConfig gm_to_ub;           // MTE2 on a vector core
    EngineConfig ub_to_gm;           // MTE3
    EngineConfig l0c_to_gm;          // FIXPIPE
    EngineConfig l1_to_l0a, l1_to_l0b;  // MTE1 (local, no GM bandwidth)
    bool l0c_to_ub_path = false;     // a5: direct L0C -> UB
    EngineConfig l0c_to_ub;          // used only when l0c_to_ub_path
  } dma;

  struct Gm {
    double bandwidth_gbps = 0;       // GB/s (1e9 B/s), shared by every DMA in flight
    uint32_t latency_cycles = 0;     // added to each DMA's completion
    double bytes_per_cycle(double clock) const { return bandwidth_gbps / clock; }
  } gm;

  struct Scalar {
    uint32_t sload_cycles = 0;       // one scalar GM read (includes its latency)
    uint32_t op_cycles = 1;          // SADD
    uint32_t flag_cycles = 0;        // SIGNAL -> WAIT hand-off
  } scalar;

  struct Scheduler {
    uint32_t submit_cycles = 0;      // orchestrator: task i is submitted at (i+1) * submit_cycles
    uint32_t threads = 1;            // scheduler threads dispatching in parallel
    uint32_t dispatch_cycles = 0;    // scheduler-thread time per task
    uint32_t launch_cycles = 0;      // core pickup of a dispatched task
  } scheduler;
};

// Load and validate. Throws ConfigError("file:line: key: message").
HwConfig load_hw_config(const std::string& path);
// Same, from YAML text; `name` stands for the file in messages.
HwConfig parse_hw_config(const std::string& yaml_text, const std::string& name);

// The YAML document of a hardware file, not yet validated (so a caller can
// edit keys first, as `npusim run --set` does). Throws ConfigError for a file
// that cannot be read, a YAML syntax error or more than one document.
YAML::Node load_hw_yaml(const std::string& path);
// Validate a parsed document; `name` stands for the file in messages.
// `overridden` maps key paths whose values were replaced after parsing
// ("gm.bandwidth_gbps") to where the value came from ("--set
// hw.gm.bandwidth_gbps=0"): an error in such a key (or below it) reads
// "name: key.path: message (from --set ...)" instead of giving a line, which
// would point at the file's value. Every other message is as for the file.
HwConfig parse_hw_config(const YAML::Node& root, const std::string& name,
                         const std::map<std::string, std::string>& overridden = {});

}  // namespace sim
