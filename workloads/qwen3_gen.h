// Internal to the Qwen3 decode generator (workloads/qwen3_decode.cpp and
// workloads/qwen3_upstream_0427.cpp): the shared generator state and the
// building blocks the variants are made of. Not an API.
#pragma once

#include <cmath>
#include <exception>
#include <system_error>
#include <thread>
#include <string>
#include <vector>

#include "workloads/blocks.h"
#include "workloads/builder.h"
#include "workloads/qwen3_decode.h"

namespace workloads::qwen3_impl {

using isa::DType;
using isa::Space;
using isa::TensorKind;

constexpr float kEps = 1e-6f;
constexpr int64_t kProjChunk = 4;  // baseline q_proj / kv_proj: pl.parallel(..., chunk=4)
constexpr int64_t kRopeChunk = 8;  // baseline rope_cache: pl.parallel(NKV, chunk=8)

inline uint32_t u(int64_t v) { return uint32_t(v); }

// Kernel names of the four attention stages and of the MLP kernels (upstream
// renamed them; the defaults are the baseline's).
struct AttnNames {
  const char *qk = "qk", *softmax = "softmax", *sv = "sv", *online = "online_softmax";
};
struct MlpNames {
  const char *gate = "gate", *up = "up", *silu = "silu_mul";
};

// What the generator knows besides its builder: the shapes, the tiling and
// the tensors (a part built on another thread copies it, Gen::in_parallel).
struct GenState {
  const Qwen3Params& p;
  // shapes and tiling, short names as in the PyPTO source
  int64_t B, S_max, NH, NKV, D, H, KVH, I, HALF;
  int64_t BT, K1, QO, KVO, QHB, QPAD, ST, SB, KC, MO, NC;
  int KS, NS;  // pipelining stages of the K loops and of the RMSNorm loops
  int64_t max_blocks;
  float attn_scale;

  GmTensor hidden, in_rms_w, post_rms_w, wq, wk, wv, wo, w_gate, w_up, w_down, seq_lens, rope_cos,
      rope_sin, k_cache, v_cache, out;
  GmTensor normed, all_q_padded, attn_out, raw_scores, exp_padded, oi_tmp, cur_mi, cur_li;
  GmTensor resid1, post_norm, mlp;
  GmTensor q_proj, k_proj, v_proj;                            // baseline
  GmTensor q_acc, k_acc, v_acc;                               // fused_qkrope, reviewed (q_acc)
  GmTensor o_acc, gate_acc, up_acc, down_acc;                 // baseline, fused (o/down: reviewed too)
  GmTensor rope_cs, kv_acc, gu_acc;                           // reviewed
  blocks::Attention att;  // the four attention stages' layout (after tensors())
  std::vector<isa::TaskSection>* sections = nullptr;  // the layers' spans, when asked for
  explicit GenState(const Qwen3Params& params) : p(params) {}
};

struct Gen : GenState {
  ProgramBuilder pb;

  // A part: this state, another builder (and what reads through the
  // builder reads through the part's).
  Gen(const GenState& s, ProgramBuilder&& part) : GenState(s), pb(std::move(part)) {
    att.ctx_len = [this](int64_t b) { return ctx_len(b); };
  }
  Gen(const Qwen3Params& params, const Target& target) : GenState(params), pb(target) {
    const Qwen3Shapes& s = p.shapes;
    const Qwen3Tiling& t = p.tiling;
    B = s.B, S_max = s.S_max, NH = s.NH, NKV = s.NKV, D = s.D, H = s.H, KVH = NKV * D, I = s.I;
    HALF = D / 2;
    BT = t.batch_tile, K1 = t.scope1_k_chunk, QO = t.q_out_chunk, KVO = t.kv_out_chunk;
    QHB = t.q_head_batch, QPAD = t.q_head_pad, ST = t.seq_tile, SB = t.sb_batch;
    KC = t.k_chunk, MO = t.mlp_out_chunk, NC = t.norm_chunk;
    KS = int(t.k_loop_stages), NS = int(t.norm_stages);
    max_blocks = (S_max + ST - 1) / ST;
    attn_scale = float(1.0 / std::sqrt(double(D)));
  }

  // The program first() then second(g) build, with second's launches built
  // on a fork of the builder (ProgramBuilder::fork) by a second host thread
  // while first's are built here, where the host has one: the same program,
  // in about the time of the longer part. second's kernels must be its own.
  template <class First, class Second>
  void in_parallel(const First& first, const Second& second) {
    Gen part(*this, pb.fork());
    std::exception_ptr err;
    std::thread t;
    if (std::thread::hardware_concurrency() > 1) {
      try {
        t = std::thread([&] {
          try {
            second(part);
          } catch (...) {
            err = std::current_exception();
          }
        });
      } catch (const std::system_error&) {  // no thread to be had
      }
    }
    if (!t.joinable()) {
      first();
      second(part);
    } else {
      try {
        first();
      } catch (...) {  // the first part's error comes first, as in one pass
        t.join();
        throw;
      }
      t.join();
      if (err) std::rethrow_exception(err);
    }
    pb.join(std::move(part.pb));
  }

