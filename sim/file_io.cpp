#include "sim/file_io.h"

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <filesystem>

namespace sim {

namespace {

namespace fs = std::filesystem;

std::string reason(int err) { return std::strerror(err ? err : EIO); }

std::string cannot_read(const std::string& path, const std::string& kind, int err) {
  return "cannot read " + kind + " file " + path + ": " + reason(err);
}

}  // namespace

void check_input_file(const std::string& path, const std::string& kind) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (fs::is_directory(st)) throw FileError(path + " is a directory (expected a " + kind + " file)");
  // A device (/dev/zero, /dev/full) reads forever or not at all.
  if (fs::is_character_file(st) || fs::is_block_file(st) || fs::is_socket(st))
    throw FileError(path + " is a device, not a " + kind + " file");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw FileError(cannot_read(path, kind, errno));
  std::fclose(f);
}

std::string read_file(const std::string& path, const std::string& kind) {
  check_input_file(path, kind);
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw FileError(cannot_read(path, kind, errno));
  std::string out;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const int err = errno;
  const bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad) throw FileError(cannot_read(path, kind, err));
  return out;
}

OutFile::OutFile(const std::string& path, const std::string& what) : path_(path), what_(what) {
  f_ = std::fopen(path.c_str(), "wb");
  if (!f_) fail(errno);
}

OutFile::~OutFile() {
  if (f_) std::fclose(f_);
}

void OutFile::fail(int err) {
  if (f_) std::fclose(f_);
  f_ = nullptr;
  throw FileError("cannot write " + (what_.empty() ? path_ : what_ + " " + path_) + ": " + reason(err));
}

void OutFile::write(const void* data, size_t bytes) {
  if (!f_) fail(EBADF);
  if (bytes && std::fwrite(data, 1, bytes, f_) != bytes) fail(errno);
}

void OutFile::printf(const char* fmt, ...) {
  if (!f_) fail(EBADF);
  va_list ap;
  va_start(ap, fmt);
  const int n = std::vfprintf(f_, fmt, ap);
  va_end(ap);
  if (n < 0) fail(errno);
}

void OutFile::close() {
  if (!f_) fail(EBADF);
  if (std::fflush(f_) != 0 || std::ferror(f_)) fail(errno);
  std::FILE* f = f_;
  f_ = nullptr;
  if (std::fclose(f) != 0) fail(errno);
}

void write_file(const std::string& path, std::string_view content, const std::string& what) {
  OutFile f(path, what);
  f.write(content);
  f.close();
}

}  // namespace sim
