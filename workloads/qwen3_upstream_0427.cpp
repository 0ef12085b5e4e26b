// Qwen3-32B decode, variant upstream_0427: pypto-lib's decode at the structure
// the calibration data was measured on ("upstream 2026-04-27" in
// /work/shared/workloads/upstream_structures.md), task for task, with tiling
// keys that also express the next commit (PR 185: seq_tile 256,
// out_proj_k_chunk 512, fuse_kv_loops). docs/workloads.md section 5.
#include "workloads/qwen3_gen.h"

namespace workloads::qwen3_impl {

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
    blocks::Rotated qr = blocks::rope_halves(k, k.view(q, half, 0, 0), k.view(q, half, 0, u(HALF)), cs.cos_lo, cs.cos_hi, cs.sin_lo,
                      cs.sin_hi);
    k.assemble(all_q_padded, qr.lo, {q_row(b, h, 0), 0});
    k.assemble(all_q_padded, qr.hi, {q_row(b, h, 0), HALF});
    if (QPAD > QHB) {
      LTile z = k.cast(k.fill({u(QPAD - QHB), u(D)}, DType::FP32, 0.0f), DType::BF16);
      k.assemble(all_q_padded, z, {q_row(b, h, QHB), 0});
    }
  }
}

// Scope 3 is built on a second thread while scopes 1 and 2 are (Gen::in_parallel).
void Gen::upstream_0427() {
  in_parallel([this] { upstream_0427_scopes12(); },
              [](Gen& g) {
                for (int64_t b0 = 0; b0 < g.B; b0 += g.BT) g.upstream_0427_scope3(b0);
              });
}

void Gen::upstream_0427_scopes12() {
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
}

void Gen::upstream_0427_scope3(int64_t b0) {
  const Qwen3Tiling& t = p.tiling;
  pb.parallel("out_proj_residual", H / QO, t.out_proj_chunk, [&](KernelBuilder& k, int64_t ob) {
    split_residual_block(k, attn_out, wo, ob * QO, QO, H, t.out_proj_k_chunk, o_acc, hidden, resid1, b0);
  });
  pb.kernel("post_rmsnorm", [&](KernelBuilder& k) { rmsnorm_body(k, resid1, post_rms_w, post_norm, b0, KC); });
  for (int64_t m0 = 0; m0 < I; m0 += MO) mlp_block(b0, m0, {"gate_proj", "up_proj", "silu"});
  pb.parallel("down_proj_residual", H / KC, t.down_proj_chunk, [&](KernelBuilder& k, int64_t db) {
    split_residual_block(k, mlp, w_down, db * KC, KC, I, MO, down_acc, resid1, out, b0);
  });
}

}  // namespace workloads::qwen3_impl
