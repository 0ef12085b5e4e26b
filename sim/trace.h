// Chrome trace event format (Perfetto opens it): one process for the
// scheduler, one per core group; a thread per task lane, core pipe and DMA
// engine. Events are filtered as they arrive (TraceFilter), kept in memory
// and written sorted at the end, so the file is identical for identical runs.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace sim {

// An event's level: a task-level one (a dispatch, a completion handling, a
// task's bar on its core group) or a pipe-level one (an instruction on its
// pipe, about 430 per task in a Qwen3 decode layer).
enum class TraceLevel { Task, Pipe };

// What a trace keeps (npusim run --trace-detail, --trace-window).
struct TraceFilter {
  enum class Detail { Tasks, Pipes, All } detail = Detail::All;
  // Simulated time in us: an event is kept when it overlaps [from_us,
  // to_us) (one of no duration: when it lies in it), and kept whole, not cut
  // at the edges. Compared as written, in whole ns.
  double from_us = 0;
  double to_us = std::numeric_limits<double>::infinity();
};

class TraceWriter {
 public:
  TraceWriter(double clock_ghz, const TraceFilter& filter);
  // Name a track once; pid/tid are small integers chosen by the caller, pid
  // at least 1 (Perfetto's JSON importer takes pid 0 for the kernel's idle
  // process). Processes are shown in the order they are named, and a
  // process's lanes in the order they are named; a process or lane without
  // events is left out of the file.
  void name_process(uint32_t pid, const std::string& name);
  void name_thread(uint32_t pid, uint32_t tid, const std::string& name);
  // Whether the filter keeps an event of `level` over [start, end) cycles.
  // Callers test it first to skip building the names and args of events
  // that would be dropped.
  bool keeps(TraceLevel level, uint64_t start, uint64_t end) const;
  // A complete event [start, end) in cycles, recorded if the filter keeps
  // it; `name` and `cat` are interned.
  void event(TraceLevel level, uint32_t pid, uint32_t tid, const std::string& name, const std::string& cat,
             uint64_t start, uint64_t end, const std::string& args_json);
  // Gzip-compressed when `path` ends in ".gz". Throws isa::InputError if the
  // file cannot be written.
  void write(const std::string& path) const;

 private:
  struct Ev {
    uint32_t pid, tid, name, cat;
    uint64_t start, end;
    std::string args;
  };
  uint32_t intern(const std::string& s);
  // Cycles to the whole ns the file shows: each edge rounded once, so
  // back-to-back events on a lane never overlap.
  uint64_t ns(uint64_t cycles) const;
  double ns_per_cycle_;
  TraceFilter filter_;
  std::vector<std::string> strings_;
  std::vector<std::pair<std::pair<uint32_t, uint32_t>, std::string>> names_;  // (pid, tid|~0) -> name, in naming order
  std::vector<Ev> events_;
  std::vector<std::pair<std::string, uint32_t>> index_;  // sorted for intern lookups
};

}  // namespace sim
