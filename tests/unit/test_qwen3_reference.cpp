// The Qwen3 decode reference (workloads/qwen3_reference.h): RoPE on a hand
// example, the whole layer against an independent naive computation (double
// math, exact softmax over the whole context), the written cache rows, and
// the tolerance check.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "workloads/qwen3_reference.h"

using workloads::CheckResult;
using workloads::compare_tensors;
using workloads::Qwen3Inputs;
using workloads::Qwen3Shape;

namespace {

float bf(double x) { return workloads::qwen3_round_bf16(float(x)); }

// Owned storage for the inputs of a tiny layer.
struct Data {
  Qwen3Shape s;
  std::vector<float> hidden, rms1, rms2, wq, wk, wv, wo, wg, wu, wd, cos, sin, kc, vc;
  std::vector<int32_t> seq;

  Data(Qwen3Shape shape, std::vector<int32_t> seq_lens, uint64_t seed) : s(shape), seq(std::move(seq_lens)) {
    std::mt19937_64 rng(seed);
    auto u = [&] { return double(rng() >> 40) / 16777216.0 - 0.5; };
    auto fill = [&](std::vector<float>& v, int64_t n, double scale, double bias, bool round) {
      v.resize(size_t(n));
      for (float& x : v) x = round ? bf(bias + scale * u()) : float(bias + scale * u());
    };
    const int64_t H = s.H, KVH = s.kvh(), I = s.I, rows = s.B * s.NKV * s.S_max;
    fill(hidden, s.B * H, 1.0, 0.0, true);
    fill(rms1, H, 0.2, 1.0, false);
    fill(rms2, H, 0.2, 1.0, false);
    // wq larger than nn.Linear's init so that the softmax is far from uniform.
    fill(wq, H * H, 8.0 / std::sqrt(double(H)), 0.0, true);
    fill(wk, H * KVH, 2.0 / std::sqrt(double(H)), 0.0, true);
    fill(wv, H * KVH, 2.0 / std::sqrt(double(H)), 0.0, true);
    fill(wo, H * H, 2.0 / std::sqrt(double(H)), 0.0, true);
    fill(wg, H * I, 2.0 / std::sqrt(double(H)), 0.0, true);
    fill(wu, H * I, 2.0 / std::sqrt(double(H)), 0.0, true);
    fill(wd, I * H, 2.0 / std::sqrt(double(I)), 0.0, true);
    fill(kc, rows * s.D, 2.0, 0.0, true);
    fill(vc, rows * s.D, 2.0, 0.0, true);
    cos.resize(size_t(s.S_max * s.D));
    sin.resize(cos.size());
    for (int64_t p = 0; p < s.S_max; ++p)
      for (int64_t j = 0; j < s.D; ++j) {
        const double f = std::pow(1e6, -2.0 * double(j % (s.D / 2)) / double(s.D));
        cos[size_t(p * s.D + j)] = float(std::cos(double(p) * f));
        sin[size_t(p * s.D + j)] = float(std::sin(double(p) * f));
      }
  }

