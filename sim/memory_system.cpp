#include "sim/memory_system.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <type_traits>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace sim {

namespace {
// The line layout's dirty bit, in a way's entry beside its tag (touch_line).
constexpr uint16_t kLineDirty = 0x8000;
}  // namespace

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
  if (!line_ || !sector_ || line_ % sector_ || sectors_per_line_ > 16 || !ways_ || ways_ > 65536 ||
      hw.l2.size_bytes % (line_ * ways_))
    throw std::logic_error("L2Memory: inconsistent l2 geometry (hw_config should have refused it)");
  sets_ = hw.l2.size_bytes / (line_ * ways_);
  const auto shift_of = [](uint64_t x) { return (x & (x - 1)) ? -1 : __builtin_ctzll(x); };
  line_shift_ = shift_of(line_);
  sector_shift_ = shift_of(sector_);
  // The largest tag any access of this layout can have: the last line's.
  const uint64_t max_tag = (at ? (at - 1) / line_ : 0) / sets_ + 1;
  // Four layouts: the line one (one sector per line, at most 16 ways, tags
  // under 2^15: a set is 16 uint16 entries, 32 B), the small one (at most 16
  // ways, uint32 tags, uint8 masks and ranks), else uint64 tags, uint16 masks
  // and uint8 or uint16 ranks.
  const bool line = sectors_per_line_ == 1 && ways_ <= 16 && max_tag < kLineDirty;
  const bool small = max_tag < UINT32_MAX && sectors_per_line_ <= 8 && ways_ <= 16, rank8 = ways_ <= 256;
  // The line layout's 16 entries: past the ways, 0, which no use moves. Every
  // field of the other layouts has room for the ways rounded up to 16, so the
  // searches run over whole groups of 16 (the padding: tag 0, which no access
  // has; the largest rank, which no way has and no use changes).
  const size_t tag_size = small ? 4 : 8, mask_size = small ? 1 : 2, rank_size = rank8 ? 1 : 2;
  const size_t padded = (ways_ + 15) / 16 * 16;
  rank_at_ = padded * tag_size;
  valid_at_ = rank_at_ + padded * rank_size;
  dirty_at_ = valid_at_ + padded * mask_size;
  set_bytes_ = line ? 32 : (dirty_at_ + padded * mask_size + 63) / 64 * 64;
  storage_.assign(sets_ * set_bytes_ + 64, 0);
  blocks_ = storage_.data() + (64 - reinterpret_cast<uintptr_t>(storage_.data()) % 64) % 64;
  if (line) {
    access_fn_ = &L2Memory::access_lines<uint16_t, uint16_t, uint8_t>;  // every entry empty (0)
  } else if (small) {
    access_fn_ = &L2Memory::access_lines<uint32_t, uint8_t, uint8_t>;
    reset_ranks<uint32_t, uint8_t, uint8_t>();
  } else if (rank8) {
    access_fn_ = &L2Memory::access_lines<uint64_t, uint16_t, uint8_t>;
    reset_ranks<uint64_t, uint16_t, uint8_t>();
  } else {
    access_fn_ = &L2Memory::access_lines<uint64_t, uint16_t, uint16_t>;
    reset_ranks<uint64_t, uint16_t, uint16_t>();
  }
}

double L2Memory::hit_bytes_per_cycle(bool write) const {
  return write ? hw_.l2.write_bytes_per_cycle : hw_.l2.read_bytes_per_cycle;
}

namespace {
// Without -mpopcnt __builtin_popcount is a library call; masks have 16 bits.
uint64_t popcount(uint32_t x) {
  x = x - ((x >> 1) & 0x5555u);
  x = (x & 0x3333u) + ((x >> 2) & 0x3333u);
  x = (x + (x >> 4)) & 0x0f0fu;
  return (x + (x >> 8)) & 0x1fu;
}
uint32_t sector_mask(uint32_t s0, uint32_t s1) {  // bits s0..s1 (s1 < 16)
  return ((uint32_t(1) << (s1 + 1)) - 1) & ~((uint32_t(1) << s0) - 1);
}
}  // namespace

