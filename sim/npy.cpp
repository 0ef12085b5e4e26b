#include "sim/npy.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "sim/file_io.h"
#include "sim/functional.h"
#include "sim/numerics.h"

namespace sim {

namespace {
// Elements of a shape: 0 when a dimension is 0 (however large the others),
// else the product, which must fit int64 (NpyError otherwise).
int64_t shape_elems(const std::vector<int64_t>& shape) {
  for (int64_t d : shape)
    if (d == 0) return 0;
  int64_t n = 1;
  for (int64_t d : shape)
    if (d < 0 || __builtin_mul_overflow(n, d, &n))
      throw NpyError("shape " + npy_shape_string(shape) + " has more elements than an int64 holds");
  return n;
}
}  // namespace

namespace {

static_assert(sizeof(float) == 4 && sizeof(int32_t) == 4, "npy I/O assumes 4-byte float and int32");

bool little_endian_host() {
  const uint16_t x = 1;
  uint8_t b;
  std::memcpy(&b, &x, 1);
  return b == 1;
}

const char kMagic[] = "\x93NUMPY";

// A tiny parser for the header's Python dict literal.
class HeaderParser {
 public:
  HeaderParser(const std::string& path, const std::string& text) : path_(path), s_(text) {}

  void parse(std::string& descr, bool& fortran, std::vector<int64_t>& shape) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    ws();
    expect('{');
    while (true) {
      ws();
      if (peek() == '}') break;
      const std::string key = str();
      ws();
      expect(':');
      ws();
      if (key == "descr") {
        descr = str();
        have_descr = true;
      } else if (key == "fortran_order") {
        fortran = boolean();
        have_fortran = true;
      } else if (key == "shape") {
        shape = tuple();
        have_shape = true;
      } else {
        fail("unexpected key '" + key + "'");
      }
      ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      if (peek() == '}') break;
      fail("expected ',' or '}'");
    }
    if (!have_descr) fail("no 'descr'");
    if (!have_fortran) fail("no 'fortran_order'");
    if (!have_shape) fail("no 'shape'");
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw NpyError(path_ + ": bad header (" + what + " at column " + std::to_string(i_) + "): " + s_);
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  std::string str() {
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected a string");
    const size_t end = s_.find(q, i_ + 1);
    if (end == std::string::npos) fail("unterminated string");
    std::string out = s_.substr(i_ + 1, end - i_ - 1);
    i_ = end + 1;
    return out;
  }
  bool boolean() {
    if (s_.compare(i_, 4, "True") == 0) {
      i_ += 4;
      return true;
    }
    if (s_.compare(i_, 5, "False") == 0) {
      i_ += 5;
      return false;
    }
    fail("expected True or False");
  }
  std::vector<int64_t> tuple() {
    expect('(');
    std::vector<int64_t> out;
    while (true) {
      ws();
      if (peek() == ')') break;
      if (peek() < '0' || peek() > '9') fail("expected a dimension");
      int64_t v = 0;
      while (peek() >= '0' && peek() <= '9') {
        if (v > (int64_t(1) << 50)) fail("dimension too large");
        v = v * 10 + (s_[i_++] - '0');
      }
      if (peek() == 'L') ++i_;  // Python 2 longs
      out.push_back(v);
      ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      if (peek() != ')') fail("expected ',' or ')'");
    }
    ++i_;
    return out;
  }