  Qwen3Inputs inputs() const {
    Qwen3Inputs in;
    in.hidden_states = hidden;
    in.input_rms_weight = rms1;
    in.post_rms_weight = rms2;
    in.wq = wq;
    in.wk = wk;
    in.wv = wv;
    in.wo = wo;
    in.w_gate = wg;
    in.w_up = wu;
    in.w_down = wd;
    in.seq_lens = seq;
    in.rope_cos = cos;
    in.rope_sin = sin;
    in.k_cache = kc;
    in.v_cache = vc;
    return in;
  }
};

struct Naive {
  std::vector<float> out, attn, k_rows, v_rows;
};

// Independent: double everywhere, softmax over the whole context at once
// (no blocks, e not rounded), bf16 only where a tensor is bf16 (normed, the
// q entering attention, cache rows, attn_out, normed2, mlp, out).
Naive naive(const Data& d) {
  const Qwen3Shape& s = d.s;
  const int64_t B = s.B, H = s.H, D = s.D, KVH = s.kvh(), I = s.I, G = s.NH / s.NKV;
  auto norm = [&](const std::vector<double>& x, const std::vector<float>& w) {
    std::vector<float> out(size_t(B * H));
    for (int64_t b = 0; b < B; ++b) {
      double ss = 0;
      for (int64_t i = 0; i < H; ++i) ss += x[size_t(b * H + i)] * x[size_t(b * H + i)];
      const double r = 1.0 / std::sqrt(ss / double(H) + double(s.eps));
      for (int64_t i = 0; i < H; ++i) out[size_t(b * H + i)] = bf(x[size_t(b * H + i)] * r * w[size_t(i)]);
    }
    return out;
  };
  auto mm = [&](const std::vector<float>& x, int64_t k, const std::vector<float>& w, int64_t n) {
    std::vector<double> y(size_t(B * n), 0.0);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t q = 0; q < k; ++q) acc += double(x[size_t(b * k + q)]) * double(w[size_t(q * n + j)]);
        y[size_t(b * n + j)] = acc;
      }
    return y;
  };
  std::vector<double> x(d.hidden.begin(), d.hidden.end());
  const std::vector<float> normed = norm(x, d.rms1);
  std::vector<double> q = mm(normed, H, d.wq, H), k = mm(normed, H, d.wk, KVH), v = mm(normed, H, d.wv, KVH);
  auto rot = [&](double* h, int64_t pos) {
    for (int64_t i = 0; i < D / 2; ++i) {
      const double lo = h[i], hi = h[i + D / 2];
      h[i] = lo * d.cos[size_t(pos * D + i)] - hi * d.sin[size_t(pos * D + i)];
      h[i + D / 2] = hi * d.cos[size_t(pos * D + i + D / 2)] + lo * d.sin[size_t(pos * D + i + D / 2)];
    }
  };
  Naive n;
  n.k_rows.resize(size_t(B * KVH));
  n.v_rows.resize(size_t(B * KVH));
  n.attn.resize(size_t(B * H));
  for (int64_t b = 0; b < B; ++b) {
    const int64_t ctx = d.seq[size_t(b)], pos = ctx - 1;
    for (int64_t h = 0; h < s.NH; ++h) rot(&q[size_t(b * H + h * D)], pos);
    for (int64_t h = 0; h < s.NKV; ++h) rot(&k[size_t(b * KVH + h * D)], pos);
    for (int64_t i = 0; i < KVH; ++i) {
      n.k_rows[size_t(b * KVH + i)] = bf(k[size_t(b * KVH + i)]);
      n.v_rows[size_t(b * KVH + i)] = bf(v[size_t(b * KVH + i)]);
    }
    for (int64_t h = 0; h < s.NKV; ++h) {
      auto kv = [&](const std::vector<float>& cache, const std::vector<float>& rows, int64_t p, int64_t j) {
        return p == pos ? double(rows[size_t(b * KVH + h * D + j)])
                        : double(cache[size_t(workloads::qwen3_cache_row(s, b, h, p) * D + j)]);
      };
      for (int64_t g = 0; g < G; ++g) {
        const int64_t head = h * G + g;
        std::vector<double> sc(static_cast<size_t>(ctx));
        double m = -INFINITY;
        for (int64_t p = 0; p < ctx; ++p) {
          double dot = 0;
          for (int64_t j = 0; j < D; ++j) dot += double(bf(q[size_t(b * H + head * D + j)])) * kv(d.kc, n.k_rows, p, j);
          sc[size_t(p)] = dot / std::sqrt(double(D));
          m = std::max(m, sc[size_t(p)]);
        }
        double l = 0;
        std::vector<double> o(size_t(D), 0.0);
        for (int64_t p = 0; p < ctx; ++p) {
          const double e = std::exp(sc[size_t(p)] - m);
          l += e;
          for (int64_t j = 0; j < D; ++j) o[size_t(j)] += e * kv(d.vc, n.v_rows, p, j);
        }
        for (int64_t j = 0; j < D; ++j) n.attn[size_t(b * H + head * D + j)] = bf(o[size_t(j)] / l);
      }
    }
  }
  std::vector<double> resid1 = mm(n.attn, H, d.wo, H);
  for (size_t i = 0; i < resid1.size(); ++i) resid1[i] += d.hidden[i];
  const std::vector<float> normed2 = norm(resid1, d.rms2);
  const std::vector<double> gate = mm(normed2, H, d.wg, I), up = mm(normed2, H, d.wu, I);
  std::vector<float> mlp(gate.size());
  for (size_t i = 0; i < gate.size(); ++i) mlp[i] = bf(gate[i] / (1.0 + std::exp(-gate[i])) * up[i]);
  const std::vector<double> down = mm(mlp, I, d.wd, H);
  n.out.resize(down.size());
  for (size_t i = 0; i < down.size(); ++i) n.out[i] = bf(down[i] + resid1[i]);
  return n;
}

Qwen3Shape tiny_shape(int64_t B) {
  Qwen3Shape s;
  s.B = B;
  s.S_max = 192;
  s.NH = 4;
  s.NKV = 2;  // groups of 2 q heads
  s.D = 16;
  s.H = 64;
  s.I = 96;
  return s;
}

void expect_close(const std::string& name, const std::vector<float>& got, const std::vector<float>& want) {
  const CheckResult r = compare_tensors(name, got, want);
  EXPECT_EQ(r.mismatched, 0u) << workloads::format_check(r);
  EXPECT_EQ(r.total, want.size());
}

}  // namespace

