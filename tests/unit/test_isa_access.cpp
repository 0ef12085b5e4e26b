// isa/access: the GM each instruction touches, with register-relative
// offsets resolved where the register's value is known before the run and
// the whole tensor where it is not.
#include <gtest/gtest.h>

#include <string>

#include "isa/access.h"
#include "isa/text.h"

namespace isa {
namespace {

// pos holds fixed values; raw has none; stored is written by task 1's kernel.
const std::string kHead = R"(
tensor pos [2] int32 in init=[3,7]
tensor idx [1] int32 in init=[1]
tensor raw [2] int32 in
tensor stored [2] int32 inout init=[0,0]
tensor cache [16,64] bf16 inout
site 0 "k: x"
)";

// A program whose kernel 0 vec 0 is `body`; kernel 1 stores to `stored`.
Program with_vec0(const std::string& body, bool launch_storer = true) {
  std::string text = kHead + "kernel 0 k\n  cube\n  vec 0\n" + body +
                     "end\n"
                     "kernel 1 storer\n  cube\n  vec 0\n"
                     "    tload UB[0+1x2 int32] <- pos[0+1x2/2] @0\n"
                     "    tstore stored[0+1x2/2] <- UB[0+1x2 int32] @0\n"
                     "end\n"
                     "task 0 kernel=0 site=0\n";
  if (launch_storer) text += "task 1 kernel=1 site=0\n";
  return parse_program(text, "access.npu");
}

std::vector<InstrAccess> vec0_accesses(const Program& p) {
  return stream_gm_accesses(p, p.kernels.at(0).vec.at(0), known_before_run(p));
}

GmAccess access(uint32_t tensor, bool write, int64_t first, uint32_t rows, uint32_t cols, uint32_t stride,
                int8_t reg = -1, bool whole = false) {
  GmAccess a;
  a.tensor = tensor;
  a.write = write;
  a.first = first;
  a.rows = rows;
  a.cols = cols;
  a.stride = stride;
  a.reg = reg;
  a.whole = whole;
  return a;
}

constexpr uint32_t kPos = 0, kRaw = 2, kCache = 4;  // tensor indices (idx = 1, stored = 3)

TEST(IsaAccess, StaticViewsTouchTheirRows) {
  const Program p = with_vec0(
      "    tload UB[0+4x16 bf16] <- cache[130+4x16/64] @0\n"
      "    vadds UB[512+4x16 bf16] <- UB[0+4x16 bf16] 1 @0\n"
      "    tstore cache[0+1x16/16] <- UB[512+1x16 bf16] @0\n"
      "    sload R3 <- pos[1+1x1/1] @0\n");
  const auto a = vec0_accesses(p);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].instr, 0u);
  EXPECT_EQ(a[0].access, access(kCache, false, 130, 4, 16, 64));
  EXPECT_EQ(a[0].access.hull(p), (GmRange{kCache, 260, 2 * (130 + 3 * 64 + 16)}));
  EXPECT_EQ(a[1].instr, 2u);
  EXPECT_EQ(a[1].access, access(kCache, true, 0, 1, 16, 16));  // one row: stride = cols
  EXPECT_EQ(a[2].instr, 3u);
  EXPECT_EQ(a[2].access, access(kPos, false, 1, 1, 1, 1));
  EXPECT_EQ(a[2].access.hull(p), (GmRange{kPos, 4, 8}));
}

// An atomic-add store reads what it adds to, then writes it: two accesses of
// its view, the read first (task ranges and dependencies follow both).
TEST(IsaAccess, AnAtomicAddStoreReadsAndWritesItsView) {
  const Program p = with_vec0(
      "    tload UB[0+4x16 bf16] <- cache[130+4x16/64] @0\n"
      "    tstore cache[64+2x16/64] <- UB[0+2x16 bf16] atomic_add @0\n");
  const auto a = vec0_accesses(p);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[1].instr, 1u);
  EXPECT_EQ(a[1].access, access(kCache, false, 64, 2, 16, 64));
  EXPECT_EQ(a[2].instr, 1u);
  EXPECT_EQ(a[2].access, access(kCache, true, 64, 2, 16, 64));
}

