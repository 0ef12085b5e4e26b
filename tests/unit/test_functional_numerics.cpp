// bf16 / fp16 / int32 conversions of the functional data path (sim/numerics.h)
// on the edge values: ties, carries, the largest values, subnormals,
// infinities and NaN. Bit patterns are IEEE 754 binary32 / bfloat16 / binary16.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "sim/numerics.h"

using namespace sim::num;

namespace {
uint16_t bf(uint32_t f32) { return f32_to_bf16_bits(f32_from_bits(f32)); }
uint16_t hf(float f) { return f32_to_f16_bits(f); }
}  // namespace

TEST(Bf16, ExactValuesPassThrough) {
  EXPECT_EQ(bf(0x3f800000u), 0x3f80);  // 1.0
  EXPECT_EQ(bf(0xc0490000u), 0xc049);  // -3.140625
  EXPECT_EQ(bf(0x00000000u), 0x0000);  // +0
  EXPECT_EQ(bf(0x80000000u), 0x8000);  // -0 keeps its sign
  EXPECT_EQ(bf16_bits_to_f32(0x3f80), 1.0f);
}

TEST(Bf16, RoundsToNearestTiesToEven) {
  // 1 + 2^-8 (0x3f808000) is halfway between 0x3f80 (1.0) and 0x3f81: even -> 0x3f80.
  EXPECT_EQ(bf(0x3f808000u), 0x3f80);
  // 1 + 3*2^-8 (0x3f818000) is halfway between 0x3f81 and 0x3f82: even -> 0x3f82.
  EXPECT_EQ(bf(0x3f818000u), 0x3f82);
  // Just above / below the tie go to the nearer one.
  EXPECT_EQ(bf(0x3f808001u), 0x3f81);
  EXPECT_EQ(bf(0x3f807fffu), 0x3f80);
  // Negative tie: same magnitude rule.
  EXPECT_EQ(bf(0xbf808000u), 0xbf80);
  // Carry into the exponent: 1.99999988 (0x3fffffff) -> 2.0 (0x4000).
  EXPECT_EQ(bf(0x3fffffffu), 0x4000);
  // pi = 0x40490fdb -> 0x4049 (3.140625): the dropped 0x0fdb is below half.
  EXPECT_EQ(round_bf16(3.14159265f), 3.140625f);
}

TEST(Bf16, LargestValuesAndInfinity) {
  EXPECT_EQ(bf(0x7f7f0000u), 0x7f7f);  // bf16 max 3.3895314e38, exact
  EXPECT_EQ(bf(0x7f7f7fffu), 0x7f7f);  // below half an ulp above max
  EXPECT_EQ(bf(0x7f7f8000u), 0x7f80);  // tie with an odd max: even is 0x7f80 = inf
  EXPECT_EQ(bf(0x7f7fffffu), 0x7f80);  // fp32 max -> +inf
  EXPECT_EQ(bf(0xff7fffffu), 0xff80);  // fp32 lowest -> -inf (so a bf16 mask of lowest is -inf)
  EXPECT_EQ(bf(0x7f800000u), 0x7f80);  // +inf
  EXPECT_EQ(bf(0xff800000u), 0xff80);  // -inf
}

TEST(Bf16, SubnormalsAreRoundedNotFlushed) {
  EXPECT_EQ(bf(0x00010000u), 0x0001);  // smallest bf16 subnormal 2^-133, exact
  EXPECT_EQ(bf(0x00000001u), 0x0000);  // smallest fp32 subnormal 2^-149 -> +0
  EXPECT_EQ(bf(0x00008000u), 0x0000);  // half of 2^-133: tie, even -> 0
  EXPECT_EQ(bf(0x00008001u), 0x0001);  // just above the tie
  EXPECT_EQ(bf(0x00018000u), 0x0002);  // 1.5 * 2^-133: tie between 1 and 2 -> 2
  EXPECT_EQ(bf(0x007fffffu), 0x0080);  // largest fp32 subnormal -> smallest normal 2^-126
  EXPECT_EQ(bf(0x80008001u), 0x8001);  // negative subnormal
}

