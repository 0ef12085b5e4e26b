// sim/cross_core.h: the shared-buffer log on byte ranges that overlap in
// part, with hand-made knowledge (Clock) in place of SIGNAL / WAIT.
#include <gtest/gtest.h>

#include "sim/cross_core.h"

using sim::Clock;
using sim::SharedBufferLog;
using K = SharedBufferLog::Conflict;

namespace {
Clock knows(uint32_t cube, uint32_t vec0) {
  Clock c{};
  c[0] = cube;
  c[1] = vec0;
  return c;
}
}  // namespace

TEST(SharedBufferLog, OrdersByKnowledgeOnPartlyOverlappingRanges) {
  SharedBufferLog log;
  // vec0's #2 writes [0, 100).
  EXPECT_EQ(log.access({1, 2, nullptr}, knows(0, 0), 0, 100, true, false).kind, K::None);
  // The cube reads [50, 150) knowing vec0's first 3 instructions ended: the
  // written part is ordered, [100, 150) nobody wrote.
  K c = log.access({0, 7, nullptr}, knows(0, 3), 50, 150, false, true);
  EXPECT_EQ(c.kind, K::ReadBeforeWrite);
  EXPECT_EQ(c.lo, 100u);
  EXPECT_EQ(c.hi, 150u);
  // Reading only [50, 100): ordered, recorded.
  EXPECT_EQ(log.access({0, 7, nullptr}, knows(0, 3), 50, 100, false, true).kind, K::None);
  // Knowing only vec0's first 2: the write (#2) is not known to have ended.
  c = log.access({0, 8, nullptr}, knows(0, 2), 0, 10, false, true);
  EXPECT_EQ(c.kind, K::ReadAfterWrite);
  EXPECT_EQ(c.other.core, 1u);
  EXPECT_EQ(c.other.index, 2u);
  // vec0 writes [0, 200) again: the cube's read #7 of [50, 100) must have ended.
  c = log.access({1, 5, nullptr}, knows(7, 0), 0, 200, true, false);
  EXPECT_EQ(c.kind, K::WriteAfterRead);
  EXPECT_EQ(c.other.core, 0u);
  EXPECT_EQ(c.other.index, 7u);
  EXPECT_EQ(c.lo, 50u);
  EXPECT_EQ(c.hi, 100u);
  EXPECT_EQ(log.access({1, 5, nullptr}, knows(8, 0), 0, 200, true, false).kind, K::None);
  // The cube writes [150, 250) knowing nothing of vec0's #5: write after write.
  c = log.access({0, 9, nullptr}, knows(0, 5), 150, 250, true, false);
  EXPECT_EQ(c.kind, K::WriteAfterWrite);
  EXPECT_EQ(c.lo, 150u);
  EXPECT_EQ(c.hi, 200u);
  EXPECT_EQ(log.access({0, 9, nullptr}, knows(0, 6), 150, 250, true, false).kind, K::None);
  // A core's own earlier accesses are its own hazard tracking's business.
  EXPECT_EQ(log.access({0, 10, nullptr}, knows(0, 0), 150, 250, false, true).kind, K::None);
  log.clear();
  EXPECT_EQ(log.access({0, 0, nullptr}, knows(0, 0), 0, 10, false, true).kind, K::ReadBeforeWrite);
}