  void tensors() {
    using TK = TensorKind;
    using Role = isa::InputRole;
    hidden = pb.tensor("hidden_states", {B, H}, DType::BF16, TK::In);
    in_rms_w = pb.tensor("input_rms_weight", {1, H}, DType::FP32, TK::In, {}, Role::Gain);
    post_rms_w = pb.tensor("post_rms_weight", {1, H}, DType::FP32, TK::In, {}, Role::Gain);
    wq = pb.tensor("wq", {H, H}, DType::BF16, TK::In, {}, Role::Weight);
    wk = pb.tensor("wk", {H, KVH}, DType::BF16, TK::In, {}, Role::Weight);
    wv = pb.tensor("wv", {H, KVH}, DType::BF16, TK::In, {}, Role::Weight);
    wo = pb.tensor("wo", {H, H}, DType::BF16, TK::In, {}, Role::Weight);
    w_gate = pb.tensor("w_gate", {H, I}, DType::BF16, TK::In, {}, Role::Weight);
    w_up = pb.tensor("w_up", {H, I}, DType::BF16, TK::In, {}, Role::Weight);
    w_down = pb.tensor("w_down", {I, H}, DType::BF16, TK::In, {}, Role::Weight);
    seq_lens = pb.tensor("seq_lens", {B}, DType::INT32, TK::In, p.seq_lens);
    rope_cos = pb.tensor("rope_cos", {S_max, D}, DType::FP32, TK::In, {}, Role::RopeCos);
    rope_sin = pb.tensor("rope_sin", {S_max, D}, DType::FP32, TK::In, {}, Role::RopeSin);
    k_cache = pb.tensor("k_cache", {B * NKV * S_max, D}, DType::BF16, TK::InOut, {}, Role::Cache);
    v_cache = pb.tensor("v_cache", {B * NKV * S_max, D}, DType::BF16, TK::InOut, {}, Role::Cache);
    // A layer of a deeper program hands `out` on: the last layer's (or the
    // logits) are the program's output.
    out = pb.tensor("out", {B, H}, DType::BF16, p.layers > 1 || p.lm_head ? TK::Scratch : TK::Out);

    // GM scratch. Tensors the PyPTO source creates inside a loop get one slot
    // per iteration (a fresh buffer each time, so no false dependencies).
    normed = pb.tensor("normed_tile", {B, H}, DType::BF16, TK::Scratch);
    all_q_padded = pb.tensor("all_q_padded", {B * NKV * QPAD, D}, DType::BF16, TK::Scratch);
    attn_out = pb.tensor("attn_out", {B, H}, DType::BF16, TK::Scratch);
    const int64_t slots = B * NKV * max_blocks;
    raw_scores = pb.tensor("all_raw_scores", {slots * QPAD, ST}, DType::FP32, TK::Scratch);
    exp_padded = pb.tensor("all_exp_padded", {slots * QPAD, ST}, DType::BF16, TK::Scratch);
    oi_tmp = pb.tensor("all_oi_tmp", {slots * QPAD, D}, DType::FP32, TK::Scratch);
    if (p.variant != Qwen3Variant::Reviewed) {
      cur_mi = pb.tensor("all_cur_mi", {slots * QHB, 1}, DType::FP32, TK::Scratch);
      cur_li = pb.tensor("all_cur_li", {slots * QHB, 1}, DType::FP32, TK::Scratch);
    }
    att.q_padded = all_q_padded, att.k_cache = k_cache, att.v_cache = v_cache;
    att.scores = raw_scores, att.exp = exp_padded, att.o_blocks = oi_tmp;
    att.m_blocks = cur_mi, att.l_blocks = cur_li, att.out = attn_out;
    att.groups = NKV, att.qheads = QHB, att.qpad = QPAD, att.D = D, att.block = ST, att.max_ctx = S_max;
    att.scale = attn_scale;
    att.ctx_len = [this](int64_t b) { return ctx_len(b); };
    resid1 = pb.tensor("resid1_tile", {B, H}, DType::FP32, TK::Scratch);
    post_norm = pb.tensor("post_norm_tile", {B, H}, DType::BF16, TK::Scratch);
    mlp = pb.tensor("mlp_tile", {B, I}, DType::BF16, TK::Scratch);
    o_acc = pb.tensor("o_acc", {B, H}, DType::FP32, TK::Scratch);
    down_acc = pb.tensor("down_acc", {B, H}, DType::FP32, TK::Scratch);
    switch (p.variant) {
      case Qwen3Variant::Baseline:
      case Qwen3Variant::Upstream0427:
      case Qwen3Variant::Upstream:
        q_proj = pb.tensor("q_proj", {B, H}, DType::FP32, TK::Scratch);
        k_proj = pb.tensor("k_proj", {B, KVH}, DType::FP32, TK::Scratch);
        v_proj = pb.tensor("v_proj", {B, KVH}, DType::FP32, TK::Scratch);
        gate_acc = pb.tensor("gate_acc", {B, I}, DType::FP32, TK::Scratch);
        up_acc = pb.tensor("up_acc", {B, I}, DType::FP32, TK::Scratch);
        break;
      case Qwen3Variant::FusedQkRope:
        q_acc = pb.tensor("q_acc", {B, H}, DType::FP32, TK::Scratch);
        k_acc = pb.tensor("k_acc", {B, KVH}, DType::FP32, TK::Scratch);
        v_acc = pb.tensor("v_acc", {B, KVH}, DType::FP32, TK::Scratch);
        gate_acc = pb.tensor("gate_acc", {B, I}, DType::FP32, TK::Scratch);
        up_acc = pb.tensor("up_acc", {B, I}, DType::FP32, TK::Scratch);
        break;
      case Qwen3Variant::Reviewed:
        rope_cs = pb.tensor("rope_cs", {B, 2 * D}, DType::FP32, TK::Scratch);
        q_acc = pb.tensor("q_acc", {B, H}, DType::FP32, TK::Scratch);
        kv_acc = pb.tensor("kv_acc", {B, 2 * KVH}, DType::FP32, TK::Scratch);
        gu_acc = pb.tensor("gu_acc", {B, 2 * I}, DType::FP32, TK::Scratch);
        break;
    }
  }

  int64_t cache_row(int64_t b, int64_t h, int64_t pos) const { return (b * NKV + h) * S_max + pos; }
  int64_t q_row(int64_t b, int64_t g, int64_t qi) const { return (b * NKV + g) * QPAD + qi; }
  int64_t slot(int64_t b, int64_t g, int64_t sb) const { return (b * NKV + g) * max_blocks + sb; }
  int64_t ctx_len(int64_t b) { return pb.read_scalar(seq_lens, b); }  // orchestration-level read

  // ---- shared pieces ---------------------------------------------------------

