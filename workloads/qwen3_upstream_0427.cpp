// Qwen3-32B decode, variant upstream_0427: pypto-lib's decode at the structure
// the calibration data was measured on ("upstream 2026-04-27" in
// /work/shared/workloads/upstream_structures.md), task for task, with tiling
// keys that also express the next commit (PR 185: seq_tile 256,
// out_proj_k_chunk 512, fuse_kv_loops). docs/workloads.md section 5.
#include "workloads/qwen3_gen.h"

namespace workloads::qwen3_impl {

// A block of a mixed cube + vector kernel (out_proj_residual,
// down_proj_residual): the cube computes acc = a[b0.., :K] x w[:K, col0..+n]
// in steps of kstep; the batch rows are split between the group's vector
// cores (on a2a3 two: vec 0 the first ceil(BT/2), vec 1 the rest), each gets
// its rows of acc through its own channel (on chip where the target has the
// L0C -> UB path, as PTOAS compiles push / pop on a5; through GM on a2a3),
// adds the matching rows of `resid`
// (fp32) and stores them into dst (cast to dst's dtype).
void Gen::split_residual_block(KernelBuilder& k, const GmTensor& a, const GmTensor& w, int64_t col0, int64_t n,
                               int64_t K, int64_t kstep, const GmTensor& scratch, const GmTensor& resid,
                               const GmTensor& dst, int64_t b0) {
  const int64_t nv = std::min<int64_t>(k.target().vector_cores, BT);
  std::vector<int64_t> r0(static_cast<size_t>(nv)), nr(static_cast<size_t>(nv));
  for (int64_t v = 0, r = 0; v < nv; ++v) {  // the first BT % nv cores take one row more
    nr[size_t(v)] = BT / nv + (v < BT % nv ? 1 : 0);
    r0[size_t(v)] = r;
    r += nr[size_t(v)];
  }
  std::vector<LTile> res(static_cast<size_t>(nv));
  k.section("residual");
  for (int64_t v = 0; v < nv; ++v) {  // the vector cores prefetch their residual rows
    k.on_vec(int(v));
    LTile& rv = res[size_t(v)];
    rv = k.slice(resid, {u(nr[size_t(v)]), u(n)}, {b0 + r0[size_t(v)], col0});
    if (rv.dtype() != DType::FP32) rv = k.cast(rv, DType::FP32);
  }
  k.section("matmul");
  LTile acc = proj_loop(k, a, b0, w, col0, n, K, kstep);
  std::vector<Channel> ch(static_cast<size_t>(nv));
  for (int64_t v = 0; v < nv; ++v) {
    ch[size_t(v)] = k.channel(scratch, {u(nr[size_t(v)]), u(n)}, {b0 + r0[size_t(v)], col0}, {}, /*on_chip=*/true);
    k.send(ch[size_t(v)], nr[size_t(v)] == BT ? acc : k.view(acc, {u(nr[size_t(v)]), u(n)}, u(r0[size_t(v)]), 0));
  }
  k.section("residual");
  for (int64_t v = 0; v < nv; ++v) {
    k.on_vec(int(v));
    LTile y = k.add(k.recv(ch[size_t(v)]), res[size_t(v)]);
    if (dst.dtype != DType::FP32) y = k.cast(y, dst.dtype);
    k.assemble(dst, y, {b0 + r0[size_t(v)], col0});
  }
  k.on_vec(0);
}

// Batch row b's RoPE, cache writes and Q padding (one vector kernel, PR 171):
// per KV head (pl.range), K rotated and V into the caches at pos, the group's
// QHB query heads rotated as one [QHB, D] tile, the pad rows zeroed.
void Gen::rope_kv_cache_body(KernelBuilder& k, int64_t b, int64_t pos) {
  const GmTensor q_heads = q_proj.reshape(B * NH, D);  // row b*NH + head: one head of q_proj
  k.section("rope");
  const CosSin cs = load_cos_sin(k, pos);
  for (int64_t h = 0; h < NKV; ++h) {  // pl.range: serial over the KV heads
    rope_kv_to_cache(k, b, h, pos, cs);
    // The group's QHB query heads at once: q_proj[b, h*QHB*D .. +QHB*D] (one
    // contiguous load) as a [QHB, D] tile.
    LTile q = k.slice(q_heads, {u(QHB), u(D)}, {b * NH + h * QHB, 0});
    const Shape2 half{u(QHB), u(HALF)};
    Rot qr = rope_row(k, k.view(q, half, 0, 0), k.view(q, half, 0, u(HALF)), cs.cos_lo, cs.cos_hi, cs.sin_lo,
                      cs.sin_hi);
    k.assemble(all_q_padded, qr.lo, {q_row(b, h, 0), 0});
    k.assemble(all_q_padded, qr.hi, {q_row(b, h, 0), HALF});
    if (QPAD > QHB) {
      LTile z = k.cast(k.fill({u(QPAD - QHB), u(D)}, DType::FP32, 0.0f), DType::BF16);
      k.assemble(all_q_padded, z, {q_row(b, h, QHB), 0});
    }
  }
}

void Gen::upstream_0427() {
  const Qwen3Tiling& t = p.tiling;
  for (int64_t b0 = 0; b0 < B; b0 += BT) {  // scope 1
    pb.kernel("rmsnorm", [&](KernelBuilder& k) { rmsnorm_body(k, hidden, in_rms_w, normed, b0, K1); });
    pb.parallel("q_proj", H / QO, t.q_proj_chunk, [&](KernelBuilder& k, int64_t ob) {
      k.assemble(q_proj, proj_loop(k, normed, b0, wq, ob * QO, QO, H, K1), {b0, ob * QO});
    });
    pb.parallel("kv_proj", KVH / KVO, t.kv_proj_chunk, [&](KernelBuilder& k, int64_t ob) {
      const int64_t kv0 = ob * KVO;
      if (t.fuse_kv_loops) {  // PR 185: one K loop, each normed_tile chunk loaded once for K and V
        kv_shared_loop(k, b0, kv0);
        return;
      }
      // 04-27: a K loop for wk, then one for wv, each loading the normed_tile chunks.
      LTile kacc = proj_loop(k, normed, b0, wk, kv0, KVO, H, K1);
      LTile vacc = proj_loop(k, normed, b0, wv, kv0, KVO, H, K1);
      k.assemble(k_proj, kacc, {b0, kv0});
      k.assemble(v_proj, vacc, {b0, kv0});
    });
  }

  // Scope 2, per batch row: seq_lens[b] read at orchestration level (the cos/sin
  // rows are views at pos), one rope_kv_cache task, then the four attention stages.
  for (int64_t b = 0; b < B; ++b) {
    const int64_t pos = ctx_len(b) - 1;
    pb.kernel("rope_kv_cache", [&](KernelBuilder& k) { rope_kv_cache_body(k, b, pos); });
    attention_stages(b, {"qk_matmul", "softmax", "sv_matmul", "online_softmax"});
  }

  for (int64_t b0 = 0; b0 < B; b0 += BT) {  // scope 3
    pb.parallel("out_proj_residual", H / QO, t.out_proj_chunk, [&](KernelBuilder& k, int64_t ob) {
      split_residual_block(k, attn_out, wo, ob * QO, QO, H, t.out_proj_k_chunk, o_acc, hidden, resid1, b0);
    });
    pb.kernel("post_rmsnorm",
              [&](KernelBuilder& k) { rmsnorm_body(k, resid1, post_rms_w, post_norm, b0, KC); });
    for (int64_t m0 = 0; m0 < I; m0 += MO) mlp_block(b0, m0, {"gate_proj", "up_proj", "silu"});
    pb.parallel("down_proj_residual", H / KC, t.down_proj_chunk, [&](KernelBuilder& k, int64_t db) {
      split_residual_block(k, mlp, w_down, db * KC, KC, I, MO, down_acc, resid1, out, b0);
    });
  }
}

}  // namespace workloads::qwen3_impl