// The layout of at most 16 ways, uint32 tags and uint8 ranks and masks: one
// 64 B line of tags, one of ranks and masks; searched 16 ways at once.
template <class Tag, class Rank>
constexpr bool kSmall = std::is_same_v<Tag, uint32_t> && std::is_same_v<Rank, uint8_t>;
// The line layout: one sector per line, at most 16 ways, uint16 entries (touch_line).
template <class Tag>
constexpr bool kLine = std::is_same_v<Tag, uint16_t>;

// Every set's ranks before the first access: the ways in index order, way 0
// the oldest (the first victim among equals).
template <class Tag, class Mask, class Rank>
void L2Memory::reset_ranks() {
  for (uint64_t i = 0; i < sets_; ++i) {
    Rank* rank = reinterpret_cast<Rank*>(blocks_ + i * set_bytes_ + rank_at_);
    for (uint32_t w = 0; w < (ways_ + 15) / 16 * 16; ++w) rank[w] = w < ways_ ? Rank(ways_ - 1 - w) : Rank(~Rank(0));
  }
}

namespace {
// What one line access needs of the geometry, held in locals by the loop
// that calls it.
struct SetLayout {
  size_t rank_at, valid_at, dirty_at;  // byte offsets in a set's block
  uint32_t ways;
  uint64_t sector;
  bool write_back;
};

// The counters of one request, kept in registers across its lines.
struct LineTotals {
  uint64_t hits = 0, misses = 0, hit_bytes = 0, miss_bytes = 0, fill_bytes = 0, writeback_bytes = 0;
};

#ifdef __SSE2__
// 16 uint8 LRU ranks (the small layout), compared at once: the
// least recently used of `ways` ways, and making way w the most recently
// used (the ways used since move one back).
inline uint32_t lru_way16(const uint8_t* rank, uint32_t ways) {
  const __m128i v = _mm_load_si128(reinterpret_cast<const __m128i*>(rank));
  return uint32_t(__builtin_ctz(uint32_t(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(char(ways - 1)))))));
}
inline void use_way16(uint8_t* rank, uint32_t w) {
  const uint8_t r = rank[w];
  if (r) {  // rank < r is rank <= r - 1 (unsigned; the padding, 255, never is)
    const __m128i v = _mm_load_si128(reinterpret_cast<const __m128i*>(rank));
    const __m128i lt = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(char(r - 1))), v);
    _mm_store_si128(reinterpret_cast<__m128i*>(rank), _mm_sub_epi8(v, lt));
  }
  rank[w] = 0;
}
#endif

// One line access to the set at `block`: a hit or a miss (LRU victim,
// write-back of its dirty sectors), fills, the way becomes the most recently
// used. Inlined into the request's loop so that the geometry and the
// counters stay in registers.
template <class Tag, class Mask, class Rank>
__attribute__((always_inline)) inline void touch(const SetLayout& g, uint8_t* block, Tag tag, Mask mask,
                                                 uint64_t bytes, bool write, LineTotals& res) {
  Tag* tags = reinterpret_cast<Tag*>(block);
  Rank* rank = reinterpret_cast<Rank*>(block + g.rank_at);
  Mask* valid = reinterpret_cast<Mask*>(block + g.valid_at);
  Mask* dirty = reinterpret_cast<Mask*>(block + g.dirty_at);
  const uint32_t ways = g.ways, padded = (ways + 15) / 16 * 16;
  // The way whose field f (16 at a time) equals x; `ways` if none.
  uint32_t w;
  const auto find = [&](const auto* f, auto x) {
    for (uint32_t q = 0; q < padded; q += 16) {
      uint32_t m = 0;
      for (uint32_t i = 0; i < 16; ++i) m |= uint32_t(f[q + i] == x) << i;
      if (m) return q + uint32_t(__builtin_ctz(m));
    }
    return ways;
  };
  // `way` becomes the most recently used: the ways used since move one back.
  const auto use = [&](uint32_t way) {
    const Rank r = rank[way];
#ifdef __SSE2__
    if constexpr (kSmall<Tag, Rank>) {
      use_way16(rank, way);
      return;
    }
#endif
    for (uint32_t i = 0; i < padded; ++i) rank[i] = Rank(rank[i] + (rank[i] < r));
    rank[way] = 0;
  };
#ifdef __SSE2__
  if constexpr (kSmall<Tag, Rank>) {  // 16 ways at most: one group, compared at once
    const __m128i t = _mm_set1_epi32(int(tag));
    const auto eq = [&](int q) {
      return _mm_movemask_ps(_mm_castsi128_ps(
          _mm_cmpeq_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(tags) + q), t)));
    };
    const uint32_t m = uint32_t(eq(0) | eq(1) << 4 | eq(2) << 8 | eq(3) << 12);
    w = m ? uint32_t(__builtin_ctz(m)) : ways;
  } else