  // The variant's tiling bound to the building blocks (workloads/blocks.h):
  // RMSNorm of the batch tile's rows [b0, b0 + BT) of x, in `chunk` chunks.
  void rmsnorm_body(KernelBuilder& k, const GmTensor& x, const GmTensor& gamma, const GmTensor& dst,
                    int64_t b0, int64_t chunk) {
    blocks::rmsnorm(k, x, gamma, dst, b0, BT, chunk, NS, kEps);
  }

  // A projection K loop over the batch tile: acc = a[a_row0.., :K] x w[:K, col0..+ncols].
  LTile proj_loop(KernelBuilder& k, const GmTensor& a, int64_t a_row0, const GmTensor& w, int64_t col0,
                  int64_t ncols, int64_t K, int64_t kstep) {
    return blocks::projection(k, a, a_row0, BT, w, col0, ncols, K, kstep, KS);
  }

  // ---- baseline / fused_qkrope: scope 2 attention (spec 4, baseline) ----------

  // Per KV group four launches: qk and sv as pl.parallel over the context's
  // blocks (chunks of SB), softmax likewise, one online_softmax task.
  void attention_stages(int64_t b, const AttnNames& names = {}) {
    const int64_t nblk = att.blocks_of(b);
    for (int64_t gi = 0; gi < NKV; ++gi) {
      pb.parallel_range(names.qk, nblk, SB, [&](KernelBuilder& k, int64_t s0, int64_t s1) { att.qk(k, b, gi, s0, s1); });
      pb.parallel(names.softmax, nblk, SB, [&](KernelBuilder& k, int64_t sb) { att.softmax(k, b, gi, sb); });
      pb.parallel(names.sv, nblk, SB, [&](KernelBuilder& k, int64_t sb) { att.sv(k, b, gi, sb); });
      pb.kernel(names.online, [&](KernelBuilder& k) { att.online(k, b, gi); });
    }
  }

  // The four cos/sin halves of row `pos`.
  struct CosSin {
    LTile cos_lo, cos_hi, sin_lo, sin_hi;
  };
  CosSin load_cos_sin(KernelBuilder& k, int64_t pos) {
    return {k.slice(rope_cos, {1, u(HALF)}, {pos, 0}), k.slice(rope_cos, {1, u(HALF)}, {pos, HALF}),
            k.slice(rope_sin, {1, u(HALF)}, {pos, 0}), k.slice(rope_sin, {1, u(HALF)}, {pos, HALF})};
  }

  // KV head h of batch row b into the caches at `pos`: K rotated, V cast to bf16.
  void rope_kv_to_cache(KernelBuilder& k, int64_t b, int64_t h, int64_t pos, const CosSin& cs) {
    const int64_t row = cache_row(b, h, pos);
    LTile k_lo = k.slice(k_proj, {1, u(HALF)}, {b, h * D});
    LTile k_hi = k.slice(k_proj, {1, u(HALF)}, {b, h * D + HALF});
    blocks::Rotated kr = blocks::rope_halves(k, k_lo, k_hi, cs.cos_lo, cs.cos_hi, cs.sin_lo, cs.sin_hi);
    k.assemble(k_cache, kr.lo, {row, 0});
    k.assemble(k_cache, kr.hi, {row, HALF});
    LTile v = k.slice(v_proj, {1, u(D)}, {b, h * D});
    k.assemble(v_cache, k.cast(v, DType::BF16), {row, 0});
  }

  void q_pad_zero() {
    if (QPAD == QHB) return;
    pb.kernel("q_pad_zero", [&](KernelBuilder& k) {
      LTile z = k.fill({u(QPAD - QHB), u(D)}, DType::BF16, 0.0f);
      for (int64_t b = 0; b < B; ++b)
        for (int64_t g = 0; g < NKV; ++g) k.assemble(all_q_padded, z, {q_row(b, g, QHB), 0});
    });
  }

  // ---- baseline / fused_qkrope: scope 3 -----------------------------------------

  void scope3_stages(int64_t b0) {
    for (int64_t o0 = 0; o0 < H; o0 += QO) {
      pb.kernel("o_proj", [&](KernelBuilder& k) {
        k.assemble(o_acc, proj_loop(k, attn_out, b0, wo, o0, QO, H, KC), {b0, o0});
      });
      pb.kernel("residual", [&](KernelBuilder& k) {
        LTile o = k.slice(o_acc, {u(BT), u(QO)}, {b0, o0});
        LTile h = k.slice(hidden, {u(BT), u(QO)}, {b0, o0});
        k.assemble(resid1, k.add(o, k.cast(h, DType::FP32)), {b0, o0});
      });
    }
    pb.kernel("post_rmsnorm",
              [&](KernelBuilder& k) { rmsnorm_body(k, resid1, post_rms_w, post_norm, b0, KC); });
    for (int64_t m0 = 0; m0 < I; m0 += MO) mlp_block(b0, m0);
    for (int64_t d0 = 0; d0 < H; d0 += KC) {
      pb.kernel("down", [&](KernelBuilder& k) {
        k.assemble(down_acc, proj_loop(k, mlp, b0, w_down, d0, KC, I, MO), {b0, d0});
      });
      pb.kernel("final_residual", [&](KernelBuilder& k) {
        LTile d = k.slice(down_acc, {u(BT), u(KC)}, {b0, d0});
        LTile r = k.slice(resid1, {u(BT), u(KC)}, {b0, d0});
        k.assemble(out, k.cast(k.add(d, r), DType::BF16), {b0, d0});
      });
    }
  }

