#include "tools/cli/outputs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "sim/file_io.h"

namespace cli {

namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& flag, const std::string& path, const std::string& reason) {
  throw sim::FileError("cannot write " + flag + " " + path + ": " + reason + " (checked before the run)");
}

}  // namespace

void check_output_file(const std::string& flag, const std::string& path) {
  if (path.empty()) fail(flag, "''", "an empty path");
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) fail(flag, path, std::strerror(EISDIR));
    if (!S_ISREG(st.st_mode)) return;  // a pipe or a device: the writer reports what it finds
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) fail(flag, path, std::strerror(errno));
    ::close(fd);
    return;
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0666);
  if (fd < 0) fail(flag, path, std::strerror(errno));
  ::close(fd);
  ::unlink(path.c_str());
}

void check_output_dir(const std::string& flag, const std::string& dir) {
  if (dir.empty()) fail(flag, "''", "an empty path");
  std::error_code ec;
  // The directories that do not exist yet, deepest first: created for the
  // check as the writer would, removed after it.
  std::vector<fs::path> missing;
  for (fs::path p = fs::absolute(dir, ec).lexically_normal(); !p.empty(); p = p.parent_path()) {
    if (fs::exists(fs::symlink_status(p, ec))) break;
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  auto cleanup = [&] {
    for (const fs::path& p : missing) fs::remove(p, ec);  // only if still empty
  };
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir)) {
    const std::string why = ec ? ec.message() : "not a directory";
    cleanup();
    fail(flag, dir, why);
  }
  std::string probe = (fs::path(dir) / ".npusim-write-check-XXXXXX").string();
  const int fd = ::mkstemp(probe.data());
  const int err = errno;
  if (fd >= 0) {
    ::close(fd);
    ::unlink(probe.c_str());
  }
  cleanup();
  if (fd < 0) fail(flag, dir, std::strerror(err));
}

}  // namespace cli
