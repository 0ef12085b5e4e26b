// Qwen3-32B decode layer: variants, tiling checks, the entry point. Section
// numbers refer to /work/shared/workloads/qwen3_32b_decode.md; docs/workloads.md
// describes the reviewed design. The generator itself is workloads/qwen3_gen.h
// (baseline, fused_qkrope, reviewed) and workloads/qwen3_upstream_0427.cpp.
#include "workloads/qwen3_decode.h"

#include <random>
#include <utility>

#include "workloads/builder.h"
#include "workloads/qwen3_gen.h"

namespace workloads {

const char* to_string(Qwen3Variant v) {
  switch (v) {
    case Qwen3Variant::Baseline: return "baseline";
    case Qwen3Variant::FusedQkRope: return "fused_qkrope";
    case Qwen3Variant::Reviewed: return "reviewed";
    case Qwen3Variant::Upstream0427: return "upstream_0427";
    case Qwen3Variant::Upstream: return "upstream";
  }
  return "?";
}

Qwen3Tiling qwen3_default_tiling(Qwen3Variant v) {
  Qwen3Tiling t;  // baseline (spec section 4 table)
  if (v == Qwen3Variant::FusedQkRope) {
    t.scope1_k_chunk = 256;
    t.kv_out_chunk = 128;
  } else if (v == Qwen3Variant::Reviewed) {
    t.scope1_k_chunk = 128;  // K step of the projections: A [16,128], B [128, q_out_chunk]
    t.q_out_chunk = 512;     // 4 Q heads per q_proj_rope task; o_proj/down output width
    t.kv_out_chunk = 256;    // 2 KV heads (K and V) per kv_proj_rope_cache task
    t.seq_tile = 256;        // KV rows per attention block
  }
  // Upstream0427: the baseline's constants (upstream_structures.md lists the same
  // SCOPE1_K_CHUNK .. MLP_OUT_CHUNK); its own keys default in Qwen3Tiling. Its
  // K loops are pl.pipeline(stage=2), its RMSNorm loops stage 4 (same source).
  if (v == Qwen3Variant::Upstream0427) {
    t.k_loop_stages = 2;
    t.norm_stages = 4;
  }
  if (v == Qwen3Variant::Upstream) {  // upstream_structures.md, "upstream today"
    t.scope1_k_chunk = 128;   // K tile of the q / kv projections
    t.q_out_chunk = 256;      // q_proj block width; out_proj / down tile width
    t.kv_out_chunk = 256;     // K and V columns per kv_proj block (4 blocks)
    t.seq_tile = 256;         // KV rows per attention block
    t.k_chunk = 128;          // K tile of out_proj, gate, up, down
    t.mlp_out_chunk = 256;    // gate / up / silu block width
    t.attn_group_chunk = 2;   // KV groups per attention block (pl.spmd(4))
    t.mlp_task_blocks = 2;    // blocks per gate / up / silu task (pl.spmd(2): 512 columns)
    t.out_proj_chunk = 2;     // 256-column tiles per out_proj_residual task (16 tasks)
    t.down_proj_chunk = 2;    // per down_proj_residual task (16 tasks)
    t.k_loop_stages = 2;
    t.norm_stages = 4;
  }
  return t;
}

std::vector<int32_t> uniform_seq_lens(int64_t n, int64_t min, int64_t max, uint32_t seed) {
  std::mt19937 gen(seed);
  const uint64_t span = uint64_t(max - min + 1);
  std::vector<int32_t> v;
  v.reserve(size_t(n));
  for (int64_t i = 0; i < n; ++i) v.push_back(int32_t(min + int64_t(uint64_t(gen()) % span)));
  return v;
}

std::string qwen3_check(const Qwen3Params& p) {
  const Qwen3Shapes& s = p.shapes;
  const Qwen3Tiling& t = p.tiling;
  auto S = [](int64_t v) { return std::to_string(v); };
  auto multiple = [&](const char* key, const char* what, int64_t whole, int64_t part) -> std::string {
    if (part <= 0) return std::string(key) + ": must be positive, got " + S(part);
    if (whole % part) return std::string(key) + ": " + what + "=" + S(whole) + " is not a multiple of " + S(part);
    return "";
  };
  for (int64_t v : {s.B, s.S_max, s.NH, s.NKV, s.D, s.H, s.I})
    if (v <= 0) return "shapes: every shape must be positive";
  if (s.D % 2) return "shapes.D: D=" + S(s.D) + " must be even (RoPE splits each head in halves)";
  if (s.NH % s.NKV) return "shapes.NH: NH=" + S(s.NH) + " is not a multiple of NKV=" + S(s.NKV);
  if (s.H != s.NH * s.D)
    return "shapes.H: H=" + S(s.H) + " must equal NH*D=" + S(s.NH * s.D) + " (attention output width)";
  if (s.D > 4096) return "shapes.D: D=" + S(s.D) + " is too large for a tile row";
  const int64_t KVH = s.NKV * s.D;
  std::string e;
  if (!(e = multiple("tiling.batch_tile", "B", s.B, t.batch_tile)).empty()) return e;
  if (t.q_head_batch != s.NH / s.NKV)
    return "tiling.q_head_batch: must equal NH/NKV=" + S(s.NH / s.NKV) + " (query heads per KV head), got " +
           S(t.q_head_batch);
  if (t.q_head_pad < t.q_head_batch)
    return "tiling.q_head_pad: " + S(t.q_head_pad) + " is smaller than q_head_batch=" + S(t.q_head_batch);
  if (!(e = multiple("tiling.scope1_k_chunk", "H", s.H, t.scope1_k_chunk)).empty()) return e;
  if (!(e = multiple("tiling.q_out_chunk", "H", s.H, t.q_out_chunk)).empty()) return e;
  if (!(e = multiple("tiling.kv_out_chunk", "NKV*D", KVH, t.kv_out_chunk)).empty()) return e;
  if (!(e = multiple("tiling.k_chunk", "H", s.H, t.k_chunk)).empty()) return e;
  if (!(e = multiple("tiling.mlp_out_chunk", "I", s.I, t.mlp_out_chunk)).empty()) return e;
  if (t.seq_tile <= 0 || t.seq_tile > s.S_max)
    return "tiling.seq_tile: " + S(t.seq_tile) + " must be in 1..S_max=" + S(s.S_max);
  if (t.sb_batch <= 0) return "tiling.sb_batch: must be positive";
  for (auto [key, v] : {std::pair<const char*, int64_t>{"tiling.k_loop_stages", t.k_loop_stages},
                        {"tiling.norm_stages", t.norm_stages}})
    if (v < 1 || v > 16) return std::string(key) + ": " + S(v) + " is outside 1..16";
  if (p.variant == Qwen3Variant::FusedQkRope && t.kv_out_chunk % s.D)
    return "tiling.kv_out_chunk: " + S(t.kv_out_chunk) + " is not a multiple of D=" + S(s.D) +
           " (fused_qkrope ropes whole KV heads per task)";
  if (p.variant == Qwen3Variant::Reviewed) {
    if (t.q_out_chunk % s.D || (t.q_head_batch * s.D) % t.q_out_chunk)
      return "tiling.q_out_chunk: " + S(t.q_out_chunk) + " must be a multiple of D=" + S(s.D) +
             " that divides q_head_batch*D=" + S(t.q_head_batch * s.D) +
             " (a q_proj_rope task covers whole heads of one KV group)";
    if (t.kv_out_chunk % s.D)
      return "tiling.kv_out_chunk: " + S(t.kv_out_chunk) + " is not a multiple of D=" + S(s.D) +
             " (kv_proj_rope_cache covers whole KV heads)";
    if (!(e = multiple("tiling.norm_chunk", "H", s.H, t.norm_chunk)).empty()) return e;
    if (t.attn_group_chunk <= 0) return "tiling.attn_group_chunk: must be positive";
    if (t.mlp_task_blocks <= 0) return "tiling.mlp_task_blocks: must be positive";
  }
  if (p.variant == Qwen3Variant::Upstream) {
    if (!(e = multiple("tiling.norm_chunk", "H", s.H, t.norm_chunk)).empty()) return e;
    if (!(e = multiple("tiling.attn_group_chunk", "NKV", s.NKV, t.attn_group_chunk)).empty()) return e;
    if (!(e = multiple("tiling.out_proj_chunk", "H/q_out_chunk", s.H / t.q_out_chunk, t.out_proj_chunk)).empty())
      return e;
    if (!(e = multiple("tiling.down_proj_chunk", "H/q_out_chunk", s.H / t.q_out_chunk, t.down_proj_chunk)).empty())
      return e;
    if (!(e = multiple("tiling.mlp_task_blocks", "I/mlp_out_chunk", s.I / t.mlp_out_chunk, t.mlp_task_blocks)).empty())
      return e;
  }
  if (p.variant == Qwen3Variant::Upstream0427) {
    if (!(e = multiple("tiling.out_proj_k_chunk", "H", s.H, t.out_proj_k_chunk)).empty()) return e;
    for (auto [key, v] : {std::pair<const char*, int64_t>{"tiling.q_proj_chunk", t.q_proj_chunk},
                          {"tiling.kv_proj_chunk", t.kv_proj_chunk},
                          {"tiling.out_proj_chunk", t.out_proj_chunk},
                          {"tiling.down_proj_chunk", t.down_proj_chunk}})
      if (v <= 0) return std::string(key) + ": must be positive, got " + S(v);
  }
  if (p.layers < 1 || p.layers > 256) return "layers: " + S(p.layers) + " is outside 1..256";
  if (p.lm_head) {
    if (s.vocab <= 0) return "shapes.vocab: must be positive, got " + S(s.vocab);
    if (t.lm_head_chunk <= 0) return "tiling.lm_head_chunk: must be positive, got " + S(t.lm_head_chunk);
  }
  if (p.decode_steps < 1 || p.decode_steps > 100000)
    return "decode_steps: " + S(p.decode_steps) + " is outside 1..100000";
  if (p.finish_at) {
    if (p.finish_at < 1 || p.finish_at > s.S_max)
      return "continuous_batching.finish_at: " + S(p.finish_at) + " is outside 1..S_max=" + S(s.S_max);
    if (p.new_context < 1 || p.new_context > p.finish_at)
      return "continuous_batching.new_context: " + S(p.new_context) + " is outside 1..finish_at=" + S(p.finish_at);
    for (size_t i = 0; i < p.seq_lens.size(); ++i)
      if (p.seq_lens[i] > p.finish_at)
        return "seq_lens[" + S(int64_t(i)) + "]: " + S(p.seq_lens[i]) + " is past continuous_batching.finish_at=" +
               S(p.finish_at);
  } else {
    for (size_t i = 0; i < p.seq_lens.size(); ++i)
      if (p.seq_lens[i] + p.decode_steps - 1 > s.S_max)
        return "decode_steps: " + S(p.decode_steps) + " steps take seq_lens[" + S(int64_t(i)) + "] = " +
               S(p.seq_lens[i]) + " past S_max=" + S(s.S_max) + " (set continuous_batching.finish_at to replace "
               "finished sequences)";
  }
  if (int64_t(p.seq_lens.size()) != s.B)
    return "seq_lens: has " + S(int64_t(p.seq_lens.size())) + " values, B=" + S(s.B);
  for (size_t i = 0; i < p.seq_lens.size(); ++i)
    if (p.seq_lens[i] < 1 || p.seq_lens[i] > s.S_max)
      return "seq_lens[" + S(int64_t(i)) + "]: " + S(p.seq_lens[i]) + " is outside 1..S_max=" + S(s.S_max);
  return "";
}

std::vector<int32_t> qwen3_seq_lens_at(const Qwen3Params& p, int64_t step) {
  std::vector<int32_t> v = p.seq_lens;
  for (int32_t& len : v) {
    int64_t l = int64_t(len) + step;
    if (p.finish_at && l > p.finish_at)  // finished: the slot's next sequences run new_context .. finish_at
      l = p.new_context + (l - p.finish_at - 1) % (p.finish_at - p.new_context + 1);
    len = int32_t(l);
  }
  return v;
}

isa::Program build_qwen3_decode(const Qwen3Params& p, const Target& target, std::vector<isa::TaskSection>* sections) {
  std::string err = qwen3_check(p);
  if (!err.empty()) throw BuildError("qwen3_32b_decode: " + err);
  qwen3_impl::Gen g(p, target);
  g.sections = sections;
  g.tensors();
  switch (p.variant) {
    case Qwen3Variant::Baseline: g.baseline(); break;
    case Qwen3Variant::FusedQkRope: g.fused_qkrope(); break;
    case Qwen3Variant::Reviewed: g.reviewed(); break;
    case Qwen3Variant::Upstream0427: g.upstream_0427(); break;
    case Qwen3Variant::Upstream: g.upstream(); break;
  }
  g.more_layers_and_head();
  return g.pb.finish();
}

}  // namespace workloads