TEST(Qwen3Reference, Bf16RoundsTiesAwayFromZeroAsTcvtRound) {
  // 1 + 2^-8 lies halfway between the bf16 values 1 and 1 + 2^-7 (a bf16
  // has 7 fraction bits): ROUND takes the one away from zero, RINT would
  // keep 1 (its last bit is even). Off the tie both round to the nearest.
  EXPECT_EQ(workloads::qwen3_round_bf16(1.0f + 0x1p-8f), 1.0f + 0x1p-7f);
  EXPECT_EQ(workloads::qwen3_round_bf16(-(1.0f + 0x1p-8f)), -(1.0f + 0x1p-7f));
  EXPECT_EQ(workloads::qwen3_round_bf16(1.0f + 0x1p-9f), 1.0f);
  EXPECT_EQ(workloads::qwen3_round_bf16(1.0f + 0x1p-8f + 0x1p-20f), 1.0f + 0x1p-7f);
}

TEST(Qwen3Reference, RopeHalfSplitHandExample) {
  // D = 4: lo = (v0, v1), hi = (v2, v3); pair i rotates (lo_i, hi_i).
  // cos = [0, 1, 0, 1], sin = [1, 0, 1, 0]: pair 0 by 90 degrees, pair 1 by 0.
  // lo' = [1*0 - 3*1, 2*1 - 4*0] = [-3, 2]; hi' = [3*0 + 1*1, 4*1 + 2*0] = [1, 4].
  float v[4] = {1, 2, 3, 4};
  const float c[4] = {0, 1, 0, 1}, s[4] = {1, 0, 1, 0};
  workloads::qwen3_rope(v, c, s, 4);
  EXPECT_EQ(std::vector<float>(v, v + 4), (std::vector<float>{-3, 2, 1, 4}));
  // The hi half uses the hi halves of cos/sin: cos = [0.5, 1, 0.25, 1], sin = [0.75, 0, 2, 0]:
  // lo0' = 1*0.5 - 3*0.75 = -1.75; hi0' = 3*0.25 + 1*2 = 2.75.
  float w[4] = {1, 2, 3, 4};
  const float c2[4] = {0.5f, 1, 0.25f, 1}, s2[4] = {0.75f, 0, 2, 0};
  workloads::qwen3_rope(w, c2, s2, 4);
  EXPECT_EQ(std::vector<float>(w, w + 4), (std::vector<float>{-1.75f, 2, 2.75f, 4}));
}

TEST(Qwen3Reference, OneBatchMatchesNaiveExactSoftmax) {
  // 150 tokens: blocks of 64, 64 and 22 valid rows, so the online combine runs twice.
  const Data d(tiny_shape(1), {150}, 1);
  const workloads::Qwen3Outputs o = workloads::qwen3_decode_reference(d.s, d.inputs());
  const Naive n = naive(d);
  expect_close("k_rows", o.k_rows, n.k_rows);
  expect_close("v_rows", o.v_rows, n.v_rows);
  expect_close("attn_out", o.attn_out, n.attn);
  expect_close("out", o.out, n.out);
  // Every output is a bf16 value.
  for (float x : o.out) ASSERT_EQ(x, workloads::qwen3_round_bf16(x));
  // The attention is not trivial: some ctx values differ from a plain mean of v.
  double spread = 0;
  for (float x : o.attn_out) spread = std::max(spread, double(std::fabs(x)));
  EXPECT_GT(spread, 0.05);
}

TEST(Qwen3Reference, BatchesWithBlockEdgeLengthsMatchNaive) {
  // seq lens 1 (only the new token), 64 (one full block), 65 (a block of 1), 192 = S_max.
  const Data d(tiny_shape(4), {1, 64, 65, 192}, 2);
  const workloads::Qwen3Outputs o = workloads::qwen3_decode_reference(d.s, d.inputs());
  const Naive n = naive(d);
  expect_close("k_rows", o.k_rows, n.k_rows);
  expect_close("v_rows", o.v_rows, n.v_rows);
  expect_close("attn_out", o.attn_out, n.attn);
  expect_close("out", o.out, n.out);
  // With one token the softmax is that token: ctx = bf16(v_new) exactly.
  for (int64_t h = 0; h < d.s.NKV; ++h)
    for (int64_t g = 0; g < 2; ++g)
      for (int64_t j = 0; j < d.s.D; ++j)
        EXPECT_EQ(o.attn_out[size_t((h * 2 + g) * d.s.D + j)], o.v_rows[size_t(h * d.s.D + j)]);
}