#endif
    w = find(tags, tag);  // a tag is in at most one way
  if (w < ways) {
    use(w);
    const Mask missing = Mask(mask & ~valid[w]);
    if (write || !missing) ++res.hits;
    else ++res.misses;
    if (!write) {
      if (missing) {  // fill the sectors that are not there
        res.miss_bytes += bytes;
        res.fill_bytes += popcount(missing) * g.sector;
        valid[w] = Mask(valid[w] | missing);
      } else {
        res.hit_bytes += bytes;
      }
      return;
    }
  } else {
    ++res.misses;
#ifdef __SSE2__
    if constexpr (kSmall<Tag, Rank>)
      w = lru_way16(rank, ways);
    else
#endif
      w = find(rank, Rank(ways - 1));  // the least recently used way
    if (tags[w] && dirty[w]) res.writeback_bytes += popcount(dirty[w]) * g.sector;
    tags[w] = tag;
    use(w);
    dirty[w] = 0;
    valid[w] = write ? 0 : mask;
    if (!write) {
      res.miss_bytes += bytes;
      res.fill_bytes += popcount(mask) * g.sector;
      return;
    }
  }
  // A write: allocate (no fetch), the written sectors become valid.
  valid[w] = Mask(valid[w] | mask);
  if (g.write_back) {
    dirty[w] = Mask(dirty[w] | mask);
    res.hit_bytes += bytes;
  } else {
    res.miss_bytes += bytes;
    res.fill_bytes += popcount(mask) * g.sector;
  }
}
// A line access in the line layout: a set is 16 uint16 entries, its ways in
// the order of their last use (the most recent first; never-used ways, 0,
// last, so the last of the `ways` is always the victim), each the way's tag
// with its dirty bit in bit 15. A line in the L2 is always wholly valid (its
// one sector is filled by the miss that brings it, or written by the store
// that allocates it), so a tag hit is a hit. A use moves the way to the front
// (the ways before it move one back): no ranks to keep, and the entries
// after it do not change. The same policy as touch() above.
//
// Hits and misses come in runs (a request streams one tensor), so the two
// take separate, well-predicted paths: a miss of a 16-way set shifts the
// whole set by one entry (no mask), a hit of the front way only sets its
// dirty bit.
__attribute__((always_inline)) inline void touch_line(const SetLayout& g, uint8_t* block, uint16_t tag,
                                                      uint64_t bytes, bool write, LineTotals& res) {
  uint16_t* e = reinterpret_cast<uint16_t*>(block);
  const uint16_t dirty = write && g.write_back ? kLineDirty : 0;  // what this access leaves in its way
  // The bytes: a read's hit bytes come from the L2, its miss bytes wait for
  // HBM (which fills the line); a store allocates (no fetch) and, written
  // through, also goes to HBM.
  const auto count_bytes = [&](bool hit) {
    if (write ? g.write_back : hit) {
      res.hit_bytes += bytes;
    } else {
      res.miss_bytes += bytes;
      res.fill_bytes += g.sector;
    }
  };
#ifdef __SSE2__
  __m128i* ev = reinterpret_cast<__m128i*>(e);
  const __m128i lo = _mm_load_si128(ev), hi = _mm_load_si128(ev + 1);
  const __m128i t = _mm_set1_epi16(short(tag)), untag = _mm_set1_epi16(short(~kLineDirty));
  const uint32_t m = uint32_t(_mm_movemask_epi8(_mm_packs_epi16(_mm_cmpeq_epi16(_mm_and_si128(lo, untag), t),
                                                                _mm_cmpeq_epi16(_mm_and_si128(hi, untag), t))));
  // Entries 0 .. p - 1 move to 1 .. p (p < 16), v goes to the front.
  const auto move_to_front = [&](uint32_t p, uint16_t v) {
    const __m128i upto = _mm_set1_epi16(short(p + 1));
    const __m128i ml = _mm_cmplt_epi16(_mm_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7), upto);
    const __m128i mh = _mm_cmplt_epi16(_mm_setr_epi16(8, 9, 10, 11, 12, 13, 14, 15), upto);
    const __m128i sl = _mm_slli_si128(lo, 2), sh = _mm_or_si128(_mm_slli_si128(hi, 2), _mm_srli_si128(lo, 14));
    const __m128i nl = _mm_or_si128(_mm_and_si128(ml, sl), _mm_andnot_si128(ml, lo));
    _mm_store_si128(ev, _mm_insert_epi16(nl, v, 0));
    _mm_store_si128(ev + 1, _mm_or_si128(_mm_and_si128(mh, sh), _mm_andnot_si128(mh, hi)));
  };
  if (m) {
    ++res.hits;
    count_bytes(true);
    const uint32_t p = uint32_t(__builtin_ctz(m));
    const uint16_t v = uint16_t(e[p] | dirty);
    if (p == 0) e[0] = v;
    else move_to_front(p, v);
    return;
  }
  ++res.misses;
  count_bytes(false);
  if (e[g.ways - 1] & kLineDirty) res.writeback_bytes += g.sector;
  if (g.ways == 16) {  // every entry moves back one, the last one out
    _mm_store_si128(ev, _mm_insert_epi16(_mm_slli_si128(lo, 2), uint16_t(tag | dirty), 0));
    _mm_store_si128(ev + 1, _mm_or_si128(_mm_slli_si128(hi, 2), _mm_srli_si128(lo, 14)));
  } else {
    move_to_front(g.ways - 1, uint16_t(tag | dirty));
  }
