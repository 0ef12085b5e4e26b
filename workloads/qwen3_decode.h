// Qwen3-32B single-layer decode (docs: /work/shared/workloads/qwen3_32b_decode.md,
// docs/workloads.md). Four variants of the same math:
//   baseline       upstream qwen3_32b_decode.py, kernel for kernel
//   fused_qkrope   PR 112 (projection kernels followed by RoPE kernels per head)
//   reviewed       PR 112's reviews applied (mixed cube+vector kernels, see docs)
//   upstream_0427  upstream as of 2026-04-27, the structure the calibration data
//                  was measured on (shared/workloads/upstream_structures.md)
//   upstream       upstream today: pl.spmd projections and attention stages,
//                  mixed out/down kernels, ~266 tasks (same file, "upstream today")
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "isa/isa.h"
#include "workloads/target.h"

namespace workloads {

enum class Qwen3Variant { Baseline, FusedQkRope, Reviewed, Upstream0427, Upstream };
const char* to_string(Qwen3Variant v);

struct Qwen3Shapes {
  int64_t B = 16, S_max = 4096, NH = 64, NKV = 8, D = 128, H = 8192, I = 25600;
  // The vocabulary (the LM head's width): Qwen3's 151936 (vocab_size in
  // config.json of Qwen/Qwen3-32B, -14B and -8B on Hugging Face).
  int64_t vocab = 151936;
};

// The PyPTO tiling constants (YAML keys in snake case).
struct Qwen3Tiling {
  int64_t scope1_k_chunk = 512, q_out_chunk = 64, kv_out_chunk = 64, batch_tile = 16;
  int64_t q_head_batch = 8, q_head_pad = 16, seq_tile = 64, sb_batch = 64;
  int64_t k_chunk = 128, mlp_out_chunk = 256;
  // Pipelining depth (pl.pipeline(stage=N); a pl.range is 1), optional in YAML:
  // the projections' K loops and the RMSNorm column loops. Defaults per
  // variant: 1 where the source uses pl.range (baseline, fused_qkrope,
  // reviewed), upstream_0427's pl.pipeline stages (K loops 2, RMSNorm 4).
  int64_t k_loop_stages = 1, norm_stages = 1;
  // reviewed only (optional in YAML; rejected for the other variants)
  int64_t norm_chunk = 512;       // RMSNorm column chunk
  int64_t attn_group_chunk = 2;   // KV groups per attention task
  int64_t mlp_task_blocks = 4;    // MLP blocks per gate_up_silu task
  // upstream_0427 only (optional in YAML; rejected for the other variants).
  // Defaults: the 2026-04-27 structure; PR 185 is seq_tile 256,
  // out_proj_k_chunk 512, fuse_kv_loops true.
  int64_t out_proj_k_chunk = 128;  // K step of out_proj_residual (OUT_PROJ_K_CHUNK)
  bool fuse_kv_loops = false;      // kv_proj: K and V in one K loop sharing the normed_tile loads
  int64_t q_proj_chunk = 4;        // pl.parallel chunks: output blocks per q_proj task,
  int64_t kv_proj_chunk = 1;       //   per kv_proj task,
  int64_t out_proj_chunk = 6;      //   per out_proj_residual task,
  int64_t down_proj_chunk = 1;     //   per down_proj_residual task
  // The LM head (with lm_head): columns of the vocabulary per task (the last
  // task takes what is left); its K loop steps by k_chunk.
  int64_t lm_head_chunk = 512;
};

struct Qwen3Params {
  Qwen3Variant variant = Qwen3Variant::Baseline;
  Qwen3Shapes shapes;
  Qwen3Tiling tiling;
  std::vector<int32_t> seq_lens;  // B values in 1..S_max
  // A decode step of a whole model: `layers` layers, each its own weights,
  // caches and activations in GM (tensors of layer l > 0 are named "L<l>.x";
  // layer 0's keep the single layer's names), then, with lm_head, the final
  // RMSNorm and the LM head (logits [B, vocab]). Every layer runs the first
  // layer's kernels under a tensor binding (isa::Binding): one copy of the
  // instructions whatever the depth.
  int64_t layers = 1;
  bool lm_head = false;
  // Token-by-token: decode_steps steps, step s's contexts s longer than
  // seq_lens. With finish_at (continuous batching), a sequence whose context
  // would pass finish_at finishes and a new one takes its slot with a
  // context of new_context (its prompt in the cache), growing from there.
  int64_t decode_steps = 1;
  int64_t finish_at = 0;  // 0: sequences never finish
  int64_t new_context = 1;
};

// The contexts at decode step `step` (0: seq_lens).
std::vector<int32_t> qwen3_seq_lens_at(const Qwen3Params& p, int64_t step);

// The spec's tiling per variant at full size.
Qwen3Tiling qwen3_default_tiling(Qwen3Variant v);

// Checks shapes/tiling/seq_lens; returns "" or a message that names the key
// ("tiling.scope1_k_chunk: H=8192 is not a multiple of 3000") — the key path
// comes first, followed by ": ".
std::string qwen3_check(const Qwen3Params& p);

// Generates the program (throws BuildError on a builder-level problem, e.g. a
// kernel whose live tiles do not fit the local buffers).
// `sections`, if given, gets the program's layers ("layer 0", ...) and
// "lm_head" as spans of its tasks.
isa::Program build_qwen3_decode(const Qwen3Params& p, const Target& target = {},
                                std::vector<isa::TaskSection>* sections = nullptr);

// Deterministic uniform seq_lens: x = mt19937(seed); value_i = min + x() % (max - min + 1).
std::vector<int32_t> uniform_seq_lens(int64_t n, int64_t min, int64_t max, uint32_t seed);

}  // namespace workloads
