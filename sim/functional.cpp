#include "sim/functional.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "sim/numerics.h"

namespace sim {

using isa::DType;
using isa::Op;
using isa::Space;

namespace {

// The cube core's buffers, which its group's vector cores reach too (L0C ->
// UB, UB -> L1); a vector core has only its UB of its own.
bool cube_owned(Space s) { return s == Space::L0C || s == Space::L1; }

float binop(uint8_t sub, float x, float y) {
  switch (isa::BinOp(sub)) {
    case isa::BinOp::ADD: return x + y;
    case isa::BinOp::SUB: return x - y;
    case isa::BinOp::MUL: return x * y;
    case isa::BinOp::DIV: return x / y;
    case isa::BinOp::MAX: return y > x ? y : x;
    case isa::BinOp::MIN: return y < x ? y : x;
  }
  return x;
}

float unop(uint8_t sub, float x) {
  switch (isa::UnOp(sub)) {
    case isa::UnOp::EXP: return std::exp(x);
    case isa::UnOp::SQRT: return std::sqrt(x);
    case isa::UnOp::RECIP: return 1.0f / x;
    case isa::UnOp::NEG: return -x;
    case isa::UnOp::ABS: return std::fabs(x);
    case isa::UnOp::LOG: return std::log(x);
    case isa::UnOp::RELU: return x > 0.0f ? x : 0.0f;  // max(x, 0); NaN gives 0, as IEEE maxNum
  }
  return x;
}

// The shape an instruction works on: the valid region.
std::string shape(const isa::Tile& t) { return std::to_string(t.vrows()) + "x" + std::to_string(t.vcols()); }

}  // namespace

FunctionalState::FunctionalState(const isa::Program& program, const HwConfig& hw)
    : program_(program), hw_(hw), cores_per_group_(1 + hw.vector_cores) {
  gm_.resize(program.tensors.size());
  for (size_t i = 0; i < program.tensors.size(); ++i) {
    const isa::Tensor& t = program.tensors[i];
    const int64_t n = t.elems();
    if (n < 0) throw SimError("functional: tensor '" + t.name + "' has a negative size");
    if (t.dtype == DType::INT32) {
      gm_[i].i.assign(size_t(n), 0);
      if (int64_t(t.init.size()) == n) gm_[i].i = t.init;
    } else {
      gm_[i].f.assign(size_t(n), 0.0f);
    }
  }
  cores_.resize(size_t(hw.core_groups) * cores_per_group_);
}

uint64_t FunctionalState::memory_bytes(const isa::Program& program, const HwConfig& hw) {
  uint64_t bytes = 0;
  for (const isa::Tensor& t : program.tensors) bytes += uint64_t(t.elems()) * 4;  // fp32 or int32 each
  const HwConfig::Buffers& b = hw.buffers;
  const uint64_t per_group = uint64_t(b.l1) + b.l0a + b.l0b + b.l0c + uint64_t(hw.vector_cores) * b.ub;
  return bytes + per_group * hw.core_groups;
}

std::string FunctionalState::where(uint32_t group, uint32_t core, const isa::Instr* in) const {
  std::ostringstream os;
  os << "functional: group " << group << " "
     << (core == 0 ? std::string("cube") : "vec" + std::to_string(core - 1));
  if (in) {
    os << " " << isa::mnemonic(*in);
    if (in->site < program_.sites.size()) os << " at '" << program_.sites[in->site] << "'";
  }
  return os.str();
}

FunctionalState::Core& FunctionalState::core_at(uint32_t group, uint32_t core, const char* what) {
  if (group >= hw_.core_groups || core >= cores_per_group_)
    throw SimError(std::string("functional: ") + what + ": core group " + std::to_string(group) +
                   " core " + std::to_string(core) + " does not exist (" +
                   std::to_string(hw_.core_groups) + " groups of " + std::to_string(cores_per_group_) +
                   " cores)");
  return cores_[size_t(group) * cores_per_group_ + core];
}

const FunctionalState::Core* FunctionalState::core_if(uint32_t group, uint32_t core) const {
  if (group >= hw_.core_groups || core >= cores_per_group_) return nullptr;
  return &cores_[size_t(group) * cores_per_group_ + core];
}

uint8_t* FunctionalState::buffer(uint32_t group, uint32_t core, Space s) {
  if (s == Space::GM || int(s) >= isa::kNumSpaces)
    throw SimError(std::string("functional: ") + isa::to_string(s) + " is not a local buffer");
  Core& c = core_at(group, cube_owned(s) ? 0 : core, "buffer");  // L0C, L1: the cube core's
  auto& b = c.buf[int(s)];
  if (!b) b.reset(new uint8_t[hw_.buffers.capacity(s)]());
  return b.get();
}

uint8_t* FunctionalState::tile_ptr(Core& c, const isa::Tile& t, const char* role, const isa::Instr* in,
                                   uint64_t bytes) {
  if (t.space == Space::GM || int(t.space) >= isa::kNumSpaces)
    throw SimError(where(cur_group_, cur_core_, in) + ": " + role + " tile is not in a local buffer");
  if (t.rows == 0 || t.cols == 0 || t.vrows() > t.rows || t.vcols() > t.cols)
    throw SimError(where(cur_group_, cur_core_, in) + ": " + role + " tile has an empty shape or a valid " +
                   "region larger than its " + std::to_string(t.rows) + "x" + std::to_string(t.cols));
  if (!bytes) bytes = t.footprint();
  const uint32_t cap = hw_.buffers.capacity(t.space);
  if (uint64_t(t.offset) + bytes > cap) {
    std::ostringstream os;
    os << where(cur_group_, cur_core_, in) << ": " << role << " tile " << isa::to_string(t.space) << "["
       << t.offset << ", " << uint64_t(t.offset) + bytes << ") exceeds the "
       << isa::to_string(t.space) << " capacity of " << cap << " B";
    throw SimError(os.str());
  }
  // L0C and L1 are the cube core's: a vector core reads L0C (the L0C -> UB
  // path) and writes L1 (UB -> L1) there; SIGNAL / WAIT order its access with
  // the cube's.
  Core& owner = cube_owned(t.space) ? core_at(cur_group_, 0, isa::to_string(t.space)) : c;
  auto& b = owner.buf[int(t.space)];
  if (!b) b.reset(new uint8_t[cap]());
  return b.get() + t.offset;
}

void FunctionalState::check_gm(const isa::Instr& in, uint32_t tensor, int64_t off) const {
  const isa::GmView& v = in.gm;
  if (tensor >= program_.tensors.size())
    throw SimError(where(cur_group_, cur_core_, &in) + ": GM tensor index " + std::to_string(tensor) +
                   " out of range");
  const isa::Tensor& t = program_.tensors[tensor];
  const int64_t last = off + v.span();
  if (off < 0 || last > t.elems()) {
    std::ostringstream os;
    os << where(cur_group_, cur_core_, &in) << ": GM access out of bounds of '" << t.name << "' ("
       << t.elems() << " elements): elements [" << off << ", " << last << ")";
    throw SimError(os.str());
  }
}

void FunctionalState::load(const uint8_t* p, const isa::Tile& t, std::vector<float>& out) const {
  const uint32_t vr = t.vrows(), vc = t.vcols(), eb = isa::dtype_bytes(t.dtype);
  out.resize(size_t(vr) * vc);
  for (uint32_t r = 0; r < vr; ++r) {
    const uint8_t* row = p + size_t(r) * t.cols * eb;
    float* o = &out[size_t(r) * vc];
    switch (t.dtype) {
      case DType::FP32: std::memcpy(o, row, size_t(vc) * 4); break;
      case DType::BF16:
        for (uint32_t c = 0; c < vc; ++c) {
          uint16_t h;
          std::memcpy(&h, row + 2 * size_t(c), 2);
          o[c] = num::bf16_bits_to_f32(h);
        }
        break;
      default:
        for (uint32_t c = 0; c < vc; ++c) o[c] = num::load_elem(row + size_t(c) * eb, t.dtype);
    }
  }
}

void FunctionalState::store(uint8_t* p, const isa::Tile& t, const std::vector<float>& v) const {
  const uint32_t vr = t.vrows(), vc = t.vcols(), eb = isa::dtype_bytes(t.dtype);
  for (uint32_t r = 0; r < vr; ++r) {
    uint8_t* row = p + size_t(r) * t.cols * eb;
    const float* in = &v[size_t(r) * vc];
    if (t.dtype == DType::FP32)
      std::memcpy(row, in, size_t(vc) * 4);
    else
      for (uint32_t c = 0; c < vc; ++c) num::store_elem(row + size_t(c) * eb, t.dtype, in[c]);
  }
}

void FunctionalState::tload(uint8_t* dst, const isa::Tile& t, uint32_t tensor, const isa::GmView& v, int64_t off) {
  const GmData& g = gm_[tensor];
  const bool gm_int = program_.tensors[tensor].dtype == DType::INT32;
  const uint32_t eb = isa::dtype_bytes(t.dtype);
  const uint32_t rows = std::max<uint32_t>(v.rows, 1);
  for (uint32_t r = 0; r < rows; ++r) {
    const size_t src = size_t(off + int64_t(r) * v.row_stride);
    uint8_t* row = dst + size_t(r) * t.cols * eb;
    if (!gm_int && t.dtype == DType::FP32) {
      std::memcpy(row, &g.f[src], size_t(v.cols) * 4);
    } else if (gm_int && t.dtype == DType::INT32) {
      std::memcpy(row, &g.i[src], size_t(v.cols) * 4);
    } else {
      for (uint32_t c = 0; c < v.cols; ++c)
        num::store_elem(row + size_t(c) * eb, t.dtype, gm_int ? float(g.i[src + c]) : g.f[src + c]);
    }
  }
}

void FunctionalState::tstore(const uint8_t* src, const isa::Tile& t, uint32_t tensor, const isa::GmView& v,
                             int64_t off, bool add) {
  GmData& g = gm_[tensor];
  const DType gt = program_.tensors[tensor].dtype;
  const uint32_t eb = isa::dtype_bytes(t.dtype);
  const uint32_t rows = std::max<uint32_t>(v.rows, 1);
  for (uint32_t r = 0; r < rows; ++r) {
    const size_t dst = size_t(off + int64_t(r) * v.row_stride);
    const uint8_t* row = src + size_t(r) * t.cols * eb;
    if (add) {  // in fp32, rounded to the tensor's dtype; int32 into int32 as integers (wrapping)
      for (uint32_t c = 0; c < v.cols; ++c) {
        if (gt == DType::INT32 && t.dtype == DType::INT32) {  // exactly, not through fp32
          int32_t x;
          std::memcpy(&x, row + size_t(c) * 4, 4);
          g.i[dst + c] = int32_t(uint32_t(g.i[dst + c]) + uint32_t(x));
          continue;
        }
        const float x = num::load_elem(row + size_t(c) * eb, t.dtype);
        if (gt == DType::INT32)
          g.i[dst + c] = int32_t(uint32_t(g.i[dst + c]) + uint32_t(num::f32_to_i32(x)));
        else
          g.f[dst + c] = num::round_to(g.f[dst + c] + x, gt);
      }
    } else if (gt == DType::INT32 && t.dtype == DType::INT32) {
      std::memcpy(&g.i[dst], row, size_t(v.cols) * 4);
    } else if (gt == DType::INT32) {
      for (uint32_t c = 0; c < v.cols; ++c) g.i[dst + c] = num::f32_to_i32(num::load_elem(row + size_t(c) * eb, t.dtype));
    } else if (gt == DType::FP32 || gt == t.dtype) {  // no rounding needed
      for (uint32_t c = 0; c < v.cols; ++c) g.f[dst + c] = num::load_elem(row + size_t(c) * eb, t.dtype);
    } else {
      for (uint32_t c = 0; c < v.cols; ++c)
        g.f[dst + c] = num::round_to(num::load_elem(row + size_t(c) * eb, t.dtype), gt);
    }
  }
}

void FunctionalState::matmul(Core& c, const isa::Instr& in) {
  const bool tb = in.flags & isa::kTransposeB;
  const uint32_t m = in.a.vrows(), k = in.a.vcols();
  const uint32_t bk = tb ? in.b.vcols() : in.b.vrows(), n = tb ? in.b.vrows() : in.b.vcols();
  if (bk != k || in.dst.vrows() != m || in.dst.vcols() != n)
    throw SimError(where(cur_group_, cur_core_, &in) + ": a is " + shape(in.a) + ", b is " + shape(in.b) +
                   (tb ? " (transposed)" : "") + ", dst is " + shape(in.dst) + ": shapes do not agree");
  load(tile_ptr(c, in.a, "A", &in), in.a, sa_);
  load(tile_ptr(c, in.b, "B", &in), in.b, sb_);
  uint8_t* dp = tile_ptr(c, in.dst, "dst", &in);
  if (tb) {  // b is N x K: make it K x N
    sd_.resize(size_t(k) * n);
    for (uint32_t j = 0; j < n; ++j)
      for (uint32_t q = 0; q < k; ++q) sd_[size_t(q) * n + j] = sb_[size_t(j) * k + q];
    sb_.swap(sd_);
  }
  if (in.flags & isa::kAccumulate) {
    load(dp, in.dst, sd_);
  } else {
    sd_.assign(size_t(m) * n, 0.0f);
  }
  for (uint32_t i = 0; i < m; ++i) {
    float* acc = &sd_[size_t(i) * n];
    const float* arow = &sa_[size_t(i) * k];
    for (uint32_t q = 0; q < k; ++q) {
      const float x = arow[q];
      const float* brow = &sb_[size_t(q) * n];
      for (uint32_t j = 0; j < n; ++j) acc[j] += x * brow[j];
    }
  }
  store(dp, in.dst, sd_);
}

void FunctionalState::vector_op(Core& c, const isa::Instr& in) {
  const isa::Tile& d = in.dst;
  const uint32_t dr = d.vrows(), dc = d.vcols();
  const size_t n = size_t(dr) * dc;
  auto same_elems = [&](const isa::Tile& t, const char* role) {
    if (t.vrows() != dr || t.vcols() != dc)
      throw SimError(where(cur_group_, cur_core_, &in) + ": " + role + " is " + shape(t) +
                     " but dst is " + shape(d));
  };
  auto bad_sub = [&]() {
    throw SimError(where(cur_group_, cur_core_, &in) + ": sub " + std::to_string(in.sub) + " is not valid");
  };
  switch (in.op) {
    case Op::VBIN: {
      if (in.sub > uint8_t(isa::BinOp::MIN)) bad_sub();
      same_elems(in.a, "a");
      same_elems(in.b, "b");
      load(tile_ptr(c, in.a, "a", &in), in.a, sa_);
      load(tile_ptr(c, in.b, "b", &in), in.b, sb_);
      for (size_t i = 0; i < n; ++i) sa_[i] = binop(in.sub, sa_[i], sb_[i]);
      store(tile_ptr(c, d, "dst", &in), d, sa_);
      return;
    }
    case Op::VBINS:
    case Op::VUNARY:
    case Op::VCAST: {
      if (in.op == Op::VBINS && in.sub > uint8_t(isa::BinOp::MIN)) bad_sub();
      if (in.op == Op::VUNARY && in.sub > uint8_t(isa::UnOp::RELU)) bad_sub();
      if (in.op == Op::VCAST && in.sub > uint8_t(isa::RoundMode::ODD)) bad_sub();
      same_elems(in.a, "a");
      if (in.op == Op::VCAST && in.a.dtype == DType::INT32) {  // from the exact integers, not through fp32
        const uint8_t* src = tile_ptr(c, in.a, "a", &in);
        uint8_t* dp = tile_ptr(c, d, "dst", &in);
        std::vector<int32_t> iv(n);
        for (uint32_t r = 0; r < dr; ++r) std::memcpy(&iv[size_t(r) * dc], src + size_t(r) * in.a.cols * 4, size_t(dc) * 4);
        if (d.dtype == DType::INT32) {
          for (uint32_t r = 0; r < dr; ++r) std::memcpy(dp + size_t(r) * d.cols * 4, &iv[size_t(r) * dc], size_t(dc) * 4);
          return;
        }
        sa_.resize(n);
        for (size_t i = 0; i < n; ++i) sa_[i] = num::round_int_to(iv[i], d.dtype, isa::RoundMode(in.sub));
        store(dp, d, sa_);
        return;
      }
      load(tile_ptr(c, in.a, "a", &in), in.a, sa_);
      if (in.op == Op::VBINS)
        for (size_t i = 0; i < n; ++i) sa_[i] = binop(in.sub, sa_[i], in.imm);
      else if (in.op == Op::VUNARY)
        for (size_t i = 0; i < n; ++i) sa_[i] = unop(in.sub, sa_[i]);
      else if (in.sub != uint8_t(isa::RoundMode::RINT))  // the store rounds to nearest even; first, the mode
        for (size_t i = 0; i < n; ++i) sa_[i] = num::round_to(sa_[i], d.dtype, isa::RoundMode(in.sub));
      store(tile_ptr(c, d, "dst", &in), d, sa_);
      return;
    }
    case Op::VFILL:
      sa_.assign(n, in.imm);
      store(tile_ptr(c, d, "dst", &in), d, sa_);
      return;
    case Op::VCI: {  // row 0 of the valid cols, as pto-isa's TCI (it does not read the valid rows)
      uint8_t* p = tile_ptr(c, d, "dst", &in);
      const int64_t step = in.flags & isa::kDescending ? -1 : 1;
      for (uint32_t col = 0; col < dc; ++col)
        num::store_elem(p + size_t(col) * isa::dtype_bytes(d.dtype), d.dtype, float(int64_t(in.imm) + step * col));
      return;
    }
    case Op::VFILLPAD: {  // the one op that writes outside the valid region
      uint8_t* p = tile_ptr(c, d, "dst", &in, d.bytes());
      const uint32_t eb = isa::dtype_bytes(d.dtype);
      for (uint32_t r = 0; r < d.rows; ++r)
        for (uint32_t col = (r < dr ? dc : 0); col < d.cols; ++col)
          num::store_elem(p + (size_t(r) * d.cols + col) * eb, d.dtype, in.imm);
      return;
    }
    case Op::VROWRED: {
      if (in.sub > uint8_t(isa::RedOp::MIN)) bad_sub();
      if (dr != in.a.vrows() || dc != 1)
        throw SimError(where(cur_group_, cur_core_, &in) + ": dst is " + shape(d) + " but a is " +
                       shape(in.a) + " (dst must be a's rows x 1)");
      load(tile_ptr(c, in.a, "a", &in), in.a, sa_);
      sd_.resize(dr);
      const uint32_t vc = in.a.vcols();
      for (uint32_t r = 0; r < dr; ++r) {
        const float* row = &sa_[size_t(r) * vc];
        float acc = vc ? row[0] : 0.0f;
        if (in.sub == uint8_t(isa::RedOp::SUM))
          for (uint32_t col = 1; col < vc; ++col) acc += row[col];
        else
          for (uint32_t col = 1; col < vc; ++col)
            acc = binop(uint8_t(in.sub == uint8_t(isa::RedOp::MAX) ? isa::BinOp::MAX : isa::BinOp::MIN), acc, row[col]);
        sd_[r] = acc;
      }
      store(tile_ptr(c, d, "dst", &in), d, sd_);
      return;
    }
    case Op::VROWEXP:
    case Op::VCOLEXP: {
      if (in.sub > uint8_t(isa::BinOp::MIN)) bad_sub();
      same_elems(in.a, "a");
      const bool row = in.op == Op::VROWEXP;
      if (row ? (in.b.vrows() != dr || in.b.vcols() != 1) : (in.b.vcols() != dc || in.b.vrows() != 1))
        throw SimError(where(cur_group_, cur_core_, &in) + ": b is " + shape(in.b) + " but must be " +
                       (row ? std::to_string(dr) + "x1" : "1x" + std::to_string(dc)));
      load(tile_ptr(c, in.a, "a", &in), in.a, sa_);
      load(tile_ptr(c, in.b, "b", &in), in.b, sb_);
      for (uint32_t r = 0; r < dr; ++r)
        for (uint32_t col = 0; col < dc; ++col) {
          const size_t i = size_t(r) * dc + col;
          sa_[i] = binop(in.sub, sa_[i], row ? sb_[r] : sb_[col]);
        }
      store(tile_ptr(c, d, "dst", &in), d, sa_);
      return;
    }
    case Op::VROWEXPAND: {  // dst[r,c] = a[r,0]
      load(tile_ptr(c, in.a, "a", &in), in.a, sa_);
      sd_.resize(size_t(dr) * dc);
      for (uint32_t r = 0; r < dr; ++r)
        for (uint32_t col = 0; col < dc; ++col) sd_[size_t(r) * dc + col] = sa_[size_t(r) * in.a.vcols()];
      store(tile_ptr(c, d, "dst", &in), d, sd_);
      return;
    }
    case Op::VCOLRED: {  // dst[0,c] = reduce over a[:,c], row 0 first
      if (in.sub > uint8_t(isa::RedOp::MIN)) bad_sub();
      if (dr != 1 || dc != in.a.vcols())
        throw SimError(where(cur_group_, cur_core_, &in) + ": dst is " + shape(d) + " but a is " +
                       shape(in.a) + " (dst must be 1 x a's cols)");
      load(tile_ptr(c, in.a, "a", &in), in.a, sa_);
      const uint8_t op = uint8_t(in.sub == uint8_t(isa::RedOp::SUM)   ? isa::BinOp::ADD
                                 : in.sub == uint8_t(isa::RedOp::MAX) ? isa::BinOp::MAX
                                                                      : isa::BinOp::MIN);
      sd_.assign(sa_.begin(), sa_.begin() + dc);
      for (uint32_t r = 1; r < in.a.vrows(); ++r)
        for (uint32_t col = 0; col < dc; ++col) sd_[col] = binop(op, sd_[col], sa_[size_t(r) * dc + col]);
      store(tile_ptr(c, d, "dst", &in), d, sd_);
      return;
    }
    case Op::VGATHER: {  // dst[r,c] = a at element b[r,c] (a's cols the pitch), inside a's valid region
      // A copy of the elements' bytes (dst has a's dtype): int32 ids stay exact.
      const uint8_t* src = tile_ptr(c, in.a, "a", &in);
      const uint8_t* idx = tile_ptr(c, in.b, "b", &in);
      uint8_t* dp = tile_ptr(c, d, "dst", &in);
      const uint32_t eb = isa::dtype_bytes(d.dtype);
      for (uint32_t r = 0; r < dr; ++r)
        for (uint32_t col = 0; col < dc; ++col) {
          int32_t k;
          std::memcpy(&k, idx + (size_t(r) * in.b.cols + col) * 4, 4);
          const int64_t kr = k / int64_t(in.a.cols), kc = k % int64_t(in.a.cols);
          if (k < 0 || kr >= in.a.vrows() || kc >= in.a.vcols())
            throw SimError(where(cur_group_, cur_core_, &in) + ": index " + std::to_string(k) + " (element " +
                           std::to_string(size_t(r) * dc + col) + " of the indices) is outside the source's valid " +
                           shape(in.a) + " (row-major, " + std::to_string(in.a.cols) + " elements a row)");
          std::memcpy(dp + (size_t(r) * d.cols + col) * eb, src + size_t(k) * eb, eb);
        }
      return;
    }
    case Op::VCOLEXPAND: {  // dst[r,c] = a[0,c]
      load(tile_ptr(c, in.a, "a", &in), in.a, sa_);
      sd_.resize(size_t(dr) * dc);
      for (uint32_t r = 0; r < dr; ++r)
        for (uint32_t col = 0; col < dc; ++col) sd_[size_t(r) * dc + col] = sa_[col];
      store(tile_ptr(c, d, "dst", &in), d, sd_);
      return;
    }
    default:  // an op in the table without numerics here would compute nothing, silently
      throw std::logic_error("functional: no semantics for " + isa::mnemonic(in));
  }
}

void FunctionalState::execute(uint32_t group, uint32_t core, const isa::Instr& in, int64_t gm_offset,
                              uint32_t gm_tensor, uint32_t block) {
  Core& c = core_at(group, core, isa::mnemonic(in).c_str());
  cur_group_ = group;
  cur_core_ = core;
  switch (in.op) {
    case Op::TLOAD:
    case Op::TSTORE: {
      check_gm(in, gm_tensor, gm_offset);
      const isa::Tile& t = in.op == Op::TLOAD ? in.dst : in.a;
      if (std::max<uint32_t>(in.gm.rows, 1) != t.vrows() || in.gm.cols != t.vcols())
        throw SimError(where(group, core, &in) + ": gm view " + std::to_string(in.gm.rows) + "x" +
                       std::to_string(in.gm.cols) + " is not the tile's valid shape " + shape(t));
      if (in.op == Op::TLOAD)
        tload(tile_ptr(c, t, "dst", &in), t, gm_tensor, in.gm, gm_offset);
      else
        tstore(tile_ptr(c, t, "source", &in), t, gm_tensor, in.gm, gm_offset, in.flags & isa::kAtomicAdd);
      return;
    }
    case Op::TMOV: {
      if (in.a.vrows() != in.dst.vrows() || in.a.vcols() != in.dst.vcols())
        throw SimError(where(group, core, &in) + ": a is " + shape(in.a) + " but dst is " + shape(in.dst));
      const uint8_t* src = tile_ptr(c, in.a, "source", &in);
      uint8_t* dst = tile_ptr(c, in.dst, "dst", &in);
      if (in.a.dtype == in.dst.dtype) {  // row by row: the pitches may differ
        const size_t eb = isa::dtype_bytes(in.a.dtype), row = size_t(in.a.vcols()) * eb;
        for (uint32_t r = 0; r < in.a.vrows(); ++r)
          std::memmove(dst + r * size_t(in.dst.cols) * eb, src + r * size_t(in.a.cols) * eb, row);
      } else {
        load(src, in.a, sa_);
        store(dst, in.dst, sa_);
      }
      return;
    }
    case Op::TMATMUL: matmul(c, in); return;
    case Op::TRESHAPE:  // a view: dst names a's bytes, nothing moves
      tile_ptr(c, in.a, "a", &in);
      tile_ptr(c, in.dst, "dst", &in);
      return;
    case Op::SLOAD:
    case Op::SADD:
    case Op::SBLOCK:
      if (in.reg < 0 || in.reg >= isa::kNumRegs)
        throw SimError(where(group, core, &in) + ": register R" + std::to_string(in.reg) + " out of range");
      if (in.op == Op::SLOAD) {
        check_gm(in, gm_tensor, gm_offset);
        c.regs[in.reg] = read_int(gm_tensor, gm_offset);
      } else if (in.op == Op::SADD) {
        c.regs[in.reg] += int64_t(in.imm);
      } else {
        c.regs[in.reg] = block;
      }
      return;
    case Op::SIGNAL:
    case Op::WAIT: return;
    default: vector_op(c, in); return;
  }
}

int64_t FunctionalState::read_int(uint32_t tensor, int64_t elem) const {
  if (tensor >= program_.tensors.size())
    throw SimError("functional: read_int: tensor index " + std::to_string(tensor) + " out of range");
  const isa::Tensor& t = program_.tensors[tensor];
  if (t.dtype != DType::INT32)
    throw SimError("functional: scalar read of '" + t.name + "', a " + isa::to_string(t.dtype) +
                   " tensor (scalar reads need int32)");
  if (elem < 0 || elem >= t.elems())
    throw SimError("functional: scalar read of '" + t.name + "' element " + std::to_string(elem) +
                   " out of bounds (" + std::to_string(t.elems()) + " elements)");
  return gm_[tensor].i[size_t(elem)];
}

bool FunctionalState::is_int(uint32_t tensor) const {
  return program_.tensors.at(tensor).dtype == DType::INT32;
}

namespace {
void check_access(const isa::Program& p, uint32_t tensor, bool want_int, size_t n, const char* what) {
  if (tensor >= p.tensors.size())
    throw SimError(std::string("functional: ") + what + ": tensor index " + std::to_string(tensor) +
                   " out of range");
  const isa::Tensor& t = p.tensors[tensor];
  if ((t.dtype == DType::INT32) != want_int)
    throw SimError(std::string("functional: ") + what + ": tensor '" + t.name + "' is " +
                   isa::to_string(t.dtype) + (want_int ? ", not int32" : ", use the int32 accessors"));
  if (n != size_t(-1) && int64_t(n) != t.elems())
    throw SimError(std::string("functional: ") + what + ": " + std::to_string(n) + " values for tensor '" +
                   t.name + "' of " + std::to_string(t.elems()) + " elements");
}
}  // namespace

std::vector<float> FunctionalState::get_float(uint32_t tensor) const {
  check_access(program_, tensor, false, size_t(-1), "get_float");
  return gm_[tensor].f;
}

void FunctionalState::set_float(uint32_t tensor, const float* data, size_t n) {
  check_access(program_, tensor, false, n, "set_float");
  const DType t = program_.tensors[tensor].dtype;
  std::vector<float>& f = gm_[tensor].f;
  for (size_t i = 0; i < n; ++i) f[i] = num::round_to(data[i], t);
}

std::vector<int32_t> FunctionalState::get_int(uint32_t tensor) const {
  check_access(program_, tensor, true, size_t(-1), "get_int");
  return gm_[tensor].i;
}

void FunctionalState::set_int(uint32_t tensor, const std::vector<int32_t>& v) {
  check_access(program_, tensor, true, v.size(), "set_int");
  gm_[tensor].i = v;
}

const float* FunctionalState::float_data(uint32_t tensor) const {
  check_access(program_, tensor, false, size_t(-1), "float_data");
  return gm_[tensor].f.data();
}

const int32_t* FunctionalState::int_data(uint32_t tensor) const {
  check_access(program_, tensor, true, size_t(-1), "int_data");
  return gm_[tensor].i.data();
}

int64_t FunctionalState::reg(uint32_t group, uint32_t core, int r) const {
  const Core* c = core_if(group, core);
  if (!c || r < 0 || r >= isa::kNumRegs) throw SimError("functional: reg: no such core or register");
  return c->regs[r];
}

std::vector<float> FunctionalState::read_tile(uint32_t group, uint32_t core, const isa::Tile& t) const {
  std::vector<float> out(size_t(t.vrows()) * t.vcols(), 0.0f);
  // L0C and L1 are the cube core's, whichever core of the group asks (as tile_ptr).
  const Core* c = core_if(group, cube_owned(t.space) ? 0 : core);
  if (!c) throw SimError(where(group, core, nullptr) + ": no such core");
  if (t.space == Space::GM || uint64_t(t.offset) + t.footprint() > hw_.buffers.capacity(t.space))
    throw SimError(where(group, core, nullptr) + ": read_tile: tile outside its buffer");
  if (const auto& b = c->buf[int(t.space)]) load(b.get() + t.offset, t, out);
  return out;
}

void FunctionalState::write_tile(uint32_t group, uint32_t core, const isa::Tile& t,
                                 const std::vector<float>& v) {
  cur_group_ = group;
  cur_core_ = core;
  if (v.size() != size_t(t.vrows()) * t.vcols())
    throw SimError(where(group, core, nullptr) + ": write_tile: " + std::to_string(v.size()) +
                   " values for a " + shape(t) + " tile");
  store(tile_ptr(core_at(group, core, "write_tile"), t, "dst", nullptr), t, v);
}

}  // namespace sim