  // One MLP block [m0, m0 + MO) as three kernels with GM scratch in between:
  // gate and up projections (K loops over H in k_chunk steps), SiLU(gate) * up.
  void mlp_block(int64_t b0, int64_t m0, const MlpNames& names = {}) {
    pb.kernel(names.gate, [&](KernelBuilder& k) {
      k.assemble(gate_acc, proj_loop(k, post_norm, b0, w_gate, m0, MO, H, KC), {b0, m0});
    });
    pb.kernel(names.up, [&](KernelBuilder& k) {
      k.assemble(up_acc, proj_loop(k, post_norm, b0, w_up, m0, MO, H, KC), {b0, m0});
    });
    pb.kernel(names.silu, [&](KernelBuilder& k) {
      LTile g = k.slice(gate_acc, {u(BT), u(MO)}, {b0, m0});
      LTile up = k.slice(up_acc, {u(BT), u(MO)}, {b0, m0});
      k.assemble(mlp, k.cast(blocks::silu_mul(k, g, up), DType::BF16), {b0, m0});
    });
  }

  // ---- baseline ---------------------------------------------------------------

  // K and V of columns [kv0, kv0 + KVO) in one K loop: each normed_tile chunk
  // is loaded once and used by both matmuls; both results stored to GM.
  void kv_shared_loop(KernelBuilder& k, int64_t b0, int64_t kv0) {
    LTile kacc, vacc;
    k.loop(0, H, K1, KS, [&](int64_t k0) {
      LTile a = k.slice(normed, {u(BT), u(K1)}, {b0, k0}, Space::L1);
      LTile bk = k.slice(wk, {u(K1), u(KVO)}, {k0, kv0}, Space::L1);
      LTile bv = k.slice(wv, {u(K1), u(KVO)}, {k0, kv0}, Space::L1);
      kacc = k0 == 0 ? k.matmul(a, bk) : k.matmul_acc(kacc, a, bk);
      vacc = k0 == 0 ? k.matmul(a, bv) : k.matmul_acc(vacc, a, bv);
    });
    k.assemble(k_proj, kacc, {b0, kv0});
    k.assemble(v_proj, vacc, {b0, kv0});
  }

  void baseline() {
    with_scope3([this] { baseline_scopes12(); });
  }
  void baseline_scopes12() {
    for (int64_t b0 = 0; b0 < B; b0 += BT) {  // scope 1
      pb.kernel("rmsnorm", [&](KernelBuilder& k) { rmsnorm_body(k, hidden, in_rms_w, normed, b0, K1); });
      pb.parallel("q_proj", H / QO, kProjChunk, [&](KernelBuilder& k, int64_t ob) {
        k.assemble(q_proj, proj_loop(k, normed, b0, wq, ob * QO, QO, H, K1), {b0, ob * QO});
      });
      pb.parallel("kv_proj", KVH / KVO, kProjChunk,
                  [&](KernelBuilder& k, int64_t ob) { kv_shared_loop(k, b0, ob * KVO); });
    }
    q_pad_zero();  // scope 2
    for (int64_t b = 0; b < B; ++b) {
      const int64_t pos = ctx_len(b) - 1;  // orchestration-level read; cos/sin rows are views
      pb.parallel_range("rope_cache", NKV, kRopeChunk, [&](KernelBuilder& k, int64_t h0, int64_t h1) {
        k.section("rope");
        const CosSin cs = load_cos_sin(k, pos);
        for (int64_t h = h0; h < h1; ++h) {
          rope_kv_to_cache(k, b, h, pos, cs);
          for (int64_t qi = 0; qi < QHB; ++qi) {
            const int64_t qc = (h * QHB + qi) * D;
            LTile q_lo = k.slice(q_proj, {1, u(HALF)}, {b, qc});
            LTile q_hi = k.slice(q_proj, {1, u(HALF)}, {b, qc + HALF});
            blocks::Rotated qr = blocks::rope_halves(k, q_lo, q_hi, cs.cos_lo, cs.cos_hi, cs.sin_lo, cs.sin_hi);
            k.assemble(all_q_padded, qr.lo, {q_row(b, h, qi), 0});
            k.assemble(all_q_padded, qr.hi, {q_row(b, h, qi), HALF});
          }
        }
      });
      attention_stages(b);
    }
  }

  // Scope 3 after the rest: built at once on two threads (its kernels are
  // its own).
  template <class Scopes12>
  void with_scope3(const Scopes12& scopes12) {
    in_parallel(scopes12, [](Gen& g) {
      for (int64_t b0 = 0; b0 < g.B; b0 += g.BT) g.scope3_stages(b0);
    });
  }

  // ---- fused_qkrope (PR 112) -------------------------------------------------------

  // The four cos/sin halves at row pos = R[r] (in-kernel scalar read).
  CosSin load_cos_sin(KernelBuilder& k, const Reg& pos) {
    return {k.slice(rope_cos, {1, u(HALF)}, At(pos, 0, 0)),
            k.slice(rope_cos, {1, u(HALF)}, At(pos, 0, HALF)),
            k.slice(rope_sin, {1, u(HALF)}, At(pos, 0, 0)),
            k.slice(rope_sin, {1, u(HALF)}, At(pos, 0, HALF))};
  }

