// Functional runs from the CLI: the workload's reference check (`run
// --check`) reads the run's tensors through this view of sim's
// FunctionalState (sim/ and workloads/ must not know each other).
#pragma once

#include "sim/functional.h"
#include "workloads/check.h"

namespace cli {

class StateValues final : public workloads::TensorValues {
 public:
  StateValues(const isa::Program& p, const sim::FunctionalState& s) : p_(p), s_(s) {}
  bool is_int(uint32_t t) const override { return s_.is_int(t); }
  workloads::ConstSpan<float> floats(uint32_t t) const override {
    return {s_.float_data(t), size_t(p_.tensors[t].elems())};
  }
  workloads::ConstSpan<int32_t> ints(uint32_t t) const override {
    return {s_.int_data(t), size_t(p_.tensors[t].elems())};
  }

 private:
  const isa::Program& p_;
  const sim::FunctionalState& s_;
};

}  // namespace cli
