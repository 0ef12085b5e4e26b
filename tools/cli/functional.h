// Functional runs from the CLI: the Qwen3 reference check (`run --check`).
// Glue between sim/ (FunctionalState) and workloads/ (the reference), which
// must not know each other.
#pragma once

#include <string>
#include <vector>

#include "isa/isa.h"
#include "sim/functional.h"
#include "workloads/qwen3_reference.h"

namespace cli {

// The layer's shape read from a Qwen3 decode program's tensors
// (hidden_states [B, H], rope_cos [S_max, D], wk [H, NKV*D], w_gate [H, I];
// eps = 1e-6 as in the spec). Throws isa::InputError naming a missing or
// inconsistent tensor when the program is not a Qwen3 decode layer.
workloads::Qwen3Shape qwen3_shape_of(const isa::Program& p);

// Runs the reference on the state's current values (call before simulating:
// they are the inputs).
workloads::Qwen3Outputs qwen3_reference_of(const isa::Program& p, const sim::FunctionalState& s,
                                           const workloads::Qwen3Shape& shape);

struct CheckReport {
  std::vector<workloads::CheckResult> judged;      // out (the upstream check)
  std::vector<workloads::CheckResult> diagnostic;  // the cache rows written, intermediates
  bool ok() const;
};

// Compares the state after the run with the reference. `out` decides, as in
// the upstream check. Reported to help locate a mismatch: the k_cache /
// v_cache rows the layer writes, and attn_out, normed_tile, resid1_tile,
// post_norm_tile and mlp_tile when the program has them at [B, H] / [B, I].
// (At full size a few bf16 values of those sit on a rounding boundary and
// flip by one ulp when the kernel sums in another fp32 order than the
// reference, e.g. the RMSNorm's chunked sum of squares; one ulp of a bf16
// value in [1, 2) exceeds the 3e-3 tolerance, so they are not judged.)
CheckReport check_qwen3(const isa::Program& p, const sim::FunctionalState& s, const workloads::Qwen3Shape& shape,
                        const workloads::Qwen3Outputs& ref);

std::string format_check_report(const CheckReport& r);

}  // namespace cli
