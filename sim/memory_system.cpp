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
  if (!line_ || !sector_ || line_ % sector_ || sectors_per_line_ > 64 || !ways_ ||
      hw.l2.size_bytes % (line_ * ways_))
    throw std::logic_error("L2Memory: inconsistent l2 geometry (hw_config should have refused it)");
  sets_ = hw.l2.size_bytes / (line_ * ways_);
  tag_.assign(sets_ * ways_, 0);
  lru_.assign(sets_ * ways_, 0);
  valid_.assign(sets_ * ways_, 0);
  dirty_.assign(sets_ * ways_, 0);
}

double L2Memory::hit_bytes_per_cycle(bool write) const {
  return write ? hw_.l2.write_bytes_per_cycle : hw_.l2.read_bytes_per_cycle;
}

namespace {
uint64_t popcount(uint64_t x) { return uint64_t(__builtin_popcountll(x)); }
uint64_t sector_mask(uint32_t s0, uint32_t s1) {  // bits s0..s1 (s1 < 64)
  const uint64_t hi = s1 >= 63 ? ~0ull : (uint64_t(1) << (s1 + 1)) - 1;
  return hi & ~((uint64_t(1) << s0) - 1);
}
}  // namespace

void L2Memory::touch(uint64_t set, uint64_t tag, uint32_t s0, uint32_t s1, uint64_t bytes, bool write,
                     MemResult& res) {
  const uint64_t mask = sector_mask(s0, s1);
  const size_t first = size_t(set) * ways_;
  const uint64_t* tags = &tag_[first];
  size_t w = ways_;
  for (uint32_t i = 0; i < ways_; ++i)
    if (tags[i] == tag) {
      w = i;
      break;
    }
  ++clock_;
  if (w < ways_) {
    const size_t k = first + w;
    lru_[k] = clock_;
    const uint64_t missing = mask & ~valid_[k];
    if (write || !missing) ++res.l2_hits;
    else ++res.l2_misses;
    if (!write) {
      if (missing) {  // fill the sectors that are not there
        res.miss_bytes += bytes;
        res.fill_bytes += popcount(missing) * sector_;
        valid_[k] |= missing;
      } else {
        res.hit_bytes += bytes;
      }
      return;
    }
    w = k;
  } else {
    ++res.l2_misses;
    size_t k = first;  // the least recently used way (an empty one has lru 0)
    for (size_t i = first + 1; i < first + ways_; ++i)
      if (lru_[i] < lru_[k]) k = i;
    if (tag_[k] && dirty_[k]) res.writeback_bytes += popcount(dirty_[k]) * sector_;
    tag_[k] = tag;
    lru_[k] = clock_;
    dirty_[k] = 0;
    valid_[k] = write ? 0 : mask;
    if (!write) {
      res.miss_bytes += bytes;
      res.fill_bytes += popcount(mask) * sector_;
      return;
    }
    w = k;
  }
  // A write: allocate (no fetch), the written sectors become valid.
  valid_[w] |= mask;
  if (write_back_) {
    dirty_[w] |= mask;
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
