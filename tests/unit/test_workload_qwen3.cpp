// Static checks of the generated Qwen3 decode programs (no simulator).
// Expected numbers are hand counts from /work/shared/workloads/qwen3_32b_decode.md.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>

#include "workloads/builder.h"
#include "workloads/qwen3_decode.h"
#include "workloads/workload.h"

using namespace workloads;
using isa::Op;

namespace {

std::string cfg(const std::string& name) {
  return std::string(NPUSIM_SOURCE_DIR) + "/configs/workloads/" + name + ".yaml";
}

// The full-size programs, built once from the shipped YAML files.
const isa::Program& full(const std::string& variant) {
  static std::map<std::string, isa::Program> cache;
  auto it = cache.find(variant);
  if (it == cache.end())
    it = cache.emplace(variant, build_workload_file(cfg("qwen3_32b_decode_" + variant))).first;
  return it->second;
}

// ---- counting helpers ------------------------------------------------------

template <class F>
void for_each_instr(const isa::Program& p, F f) {
  for (const isa::Task& t : p.tasks) {
    const isa::Kernel& k = p.kernels[t.kernel];
    for (const isa::Instr& in : k.cube) f(t, k, in);
    for (const auto& s : k.vec)
      for (const isa::Instr& in : s) f(t, k, in);
  }
}

template <class F>
void for_each_instr(const isa::Kernel& k, F f) {
  for (const isa::Instr& in : k.cube) f(in);
  for (const auto& s : k.vec)
    for (const isa::Instr& in : s) f(in);
}

uint32_t site_id(const isa::Program& p, const std::string& s) {
  auto it = std::find(p.sites.begin(), p.sites.end(), s);
  EXPECT_NE(it, p.sites.end()) << "no site '" << s << "'";
  return uint32_t(it - p.sites.begin());
}

bool is_dma(const isa::Instr& in) { return in.op == Op::TLOAD || in.op == Op::TSTORE; }

uint64_t dma_bytes(const isa::Program& p, const isa::Instr& in) {
  return uint64_t(in.gm.rows) * in.gm.cols * isa::dtype_bytes(p.tensors[in.gm.tensor].dtype);
}

// Count of instructions with opcode `op` from site `site` (optionally of `bytes` each).
size_t count_site(const isa::Program& p, Op op, const std::string& site, uint64_t bytes = 0) {
  uint32_t s = site_id(p, site);
  size_t n = 0;
  for_each_instr(p, [&](const isa::Task&, const isa::Kernel&, const isa::Instr& in) {
    if (in.op == op && in.site == s && (bytes == 0 || dma_bytes(p, in) == bytes)) ++n;
  });
  return n;
}

size_t count_dma(const isa::Program& p) {
  size_t n = 0;
  for_each_instr(p, [&](const isa::Task&, const isa::Kernel&, const isa::Instr& in) { n += is_dma(in); });
  return n;
}

std::map<std::string, size_t> launches(const isa::Program& p) {
  std::map<std::string, size_t> m;
  for (const isa::Task& t : p.tasks) ++m[p.kernels[t.kernel].name];
  return m;
}

// Per task: number of instructions with opcode op in that task's kernel.
size_t count_in_kernel(const isa::Kernel& k, Op op) {
  size_t n = 0;
  for_each_instr(k, [&](const isa::Instr& in) { n += in.op == op; });
  return n;
}

// True when the union of TLOAD views of tensor `name` covers every element.
// Works on a grid whose cell size is the gcd of every view's extents.
bool loads_cover(const isa::Program& p, const std::string& name) {
  uint32_t t = *p.find_tensor(name);
  const isa::Tensor& T = p.tensors[t];
  const int64_t rows = T.shape[0], cols = T.shape[1];
  struct R {
    int64_t r0, c0, nr, nc;
  };
  std::vector<R> rs;
  int64_t gr = rows, gc = cols;
  for_each_instr(p, [&](const isa::Task& task, const isa::Kernel&, const isa::Instr& in) {
    if (in.op != Op::TLOAD) return;
    const isa::GmView v = p.bound_view(task, in.gm);  // where this launch reads
    if (v.tensor != t) return;
    EXPECT_EQ(v.reg, -1);
    EXPECT_EQ(v.row_stride, uint32_t(cols));
    R r{v.offset / cols, v.offset % cols, v.rows, v.cols};
    gr = std::gcd(gr, std::gcd(r.r0, r.nr));
    gc = std::gcd(gc, std::gcd(r.c0, r.nc));
    rs.push_back(r);
  });
  const int64_t R_ = rows / gr, C_ = cols / gc;
  std::vector<char> cell(size_t(R_ * C_), 0);
  for (const R& r : rs)
    for (int64_t i = r.r0 / gr; i < (r.r0 + r.nr) / gr; ++i)
      for (int64_t j = r.c0 / gc; j < (r.c0 + r.nc) / gc; ++j) cell[size_t(i * C_ + j)] = 1;
  return std::all_of(cell.begin(), cell.end(), [](char c) { return c != 0; });
}

// Every local-tile read is covered by an earlier write of the same core (each
// core has its own buffers; instructions of one stream run in program order).
// Returns "" or a description of the first violation.
std::string check_reads_written(const isa::Program& p) {
  for (size_t ti = 0; ti < p.tasks.size(); ++ti) {
    const isa::Kernel& k = p.kernels[p.tasks[ti].kernel];
    std::vector<const std::vector<isa::Instr>*> streams = {&k.cube};
    for (const auto& s : k.vec) streams.push_back(&s);
    for (size_t si = 0; si < streams.size(); ++si) {
      std::vector<std::vector<char>> written(isa::kNumSpaces);
      auto region = [](const isa::Tile& t, bool whole, auto fn) {
        uint32_t d = isa::dtype_bytes(t.dtype);
        uint32_t nr = whole ? t.rows : t.vrows(), nc = whole ? t.cols : t.vcols();
        for (uint32_t r = 0; r < nr; ++r) fn(t.offset + r * t.cols * d, nc * d);
      };
      auto mark = [&](const isa::Tile& t, bool whole) {
        auto& w = written[int(t.space)];
        region(t, whole, [&](uint32_t b, uint32_t n) {
          if (w.size() < b + n) w.resize(b + n, 0);
          std::fill(w.begin() + b, w.begin() + b + n, 1);
        });
      };
      std::string err;
      auto need = [&](const isa::Tile& t, size_t ii, const char* what) {
        if (!err.empty()) return;
        auto& w = written[int(t.space)];
        region(t, false, [&](uint32_t b, uint32_t n) {
          if (!err.empty()) return;
          for (uint32_t x = b; x < b + n; ++x)
            if (x >= w.size() || !w[x]) {
              err = "task " + std::to_string(ti) + " (" + k.name + ") stream " + std::to_string(si) +
                    " instr " + std::to_string(ii) + " reads " + what + " byte " + std::to_string(x) +
                    " of " + isa::to_string(t.space) + " before any write";
              return;
            }
        });
      };
      const auto& s = *streams[si];
      for (size_t ii = 0; ii < s.size() && err.empty(); ++ii) {
        const isa::Instr& in = s[ii];
        switch (in.op) {
          case Op::TLOAD: mark(in.dst, false); break;
          case Op::TSTORE: need(in.a, ii, "a"); break;
          case Op::TMOV: need(in.a, ii, "a"); mark(in.dst, false); break;
          case Op::TMATMUL:
            need(in.a, ii, "a");
            need(in.b, ii, "b");
            if (in.flags & isa::kAccumulate) need(in.dst, ii, "dst (accumulate)");
            mark(in.dst, false);
            break;
          case Op::VBIN: case Op::VROWEXP: case Op::VCOLEXP:
            need(in.a, ii, "a");
            need(in.b, ii, "b");
            mark(in.dst, false);
            break;
          case Op::VBINS: case Op::VUNARY: case Op::VCAST: case Op::VROWRED:
            need(in.a, ii, "a");
            mark(in.dst, false);
            break;
          case Op::VFILL: mark(in.dst, false); break;
          case Op::VFILLPAD: mark(in.dst, true); break;
          case Op::TRESHAPE: need(in.a, ii, "a"); break;
          default: break;
        }
      }
      if (!err.empty()) return err;
    }
  }
  return "";
}

Qwen3Params small_params(Qwen3Variant v) {
  Qwen3Params p;
  p.variant = v;
  p.shapes = Qwen3Shapes{2, 256, 8, 1, 64, 512, 1024};
  p.tiling = qwen3_default_tiling(v);
  p.tiling.batch_tile = 2;
  p.tiling.scope1_k_chunk = 128;
  p.tiling.kv_out_chunk = 64;
  p.tiling.seq_tile = 64;
  p.tiling.sb_batch = 2;
  p.tiling.q_out_chunk = v == Qwen3Variant::Reviewed ? 256 : 64;
  p.tiling.norm_chunk = 128;
  p.tiling.attn_group_chunk = 1;
  p.tiling.mlp_task_blocks = 2;
  p.seq_lens = {37, 256};  // a partial last block and a full context
  return p;
}

}  // namespace