TEST(Bf16, NanStaysNanWithItsSign) {
  EXPECT_EQ(bf(0x7fc00000u), 0x7fc0);  // quiet NaN
  EXPECT_EQ(bf(0x7f800001u), 0x7fc0);  // signalling NaN with a low payload: not inf, quiet NaN
  EXPECT_EQ(bf(0xffc00001u), 0xffc0);  // negative NaN
  EXPECT_EQ(bf(0x7fa00000u), 0x7fe0);  // top payload bits kept, quiet bit set
  EXPECT_TRUE(std::isnan(round_bf16(std::numeric_limits<float>::quiet_NaN())));
}

TEST(Bf16, EveryBitPatternRoundTrips) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = bf16_bits_to_f32(uint16_t(h));
    if (std::isnan(f)) {
      EXPECT_EQ(f32_to_bf16_bits(f), uint16_t(h | 0x0040)) << std::hex << h;
    } else {
      ASSERT_EQ(f32_to_bf16_bits(f), h) << std::hex << h;
    }
  }
}

TEST(Fp16, EdgeValues) {
  EXPECT_EQ(hf(1.0f), 0x3c00);
  EXPECT_EQ(hf(-2.0f), 0xc000);
  EXPECT_EQ(hf(65504.0f), 0x7bff);    // fp16 max
  EXPECT_EQ(hf(65519.99f), 0x7bff);   // below max + half ulp (ulp 32)
  EXPECT_EQ(hf(65520.0f), 0x7c00);    // tie with an odd max -> inf
  EXPECT_EQ(hf(1e30f), 0x7c00);
  EXPECT_EQ(hf(-INFINITY), 0xfc00);
  EXPECT_EQ(hf(1.0f + 1.0f / 2048), 0x3c00);      // 1 + 2^-11: tie, even -> 1.0
  EXPECT_EQ(hf(1.0f + 3.0f / 2048), 0x3c02);      // 1 + 3*2^-11: tie -> even 0x3c02
  EXPECT_EQ(hf(std::ldexp(1.0f, -14)), 0x0400);   // smallest normal
  EXPECT_EQ(hf(std::ldexp(1.0f, -24)), 0x0001);   // smallest subnormal
  EXPECT_EQ(hf(std::ldexp(1.0f, -25)), 0x0000);   // half of it: tie -> 0
  EXPECT_EQ(hf(std::ldexp(1.5f, -25)), 0x0001);   // above the tie
  EXPECT_EQ(hf(std::ldexp(3.0f, -25)), 0x0002);   // 1.5 units: tie between 1 and 2 -> 2
  EXPECT_EQ(hf(std::ldexp(1.0f, -26)), 0x0000);
  EXPECT_EQ(hf(std::ldexp(1023.5f, -24)), 0x0400);  // rounds up into the smallest normal
  EXPECT_EQ(hf(std::numeric_limits<float>::quiet_NaN()) & 0x7e00, 0x7e00);
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = f16_bits_to_f32(uint16_t(h));
    if (!std::isnan(f)) {
      ASSERT_EQ(f32_to_f16_bits(f), h) << std::hex << h;
    }
  }
}

