#include "workloads/qwen3_reference.h"
#include "isa/error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace workloads {

float qwen3_round_bf16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) {
    u = (u | 0x00400000u) & 0xffff0000u;  // NaN: keep sign and top payload, set the quiet bit
  } else {  // half a bf16 ulp up in magnitude: ties go away from zero
    u += 0x8000u;
    u &= 0xffff0000u;
  }
  float r;
  std::memcpy(&r, &u, 4);
  return r;
}

namespace {

float bf(float x) { return qwen3_round_bf16(x); }

// y[M, N] = x[M, K] @ w[K, N] in fp32, each element summed over k ascending.
// Blocked over N so that w is streamed once for all M rows.
void matmul(const float* x, int64_t m, int64_t k, const float* w, int64_t n, float* y) {
  constexpr int64_t kNb = 256;
  std::vector<float> acc(size_t(m * kNb));
  for (int64_t n0 = 0; n0 < n; n0 += kNb) {
    const int64_t nb = std::min(kNb, n - n0);
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (int64_t q = 0; q < k; ++q) {
      const float* wrow = w + q * n + n0;
      for (int64_t i = 0; i < m; ++i) {
        const float xv = x[i * k + q];
        float* a = &acc[size_t(i * kNb)];
        for (int64_t j = 0; j < nb; ++j) a[j] += xv * wrow[j];
      }
    }
    for (int64_t i = 0; i < m; ++i)
      std::memcpy(y + i * n + n0, &acc[size_t(i * kNb)], size_t(nb) * sizeof(float));
  }
}

// bf16(x * (1/sqrt(mean(x^2) + eps)) * w) per row of x [rows, h].
void rmsnorm(const float* x, int64_t rows, int64_t h, const float* w, float eps, float* out) {
  for (int64_t b = 0; b < rows; ++b) {
    const float* xr = x + b * h;
    float ss = 0.0f;
    for (int64_t i = 0; i < h; ++i) ss += xr[i] * xr[i];
    const float r = 1.0f / std::sqrt(ss / float(h) + eps);
    for (int64_t i = 0; i < h; ++i) out[b * h + i] = bf(xr[i] * r * w[i]);
  }
}

void need(const char* what, size_t have, int64_t want, const char* formula) {
  if (int64_t(have) != want)
    throw isa::InputError(std::string("qwen3 reference: ") + what + " has " + std::to_string(have) +
                                " elements, expected " + formula + " = " + std::to_string(want));
}

}  // namespace

void qwen3_rope(float* v, const float* c, const float* s, int64_t d) {
  const int64_t half = d / 2;
  for (int64_t i = 0; i < half; ++i) {
    const float lo = v[i], hi = v[i + half];
    v[i] = lo * c[i] - hi * s[i];
    v[i + half] = hi * c[i + half] + lo * s[i + half];
  }
}

std::vector<float> qwen3_lm_head_reference(const Qwen3Shape& s, int64_t vocab, ConstSpan<float> x,
                                           ConstSpan<float> final_norm_weight, ConstSpan<float> lm_head_weight) {
  need("the last layer's out", x.size, s.B * s.H, "B*H");
  need("final_norm_weight", final_norm_weight.size, s.H, "H");
  need("lm_head_weight", lm_head_weight.size, s.H * vocab, "H*vocab");
  std::vector<float> normed(size_t(s.B * s.H)), logits(size_t(s.B * vocab));
  rmsnorm(x.data, s.B, s.H, final_norm_weight.data, s.eps, normed.data());
  matmul(normed.data(), s.B, s.H, lm_head_weight.data, vocab, logits.data());
  return logits;
}

