// The memory-system policy (sim/memory_system.h) without SystemC, counted by
// hand. tiny.yaml's L2: 64 KiB, 128 B lines of 4 x 32 B sectors, 4 ways
// (64 KiB / (128 B x 4) = 128 sets), hit latency 5; HBM latency 15, so a
// request that waited for HBM is visible 5 + 15 = 20 cycles after its last byte.
#include <gtest/gtest.h>

#include "sim/memory_system.h"
#include "tests/common/program_dsl.h"

using isa::DType;
using sim::MemRequest;
using sim::MemResult;
using testdsl::tiny_hw;

namespace {
std::vector<isa::Tensor> tensors(std::initializer_list<int64_t> bytes) {
  std::vector<isa::Tensor> ts;
  for (int64_t b : bytes) {
    isa::Tensor t;
    t.name = "t" + std::to_string(ts.size());
    t.dtype = DType::FP32;
    t.shape = {(b + 3) / 4};  // fp32 elements
    ts.push_back(t);
  }
  return ts;
}
MemRequest read(uint32_t tensor, uint64_t offset, uint32_t rows, uint64_t row_bytes, uint64_t stride) {
  return MemRequest{tensor, offset, rows, row_bytes, stride, false};
}
MemRequest write(uint32_t tensor, uint64_t offset, uint32_t rows, uint64_t row_bytes, uint64_t stride) {
  return MemRequest{tensor, offset, rows, row_bytes, stride, true};
}
}  // namespace

TEST(L2Memory, TensorsStartOnTheirOwnLine) {
  const sim::HwConfig hw = tiny_hw();
  // 1000 B takes 8 lines of 128 B (1024 B); 4 B takes 1; then 256 B.
  sim::L2Memory m(hw, tensors({1000, 4, 256}));
  EXPECT_EQ(m.base_address(0), 0u);
  EXPECT_EQ(m.base_address(1), 1024u);
  EXPECT_EQ(m.base_address(2), 1152u);
  EXPECT_EQ(m.num_sets(), 128u);
  EXPECT_EQ(m.ways(), 4u);
}

TEST(L2Memory, ColdLoadMissesEveryLineThenHits) {
  const sim::HwConfig hw = tiny_hw();
  sim::L2Memory m(hw, tensors({4096}));
  // 16 rows x 64 B contiguous = 1024 B = lines 0..7, all cold.
  MemResult r = m.access(read(0, 0, 16, 64, 64));
  EXPECT_EQ(r.l2_misses, 8u);
  EXPECT_EQ(r.l2_hits, 0u);
  EXPECT_EQ(r.miss_bytes, 1024u);
  EXPECT_EQ(r.fill_bytes, 1024u);  // whole sectors, all of them touched
  EXPECT_EQ(r.hit_bytes, 0u);
  EXPECT_EQ(r.latency_cycles, 20u);  // 5 + 15
  // Again: everything is there.
  r = m.access(read(0, 0, 16, 64, 64));
  EXPECT_EQ(r.l2_hits, 8u);
  EXPECT_EQ(r.l2_misses, 0u);
  EXPECT_EQ(r.hit_bytes, 1024u);
  EXPECT_EQ(r.hbm_bytes(), 0u);
  EXPECT_EQ(r.latency_cycles, 5u);
}

TEST(L2Memory, AMissFillsOnlyTheSectorsItTouches) {
  const sim::HwConfig hw = tiny_hw();  // sectors of 32 B
  sim::L2Memory m(hw, tensors({4096}));
  // Bytes 16..55 of line 0: sectors 0 (0..31) and 1 (32..63): one miss, 64 B filled.
  MemResult r = m.access(read(0, 16, 1, 40, 40));
  EXPECT_EQ(r.l2_misses, 1u);
  EXPECT_EQ(r.miss_bytes, 40u);
  EXPECT_EQ(r.fill_bytes, 64u);
  // Bytes 64..95: sector 2 of the same line is not there: a miss filling 32 B.
  r = m.access(read(0, 64, 1, 32, 32));
  EXPECT_EQ(r.l2_misses, 1u);
  EXPECT_EQ(r.fill_bytes, 32u);
  // Bytes 0..95 now hit (sectors 0, 1, 2); 0..127 would miss sector 3 only.
  r = m.access(read(0, 0, 1, 96, 96));
  EXPECT_EQ(r.l2_hits, 1u);
  EXPECT_EQ(r.hit_bytes, 96u);
  r = m.access(read(0, 0, 1, 128, 128));
  EXPECT_EQ(r.l2_misses, 1u);
  EXPECT_EQ(r.fill_bytes, 32u);
  EXPECT_EQ(r.miss_bytes, 128u);  // the request waits for its missing sector
}