// ---- launch counts ----------------------------------------------------------

TEST(Qwen3Decode, FusedQkRopeLaunchesPerHead) {
  const isa::Program& p = full("fused_qkrope");
  auto l = launches(p);
  // One q_head_proj and one q_head_rope launch per query head (an orchestration
  // loop over NH=64 heads), per batch tile (B/batch_tile = 16/16 = 1 tile).
  EXPECT_EQ(l["q_head_proj"], 64u);
  EXPECT_EQ(l["q_head_rope"], 64u);
  // KVH/kv_out_chunk = 1024/128 = 8 kv blocks, each proj + rope/cache kernel.
  EXPECT_EQ(l["k_head_proj"], 8u);
  EXPECT_EQ(l["k_head_rope_cache"], 8u);
  EXPECT_EQ(l["v_head_proj"], 8u);
  EXPECT_EQ(l["v_cache_write"], 8u);
  // Every launch of the pair comes from one launch site.
  std::set<uint32_t> sites;
  for (const isa::Task& t : p.tasks)
    if (p.kernels[t.kernel].name == "q_head_rope") sites.insert(t.site);
  EXPECT_EQ(sites.size(), 1u);
  EXPECT_EQ(p.sites[*sites.begin()], "q_head_rope: launch");
}

TEST(Qwen3Decode, FusedQkRopeQStores) {
  const isa::Program& p = full("fused_qkrope");
  // 64 heads x 16 batch rows x 2 halves = 2048 stores of [1,64] bf16 = 128 B.
  EXPECT_EQ(count_site(p, Op::TSTORE, "q_head_rope: store all_q_padded", 128), 2048u);
  EXPECT_EQ(count_site(p, Op::TSTORE, "q_head_rope: store all_q_padded"), 2048u);
  // One scalar read of seq_lens per (head, batch row): 64 x 16 = 1024.
  EXPECT_EQ(count_site(p, Op::SLOAD, "q_head_rope: sload seq_lens"), 1024u);
  // Per q_head_rope task: 16 rows x (4 cos/sin + 2 q halves) = 96 loads, 32 stores.
  for (const isa::Task& t : p.tasks) {
    const isa::Kernel& k = p.kernels[t.kernel];
    if (k.name != "q_head_rope") continue;
    EXPECT_EQ(count_in_kernel(k, Op::TLOAD), 96u);
    EXPECT_EQ(count_in_kernel(k, Op::TSTORE), 32u);
    EXPECT_EQ(count_in_kernel(k, Op::SLOAD), 16u);
    // The loads of rope_cos/rope_sin use the register (pos = seq_lens[b] - 1).
    size_t reg_views = 0;
    for_each_instr(k, [&](const isa::Instr& in) { reg_views += in.op == Op::TLOAD && in.gm.reg >= 0; });
    EXPECT_EQ(reg_views, 64u);
  }
}

TEST(Qwen3Decode, BaselineScope3Launches) {
  const isa::Program& p = full("baseline");
  auto l = launches(p);
  // H/q_out_chunk = 8192/64 = 128 output blocks, each o_proj then residual.
  EXPECT_EQ(l["o_proj"], 128u);
  EXPECT_EQ(l["residual"], 128u);
  // I/mlp_out_chunk = 25600/256 = 100 blocks of gate, up, silu_mul.
  EXPECT_EQ(l["gate"], 100u);
  EXPECT_EQ(l["up"], 100u);
  EXPECT_EQ(l["silu_mul"], 100u);
  // H/k_chunk = 8192/128 = 64 blocks of down, final_residual.
  EXPECT_EQ(l["down"], 64u);
  EXPECT_EQ(l["final_residual"], 64u);
  // o_proj: 64 K-steps of A[16,128] + B[128,64] loads, one store.
  for (const isa::Task& t : p.tasks) {
    const isa::Kernel& k = p.kernels[t.kernel];
    if (k.name == "o_proj") {
      EXPECT_EQ(count_in_kernel(k, Op::TLOAD), 128u);
      EXPECT_EQ(count_in_kernel(k, Op::TSTORE), 1u);
    }
  }
}

TEST(Qwen3Decode, BaselineScope1) {
  const isa::Program& p = full("baseline");
  auto l = launches(p);
  // q_proj: H/64 = 128 blocks, chunk 4 -> 32 tasks; kv_proj: 1024/64 = 16 blocks -> 4 tasks.
  EXPECT_EQ(l["rmsnorm"], 1u);
  EXPECT_EQ(l["q_proj"], 32u);
  EXPECT_EQ(l["kv_proj"], 4u);
  for (const isa::Task& t : p.tasks) {
    const isa::Kernel& k = p.kernels[t.kernel];
    if (k.name == "q_proj") {
      // 4 blocks x 16 K-steps x (A + B) = 128 loads; 4 stores of [16,64] fp32.
      EXPECT_EQ(count_in_kernel(k, Op::TLOAD), 128u);
      EXPECT_EQ(count_in_kernel(k, Op::TSTORE), 4u);
      // B [512,64] bf16 = 64 KiB > half of L0B: 2 K sub-steps per K-step.
      EXPECT_EQ(count_in_kernel(k, Op::TMATMUL), 4u * 16u * 2u);
    }
    if (k.name == "rope_cache") {
      // 4 cos/sin + 8 kv heads x (2 k halves + 1 v + 8 q heads x 2 halves) = 156 loads;
      // 8 x (2 k + 1 v + 16 q) = 152 stores; no scalar reads (orchestration level).
      EXPECT_EQ(count_in_kernel(k, Op::TLOAD), 156u);
      EXPECT_EQ(count_in_kernel(k, Op::TSTORE), 152u);
      EXPECT_EQ(count_in_kernel(k, Op::SLOAD), 0u);
    }
    if (k.name == "q_pad_zero") {
      EXPECT_EQ(count_in_kernel(k, Op::TSTORE), 128u);  // B*NKV pad blocks
    }
  }
  EXPECT_EQ(l["rope_cache"], 16u);  // one per batch row
  EXPECT_EQ(l["q_pad_zero"], 1u);
}

