// FunctionalState driven by CoreEngine's InstrEvents (no SystemC), the way
// the NPU shell wires them: execute(group, core, *e.instr, e.gm_offset) for
// every finished instruction, read_int for SLOAD. Checks that the event
// order and the resolved GM offsets give the right data.
#include <gtest/gtest.h>

#include "sim/core_engine.h"
#include "sim/functional.h"
#include "tests/common/program_dsl.h"

using namespace testdsl;
using isa::DType;
using isa::Op;
using isa::Space;

namespace {

// Run one stream to completion on core `core` of group 0, executing each
// instruction's semantics at its event. DMAs complete in request order,
// 100 cycles apart.
void run_stream(const isa::Program& p, const std::vector<isa::Instr>& s, uint32_t core,
                sim::FunctionalState& f, const sim::HwConfig& hw) {
  sim::CostModel cm(hw);
  sim::CoreEngine e(hw, cm);
  sim::FlagBoard flags;
  sim::TaskContext ctx;
  ctx.program = &p;
  ctx.stream = core == 0 ? 0 : 1;  // the cube, or vector core 0
  ctx.read_int = [&f](uint32_t t, int64_t i) { return f.read_int(t, i); };
  e.load(&s, 0, ctx);
  std::vector<sim::DmaRequest> out;
  const std::function<void(const sim::InstrEvent&)> done = [&](const sim::InstrEvent& ev) {
    f.execute(0, core, *ev.instr, ev.gm_offset, ev.gm_tensor);
  };
  uint64_t t = 0;
  for (int guard = 0; !e.finished() && guard < 1000; ++guard) {
    e.step(flags, out, done);
    for (const sim::DmaRequest& r : out) e.dma_done(r.instr, t += 100, sim::MemResult{}, done);
    out.clear();
  }
  ASSERT_TRUE(e.finished());
}

isa::Instr sload(int reg, uint32_t tensor, int64_t elem) {
  isa::Instr i;
  i.op = Op::SLOAD;
  i.reg = int8_t(reg);
  i.gm = view(tensor, elem, 1, 1, 1);
  return i;
}

isa::Instr sadd(int reg, float v) {
  isa::Instr i;
  i.op = Op::SADD;
  i.reg = int8_t(reg);
  i.imm = v;
  return i;
}

}  // namespace

TEST(FunctionalEngine, VectorKernelWithADynamicRow) {
  // x [4 rows x 8] fp32; pos = seq_lens[0] - 1 = 2: y[0, :] = x[pos, :] * 2 + x[pos, :].
  const sim::HwConfig hw = tiny_hw();
  isa::Program p = program({{"x", 32, DType::FP32}, {"seq_lens", 1, DType::INT32}, {"y", 8, DType::BF16}});
  p.tensors[1].init = {3};
  const auto a = tile(Space::UB, 0, 1, 8, DType::FP32);
  const auto b = tile(Space::UB, 64, 1, 8, DType::FP32);
  const auto c = tile(Space::UB, 128, 1, 8, DType::BF16);
  isa::GmView row = view(0, 0, 1, 8, 8);
  row.reg = 0;
  row.reg_scale = 8;  // element offset = R0 * 8
  isa::Instr twice = op2(Op::VBINS, uint8_t(isa::BinOp::MUL), b, a);
  twice.imm = 2;
  add_task(p, "k", {},
           {{sload(0, 1, 0), sadd(0, -1), load(a, row), twice, op2(Op::VBIN, 0, b, b, a),
             op2(Op::VCAST, 0, c, b), store(view(2, 0, 1, 8, 8), c)}});
  sim::FunctionalState f(p, hw);
  std::vector<float> x(32);
  for (int i = 0; i < 32; ++i) x[size_t(i)] = float(i) + 0.125f;
  f.set_float(0, x);
  run_stream(p, p.kernels[0].vec[0], 1, f, hw);
  // Row 2 is 16.125 .. 23.125; times 3 = 48.375 .. 69.375, then bf16 (spacing 0.25 in [32, 64),
  // 0.5 in [64, 128)): 48.375 -> 48.5 (tie 48.25/48.5: even mantissa is 48.5), 51.375 -> 51.5,
  // 54.375 -> 54.5, 57.375 -> 57.5, 60.375 -> 60.5, 63.375 -> 63.5, 66.375 -> 66.5, 69.375 -> 69.5.
  const std::vector<float> want = {48.5f, 51.5f, 54.5f, 57.5f, 60.5f, 63.5f, 66.5f, 69.5f};
  EXPECT_EQ(f.get_float(2), want);
  EXPECT_EQ(f.reg(0, 1, 0), 2);
}

TEST(FunctionalEngine, CubeGemmThroughL1L0AndL0C) {
  // C[2x2] = A[2x4] x B[4x2] in two K-steps of 2 (accumulate), A and B bf16.
  const sim::HwConfig hw = tiny_hw();
  isa::Program p = program({{"A", 8, DType::BF16}, {"B", 8, DType::BF16}, {"C", 4, DType::FP32}});
  std::vector<isa::Instr> s;
  for (int k = 0; k < 2; ++k) {
    const auto la = tile(Space::L1, uint32_t(k * 256), 2, 2, DType::BF16);
    const auto lb = tile(Space::L1, uint32_t(k * 256 + 128), 2, 2, DType::BF16);
    const auto a0 = tile(Space::L0A, uint32_t(k * 64), 2, 2, DType::BF16);
    const auto b0 = tile(Space::L0B, uint32_t(k * 64), 2, 2, DType::BF16);
    s.push_back(load(la, view(0, k * 2, 2, 2, 4)));      // A[:, 2k:2k+2]
    s.push_back(load(lb, view(1, k * 4, 2, 2, 2)));      // B[2k:2k+2, :]
    s.push_back(op2(Op::TMOV, 0, a0, la));
    s.push_back(op2(Op::TMOV, 0, b0, lb));
    isa::Instr mm = op2(Op::TMATMUL, 0, tile(Space::L0C, 0, 2, 2, DType::FP32), a0, b0);
    if (k) mm.flags = isa::kAccumulate;
    s.push_back(mm);
  }
  s.push_back(store(view(2, 0, 2, 2, 2), tile(Space::L0C, 0, 2, 2, DType::FP32)));
  add_task(p, "gemm", s, {});
  sim::FunctionalState f(p, hw);
  f.set_float(0, {1, 2, 3, 4, 5, 6, 7, 8});      // A = [[1,2,3,4],[5,6,7,8]]
  f.set_float(1, {1, 0, 0, 1, 1, 1, 2, -1});     // B = [[1,0],[0,1],[1,1],[2,-1]]
  run_stream(p, p.kernels[0].cube, 0, f, hw);
  // Row 0: [1 + 3 + 8, 2 + 3 - 4] = [12, 1]; row 1: [5 + 7 + 16, 6 + 7 - 8] = [28, 5].
  EXPECT_EQ(f.get_float(2), (std::vector<float>{12, 1, 28, 5}));
}