Qwen3Outputs qwen3_decode_reference(const Qwen3Shape& s, const Qwen3Inputs& in) {
  if (s.B <= 0 || s.S_max <= 0 || s.NH <= 0 || s.NKV <= 0 || s.D <= 0 || s.I <= 0 || s.D % 2 != 0 ||
      s.H != s.NH * s.D || s.NH % s.NKV != 0)
    throw isa::InputError(
        "qwen3 reference: inconsistent shape (need positive sizes, even D, H = NH*D, NKV dividing NH)");
  const int64_t B = s.B, H = s.H, D = s.D, KVH = s.kvh(), I = s.I, NKV = s.NKV;
  const int64_t group = s.NH / s.NKV;
  need("hidden_states", in.hidden_states.size, B * H, "B*H");
  need("input_rms_weight", in.input_rms_weight.size, H, "H");
  need("post_rms_weight", in.post_rms_weight.size, H, "H");
  need("wq", in.wq.size, H * H, "H*H");
  need("wo", in.wo.size, H * H, "H*H");
  need("wk", in.wk.size, H * KVH, "H*KVH");
  need("wv", in.wv.size, H * KVH, "H*KVH");
  need("w_gate", in.w_gate.size, H * I, "H*I");
  need("w_up", in.w_up.size, H * I, "H*I");
  need("w_down", in.w_down.size, I * H, "I*H");
  need("seq_lens", in.seq_lens.size, B, "B");
  need("rope_cos", in.rope_cos.size, s.S_max * D, "S_max*D");
  need("rope_sin", in.rope_sin.size, s.S_max * D, "S_max*D");
  need("k_cache", in.k_cache.size, B * NKV * s.S_max * D, "B*NKV*S_max*D");
  need("v_cache", in.v_cache.size, B * NKV * s.S_max * D, "B*NKV*S_max*D");
  for (int64_t b = 0; b < B; ++b)
    if (in.seq_lens[b] < 1 || in.seq_lens[b] > s.S_max)
      throw isa::InputError("qwen3 reference: seq_lens[" + std::to_string(b) + "] = " +
                                  std::to_string(in.seq_lens[b]) + " is outside 1.." + std::to_string(s.S_max));

  Qwen3Outputs o;
  // 1. RMSNorm.
  o.normed.resize(size_t(B * H));
  rmsnorm(in.hidden_states.data, B, H, in.input_rms_weight.data, s.eps, o.normed.data());
  // 2. Projections (fp32 accumulate).
  std::vector<float> q(size_t(B * H)), k(size_t(B * KVH)), v(size_t(B * KVH));
  matmul(o.normed.data(), B, H, in.wq.data, H, q.data());
  matmul(o.normed.data(), B, H, in.wk.data, KVH, k.data());
  matmul(o.normed.data(), B, H, in.wv.data, KVH, v.data());
  // 3. RoPE at pos = seq_lens[b] - 1, every q head and k head. 4. Cache rows.
  o.k_rows.resize(size_t(B * KVH));
  o.v_rows.resize(size_t(B * KVH));
  for (int64_t b = 0; b < B; ++b) {
    const int64_t pos = in.seq_lens[b] - 1;
    const float* c = in.rope_cos.data + pos * D;
    const float* sn = in.rope_sin.data + pos * D;
    for (int64_t h = 0; h < s.NH; ++h) qwen3_rope(&q[size_t(b * H + h * D)], c, sn, D);
    for (int64_t h = 0; h < NKV; ++h) qwen3_rope(&k[size_t(b * KVH + h * D)], c, sn, D);
  }
  o.q_rot = q;
  for (size_t i = 0; i < k.size(); ++i) {
    o.k_rows[i] = bf(k[i]);
    o.v_rows[i] = bf(v[i]);
  }
  // 5. Grouped-query attention, online softmax over 64-row blocks.
  constexpr int64_t kBlock = 64;
  const float lowest = std::numeric_limits<float>::lowest();
  const float scale = 1.0f / std::sqrt(float(D));
  o.attn_out.resize(size_t(B * H));
  std::vector<float> qh(static_cast<size_t>(D)), sc(kBlock), e(kBlock), ob(static_cast<size_t>(D)),
      acc(static_cast<size_t>(D));
  for (int64_t b = 0; b < B; ++b) {
    const int64_t ctx = in.seq_lens[b], pos = ctx - 1;
    for (int64_t h = 0; h < NKV; ++h) {
      auto krow = [&](int64_t p) -> const float* {
        return p == pos ? &o.k_rows[size_t(b * KVH + h * D)] : in.k_cache.data + qwen3_cache_row(s, b, h, p) * D;
      };
      auto vrow = [&](int64_t p) -> const float* {
        return p == pos ? &o.v_rows[size_t(b * KVH + h * D)] : in.v_cache.data + qwen3_cache_row(s, b, h, p) * D;
      };
      for (int64_t g = 0; g < group; ++g) {
        const int64_t head = h * group + g;
        for (int64_t d = 0; d < D; ++d) qh[size_t(d)] = bf(q[size_t(b * H + head * D + d)]);
        float m = 0.0f, l = 0.0f;
        for (int64_t base = 0, blk = 0; base < ctx; base += kBlock, ++blk) {
          const int64_t valid = std::min(kBlock, ctx - base);
          for (int64_t j = 0; j < kBlock; ++j) {
            float dot = lowest;
            if (j < valid) {
              const float* kr = krow(base + j);
              dot = 0.0f;
              for (int64_t d = 0; d < D; ++d) dot += qh[size_t(d)] * kr[d];
            }
            sc[size_t(j)] = dot * scale;
          }
          float mb = sc[0];
          for (int64_t j = 1; j < kBlock; ++j) mb = std::max(mb, sc[size_t(j)]);
          float lb = 0.0f;
          for (int64_t j = 0; j < kBlock; ++j) {
            e[size_t(j)] = bf(std::exp(sc[size_t(j)] - mb));
            lb += e[size_t(j)];
          }
          std::fill(ob.begin(), ob.end(), 0.0f);
          for (int64_t j = 0; j < valid; ++j) {  // e is exactly 0 past valid
            const float* vr = vrow(base + j);
            for (int64_t d = 0; d < D; ++d) ob[size_t(d)] += e[size_t(j)] * vr[d];
          }
          if (blk == 0) {
            m = mb;
            l = lb;
            acc = ob;
          } else {
            const float mn = std::max(m, mb);
            const float a = std::exp(m - mn), cc = std::exp(mb - mn);
            l = a * l + cc * lb;
            for (int64_t d = 0; d < D; ++d) acc[size_t(d)] = a * acc[size_t(d)] + cc * ob[size_t(d)];
            m = mn;
          }
        }
        for (int64_t d = 0; d < D; ++d) o.attn_out[size_t(b * H + head * D + d)] = bf(acc[size_t(d)] / l);
      }
    }
  }
  // 6. Output projection + residual.
  o.resid1.resize(size_t(B * H));
  matmul(o.attn_out.data(), B, H, in.wo.data, H, o.resid1.data());
  for (int64_t i = 0; i < B * H; ++i) o.resid1[size_t(i)] += in.hidden_states[size_t(i)];
  // 7. Post-attention RMSNorm.
  o.normed2.resize(size_t(B * H));
  rmsnorm(o.resid1.data(), B, H, in.post_rms_weight.data, s.eps, o.normed2.data());
  // 8. MLP.
  std::vector<float> gate(size_t(B * I)), up(size_t(B * I));
  matmul(o.normed2.data(), B, H, in.w_gate.data, I, gate.data());
  matmul(o.normed2.data(), B, H, in.w_up.data, I, up.data());
  o.mlp.resize(size_t(B * I));
  for (size_t i = 0; i < gate.size(); ++i) {
    const float g = gate[i];
    const float sig = 1.0f / (1.0f + std::exp(-g));
    o.mlp[i] = bf(g * sig * up[i]);
  }
  o.out.resize(size_t(B * H));
  matmul(o.mlp.data(), B, I, in.w_down.data, H, o.out.data());
  for (int64_t i = 0; i < B * H; ++i) o.out[size_t(i)] = bf(o.out[size_t(i)] + o.resid1[size_t(i)]);
  return o;
}