#else
  uint32_t p = g.ways - 1;  // the way's place in the order: the tag's, else the victim's
  bool hit = false;
  for (uint32_t i = 0; i < g.ways && !hit; ++i)
    if (uint16_t(e[i] & ~kLineDirty) == tag) p = i, hit = true;
  count_bytes(hit);
  if (hit) {
    ++res.hits;
  } else {
    ++res.misses;
    if (e[p] & kLineDirty) res.writeback_bytes += g.sector;
  }
  const uint16_t v = uint16_t((hit ? e[p] : tag) | dirty);
  std::memmove(e + 1, e, p * sizeof(uint16_t));
  e[0] = v;
#endif
}
}  // namespace

template <class Tag, class Mask, class Rank>
void L2Memory::access_lines(const MemRequest& r, MemResult& out) {
  const uint64_t payload = uint64_t(r.rows) * r.row_bytes;
  const uint64_t base = base_[r.tensor] + r.offset;
  // Contiguous rows are one run of bytes.
  const bool contiguous = r.rows <= 1 || r.stride_bytes == r.row_bytes;
  const uint32_t runs = contiguous ? 1 : r.rows;
  const uint64_t run_bytes = contiguous ? payload : r.row_bytes;
  if (!run_bytes) return;  // every run is empty
  const SetLayout g{rank_at_, valid_at_, dirty_at_, ways_, sector_, write_back_};
  const uint64_t line = line_, sets = sets_;
  uint8_t* const blocks = blocks_;
  const size_t set_bytes = set_bytes_;
  const bool write = r.write;
  // Lines and sectors are powers of two in every shipped hardware file: shifts.
  const int line_shift = line_shift_, sector_shift = sector_shift_;
  const auto by_line = [&](uint64_t x) { return line_shift >= 0 ? x >> line_shift : x / line; };
  const auto by_sector = [&](uint64_t x) { return sector_shift >= 0 ? x >> sector_shift : x / g.sector; };
  // A run starts `ar` bytes into line `aq`, whose set and tag are set0 and
  // tag0; the next run `stride` bytes on: no division per run. Consecutive
  // lines are consecutive sets (the tag grows when the set index wraps).
  const uint64_t aq = by_line(base);
  uint64_t ar = base - aq * line, set0 = aq % sets, tag0 = aq / sets + 1;
  const uint64_t sq = by_line(r.stride_bytes), sr = r.stride_bytes - sq * line;
  const uint64_t dset = sq % sets, dtag = sq / sets;
  LineTotals res;
  for (uint32_t i = 0; i < runs; ++i) {
    const uint64_t span_end = ar + run_bytes;  // from the start of the run's first line
    const uint64_t count = by_line(span_end - 1) + 1;
    uint64_t set = set0, tag = tag0;
    // Bytes [lo, hi) of the line at `block`.
    const auto one = [&](uint8_t* block, uint64_t lo, uint64_t hi) {
      if constexpr (kLine<Tag>)
        touch_line(g, block, Tag(tag), hi - lo, write, res);
      else
        touch<Tag, Mask, Rank>(g, block, Tag(tag), Mask(sector_mask(uint32_t(by_sector(lo)), uint32_t(by_sector(hi - 1)))),
                               hi - lo, write, res);
    };
    const auto next_set = [&] {
      if (++set == sets) {
        set = 0;
        ++tag;
      }
    };
    // The first line from ar, the whole lines between, the last one to
    // span_end; the whole ones in stretches that do not wrap past the last set.
    one(blocks + set * set_bytes, ar, count == 1 ? span_end : line);
    next_set();
    if (count > 1) {
      for (uint64_t left = count - 2; left;) {
        const uint64_t n = std::min(left, sets - set);
        uint8_t* block = blocks + set * set_bytes;
        for (uint64_t k = 0; k < n; ++k, block += set_bytes) one(block, 0, line);
        set += n - 1;
        left -= n;
        next_set();
      }
      one(blocks + set * set_bytes, 0, span_end - (count - 1) * line);
    }
    ar += sr;
    const uint64_t carry = ar >= line;
    ar -= carry * line;
    set0 += dset + carry;
    tag0 += dtag;
    if (set0 >= sets) {
      set0 -= sets;
      ++tag0;
    }
  }
  out.l2_hits += res.hits;
  out.l2_misses += res.misses;
  out.hit_bytes += res.hit_bytes;
  out.miss_bytes += res.miss_bytes;
  out.fill_bytes += res.fill_bytes;
  out.writeback_bytes += res.writeback_bytes;
}

MemResult L2Memory::access(const MemRequest& r) {
  MemResult res;
  const uint64_t payload = uint64_t(r.rows) * r.row_bytes;
  if (!enabled_) {
    res.miss_bytes = res.fill_bytes = payload;
    if (r.atomic) res.fill_bytes += payload;  // read, then written back
    res.latency_cycles = hw_.gm.latency_cycles;
    return res;
  }
  if (r.atomic) {
    MemRequest read = r;
    read.write = read.atomic = false;
    (this->*access_fn_)(read, res);
    // The store of the sum, into the lines the read brought (hits, unless the
    // request alone overflows a set): write-back marks them dirty; write-through
    // also sends the bytes to HBM, which the request then waits for.
    MemResult store;
    (this->*access_fn_)(r, store);
    res.miss_bytes += store.miss_bytes;
    res.fill_bytes += store.fill_bytes;
    res.writeback_bytes += store.writeback_bytes;
  } else {
    (this->*access_fn_)(r, res);
  }
  res.latency_cycles = hw_.l2.hit_latency_cycles + (res.miss_bytes ? hw_.gm.latency_cycles : 0);
  return res;
}

}  // namespace sim
