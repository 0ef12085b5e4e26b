// Ordering between the cores of one core group, for the buffers they share.
// Plain C++ (no SystemC); the core engines use it while they run a task.
//
// A vector core reaches its group's cube buffers where the hardware has the
// path: it reads the cube's L0C (TMOV L0C -> UB) and writes the cube's L1
// (TMOV UB -> L1). Nothing but the program's SIGNAL / WAIT orders such an
// access with the cube's own: a read must come after the other core's write
// of the bytes (the writer SIGNALs after it, the reader WAITs before), and a
// write after the other core's earlier reads and writes of them (the cube
// SIGNALs after reading a buffer, the vector core WAITs before writing it
// again; the cube must not overwrite L0C a vector core may still be reading).
// An access the program does not order is refused with an error, never
// silently raced.
//
// Happens-before is tracked with vector clocks: a Clock says, per core of the
// group, how many of that core's first instructions are known to have
// completed. A SIGNAL at index s covers every earlier instruction of its core
// (docs/architecture.md), so it posts its core's knowledge with its own entry
// set to s; a WAIT merges the clock of the post it takes into its core's
// knowledge, which then holds for every later instruction of that core (they
// all wait for the WAIT). Access A (core a, index i) is ordered before an
// access B of another core when B's knowledge says more than i instructions
// of core a have completed. The check does not depend on timing: an
// unordered pair is an error whichever of the two the simulation reaches
// first.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "isa/isa.h"

namespace sim {

// The cube core and up to 8 vector cores (hw_config: vector_cores 1..8).
constexpr int kMaxGroupCores = 9;

// Per core of the group (0: the cube, 1 + v: vector core v): how many of its
// first instructions are known to have completed.
using Clock = std::array<uint32_t, kMaxGroupCores>;
constexpr Clock kNothingKnown{};

// "cube", "vec0", ... for core index 0, 1, ...
std::string core_name(uint32_t core);

// The accesses of one task to one shared buffer, by byte range: for each
// byte, its last write and, per core, the last read since that write.
class SharedBufferLog {
 public:
  struct Access {
    uint32_t core = 0;                 // 0 the cube, 1 + v vector core v
    uint32_t index = 0;                // in its core's stream
    const isa::Instr* instr = nullptr;
  };
  // What an access is not ordered after.
  struct Conflict {
    enum Kind { None, ReadBeforeWrite, ReadAfterWrite, WriteAfterRead, WriteAfterWrite } kind = None;
    Access other;                      // the earlier access (none for ReadBeforeWrite)
    uint64_t lo = 0, hi = 0;           // the bytes concerned
  };

  void clear() { segs_.clear(); }
  // An access of [lo, hi) by `a`, knowing `known` of the other cores.
  // `need_written`: a read of bytes its own core did not write, which some
  // core must have written before. Records the access and returns None, or
  // the first conflict found (nothing is recorded then).
  Conflict access(const Access& a, const Clock& known, uint64_t lo, uint64_t hi, bool write, bool need_written);

 private:
  struct Seg {
    uint64_t lo, hi;
    bool written;
    Access writer;
    std::array<int64_t, kMaxGroupCores> reader;  // per core, the last read's index since the write; -1 none
    std::array<const isa::Instr*, kMaxGroupCores> reader_instr;
  };
  // Segments covering [lo, hi) exactly (split and gap-filled); [first, end).
  std::pair<size_t, size_t> cover(uint64_t lo, uint64_t hi);
  std::vector<Seg> segs_;  // sorted, disjoint
};

}  // namespace sim
