// Hardware description, resolved from configs/hw/*.yaml. Plain C++.
// A file may name a base (`base: a2a3`) and give only what differs; a few keys
// have defaults (docs/hw_config.md). The loader rejects unknown keys, missing
// keys, wrong types and out-of-range values with "file:line: key.path:
// message" (ConfigError), the line being where the value was written (in a
// base file if it came from there).
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

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

// The resolved hardware description. Member initializers are zero on
// purpose: a file's defaults live in the schema (hw_schema() in
// hw_config.cpp, documented in docs/hw_config.md), not here. The YAML key of a
// field is given where its name differs.
struct HwConfig {
  std::string name;                    // "a2a3"
  double clock_ghz = 0;                // core clock; cycles -> us
  uint32_t core_groups = 0;            // each: 1 cube core + vector_cores vector cores
  uint32_t vector_cores = 0;           // per core group
  uint32_t issue_interval_cycles = 0;  // key issue_cycles. In-order issue: instruction i of a
                                       // task is issued at task start + i * issue_interval_cycles
  uint32_t pipe_sync_cycles = 0;       // an instruction that waits for one on another pipe of its
                                       // core starts this much later (the set_flag/wait_flag hand-off)
  uint32_t task_entry_cycles = 0;      // each core of a task starts issuing this long after the task
                                       // starts (kernel entry: instruction fetch, argument set-up);
                                       // inside the core's execution record

  struct Buffers {  // capacities in bytes (keys l1_kib, ... give KiB)
    uint32_t l1 = 0, l0a = 0, l0b = 0, l0c = 0, ub = 0;
    uint32_t capacity(isa::Space s) const;
  } buffers;

  struct Cube {
    uint32_t fill_cycles = 0;        // pipeline fill per TMATMUL
    double fractals_per_cycle = 0;   // 16x16x16 bf16/fp16 fractals per cycle
    uint32_t fp32_slowdown = 0;      // fp32 operands run at 1/N of the bf16 rate
  } cube;

  struct Vector {
    uint32_t width_bytes = 0;        // bytes per repeat
    uint32_t head_tail_cycles = 0;   // key vector.issue_cycles: fixed head + tail latency of every
                                     // vector instruction, added to its repeats
    // cycles per repeat, per op class
    double binary = 0, unary = 0, transcendental = 0, reduce = 0, cast = 0, fill = 0, broadcast = 0;
  } vector;

  struct Dma {
    EngineConfig gm_to_l1;           // MTE2 on the cube core
    EngineConfig gm_to_ub;           // MTE2 on a vector core
    EngineConfig ub_to_gm;           // MTE3
    EngineConfig l0c_to_gm;          // FIXPIPE
    EngineConfig l1_to_l0a, l1_to_l0b;  // MTE1 (local, no GM bandwidth)
    bool l0c_to_ub_path = false;     // a5: direct L0C -> UB
    EngineConfig l0c_to_ub;          // used only when l0c_to_ub_path
    bool ub_to_l1_path = false;      // a5: direct UB -> L1 (a vector core into its group's cube L1)
    EngineConfig ub_to_l1;           // MTE3 of the vector core; used only when ub_to_l1_path
  } dma;

  // The L2 in front of HBM (sim/memory_system.h). size_bytes 0: no L2.
  struct L2 {
    uint32_t size_bytes = 0;              // key size_kib
    uint32_t line_bytes = 0;              // lines never hold two tensors' bytes
    uint32_t sector_bytes = 0;            // a read miss fills the sectors it touches; divides line_bytes, <= 16 per line
    uint32_t associativity = 0;           // ways per set, LRU
    uint32_t hit_latency_cycles = 0;      // a request served by L2: data visible this long after its last byte
    double read_bytes_per_cycle = 0;      // per core: a load's L2-hit bytes move at most this fast
    double write_bytes_per_cycle = 0;     // per core: a store's bytes into L2
    bool write_back = true;               // key write_policy: write_back (true) or write_through
  } l2;

  struct Gm {  // HBM behind the L2
    double bandwidth_gbps = 0;       // GB/s (1e9 B/s), shared by every HBM transfer in flight
    uint32_t latency_cycles = 0;     // added (on top of the L2 hit latency) when a request waited for HBM
    double core_bytes_per_cycle = 0; // one core's own rate for bytes that miss L2 (as many requests in
                                     // flight as it keeps, over the miss latency); 0: only its engine
    double bytes_per_cycle(double clock) const { return bandwidth_gbps / clock; }
  } gm;

