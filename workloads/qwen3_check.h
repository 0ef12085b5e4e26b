// The Qwen3 decode layer's reference check (workloads/check.h).
#pragma once

#include <memory>

#include "workloads/check.h"
#include "workloads/qwen3_decode.h"

namespace workloads {

// Judges a functional run of the layer `p` describes against
// qwen3_decode_reference (tolerances of qwen3_reference.h).
std::unique_ptr<ReferenceCheck> qwen3_check_for(const Qwen3Params& p);

}  // namespace workloads
