// Shared by the libFuzzer harnesses (tests/fuzz/*.cpp, built with NPUSIM_FUZZ).
//
// Each harness feeds one input to one of npusim's readers. Bad input must be
// rejected with an isa::InputError (the CLI's exit 2), which the harness
// swallows; anything else escaping (std::terminate), a crash, a sanitizer
// report, a timeout or running out of memory is a finding.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace fuzz {

// A file holding the current input, for readers that take a path (the CLI
// passes paths). An anonymous memory file, so nothing is left on disk; its
// path is /proc/self/fd/N.
class InputFile {
 public:
  InputFile() : fd_(memfd_create("npusim-fuzz", 0)) {
    if (fd_ < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  const std::string& path() const { return path_; }

  // Replaces the contents with data[0, size); returns the path.
  const std::string& write(const uint8_t* data, size_t size) {
    if (ftruncate(fd_, 0) != 0 || (size && pwrite(fd_, data, size, 0) != ssize_t(size))) {
      std::perror("writing the fuzz input");
      std::abort();
    }
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

// A broken invariant: say which, and crash so libFuzzer keeps the input.
[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz: %s\n", what.c_str());
  std::abort();
}

}  // namespace fuzz
