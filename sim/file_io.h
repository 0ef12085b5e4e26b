// Reading and writing files so that every failure is a named error (issue 10).
//
// Inputs: a path that is a directory, a device, missing or unreadable is a
// FileError ("runs/ is a directory (expected a program file)"), never an
// empty read or an escaping std::ios_base::failure. Outputs: OutFile checks
// every write, the flush and the close, so a full disk (or /dev/full) is
// "cannot write the report r.json: No space left on device", not a silent
// success. Every reader and writer of the CLI and of sim/ goes through here.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "isa/error.h"

namespace sim {

struct FileError : isa::InputError {
  using isa::InputError::InputError;
};

// Throws FileError unless `path` can be opened for reading as a file.
// `kind` names what was expected ("program", "report"):
// "PATH is a directory (expected a KIND file)", "PATH is a device, not a KIND
// file", "cannot read KIND file PATH: <strerror>". Regular files and pipes
// pass. For readers that open the file themselves.
void check_input_file(const std::string& path, const std::string& kind);

// The whole file, bytes as they are; FileError as check_input_file, or
// "cannot read KIND file PATH: <strerror>" when reading fails midway.
std::string read_file(const std::string& path, const std::string& kind);

// A file written from scratch (truncated; binary). Every write, the flush and
// the close are checked; the first failure throws FileError "cannot write
// WHAT PATH: <strerror>" (also when the open fails: "Is a directory", "No
// such file or directory"); `what` is e.g. "the report" or "". Call close()
// to finish: the destructor only releases the file (an exception is already
// on its way).
class OutFile {
 public:
  OutFile(const std::string& path, const std::string& what);
  ~OutFile();
  OutFile(const OutFile&) = delete;
  OutFile& operator=(const OutFile&) = delete;

  void write(const void* data, size_t bytes);
  void write(std::string_view s) { write(s.data(), s.size()); }
  void printf(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  // Flush and close; throws FileError if either fails.
  void close();

 private:
  [[noreturn]] void fail(int err);
  std::string path_, what_;
  std::FILE* f_ = nullptr;
};

// OutFile in one call: `content`, then close().
void write_file(const std::string& path, std::string_view content, const std::string& what);

}  // namespace sim
