#include "tools/cli/functional.h"

#include <stdexcept>

namespace cli {

namespace {

const isa::Tensor& need(const isa::Program& p, const char* name, size_t rank) {
  const auto i = p.find_tensor(name);
  if (!i)
    throw isa::InputError(std::string("--check needs a Qwen3 decode program: it has no tensor '") + name + "'");
  const isa::Tensor& t = p.tensors[*i];
  if (t.shape.size() != rank)
    throw isa::InputError(std::string("--check: tensor '") + name + "' has " + std::to_string(t.shape.size()) +
                             " dimensions, expected " + std::to_string(rank));
  return t;
}

workloads::ConstSpan<float> floats(const isa::Program& p, const sim::FunctionalState& s, const char* name) {
  const uint32_t i = *p.find_tensor(name);
  return {s.float_data(i), size_t(p.tensors[i].elems())};
}

}  // namespace

workloads::Qwen3Shape qwen3_shape_of(const isa::Program& p) {
  workloads::Qwen3Shape s;
  const isa::Tensor& hs = need(p, "hidden_states", 2);
  const isa::Tensor& cos = need(p, "rope_cos", 2);
  const isa::Tensor& wk = need(p, "wk", 2);
  const isa::Tensor& wg = need(p, "w_gate", 2);
  for (const char* n : {"input_rms_weight", "post_rms_weight", "wq", "wv", "wo", "w_up", "w_down", "rope_sin",
                        "k_cache", "v_cache", "seq_lens", "out"})
    if (!p.find_tensor(n))
      throw isa::InputError(std::string("--check needs a Qwen3 decode program: it has no tensor '") + n + "'");
  s.B = hs.shape[0];
  s.H = hs.shape[1];
  s.S_max = cos.shape[0];
  s.D = cos.shape[1];
  s.I = wg.shape[1];
  if (s.D <= 0 || s.H % s.D != 0 || wk.shape[1] % s.D != 0)
    throw isa::InputError("--check: H (" + std::to_string(s.H) + ") and wk's width (" +
                             std::to_string(wk.shape[1]) + ") must be multiples of D (" + std::to_string(s.D) + ")");
  s.NH = s.H / s.D;
  s.NKV = wk.shape[1] / s.D;
  s.eps = 1e-6f;
  return s;
}

workloads::Qwen3Outputs qwen3_reference_of(const isa::Program& p, const sim::FunctionalState& s,
                                           const workloads::Qwen3Shape& shape) {
  workloads::Qwen3Inputs in;
  in.hidden_states = floats(p, s, "hidden_states");
  in.input_rms_weight = floats(p, s, "input_rms_weight");
  in.post_rms_weight = floats(p, s, "post_rms_weight");
  in.wq = floats(p, s, "wq");
  in.wk = floats(p, s, "wk");
  in.wv = floats(p, s, "wv");
  in.wo = floats(p, s, "wo");
  in.w_gate = floats(p, s, "w_gate");
  in.w_up = floats(p, s, "w_up");
  in.w_down = floats(p, s, "w_down");
  in.rope_cos = floats(p, s, "rope_cos");
  in.rope_sin = floats(p, s, "rope_sin");
  in.k_cache = floats(p, s, "k_cache");
  in.v_cache = floats(p, s, "v_cache");
  const uint32_t sl = *p.find_tensor("seq_lens");
  in.seq_lens = {s.int_data(sl), size_t(p.tensors[sl].elems())};
  return workloads::qwen3_decode_reference(shape, in);
}

bool CheckReport::ok() const {
  for (const auto& r : judged)
    if (!r.ok()) return false;
  return true;
}

CheckReport check_qwen3(const isa::Program& p, const sim::FunctionalState& s, const workloads::Qwen3Shape& shape,
                        const workloads::Qwen3Outputs& ref) {
  CheckReport r;
  r.judged.push_back(workloads::compare_tensors("out", floats(p, s, "out"), ref.out));
  const uint32_t sl = *p.find_tensor("seq_lens");
  const workloads::ConstSpan<int32_t> seq(s.int_data(sl), size_t(p.tensors[sl].elems()));
  // The cache rows the layer writes are bf16 results of fp32 sums whose
  // order differs between the kernels and the reference: judged at the same
  // tolerance, but a one-ulp rounding flip is not a mismatch.
  for (const auto& [name, rows] : {std::pair{"k_cache", &ref.k_rows}, std::pair{"v_cache", &ref.v_rows}})
    r.judged.push_back(workloads::compare_tensors(
        std::string(name) + " (written rows, or within 1 bf16 ulp)",
        workloads::qwen3_gather_written_rows(shape, seq, floats(p, s, name)), *rows, workloads::kQwen3Rtol,
        workloads::kQwen3Atol, /*bf16_ulps=*/1));
  for (const auto& [name, want] :
       {std::pair{"normed_tile", &ref.normed}, std::pair{"attn_out", &ref.attn_out},
        std::pair{"resid1_tile", &ref.resid1}, std::pair{"post_norm_tile", &ref.normed2},
        std::pair{"mlp_tile", &ref.mlp}}) {
    const auto i = p.find_tensor(name);
    if (!i || s.is_int(*i) || size_t(p.tensors[*i].elems()) != want->size()) continue;
    r.diagnostic.push_back(workloads::compare_tensors(name, floats(p, s, name), *want));
  }
  return r;
}

std::string format_check_report(const CheckReport& r) {
  std::string s = "functional check against the Qwen3 reference (rtol 3e-3, atol 3e-3): ";
  s += r.ok() ? "PASS\n" : "FAIL\n";
  for (const auto& c : r.judged) s += "  " + workloads::format_check(c) + "\n";
  if (!r.diagnostic.empty()) {
    s += "  diagnostics (not judged; a few mismatches of one bf16 ulp are rounding-boundary flips from a\n"
         "  different fp32 summation order):\n";
    for (const auto& c : r.diagnostic) s += "    " + workloads::format_check(c) + "\n";
  }
  return s;
}

}  // namespace cli