TEST(Qwen3Decode, AttentionStagesPerGroupAndRow) {
  // ctx 4096 / seq_tile 64 = 64 blocks, sb_batch 64 -> one task per stage:
  // 4 kernels x 8 groups x 16 batch rows.
  for (const char* v : {"baseline", "fused_qkrope"}) {
    const isa::Program& p = full(v);
    auto l = launches(p);
    for (const char* k : {"qk", "softmax", "sv", "online_softmax"}) EXPECT_EQ(l[k], 8u * 16u) << v << " " << k;
    for (const isa::Task& t : p.tasks) {
      const isa::Kernel& k = p.kernels[t.kernel];
      if (k.name == "softmax") {
        EXPECT_EQ(count_in_kernel(k, Op::TLOAD), 64u);       // one [8,64] score tile per block
        EXPECT_EQ(count_in_kernel(k, Op::TSTORE), 3u * 64u);  // exp, m, l per block
      }
      if (k.name == "online_softmax") {
        EXPECT_EQ(count_in_kernel(k, Op::TLOAD), 3u * 64u);  // o, m, l per block
        EXPECT_EQ(count_in_kernel(k, Op::TSTORE), 1u);       // the [1, 8*128] attention row
      }
    }
  }
}

TEST(Qwen3Decode, TaskTotals) {
  // baseline: scope 1: rmsnorm 1 + q_proj 32 + kv_proj 4 = 37;
  //   scope 2: q_pad_zero 1 + 16 x (rope_cache 1 + 8 x 4 attention) = 529;
  //   scope 3: 128 x 2 + post_rmsnorm 1 + 100 x 3 + 64 x 2 = 685.  Total 1251.
  EXPECT_EQ(full("baseline").tasks.size(), 1251u);
  // fused_qkrope: q_pad_zero 1 + rmsnorm 1 + 64 x 2 + 8 x 2 + 8 x 2 = 162;
  //   scope 2: 16 x 8 x 4 = 512; scope 3: 685.  Total 1359 (spec: "about 1359").
  EXPECT_EQ(full("fused_qkrope").tasks.size(), 1359u);
  // reviewed: rmsnorm 1 + q_proj_rope 64/4 = 16 + kv_proj_rope_cache 8/2 = 4;
  //   attention 16 rows x 8/2 = 64; o_proj_residual 8192/512 = 16 + post_rmsnorm 1 +
  //   gate_up_silu 100/5 = 20 + down_residual 16.  Total 138.
  EXPECT_EQ(full("reviewed").tasks.size(), 138u);
  // upstream_0427: 964 (per kernel in Upstream0427TaskCountsPerKernel).
  EXPECT_EQ(full("upstream_0427").tasks.size(), 964u);
  // The launches of one kernel whose bodies differ only in their GM offsets
  // (the heads and tiles of a pl.parallel) share one body, each under a
  // binding that moves its views: the baseline's 1251 launches run 17 bodies.
  for (const char* v : {"baseline", "fused_qkrope", "reviewed", "upstream_0427"}) {
    const isa::Program& p = full(v);
    std::set<std::string> names;
    for (const isa::Kernel& k : p.kernels) names.insert(k.name);
    EXPECT_LT(p.kernels.size(), names.size() * 3) << v;
  }
  EXPECT_EQ(full("baseline").kernels.size(), 17u);
}

TEST(Qwen3Decode, EveryWeightByteLoaded) {
  for (const char* v : {"baseline", "fused_qkrope", "reviewed", "upstream_0427"})
    for (const char* w : {"wq", "wk", "wv", "wo", "w_gate", "w_up", "w_down"})
      EXPECT_TRUE(loads_cover(full(v), w)) << v << ": " << w;
}

TEST(Qwen3Decode, ReviewedHasFewerLaunchesAndDmas) {
  const isa::Program& r = full("reviewed");
  for (const char* v : {"baseline", "fused_qkrope"}) {
    const isa::Program& o = full(v);
    EXPECT_LT(r.tasks.size(), o.tasks.size()) << v;
    EXPECT_LT(count_dma(r), count_dma(o)) << v;
  }
  // Also below upstream's ~266 tasks.
  EXPECT_LT(r.tasks.size(), 266u);
}

TEST(Qwen3Decode, ReviewedStructure) {
  const isa::Program& p = full("reviewed");
  auto l = launches(p);
  EXPECT_EQ(l["q_proj_rope"], 16u);
  EXPECT_EQ(l["kv_proj_rope_cache"], 4u);
  EXPECT_EQ(l["attention"], 64u);
  // Q rows incl. padding leave in one [16, nh*128] store per task: 16 stores in
  // all (vs 2048 + 128 pad stores in fused_qkrope); no seq_lens reads in kernels.
  EXPECT_EQ(count_site(p, Op::TSTORE, "q_proj_rope: store all_q_padded"), 16u);
  size_t sloads = 0;
  for_each_instr(p, [&](const isa::Task&, const isa::Kernel&, const isa::Instr& in) { sloads += in.op == Op::SLOAD; });
  EXPECT_EQ(sloads, 0u);
  // Mixed kernels: every SIGNAL has one WAIT with the same flag on another core.
  for (const isa::Task& t : p.tasks) {
    const isa::Kernel& k = p.kernels[t.kernel];
    std::vector<std::vector<isa::Instr>> streams = {k.cube};
    for (const auto& s : k.vec) streams.push_back(s);
    std::map<int, int> sig, wait;
    for (size_t s = 0; s < streams.size(); ++s)
      for (const isa::Instr& in : streams[s]) {
        if (in.op == Op::SIGNAL) sig[int(in.imm)] = int(s);
        if (in.op == Op::WAIT) wait[int(in.imm)] = int(s);
      }
    ASSERT_EQ(sig.size(), wait.size()) << k.name;
    for (auto [f, s] : sig) {
      ASSERT_TRUE(wait.count(f)) << k.name << " flag " << f;
      EXPECT_NE(wait[f], s) << k.name << " flag " << f;
    }
  }
}

