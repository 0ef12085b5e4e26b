// The workload YAML loader: shipped configs, micro-workloads, error messages.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "workloads/workload.h"

using namespace workloads;
using isa::Op;

namespace {

std::string cfg(const std::string& name) {
  return std::string(NPUSIM_SOURCE_DIR) + "/configs/workloads/" + name + ".yaml";
}

std::string error_of(const std::string& yaml) {
  try {
    build_workload(YAML::Load(yaml), "test.yaml");
  } catch (const WorkloadError& e) {
    return e.what();
  }
  return "";
}

size_t count_op(const isa::Program& p, Op op) {
  size_t n = 0;
  for (const auto& t : p.tasks) {
    const auto& k = p.kernels[t.kernel];
    for (const auto& in : k.cube) n += in.op == op;
    for (const auto& s : k.vec)
      for (const auto& in : s) n += in.op == op;
  }
  return n;
}

const char* kQwenHead =
    "workload: qwen3_32b_decode\n"
    "variant: baseline\n"
    "shapes: {B: 16, S_max: 4096, NH: 64, NKV: 8, D: 128, H: 8192, I: 25600}\n";
const char* kQwenTiling =
    "tiling: {scope1_k_chunk: 512, q_out_chunk: 64, kv_out_chunk: 64, batch_tile: 16, "
    "q_head_batch: 8, q_head_pad: 16, seq_tile: 64, sb_batch: 64, k_chunk: 128, mlp_out_chunk: 256}\n";

}  // namespace

TEST(WorkloadYaml, MicroWorkloads) {
  // gemm: (256/128) x (1024/128) = 16 output tiles, one task each; 2048/256 = 8
  // K-steps; A [128,256] bf16 = 64 KiB > half of L0A -> 2 sub-steps each.
  isa::Program g = build_workload_file(cfg("gemm"));
  EXPECT_EQ(g.tasks.size(), 16u);
  EXPECT_EQ(count_op(g, Op::TMATMUL), 16u * 8u * 2u);
  EXPECT_EQ(count_op(g, Op::TLOAD), 16u * 8u * 2u);
  EXPECT_EQ(count_op(g, Op::TSTORE), 16u);
  // vector_chain: (64/16) x (8192/512) = 64 tiles, 8 per task -> 8 tasks;
  // per tile x and y loads, 5 ops, 1 store.
  isa::Program v = build_workload_file(cfg("vector_chain"));
  EXPECT_EQ(v.tasks.size(), 8u);
  EXPECT_EQ(count_op(v, Op::TLOAD), 128u);
  EXPECT_EQ(count_op(v, Op::TSTORE), 64u);
  EXPECT_EQ(v.instruction_count(), 64u * (2 + 5 + 1));
  // dma_sweep: 64 loads of 4096 B in one task.
  isa::Program d = build_workload_file(cfg("dma_sweep"));
  EXPECT_EQ(d.tasks.size(), 1u);
  EXPECT_EQ(count_op(d, Op::TLOAD), 64u);
  for (const auto& in : d.kernels[0].vec[0]) EXPECT_EQ(in.gm.cols * 2u, 4096u);
  // many_kernels: 1000 independent launches.
  isa::Program m = build_workload_file(cfg("many_kernels"));
  EXPECT_EQ(m.tasks.size(), 1000u);
  for (const auto& t : m.tasks) EXPECT_TRUE(t.deps.empty());
}

TEST(WorkloadYaml, ManyKernelsChain) {
  isa::Program m = build_workload(
      YAML::Load("workload: many_kernels\nkernels: 5\ntile: {rows: 16, cols: 64}\nchain: true\n"), "x.yaml");
  ASSERT_EQ(m.tasks.size(), 5u);
  for (uint32_t i = 1; i < 5; ++i) EXPECT_EQ(m.tasks[i].deps, std::vector<uint32_t>{i - 1});
}

TEST(WorkloadYaml, DmaSweepDirections) {
  for (const char* dir : {"gm_to_l1", "ub_to_gm"}) {
    isa::Program d = build_workload(
        YAML::Load(std::string("workload: dma_sweep\ncount: 8\nbytes: 1024\ntasks: 2\ndirection: ") + dir),
        "x.yaml");
    EXPECT_EQ(d.tasks.size(), 2u);
    EXPECT_EQ(count_op(d, std::string(dir) == "ub_to_gm" ? Op::TSTORE : Op::TLOAD), 8u);
  }
}

