// Each timing rule against a hand count on configs/hw/tiny.yaml:
// vector width 256 B, issue 10, binary 2, transcendental 4, reduce 4, cast 1,
// fill 1; cube fill 6, 1 fractal/cycle, fp32 x4; every DMA
// engine setup 10 cycles; L1->L0 setup 2 + 64 B/cycle.
#include <gtest/gtest.h>

#include <cmath>

#include "sim/cost_model.h"
#include "tests/common/program_dsl.h"

using namespace testdsl;
using isa::DType;
using isa::Op;
using isa::Space;

class CostModelTiny : public ::testing::Test {
 protected:
  sim::HwConfig hw = tiny_hw();
  sim::CostModel cm{hw};
};

TEST_F(CostModelTiny, GmLoadIsSetupPlusItsPayloadForTheMemorySystem) {
  // [16,16] fp32 = 1024 B: setup 10, then the payload goes to the memory
  // system (memory_system.h), which decides what it costs; no burst rounding.
  auto c = cm.cost(load(tile(Space::UB, 0, 16, 16, DType::FP32), view(0, 0, 16, 16, 16)));
  EXPECT_EQ(c.pipe, sim::Pipe::MTE2);
  EXPECT_EQ(c.setup_cycles, 10u);
  EXPECT_EQ(c.cycles, 0u);
  EXPECT_EQ(c.bytes, 1024u);
  EXPECT_EQ(c.cap, 32.0);
}

TEST_F(CostModelTiny, MatmulCountsFractals) {
  // 16x32 x 32x16 bf16: ceil(16/16)*ceil(32/16)*ceil(16/16) = 2 fractals; 6 + 2 = 8.
  EXPECT_EQ(cm.matmul_cycles(16, 32, 16, DType::BF16), 8u);
  // 20x64x48: 2*4*3 = 24 fractals -> 30.
  EXPECT_EQ(cm.matmul_cycles(20, 64, 48, DType::BF16), 30u);
  // fp32 operands at a quarter rate: 6 + 2*4 = 14.
  EXPECT_EQ(cm.matmul_cycles(16, 32, 16, DType::FP32), 14u);
  auto c = cm.cost(op2(Op::TMATMUL, 0, tile(Space::L0C, 0, 16, 16, DType::FP32),
                       tile(Space::L0A, 0, 16, 32, DType::BF16), tile(Space::L0B, 0, 32, 16, DType::BF16)));
  EXPECT_EQ(c.pipe, sim::Pipe::CUBE);
  EXPECT_EQ(c.cycles, 8u);
}