TEST(Qwen3Decode, DependenciesFollowData) {
  const isa::Program& p = full("baseline");
  // Every qk task depends on the rope_cache task of its batch row (it wrote
  // the K cache rows and the rotated q) and on q_pad_zero.
  int64_t rope = -1, pad = -1;
  for (size_t i = 0; i < p.tasks.size(); ++i) {
    const std::string& n = p.kernels[p.tasks[i].kernel].name;
    if (n == "q_pad_zero") pad = int64_t(i);
    if (n == "rope_cache") rope = int64_t(i);
    if (n == "qk") {
      const auto& d = p.tasks[i].deps;
      EXPECT_TRUE(std::count(d.begin(), d.end(), uint32_t(rope))) << "qk task " << i;
      EXPECT_TRUE(std::count(d.begin(), d.end(), uint32_t(pad))) << "qk task " << i;
    }
    if (n == "q_proj") {  // independent output blocks: only the rmsnorm
      EXPECT_EQ(p.tasks[i].deps.size(), 1u);
    }
  }
  // Reviewed: attention tasks of one batch row are independent of each other.
  const isa::Program& r = full("reviewed");
  std::set<uint32_t> attn;
  for (size_t i = 0; i < r.tasks.size(); ++i)
    if (r.kernels[r.tasks[i].kernel].name == "attention") {
      for (uint32_t d : r.tasks[i].deps) EXPECT_FALSE(attn.count(d)) << "attention " << i << " <- " << d;
      attn.insert(uint32_t(i));
    }
}

TEST(Qwen3Decode, SmallShapesAreWellFormed) {
  for (auto v : {Qwen3Variant::Baseline, Qwen3Variant::FusedQkRope, Qwen3Variant::Reviewed,
                 Qwen3Variant::Upstream0427}) {
    isa::Program p = build_qwen3_decode(small_params(v));
    EXPECT_EQ(check_reads_written(p), "") << to_string(v);
    for (const char* w : {"wq", "wk", "wv", "wo", "w_gate", "w_up", "w_down"})
      EXPECT_TRUE(loads_cover(p, w)) << to_string(v) << ": " << w;
    for_each_instr(p, [&](const isa::Task& t, const isa::Kernel&, const isa::Instr& in) {
      ASSERT_LT(in.site, p.sites.size());
      ASSERT_LT(t.site, p.sites.size());
    });
  }
  // The shipped small configs load and build too.
  for (const char* v : {"baseline", "fused_qkrope", "reviewed", "upstream_0427"}) {
    isa::Program p = build_workload_file(cfg(std::string("qwen3_32b_decode_") + v + "_small"));
    EXPECT_EQ(check_reads_written(p), "") << v;
  }
}

TEST(Qwen3Decode, FullSizeReadsWritten) {
  // The same read-before-write check at full size, reviewed only (the others
  // share the scope 2/3 code checked above at small size).
  EXPECT_EQ(check_reads_written(full("reviewed")), "");
}

TEST(Qwen3Decode, PartialBlockMasking) {
  // seq_len 37 with seq_tile 64: one block, valid_len 37 -> the K tile loads
  // 37 rows and the scores are filled past column 37 before the softmax.
  isa::Program p = build_qwen3_decode(small_params(Qwen3Variant::Baseline));
  bool found = false;
  for_each_instr(p, [&](const isa::Task&, const isa::Kernel& k, const isa::Instr& in) {
    if (k.name == "softmax" && in.op == Op::VFILLPAD && in.dst.valid_cols == 37) {
      found = true;
      EXPECT_EQ(in.imm, std::numeric_limits<float>::lowest());
    }
  });
  EXPECT_TRUE(found);
}

TEST(Qwen3Decode, UniformSeqLensDeterministic) {
  std::vector<int32_t> a = uniform_seq_lens(16, 1, 4096, 7), b = uniform_seq_lens(16, 1, 4096, 7);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, uniform_seq_lens(16, 1, 4096, 8));
  // The documented formula: value_i = min + mt19937(seed)() % (max - min + 1).
  std::mt19937 g(7);
  for (int32_t x : a) EXPECT_EQ(x, int32_t(1 + g() % 4096));
  // mt19937 is fully specified by the standard: its first output for seed 7.
  EXPECT_EQ(std::mt19937(7)(), 327741615u);
  // The YAML path gives the same values in the seq_lens tensor.
  isa::Program p = build_workload_file(cfg("qwen3_32b_decode_baseline_small"));
  const isa::Tensor& t = p.tensors[*p.find_tensor("seq_lens")];
  EXPECT_EQ(t.init, uniform_seq_lens(2, 1, 256, 7));
}

TEST(Qwen3Decode, GenerationIsFast) {
  // Budget ~100 ms per full-size variant; the bound is loose for noisy CI.
#ifdef NPUSIM_SANITIZE
  const double budget_ms = 10000.0;  // ASan + UBSan at -O1 generate ~10x slower
#else
  const double budget_ms = 1000.0;
#endif
  for (const char* v : {"baseline", "fused_qkrope", "reviewed", "upstream_0427"}) {
    auto t0 = std::chrono::steady_clock::now();
    isa::Program p = build_workload_file(cfg(std::string("qwen3_32b_decode_") + v));
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT(ms, budget_ms) << v;
    RecordProperty(std::string(v) + "_ms", std::to_string(ms));
  }
}

// ---- upstream_0427 (shared/workloads/upstream_structures.md, "upstream 2026-04-27") ----

namespace {

// The full-size upstream_0427 program with its defaults changed to PR 185's
// tiling: seq_tile 256, out_proj_k_chunk 512, fuse_kv_loops true.
const isa::Program& pr185() {
  static const isa::Program p = [] {
    Qwen3Params q;
    q.variant = Qwen3Variant::Upstream0427;
    q.tiling = qwen3_default_tiling(Qwen3Variant::Upstream0427);
    q.tiling.seq_tile = 256;
    q.tiling.out_proj_k_chunk = 512;
    q.tiling.fuse_kv_loops = true;
    q.seq_lens.assign(16, 4096);
    return build_qwen3_decode(q);
  }();
  return p;
}

// Per task of kernel `name`: count of op (all tasks of it must agree, except
// that `except_last` lets the last task differ: a partial pl.parallel chunk).
size_t per_task(const isa::Program& p, const std::string& name, Op op, bool except_last = false) {
  std::vector<size_t> n;
  for (const isa::Task& t : p.tasks)
    if (p.kernels[t.kernel].name == name) n.push_back(count_in_kernel(p.kernels[t.kernel], op));
  EXPECT_FALSE(n.empty()) << name;
  if (n.empty()) return 0;
  for (size_t i = 1; i + (except_last ? 1 : 0) < n.size(); ++i) EXPECT_EQ(n[i], n[0]) << name << " task " << i;
  return n[0];
}

// Per task of kernel `name`: loads from tensor `tensor`.
size_t loads_of(const isa::Program& p, const std::string& name, const std::string& tensor) {
  const uint32_t t = *p.find_tensor(tensor);
  size_t n = 0, tasks = 0;
  for (const isa::Task& task : p.tasks) {
    const isa::Kernel& k = p.kernels[task.kernel];
    if (k.name != name) continue;
    ++tasks;
    for_each_instr(k, [&](const isa::Instr& in) { n += in.op == Op::TLOAD && in.gm.tensor == t; });
  }
  return tasks ? n / tasks : 0;
}

}  // namespace

