// FunctionalState::execute, one instruction at a time, on hand examples whose
// expected values are worked out in the comments. Hardware: configs/hw/tiny.yaml
// (2 core groups of 1 cube + 2 vector cores; UB 64 KiB, L1 64 KiB, L0A/L0B
// 16 KiB, L0C 32 KiB).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "sim/functional.h"
#include "sim/numerics.h"
#include "tests/common/program_dsl.h"

using namespace testdsl;
using isa::DType;
using isa::Op;
using isa::Space;
using sim::FunctionalState;
using sim::SimError;

namespace {

constexpr float kLowest = std::numeric_limits<float>::lowest();
constexpr uint32_t kVec0 = 1;  // core index of vector core 0 (0 is the cube)

isa::Instr un(Op op, uint8_t sub, isa::Tile dst, isa::Tile a, float imm = 0) {
  isa::Instr i = op2(op, sub, dst, a);
  i.imm = imm;
  return i;
}

isa::Tile valid(isa::Tile t, uint16_t vr, uint16_t vc) {
  t.valid_rows = vr;
  t.valid_cols = vc;
  return t;
}

class FunctionalOps : public ::testing::Test {
 protected:
  sim::HwConfig hw = tiny_hw();
  // x: 12 fp32, y: 8 bf16, n: 4 int32, z: 8 fp32.
  isa::Program p = program({{"x", 12, DType::FP32}, {"y", 8, DType::BF16}, {"n", 4, DType::INT32},
                            {"z", 8, DType::FP32}});
  FunctionalState s{p, hw};
  const isa::Tile u0 = tile(Space::UB, 0, 2, 4, DType::FP32);     // UB[0, 32)
  const isa::Tile u1 = tile(Space::UB, 64, 2, 4, DType::FP32);    // UB[64, 96)
  const isa::Tile u2 = tile(Space::UB, 128, 2, 4, DType::FP32);   // UB[128, 160)
  const isa::Tile ubf = tile(Space::UB, 256, 2, 4, DType::BF16);  // UB[256, 272)

  void run(const isa::Instr& in, int64_t gm_offset = 0, uint32_t core = kVec0) {
    s.execute(0, core, in, gm_offset, in.gm.tensor);
  }
  std::vector<float> get(const isa::Tile& t, uint32_t core = kVec0) { return s.read_tile(0, core, t); }
  void put(const isa::Tile& t, const std::vector<float>& v, uint32_t core = kVec0) {
    s.write_tile(0, core, t, v);
  }
};

using V = std::vector<float>;

}  // namespace