TEST_F(CostModelTiny, VectorOpsByClass) {
  const auto t = tile(Space::UB, 0, 16, 64, DType::FP32);  // 4096 B = 16 repeats of 256 B
  // binary: 10 + 16 * 2 = 42
  EXPECT_EQ(cm.cost(op2(Op::VBIN, uint8_t(isa::BinOp::ADD), t, t, t)).cycles, 42u);
  // div counts as transcendental: 10 + 16 * 4 = 74
  EXPECT_EQ(cm.cost(op2(Op::VBIN, uint8_t(isa::BinOp::DIV), t, t, t)).cycles, 74u);
  // exp: 10 + 16 * 4 = 74; neg is a simple unary: 10 + 16 * 1 = 26
  EXPECT_EQ(cm.cost(op2(Op::VUNARY, uint8_t(isa::UnOp::EXP), t, t)).cycles, 74u);
  EXPECT_EQ(cm.cost(op2(Op::VUNARY, uint8_t(isa::UnOp::NEG), t, t)).cycles, 26u);
  // log is transcendental as exp (74), relu a simple unary as neg (26)
  EXPECT_EQ(cm.cost(op2(Op::VUNARY, uint8_t(isa::UnOp::LOG), t, t)).cycles, 74u);
  EXPECT_EQ(cm.cost(op2(Op::VUNARY, uint8_t(isa::UnOp::RELU), t, t)).cycles, 26u);
  // row sum reads 4096 B: 10 + 16 * 4 = 74
  EXPECT_EQ(cm.cost(op2(Op::VROWRED, 0, tile(Space::UB, 8192, 16, 1, DType::FP32), t)).cycles, 74u);
  // row min the same as sum and max: 74
  EXPECT_EQ(cm.cost(op2(Op::VROWRED, uint8_t(isa::RedOp::MIN), tile(Space::UB, 8192, 16, 1, DType::FP32), t)).cycles,
            74u);
  // cast fp32 -> bf16 counts the wider side: 10 + 16 * 1 = 26
  EXPECT_EQ(cm.cost(op2(Op::VCAST, 0, tile(Space::UB, 8192, 16, 64, DType::BF16), t)).cycles, 26u);
  // row broadcast of a 16x1 column into 16x64: the widest operand is dst's
  // 4096 B, costed as a broadcast: 10 + 16 * 2 = 42
  EXPECT_EQ(cm.cost(op2(Op::VROWEXPAND, 0, t, tile(Space::UB, 8192, 16, 1, DType::FP32))).cycles, 42u);
  EXPECT_EQ(cm.cost(op2(Op::VROWEXPAND, 0, t, tile(Space::UB, 8192, 16, 1, DType::FP32))).pipe, sim::Pipe::VEC);
  // vci of one 1x64 int32 row (256 B, one repeat) at the fill rate: 10 + 1 * 1 = 11
  auto ci = op2(Op::VCI, 0, tile(Space::UB, 0, 1, 64, DType::INT32), isa::Tile{});
  EXPECT_EQ(cm.cost(ci).cycles, 11u);
  // vgather of a 16x64 fp32 dst (4096 B, the widest operand) at the binary rate (an estimate): 10 + 16 * 2 = 42
  EXPECT_EQ(cm.cost(op2(Op::VGATHER, 0, t, t, tile(Space::UB, 8192, 16, 64, DType::INT32))).cycles, 42u);
  // a column sum is adds down the rows: a's 4096 B at the binary rate, 10 + 16 * 2 = 42;
  // a column broadcast into 16x64 as the row one, 42
  EXPECT_EQ(cm.cost(op2(Op::VCOLRED, 0, tile(Space::UB, 8192, 1, 64, DType::FP32), t)).cycles, 42u);
  EXPECT_EQ(cm.cost(op2(Op::VCOLEXPAND, 0, t, tile(Space::UB, 8192, 1, 64, DType::FP32))).cycles, 42u);
  // [1,10] fp32 = 40 B is still one repeat: 10 + 1 * 2 = 12
  const auto small = tile(Space::UB, 0, 1, 10, DType::FP32);
  EXPECT_EQ(cm.cost(op2(Op::VBIN, 0, small, small, small)).cycles, 12u);
}

TEST_F(CostModelTiny, MovesAndScalars) {
  // L1 -> L0A, 16x32 bf16 = 1024 B: 2 + 1024 / 64 = 18
  auto mv = cm.cost(op2(Op::TMOV, 0, tile(Space::L0A, 0, 16, 32, DType::BF16),
                        tile(Space::L1, 0, 16, 32, DType::BF16)));
  EXPECT_EQ(mv.pipe, sim::Pipe::MTE1);
  EXPECT_EQ(mv.cycles, 18u);
  isa::Instr s;
  s.op = Op::SLOAD;
  EXPECT_EQ(cm.cost(s).pipe, sim::Pipe::SCALAR);
  // sload 10 + the L2 miss latency (hit 5 + HBM 15), the one GM latency: 30
  EXPECT_EQ(cm.cost(s).cycles, 30u);
  // Store from L0C goes through FIXPIPE, from UB through MTE3.
  EXPECT_EQ(cm.cost(store(view(0, 0, 16, 16, 16), tile(Space::L0C, 0, 16, 16, DType::FP32))).pipe,
            sim::Pipe::FIXP);
  EXPECT_EQ(cm.cost(store(view(0, 0, 16, 16, 16), tile(Space::UB, 0, 16, 16, DType::FP32))).pipe,
            sim::Pipe::MTE3);
}

TEST_F(CostModelTiny, L0cToUbNeedsTheHardwarePath) {
  auto mv = op2(Op::TMOV, 0, tile(Space::UB, 0, 16, 16, DType::FP32), tile(Space::L0C, 0, 16, 16, DType::FP32));
  try {
    cm.cost(mv);
    FAIL() << "expected an error";
  } catch (const isa::ProgramError& e) {
    EXPECT_NE(std::string(e.what()).find("has no L0C->UB path"), std::string::npos) << e.what();
  }
}