TEST(Qwen3Upstream0427, TaskCountsPerKernel) {
  // The spec's table at full size, every context 4096 (B 16, H 8192, NKV 8,
  // D 128, I 25600; one batch tile of 16).
  const isa::Program& p = full("upstream_0427");
  auto l = launches(p);
  const std::map<std::string, size_t> want = {
      {"rmsnorm", 1},               // one pl.at
      {"q_proj", 32},               // H/q_out_chunk = 8192/64 = 128 blocks, chunk 4 -> 32
      {"kv_proj", 16},              // NKV*D/kv_out_chunk = 1024/64 = 16 blocks, chunk 1
      {"rope_kv_cache", 16},        // one per batch row
      {"qk_matmul", 128},           // per (batch row, KV group): 16 x 8; 4096/64 = 64 blocks <= sb_batch 64
      {"softmax", 128},             //   likewise
      {"sv_matmul", 128},           //   likewise
      {"online_softmax", 128},      //   one per (row, group)
      {"out_proj_residual", 22},    // 128 blocks of 64 columns, chunk 6 -> ceil(128/6) = 22
      {"post_rmsnorm", 1},          // one pl.at
      {"gate_proj", 100},           // I/mlp_out_chunk = 25600/256 = 100 blocks
      {"up_proj", 100},             //   likewise
      {"silu", 100},                //   likewise
      {"down_proj_residual", 64}};  // H/k_chunk = 8192/128 = 64 blocks, chunk 1
  EXPECT_EQ(l, want);
  size_t total = 0;
  for (const auto& [k, n] : want) total += n;
  EXPECT_EQ(total, 964u);  // 1+32+16+16+4*128+22+1+3*100+64
  EXPECT_EQ(p.tasks.size(), 964u);
}

TEST(Qwen3Upstream0427, KernelContents) {
  const isa::Program& p = full("upstream_0427");
  // q_proj: 4 blocks x 16 K-steps of 512 x (A normed_tile + B wq) = 128 loads; 4 [16,64] stores.
  EXPECT_EQ(per_task(p, "q_proj", Op::TLOAD), 128u);
  EXPECT_EQ(per_task(p, "q_proj", Op::TSTORE), 4u);
  // kv_proj (04-27): a K loop for wk, then one for wv, 16 steps each, each
  // re-loading normed_tile: 32 normed_tile loads, 16 wk, 16 wv; 2 stores.
  EXPECT_EQ(loads_of(p, "kv_proj", "normed_tile"), 32u);
  EXPECT_EQ(loads_of(p, "kv_proj", "wk"), 16u);
  EXPECT_EQ(loads_of(p, "kv_proj", "wv"), 16u);
  EXPECT_EQ(per_task(p, "kv_proj", Op::TSTORE), 2u);
  // rope_kv_cache: 4 cos/sin halves + 8 KV heads x (k lo, k hi, v, the group's
  // [8,128] q) = 36 loads; 8 x (2 k_cache + 1 v_cache + 2 q halves + 1 pad) = 48
  // stores; seq_lens is read at orchestration level (no SLOAD).
  EXPECT_EQ(per_task(p, "rope_kv_cache", Op::TLOAD), 36u);
  EXPECT_EQ(per_task(p, "rope_kv_cache", Op::TSTORE), 48u);
  EXPECT_EQ(per_task(p, "rope_kv_cache", Op::SLOAD), 0u);
  EXPECT_EQ(count_site(p, Op::TSTORE, "rope_kv_cache: store k_cache", 128), 16u * 8u * 2u);
  EXPECT_EQ(count_site(p, Op::TSTORE, "rope_kv_cache: store all_q_padded", 8 * 64 * 2), 16u * 8u * 2u);
  EXPECT_EQ(count_site(p, Op::TSTORE, "rope_kv_cache: store all_q_padded", 8 * 128 * 2), 16u * 8u);
  // Attention, one task per (row, group) with 4096/64 = 64 blocks each.
  EXPECT_EQ(loads_of(p, "qk_matmul", "k_cache"), 64u);
  EXPECT_EQ(per_task(p, "qk_matmul", Op::TSTORE), 64u);
  EXPECT_EQ(per_task(p, "softmax", Op::TSTORE), 3u * 64u);
  EXPECT_EQ(loads_of(p, "sv_matmul", "v_cache"), 64u);
  EXPECT_EQ(per_task(p, "online_softmax", Op::TLOAD), 3u * 64u);
  // out_proj_residual: 6 blocks; per block 64 K-steps of 128 (attn_out + wo) on
  // the cube, the [16,64] result to the vector cores as two [8,64] halves
  // (2 stores), each vector core loads its 8 hidden_states rows and its half,
  // stores 8 resid1_tile rows: 6 x (128 + 2 + 2) = 792 loads, 6 x (2 + 2) = 24
  // stores. The last task has 128 - 21*6 = 2 blocks.
  EXPECT_EQ(per_task(p, "out_proj_residual", Op::TLOAD, true), 6u * 132u);
  EXPECT_EQ(per_task(p, "out_proj_residual", Op::TSTORE, true), 6u * 4u);
  EXPECT_EQ(count_site(p, Op::TLOAD, "out_proj_residual: load wo"), 128u * 64u);
  // down_proj_residual: 100 K-steps of 256 (mlp_tile + w_down) + 2 resid1 + 2
  // channel loads; 2 channel stores + 2 [8,128] out stores.
  EXPECT_EQ(per_task(p, "down_proj_residual", Op::TLOAD), 204u);
  EXPECT_EQ(per_task(p, "down_proj_residual", Op::TSTORE), 4u);
  EXPECT_EQ(count_site(p, Op::TSTORE, "down_proj_residual: store out", 8 * 128 * 2), 64u * 2u);
  // gate_proj / up_proj: 64 K-steps of 128 x (A + B), one store; silu 2 loads, 1 store.
  EXPECT_EQ(per_task(p, "gate_proj", Op::TLOAD), 128u);
  EXPECT_EQ(per_task(p, "up_proj", Op::TLOAD), 128u);
  EXPECT_EQ(per_task(p, "silu", Op::TLOAD), 2u);
  EXPECT_EQ(per_task(p, "silu", Op::TSTORE), 1u);
  // rmsnorm: two passes over 8192/512 = 16 chunks (x; x and gamma) = 48 loads, 16 stores;
  // post_rmsnorm in chunks of 128: 3 x 64 loads, 64 stores.
  EXPECT_EQ(per_task(p, "rmsnorm", Op::TLOAD), 48u);
  EXPECT_EQ(per_task(p, "post_rmsnorm", Op::TLOAD), 192u);
}

TEST(Qwen3Upstream0427, MixedKernelsSplitRowsOverBothVectorCores) {
  const isa::Program& p = full("upstream_0427");
  for (const char* name : {"out_proj_residual", "down_proj_residual"}) {
    for (const isa::Task& t : p.tasks) {
      const isa::Kernel& k = p.kernels[t.kernel];
      if (k.name != name) continue;
      ASSERT_EQ(k.vec.size(), 2u);
      EXPECT_FALSE(k.cube.empty()) << name;
      // Each vector core stores BT/2 = 8 rows per block, waits once per block.
      for (const auto& s : k.vec) {
        size_t stores = 0, waits = 0;
        for (const isa::Instr& in : s) {
          if (in.op == Op::TSTORE) {
            ++stores;
            EXPECT_EQ(in.gm.rows, 8u) << name;
          }
          waits += in.op == Op::WAIT;
        }
        EXPECT_GT(stores, 0u) << name;
        EXPECT_EQ(stores, waits) << name;
      }
      // The cube signals once per half: as many SIGNALs as the vector cores' WAITs.
      size_t sig = 0;
      for (const isa::Instr& in : k.cube) sig += in.op == Op::SIGNAL;
      EXPECT_EQ(sig, count_in_kernel(k, Op::WAIT)) << name;
    }
  }
  // The other kernels run on one core kind only: all vector work on vec 0.
  for (const isa::Task& t : p.tasks) {
    const isa::Kernel& k = p.kernels[t.kernel];
    if (k.name == "out_proj_residual" || k.name == "down_proj_residual") continue;
    EXPECT_TRUE(k.vec[1].empty()) << k.name;
    EXPECT_TRUE(k.cube.empty() || k.vec[0].empty()) << k.name;
  }
}