TEST(WorkloadYaml, NonDividingTiling) {
  std::string y = std::string(kQwenHead) +
                  "tiling: {scope1_k_chunk: 3000, q_out_chunk: 64, kv_out_chunk: 64, batch_tile: 16, "
                  "q_head_batch: 8, q_head_pad: 16, seq_tile: 64, sb_batch: 64, k_chunk: 128, "
                  "mlp_out_chunk: 256}\nseq_lens: {all: 4096}\n";
  EXPECT_EQ(error_of(y), "test.yaml:4: tiling.scope1_k_chunk: H=8192 is not a multiple of 3000");
  std::string y2 = y;
  y2.replace(y2.find("scope1_k_chunk: 3000"), 20, "scope1_k_chunk: 512");
  y2.replace(y2.find("kv_out_chunk: 64"), 16, "kv_out_chunk: 96");
  EXPECT_EQ(error_of(y2), "test.yaml:4: tiling.kv_out_chunk: NKV*D=1024 is not a multiple of 96");
}

TEST(WorkloadYaml, SeqLenOutOfRange) {
  std::string y = std::string(kQwenHead) + kQwenTiling +
                  "seq_lens:\n  list: [1, 2, 3, 5000, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]\n";
  EXPECT_EQ(error_of(y), "test.yaml:6: seq_lens.list[3]: 5000 is outside 1..S_max=4096");
  std::string y2 = std::string(kQwenHead) + kQwenTiling + "seq_lens: {all: 0}\n";
  EXPECT_EQ(error_of(y2), "test.yaml:5: seq_lens.all: 0 is outside 1..S_max=4096");
  std::string y3 = std::string(kQwenHead) + kQwenTiling + "seq_lens: {list: [1, 2]}\n";
  EXPECT_EQ(error_of(y3), "test.yaml:5: seq_lens.list: has 2 values, B=16");
}

TEST(WorkloadYaml, UnknownAndMissingKeys) {
  std::string tiling_typo = std::string(kQwenTiling);
  tiling_typo.replace(tiling_typo.find("sb_batch"), 8, "sb_btach");
  std::string e = error_of(std::string(kQwenHead) + tiling_typo + "seq_lens: {all: 4096}\n");
  EXPECT_NE(e.find("test.yaml:4: tiling"), std::string::npos) << e;
  // The missing key is reported first (it is read before unknown keys are checked).
  EXPECT_NE(e.find("tiling.sb_batch: missing"), std::string::npos) << e;
  e = error_of(std::string(kQwenHead) + kQwenTiling + "seq_lens: {all: 4096}\nfoo: 1\n");
  EXPECT_EQ(e.find("test.yaml:6: foo: unknown key"), 0u) << e;
  e = error_of(std::string(kQwenHead) + kQwenTiling);
  EXPECT_EQ(e, "test.yaml:1: seq_lens: missing (required)");
  e = error_of("workload: gemm\nshapes: {M: 256, N: 1024, K: 2048, X: 1}\ntiling: {tile_m: 128, tile_n: 128, tile_k: 256}\n");
  EXPECT_EQ(e.find("test.yaml:2: shapes.X: unknown key"), 0u) << e;
  // A key given twice is an error, not the first one silently (YAML keeps both).
  const std::string gemm = "workload: gemm\nshapes: {M: 256, N: 1024, K: 2048}\ntiling: {tile_m: 128, tile_n: 128, tile_k: 256}\n";
  EXPECT_EQ(error_of(gemm + "shapes: {M: 512, N: 1024, K: 2048}\n"), "test.yaml:4: shapes: duplicate key");
  EXPECT_EQ(error_of("workload: gemm\nshapes: {M: 256, N: 1024, K: 2048, M: 512}\n"
                     "tiling: {tile_m: 128, tile_n: 128, tile_k: 256}\n"),
            "test.yaml:2: shapes.M: duplicate key");
  // Reviewed-only keys are rejected for the other variants.
  std::string extra = std::string(kQwenTiling);
  extra.replace(extra.find("}"), 1, ", attn_group_chunk: 2}");
  e = error_of(std::string(kQwenHead) + extra + "seq_lens: {all: 4096}\n");
  EXPECT_EQ(e, "test.yaml:4: tiling.attn_group_chunk: only used by variants reviewed, upstream");
  // upstream_0427-only keys are rejected for the other variants, and the
  // reviewed-only keys for upstream_0427.
  for (const char* key : {"out_proj_k_chunk: 128", "fuse_kv_loops: true", "q_proj_chunk: 4", "kv_proj_chunk: 1",
                          "out_proj_chunk: 6", "down_proj_chunk: 1"}) {
    extra = std::string(kQwenTiling);
    extra.replace(extra.find("}"), 1, std::string(", ") + key + "}");
    e = error_of(std::string(kQwenHead) + extra + "seq_lens: {all: 4096}\n");
    const std::string name = std::string(key).substr(0, std::string(key).find(':'));
    const bool both = name == "out_proj_chunk" || name == "down_proj_chunk";  // upstream's too
    EXPECT_EQ(e, "test.yaml:4: tiling." + name + ": only used by variant" + (both ? "s upstream_0427, upstream" : " upstream_0427"));
  }
  std::string up_head = kQwenHead;
  up_head.replace(up_head.find("baseline"), 8, "upstream_0427");
  extra = std::string(kQwenTiling);
  extra.replace(extra.find("}"), 1, ", norm_chunk: 512}");
  e = error_of(up_head + extra + "seq_lens: {all: 4096}\n");
  EXPECT_EQ(e, "test.yaml:4: tiling.norm_chunk: only used by variants reviewed, upstream");
}

