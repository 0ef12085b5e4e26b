// A workload's reference check for functional runs (`npusim run --check`):
// the workload that generated a program knows its tensors and its math, so it
// says how to judge the run; the CLI only hands it the tensors' values.
// workloads/ knows no simulator: TensorValues is the CLI's view of them.
#pragma once

#include <cstdint>
#include <functional>
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
  std::vector<isa::TaskSection> sections;  // the program's layers, for traces (may be empty)
  double context_mean = 0;                 // a decode's mean context length (0: not a decode)
  // Token-by-token (a Qwen3 workload's decode_steps): `steps` decode steps,
  // the program the first; step s >= 1 is next_step(s), each context s longer.
  uint32_t steps = 1;
  uint32_t tokens_per_step = 0;  // the batch: one token per sequence per step
  std::function<isa::DecodeStep(uint32_t step)> next_step;
};

}  // namespace workloads
