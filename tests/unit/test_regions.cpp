#include <gtest/gtest.h>

#include "sim/regions.h"

using sim::RegionTracker;

namespace {
std::vector<uint32_t> sorted(std::vector<uint32_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}
}  // namespace

TEST(RegionTracker, ReadWaitsForLastWriterOfEachByte) {
  RegionTracker r;
  std::vector<uint32_t> d;
  r.write(0, 100, 0, d);
  r.write(100, 200, 1, d);
  r.write(50, 150, 2, d);  // overwrites the middle
  d.clear();
  EXPECT_TRUE(r.read(0, 200, 3, /*pipe=*/1, d));
  EXPECT_EQ(sorted(d), (std::vector<uint32_t>{0, 1, 2}));
  d.clear();
  EXPECT_TRUE(r.read(60, 140, 4, 1, d));
  EXPECT_EQ(sorted(d), (std::vector<uint32_t>{2}));  // only #2 wrote [50,150)
}

TEST(RegionTracker, WriteWaitsForLastReaderOnEveryPipe) {
  RegionTracker r;
  std::vector<uint32_t> d;
  r.write(0, 64, 0, d);
  r.read(0, 64, 1, /*pipe=*/3, d);
  r.read(0, 64, 2, /*pipe=*/3, d);  // same pipe: #2 ends after #1
  r.read(0, 32, 3, /*pipe=*/4, d);
  d.clear();
  r.write(0, 64, 4, d);  // WAW on #0, WAR on the last reader per pipe
  EXPECT_EQ(sorted(d), (std::vector<uint32_t>{0, 2, 3}));
  d.clear();
  EXPECT_TRUE(r.read(0, 64, 5, 3, d));
  EXPECT_EQ(sorted(d), (std::vector<uint32_t>{4}));
}

TEST(RegionTracker, DisjointRangesDoNotDepend) {
  RegionTracker r;
  std::vector<uint32_t> d;
  r.write(0, 64, 0, d);
  r.write(64, 128, 1, d);
  EXPECT_TRUE(d.empty());
}

TEST(RegionTracker, ReadOfUnwrittenBytesIsReported) {
  RegionTracker r;
  std::vector<uint32_t> d;
  r.write(0, 64, 0, d);
  EXPECT_TRUE(r.read(0, 64, 1, 0, d));
  EXPECT_FALSE(r.read(32, 96, 2, 0, d));   // [64,96) never written
  EXPECT_FALSE(r.read(200, 300, 3, 0, d));
}

TEST(RegionTracker, InstructionThatReadsAndWritesItselfHasNoSelfDependency) {
  RegionTracker r;
  std::vector<uint32_t> d;
  r.write(0, 64, 0, d);
  EXPECT_TRUE(r.read(0, 64, 1, 3, d));
  r.write(0, 64, 1, d);
  EXPECT_EQ(sorted(d), (std::vector<uint32_t>{0}));
}
