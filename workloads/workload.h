// Workload descriptions (configs/workloads/*.yaml) -> isa::Program.
//
// The top-level key `workload:` picks the generator: gemm, vector_chain,
// dma_sweep, many_kernels, qwen3_32b_decode. Errors read
// "FILE:LINE: key.path: message"; unknown keys are rejected.
#pragma once

#include <stdexcept>
#include <string>

#include "isa/isa.h"
#include "workloads/check.h"
#include "workloads/target.h"

namespace YAML {
class Node;
}

namespace workloads {

struct WorkloadError : isa::InputError {
  using isa::InputError::InputError;
};

// Reads the YAML file and generates its program, laid out for `target`,
// with the workload's reference check where it has one (a Qwen3 layer).
Workload load_workload_file(const std::string& path, const Target& target = {});
// A workload file's YAML document, not yet validated (for edits such as
// --set before load_workload). Throws WorkloadError: "cannot read workload
// file PATH: REASON" (no line: the file has none), "PATH is a directory
// (expected a workload file)", "PATH:LINE: YAML syntax: ...".
YAML::Node read_workload_yaml(const std::string& path);
// Same from a parsed document (sweeps edit keys first); `filename` stands for
// the file in messages.
Workload load_workload(const YAML::Node& root, const std::string& filename, const Target& target = {});
// Only the reference check of the workload in `path` (null when it has none),
// without generating its program.
std::unique_ptr<ReferenceCheck> load_workload_check(const std::string& path);
// The program alone.
isa::Program build_workload_file(const std::string& path, const Target& target = {});
isa::Program build_workload(const YAML::Node& root, const std::string& filename, const Target& target = {});

}  // namespace workloads