  void fused_qkrope() {
    with_scope3([this] { fused_qkrope_scopes12(); });
  }
  void fused_qkrope_scopes12() {
    q_pad_zero();
    for (int64_t b0 = 0; b0 < B; b0 += BT) {
      pb.kernel("rmsnorm", [&](KernelBuilder& k) { rmsnorm_body(k, hidden, in_rms_w, normed, b0, K1); });
      for (int64_t qh = 0; qh < NH; ++qh) {
        pb.kernel("q_head_proj", [&](KernelBuilder& k) {
          k.assemble(q_acc, proj_loop(k, normed, b0, wq, qh * D, D, H, K1), {b0, qh * D});
        });
        pb.kernel("q_head_rope", [&](KernelBuilder& k) {
          k.section("rope");
          const int64_t gi = qh / QHB, qi = qh % QHB;
          for (int64_t bi = 0; bi < BT; ++bi) {
            const int64_t b = b0 + bi;
            Reg pos = k.sload(seq_lens, b);
            k.sadd(pos, -1);
            CosSin cs = load_cos_sin(k, pos);
            LTile q_lo = k.slice(q_acc, {1, u(HALF)}, {b, qh * D});
            LTile q_hi = k.slice(q_acc, {1, u(HALF)}, {b, qh * D + HALF});
            blocks::Rotated r = blocks::rope_halves(k, q_lo, q_hi, cs.cos_lo, cs.cos_hi, cs.sin_lo, cs.sin_hi);
            k.assemble(all_q_padded, r.lo, {q_row(b, gi, qi), 0});
            k.assemble(all_q_padded, r.hi, {q_row(b, gi, qi), HALF});
          }
        });
      }
      for (int64_t kv0 = 0; kv0 < KVH; kv0 += KVO) {
        pb.kernel("k_head_proj", [&](KernelBuilder& k) {
          k.assemble(k_acc, proj_loop(k, normed, b0, wk, kv0, KVO, H, K1), {b0, kv0});
        });
        pb.kernel("k_head_rope_cache", [&](KernelBuilder& k) {
          k.section("rope");
          for (int64_t bi = 0; bi < BT; ++bi) {
            const int64_t b = b0 + bi;
            Reg pos = k.sload(seq_lens, b);
            k.sadd(pos, -1);
            CosSin cs = load_cos_sin(k, pos);
            for (int64_t c = kv0; c < kv0 + KVO; c += D) {
              const int64_t kvh = c / D;
              LTile k_lo = k.slice(k_acc, {1, u(HALF)}, {b, c});
              LTile k_hi = k.slice(k_acc, {1, u(HALF)}, {b, c + HALF});
              blocks::Rotated r = blocks::rope_halves(k, k_lo, k_hi, cs.cos_lo, cs.cos_hi, cs.sin_lo, cs.sin_hi);
              k.assemble(k_cache, r.lo, At(pos, cache_row(b, kvh, 0), 0));
              k.assemble(k_cache, r.hi, At(pos, cache_row(b, kvh, 0), HALF));
            }
          }
        });
      }
      for (int64_t kv0 = 0; kv0 < KVH; kv0 += KVO) {
        pb.kernel("v_head_proj", [&](KernelBuilder& k) {
          k.assemble(v_acc, proj_loop(k, normed, b0, wv, kv0, KVO, H, K1), {b0, kv0});
        });
        pb.kernel("v_cache_write", [&](KernelBuilder& k) {
          for (int64_t bi = 0; bi < BT; ++bi) {
            const int64_t b = b0 + bi;
            Reg pos = k.sload(seq_lens, b);
            k.sadd(pos, -1);
            for (int64_t c = kv0; c < kv0 + KVO; c += D) {
              LTile v = k.slice(v_acc, {1, u(D)}, {b, c});
              k.assemble(v_cache, k.cast(v, DType::BF16), At(pos, cache_row(b, c / D, 0), 0));
            }
          }
        });
      }
    }
    for (int64_t b = 0; b < B; ++b) attention_stages(b);
  }

  // ---- reviewed -----------------------------------------------------------------------

  // RoPE of one head for all BT batch rows at once: x and cs are [BT, ..] UB
  // tiles (cs row b = cos(pos_b) | sin(pos_b)); the rotated head goes, as bf16,
  // into columns [dc, dc + D) of dst.
  void rope_rows(KernelBuilder& k, const LTile& x, int64_t xc, const LTile& cs, const LTile& dst,
                 int64_t dc) {
    const Shape2 h{u(BT), u(HALF)};
    LTile lo = k.view(x, h, 0, u(xc)), hi = k.view(x, h, 0, u(xc + HALF));
    LTile cos_lo = k.view(cs, h, 0, 0), cos_hi = k.view(cs, h, 0, u(HALF));
    LTile sin_lo = k.view(cs, h, 0, u(D)), sin_hi = k.view(cs, h, 0, u(D + HALF));
    LTile rl, rh;
    {
      LTile hs = k.mul(hi, sin_lo);
      LTile lc = k.mul(lo, cos_lo);
      rl = k.sub(lc, hs);
    }
    k.cast(rl, DType::BF16, k.view(dst, h, 0, u(dc)));
    {
      LTile ls = k.mul(lo, sin_hi);
      LTile hc = k.mul(hi, cos_hi);
      rh = k.add(hc, ls);
    }
    k.cast(rh, DType::BF16, k.view(dst, h, 0, u(dc + HALF)));
  }