TEST(L2Memory, ShortStridedRowsCostALineEachWhenColdAndHitForTheNeighbouringTile) {
  // a2a3's geometry: 512 B lines filled whole (sector = line). A [8, 64] bf16
  // tile of a [8, 512] bf16 matrix: 8 rows of 128 B, 1024 B apart.
  sim::HwConfig hw = tiny_hw();
  hw.l2.line_bytes = hw.l2.sector_bytes = 512;
  hw.l2.associativity = 4;
  hw.l2.size_bytes = 64 * 1024;  // 32 sets
  sim::L2Memory m(hw, tensors({8 * 1024}));
  MemResult r = m.access(read(0, 0, 8, 128, 1024));
  EXPECT_EQ(r.l2_misses, 8u);        // a line per row
  EXPECT_EQ(r.fill_bytes, 8u * 512);  // 4096 B from HBM for 1024 B of payload
  EXPECT_EQ(r.miss_bytes, 1024u);
  // The next tile (columns 64..127: byte offset 128) finds its lines there.
  r = m.access(read(0, 128, 8, 128, 1024));
  EXPECT_EQ(r.l2_hits, 8u);
  EXPECT_EQ(r.l2_misses, 0u);
  EXPECT_EQ(r.hit_bytes, 1024u);
  EXPECT_EQ(r.hbm_bytes(), 0u);
  EXPECT_EQ(r.latency_cycles, 5u);
}

TEST(L2Memory, LeastRecentlyUsedWayIsEvicted) {
  // 1 KiB of 128 B lines, 2 ways: 4 sets; lines 0, 4, 8 share set 0.
  sim::HwConfig hw = tiny_hw();
  hw.l2.size_bytes = 1024;
  hw.l2.associativity = 2;
  hw.l2.sector_bytes = 128;
  sim::L2Memory m(hw, tensors({16 * 128}));
  auto line = [&](uint64_t n) { return m.access(read(0, n * 128, 1, 128, 128)); };
  EXPECT_EQ(line(0).l2_misses, 1u);
  EXPECT_EQ(line(4).l2_misses, 1u);
  EXPECT_EQ(line(0).l2_hits, 1u);    // 0 is now the most recent
  EXPECT_EQ(line(8).l2_misses, 1u);  // evicts 4, the least recent
  EXPECT_EQ(line(0).l2_hits, 1u);
  EXPECT_EQ(line(4).l2_misses, 1u);  // evicts 8
  EXPECT_EQ(line(0).l2_hits, 1u);
  EXPECT_EQ(line(8).l2_misses, 1u);  // evicts 4
  EXPECT_EQ(line(1).l2_misses, 1u);  // set 1: untouched by the others
}

