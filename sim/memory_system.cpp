#include "sim/memory_system.h"

#include <algorithm>
#include <stdexcept>

namespace sim {

uint64_t gm_miss_latency(const HwConfig& hw) {
  return (hw.l2.size_bytes ? uint64_t(hw.l2.hit_latency_cycles) : 0) + hw.gm.latency_cycles;
}

L2Memory::L2Memory(const HwConfig& hw, const std::vector<isa::Tensor>& tensors)
    : hw_(hw),
      enabled_(hw.l2.size_bytes > 0),
      line_(hw.l2.line_bytes),
      sector_(hw.l2.sector_bytes),
      sectors_per_line_(hw.l2.sector_bytes ? hw.l2.line_bytes / hw.l2.sector_bytes : 1),
      sets_(0),
      ways_(hw.l2.associativity),
      write_back_(hw.l2.write_back) {
  // The layout: tensors in program order, each starting on a line.
  uint64_t at = 0;
  const uint64_t align = line_ ? line_ : 1;
  for (const isa::Tensor& t : tensors) {
    base_.push_back(at);
    at += (uint64_t(t.bytes()) + align - 1) / align * align;
  }
  if (!enabled_) return;
  // hw_config validates these; a policy built from anything else is a bug.
  if (!line_ || !sector_ || line_ % sector_ || sectors_per_line_ > 16 || !ways_ ||
      hw.l2.size_bytes % (line_ * ways_))
    throw std::logic_error("L2Memory: inconsistent l2 geometry (hw_config should have refused it)");
  sets_ = hw.l2.size_bytes / (line_ * ways_);
  blocks_.assign(sets_ * 2 * ways_, 0);
}

double L2Memory::hit_bytes_per_cycle(bool write) const {
  return write ? hw_.l2.write_bytes_per_cycle : hw_.l2.read_bytes_per_cycle;
}

namespace {
uint64_t popcount(uint32_t x) { return uint64_t(__builtin_popcount(x)); }
uint32_t sector_mask(uint32_t s0, uint32_t s1) {  // bits s0..s1 (s1 < 16)
  return ((uint32_t(1) << (s1 + 1)) - 1) & ~((uint32_t(1) << s0) - 1);
}
}  // namespace

void L2Memory::touch(uint64_t set, uint64_t tag, uint32_t s0, uint32_t s1, uint64_t bytes, bool write,
                     MemResult& res) {
  const uint16_t mask = uint16_t(sector_mask(s0, s1));
  if (++clock_ == 0) {  // after 2^32 accesses: forget the order once, start again
    for (uint64_t i = 0; i < sets_; ++i) std::fill_n(set_at(i).lru, ways_, 0u);
    clock_ = 1;
  }
  const SetView v = set_at(set);
  uint32_t w = 0;
  while (w < ways_ && v.tag[w] != tag) ++w;
  if (w < ways_) {
    v.lru[w] = clock_;
    const uint16_t missing = uint16_t(mask & ~v.valid[w]);
    if (write || !missing) ++res.l2_hits;
    else ++res.l2_misses;
    if (!write) {
      if (missing) {  // fill the sectors that are not there
        res.miss_bytes += bytes;
        res.fill_bytes += popcount(missing) * sector_;
        v.valid[w] |= missing;
      } else {
        res.hit_bytes += bytes;
      }
      return;
    }
  } else {
    ++res.l2_misses;
    w = 0;  // the least recently used way (an empty one has lru 0)
    for (uint32_t i = 1; i < ways_; ++i)
      if (v.lru[i] < v.lru[w]) w = i;
    if (v.tag[w] && v.dirty[w]) res.writeback_bytes += popcount(v.dirty[w]) * sector_;
    v.tag[w] = tag;
    v.lru[w] = clock_;
    v.dirty[w] = 0;
    v.valid[w] = write ? 0 : mask;
    if (!write) {
      res.miss_bytes += bytes;
      res.fill_bytes += popcount(mask) * sector_;
      return;
    }
  }
  // A write: allocate (no fetch), the written sectors become valid.
  v.valid[w] |= mask;
  if (write_back_) {
    v.dirty[w] |= mask;
    res.hit_bytes += bytes;
  } else {
    res.miss_bytes += bytes;
    res.fill_bytes += popcount(mask) * sector_;
  }
}

MemResult L2Memory::access(const MemRequest& r) {
  MemResult res;
  const uint64_t payload = uint64_t(r.rows) * r.row_bytes;
  if (!enabled_) {
    res.miss_bytes = res.fill_bytes = payload;
    res.latency_cycles = hw_.gm.latency_cycles;
    return res;
  }
  const uint64_t base = base_[r.tensor] + r.offset;
  // Contiguous rows are one run of bytes.
  const bool contiguous = r.rows <= 1 || r.stride_bytes == r.row_bytes;
  const uint32_t runs = contiguous ? 1 : r.rows;
  const uint64_t run_bytes = contiguous ? payload : r.row_bytes;
  for (uint32_t i = 0; i < runs; ++i) {
    const uint64_t a = base + uint64_t(i) * r.stride_bytes, end = a + run_bytes;
    if (a == end) continue;
    // Consecutive lines are consecutive sets (the tag grows when the set
    // index wraps): one division per run, not per line.
    uint64_t line = a / line_, set = line % sets_, tag = line / sets_ + 1;
    for (const uint64_t last = (end - 1) / line_; line <= last; ++line) {
      const uint64_t lo = std::max(a, line * line_), hi = std::min(end, (line + 1) * line_);
      touch(set, tag, uint32_t((lo - line * line_) / sector_), uint32_t((hi - 1 - line * line_) / sector_),
            hi - lo, r.write, res);
      if (++set == sets_) {
        set = 0;
        ++tag;
      }
    }
  }
  res.latency_cycles = hw_.l2.hit_latency_cycles + (res.miss_bytes ? hw_.gm.latency_cycles : 0);
  return res;
}

}  // namespace sim