  void reviewed() {
    // seq_lens read once per batch row, at orchestration level.
    std::vector<int64_t> pos(static_cast<size_t>(B));
    for (int64_t b = 0; b < B; ++b) pos[size_t(b)] = ctx_len(b) - 1;
    const GmTensor q_by_b = all_q_padded.reshape(B, NKV * QPAD * D);  // row b: all groups of b
    const GmTensor k_by_head = k_cache.reshape(B * NKV, S_max * D);   // row (b, h): all positions
    const GmTensor v_by_head = v_cache.reshape(B * NKV, S_max * D);

    for (int64_t b0 = 0; b0 < B; b0 += BT) {
      // Scope 1a: RMSNorm on vec 0; the last vector core (vec 1 on a2a3)
      // gathers the cos/sin rows of each batch row's position once for every
      // RoPE that follows.
      pb.kernel("rmsnorm", [&](KernelBuilder& k) {
        rmsnorm_body(k, hidden, in_rms_w, normed, b0, NC);
        k.on_vec(int(k.target().vector_cores) - 1);
        k.section("gather cos/sin");
        LTile cs = k.alloc({u(BT), u(2 * D)}, DType::FP32);
        for (int64_t bi = 0; bi < BT; ++bi) {
          k.slice_into(k.view(cs, {1, u(D)}, u(bi), 0), rope_cos, {pos[size_t(b0 + bi)], 0});
          k.slice_into(k.view(cs, {1, u(D)}, u(bi), u(D)), rope_sin, {pos[size_t(b0 + bi)], 0});
        }
        k.assemble(rope_cs, cs, {b0, 0});
      });

      // Scope 1b: Q projection + RoPE + padding in one mixed kernel; a task
      // covers QO/D heads of one KV group for the whole batch tile.
      pb.parallel_range("q_proj_rope", NH, QO / D, [&](KernelBuilder& k, int64_t h0, int64_t h1) {
        const int64_t nh = h1 - h0, gi = h0 / QHB, qi0 = h0 % QHB;
        const int64_t npad = (h1 % QHB == 0) ? QPAD - QHB : 0;  // last heads of the group: pad rows too
        k.section("rope");
        LTile cs = k.slice(rope_cs, {u(BT), u(2 * D)}, {b0, 0});
        k.section("matmul");
        LTile acc = proj_loop(k, normed, b0, wq, h0 * D, nh * D, H, K1);
        Channel ch = k.channel(q_acc, {u(BT), u(nh * D)}, {b0, h0 * D}, {}, /*on_chip=*/true);
        k.send(ch, acc);
        k.section("rope");
        LTile x = k.recv(ch);
        LTile tq = k.alloc({u(BT), u((nh + npad) * D)}, DType::BF16);
        if (npad) k.fill_into(k.view(tq, {u(BT), u(npad * D)}, 0, u(nh * D)), 0.0f);
        for (int64_t h = 0; h < nh; ++h) rope_rows(k, x, h * D, cs, tq, h * D);
        // One store: for every batch row b, rows q_row(b, gi, qi0 ..) are contiguous.
        k.assemble(q_by_b, tq, {b0, (gi * QPAD + qi0) * D});
      });

      // Scope 1c: K and V projections share the normed_tile loads; K RoPE and
      // both cache writes (one store per batch row for all the task's heads).
      pb.parallel_range("kv_proj_rope_cache", NKV, KVO / D, [&](KernelBuilder& k, int64_t h0, int64_t h1) {
        const int64_t nh = h1 - h0, w = nh * D;
        k.section("rope");
        LTile cs = k.slice(rope_cs, {u(BT), u(2 * D)}, {b0, 0});
        k.section("matmul");
        LTile acc = k.alloc({u(BT), u(2 * w)}, DType::FP32, Space::L0C);
        LTile kacc = k.view(acc, {u(BT), u(w)}, 0, 0), vacc = k.view(acc, {u(BT), u(w)}, 0, u(w));
        k.loop(0, H, K1, KS, [&](int64_t k0) {
          LTile a = k.slice(normed, {u(BT), u(K1)}, {b0, k0}, Space::L1);
          LTile bk = k.slice(wk, {u(K1), u(w)}, {k0, h0 * D}, Space::L1);
          LTile bv = k.slice(wv, {u(K1), u(w)}, {k0, h0 * D}, Space::L1);
          if (k0 == 0) {
            k.matmul(a, bk, false, kacc);
            k.matmul(a, bv, false, vacc);
          } else {
            k.matmul_acc(kacc, a, bk);
            k.matmul_acc(vacc, a, bv);
          }
        });
        Channel ch = k.channel(kv_acc, {u(BT), u(2 * w)}, {b0, 2 * h0 * D}, {}, /*on_chip=*/true);
        k.send(ch, acc);
        k.section("rope");
        LTile x = k.recv(ch);
        LTile tk = k.alloc({u(BT), u(w)}, DType::BF16);
        for (int64_t h = 0; h < nh; ++h) rope_rows(k, x, h * D, cs, tk, h * D);
        LTile tv = k.cast(k.view(x, {u(BT), u(w)}, 0, u(w)), DType::BF16);
        for (int64_t bi = 0; bi < BT; ++bi) {
          const int64_t b = b0 + bi, p0 = pos[size_t(b)] * D;
          LTile kr = k.view(tk, {1, u(w)}, u(bi), 0), vr = k.view(tv, {1, u(w)}, u(bi), 0);
          if (nh > 1) kr = k.reshape(kr, {u(nh), u(D)}), vr = k.reshape(vr, {u(nh), u(D)});
          k.assemble(k_by_head, kr, {b * NKV + h0, p0});
          k.assemble(v_by_head, vr, {b * NKV + h0, p0});
        }
      });
    }

    // Scope 2: one flash-attention kernel per (batch row, attn_group_chunk groups).
    for (int64_t b = 0; b < B; ++b) {
      pb.parallel("attention", NKV, p.tiling.attn_group_chunk,
                  [&](KernelBuilder& k, int64_t g) { attention_group(k, b, g); });
    }

    // Scope 3.
    for (int64_t b0 = 0; b0 < B; b0 += BT) {
      pb.parallel("o_proj_residual", H / QO, 1, [&](KernelBuilder& k, int64_t ob) {
        const int64_t o0 = ob * QO;
        k.section("residual");
        LTile h32 = k.cast(k.slice(hidden, {u(BT), u(QO)}, {b0, o0}), DType::FP32);
        k.section("matmul");
        LTile acc = proj_loop(k, attn_out, b0, wo, o0, QO, H, KC);
        Channel ch = k.channel(o_acc, {u(BT), u(QO)}, {b0, o0}, {}, /*on_chip=*/true);
        k.send(ch, acc);
        k.section("residual");
        k.assemble(resid1, k.add(k.recv(ch), h32), {b0, o0});
      });
      pb.kernel("post_rmsnorm",
                [&](KernelBuilder& k) { rmsnorm_body(k, resid1, post_rms_w, post_norm, b0, NC); });
      pb.parallel("gate_up_silu", I / MO, p.tiling.mlp_task_blocks, [&](KernelBuilder& k, int64_t mb) {
        const int64_t m0 = mb * MO;
        k.section("matmul");
        LTile acc = k.alloc({u(BT), u(2 * MO)}, DType::FP32, Space::L0C);
        LTile g = k.view(acc, {u(BT), u(MO)}, 0, 0), up = k.view(acc, {u(BT), u(MO)}, 0, u(MO));
        k.loop(0, H, KC, KS, [&](int64_t k0) {
          LTile a = k.slice(post_norm, {u(BT), u(KC)}, {b0, k0}, Space::L1);
          LTile wg = k.slice(w_gate, {u(KC), u(MO)}, {k0, m0}, Space::L1);
          LTile wu = k.slice(w_up, {u(KC), u(MO)}, {k0, m0}, Space::L1);
          if (k0 == 0) {
            k.matmul(a, wg, false, g);
            k.matmul(a, wu, false, up);
          } else {
            k.matmul_acc(g, a, wg);
            k.matmul_acc(up, a, wu);
          }
        });
        Channel ch = k.channel(gu_acc, {u(BT), u(2 * MO)}, {b0, 2 * m0}, {}, /*on_chip=*/true);
        k.send(ch, acc);
        k.section("silu");
        LTile x = k.recv(ch);
        LTile xg = k.view(x, {u(BT), u(MO)}, 0, 0), xu = k.view(x, {u(BT), u(MO)}, 0, u(MO));
        LTile m = blocks::silu_mul(k, xg, xu);
        k.assemble(mlp, k.cast(m, DType::BF16), {b0, m0});
      });
      pb.parallel("down_residual", H / QO, 1, [&](KernelBuilder& k, int64_t db) {
        const int64_t d0 = db * QO;
        k.section("residual");
        LTile r = k.slice(resid1, {u(BT), u(QO)}, {b0, d0});
        k.section("matmul");
        LTile acc = proj_loop(k, mlp, b0, w_down, d0, QO, I, KC);
        Channel ch = k.channel(down_acc, {u(BT), u(QO)}, {b0, d0}, {}, /*on_chip=*/true);
        k.send(ch, acc);
        k.section("residual");
        k.assemble(out, k.cast(k.add(k.recv(ch), r), DType::BF16), {b0, d0});
      });
    }
  }