TEST(Int32, NearestEvenSaturatingNanToZero) {
  EXPECT_EQ(f32_to_i32(2.5f), 2);
  EXPECT_EQ(f32_to_i32(3.5f), 4);
  EXPECT_EQ(f32_to_i32(-2.5f), -2);
  EXPECT_EQ(f32_to_i32(-2.6f), -3);
  EXPECT_EQ(f32_to_i32(1e10f), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(f32_to_i32(-1e10f), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(f32_to_i32(std::numeric_limits<float>::quiet_NaN()), 0);
}

TEST(RoundTo, PerDtype) {
  EXPECT_EQ(round_to(1.00390625f, isa::DType::BF16), 1.0f);  // 1 + 2^-8: tie -> 1.0
  EXPECT_EQ(round_to(1.00390625f, isa::DType::FP16), 1.00390625f);  // exact in fp16
  EXPECT_EQ(round_to(1.00390625f, isa::DType::FP32), 1.00390625f);
  EXPECT_EQ(round_to(1.5f, isa::DType::INT32), 2.0f);
}

// VCAST's rounding modes (isa::RoundMode) on bf16, whose ulp at 1 is 2^-7:
// 1 + 2^-8 is a tie between 1.0 (0x3f80, even) and 1 + 2^-7 (0x3f81, odd);
// 1 + 2^-9 lies a quarter of the way up.
TEST(RoundTo, Bf16EveryMode) {
  using isa::RoundMode;
  const float tie = 1.00390625f, quarter = 1.001953125f, up = 1.0078125f;
  const auto b = [](float f, RoundMode m) { return round_to(f, isa::DType::BF16, m); };
  EXPECT_EQ(b(tie, RoundMode::RINT), 1.0f);  // ties to even
  EXPECT_EQ(b(tie, RoundMode::ROUND), up);   // ties away from zero
  EXPECT_EQ(b(-tie, RoundMode::ROUND), -up);
  EXPECT_EQ(b(quarter, RoundMode::ROUND), 1.0f);  // not a tie: the nearer
  EXPECT_EQ(b(quarter, RoundMode::CEIL), up);
  EXPECT_EQ(b(quarter, RoundMode::FLOOR), 1.0f);
  EXPECT_EQ(b(-quarter, RoundMode::FLOOR), -up);
  EXPECT_EQ(b(-quarter, RoundMode::CEIL), -1.0f);
  EXPECT_EQ(b(-quarter, RoundMode::TRUNC), -1.0f);
  EXPECT_EQ(b(quarter, RoundMode::TRUNC), 1.0f);
  EXPECT_EQ(b(quarter, RoundMode::ODD), up);  // 0x3f81 is the odd neighbour
  EXPECT_EQ(b(1.0f, RoundMode::CEIL), 1.0f);  // exact values stay, in every mode
  // Past the largest finite bf16 (0x7f7f): toward zero and to odd stay
  // finite, toward +inf and ties away (more than half an ulp past) overflow.
  const float big = std::numeric_limits<float>::max();  // between 0x7f7f and infinity
  const float max_bf16 = bf16_bits_to_f32(0x7f7f), inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(b(big, RoundMode::TRUNC), max_bf16);
  EXPECT_EQ(b(big, RoundMode::ODD), max_bf16);
  EXPECT_EQ(b(big, RoundMode::CEIL), inf);
  EXPECT_EQ(b(big, RoundMode::ROUND), inf);
  EXPECT_EQ(b(-big, RoundMode::FLOOR), -inf);
  EXPECT_EQ(b(-big, RoundMode::CEIL), -max_bf16);
  // Below the smallest subnormal (0x0001 = 2^-133): toward zero gives +-0,
  // away from it the subnormal.
  const float tiny = std::ldexp(1.0f, -140);
  EXPECT_EQ(b(tiny, RoundMode::CEIL), bf16_bits_to_f32(0x0001));
  EXPECT_EQ(b(tiny, RoundMode::TRUNC), 0.0f);
  EXPECT_EQ(b(-tiny, RoundMode::FLOOR), bf16_bits_to_f32(0x8001));
  EXPECT_TRUE(std::signbit(b(-tiny, RoundMode::CEIL)));  // -0
  EXPECT_TRUE(std::isnan(b(std::nanf(""), RoundMode::FLOOR)));
}

TEST(RoundTo, Fp16AndInt32Modes) {
  using isa::RoundMode;
  // fp16's ulp at 1 is 2^-10: 1 + 2^-11 is a tie between 1.0 and 1 + 2^-10.
  const float tie = 1.00048828125f, up = 1.0009765625f;
  EXPECT_EQ(round_to(tie, isa::DType::FP16, RoundMode::RINT), 1.0f);
  EXPECT_EQ(round_to(tie, isa::DType::FP16, RoundMode::ROUND), up);
  EXPECT_EQ(round_to(tie, isa::DType::FP16, RoundMode::ODD), up);
  EXPECT_EQ(round_to(70000.0f, isa::DType::FP16, RoundMode::TRUNC), 65504.0f);  // the largest finite half
  EXPECT_EQ(round_to(65519.0f, isa::DType::FP16, RoundMode::ROUND), 65504.0f);  // under half an ulp (16) past it
  EXPECT_EQ(round_to(65520.0f, isa::DType::FP16, RoundMode::ROUND), std::numeric_limits<float>::infinity());
  // int32: the AscendC example's 2.5 -> 3 (CAST_ROUND), and each direction.
  EXPECT_EQ(round_to(2.5f, isa::DType::INT32, RoundMode::ROUND), 3.0f);
  EXPECT_EQ(round_to(2.5f, isa::DType::INT32, RoundMode::RINT), 2.0f);
  EXPECT_EQ(round_to(-2.5f, isa::DType::INT32, RoundMode::ROUND), -3.0f);
  EXPECT_EQ(round_to(-2.6f, isa::DType::INT32, RoundMode::CEIL), -2.0f);
  EXPECT_EQ(round_to(-2.6f, isa::DType::INT32, RoundMode::TRUNC), -2.0f);
  EXPECT_EQ(round_to(2.4f, isa::DType::INT32, RoundMode::CEIL), 3.0f);
  EXPECT_EQ(round_to(2.4f, isa::DType::INT32, RoundMode::ODD), 3.0f);
  EXPECT_EQ(round_to(3.4f, isa::DType::INT32, RoundMode::ODD), 3.0f);
  EXPECT_EQ(round_to(1e10f, isa::DType::INT32, RoundMode::FLOOR), 2147483648.0f);  // saturates (as a float)
}

// From an int32 the rounding starts at the exact integer: above 2^24 an fp32
// would already have rounded it.
TEST(RoundTo, FromInt32AboveTwoToThe24) {
  using isa::RoundMode;
  const auto f32 = [](int32_t v, RoundMode m) { return round_int_to(v, isa::DType::FP32, m); };
  // 2^24 + 3 lies halfway between the fp32 values 2^24 + 2 (mantissa odd) and 2^24 + 4.
  EXPECT_EQ(f32(16777219, RoundMode::RINT), 16777220.0f);
  EXPECT_EQ(f32(16777219, RoundMode::ROUND), 16777220.0f);
  EXPECT_EQ(f32(16777219, RoundMode::FLOOR), 16777218.0f);
  EXPECT_EQ(f32(16777219, RoundMode::TRUNC), 16777218.0f);
  EXPECT_EQ(f32(16777219, RoundMode::CEIL), 16777220.0f);
  EXPECT_EQ(f32(16777219, RoundMode::ODD), 16777218.0f);
  EXPECT_EQ(f32(-16777219, RoundMode::TRUNC), -16777218.0f);
  EXPECT_EQ(f32(-16777219, RoundMode::FLOOR), -16777220.0f);
  EXPECT_EQ(f32(3, RoundMode::FLOOR), 3.0f);
  // bf16 keeps 8 bits: its neighbours there are 2^24 and 2^24 + 2^17.
  // 2^24 + 2^17 - 1 is just under the upper one (through fp32 it would be
  // 2^24 + 2^17 before flooring); 2^24 + 2^16 is the midpoint.
  const int32_t v = (1 << 24) + (1 << 17) - 1, mid = (1 << 24) + (1 << 16);
  EXPECT_EQ(round_int_to(v, isa::DType::BF16, RoundMode::FLOOR), 16777216.0f);
  EXPECT_EQ(round_int_to(v, isa::DType::BF16, RoundMode::RINT), 16908288.0f);
  EXPECT_EQ(round_int_to(mid, isa::DType::BF16, RoundMode::RINT), 16777216.0f);   // ties to even (mantissa 128)
  EXPECT_EQ(round_int_to(mid, isa::DType::BF16, RoundMode::ROUND), 16908288.0f);  // ties away from zero
  // fp16 stops at 65504: 2^24 overflows except toward zero.
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(round_int_to(1 << 24, isa::DType::FP16, RoundMode::TRUNC), 65504.0f);
  EXPECT_EQ(round_int_to(1 << 24, isa::DType::FP16, RoundMode::CEIL), inf);
  EXPECT_EQ(round_int_to(-(1 << 24), isa::DType::FP16, RoundMode::FLOOR), -inf);
  EXPECT_EQ(round_int_to(-(1 << 24), isa::DType::FP16, RoundMode::CEIL), -65504.0f);
}