TEST(Qwen3Upstream0427, Pr185Tiling) {
  const isa::Program& a = full("upstream_0427");
  const isa::Program& b = pr185();
  // Same tasks per kernel (still one task per attention stage and (row, group)).
  EXPECT_EQ(launches(a), launches(b));
  EXPECT_EQ(b.tasks.size(), 964u);
  // seq_tile 64 -> 256: 4096/256 = 16 blocks per attention task, 4x fewer than 64.
  for (const auto& [kernel, tensor] : std::vector<std::pair<const char*, const char*>>{
           {"qk_matmul", "k_cache"}, {"softmax", "all_raw_scores"}, {"sv_matmul", "v_cache"},
           {"online_softmax", "all_oi_tmp"}}) {
    EXPECT_EQ(loads_of(a, kernel, tensor), 64u) << kernel;
    EXPECT_EQ(loads_of(b, kernel, tensor), 16u) << kernel;
  }
  // out_proj_k_chunk 512: the out_proj K loop has 8192/512 = 16 steps per block
  // (A [16,512], wo [512,64]), 128 blocks -> 2048 wo loads (8192 at 128).
  EXPECT_EQ(count_site(b, Op::TLOAD, "out_proj_residual: load wo", 512 * 64 * 2), 128u * 16u);
  EXPECT_EQ(count_site(b, Op::TLOAD, "out_proj_residual: load attn_out", 16 * 512 * 2), 128u * 16u);
  // The other K loops keep their steps: gate/up 64 steps of 128, down 100 of 256.
  EXPECT_EQ(per_task(b, "gate_proj", Op::TLOAD), 128u);
  EXPECT_EQ(per_task(b, "down_proj_residual", Op::TLOAD), 204u);
  // fuse_kv_loops: one K loop of 16 steps sharing each normed_tile load between
  // the K and the V matmul: 16 normed_tile loads per task (32 with two loops).
  EXPECT_EQ(loads_of(b, "kv_proj", "normed_tile"), 16u);
  EXPECT_EQ(loads_of(b, "kv_proj", "wk"), 16u);
  EXPECT_EQ(loads_of(b, "kv_proj", "wv"), 16u);
  EXPECT_EQ(count_site(a, Op::TLOAD, "kv_proj: load normed_tile"), 16u * 32u);
  EXPECT_EQ(count_site(b, Op::TLOAD, "kv_proj: load normed_tile"), 16u * 16u);
  for (const char* w : {"wq", "wk", "wv", "wo", "w_gate", "w_up", "w_down"}) EXPECT_TRUE(loads_cover(b, w)) << w;
}

TEST(Qwen3Upstream0427, SmallReadsWrittenBothTilings) {
  Qwen3Params q = small_params(Qwen3Variant::Upstream0427);
  EXPECT_EQ(check_reads_written(build_qwen3_decode(q)), "");
  q.tiling.fuse_kv_loops = true;
  q.tiling.out_proj_k_chunk = 512;
  q.tiling.seq_tile = 256;
  q.tiling.q_proj_chunk = 3;  // partial last chunk
  q.tiling.out_proj_chunk = 5;
  q.tiling.down_proj_chunk = 2;
  q.shapes.B = 3;  // an odd batch tile: vector core 0 takes 2 rows, vector core 1 one
  q.tiling.batch_tile = 3;
  q.seq_lens = {37, 256, 100};
  isa::Program p = build_qwen3_decode(q);
  EXPECT_EQ(check_reads_written(p), "");
  for (const char* w : {"wq", "wk", "wv", "wo", "w_gate", "w_up", "w_down"}) EXPECT_TRUE(loads_cover(p, w)) << w;
}

TEST(Qwen3Upstream0427, OtherVariantsKeepTheirKernelNames) {
  // The shared attention / MLP building blocks take the names: the baseline's stay.
  auto l = launches(full("baseline"));
  for (const char* k : {"qk", "sv", "gate", "up", "silu_mul"}) EXPECT_GT(l[k], 0u) << k;
  for (const char* k : {"qk_matmul", "sv_matmul", "gate_proj", "silu"}) EXPECT_EQ(l.count(k), 0u) << k;
}

namespace {
// The distinct buffer offsets the loads of `tensor` land at in the first task
// of kernel `name` (its loads [from, to): one loop's): how many iterations of
// the loop its tiles let be in flight.
std::set<uint32_t> load_buffers(const isa::Program& p, const std::string& name, const std::string& tensor,
                                size_t from = 0, size_t to = SIZE_MAX) {
  const uint32_t t = *p.find_tensor(tensor);
  for (const isa::Task& task : p.tasks) {
    const isa::Kernel& k = p.kernels[task.kernel];
    if (k.name != name) continue;
    std::set<uint32_t> at;
    size_t n = 0;
    for_each_instr(k, [&](const isa::Instr& in) {
      if (in.op == Op::TLOAD && in.gm.tensor == t && n >= from && n < to) at.insert(in.dst.offset);
      n += in.op == Op::TLOAD && in.gm.tensor == t;
    });
    return at;
  }
  ADD_FAILURE() << "no kernel " << name;
  return {};
}
}  // namespace

TEST(Qwen3Upstream0427, LoopsPipelineAsTheSourceSays) {
  // upstream_structures.md: the 04-27 K loops are pl.pipeline(stage=2), its
  // RMSNorm loops stage 4; the baseline's source uses pl.range (one buffer).
  const isa::Program& up = full("upstream_0427");
  EXPECT_EQ(load_buffers(up, "q_proj", "wq").size(), 2u);              // 16 K steps, 2 buffers
  EXPECT_EQ(load_buffers(up, "out_proj_residual", "wo").size(), 2u);
  // The sum-of-squares loop, H / 512 = 16 chunks at stage 4: an iteration
  // takes 17408 (bf16 [16,512] + a pad row) + 2 x 34816 (fp32 cast, square)
  // + 68 (row sum) = 87108 B of UB, and the 196540 B free at the loop's start
  // hold 2 of them: the depth is capped at 2, as the compiler caps it.
  EXPECT_EQ(load_buffers(up, "rmsnorm", "hidden_states", 0, 16).size(), 2u);
  // The attention blocks are a plain loop: one buffer for the K tile.
  EXPECT_EQ(load_buffers(up, "qk_matmul", "k_cache").size(), 1u);
  // (block 0's tile becomes the accumulator, so from block 1 on)
  EXPECT_EQ(load_buffers(up, "online_softmax", "all_oi_tmp", 1).size(), 1u);
  const isa::Program& base = full("baseline");
  EXPECT_EQ(load_buffers(base, "q_proj", "wq").size(), 1u);
  EXPECT_EQ(load_buffers(base, "rmsnorm", "hidden_states", 0, 16).size(), 1u);
  // The stage counts are tiling keys: upstream_0427 with pl.range loops.
  Qwen3Params q;
  q.variant = Qwen3Variant::Upstream0427;
  q.tiling = qwen3_default_tiling(Qwen3Variant::Upstream0427);
  q.tiling.k_loop_stages = 1;
  q.tiling.norm_stages = 1;
  q.seq_lens.assign(16, 64);
  const isa::Program p = build_qwen3_decode(q);
  EXPECT_EQ(load_buffers(p, "q_proj", "wq").size(), 1u);
  EXPECT_EQ(load_buffers(p, "rmsnorm", "hidden_states", 0, 16).size(), 1u);
  q.tiling.k_loop_stages = 17;
  EXPECT_EQ(qwen3_check(q), "tiling.k_loop_stages: 17 is outside 1..16");
}