  // ---- upstream_0427 (workloads/qwen3_upstream_0427.cpp) -------------------------

  void upstream_0427();
  void upstream_0427_scopes12();
  void upstream_0427_scope3(int64_t b0);
  void rope_kv_cache_body(KernelBuilder& k, int64_t b, int64_t pos);
  void upstream();  // workloads/qwen3_upstream.cpp
  // A mixed cube + vector residual block over the batch tile (blocks::mixed_residual).
  void split_residual_block(KernelBuilder& k, const GmTensor& a, const GmTensor& w, int64_t col0, int64_t n,
                            int64_t K, int64_t kstep, const GmTensor& scratch, const GmTensor& resid,
                            const GmTensor& dst, int64_t b0) {
    blocks::MixedResidual m;
    m.a = a, m.w = w, m.scratch = scratch, m.resid = resid, m.dst = dst;
    m.row0 = b0, m.rows = BT, m.col0 = col0, m.n = n, m.K = K, m.kstep = kstep, m.stages = KS;
    blocks::mixed_residual(k, m);
  }

  // Flash attention for (b, group g) inside one mixed kernel: per block the
  // cube computes scores and e @ v, the vector core the masked softmax and the
  // online combine; m, l and o stay in UB for the whole context. The cube runs
  // one block ahead (qk of block j+1 before sv of block j) so the cores overlap.
  // Where the target has UB -> L1 (a5) each block's exp tile reaches the sv
  // matmul on chip through two L1 buffers the cube releases after its matmul
  // (the vector core writes block j's into block j-2's buffer once released);
  // elsewhere it crosses GM (exp_padded).
  void attention_group(KernelBuilder& k, int64_t b, int64_t g) {
    const int64_t ctx = ctx_len(b);
    const int64_t n = (ctx + ST - 1) / ST;
    const int64_t crow0 = cache_row(b, g, 0);
    auto vl = [&](int64_t j) { return std::min(ST, ctx - j * ST); };
    const L1Ring e_ring = k.l1_ring({u(QPAD), u(ST)}, DType::BF16, 2);  // before the cube's other L1 tiles
    std::vector<Channel> s_ch, e_ch, o_ch;
    for (int64_t j = 0; j < n; ++j) {
      const int64_t row = slot(b, g, j) * QPAD;
      s_ch.push_back(k.channel(raw_scores, {u(QHB), u(ST)}, {row, 0}, {u(QHB), u(vl(j))}));
      e_ch.push_back(k.channel(exp_padded, {u(QPAD), u(ST)}, {row, 0}, e_ring));
      o_ch.push_back(k.channel(oi_tmp, {u(QHB), u(D)}, {row, 0}));
    }
    // cube stream
    k.section("qk");
    LTile q = k.slice(all_q_padded, {u(QPAD), u(D)}, {q_row(b, g, 0), 0}, Space::L1);
    auto qk = [&](int64_t j) {
      k.section("qk");
      LTile kt = k.slice(k_cache, {u(ST), u(D)}, {crow0 + j * ST, 0}, Space::L1, {u(vl(j)), u(D)});
      LTile sc = k.matmul(q, kt, /*transpose_b=*/true);
      k.send(s_ch[size_t(j)], k.view(sc, {u(QHB), u(vl(j))}));
    };
    auto sv = [&](int64_t j) {
      k.section("sv");
      LTile e = k.recv(e_ch[size_t(j)], Space::L1);
      LTile vt = k.slice(v_cache, {u(ST), u(D)}, {crow0 + j * ST, 0}, Space::L1, {u(vl(j)), u(D)});
      LTile o = k.matmul(vl(j) == ST ? e : k.view(e, {u(QPAD), u(vl(j))}), vt);
      k.release(e_ch[size_t(j)]);  // the matmul has read e: its buffer may take block j + 2's
      k.send(o_ch[size_t(j)], k.view(o, {u(QHB), u(D)}));
    };
    qk(0);
    k.loop(0, n, 1, 2, [&](int64_t j) {  // one block ahead: two blocks' buffers in flight
      if (j + 1 < n) qk(j + 1);
      sv(j);
    });
    // vector stream (vec 0)
    k.section("softmax");
    LTile ebuf[2];
    for (LTile& e : ebuf) e = k.fill({u(QPAD), u(ST)}, DType::BF16, 0.0f);  // pad rows stay zero
    std::vector<LTile> mblk(static_cast<size_t>(n)), lblk(static_cast<size_t>(n));
    auto softmax = [&](int64_t j) {
      k.section("softmax");
      LTile s = k.recv(s_ch[size_t(j)]);
      if (vl(j) < ST) s = k.fillpad(s, blocks::kMaskedScore);
      s = k.muls(s, attn_scale);
      LTile m = k.row_max(s);
      LTile e = k.exp(k.row_expand_sub(s, m));
      LTile eb = k.cast(e, DType::BF16, k.view(ebuf[j % 2], {u(QHB), u(ST)}));
      lblk[size_t(j)] = k.row_sum(k.cast(eb, DType::FP32));
      mblk[size_t(j)] = m;
      k.send(e_ch[size_t(j)], ebuf[j % 2]);
    };
    LTile oi, mi, li;
    auto combine = [&](int64_t j) {
      k.section("online softmax");
      LTile ot = k.recv(o_ch[size_t(j)]);
      LTile mt = std::move(mblk[size_t(j)]), lt = std::move(lblk[size_t(j)]);
      if (j == 0) {
        oi = ot, mi = mt, li = lt;
        return;
      }
      blocks::online_softmax_combine(k, oi, mi, li, ot, mt, lt);
    };
    softmax(0);
    k.loop(0, n, 1, 2, [&](int64_t j) {
      if (j + 1 < n) softmax(j + 1);
      combine(j);
    });
    LTile ctxt = k.cast(k.row_expand_div(oi, li), DType::BF16);
    k.assemble(attn_out, k.reshape(ctxt, {1, u(QHB * D)}), {b, g * QHB * D});
  }