TEST_F(CostModelTiny, UbToL1NeedsTheHardwarePathAndRunsOnMte3) {
  // A vector core's TMOV into its group's cube L1.
  const auto mv = op2(Op::TMOV, 0, tile(Space::L1, 0, 16, 64, DType::BF16), tile(Space::UB, 0, 16, 64, DType::BF16));
  try {
    cm.cost(mv);
    FAIL() << "expected an error";
  } catch (const isa::ProgramError& e) {
    EXPECT_STREQ(e.what(), "tmov UB->L1: hardware 'tiny' has no UB->L1 path (dma.ub_to_l1_path is false)");
  }
  sim::HwConfig with_path = hw;
  with_path.dma.ub_to_l1_path = true;  // tiny's ub_to_l1: setup 4, 64 B/cycle
  const sim::CostModel cm5(with_path);
  const sim::Cost c = cm5.cost(mv);
  EXPECT_EQ(c.pipe, sim::Pipe::MTE3);  // the vector core's MTE3 (pto-isa: TINSERT UB -> L1 on PIPE_MTE3)
  EXPECT_FALSE(c.gm_dma());            // on chip: no GM bytes
  EXPECT_EQ(c.cycles, 36u);            // 16x64 bf16 = 2048 B: 4 + 2048 / 64 = 36
  // The valid region is what moves: 16x40 of the 16x64 = 1280 B: 4 + 20 = 24.
  auto part = mv;
  part.a.valid_cols = part.dst.valid_cols = 40;
  EXPECT_EQ(cm5.cost(part).cycles, 24u);
}

TEST(WholeCycles, RoundsUpAndRefusesWhatTheTimeBaseCannotHold) {
  EXPECT_EQ(sim::whole_cycles(26.14, "x"), 27u);
  EXPECT_EQ(sim::whole_cycles(27.0000000001, "x"), 27u);  // float noise is not a cycle
  EXPECT_EQ(sim::whole_cycles(0, "x"), 0u);
  EXPECT_EQ(sim::whole_cycles(-3.5, "x"), 0u);
  EXPECT_EQ(sim::whole_cycles(1e-12, "x"), 0u);  // under the 1e-9 of rounding
  EXPECT_EQ(sim::whole_cycles(1e-6, "x"), 1u);
  EXPECT_EQ(sim::whole_cycles(4503599627370495.5, "x"), 4503599627370496u);  // 2^52 - 0.5: the last fraction a double has
  EXPECT_EQ(sim::whole_cycles(9007199254740992.0, "x"), sim::kMaxCycles);  // 2^53 itself
  EXPECT_THROW(sim::whole_cycles(9007199254740994.0, "x"), sim::SimError);  // the next double past it
  try {
    sim::whole_cycles(5.12e22, "a matmul");
    FAIL() << "no error";
  } catch (const sim::SimError& e) {
    EXPECT_STREQ(e.what(),
                 "a matmul comes to 5.12e+22 cycles, past the 9007199254740992 (2^53) the model represents: "
                 "a rate too slow or a size too large");
  }
  EXPECT_THROW(sim::whole_cycles(std::nan(""), "x"), sim::SimError);
}

TEST_F(CostModelTiny, AMatmulTooSlowToRepresentIsAnErrorNotAWrappedCount) {
  // Issue 10, case 5: the count was cast to uint32 and wrapped (fewer cycles
  // than the default rate, exit 0). 16x32x16 = 2 fractals at 1e-15 per cycle
  // = 2e15 cycles: fits 2^53 = 9.0e15, and stays exact (not wrapped).
  hw.cube.fractals_per_cycle = 1e-15;
  EXPECT_EQ(cm.matmul_cycles(16, 32, 16, DType::BF16), 6u + 2'000'000'000'000'000u);
  // 20x64x48 = 24 fractals = 2.4e16 cycles does not.
  EXPECT_THROW(cm.matmul_cycles(20, 64, 48, DType::BF16), sim::SimError);
}