TEST(L2Memory, WriteBackStoresAllocateWithoutFetchAndWriteBackOnEviction) {
  sim::HwConfig hw = tiny_hw();  // write_back
  hw.l2.size_bytes = 1024;       // 4 sets of 2 ways, 4 sectors of 32 B per line
  hw.l2.associativity = 2;
  sim::L2Memory m(hw, tensors({16 * 128}));
  // A store of 64 B into line 0: the line is allocated, 2 sectors dirty, nothing from HBM.
  MemResult r = m.access(write(0, 0, 1, 64, 64));
  EXPECT_EQ(r.l2_misses, 1u);
  EXPECT_EQ(r.hit_bytes, 64u);
  EXPECT_EQ(r.hbm_bytes(), 0u);
  EXPECT_EQ(r.latency_cycles, 5u);
  // Reading what was stored hits.
  r = m.access(read(0, 0, 1, 64, 64));
  EXPECT_EQ(r.l2_hits, 1u);
  EXPECT_EQ(r.hit_bytes, 64u);
  // Lines 4 and 8 (set 0) push line 0 out: its 2 dirty sectors go to HBM,
  // charged to the load that evicted it, which does not wait for them.
  m.access(read(0, 4 * 128, 1, 128, 128));
  r = m.access(read(0, 8 * 128, 1, 128, 128));
  EXPECT_EQ(r.writeback_bytes, 64u);
  EXPECT_EQ(r.fill_bytes, 128u);
  EXPECT_EQ(r.hbm_bytes(), 192u);
  EXPECT_EQ(r.miss_bytes, 128u);
}

// An atomic add reads its lines first (a cold line is a miss that fills it
// from HBM and waits for it), then stores the sum into them: dirty, written
// back when evicted.
TEST(L2Memory, AnAtomicAddReadsItsLinesThenLeavesThemDirty) {
  sim::HwConfig hw = tiny_hw();  // write_back
  hw.l2.size_bytes = 1024;       // 4 sets of 2 ways, 4 sectors of 32 B per line
  hw.l2.associativity = 2;
  sim::L2Memory m(hw, tensors({16 * 128}));
  MemRequest add = write(0, 0, 1, 64, 64);
  add.atomic = true;
  // Cold: 1 miss filling the 2 sectors touched (64 B), visible after 5 + 15.
  MemResult r = m.access(add);
  EXPECT_EQ(r.l2_misses, 1u);
  EXPECT_EQ(r.l2_hits, 0u);
  EXPECT_EQ(r.miss_bytes, 64u);
  EXPECT_EQ(r.fill_bytes, 64u);
  EXPECT_EQ(r.latency_cycles, 20u);
  // Again: a hit, nothing from HBM.
  r = m.access(add);
  EXPECT_EQ(r.l2_hits, 1u);
  EXPECT_EQ(r.hbm_bytes(), 0u);
  EXPECT_EQ(r.latency_cycles, 5u);
  // Lines 4 and 8 (set 0) evict line 0, whose 2 sectors are dirty: 64 B back to HBM.
  m.access(read(0, 4 * 128, 1, 128, 128));
  r = m.access(read(0, 8 * 128, 1, 128, 128));
  EXPECT_EQ(r.writeback_bytes, 64u);
  // Write-through: the read hits (the line is present), and the sum's 2
  // sectors (64 B) go to HBM, which the request waits for (5 + 15).
  hw.l2.write_back = false;
  sim::L2Memory wt(hw, tensors({16 * 128}));
  wt.access(read(0, 0, 1, 64, 64));
  r = wt.access(add);
  EXPECT_EQ(r.l2_hits, 1u);
  EXPECT_EQ(r.fill_bytes, 64u);
  EXPECT_EQ(r.latency_cycles, 20u);
  // Without an L2 it moves its payload from HBM and back.
  hw.l2.size_bytes = 0;
  sim::L2Memory none(hw, tensors({4096}));
  r = none.access(add);
  EXPECT_EQ(r.miss_bytes, 64u);
  EXPECT_EQ(r.fill_bytes, 128u);
}

TEST(L2Memory, WriteThroughStoresGoToHbmAndLeaveTheLineForReaders) {
  sim::HwConfig hw = tiny_hw();
  hw.l2.write_back = false;
  sim::L2Memory m(hw, tensors({4096}));
  // 40 B at byte 0: sectors 0 and 1 written through (64 B), visible after 5 + 15.
  MemResult r = m.access(write(0, 0, 1, 40, 40));
  EXPECT_EQ(r.miss_bytes, 40u);
  EXPECT_EQ(r.fill_bytes, 64u);
  EXPECT_EQ(r.latency_cycles, 20u);
  r = m.access(read(0, 0, 1, 40, 40));
  EXPECT_EQ(r.l2_hits, 1u);
  EXPECT_EQ(r.hbm_bytes(), 0u);
}

