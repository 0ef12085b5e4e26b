// A workload's reference check for functional runs (`npusim run --check`):
// the workload that generated a program knows its tensors and its math, so it
// says how to judge the run; the CLI only hands it the tensors' values.
// workloads/ knows no simulator: TensorValues is the CLI's view of them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "isa/isa.h"
#include "workloads/qwen3_reference.h"

namespace workloads {

// What a functional run's tensors hold (by tensor index).
class TensorValues {
 public:
  virtual ~TensorValues() = default;
  virtual bool is_int(uint32_t tensor) const = 0;
  virtual ConstSpan<float> floats(uint32_t tensor) const = 0;
  virtual ConstSpan<int32_t> ints(uint32_t tensor) const = 0;
};

struct CheckReport {
  std::string title;                   // "functional check against the Qwen3 reference (rtol .., atol ..)"
  std::vector<CheckResult> judged;     // what decides PASS / FAIL
  std::vector<CheckResult> diagnostic;  // reported to help locate a mismatch, not judged
  bool ok() const;
  std::string format() const;          // "TITLE: PASS" and a line per result
};

class ReferenceCheck {
 public:
  virtual ~ReferenceCheck() = default;
  // The inputs, before the run: compute the reference from them.
  virtual void take_inputs(const isa::Program& p, const TensorValues& in) = 0;
  // The tensors after the run, judged against the reference.
  virtual CheckReport judge(const isa::Program& p, const TensorValues& out) const = 0;
};

// A generated program and, when its workload has one, its reference check.
struct Workload {
  isa::Program program;
  std::unique_ptr<ReferenceCheck> check;  // null: no reference for this workload
};

}  // namespace workloads