TEST_F(FunctionalOps, TloadStridedViewWithDynamicOffset) {
  s.set_float(0, V{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  // View 2x4, row stride 6: rows start at gm_offset and gm_offset + 6.
  // gm_offset 1 (e.g. static 0 + R*scale = 1): elements 1..4 and 7..10.
  run(load(u0, view(0, 0, 2, 4, 6)), 1);
  EXPECT_EQ(get(u0), (V{1, 2, 3, 4, 7, 8, 9, 10}));
  // The tile's bytes are its fp32 bit patterns row-major: element (1, 0) at byte 16.
  float f;
  std::memcpy(&f, s.buffer(0, kVec0, Space::UB) + 16, 4);
  EXPECT_EQ(f, 7.0f);
}

TEST_F(FunctionalOps, TloadBf16KeepsTwoBytesPerElement) {
  s.set_float(1, V{1.0f, -2.0f, 0.5f, 3.140625f, 0, 0, 0, 0});
  const isa::Tile t = tile(Space::UB, 0, 1, 4, DType::BF16);
  run(load(t, view(1, 0, 1, 4, 4)));
  EXPECT_EQ(get(t), (V{1.0f, -2.0f, 0.5f, 3.140625f}));
  const uint8_t* b = s.buffer(0, kVec0, Space::UB);
  // 1.0 = 0x3f80, -2.0 = 0xc000 (little-endian bytes).
  EXPECT_EQ(b[0], 0x80);
  EXPECT_EQ(b[1], 0x3f);
  EXPECT_EQ(b[2], 0x00);
  EXPECT_EQ(b[3], 0xc0);
}

TEST_F(FunctionalOps, TstoreRoundsToTheTensorDtypeAndLeavesGapsAlone) {
  // An fp32 tile stored into the bf16 tensor y: 1 + 2^-8 is a tie -> 1.0;
  // 1 + 3*2^-8 = 1.01171875 is a tie -> 1.015625 (even mantissa).
  const isa::Tile t = tile(Space::UB, 0, 2, 2, DType::FP32);
  put(t, V{1.00390625f, 1.01171875f, 2.0f, -0.75f});
  s.set_float(1, V{9, 9, 9, 9, 9, 9, 9, 9});
  run(store(view(1, 0, 2, 2, 4), t), 2);  // rows at 2..3 and 6..7
  EXPECT_EQ(s.get_float(1), (V{9, 9, 1.0f, 1.015625f, 9, 9, 2.0f, -0.75f}));
}

TEST_F(FunctionalOps, AnAtomicAddStoreAddsToGmAndRoundsToItsDtype) {
  const isa::Tile t = tile(Space::UB, 0, 2, 2, DType::FP32);
  put(t, V{1, 2, 0.00390625f, -0.75f});
  isa::Instr add = store(view(1, 0, 2, 2, 4), t);
  add.flags = isa::kAtomicAdd;
  s.set_float(1, V{9, 9, 10, 20, 9, 9, 1, 1});
  run(add, 2);  // rows at 2..3 and 6..7: 10+1, 20+2, 1 + 2^-8 (a bf16 tie -> 1.0), 1 - 0.75
  EXPECT_EQ(s.get_float(1), (V{9, 9, 11, 22, 9, 9, 1.0f, 0.25f}));
  run(add, 2);  // twice: the sums add up
  EXPECT_EQ(s.get_float(1), (V{9, 9, 12, 24, 9, 9, 1.0f, -0.5f}));
  // int32: integers, wrapping as the hardware's adds do.
  const isa::Tile i = tile(Space::UB, 64, 1, 2, DType::INT32);
  s.set_int(2, {2147483647, -7, 0, 0});
  const int32_t ones[2] = {1, 16777217};  // 2^24 + 1 is not an fp32 value: the add must not go through float
  std::memcpy(s.buffer(0, kVec0, Space::UB) + 64, ones, 8);
  isa::Instr addi = store(view(2, 0, 1, 2, 2), i);
  addi.flags = isa::kAtomicAdd;
  run(addi);
  EXPECT_EQ(s.get_int(2), (std::vector<int32_t>{-2147483647 - 1, 16777210, 0, 0}));
}

TEST_F(FunctionalOps, TloadTstoreInt32CopyExactly) {
  s.set_int(2, {16777217, -5, 7, 2147483647});  // 2^24 + 1 is not an fp32 value: must not go through float
  const isa::Tile t = tile(Space::UB, 0, 1, 4, DType::INT32);
  run(load(t, view(2, 0, 1, 4, 4)));
  s.set_int(2, {0, 0, 0, 0});
  run(store(view(2, 0, 1, 4, 4), t));
  EXPECT_EQ(s.get_int(2), (std::vector<int32_t>{16777217, -5, 7, 2147483647}));
}

TEST_F(FunctionalOps, TmovCopiesBytesL1ToL0a) {
  const isa::Tile l1 = tile(Space::L1, 32, 2, 2, DType::BF16);
  const isa::Tile l0a = tile(Space::L0A, 0, 2, 2, DType::BF16);
  put(l1, V{1, 2, 3, 4}, 0);
  run(op2(Op::TMOV, 0, l0a, l1), 0, /*core=*/0);
  EXPECT_EQ(get(l0a, 0), (V{1, 2, 3, 4}));
  EXPECT_EQ(std::memcmp(s.buffer(0, 0, Space::L1) + 32, s.buffer(0, 0, Space::L0A), 8), 0);
}

TEST_F(FunctionalOps, TmovL0cToUbConvertsWhenTheDtypesDiffer) {
  // A fixpipe-style L0C fp32 -> UB bf16 move rounds: 1 + 2^-8 -> 1.0.
  const isa::Tile c = tile(Space::L0C, 0, 1, 2, DType::FP32);
  const isa::Tile u = tile(Space::UB, 0, 1, 2, DType::BF16);
  put(c, V{1.00390625f, 5.0f}, 0);
  run(op2(Op::TMOV, 0, u, c), 0, 0);
  EXPECT_EQ(get(u, 0), (V{1.0f, 5.0f}));
}

TEST_F(FunctionalOps, MatmulAccumulateAndTransposeB) {
  const isa::Tile a = tile(Space::L0A, 0, 2, 3, DType::BF16);
  const isa::Tile b = tile(Space::L0B, 0, 3, 2, DType::BF16);
  const isa::Tile bt = tile(Space::L0B, 64, 2, 3, DType::BF16);
  const isa::Tile c = tile(Space::L0C, 0, 2, 2, DType::FP32);
  put(a, V{1, 2, 3, 4, 5, 6}, 0);  // [[1,2,3],[4,5,6]]
  put(b, V{1, 0, 0, 1, 1, 1}, 0);  // [[1,0],[0,1],[1,1]]
  put(bt, V{1, 0, 1, 0, 1, 1}, 0);  // b transposed: [[1,0,1],[0,1,1]]
  put(c, V{100, 100, 100, 100}, 0);
  isa::Instr mm = op2(Op::TMATMUL, 0, c, a, b);
  // a x b = [[1+3, 2+3], [4+6, 5+6]] = [[4, 5], [10, 11]]; without kAccumulate dst is overwritten.
  run(mm, 0, 0);
  EXPECT_EQ(get(c, 0), (V{4, 5, 10, 11}));
  // kAccumulate adds: [[8, 10], [20, 22]].
  mm.flags = isa::kAccumulate;
  run(mm, 0, 0);
  EXPECT_EQ(get(c, 0), (V{8, 10, 20, 22}));
  // kTransposeB: b is N x K; same product.
  isa::Instr mt = op2(Op::TMATMUL, 0, c, a, bt);
  mt.flags = isa::kTransposeB;
  run(mt, 0, 0);
  EXPECT_EQ(get(c, 0), (V{4, 5, 10, 11}));
}

TEST_F(FunctionalOps, MatmulSumsInFp32InKOrder) {
  // a = [1, 2^-24, 2^-24] (bf16-exact), b = [1, 1, 1]^T. In fp32, k ascending:
  // 1 + 2^-24 is a tie between 1 and 1 + 2^-23 -> 1 (even), twice: the result
  // is exactly 1.0 (a double sum would give 1 + 2^-23).
  const isa::Tile a = tile(Space::L0A, 0, 1, 3, DType::BF16);
  const isa::Tile b = tile(Space::L0B, 0, 3, 1, DType::BF16);
  const isa::Tile c = tile(Space::L0C, 0, 1, 1, DType::FP32);
  const float t = std::ldexp(1.0f, -24);
  put(a, V{1, t, t}, 0);
  put(b, V{1, 1, 1}, 0);
  run(op2(Op::TMATMUL, 0, c, a, b), 0, 0);
  EXPECT_EQ(get(c, 0), (V{1.0f}));
}

TEST_F(FunctionalOps, VbinEveryOp) {
  put(u0, V{1, -2, 3, 8, 0.5f, 6, -1, 4});
  put(u1, V{2, 2, -3, 4, 0.25f, 6, 1, -8});
  const V expect[] = {
      {3, 0, 0, 12, 0.75f, 12, 0, -4},          // ADD
      {-1, -4, 6, 4, 0.25f, 0, -2, 12},         // SUB
      {2, -4, -9, 32, 0.125f, 36, -1, -32},     // MUL
      {0.5f, -1, -1, 2, 2, 1, -1, -0.5f},       // DIV
      {2, 2, 3, 8, 0.5f, 6, 1, 4},              // MAX
      {1, -2, -3, 4, 0.25f, 6, -1, -8},         // MIN
  };
  for (uint8_t op = 0; op < 6; ++op) {
    run(op2(Op::VBIN, op, u2, u0, u1));
    EXPECT_EQ(get(u2), expect[op]) << "binop " << int(op);
  }
}

TEST_F(FunctionalOps, VbinIntoBf16RoundsTheFp32Result) {
  // Computed in fp32, stored as bf16: 1 + 2^-8 -> 1.0 (tie to even);
  // 1 + 3*2^-8 -> 1.015625 (tie to even); 3 + bf16(1/3) -> 3.328125 (below).
  const isa::Tile a = tile(Space::UB, 0, 1, 4, DType::BF16);
  const isa::Tile b = tile(Space::UB, 64, 1, 4, DType::BF16);
  const isa::Tile d = tile(Space::UB, 128, 1, 4, DType::BF16);
  put(a, V{1, 1, 3, 2});
  put(b, V{0.00390625f, 0.01171875f, 0.333984375f, 2});  // b[2] = bf16(1/3) = 0.333984375
  run(op2(Op::VBIN, uint8_t(isa::BinOp::ADD), d, a, b));
  // 3 + 0.333984375 = 3.333984375 exactly in fp32 -> bf16: 3.328125 or 3.34375; nearer 3.328125
  // (distance 0.00586 vs 0.00977).
  EXPECT_EQ(get(d), (V{1.0f, 1.015625f, 3.328125f, 4}));
}

TEST_F(FunctionalOps, VbinsAndVunary) {
  const isa::Tile a = tile(Space::UB, 0, 1, 4, DType::FP32);
  const isa::Tile d = tile(Space::UB, 64, 1, 4, DType::FP32);
  put(a, V{0, 1, 4, -2});
  run(un(Op::VBINS, uint8_t(isa::BinOp::MUL), d, a, 0.5f));
  EXPECT_EQ(get(d), (V{0, 0.5f, 2, -1}));
  run(un(Op::VBINS, uint8_t(isa::BinOp::MAX), d, a, 0.5f));
  EXPECT_EQ(get(d), (V{0.5f, 1, 4, 0.5f}));
  run(un(Op::VUNARY, uint8_t(isa::UnOp::EXP), d, a));
  EXPECT_EQ(get(d), (V{1.0f, std::exp(1.0f), std::exp(4.0f), std::exp(-2.0f)}));  // fp32 expf
  put(a, V{4, 0.25f, 16, 2});
  run(un(Op::VUNARY, uint8_t(isa::UnOp::SQRT), d, a));
  EXPECT_EQ(get(d), (V{2, 0.5f, 4, std::sqrt(2.0f)}));
  run(un(Op::VUNARY, uint8_t(isa::UnOp::RECIP), d, a));
  EXPECT_EQ(get(d), (V{0.25f, 4, 0.0625f, 0.5f}));
  put(a, V{-1, 2, -0.5f, 0});
  run(un(Op::VUNARY, uint8_t(isa::UnOp::NEG), d, a));
  EXPECT_EQ(get(d), (V{1, -2, 0.5f, -0.0f}));
  run(un(Op::VUNARY, uint8_t(isa::UnOp::ABS), d, a));
  EXPECT_EQ(get(d), (V{1, 2, 0.5f, 0}));
  run(un(Op::VUNARY, uint8_t(isa::UnOp::RELU), d, a));  // max(a, 0)
  EXPECT_EQ(get(d), (V{0, 2, 0, 0}));
  put(a, V{1, std::exp(2.0f), 0.5f, 0});
  run(un(Op::VUNARY, uint8_t(isa::UnOp::LOG), d, a));  // natural log, fp32 logf; log 0 = -inf
  EXPECT_EQ(get(d), (V{0, std::log(std::exp(2.0f)), std::log(0.5f), -std::numeric_limits<float>::infinity()}));
}

TEST_F(FunctionalOps, VcastRoundsToNearestEven) {
  const isa::Tile a = tile(Space::UB, 0, 1, 4, DType::FP32);
  const isa::Tile b = tile(Space::UB, 64, 1, 4, DType::BF16);
  const isa::Tile i = tile(Space::UB, 128, 1, 4, DType::INT32);
  const isa::Tile f = tile(Space::UB, 192, 1, 4, DType::FP32);
  // fp32 -> bf16: 1 + 2^-8 -> 1.0 (tie, even); pi -> 3.140625; 1 + 2^-8 + 2^-20 -> 1.0078125 (above tie);
  // 65536.5 -> 65536.
  put(a, V{1.00390625f, 3.14159265f, 1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20), 65536.5f});
  run(op2(Op::VCAST, 0, b, a));
  EXPECT_EQ(get(b), (V{1.0f, 3.140625f, 1.0078125f, 65536.0f}));
  // fp32 -> int32: 2.5 -> 2, 3.5 -> 4, -2.5 -> -2, -0.6 -> -1.
  put(a, V{2.5f, 3.5f, -2.5f, -0.6f});
  run(op2(Op::VCAST, 0, i, a));
  int32_t iv[4];
  std::memcpy(iv, s.buffer(0, kVec0, Space::UB) + 128, 16);
  EXPECT_EQ(std::vector<int32_t>(iv, iv + 4), (std::vector<int32_t>{2, 4, -2, -1}));
  // int32 -> fp32.
  run(op2(Op::VCAST, 0, f, i));
  EXPECT_EQ(get(f), (V{2, 4, -2, -1}));
  // vcast_round (ties away from zero) and vcast_floor: 2.5 -> 3 and 2,
  // -2.5 -> -3 and -3; fp32 -> bf16 ties away: 1 + 2^-8 -> 1 + 2^-7.
  put(a, V{2.5f, 3.5f, -2.5f, -0.6f});
  run(op2(Op::VCAST, uint8_t(isa::RoundMode::ROUND), i, a));
  std::memcpy(iv, s.buffer(0, kVec0, Space::UB) + 128, 16);
  EXPECT_EQ(std::vector<int32_t>(iv, iv + 4), (std::vector<int32_t>{3, 4, -3, -1}));
  run(op2(Op::VCAST, uint8_t(isa::RoundMode::FLOOR), i, a));
  std::memcpy(iv, s.buffer(0, kVec0, Space::UB) + 128, 16);
  EXPECT_EQ(std::vector<int32_t>(iv, iv + 4), (std::vector<int32_t>{2, 3, -3, -1}));
  put(a, V{1.00390625f, 1, 1, 1});
  run(op2(Op::VCAST, uint8_t(isa::RoundMode::ROUND), b, a));
  EXPECT_EQ(get(b), (V{1.0078125f, 1, 1, 1}));
  // From int32 the mode applies to the exact integer: 2^24 + 3 to fp32 floor
  // is 2^24 + 2 (through fp32 it would have been 2^24 + 4 already); int32 to
  // int32 copies exactly.
  const int32_t big[4] = {16777219, -16777219, 16777217, 7};
  std::memcpy(s.buffer(0, kVec0, Space::UB) + 128, big, 16);
  run(op2(Op::VCAST, uint8_t(isa::RoundMode::FLOOR), f, i));
  EXPECT_EQ(get(f), (V{16777218.0f, -16777220.0f, 16777216.0f, 7}));
  const isa::Tile i2 = tile(Space::UB, 256, 1, 4, DType::INT32);
  run(op2(Op::VCAST, 0, i2, i));
  std::memcpy(iv, s.buffer(0, kVec0, Space::UB) + 256, 16);
  EXPECT_EQ(std::vector<int32_t>(iv, iv + 4), (std::vector<int32_t>{16777219, -16777219, 16777217, 7}));
}

// vci (pto-isa TCI): row 0's valid cols count up from imm, or down with desc.
TEST_F(FunctionalOps, VciWritesConsecutiveIntegers) {
  const isa::Tile t = tile(Space::UB, 0, 1, 4, DType::INT32);
  isa::Instr in;
  in.op = Op::VCI;
  in.dst = t;
  in.imm = 5;
  run(in);
  int32_t v[4];
  std::memcpy(v, s.buffer(0, kVec0, Space::UB), 16);
  EXPECT_EQ(std::vector<int32_t>(v, v + 4), (std::vector<int32_t>{5, 6, 7, 8}));
  in.flags = isa::kDescending;
  in.imm = 1;
  in.dst = valid(t, 1, 3);  // 3 valid cols: the fourth keeps its 8
  run(in);
  std::memcpy(v, s.buffer(0, kVec0, Space::UB), 16);
  EXPECT_EQ(std::vector<int32_t>(v, v + 4), (std::vector<int32_t>{1, 0, -1, 8}));
}

// vgather (pto-isa TGATHER): each index names an element of the source,
// counted row-major with the source's cols as the pitch; one outside the
// source's valid region is an error, not a read of stale bytes.
TEST_F(FunctionalOps, VgatherPicksTheIndexedElements) {
  put(u0, V{10, 11, 12, 13, 14, 15, 16, 17});  // 2x4: element k is 10 + k
  const isa::Tile idx = tile(Space::UB, 128, 1, 4, DType::INT32);
  const int32_t k[4] = {7, 0, 5, 5};  // (1,3), (0,0), (1,1), (1,1)
  std::memcpy(s.buffer(0, kVec0, Space::UB) + 128, k, 16);
  const isa::Tile d = tile(Space::UB, 64, 1, 4, DType::FP32);
  run(op2(Op::VGATHER, 0, d, u0, idx));
  EXPECT_EQ(get(d), (V{17, 10, 15, 15}));
  // int32 elements are copied, not passed through fp32: 2^24 + 1 stays.
  const isa::Tile isrc = tile(Space::UB, 192, 1, 2, DType::INT32), idst = tile(Space::UB, 256, 1, 4, DType::INT32);
  const int32_t ids[2] = {16777217, -3};
  std::memcpy(s.buffer(0, kVec0, Space::UB) + 192, ids, 8);
  const int32_t k2[4] = {1, 0, 0, 1};
  std::memcpy(s.buffer(0, kVec0, Space::UB) + 128, k2, 16);
  run(op2(Op::VGATHER, 0, idst, isrc, idx));
  int32_t got[4];
  std::memcpy(got, s.buffer(0, kVec0, Space::UB) + 256, 16);
  EXPECT_EQ(std::vector<int32_t>(got, got + 4), (std::vector<int32_t>{-3, 16777217, 16777217, -3}));
  std::memcpy(s.buffer(0, kVec0, Space::UB) + 128, k, 16);
  // Valid cols 3 of u0: element 7 is (1,3), outside.
  EXPECT_THROW(
      {
        try {
          run(op2(Op::VGATHER, 0, d, valid(u0, 0, 3), idx));
        } catch (const sim::SimError& e) {
          EXPECT_NE(std::string(e.what()).find("index 7 (element 0 of the indices) is outside the source's valid 2x3"),
                    std::string::npos)
              << e.what();
          throw;
        }
      },
      sim::SimError);
}

TEST_F(FunctionalOps, VfillWholeTile) {
  run(fill(u0, 7.5f));
  EXPECT_EQ(get(u0), V(8, 7.5f));
}

TEST_F(FunctionalOps, VfillpadSetsOutsideTheValidRegionToLowest) {
  // 2x4 tile, valid 1x3: (0,3) and the whole row 1 are padding.
  put(u0, V{1, 2, 3, 4, 5, 6, 7, 8});
  isa::Instr in;
  in.op = Op::VFILLPAD;
  in.dst = valid(u0, 1, 3);
  in.imm = kLowest;
  run(in);
  EXPECT_EQ(get(u0), (V{1, 2, 3, kLowest, kLowest, kLowest, kLowest, kLowest}));
  // valid cols only (valid_rows 0 = all rows): column 3 of each row.
  put(u0, V{1, 2, 3, 4, 5, 6, 7, 8});
  in.dst = valid(u0, 0, 3);
  run(in);
  EXPECT_EQ(get(u0), (V{1, 2, 3, kLowest, 5, 6, 7, kLowest}));
  // In a bf16 tile the lowest fp32 rounds to -inf (0xff7fffff -> 0xff80).
  put(ubf, V{1, 2, 3, 4, 5, 6, 7, 8});
  in.dst = valid(ubf, 2, 2);
  run(in);
  const float ninf = -std::numeric_limits<float>::infinity();
  EXPECT_EQ(get(ubf), (V{1, 2, ninf, ninf, 5, 6, ninf, ninf}));
}

TEST_F(FunctionalOps, VrowredOverValidColumns) {
  // a = [[1, 2, 3, 100], [-4, 0.5, -1, 100]], valid cols 3: column 3 is ignored.
  const isa::Tile r = tile(Space::UB, 512, 2, 1, DType::FP32);
  put(u0, V{1, 2, 3, 100, -4, 0.5f, -1, 100});
  run(op2(Op::VROWRED, uint8_t(isa::RedOp::SUM), r, valid(u0, 0, 3)));
  EXPECT_EQ(get(r), (V{6, -4.5f}));
  run(op2(Op::VROWRED, uint8_t(isa::RedOp::MAX), r, valid(u0, 0, 3)));
  EXPECT_EQ(get(r), (V{3, 0.5f}));
  run(op2(Op::VROWRED, uint8_t(isa::RedOp::MAX), r, u0));  // whole rows
  EXPECT_EQ(get(r), (V{100, 100}));
  run(op2(Op::VROWRED, uint8_t(isa::RedOp::MIN), r, valid(u0, 0, 3)));
  EXPECT_EQ(get(r), (V{1, -4}));
}

TEST_F(FunctionalOps, VcolredOverValidRowsAndVcolexpand) {
  // a = [[1, 2, 3, 4], [-4, 0.5, 8, -1]] (u0 is 2x4), then [100, ...] in a
  // third row outside the valid region of a 3x4 view with valid rows 2.
  const isa::Tile a3 = tile(Space::UB, 0, 3, 4, DType::FP32);
  const isa::Tile r = tile(Space::UB, 512, 1, 4, DType::FP32);
  put(a3, V{1, 2, 3, 4, -4, 0.5f, 8, -1, 100, 100, 100, 100});
  run(op2(Op::VCOLRED, uint8_t(isa::RedOp::SUM), r, valid(a3, 2, 0)));
  EXPECT_EQ(get(r), (V{-3, 2.5f, 11, 3}));
  run(op2(Op::VCOLRED, uint8_t(isa::RedOp::MAX), r, valid(a3, 2, 0)));
  EXPECT_EQ(get(r), (V{1, 2, 8, 4}));
  run(op2(Op::VCOLRED, uint8_t(isa::RedOp::MIN), r, valid(a3, 2, 0)));
  EXPECT_EQ(get(r), (V{-4, 0.5f, 3, -1}));
  run(op2(Op::VCOLRED, uint8_t(isa::RedOp::MAX), r, a3));  // all three rows
  EXPECT_EQ(get(r), (V{100, 100, 100, 100}));
  // vcolexpand: every row of dst is a's row 0
  put(r, V{7, -1, 0.25f, 3});
  run(op2(Op::VCOLEXPAND, 0, u0, r));
  EXPECT_EQ(get(u0), (V{7, -1, 0.25f, 3, 7, -1, 0.25f, 3}));
}

TEST_F(FunctionalOps, VrowexpAndVcolexpBroadcast) {
  const isa::Tile col = tile(Space::UB, 512, 2, 1, DType::FP32);
  const isa::Tile row = tile(Space::UB, 576, 1, 4, DType::FP32);
  put(u0, V{1, 2, 3, 4, 5, 6, 7, 8});
  put(col, V{1, 5});
  put(row, V{1, 2, 0.5f, -1});
  // dst[r,c] = a[r,c] - b[r,0]: row 0 minus 1, row 1 minus 5.
  run(op2(Op::VROWEXP, uint8_t(isa::BinOp::SUB), u2, u0, col));
  EXPECT_EQ(get(u2), (V{0, 1, 2, 3, 0, 1, 2, 3}));
  // dst[r,c] = a[r,c] * b[0,c].
  run(op2(Op::VCOLEXP, uint8_t(isa::BinOp::MUL), u2, u0, row));
  EXPECT_EQ(get(u2), (V{1, 4, 1.5f, -4, 5, 12, 3.5f, -8}));
}

TEST_F(FunctionalOps, VrowexpandBroadcastsTheFirstColumn) {
  // a = [[1, 2, 3, 4], [5, 6, 7, 8]]: dst[r,c] = a[r,0] over a 2x3 valid dst.
  put(u0, V{1, 2, 3, 4, 5, 6, 7, 8});
  put(u2, V{0, 0, 0, 0, 0, 0, 0, 0});
  run(op2(Op::VROWEXPAND, 0, valid(u2, 0, 3), u0));
  EXPECT_EQ(get(u2), (V{1, 1, 1, 0, 5, 5, 5, 0}));  // column 3 is outside dst's valid region
}

TEST_F(FunctionalOps, TreshapeIsAViewOfTheSameBytes) {
  put(u0, V{1, 2, 3, 4, 5, 6, 7, 8});
  const isa::Tile flat = tile(Space::UB, 0, 1, 8, DType::FP32);
  run(op2(Op::TRESHAPE, 0, flat, u0));
  EXPECT_EQ(get(flat), (V{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST_F(FunctionalOps, SloadAndSadd) {
  s.set_int(2, {5, 7, 9, 11});
  isa::Instr ld;
  ld.op = Op::SLOAD;
  ld.reg = 3;
  ld.gm = view(2, 1, 1, 1, 1);
  run(ld, 1);
  EXPECT_EQ(s.reg(0, kVec0, 3), 7);
  isa::Instr add;
  add.op = Op::SADD;
  add.reg = 3;
  add.imm = -1;
  run(add);
  EXPECT_EQ(s.reg(0, kVec0, 3), 6);
  EXPECT_EQ(s.reg(0, 0, 3), 0);  // registers are per core
  EXPECT_EQ(s.read_int(2, 3), 11);
}

TEST_F(FunctionalOps, SignalAndWaitDoNothing) {
  put(u0, V(8, 1.0f));
  run(flag_op(Op::SIGNAL, 1));
  run(flag_op(Op::WAIT, 1));
  EXPECT_EQ(get(u0), V(8, 1.0f));
}

TEST_F(FunctionalOps, CoresHaveTheirOwnBuffers) {
  s.write_tile(0, 1, u0, V(8, 1.0f));
  s.write_tile(0, 2, u0, V(8, 2.0f));
  s.write_tile(1, 1, u0, V(8, 3.0f));
  EXPECT_EQ(s.read_tile(0, 1, u0), V(8, 1.0f));
  EXPECT_EQ(s.read_tile(0, 2, u0), V(8, 2.0f));
  EXPECT_EQ(s.read_tile(1, 1, u0), V(8, 3.0f));
  EXPECT_EQ(s.read_tile(1, 2, u0), V(8, 0.0f));  // never written: zero
}

TEST_F(FunctionalOps, ErrorsNameWhatIsWrong) {
  // GM view past the end of x (12 elements): 2 rows of 4 with stride 6 from 5 -> [5, 15).
  try {
    run(load(u0, view(0, 0, 2, 4, 6)), 5);
    FAIL();
  } catch (const SimError& e) {
    EXPECT_NE(std::string(e.what()).find("out of bounds of 'x' (12 elements): elements [5, 15)"),
              std::string::npos)
        << e.what();
  }
  // A tile past the end of UB (64 KiB).
  try {
    run(fill(tile(Space::UB, 65536 - 16, 2, 4, DType::FP32), 0));
    FAIL();
  } catch (const SimError& e) {
    EXPECT_NE(std::string(e.what()).find("exceeds the UB capacity of 65536 B"), std::string::npos) << e.what();
  }
  EXPECT_THROW(s.read_int(0, 0), SimError);  // x is fp32
  EXPECT_THROW(s.read_int(2, 4), SimError);  // out of range
  EXPECT_THROW(s.execute(2, 0, fill(u0, 0), 0, 0), SimError);  // tiny has 2 groups
  EXPECT_THROW(s.set_float(0, V(3, 0.0f)), SimError);       // 3 values for 12 elements
  EXPECT_THROW(s.set_float(2, V(4, 0.0f)), SimError);       // n is int32
}

TEST_F(FunctionalOps, SetFloatRoundsBf16Tensors) {
  s.set_float(1, V{1.00390625f, 1.01171875f, 0, 0, 0, 0, 0, 0});
  const V y = s.get_float(1);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], 1.015625f);
}

TEST_F(FunctionalOps, Int32TensorsStartWithTheirInitValues) {
  isa::Program q = program({{"seq_lens", 3, DType::INT32}});
  q.tensors[0].init = {4, 1, 64};
  FunctionalState st(q, hw);
  EXPECT_EQ(st.get_int(0), (std::vector<int32_t>{4, 1, 64}));
  EXPECT_EQ(st.read_int(0, 2), 64);
}

TEST_F(FunctionalOps, ColumnSubViewsWorkInPlaceWithTheParentPitch) {
  // Parent u0 is 2x4 fp32; the sub-view of columns 2..3 starts 8 bytes in,
  // keeps cols = 4 as its pitch and has valid_cols = 2.
  isa::Tile hi = valid(tile(Space::UB, 8, 2, 4, DType::FP32), 0, 2);
  put(u0, V{1, 2, 3, 4, 5, 6, 7, 8});
  run(un(Op::VBINS, uint8_t(isa::BinOp::ADD), hi, hi, 10));
  EXPECT_EQ(get(u0), (V{1, 2, 13, 14, 5, 6, 17, 18}));  // columns 0..1 untouched
  EXPECT_EQ(get(hi), (V{13, 14, 17, 18}));              // read_tile: the valid region, dense
  // TLOAD of a 2x2 GM view into the sub-view.
  s.set_float(0, V{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  run(load(hi, view(0, 0, 2, 2, 6)), 4);  // rows at 4..5 and 10..11
  EXPECT_EQ(get(u0), (V{1, 2, 4, 5, 5, 6, 10, 11}));
  // TSTORE of the low sub-view (offset 0, valid cols 2).
  run(store(view(3, 0, 2, 2, 2), valid(u0, 0, 2)));
  EXPECT_EQ(s.get_float(3), (V{1, 2, 5, 6, 0, 0, 0, 0}));
  // VFILL writes only the valid region.
  run(fill(hi, -1));
  EXPECT_EQ(get(u0), (V{1, 2, -1, -1, 5, 6, -1, -1}));
}

TEST_F(FunctionalOps, TmovCopiesTheValidRegionIntoADenseTile) {
  // L1 holds a 2x4 bf16 tile; its column sub-view 1..2 goes to a dense 2x2 L0A tile.
  const isa::Tile l1 = tile(Space::L1, 0, 2, 4, DType::BF16);
  put(l1, V{1, 2, 3, 4, 5, 6, 7, 8}, 0);
  const isa::Tile sub = valid(tile(Space::L1, 2, 2, 4, DType::BF16), 0, 2);
  const isa::Tile l0a = tile(Space::L0A, 0, 2, 2, DType::BF16);
  run(op2(Op::TMOV, 0, l0a, sub), 0, 0);
  EXPECT_EQ(get(l0a, 0), (V{2, 3, 6, 7}));
}

TEST_F(FunctionalOps, MatmulUsesTheValidShapes) {
  // a: 2x4 tile with valid 2x3 (K = 3); b: 4x2 tile with valid 3x2. Unused
  // elements hold 1000 and must not contribute.
  const isa::Tile a = valid(tile(Space::L0A, 0, 2, 4, DType::BF16), 0, 3);
  const isa::Tile b = valid(tile(Space::L0B, 0, 4, 2, DType::BF16), 3, 0);
  const isa::Tile c = tile(Space::L0C, 0, 2, 2, DType::FP32);
  s.write_tile(0, 0, tile(Space::L0A, 0, 2, 4, DType::BF16), V{1, 2, 3, 1000, 4, 5, 6, 1000});
  s.write_tile(0, 0, tile(Space::L0B, 0, 4, 2, DType::BF16), V{1, 0, 0, 1, 1, 1, 1000, 1000});
  run(op2(Op::TMATMUL, 0, c, a, b), 0, 0);
  EXPECT_EQ(get(c, 0), (V{4, 5, 10, 11}));  // as in MatmulAccumulateAndTransposeB
}

TEST_F(FunctionalOps, MaskedSoftmaxRowAsTheWorkloadsEmitIt) {
  // scores 1x4 with 3 valid columns: fill pad with the lowest fp32, then whole-tile
  // ops: scale by 0.5, row max, subtract, exp. The pad column gives exp(-huge) = 0.
  const isa::Tile sc = tile(Space::UB, 0, 1, 4, DType::FP32);
  const isa::Tile m = tile(Space::UB, 64, 1, 1, DType::FP32);
  put(sc, V{2, 4, 0, 99});
  isa::Instr pad;
  pad.op = Op::VFILLPAD;
  pad.dst = valid(sc, 0, 3);
  pad.imm = kLowest;
  run(pad);
  run(un(Op::VBINS, uint8_t(isa::BinOp::MUL), sc, sc, 0.5f));  // [1, 2, 0, lowest/2]
  run(op2(Op::VROWRED, uint8_t(isa::RedOp::MAX), m, sc));       // 2
  run(op2(Op::VROWEXP, uint8_t(isa::BinOp::SUB), sc, sc, m));   // [-1, 0, -2, lowest/2 - 2]
  run(un(Op::VUNARY, uint8_t(isa::UnOp::EXP), sc, sc));
  EXPECT_EQ(get(sc), (V{std::exp(-1.0f), 1.0f, std::exp(-2.0f), 0.0f}));
}
