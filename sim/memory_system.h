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
// - An atomic add (TSTORE atomic_add) is a read of its lines (hits, misses
//   and fills as a read's, and its latency) and then the store of the sum into
//   them, which the read made present: write-back leaves them dirty,
//   write-through also writes the sum to HBM (the request waits for it).
//   Without an L2 it moves its payload from HBM and back.
// - l2.size_kib 0 is "no L2": every request goes to HBM with exactly its
//   payload bytes and the latency is gm.latency_cycles.
// Work is per line touched, never per byte.
#pragma once

#include <cstddef>
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
  bool atomic = false;        // a write that adds to what is there (TSTORE atomic_add): read, then written
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
  // The sets' state is laid out for the geometry (sizes below); the work
  // is a template on the field types, picked once here.
  template <class Tag, class Mask, class Rank>
  void access_lines(const MemRequest& r, MemResult& res);
  template <class Tag, class Mask, class Rank>
  void reset_ranks();

  const HwConfig& hw_;
  std::vector<uint64_t> base_;  // byte address of each tensor
  bool enabled_;
  uint64_t line_, sector_;
  int line_shift_ = -1, sector_shift_ = -1;  // log2 of line_ / sector_ when a power of two, else -1
  uint32_t sectors_per_line_;
  uint64_t sets_;
  uint32_t ways_;
  bool write_back_;
  // Each set is one block of whole 64 B host cache lines (the line layout:
  // half of one), so an access touches one or two of them. Layouts:
  // - line: one sector per line (a2a3), at most 16 ways, every tag of the
  //   program's layout under 2^15: 16 uint16 entries, the ways in the order
  //   of their last use, each its tag and dirty bit (touch_line); no valid
  //   bits (a line in the L2 is wholly valid). 32 B per set, searched at once;
  // - small: at most 16 ways, 8 sectors per line, tags under 2^32: uint32
  //   tags, uint8 ranks and masks, 128 B per set, searched 16 ways at once;
  // - else uint64 tags, uint16 masks and uint8 ranks (uint16 past 256 ways).
  // The last two keep the ways' tags (line / sets_ + 1, 0 = empty), then
  // their LRU ranks (0 = most recently used .. ways - 1 = the victim; equal
  // to ordering by the time of last use, never-used ways oldest and the
  // lowest-numbered of those first), valid and dirty sector masks; each
  // field has room for the ways rounded up to 16.
  void (L2Memory::*access_fn_)(const MemRequest&, MemResult&) = nullptr;
  size_t set_bytes_ = 0;                   // one set's block (a multiple of 64)
  size_t rank_at_ = 0, valid_at_ = 0, dirty_at_ = 0;  // byte offsets in a block
  std::vector<uint8_t> storage_;           // sets_ blocks, from the first 64 B boundary
  uint8_t* blocks_ = nullptr;
};

}  // namespace sim