  // ---- a decode step: layers 1 .. layers-1, the final norm, the LM head -------

  // The column chunk of the variant's input RMSNorm.
  int64_t input_norm_chunk() const {
    return p.variant == Qwen3Variant::Reviewed || p.variant == Qwen3Variant::Upstream ? NC : K1;
  }

  // After layer 0 (every task so far): each further layer relaunches layer
  // 0's tasks with a binding to its own copy of every tensor but the ones
  // all layers share (seq_lens, the RoPE tables); its input is the previous
  // layer's output. Then, with lm_head, the final RMSNorm and the LM head.
  void more_layers_and_head() {
    const uint32_t layer_tasks = uint32_t(pb.program().tasks.size());
    if (sections && (p.layers > 1 || p.lm_head))
      for (int64_t l = 0; l < p.layers; ++l)
        sections->push_back({"layer " + std::to_string(l), uint32_t(l) * layer_tasks, layer_tasks});
    const uint32_t layer_tensors = uint32_t(pb.program().tensors.size());
    GmTensor x = out;  // the activation the next layer reads
    for (int64_t l = 1; l < p.layers; ++l) {
      const bool last = l + 1 == p.layers;
      std::vector<std::pair<GmTensor, GmTensor>> bind{{hidden, x}};
      GmTensor next;
      for (uint32_t i = 0; i < layer_tensors; ++i) {
        if (i == seq_lens.id || i == rope_cos.id || i == rope_sin.id || i == hidden.id) continue;
        const isa::Tensor t = pb.program().tensors[i];  // a copy: pb.tensor() grows the vector
        const TensorKind kind = i == out.id && last && !p.lm_head ? TensorKind::Out : t.kind;
        GmTensor copy = pb.tensor("L" + std::to_string(l) + "." + t.name, t.shape, t.dtype, kind, t.init, t.role);
        bind.push_back({GmTensor{i, 0, 0, t.dtype}, copy});
        if (i == out.id) next = copy;
      }
      pb.relaunch(0, layer_tasks, pb.binding(bind));
      x = next;
    }
    if (!p.lm_head) return;
    const uint32_t first = uint32_t(pb.program().tasks.size());
    lm_head(x);
    if (sections) sections->push_back({"lm_head", first, uint32_t(pb.program().tasks.size()) - first});
  }

  // The final RMSNorm of the last layer's output, as the layers' input norm
  // (one task per batch tile), and the LM head: logits = normed x w_lm,
  // ceil(vocab / lm_head_chunk) tasks of one [BT, chunk] tile each (the last
  // narrower), K loop of k_chunk, fp32 logits. npusim's own structure: the
  // upstream layer has no head (docs/workloads.md).
  void lm_head(const GmTensor& x) {
    using TK = TensorKind;
    const int64_t V = p.shapes.vocab, C = p.tiling.lm_head_chunk;
    GmTensor final_w = pb.tensor("final_norm_weight", {1, H}, DType::FP32, TK::In, {}, isa::InputRole::Gain);
    GmTensor w_lm = pb.tensor("lm_head_weight", {H, V}, DType::BF16, TK::In, {}, isa::InputRole::Weight);
    GmTensor normed_f = pb.tensor("final_normed", {B, H}, DType::BF16, TK::Scratch);
    GmTensor logits = pb.tensor("logits", {B, V}, DType::FP32, TK::Out);
    const int64_t nc = input_norm_chunk();
    for (int64_t b0 = 0; b0 < B; b0 += BT) {
      pb.kernel("final_norm", [&](KernelBuilder& k) { rmsnorm_body(k, x, final_w, normed_f, b0, nc); });
      pb.parallel_range("lm_head", V, C, [&](KernelBuilder& k, int64_t c0, int64_t c1) {
        k.assemble(logits, proj_loop(k, normed_f, b0, w_lm, c0, c1 - c0, H, KC), {b0, c0});
      });
    }
  }
};

}  // namespace workloads::qwen3_impl
