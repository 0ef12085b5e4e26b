// Static hazard analysis of one instruction stream: which earlier
// instructions an access must wait for (RAW, WAR, WAW) on byte ranges of one
// address space. Plain C++; the core decodes each stream with it at task start.
#pragma once

#include <array>
#include <cstddef>
#include <utility>
#include <cstdint>
#include <vector>

#include "isa/ops.h"

namespace sim {

class RegionTracker {
 public:
  static constexpr int kPipes = isa::kNumPipes;  // a reader per pipe

  void clear() {
    segs_.clear();
    hint_ = 0;
  }
  // A read of [lo, hi) by instruction `idx` on `pipe`: waits for the last
  // writer of each overlapping byte. Returns false if some byte in the range
  // was never written in this stream (a read before any write).
  bool read(uint64_t lo, uint64_t hi, int32_t idx, int pipe, std::vector<uint32_t>& deps);
  // A write of [lo, hi): waits for the last writer and for the last reader on
  // every pipe of each overlapping byte, then owns the range.
  void write(uint64_t lo, uint64_t hi, int32_t idx, std::vector<uint32_t>& deps);

 private:
  struct Seg {
    uint64_t lo, hi;
    int32_t writer;                       // -1: never written in this stream
    std::array<int32_t, kPipes> readers;  // last reader per pipe, -1: none
  };
  // Split so that a segment boundary falls at x; returns the index of the
  // first segment starting at or after x.
  size_t split_at(uint64_t x);
  // Cover [lo, hi) with segments (filling gaps with unwritten ones); returns
  // [first, last) indices of the segments inside.
  std::pair<size_t, size_t> cover(uint64_t lo, uint64_t hi, bool* had_gap);
  std::vector<Seg> segs_;  // sorted, disjoint
  size_t hint_ = 0;        // the first segment of the last cover (checked first: accesses repeat)
};

}  // namespace sim