std::vector<float> qwen3_gather_written_rows(const Qwen3Shape& s, ConstSpan<int32_t> seq_lens,
                                             ConstSpan<float> cache) {
  need("seq_lens", seq_lens.size, s.B, "B");
  need("cache", cache.size, s.B * s.NKV * s.S_max * s.D, "B*NKV*S_max*D");
  std::vector<float> rows(size_t(s.B * s.NKV * s.D));
  for (int64_t b = 0; b < s.B; ++b) {
    const int64_t pos = seq_lens[b] - 1;
    if (pos < 0 || pos >= s.S_max)
      throw isa::InputError("qwen3 reference: seq_lens[" + std::to_string(b) + "] = " +
                                  std::to_string(seq_lens[b]) + " is outside 1.." + std::to_string(s.S_max));
    for (int64_t h = 0; h < s.NKV; ++h)
      std::memcpy(&rows[size_t((b * s.NKV + h) * s.D)], cache.data + qwen3_cache_row(s, b, h, pos) * s.D,
                  size_t(s.D) * sizeof(float));
  }
  return rows;
}

CheckResult compare_tensors(const std::string& name, ConstSpan<float> actual, ConstSpan<float> expected,
                            double rtol, double atol, int bf16_ulps) {
  CheckResult r;
  r.tensor = name;
  r.rtol = rtol;
  r.atol = atol;
  const size_t n = std::min(actual.size, expected.size);
  r.total = std::max(actual.size, expected.size);
  r.mismatched = r.total - n;
  if (r.mismatched) r.max_abs = r.max_rel = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < n; ++i) {
    const double a = actual[i], b = expected[i];
    if (a == b) continue;  // also equal infinities
    const double d = std::fabs(a - b);  // NaN if either is NaN; inf if one is infinite
    int exp2 = 0;
    std::frexp(b, &exp2);  // |b| = m * 2^exp2, m in [0.5, 1): a bf16 ulp is 2^(exp2 - 8)
    const bool within_ulps = bf16_ulps > 0 && d <= bf16_ulps * std::ldexp(1.0, exp2 - 8);
    const bool bad = !(d <= atol + rtol * std::fabs(b)) && !within_ulps;
    if (bad) ++r.mismatched;
    if (std::isnan(d) || std::isinf(d)) {
      r.max_abs = r.max_rel = std::numeric_limits<double>::infinity();
      continue;
    }
    r.max_abs = std::max(r.max_abs, d);
    if (b != 0) r.max_rel = std::max(r.max_rel, d / std::fabs(b));
  }
  return r;
}

std::string format_check(const CheckResult& r) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%zu/%zu mismatched, max abs err %.4g, max rel err %.4g", r.mismatched, r.total,
                r.max_abs, r.max_rel);
  std::string s = r.tensor + ": " + buf;
  // A large relative error on an element that matches is one whose
  // reference is near 0: the absolute tolerance decided there.
  if (r.ok() && r.max_rel > r.rtol && r.rtol > 0) {
    std::snprintf(buf, sizeof buf, " (within atol %.3g where the reference is near 0)", r.atol);
    s += buf;
  }
  return s;
}

}  // namespace workloads