// ---- upstream (shared/workloads/upstream_structures.md, "upstream today") ----

TEST(Qwen3Upstream, SubmittedTasksAndBlocksPerKernel) {
  const isa::Program& p = full("upstream");
  std::map<std::string, std::pair<size_t, size_t>> n;  // kernel: (submitted tasks, blocks)
  for (const isa::Task& t : p.tasks) {
    auto& c = n[p.kernels[t.kernel].name];
    c.first += t.block == 0;
    ++c.second;
  }
  const std::map<std::string, std::pair<size_t, size_t>> want = {
      {"rmsnorm", {1, 1}},
      {"q_proj", {1, 32}},              // pl.spmd(H / 256 = 32)
      {"kv_proj", {1, 4}},              // pl.spmd(NKV*D / 256 = 4)
      {"rope_kv_cache", {16, 16}},      // one per batch row
      {"qk_matmul", {16, 64}},          // per row pl.spmd(NKV / 2 groups per block = 4)
      {"softmax", {16, 64}},
      {"sv_matmul", {16, 64}},
      {"online_softmax", {16, 64}},
      {"out_proj_residual", {16, 16}},  // H / (256 x 2 tiles) = 16 mixed tasks
      {"post_rmsnorm", {1, 1}},
      {"gate_proj", {50, 100}},         // I / (256 x 2 blocks) = 50 pl.spmd(2) tasks
      {"up_proj", {50, 100}},
      {"silu", {50, 100}},
      {"down_proj_residual", {16, 16}}};
  EXPECT_EQ(n, want);
  size_t submitted = 0;
  for (const auto& [k, c] : n) submitted += c.first;
  EXPECT_EQ(submitted, 266u);  // 1 + 1 + 1 + 16 x 5 + 16 + 1 + 3 x 50 + 16
  // A qk_matmul block takes two KV groups: 2 x 16 context blocks of 256 rows
  // (4096 / 256), each matmul in two K sub-steps (the transposed [256,128]
  // bf16 K tile is 64 KiB, over half of L0B's 64 KiB): 2 x 16 x 2.
  EXPECT_EQ(per_task(p, "qk_matmul", Op::TMATMUL), 2u * 16u * 2u);
  // Every spmd block of one launch shares the launch's dependencies.
  for (size_t t = 1; t < p.tasks.size(); ++t) {
    if (p.tasks[t].block > 0) {
      EXPECT_EQ(p.tasks[t].deps, p.tasks[t - 1].deps) << t;
    }
  }
}

// ---- a decode step: layers and the LM head (issue 12) ------------------------

// Every shipped step: 64 x the layer's tasks + the final norm (one task per
// batch tile: 16 / 16 = 1) + the LM head (ceil(151936 / 512) = 297 tasks),
// and no instruction copied: layers 1..63 launch layer 0's kernels under
// their own binding, so the program holds the layer's kernels and the head's
// three bodies (the final norm; the head's 296 tiles of 512 columns, and its
// last of 151936 - 296 x 512 = 384).
TEST(Qwen3Step, SixtyFourLayersShareOneLayersKernels) {
  for (const std::string v : {"baseline", "fused_qkrope", "reviewed", "upstream_0427", "upstream"}) {
    SCOPED_TRACE(v);
    const isa::Program& layer = full(v);
    const isa::Program step = build_workload_file(cfg(v == "upstream" ? "qwen3_32b_decode_step" : "qwen3_32b_decode_step_" + v));
    EXPECT_EQ(step.tasks.size(), 64 * layer.tasks.size() + 1 + 297);
    EXPECT_EQ(step.kernels.size(), layer.kernels.size() + 3);
    // Layer l's task i is layer 0's task i on layer l's tensors: its kernel,
    // its ranges' bytes, and each GM view at the same offset of layer l's
    // copy of the tensor (or of the same tensor, for the ones layers share).
    const size_t n = layer.tasks.size();
    const auto same_data = [&](uint32_t t0, uint32_t tl, size_t l) {
      const std::string a = step.tensors[t0].name, b = step.tensors[tl].name;
      return b == a || b == "L" + std::to_string(l) + "." + a || (a == "hidden_states" && b.find("out") != std::string::npos);
    };
    for (size_t l = 1; l < 64; l += 31)
      for (size_t i = 0; i < n; i += n / 7 + 1) {
        const isa::Task &t0 = step.tasks[i], &tl = step.tasks[l * n + i];
        EXPECT_EQ(tl.kernel, t0.kernel);
        ASSERT_EQ(tl.reads.size(), t0.reads.size());
        for (size_t j = 0; j < t0.reads.size(); ++j) {
          EXPECT_EQ(tl.reads[j].begin, t0.reads[j].begin);
          EXPECT_TRUE(same_data(t0.reads[j].tensor, tl.reads[j].tensor, l)) << step.tensors[tl.reads[j].tensor].name;
        }
        const isa::Kernel& k = step.kernels[t0.kernel];
        for (const isa::Instr& in : k.cube.empty() ? k.vec[0] : k.cube)
          if (in.op == Op::TLOAD) {
            const isa::GmView v0 = step.bound_view(t0, in.gm), vl = step.bound_view(tl, in.gm);
            EXPECT_EQ(vl.offset, v0.offset);
            EXPECT_TRUE(same_data(v0.tensor, vl.tensor, l)) << step.tensors[vl.tensor].name;
            break;
          }
      }
  }
}

