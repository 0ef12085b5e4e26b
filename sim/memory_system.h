// The memory system behind the GM DMAs: an L2 in front of HBM. Plain C++
// policy (no SystemC); the SystemC shell (GmChannel in npu.cpp) asks it, per
// DMA, how many bytes hit and how many go to HBM, and schedules the events.
//
// Rules (docs/architecture.md, "Global memory"):
// - Every program tensor has a base address: tensors are laid out in program
//   order, each aligned to the L2 line, so two tensors never share a line.
// - A DMA is rows of row_bytes, stride_bytes apart, from a byte offset of its
//   tensor. Each line a row touches is one L2 access: a hit when every sector
//   of the line the row touches is valid, else a miss. A read miss fills the
//   sectors touched (l2.sector_bytes; sector = line fills whole lines) from
//   HBM. Lines are kept set-associatively with LRU replacement.
// - Writes (tstore): write-back allocates the line without a fetch, marks the
//   written sectors valid and dirty, and writes dirty sectors to HBM when the
//   line is evicted (charged to the request that evicted it); write-through
//   also updates/allocates the line and sends every written sector to HBM.
// - Latency: l2.hit_latency_cycles when nothing of the request went to HBM
//   synchronously (a read that hit everywhere, a write-back store), else
//   l2.hit_latency_cycles + gm.latency_cycles. This is the one place the GM
//   latency is decided (gm_miss_latency() is the SLOAD's share of it).
// - l2.size_kib 0 is "no L2": every request goes to HBM with exactly its
//   payload bytes and the latency is gm.latency_cycles.
// Work is per line touched, never per byte.
#pragma once

#include <cstdint>
#include <vector>

#include "isa/isa.h"
#include "sim/hw_config.h"

namespace sim {

// One DMA as the memory system sees it.
struct MemRequest {
  uint32_t tensor = 0;
  uint64_t offset = 0;        // bytes from the tensor's start
  uint32_t rows = 0;
  uint64_t row_bytes = 0;
  uint64_t stride_bytes = 0;  // between row starts
  bool write = false;
};

// What one DMA cost the memory system.
struct MemResult {
  uint64_t l2_hits = 0, l2_misses = 0;  // line accesses
  uint64_t hit_bytes = 0;   // payload bytes served by (or written into) L2
  uint64_t miss_bytes = 0;  // payload bytes that waited for HBM (read misses, write-through stores)
  uint64_t fill_bytes = 0;  // HBM bytes on the request's path: sectors filled, sectors written through
  uint64_t writeback_bytes = 0;  // HBM bytes of dirty sectors evicted by the request (nobody waits for them)
  uint64_t hbm_bytes() const { return fill_bytes + writeback_bytes; }
  uint64_t latency_cycles = 0;  // after the last byte, until the data is visible
};

// The memory-system interface the shell drives (issue 8, item 3).
class MemorySystem {
 public:
  virtual ~MemorySystem() = default;
  // Account one DMA (state changes: fills, LRU, dirty bits).
  virtual MemResult access(const MemRequest& r) = 0;
  // Bytes/cycle one core's request gets for its L2-hit bytes.
  virtual double hit_bytes_per_cycle(bool write) const = 0;
};

// The cycles a GM access waits for data that missed L2 (SLOAD is costed as one).
uint64_t gm_miss_latency(const HwConfig& hw);

// An L2 (set-associative, LRU, sectored) in front of HBM.
class L2Memory : public MemorySystem {
 public:
  // Lays the program's tensors out in GM (addresses aligned to the line).
  L2Memory(const HwConfig& hw, const std::vector<isa::Tensor>& tensors);
  MemResult access(const MemRequest& r) override;
  double hit_bytes_per_cycle(bool write) const override;

  uint64_t base_address(uint32_t tensor) const { return base_[tensor]; }
  uint64_t num_sets() const { return sets_; }
  uint32_t ways() const { return ways_; }

 private:
  // One access to the line of `tag` in `set`: its sectors s0..s1 (`bytes` of the payload).
  void touch(uint64_t set, uint64_t tag, uint32_t s0, uint32_t s1, uint64_t bytes, bool write, MemResult& res);

  const HwConfig& hw_;
  std::vector<uint64_t> base_;  // byte address of each tensor
  bool enabled_;
  uint64_t line_, sector_;
  uint32_t sectors_per_line_;
  uint64_t sets_;
  uint32_t ways_;
  bool write_back_;
  // The ways of a set, packed in one block of 16 B per way so a lookup
  // touches a few adjacent cache lines: tags (line / sets_ + 1, 0 = empty),
  // last use (uint32; larger = more recent), valid and dirty sector masks
  // (uint16: at most 16 sectors per line).
  struct SetView {
    uint64_t* tag;
    uint32_t* lru;
    uint16_t *valid, *dirty;
  };
  SetView set_at(uint64_t set) {
    uint64_t* b = &blocks_[set * 2 * ways_];
    uint32_t* lru = reinterpret_cast<uint32_t*>(b + ways_);
    uint16_t* valid = reinterpret_cast<uint16_t*>(lru + ways_);
    return {b, lru, valid, valid + ways_};
  }
  std::vector<uint64_t> blocks_;  // sets_ x (2 x ways_) words
  uint32_t clock_ = 0;
};

}  // namespace sim
