#include "workloads/micro.h"

#include <algorithm>

#include "workloads/builder.h"

namespace workloads {

using isa::DType;
using isa::Space;
using isa::TensorKind;

static uint32_t u32(int64_t v) { return uint32_t(v); }

isa::Program build_gemm(const GemmParams& p, const Target& target) {
  ProgramBuilder pb(target);
  GmTensor A = pb.tensor("a", {p.M, p.K}, DType::BF16, TensorKind::In);
  GmTensor B = pb.tensor("b", {p.K, p.N}, DType::BF16, TensorKind::In);
  GmTensor C = pb.tensor("c", {p.M, p.N}, DType::FP32, TensorKind::Out);
  const int64_t tiles_n = p.N / p.tile_n;
  const int64_t tiles = (p.M / p.tile_m) * tiles_n;
  pb.parallel("gemm", tiles, p.tiles_per_task, [&](KernelBuilder& k, int64_t t) {
    const int64_t m0 = (t / tiles_n) * p.tile_m, n0 = (t % tiles_n) * p.tile_n;
    LTile acc;
    for (int64_t k0 = 0; k0 < p.K; k0 += p.tile_k) {
      LTile a = k.slice(A, {u32(p.tile_m), u32(p.tile_k)}, {m0, k0}, Space::L1);
      LTile b = k.slice(B, {u32(p.tile_k), u32(p.tile_n)}, {k0, n0}, Space::L1);
      acc = k0 == 0 ? k.matmul(a, b) : k.matmul_acc(acc, a, b);
    }
    k.assemble(C, acc, {m0, n0});
  });
  return pb.finish();
}

const std::vector<std::string>& vector_chain_op_names() {
  static const std::vector<std::string> names = {
      "add", "sub", "mul", "div", "max", "min",  "adds", "subs", "muls",
      "divs", "maxs", "mins", "exp", "sqrt", "recip", "neg", "abs"};
  return names;
}

isa::Program build_vector_chain(const VectorChainParams& p, const Target& target) {
  ProgramBuilder pb(target);
  GmTensor X = pb.tensor("x", {p.rows, p.cols}, DType::FP32, TensorKind::In);
  GmTensor Y = pb.tensor("y", {p.rows, p.cols}, DType::FP32, TensorKind::In);
  GmTensor O = pb.tensor("out", {p.rows, p.cols}, DType::FP32, TensorKind::Out);
  bool needs_y = false;
  for (const std::string& op : p.ops)
    if (op.size() == 3 && op != "exp" && op != "neg" && op != "abs") needs_y = true;
  const int64_t tiles_c = p.cols / p.tile_cols;
  const int64_t tiles = (p.rows / p.tile_rows) * tiles_c;
  const Shape2 shape{u32(p.tile_rows), u32(p.tile_cols)};
  pb.parallel("vector_chain", tiles, p.tiles_per_task, [&](KernelBuilder& k, int64_t t) {
    const At at{(t / tiles_c) * p.tile_rows, (t % tiles_c) * p.tile_cols};
    LTile x = k.slice(X, shape, at);
    LTile y;
    if (needs_y) y = k.slice(Y, shape, at);
    for (const std::string& op : p.ops) {
      if (op == "add") x = k.add(x, y);
      else if (op == "sub") x = k.sub(x, y);
      else if (op == "mul") x = k.mul(x, y);
      else if (op == "div") x = k.div(x, y);
      else if (op == "max") x = k.max(x, y);
      else if (op == "min") x = k.min(x, y);
      else if (op == "adds") x = k.adds(x, p.scalar);
      else if (op == "subs") x = k.subs(x, p.scalar);
      else if (op == "muls") x = k.muls(x, p.scalar);
      else if (op == "divs") x = k.divs(x, p.scalar);
      else if (op == "maxs") x = k.maxs(x, p.scalar);
      else if (op == "mins") x = k.mins(x, p.scalar);
      else if (op == "exp") x = k.exp(x);
      else if (op == "sqrt") x = k.sqrt(x);
      else if (op == "recip") x = k.recip(x);
      else if (op == "neg") x = k.neg(x);
      else if (op == "abs") x = k.abs(x);
      else throw BuildError("vector_chain: unknown op '" + op + "'");
    }
    k.assemble(O, x, at);
  });
  return pb.finish();
}

isa::Program build_dma_sweep(const DmaSweepParams& p, const Target& target) {
  ProgramBuilder pb(target);
  const int64_t elems = p.bytes / 2;  // bf16
  const int64_t cols = elems / p.rows;
  GmTensor G = pb.tensor("buf", {p.count * p.rows, cols}, DType::BF16,
                         p.direction == DmaDirection::UbToGm ? TensorKind::Out : TensorKind::In);
  const Shape2 shape{u32(p.rows), u32(cols)};
  const int64_t per_task = (p.count + p.tasks - 1) / p.tasks;
  pb.parallel_range("dma_sweep", p.count, per_task, [&](KernelBuilder& k, int64_t b, int64_t e) {
    if (p.direction == DmaDirection::UbToGm) {
      LTile t = k.fill(shape, DType::BF16, 1.0f);
      for (int64_t i = b; i < e; ++i) k.assemble(G, t, {i * p.rows, 0});
    } else {
      const Space sp = p.direction == DmaDirection::GmToL1 ? Space::L1 : Space::UB;
      // Double buffered (pl.pipeline(stage=2)): a transfer's latency overlaps
      // the next one instead of its buffer waiting for it.
      k.loop(b, e, 1, 2, [&](int64_t i) { k.slice(G, shape, {i * p.rows, 0}, sp); });
    }
  });
  return pb.finish();
}

isa::Program build_many_kernels(const ManyKernelsParams& p, const Target& target) {
  ProgramBuilder pb(target);
  const int64_t n = p.kernels;
  GmTensor X = pb.tensor("x", {p.chain ? p.rows : n * p.rows, p.cols}, DType::FP32, TensorKind::In);
  GmTensor Y = pb.tensor("y", {(p.chain ? n + 1 : n) * p.rows, p.cols}, DType::FP32,
                         TensorKind::Out);
  const Shape2 shape{u32(p.rows), u32(p.cols)};
  pb.parallel("small_kernel", n, 1, [&](KernelBuilder& k, int64_t i) {
    LTile t = p.chain && i > 0 ? k.slice(Y, shape, {i * p.rows, 0})
                               : k.slice(X, shape, {p.chain ? 0 : i * p.rows, 0});
    k.assemble(Y, k.adds(t, 1.0f), {(p.chain ? i + 1 : i) * p.rows, 0});
  });
  return pb.finish();
}

}  // namespace workloads