TEST(L2Memory, WithoutAnL2EveryByteGoesToHbmAsItIs) {
  sim::HwConfig hw = tiny_hw();
  hw.l2.size_bytes = 0;
  sim::L2Memory m(hw, tensors({4096}));
  // 4 rows of 20 B: 80 B to HBM, no line rounding, the HBM latency alone.
  for (int i = 0; i < 2; ++i) {
    MemResult r = m.access(read(0, 0, 4, 20, 64));
    EXPECT_EQ(r.l2_hits + r.l2_misses, 0u);
    EXPECT_EQ(r.miss_bytes, 80u);
    EXPECT_EQ(r.fill_bytes, 80u);
    EXPECT_EQ(r.latency_cycles, 15u);
  }
  EXPECT_EQ(sim::gm_miss_latency(hw), 15u);
  EXPECT_EQ(sim::gm_miss_latency(tiny_hw()), 20u);
}

namespace {
// The L2 policy in its plainest form (a time of last use per way, the victim
// the least recent, the lowest way among equals), to hold the optimised
// layouts of L2Memory to: line (one sector per line, <= 16 ways, uint16
// tags), small (<= 16 ways, uint32 tags, uint8 masks) and wide (uint64 tags,
// uint16 masks, uint8 or uint16 ranks).
struct ReferenceL2 {
  struct Way {
    uint64_t tag = 0, last = 0;
    uint32_t valid = 0, dirty = 0;
  };
  uint64_t line, sector, sets, ways, clock = 0;
  bool write_back;
  std::vector<uint64_t> base;
  std::vector<Way> w;
  ReferenceL2(const sim::HwConfig& hw, const std::vector<isa::Tensor>& ts)
      : line(hw.l2.line_bytes), sector(hw.l2.sector_bytes), sets(hw.l2.size_bytes / (line * hw.l2.associativity)),
        ways(hw.l2.associativity), write_back(hw.l2.write_back), w(sets * ways) {
    uint64_t at = 0;
    for (const isa::Tensor& t : ts) {
      base.push_back(at);
      at += (uint64_t(t.bytes()) + line - 1) / line * line;
    }
  }
  MemResult access(const MemRequest& r) {
    MemResult res;
    // Each row is a run of bytes, contiguous rows one run; a line per access.
    const bool contiguous = r.rows <= 1 || r.stride_bytes == r.row_bytes;
    const uint64_t runs = contiguous ? 1 : r.rows, run = contiguous ? r.rows * r.row_bytes : r.row_bytes;
    for (uint64_t i = 0; i < runs; ++i)
      for (uint64_t b = 0; b < run;) {
        const uint64_t a = base[r.tensor] + r.offset + i * r.stride_bytes + b, l = a / line;
        const uint64_t n = std::min(run - b, (l + 1) * line - a);
        uint32_t mask = 0;
        for (uint64_t s = (a % line) / sector; s <= (a % line + n - 1) / sector; ++s) mask |= 1u << s;
        touch(l % sets, l / sets + 1, mask, n, r.write, res);
        b += n;
      }
    res.latency_cycles = 5 + (res.miss_bytes ? 15 : 0);  // tiny.yaml's
    return res;
  }
  void touch(uint64_t set, uint64_t tag, uint32_t mask, uint64_t bytes, bool write, MemResult& res) {
    Way* s = &w[set * ways];
    Way* x = nullptr;
    for (uint64_t i = 0; i < ways; ++i)
      if (s[i].tag == tag) x = &s[i];
    const auto sectors = [&](uint32_t m) { return uint64_t(__builtin_popcount(m)) * sector; };
    if (x) {
      const uint32_t missing = mask & ~x->valid;
      ++(write || !missing ? res.l2_hits : res.l2_misses);
      if (!write) {
        (missing ? res.miss_bytes : res.hit_bytes) += bytes;
        res.fill_bytes += sectors(missing);
        x->valid |= missing;
      }
    } else {
      ++res.l2_misses;
      x = &s[0];
      for (uint64_t i = 1; i < ways; ++i)
        if (s[i].last < x->last) x = &s[i];
      res.writeback_bytes += sectors(x->dirty);
      *x = Way{tag, 0, write ? 0 : mask, 0};
      if (!write) {
        res.miss_bytes += bytes;
        res.fill_bytes += sectors(mask);
      }
    }
    x->last = ++clock;
    if (!write) return;
    x->valid |= mask;
    if (write_back) {
      x->dirty |= mask;
      res.hit_bytes += bytes;
    } else {
      res.miss_bytes += bytes;
      res.fill_bytes += sectors(mask);
    }
  }
};
}  // namespace