  struct Scalar {
    uint32_t sload_cycles = 0;       // one scalar GM read, without the memory latency (SLOAD costs
                                     // this + gm_miss_latency(): l2 hit latency + gm latency)
    uint32_t op_cycles = 0;          // one scalar ALU op (SADD, ...)
    uint32_t flag_cycles = 0;        // SIGNAL -> WAIT hand-off
  } scalar;

  struct Scheduler {
    uint32_t submit_cycles = 0;      // orchestrator: task i is submitted at (i+1) * submit_cycles
    uint32_t threads = 0;            // scheduler threads dispatching in parallel
    uint32_t dispatch_cycles = 0;    // scheduler-thread time per task
    uint32_t launch_cycles = 0;      // core pickup of a dispatched task
    uint32_t completion_detect_cycles = 0;  // a task's end -> its scheduler thread notices it (polling)
    uint32_t completion_cycles = 0;         // scheduler-thread time handling one task's completion
  } scheduler;
};

// One resolved value and where it came from (`npusim hw show`).
struct HwSetting {
  std::string path;    // "dma.gm_to_l1.setup_cycles"
  std::string value;   // as YAML text: "67", "true", "a5"
  std::string origin;  // "configs/hw/a2a3.yaml:55" (1-based line), "default", "default (= dma.l0c_to_gm.setup_cycles)",
                       // or the --set that gave it: "--set hw.gm.bandwidth_gbps=800"
};

// A hardware description as given, not yet validated: a file, the chain of
// its bases (`base: a2a3` names a shipped preset, `base: ../x.yaml` a file
// relative to the one that says it), and edits on top (`npusim run --set`).
// A key's value is taken from the first of: the last edit of it, the file,
// its base, the base's base, ...; then its default in the schema; a key with
// neither is missing. Maps merge key by key.
class HwSource {
 public:
  HwSource(HwSource&&) noexcept;
  HwSource& operator=(HwSource&&) noexcept;
  ~HwSource();

  // The file given, then its bases, as named in messages.
  const std::vector<std::string>& files() const;

  // Replace the value at `path` (a key of the schema, see is_hw_key: a leaf
  // "gm.bandwidth_gbps" or a map "gm", whose keys then merge with the
  // file's) with `value`, whether or not the file or a base writes that key.
  // An error in the value (or below it) reads "FILE: key.path: message (from
  // ORIGIN)", FILE being the file given. Throws std::invalid_argument when
  // `path` is not a key of the schema (check is_hw_key first).
  void set(const std::string& path, const YAML::Node& value, const std::string& origin);

  // Validate and build the config. Throws ConfigError naming the file and
  // line where the offending value (or key) was written. With `settings`,
  // also lists every key of the schema, in schema order, with its value and
  // where it came from.
  HwConfig resolve(std::vector<HwSetting>* settings = nullptr) const;

  struct Impl;  // the layers; defined in hw_config.cpp

 private:
  explicit HwSource(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend HwSource load_hw_source(const std::string& path);
  friend HwSource parse_hw_source(const std::string& yaml_text, const std::string& name);
};

// Read a hardware file and its bases. Throws ConfigError for a file that
// cannot be read, a YAML syntax error, more than one document, a bad `base:`
// (not a name or path, no such preset or file, a cycle: "FILE:LINE: base:
// cycle: a.yaml -> b.yaml -> a.yaml").
HwSource load_hw_source(const std::string& path);
// Same, from YAML text; `name` stands for the file in messages, and a
// relative `base:` path is taken relative to its directory.
HwSource parse_hw_source(const std::string& yaml_text, const std::string& name);

// Load (with bases) and resolve. Throws ConfigError("file:line: key: message").
HwConfig load_hw_config(const std::string& path);
// Same, from YAML text; `name` stands for the file in messages.
HwConfig parse_hw_config(const std::string& yaml_text, const std::string& name);

// True when `path` ("gm.bandwidth_gbps", "dma.gm_to_l1", not "base") names a
// key of the schema, a value or a map.
bool is_hw_key(const std::string& path);

// The directory `base: NAME` looks in for NAME.yaml: configs/hw of the source
// tree the binary belongs to (see docs/hw_config.md, "Bases").
std::string hw_preset_dir();

}  // namespace sim