// Layer l binds every tensor of layer 0 to its own copy "L<l>.x" (same dtype
// and shape) but the inputs all layers share, and reads the previous layer's
// output: layer 1's first task (rmsnorm) depends on layer 0's writers of
// `out`, and its tensors are layer 1's.
TEST(Qwen3Step, EachLayerHasItsOwnTensorsAndReadsThePreviousOutput) {
  YAML::Node doc = YAML::LoadFile(cfg("qwen3_32b_decode_step_small"));
  doc["layers"] = 3;
  const isa::Program p = build_workload(doc, "step.yaml");
  auto id = [&](const std::string& name) { return *p.find_tensor(name); };
  // Three layers and the head: the final norm and ceil(1000 / 256) = 4 lm_head tasks.
  const size_t n = (p.tasks.size() - 5) / 3;
  // Each layer's first task (rmsnorm, one launch) runs under its layer's binding.
  ASSERT_NE(p.tasks[n].binding, isa::kNoBinding);
  const isa::Binding& b1 = p.bindings.at(p.tasks[n].binding);
  EXPECT_EQ(b1.tensor(id("wq")), id("L1.wq"));
  EXPECT_EQ(b1.tensor(id("k_cache")), id("L1.k_cache"));
  EXPECT_EQ(b1.tensor(id("hidden_states")), id("out"));  // layer 1 reads layer 0's out
  EXPECT_EQ(b1.tensor(id("out")), id("L1.out"));
  EXPECT_EQ(b1.tensor(id("seq_lens")), id("seq_lens"));  // shared
  EXPECT_EQ(b1.tensor(id("rope_cos")), id("rope_cos"));
  const isa::Binding& b2 = p.bindings.at(p.tasks[2 * n].binding);
  EXPECT_EQ(b2.tensor(id("hidden_states")), id("L1.out"));
  EXPECT_EQ(b2.tensor(id("out")), id("L2.out"));
  EXPECT_EQ(p.tensors[id("L2.out")].kind, isa::TensorKind::Scratch);  // the logits are the output
  EXPECT_EQ(p.tensors[id("logits")].kind, isa::TensorKind::Out);
  EXPECT_EQ(p.tensors[id("logits")].shape, (std::vector<int64_t>{2, 1000}));
  // Layer 1's first task reads its input, `out`; every task of layer 0
  // that writes `out` comes before it in its dependencies.
  const isa::Task& first = p.tasks[n];
  EXPECT_EQ(p.kernels[first.kernel].name, "rmsnorm");
  bool reads_out = false;
  for (const isa::GmRange& r : first.reads) reads_out |= r.tensor == id("out");
  EXPECT_TRUE(reads_out);
  for (size_t t = 0; t < n; ++t)
    for (const isa::GmRange& w : p.tasks[t].writes)
      if (w.tensor == id("out")) {
        EXPECT_TRUE(std::find(first.deps.begin(), first.deps.end(), t) != first.deps.end()) << "task " << t;
      }
  // The head: one final_norm task, then ceil(1000 / 256) = 4 lm_head tasks of
  // 256, 256, 256 and 232 columns (the tstores of the logits).
  std::vector<uint32_t> widths;
  for (const isa::Task& t : p.tasks)
    if (p.kernels[t.kernel].name == "lm_head")
      for (const isa::Instr& in : p.kernels[t.kernel].cube)
        if (in.op == Op::TSTORE) widths.push_back(in.gm.cols);
  EXPECT_EQ(widths, (std::vector<uint32_t>{256, 256, 256, 232}));
}

TEST(Qwen3Step, BadKeysAreNamed) {
  std::ifstream f(cfg("qwen3_32b_decode_step_small"));
  const std::string text{std::istreambuf_iterator<char>(f), {}};
  const auto error = [&](const std::string& from, const std::string& to) -> std::string {
    std::string t = text;
    t.replace(t.find(from), from.size(), to);
    try {
      build_workload(YAML::Load(t), "step.yaml");
    } catch (const WorkloadError& e) {
      return e.what();
    }
    return "accepted";
  };
  // Line 7 of the file: after its four comment lines, workload and variant.
  EXPECT_EQ(error("layers: 2", "layers: 0"), "step.yaml:7: layers: must be positive, got 0");
  EXPECT_EQ(error("layers: 2", "layers: 2000"), "step.yaml:7: layers: 2000 is outside 1..256");
  EXPECT_NE(error("lm_head_chunk: 256", "lm_head_chunk: -4").find("tiling.lm_head_chunk: must be positive, got -4"),
            std::string::npos);
  EXPECT_NE(error("lm_head: true", "lm_head: maybe").find("step.yaml:8: lm_head: expected true or false, got 'maybe'"),
            std::string::npos);
}

// Token-by-token contexts: step s is s longer; with continuous batching a
// context that would pass finish_at restarts at new_context and grows again.
TEST(Qwen3Step, ContextsGrowByOneTokenPerStep) {
  Qwen3Params p;
  p.shapes.B = 3;
  p.seq_lens = {10, 62, 64};
  EXPECT_EQ(qwen3_seq_lens_at(p, 0), (std::vector<int32_t>{10, 62, 64}));
  EXPECT_EQ(qwen3_seq_lens_at(p, 2), (std::vector<int32_t>{12, 64, 66}));
  p.finish_at = 64;
  p.new_context = 60;
  // 62 -> 63, 64, then 60 (new), 61; 64 -> 60, 61, 62; the cycle is 60..64 (5 long).
  EXPECT_EQ(qwen3_seq_lens_at(p, 1), (std::vector<int32_t>{11, 63, 60}));
  EXPECT_EQ(qwen3_seq_lens_at(p, 3), (std::vector<int32_t>{13, 60, 62}));
  EXPECT_EQ(qwen3_seq_lens_at(p, 3 + 5), (std::vector<int32_t>{18, 60, 62}));
}

TEST(Qwen3Step, DecodeStepKeysAreChecked) {
  std::ifstream f(cfg("qwen3_32b_decode_step_small"));
  std::string text{std::istreambuf_iterator<char>(f), {}};
  text.replace(text.find("layers: 2"), 9, "layers: 2\ndecode_steps: 300");  // line 8
  try {
    build_workload(YAML::Load(text), "tok.yaml");
    FAIL() << "contexts past S_max accepted";
  } catch (const WorkloadError& e) {
    // seq_lens uniform 1..256 (seed 7) reaches S_max = 256 before 300 more steps.
    EXPECT_NE(std::string(e.what()).find("tok.yaml:8: decode_steps: 300 steps take seq_lens["), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("past S_max=256 (set continuous_batching.finish_at"), std::string::npos);
  }
  text.replace(text.find("decode_steps: 300"), 17, "decode_steps: 300\ncontinuous_batching: {finish_at: 256, new_context: 300}");
  try {
    build_workload(YAML::Load(text), "tok.yaml");
    FAIL() << "new_context past finish_at accepted";
  } catch (const WorkloadError& e) {
    EXPECT_NE(std::string(e.what()).find("continuous_batching.new_context: 300 is outside 1..finish_at=256"),
              std::string::npos)
        << e.what();
  }
  text.replace(text.find("new_context: 300"), 16, "new_context: 16");
  const Workload w = load_workload(YAML::Load(text), "tok.yaml");
  EXPECT_EQ(w.steps, 300u);
  EXPECT_EQ(w.tokens_per_step, 2u);  // B
  ASSERT_TRUE(w.next_step);
  // Step 5's program is step 0's with its contexts 5 longer (or restarted).
  const isa::DecodeStep s5 = w.next_step(5);
  Qwen3Params q;
  q.seq_lens = uniform_seq_lens(2, 1, 256, 7);
  q.finish_at = 256;
  q.new_context = 16;
  EXPECT_EQ(s5.program.tensors[*s5.program.find_tensor("seq_lens")].init, qwen3_seq_lens_at(q, 5));
  EXPECT_EQ(s5.program.tensors.size(), w.program.tensors.size());
  ASSERT_EQ(s5.sections.size(), 3u);  // layer 0, layer 1, lm_head
  EXPECT_EQ(s5.sections[2].name, "lm_head");
}