  const std::string& path_;
  std::string s_;
  size_t i_ = 0;
};

template <class T>
void write_impl(const std::string& path, const std::vector<int64_t>& shape, const T* data, const char* descr,
                int version) {
  if (!little_endian_host()) throw NpyError(path + ": writing .npy needs a little-endian host");
  if (version != 1 && version != 2) throw NpyError(path + ": cannot write format version " + std::to_string(version));
  std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " +
                     npy_shape_string(shape) + ", }";
  const size_t prefix = 6 + 2 + (version == 1 ? 2 : 4);
  size_t total = prefix + dict.size() + 1;  // + '\n'
  const size_t pad = (64 - total % 64) % 64;
  dict.append(pad, ' ');
  dict.push_back('\n');
  if (version == 1 && dict.size() > 65535) return write_impl(path, shape, data, descr, 2);
  const int64_t n = shape_elems(shape);

  OutFile f(path, "");
  f.write(kMagic, 6);
  const char ver[2] = {char(version), 0};
  f.write(ver, 2);
  if (version == 1) {
    const uint16_t len = uint16_t(dict.size());
    f.write(&len, 2);
  } else {
    const uint32_t len = uint32_t(dict.size());
    f.write(&len, 4);
  }
  f.write(dict);
  f.write(data, size_t(n) * sizeof(T));
  f.close();
}

std::string tensor_shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t fnv1a64(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace

int64_t NpyArray::elems() const { return shape_elems(shape); }

std::string npy_shape_string(const std::vector<int64_t>& shape) {
  if (shape.size() == 1) return "(" + std::to_string(shape[0]) + ",)";
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

NpyArray read_npy(const std::string& path) {
  namespace fs = std::filesystem;
  if (!little_endian_host()) throw NpyError(path + ": reading .npy needs a little-endian host");
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw NpyError(path + " is a directory (expected a .npy file)");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw NpyError(path + ": cannot open: " + std::strerror(errno));
  // Every size the header announces is checked against the file's size
  // before anything is allocated.
  if (!fs::is_regular_file(path, ec)) throw NpyError(path + ": not a regular file");
  const uint64_t file_bytes = fs::file_size(path, ec);
  if (ec) throw NpyError(path + ": cannot read: " + ec.message());
  char magic[6] = {};
  f.read(magic, 6);
  if (f.gcount() != 6 || std::memcmp(magic, kMagic, 6) != 0)
    throw NpyError(path + ": bad magic (not a .npy file)");
  unsigned char ver[2] = {};
  f.read(reinterpret_cast<char*>(ver), 2);
  if (f.gcount() != 2) throw NpyError(path + ": truncated header");
  if (ver[0] < 1 || ver[0] > 3)
    throw NpyError(path + ": unsupported format version " + std::to_string(ver[0]) + "." +
                   std::to_string(ver[1]) + " (supported: 1.0, 2.0, 3.0)");
  uint32_t hlen = 0;
  unsigned char lb[4] = {};
  const int lbytes = ver[0] == 1 ? 2 : 4;
  f.read(reinterpret_cast<char*>(lb), lbytes);
  if (f.gcount() != lbytes) throw NpyError(path + ": truncated header");
  for (int i = lbytes - 1; i >= 0; --i) hlen = (hlen << 8) | lb[i];
  const uint64_t header_at = 8 + uint64_t(lbytes);
  const uint64_t header_present = file_bytes > header_at ? file_bytes - header_at : 0;
  if (hlen > header_present)
    throw NpyError(path + ": truncated header (" + std::to_string(hlen) + " bytes announced, " +
                   std::to_string(header_present) + " present)");
  std::string header(hlen, '\0');
  f.read(header.data(), hlen);
  if (uint32_t(f.gcount()) != hlen)
    throw NpyError(path + ": truncated header (" + std::to_string(hlen) + " bytes announced, " +
                   std::to_string(f.gcount()) + " present)");

  NpyArray a;
  bool fortran = false;
  HeaderParser(path, header).parse(a.descr, fortran, a.shape);
  if (fortran) throw NpyError(path + ": fortran_order True is not supported (C order only)");
  size_t item = 0;
  if (a.descr == "<f4" || a.descr == "<i4") {
    item = 4;
  } else if (a.descr == "<u2") {
    item = 2;
  } else {
    throw NpyError(path + ": unsupported dtype '" + a.descr +
                   "' (supported: '<f4' float32, '<i4' int32, '<u2' bf16 bit patterns)");
  }
  // bytes = item * prod(shape), checked: the product of the dims can exceed
  // 2^63 (a zero dim makes it 0 whatever the others are).
  uint64_t bytes = item;
  bool overflow = false;
  for (int64_t d : a.shape) {
    if (d == 0) {
      bytes = 0;
      overflow = false;
      break;
    }
    if (!overflow && __builtin_mul_overflow(bytes, uint64_t(d), &bytes)) overflow = true;
  }
  if (bytes > uint64_t(INT64_MAX)) overflow = true;
  const uint64_t data_at = header_at + hlen;
  const uint64_t present = file_bytes - data_at;
  const std::string needs = "shape " + npy_shape_string(a.shape) + " of '" + a.descr + "' needs ";
  if (overflow)
    throw NpyError(path + ": " + needs + "more than 2^63 bytes, the file has " + std::to_string(present));
  if (present < bytes)
    throw NpyError(path + ": truncated data: " + needs + std::to_string(bytes) + " bytes, the file has " +
                   std::to_string(present));
  if (present > bytes)
    throw NpyError(path + ": unexpected bytes after the " + std::to_string(bytes) + " bytes of data");
  const size_t n = size_t(bytes / item);
  char* dst;
  if (a.descr == "<f4") {
    a.f32.resize(n);
    dst = reinterpret_cast<char*>(a.f32.data());
  } else if (a.descr == "<i4") {
    a.i32.resize(n);
    dst = reinterpret_cast<char*>(a.i32.data());
  } else {
    a.u16.resize(n);
    dst = reinterpret_cast<char*>(a.u16.data());
  }
  f.read(dst, std::streamsize(bytes));
  const uint64_t got = uint64_t(f.gcount());
  if (got != bytes)  // the file shrank while we read it
    throw NpyError(path + ": truncated data: " + needs + std::to_string(bytes) + " bytes, could read " +
                   std::to_string(got));
  return a;
}

void write_npy(const std::string& path, const std::vector<int64_t>& shape, const float* data, int version) {
  write_impl(path, shape, data, "<f4", version);
}

void write_npy(const std::string& path, const std::vector<int64_t>& shape, const int32_t* data,
               int version) {
  write_impl(path, shape, data, "<i4", version);
}

void generate_input(FunctionalState& state, const isa::Program& program, uint32_t tensor, uint64_t seed) {
  const isa::Tensor& t = program.tensors.at(tensor);
  const size_t n = size_t(t.elems());
  if (t.dtype == isa::DType::INT32) {
    std::vector<int32_t> v(n, 0);
    if (t.init.size() == n) v = t.init;
    state.set_int(tensor, v);
    return;
  }
  std::vector<float> v(n);
  const std::string& name = t.name;
  if (t.role == isa::InputRole::RopeCos || t.role == isa::InputRole::RopeSin) {
    const int64_t d = t.shape.empty() ? 1 : t.shape.back();
    const int64_t half = std::max<int64_t>(d / 2, 1);
    const bool is_cos = t.role == isa::InputRole::RopeCos;
    for (size_t i = 0; i < n; ++i) {
      const int64_t p = int64_t(i) / d, j = int64_t(i) % d;
      const double inv_freq = std::pow(1e6, -2.0 * double(j % half) / double(d));
      const double angle = double(p) * inv_freq;
      v[i] = float(is_cos ? std::cos(angle) : std::sin(angle));
    }
    state.set_float(tensor, v);
    return;
  }
  std::mt19937_64 rng(splitmix64(seed ^ splitmix64(fnv1a64(name))));
  double scale = 1.0, bias = 0.0;
  if (t.role == isa::InputRole::Weight) {
    const int64_t fan_in = t.shape.size() >= 2 ? t.shape[0] : int64_t(n);
    scale = 2.0 / std::sqrt(double(std::max<int64_t>(fan_in, 1)));
  } else if (t.role == isa::InputRole::Gain) {
    scale = 0.2;
    bias = 1.0;
  } else if (t.role == isa::InputRole::Cache) {
    scale = 2.0;
  }
  for (size_t i = 0; i < n; ++i) {
    const double u = double(rng() >> 40) * (1.0 / 16777216.0) - 0.5;
    v[i] = float(bias + scale * u);
  }
  state.set_float(tensor, v);
}

InputsReport load_inputs(FunctionalState& state, const isa::Program& program, const std::string& dir,
                         uint64_t seed) {
  namespace fs = std::filesystem;
  InputsReport report;
  if (!dir.empty() && !fs::is_directory(dir)) throw NpyError(dir + ": inputs directory does not exist");
  for (uint32_t i = 0; i < program.tensors.size(); ++i) {
    const isa::Tensor& t = program.tensors[i];
    if (t.kind != isa::TensorKind::In && t.kind != isa::TensorKind::InOut) continue;
    const std::string path = dir.empty() ? std::string() : (fs::path(dir) / (t.name + ".npy")).string();
    if (path.empty() || !fs::exists(path)) {
      generate_input(state, program, i, seed);
      report.generated.push_back(t.name);
      continue;
    }
    NpyArray a = read_npy(path);
    const bool same = a.shape == t.shape ||
                      ((a.shape.size() == 1 || t.shape.size() == 1) && a.elems() == t.elems());
    if (!same)
      throw NpyError(path + ": shape " + npy_shape_string(a.shape) + " does not match tensor " + t.name +
                     " " + tensor_shape_string(t.shape));
    const char* want = t.dtype == isa::DType::INT32 ? "'<i4'"
                       : t.dtype == isa::DType::BF16 ? "'<f4' or '<u2' (bf16 bits)"
                                                      : "'<f4'";
    const bool ok = t.dtype == isa::DType::INT32 ? a.descr == "<i4"
                    : a.descr == "<f4" || (a.descr == "<u2" && t.dtype == isa::DType::BF16);
    if (!ok)
      throw NpyError(path + ": dtype '" + a.descr + "' does not match tensor " + t.name + " (" +
                     isa::to_string(t.dtype) + ": expects " + want + ")");
    if (a.descr == "<i4") {
      state.set_int(i, a.i32);
    } else if (a.descr == "<f4") {
      state.set_float(i, a.f32);
    } else {
      std::vector<float> v(a.u16.size());
      for (size_t k = 0; k < v.size(); ++k) v[k] = num::bf16_bits_to_f32(a.u16[k]);
      state.set_float(i, v);
    }
    report.loaded.push_back(t.name);
  }
  return report;
}

void dump_tensors(const FunctionalState& state, const isa::Program& program, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir))
    throw NpyError(dir + ": cannot create the dump directory" + (ec ? ": " + ec.message() : std::string()));
  for (uint32_t i = 0; i < program.tensors.size(); ++i) {
    const isa::Tensor& t = program.tensors[i];
    const std::string path = (fs::path(dir) / (t.name + ".npy")).string();
    if (t.dtype == isa::DType::INT32)
      write_npy(path, t.shape, state.int_data(i));
    else
      write_npy(path, t.shape, state.float_data(i));
  }
}

}  // namespace sim