TEST(Qwen3Reference, WrittenRowsGatherFromACache) {
  const Data d(tiny_shape(2), {5, 100}, 3);
  const workloads::Qwen3Outputs o = workloads::qwen3_decode_reference(d.s, d.inputs());
  // Write the reference rows into a copy of the cache, then gather them back.
  std::vector<float> kc = d.kc;
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t h = 0; h < d.s.NKV; ++h)
      for (int64_t j = 0; j < d.s.D; ++j)
        kc[size_t(workloads::qwen3_cache_row(d.s, b, h, d.seq[size_t(b)] - 1) * d.s.D + j)] =
            o.k_rows[size_t((b * d.s.NKV + h) * d.s.D + j)];
  EXPECT_EQ(workloads::qwen3_gather_written_rows(d.s, d.seq, kc), o.k_rows);
  // row(b, h, p) = b*NKV*S_max + h*S_max + p
  EXPECT_EQ(workloads::qwen3_cache_row(d.s, 1, 1, 99), 1 * 2 * 192 + 1 * 192 + 99);
}

TEST(Qwen3Reference, RejectsBadShapesAndSeqLens) {
  Data d(tiny_shape(1), {10}, 4);
  Qwen3Inputs in = d.inputs();
  in.wk.size -= 1;
  try {
    workloads::qwen3_decode_reference(d.s, in);
    FAIL();
  } catch (const isa::InputError& e) {
    EXPECT_STREQ(e.what(), "qwen3 reference: wk has 2047 elements, expected H*KVH = 2048");
  }
  d.seq[0] = 193;
  EXPECT_THROW(workloads::qwen3_decode_reference(d.s, d.inputs()), isa::InputError);
  Qwen3Shape bad = d.s;
  bad.H = 60;
  EXPECT_THROW(workloads::qwen3_decode_reference(bad, d.inputs()), isa::InputError);
}

TEST(Qwen3Check, AllcloseRuleAndReport) {
  // |a - b| > atol + rtol*|b| with 3e-3 both:
  //   1.0 vs 1.0: equal; 2.0 vs 2.01: 0.01 > 0.003 + 0.00603 -> mismatch;
  //   0.0 vs 0.004: 0.004 > 0.003 -> mismatch (rel 1.0); 0.5 vs 0.502: 0.002 <= 0.004506 -> ok.
  const std::vector<float> a = {1.0f, 2.0f, 0.0f, 0.5f}, b = {1.0f, 2.01f, 0.004f, 0.502f};
  const CheckResult r = compare_tensors("out", a, b);
  EXPECT_EQ(r.mismatched, 2u);
  EXPECT_EQ(r.total, 4u);
  EXPECT_NEAR(r.max_abs, 0.01, 1e-6);
  EXPECT_NEAR(r.max_rel, 1.0, 1e-6);
  EXPECT_EQ(workloads::format_check(r), "out: 2/4 mismatched, max abs err 0.01, max rel err 1");
  EXPECT_FALSE(r.ok());
  // A pass with a large relative error says the absolute tolerance decided:
  // 0.002 vs 0.001: |d| = 0.001 <= 0.003 + 0.000003, rel 1.0 > rtol.
  const CheckResult near0 = compare_tensors("m", std::vector<float>{0.002f}, std::vector<float>{0.001f});
  EXPECT_TRUE(near0.ok());
  EXPECT_EQ(workloads::format_check(near0),
            "m: 0/1 mismatched, max abs err 0.001, max rel err 1 (within atol 0.003 where the reference is near 0)");
  // NaN and infinities: a NaN is a mismatch, equal infinities are not.
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const CheckResult q = compare_tensors("x", std::vector<float>{nan, inf, 1.0f}, std::vector<float>{1.0f, inf, 1.0f});
  EXPECT_EQ(q.mismatched, 1u);
  EXPECT_TRUE(std::isinf(q.max_abs));
  // Sizes that differ: the extra elements count as mismatched.
  const CheckResult z = compare_tensors("y", std::vector<float>{1, 2}, std::vector<float>{1, 2, 3});
  EXPECT_EQ(z.mismatched, 1u);
  EXPECT_EQ(z.total, 3u);
  EXPECT_TRUE(compare_tensors("ok", a, a).ok());
}

TEST(Qwen3Check, OneBf16UlpIsToleratedOnlyWhenAsked) {
  // 1.5 and 1.5078125 are neighbouring bf16 values: 1.5 = 0.75 * 2^1, so one
  // ulp is 2^(1-8) = 0.0078125 > 3e-3 + 3e-3 * 1.5 = 0.0075. Two ulps apart
  // (1.515625) is a mismatch either way.
  const std::vector<float> got = {1.5078125f, 1.515625f}, want = {1.5f, 1.5f};
  EXPECT_EQ(compare_tensors("k", got, want).mismatched, 2u);
  EXPECT_EQ(compare_tensors("k", got, want, workloads::kQwen3Rtol, workloads::kQwen3Atol, 1).mismatched, 1u);
}
