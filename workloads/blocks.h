// The building blocks of a transformer layer's kernels, as PyPTO writes them
// (the Qwen3 decode generators compose them; a prefill or MoE layer can too):
// each emits into the current launch of a KernelBuilder and knows nothing of
// the model around it but what its arguments say. Spec sections refer to
// /work/shared/workloads/qwen3_32b_decode.md.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>

#include "workloads/builder.h"

namespace workloads::blocks {

// What a masked softmax puts in the score columns past the context: the fp32
// minimum (the spec's "lowest fp32"), so exp() of them is 0.
constexpr float kMaskedScore = std::numeric_limits<float>::lowest();

// Spec 2.1 / 2.7: RMSNorm of rows [row0, row0 + rows) of x [.., H] (bf16 or
// fp32) in `chunk`-column chunks (two pl.pipeline(stage=stages) passes: sum
// of squares, then scale by gamma [1, H]); bf16 into the same rows of dst.
void rmsnorm(KernelBuilder& k, const GmTensor& x, const GmTensor& gamma, const GmTensor& dst, int64_t row0,
             int64_t rows, int64_t chunk, int stages, float eps);

// A projection's K loop (pl.pipeline(stage=stages)): returns the fp32 L0C
// accumulator [rows, ncols] = a[row0.., 0:K] x w[0:K, col0..] in K steps of kstep.
LTile projection(KernelBuilder& k, const GmTensor& a, int64_t row0, int64_t rows, const GmTensor& w, int64_t col0,
                 int64_t ncols, int64_t K, int64_t kstep, int stages);

// Spec 2.3: RoPE of the halves (lo, hi) by broadcast cos/sin rows [1, n]:
// lo' = lo*cos_lo - hi*sin_lo, hi' = hi*cos_hi + lo*sin_hi, both cast to bf16.
struct Rotated {
  LTile lo, hi;
};
Rotated rope_halves(KernelBuilder& k, const LTile& lo, const LTile& hi, const LTile& cos_lo, const LTile& cos_hi,
                    const LTile& sin_lo, const LTile& sin_hi);

// One online-softmax combine step (spec 2.5): fold a block's output ot, row
// max mt and row sum lt into the running (oi, mi, li); the sums are updated
// in their buffers, as a loop-carried value is.
void online_softmax_combine(KernelBuilder& k, LTile& oi, LTile& mi, LTile& li, const LTile& ot, const LTile& mt,
                            const LTile& lt);

// Spec 2.8: gate * 1/(1 + exp(-gate)) * up.
LTile silu_mul(KernelBuilder& k, const LTile& g, const LTile& up);

// A mixed cube + vector kernel's block that ends in a residual add
// (out_proj_residual, down_proj_residual): the cube computes
// projection(a, row0, rows, w, col0, n, K, kstep); the rows are split over the
// target's vector cores (the first rows % cores take one more), each gets its
// rows through its own channel (on chip where the target has L0C -> UB),
// adds the same rows of `resid` (cast to fp32) and stores them into dst (cast
// to dst's dtype). `scratch` [.., ..] fp32 holds the channels' GM slots.
struct MixedResidual {
  GmTensor a, w, scratch, resid, dst;
  int64_t row0 = 0, rows = 0, col0 = 0, n = 0, K = 0, kstep = 0;
  int stages = 1;
};
void mixed_residual(KernelBuilder& k, const MixedResidual& m);

// Decode attention of one (batch row, KV group) over a KV cache, as four
// stages (spec 2.4-2.6): its layout in GM and the bodies of each stage's
// kernel. The caches hold `max_ctx` rows per (row, group); scores, exp and
// per-block outputs go to one `qpad`-row slot per (row, group, block).
struct Attention {
  GmTensor q_padded;              // [rows x groups x qpad, D] bf16: the group's rotated, padded queries
  GmTensor k_cache, v_cache;      // [rows x groups x max_ctx, D] bf16
  GmTensor scores, exp, o_blocks;  // per slot [qpad, block] fp32 / bf16, [qpad, D] fp32
  GmTensor m_blocks, l_blocks;    // per slot [qheads, 1] fp32
  GmTensor out;                   // [rows, H] bf16: the group's heads at columns g * qheads * D
  int64_t groups = 0, qheads = 0, qpad = 0, D = 0, block = 0, max_ctx = 0;
  float scale = 0;
  std::function<int64_t(int64_t)> ctx_len;  // the row's context length (an orchestration-level read)

  int64_t blocks_of(int64_t b) const { return (ctx_len(b) + block - 1) / block; }
  int64_t max_blocks() const { return (max_ctx + block - 1) / block; }
  int64_t cache_row(int64_t b, int64_t g, int64_t pos) const { return (b * groups + g) * max_ctx + pos; }
  int64_t q_row(int64_t b, int64_t g, int64_t qi) const { return (b * groups + g) * qpad + qi; }
  int64_t slot(int64_t b, int64_t g, int64_t sb) const { return (b * groups + g) * max_blocks() + sb; }

  // Scores of blocks [s0, s1): Q [qpad, D] x K tile^T (a plain loop).
  void qk(KernelBuilder& k, int64_t b, int64_t g, int64_t s0, int64_t s1) const;
  // Masked, scaled softmax of block sb: exp (bf16) into its slot, m and l.
  void softmax(KernelBuilder& k, int64_t b, int64_t g, int64_t sb) const;
  // exp [qpad, block] x V tile of block sb.
  void sv(KernelBuilder& k, int64_t b, int64_t g, int64_t sb) const;
  // The online-softmax combine over the blocks (pl.range); the group's
  // [1, qheads * D] bf16 context into out.
  void online(KernelBuilder& k, int64_t b, int64_t g) const;
};

}  // namespace workloads::blocks