TEST(L2Memory, EveryLayoutAgreesWithTheReferencePolicy) {
  // line, sector, ways, sets, write-back: the line layout (a2a3's shape,
  // one sector per line, written back and through; also fewer ways than 16
  // (a miss moves a part of the set, not all of it), write-through, a line
  // that is not a power of two; 4 B lines in one set give tags past 2^15,
  // which the line layout cannot hold, 16 B lines tags just under it), the small layout (tiny's shape), more
  // ways than 16, more than 256 (uint16 ranks), lines that are not a power
  // of two, more than 8 sectors (uint16 masks).
  const struct {
    uint32_t line, sector, ways, sets;
    bool wb;
  } geometries[] = {{128, 32, 4, 16, true},  {512, 512, 16, 8, true}, {64, 4, 16, 4, false}, {96, 32, 5, 10, true},
                    {512, 512, 24, 8, true}, {384, 32, 4, 16, false}, {256, 16, 300, 2, true}, {32, 32, 1, 7, true},
                    {128, 128, 5, 11, false}, {96, 96, 16, 3, true},   {512, 512, 3, 4, true},
                    {4, 4, 4, 1, true},        {16, 16, 4, 1, true},     {512, 512, 16, 8, false}};
  for (const auto& g : geometries) {
    sim::HwConfig hw = tiny_hw();
    hw.l2.line_bytes = g.line;
    hw.l2.sector_bytes = g.sector;
    hw.l2.associativity = g.ways;
    hw.l2.size_bytes = uint64_t(g.sets) * g.line * g.ways;
    hw.l2.write_back = g.wb;
    const std::vector<isa::Tensor> ts = tensors({1 << 16, 3000, 1 << 18, 777, 1 << 17});
    sim::L2Memory m(hw, ts);
    ReferenceL2 ref(hw, ts);
    uint64_t state = 12345;
    const auto next = [&](uint64_t n) {  // a small LCG: the same requests on every platform
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      return (state >> 33) % n;
    };
    for (int n = 0; n < 20000; ++n) {
      const uint32_t t = uint32_t(next(ts.size()));
      const uint64_t bytes = uint64_t(ts[t].bytes());
      const uint32_t rows = 1 + uint32_t(next(8));
      const uint64_t rb = 1 + next(700), stride = rb + (next(3) ? next(3000) : 0);
      if ((rows - 1) * stride + rb > bytes) continue;
      const MemRequest r{t, next(bytes - (rows - 1) * stride - rb + 1), rows, rb, stride, next(3) == 0};
      const MemResult a = m.access(r), b = ref.access(r);
      ASSERT_TRUE(a.l2_hits == b.l2_hits && a.l2_misses == b.l2_misses && a.hit_bytes == b.hit_bytes &&
                  a.miss_bytes == b.miss_bytes && a.fill_bytes == b.fill_bytes &&
                  a.writeback_bytes == b.writeback_bytes && a.latency_cycles == b.latency_cycles)
          << "line " << g.line << " sector " << g.sector << " ways " << g.ways << ", request " << n << " hits "
          << a.l2_hits << "/" << b.l2_hits << " misses " << a.l2_misses << "/" << b.l2_misses << " fill " << a.fill_bytes
          << "/" << b.fill_bytes << " wb " << a.writeback_bytes << "/" << b.writeback_bytes << " lat " << a.latency_cycles << "/" << b.latency_cycles;
    }
  }
}
