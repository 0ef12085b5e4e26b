#include "sim/cross_core.h"

#include <algorithm>

namespace sim {

std::string core_name(uint32_t core) { return core == 0 ? std::string("cube") : "vec" + std::to_string(core - 1); }

std::pair<size_t, size_t> SharedBufferLog::cover(uint64_t lo, uint64_t hi) {
  Seg blank{};
  blank.reader.fill(-1);
  blank.reader_instr.fill(nullptr);
  // Split the segments that straddle lo or hi.
  for (uint64_t x : {lo, hi}) {
    auto it = std::lower_bound(segs_.begin(), segs_.end(), x, [](const Seg& s, uint64_t v) { return s.hi <= v; });
    if (it != segs_.end() && it->lo < x) {
      Seg right = *it;
      right.lo = x;
      it->hi = x;
      segs_.insert(it + 1, right);
    }
  }
  size_t first = size_t(std::lower_bound(segs_.begin(), segs_.end(), lo,
                                         [](const Seg& s, uint64_t v) { return s.hi <= v; }) -
                        segs_.begin());
  // Fill the gaps in [lo, hi) with segments nothing has touched.
  size_t i = first;
  for (uint64_t cur = lo; cur < hi;) {
    if (i < segs_.size() && segs_[i].lo == cur) {
      cur = segs_[i++].hi;
      continue;
    }
    blank.lo = cur;
    blank.hi = i < segs_.size() ? std::min(hi, segs_[i].lo) : hi;
    segs_.insert(segs_.begin() + long(i), blank);
    cur = segs_[i++].hi;
  }
  return {first, i};
}

SharedBufferLog::Conflict SharedBufferLog::access(const Access& a, const Clock& known, uint64_t lo, uint64_t hi,
                                                  bool write, bool need_written) {
  Conflict c;
  if (lo >= hi) return c;
  const auto [first, end] = cover(lo, hi);
  // Is `o` (another core's access) ordered before this one?
  const auto ordered = [&](uint32_t core, int64_t index) { return core == a.core || int64_t(known[core]) > index; };
  for (size_t i = first; i < end && c.kind == Conflict::None; ++i) {
    const Seg& s = segs_[i];
    if (!s.written) {
      if (!write && need_written) c = {Conflict::ReadBeforeWrite, {}, s.lo, s.hi};
    } else if (!ordered(s.writer.core, s.writer.index)) {
      c = {write ? Conflict::WriteAfterWrite : Conflict::ReadAfterWrite, s.writer, s.lo, s.hi};
    }
    if (write)
      for (uint32_t r = 0; r < kMaxGroupCores && c.kind == Conflict::None; ++r)
        if (s.reader[r] >= 0 && !ordered(r, s.reader[r]))
          c = {Conflict::WriteAfterRead, {r, uint32_t(s.reader[r]), s.reader_instr[r]}, s.lo, s.hi};
  }
  if (c.kind != Conflict::None) return c;
  for (size_t i = first; i < end; ++i) {
    Seg& s = segs_[i];
    if (write) {
      s.written = true;
      s.writer = a;
      s.reader.fill(-1);
      s.reader_instr.fill(nullptr);
    } else if (int64_t(a.index) > s.reader[a.core]) {
      s.reader[a.core] = a.index;
      s.reader_instr[a.core] = a.instr;
    }
  }
  return c;
}

}  // namespace sim