TEST(IsaAccess, RegisterOffsetsResolveFromInitValuesAndSadd) {
  const Program p = with_vec0(
      "    sload R2 <- pos[1+1x1/1] @0\n"                        // R2 = 7
      "    tload UB[0+1x16 bf16] <- cache[8+1x16/64 +R2*64] @0\n"  // 8 + 7*64
      "    sadd R2 -5 @0\n"                                      // R2 = 2
      "    tstore cache[0+2x16/64 +R2*-64] <- UB[0+2x16 bf16] @0\n"
      "    sload R0 <- idx[0+1x1/1] @0\n"                      // R0 = 1
      "    sload R1 <- pos[0+1x1/1 +R0*1] @0\n"                // pos[1] = 7
      "    tload UB[64+1x16 bf16] <- cache[0+1x16/64 +R1*128] @0\n");
  const auto a = vec0_accesses(p);
  ASSERT_EQ(a.size(), 6u);
  EXPECT_EQ(a[1].access, access(kCache, false, 8 + 7 * 64, 1, 16, 16, 2));
  EXPECT_EQ(a[1].access.hull(p), (GmRange{kCache, 2 * (8 + 7 * 64), 2 * (8 + 7 * 64 + 16)}));
  EXPECT_EQ(a[2].access, access(kCache, true, -2 * 64, 2, 16, 64, 2));  // out of bounds: the simulator's error
  EXPECT_EQ(a[4].access, access(kPos, false, 1, 1, 1, 1, 0));
  EXPECT_EQ(a[5].access, access(kCache, false, 7 * 128, 1, 16, 16, 1));
}

TEST(IsaAccess, AnOffsetFromARunTimeValueIsTheWholeTensor) {
  // No init values; a tensor a launched kernel stores to; a register no
  // SLOAD set; an SLOAD through an unknown register.
  const Program p = with_vec0(
      "    sload R0 <- raw[0+1x1/1] @0\n"
      "    tload UB[0+1x16 bf16] <- cache[0+1x16/64 +R0*64] @0\n"
      "    sload R1 <- stored[1+1x1/1] @0\n"
      "    tstore cache[16+1x16/64 +R1*64] <- UB[0+1x16 bf16] @0\n"
      "    tload UB[64+1x16 bf16] <- cache[0+1x16/64 +R5*64] @0\n"
      "    sload R2 <- pos[0+1x1/1 +R0*1] @0\n"
      "    tload UB[128+1x16 bf16] <- cache[0+1x16/64 +R2*64] @0\n"
      "    sadd R2 1 @0\n"
      "    tload UB[192+1x16 bf16] <- cache[0+1x16/64 +R2*64] @0\n");
  const auto a = vec0_accesses(p);
  ASSERT_EQ(a.size(), 8u);
  EXPECT_EQ(a[1].access, access(kCache, false, 0, 1, 16, 16, 0, true));
  EXPECT_EQ(a[1].access.hull(p), (GmRange{kCache, 0, 16 * 64 * 2}));
  EXPECT_EQ(a[3].access, access(kCache, true, 16, 1, 16, 16, 1, true));
  EXPECT_EQ(a[4].access, access(kCache, false, 0, 1, 16, 16, 5, true));
  EXPECT_EQ(a[5].access, access(kPos, false, 0, 1, 1, 1, 0, true));  // the SLOAD itself: all of pos
  EXPECT_EQ(a[6].access, access(kCache, false, 0, 1, 16, 16, 2, true));
  EXPECT_EQ(a[7].access, access(kCache, false, 0, 1, 16, 16, 2, true));
  EXPECT_EQ(a[0].access.hull(p), (GmRange{kRaw, 0, 4}));
}

TEST(IsaAccess, KnownBeforeRunNeedsInitValuesAndNoLaunchedStore) {
  const std::string body = "    sload R0 <- stored[0+1x1/1] @0\n"
                           "    tload UB[0+1x16 bf16] <- cache[0+1x16/64 +R0*64] @0\n";
  const Program launched = with_vec0(body);
  EXPECT_EQ(known_before_run(launched), (std::vector<bool>{true, true, false, false, false}));
  EXPECT_TRUE(vec0_accesses(launched).at(1).access.whole);
  // The storing kernel exists but no task launches it: stored keeps its init values.
  const Program idle = with_vec0(body, false);
  EXPECT_EQ(known_before_run(idle), (std::vector<bool>{true, true, false, true, false}));
  EXPECT_EQ(vec0_accesses(idle).at(1).access, access(kCache, false, 0, 1, 16, 16, 0));
}

}  // namespace
}  // namespace isa
