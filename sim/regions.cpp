#include "sim/regions.h"

#include <algorithm>

namespace sim {

size_t RegionTracker::split_at(uint64_t x) {
  auto it = std::lower_bound(segs_.begin(), segs_.end(), x,
                             [](const Seg& s, uint64_t v) { return s.hi <= v; });
  if (it == segs_.end()) return segs_.size();
  if (it->lo < x) {  // x falls inside *it: split it in two
    Seg right = *it;
    right.lo = x;
    it->hi = x;
    const auto inserted = segs_.insert(it + 1, right);  // may reallocate: take begin() after
    return size_t(inserted - segs_.begin());
  }
  return size_t(it - segs_.begin());
}

std::pair<size_t, size_t> RegionTracker::cover(uint64_t lo, uint64_t hi, bool* had_gap) {
  // Most accesses are to a range that is one segment already (a tile read
  // after it was written, a buffer written again): no split, no gap.
  if (hint_ < segs_.size() && segs_[hint_].lo == lo && segs_[hint_].hi == hi) return {hint_, hint_ + 1};
  const auto it = std::lower_bound(segs_.begin(), segs_.end(), lo, [](const Seg& s, uint64_t v) { return s.hi <= v; });
  if (it != segs_.end() && it->lo == lo && it->hi == hi) {
    hint_ = size_t(it - segs_.begin());
    return {hint_, hint_ + 1};
  }
  size_t first = split_at(lo);
  size_t end = split_at(hi);
  // Fill the gaps between lo and hi with unwritten segments.
  Seg blank{0, 0, -1, {}};
  blank.readers.fill(-1);
  uint64_t cur = lo;
  for (size_t i = first; i <= end; ++i) {
    const uint64_t next = i < end ? segs_[i].lo : hi;
    if (cur < next) {
      blank.lo = cur;
      blank.hi = next;
      segs_.insert(segs_.begin() + i, blank);
      ++i;
      ++end;
      *had_gap = true;
    }
    if (i < end) cur = segs_[i].hi;
  }
  hint_ = first;
  return {first, end};
}

bool RegionTracker::read(uint64_t lo, uint64_t hi, int32_t idx, int pipe,
                         std::vector<uint32_t>& deps) {
  if (lo >= hi) return true;
  bool gap = false;
  auto [first, end] = cover(lo, hi, &gap);
  bool written = !gap;
  for (size_t i = first; i < end; ++i) {
    Seg& s = segs_[i];
    if (s.writer < 0) written = false;
    else if (s.writer != idx) deps.push_back(uint32_t(s.writer));
    s.readers[pipe] = idx;
  }
  return written;
}

void RegionTracker::write(uint64_t lo, uint64_t hi, int32_t idx, std::vector<uint32_t>& deps) {
  if (lo >= hi) return;
  bool gap = false;
  auto [first, end] = cover(lo, hi, &gap);
  for (size_t i = first; i < end; ++i) {
    const Seg& s = segs_[i];
    if (s.writer >= 0 && s.writer != idx) deps.push_back(uint32_t(s.writer));
    for (int32_t r : s.readers)
      if (r >= 0 && r != idx) deps.push_back(uint32_t(r));
  }
  Seg owned{lo, hi, idx, {}};
  owned.readers.fill(-1);
  segs_.erase(segs_.begin() + first + 1, segs_.begin() + end);
  segs_[first] = owned;
}

}  // namespace sim
