// Reference implementation of the Qwen3 single-layer decode
// (/work/shared/workloads/qwen3_32b_decode.md, section 2) in plain C++ loops,
// and the tolerance check a functional run is judged by. Knows nothing of
// the simulator or the ISA: it takes flat arrays and shapes.
//
// Numerics (section 2, step by step): fp32 math everywhere; every matmul
// accumulates in fp32 over k in ascending order; values are rounded to bf16
// (nearest, ties away from zero: the compiler lowers pl.cast to tcvt with
// rmode ROUND) exactly where the spec says so: normed; the rotated q before
// attention; the cache rows written (rotated k, v); e = bf16(exp(s - m))
// before both the row sum and the e @ v matmul; ctx as written to attn_out;
// normed2; mlp; out. Attention is the block-wise online softmax of the
// spec: 64-row blocks of the cache, columns past the context length set to
// the lowest fp32 before the 1/sqrt(D) scale, per-block max m, e, row sum l
// and o = e @ v, blocks combined in order with a = exp(m - m'),
// c = exp(m_blk - m'). The first block initialises (m, l, o) directly (the
// same numbers as combining with m = lowest, l = 0, o = 0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "isa/error.h"

namespace workloads {

// A read-only view of a flat array (C++17 has no std::span).
template <class T>
struct ConstSpan {
  const T* data = nullptr;
  size_t size = 0;
  ConstSpan() = default;
  ConstSpan(const T* d, size_t n) : data(d), size(n) {}
  ConstSpan(const std::vector<T>& v) : data(v.data()), size(v.size()) {}  // NOLINT: implicit on purpose
  const T& operator[](size_t i) const { return data[i]; }
};

struct Qwen3Shape {
  int64_t B = 16, S_max = 4096, NH = 64, NKV = 8, D = 128;
  int64_t H = 8192;   // must be NH * D
  int64_t I = 25600;  // MLP intermediate
  float eps = 1e-6f;
  int64_t kvh() const { return NKV * D; }
};

// Row-major, as in the spec's tensor table. All float inputs hold the values
// of their dtype (bf16 tensors: bf16-representable values).
struct Qwen3Inputs {
  ConstSpan<float> hidden_states;                     // [B, H] bf16
  ConstSpan<float> input_rms_weight, post_rms_weight;  // [H] (or [1, H]) fp32
  ConstSpan<float> wq, wo;                             // [H, H] bf16
  ConstSpan<float> wk, wv;                             // [H, KVH] bf16
  ConstSpan<float> w_gate, w_up;                       // [H, I] bf16
  ConstSpan<float> w_down;                             // [I, H] bf16
  ConstSpan<int32_t> seq_lens;                         // [B], 1..S_max
  ConstSpan<float> rope_cos, rope_sin;                 // [S_max, D] fp32
  ConstSpan<float> k_cache, v_cache;                   // [B*NKV*S_max, D] bf16 (rows < pos are read)
};

struct Qwen3Outputs {
  std::vector<float> out;     // [B, H], bf16 values
  std::vector<float> k_rows;  // [B*NKV, D]: k_cache row(b, h, seq_lens[b]-1), (b, h) row-major
  std::vector<float> v_rows;  // [B*NKV, D]: likewise for v_cache
  // Intermediates, for locating a mismatch (names as in the baseline program):
  std::vector<float> normed;    // [B, H] bf16
  std::vector<float> q_rot;     // [B, H] fp32, rotated q (bf16(q_rot) enters attention)
  std::vector<float> attn_out;  // [B, H] bf16 (ctx)
  std::vector<float> resid1;    // [B, H] fp32
  std::vector<float> normed2;   // [B, H] bf16
  std::vector<float> mlp;       // [B, I] bf16
};

// Row of the K/V cache for batch b, kv head h, position p:
// b*NKV*S_max + h*S_max + p.
inline int64_t qwen3_cache_row(const Qwen3Shape& s, int64_t b, int64_t h, int64_t p) {
  return (b * s.NKV + h) * s.S_max + p;
}

// Run the layer. Throws isa::InputError for an inconsistent shape, an
// input of the wrong size, or a seq_lens value outside 1..S_max.
Qwen3Outputs qwen3_decode_reference(const Qwen3Shape& shape, const Qwen3Inputs& in);

// The LM head of a decode step: logits [B, vocab] fp32 = bf16(RMSNorm(x) *
// final_norm_weight) @ lm_head_weight, x [B, H] (the last layer's out),
// final_norm_weight [H], lm_head_weight [H, vocab]; fp32 accumulation over
// k ascending, as the layer's projections.
std::vector<float> qwen3_lm_head_reference(const Qwen3Shape& shape, int64_t vocab, ConstSpan<float> x,
                                           ConstSpan<float> final_norm_weight, ConstSpan<float> lm_head_weight);

// The cache rows the layer writes, gathered from a whole cache tensor in the
// layout of Qwen3Outputs::k_rows (to compare a simulated cache with it).
std::vector<float> qwen3_gather_written_rows(const Qwen3Shape& shape, ConstSpan<int32_t> seq_lens,
                                             ConstSpan<float> cache);

// Half-split RoPE of one head vector v[d] in place, with the cos/sin rows of
// its position: lo = v[0, d/2), hi = v[d/2, d);
// lo' = lo*cos_lo - hi*sin_lo, hi' = hi*cos_hi + lo*sin_hi (fp32).
void qwen3_rope(float* v, const float* cos_row, const float* sin_row, int64_t d);

// The nearest bf16 value (ties away from zero, as tcvt ROUND; NaN stays NaN),
// as the reference uses it.
float qwen3_round_bf16(float x);

// Element-wise comparison, numpy.allclose style: element i mismatches when
// |actual - expected| > atol + rtol * |expected| (or either is NaN, or one
// is infinite and they differ). max_abs is the largest |actual - expected|
// (infinity if some element is NaN or infinite and differs); max_rel the
// largest |actual - expected| / |expected| over elements with expected != 0.
struct CheckResult {
  std::string tensor;
  size_t mismatched = 0, total = 0;
  double max_abs = 0, max_rel = 0;
  double rtol = 0, atol = 0;  // what it was judged by
  bool ok() const { return mismatched == 0; }
};

constexpr double kQwen3Rtol = 3e-3, kQwen3Atol = 3e-3;  // the upstream check

// A size difference counts every element of the longer side as mismatched.
// An element mismatches when |a - b| > atol + rtol * |b| and, if bf16_ulps
// is nonzero, also |a - b| > bf16_ulps units in the last place of b as bf16:
// a bf16 value computed with another fp32 summation order may round the
// other way, one ulp (2^-7 relative) apart, which is more than 3e-3.
CheckResult compare_tensors(const std::string& name, ConstSpan<float> actual, ConstSpan<float> expected,
                            double rtol = kQwen3Rtol, double atol = kQwen3Atol, int bf16_ulps = 0);

// "out: 3/131072 mismatched, max abs err 0.0078, max rel err 0.0041"
std::string format_check(const CheckResult& r);

}  // namespace workloads