TEST(WorkloadYaml, Upstream0427TilingKeys) {
  std::string head = kQwenHead;
  head.replace(head.find("baseline"), 8, "upstream_0427");
  auto with = [&](const std::string& keys) {
    std::string t = std::string(kQwenTiling);
    t.replace(t.find("}"), 1, ",\n  " + keys + "}");
    return head + t + "seq_lens: {all: 4096}\n";
  };
  // The keys are optional (the 04-27 defaults) and validated with file:line.
  EXPECT_EQ(error_of(with("out_proj_k_chunk: 128, fuse_kv_loops: false")), "");
  EXPECT_EQ(error_of(with("out_proj_k_chunk: 3000")),
            "test.yaml:5: tiling.out_proj_k_chunk: H=8192 is not a multiple of 3000");
  EXPECT_EQ(error_of(with("fuse_kv_loops: maybe")),
            "test.yaml:5: tiling.fuse_kv_loops: expected true or false, got 'maybe'");
  EXPECT_EQ(error_of(with("out_proj_chunk: 0")), "test.yaml:5: tiling.out_proj_chunk: must be positive, got 0");
  EXPECT_EQ(error_of(with("q_proj_chunk: -1")), "test.yaml:5: tiling.q_proj_chunk: must be positive, got -1");
  // The shipped files build: 964 tasks at full size.
  EXPECT_EQ(build_workload_file(cfg("qwen3_32b_decode_upstream_0427")).tasks.size(), 964u);
  for (const char* v : {"_small", "_medium"})
    EXPECT_GT(build_workload_file(cfg(std::string("qwen3_32b_decode_upstream_0427") + v)).tasks.size(), 0u) << v;
}

TEST(WorkloadYaml, TypesAndValues) {
  EXPECT_EQ(error_of("workload: nope\n"),
            "test.yaml:1: workload: unknown workload 'nope' (gemm, vector_chain, dma_sweep, many_kernels, "
            "qwen3_decode)");
  EXPECT_EQ(error_of("workload: gemm\nshapes: {M: abc, N: 1, K: 1}\ntiling: {tile_m: 1, tile_n: 1, tile_k: 1}\n"),
            "test.yaml:2: shapes.M: expected an integer, got 'abc'");
  EXPECT_EQ(error_of("workload: gemm\nshapes: {M: 256, N: 1024, K: 2048}\ntiling: {tile_m: 100, tile_n: 128, tile_k: 256}\n"),
            "test.yaml:3: tiling.tile_m: M=256 is not a multiple of 100");
  EXPECT_EQ(error_of("workload: dma_sweep\ncount: 4\nbytes: 64\ndirection: sideways\n"),
            "test.yaml:4: direction: unknown direction 'sideways' (gm_to_ub, gm_to_l1, ub_to_gm)");
  std::string e = error_of("workload: vector_chain\nshapes: {rows: 16, cols: 64}\ntiling: {tile_rows: 16, tile_cols: 64}\nops: [add, tanh]\n");
  EXPECT_EQ(e.find("test.yaml:4: ops[1]: unknown op 'tanh'"), 0u) << e;
  // A builder-level failure (a tile that does not fit) names the kernel.
  e = error_of("workload: vector_chain\nshapes: {rows: 64, cols: 65536}\ntiling: {tile_rows: 64, tile_cols: 65536}\nops: [exp]\n");
  EXPECT_NE(e.find("vector_chain: load x"), std::string::npos) << e;
}

TEST(WorkloadYaml, QwenVariantsFromYaml) {
  // Sweeps edit keys in the parsed document: workload.tiling.kv_out_chunk.
  YAML::Node doc = YAML::LoadFile(cfg("qwen3_32b_decode_baseline_small"));
  doc["tiling"]["kv_out_chunk"] = 32;
  isa::Program p = build_workload(doc, "sweep");
  size_t kv = 0;
  for (const auto& t : p.tasks) kv += p.kernels[t.kernel].name == "kv_proj";
  EXPECT_EQ(kv, 1u);  // KVH/32 = 2 blocks, chunk 4 -> 1 task
  doc["tiling"]["kv_out_chunk"] = 48;
  try {
    build_workload(doc, "sweep");
    FAIL();
  } catch (const WorkloadError& e) {
    EXPECT_NE(std::string(e.what()).find("tiling.kv_out_chunk: NKV*D=64 is not a multiple of 48"),
              std::string::npos)
        << e.what();
  }
}
