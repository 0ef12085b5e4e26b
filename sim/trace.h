// Chrome trace event format (Perfetto opens it): one process for the
// scheduler, one per core group; a thread per task lane, core pipe and DMA
// engine. Events are kept in memory and written sorted at the end, so the
// file is identical for identical runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sim {

class TraceWriter {
 public:
  explicit TraceWriter(double clock_ghz) : clock_ghz_(clock_ghz) {}
  // Name a track once; pid/tid are small integers chosen by the caller, pid
  // at least 1 (Perfetto's JSON importer takes pid 0 for the kernel's idle
  // process). Processes are shown in the order they are named, and a
  // process's lanes in the order they are named; a process or lane without
  // events is left out of the file.
  void name_process(uint32_t pid, const std::string& name);
  void name_thread(uint32_t pid, uint32_t tid, const std::string& name);
  // A complete event [start, end) in cycles; `name` and `cat` are interned.
  void event(uint32_t pid, uint32_t tid, const std::string& name, const std::string& cat,
             uint64_t start, uint64_t end, const std::string& args_json);
  // Throws isa::InputError if the file cannot be written.
  void write(const std::string& path) const;

 private:
  struct Ev {
    uint32_t pid, tid, name, cat;
    uint64_t start, end;
    std::string args;
  };
  uint32_t intern(const std::string& s);
  double clock_ghz_;
  std::vector<std::string> strings_;
  std::vector<std::pair<std::pair<uint32_t, uint32_t>, std::string>> names_;  // (pid, tid|~0) -> name, in naming order
  std::vector<Ev> events_;
  std::vector<std::pair<std::string, uint32_t>> index_;  // sorted for intern lookups
};

}  // namespace sim
