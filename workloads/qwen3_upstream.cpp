// Qwen3-32B decode, variant upstream: pypto-lib's decode as it is today
// ("upstream today" in /work/shared/workloads/upstream_structures.md and
// qwen3_32b_decode.md section 4), task for task: ~266 submitted tasks, the
// projections and attention stages as pl.spmd tasks, out and down
// projections fused with their residuals in mixed cube + vector kernels.
// docs/workloads.md section 6.
#include "workloads/qwen3_gen.h"

namespace workloads::qwen3_impl {

void Gen::upstream() {
  const Qwen3Tiling& t = p.tiling;
  const int64_t GPB = t.attn_group_chunk;  // KV groups per attention block
  for (int64_t b0 = 0; b0 < B; b0 += BT) {  // scope 1
    pb.kernel("rmsnorm", [&](KernelBuilder& k) { rmsnorm_body(k, hidden, in_rms_w, normed, b0, NC); });
    // pl.spmd(H / q_out_chunk): block i computes columns [i*QO, (i+1)*QO).
    pb.spmd("q_proj", H / QO, [&](KernelBuilder& k, int64_t i) {
      k.assemble(q_proj, proj_loop(k, normed, b0, wq, i * QO, QO, H, K1), {b0, i * QO});
    });
    // pl.spmd(NKV*D / kv_out_chunk): K and V of a block's columns in one K
    // loop sharing each normed_tile load.
    pb.spmd("kv_proj", KVH / KVO, [&](KernelBuilder& k, int64_t i) { kv_shared_loop(k, b0, i * KVO); });
  }

  // Scope 2, per batch row: one rope_kv_cache task, then the four attention
  // stages, each one pl.spmd task whose blocks take GPB KV groups each.
  for (int64_t b = 0; b < B; ++b) {
    const int64_t pos = ctx_len(b) - 1;
    const int64_t nblk = att.blocks_of(b);
    pb.kernel("rope_kv_cache", [&](KernelBuilder& k) { rope_kv_cache_body(k, b, pos); });
    auto groups = [&](KernelBuilder& k, int64_t blk, const std::function<void(int64_t)>& f) {
      k.loop(blk * GPB, (blk + 1) * GPB, 1, 1, f);  // the block's groups: a plain loop
    };
    pb.spmd("qk_matmul", NKV / GPB, [&](KernelBuilder& k, int64_t blk) {
      groups(k, blk, [&](int64_t g) { att.qk(k, b, g, 0, nblk); });
    });
    pb.spmd("softmax", NKV / GPB, [&](KernelBuilder& k, int64_t blk) {
      groups(k, blk, [&](int64_t g) { k.loop(0, nblk, 1, 1, [&](int64_t sb) { att.softmax(k, b, g, sb); }); });
    });
    pb.spmd("sv_matmul", NKV / GPB, [&](KernelBuilder& k, int64_t blk) {
      groups(k, blk, [&](int64_t g) { k.loop(0, nblk, 1, 1, [&](int64_t sb) { att.sv(k, b, g, sb); }); });
    });
    pb.spmd("online_softmax", NKV / GPB, [&](KernelBuilder& k, int64_t blk) {
      groups(k, blk, [&](int64_t g) { att.online(k, b, g); });
    });
  }

  // Scope 3: output projection + residual (mixed, out_proj_chunk tiles of
  // QO columns per task), post RMSNorm, gate / up / SiLU as pl.spmd tasks of
  // mlp_task_blocks blocks of MO columns (fp32 scratch between them), down
  // projection + final residual (mixed).
  const int64_t mlp_cols = MO * t.mlp_task_blocks;
  for (int64_t b0 = 0; b0 < B; b0 += BT) {
    pb.parallel("out_proj_residual", H / QO, t.out_proj_chunk, [&](KernelBuilder& k, int64_t ob) {
      split_residual_block(k, attn_out, wo, ob * QO, QO, H, KC, o_acc, hidden, resid1, b0);
    });
    pb.kernel("post_rmsnorm", [&](KernelBuilder& k) { rmsnorm_body(k, resid1, post_rms_w, post_norm, b0, NC); });
    for (int64_t m0 = 0; m0 < I; m0 += mlp_cols) {
      pb.spmd("gate_proj", t.mlp_task_blocks, [&](KernelBuilder& k, int64_t j) {
        const int64_t c = m0 + j * MO;
        k.assemble(gate_acc, proj_loop(k, post_norm, b0, w_gate, c, MO, H, KC), {b0, c});
      });
      pb.spmd("up_proj", t.mlp_task_blocks, [&](KernelBuilder& k, int64_t j) {
        const int64_t c = m0 + j * MO;
        k.assemble(up_acc, proj_loop(k, post_norm, b0, w_up, c, MO, H, KC), {b0, c});
      });
      pb.spmd("silu", t.mlp_task_blocks, [&](KernelBuilder& k, int64_t j) {
        const int64_t c = m0 + j * MO;
        LTile g = k.slice(gate_acc, {u(BT), u(MO)}, {b0, c});
        LTile up = k.slice(up_acc, {u(BT), u(MO)}, {b0, c});
        k.assemble(mlp, k.cast(blocks::silu_mul(k, g, up), DType::BF16), {b0, c});
      });
    }
    pb.parallel("down_proj_residual", H / QO, t.down_proj_chunk, [&](KernelBuilder& k, int64_t db) {
      split_residual_block(k, mlp, w_down, db * QO, QO, I, KC, down_acc, resid1, out, b0);
    });
  }
}

}  // namespace workloads::qwen3_impl
