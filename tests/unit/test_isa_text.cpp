// isa/text: print_program / parse_program round trip, golden text, parse errors.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <random>
#include <set>
#include <string>

#include "isa/text.h"

namespace isa {
namespace {

// --- builders for hand-made programs ---------------------------------------

Tile tile(Space sp, uint32_t offset, uint16_t rows, uint16_t cols, DType dt = DType::FP32,
          uint16_t valid_rows = 0, uint16_t valid_cols = 0) {
  Tile t = make_tile(sp, offset, rows, cols, dt);
  t.valid_rows = valid_rows;
  t.valid_cols = valid_cols;
  return t;
}

GmView view(uint32_t tensor, int64_t offset, uint32_t rows, uint32_t cols, uint32_t stride,
            int8_t reg = -1, int32_t reg_scale = 0) {
  GmView v = make_view(tensor, offset, rows, cols, stride);
  v.reg = reg;
  v.reg_scale = reg_scale;
  return v;
}

// Fluent instruction builder: I(Op::TLOAD, site).dst(t).gm(v); converts to Instr.
struct I {
  Instr in;
  I(Op op, uint32_t site, uint8_t sub = 0) {
    in.op = op;
    in.site = site;
    in.sub = sub;
  }
  I& dst(const Tile& t) {
    in.dst = t;
    return *this;
  }
  I& a(const Tile& t) {
    in.a = t;
    return *this;
  }
  I& b(const Tile& t) {
    in.b = t;
    return *this;
  }
  I& gm(const GmView& v) {
    in.gm = v;
    return *this;
  }
  I& reg(int8_t r) {
    in.reg = r;
    return *this;
  }
  I& imm(float v) {
    in.imm = v;
    return *this;
  }
  I& flags(uint8_t f) {
    in.flags = f;
    return *this;
  }
  operator Instr() const { return in; }
};

Tensor tensor(std::string name, std::vector<int64_t> shape, DType dt, TensorKind kind,
              std::vector<int32_t> init = {}) {
  Tensor t;
  t.name = std::move(name);
  t.shape = std::move(shape);
  t.dtype = dt;
  t.kind = kind;
  t.init = std::move(init);
  return t;
}

GmRange range(uint32_t t, uint64_t b, uint64_t e) {
  GmRange r;
  r.tensor = t;
  r.begin = b;
  r.end = e;
  return r;
}

// tload tstore tmov tmatmul; v<bin> (6); v<bin>s (6); v<un> (7); vcast<rm> (6) vfill vfillpad;
// vci; vrow<red> (3); vrowexp<bin> (6); vcolexp<bin> (6); vrowexpand; vcol<red> (3); vcolexpand;
// vgather; treshape sload sadd sblock signal wait
constexpr int kNumMnemonics = 4 + 6 + 6 + 7 + 8 + 1 + 3 + 6 + 6 + 1 + 3 + 1 + 1 + 6;

// Kernel 0 uses every opcode and every sub-op; kernels 2.. hold the odd
// corners: unused fields set, out-of-range indices, names that need quotes.
Program everything() {
  Program p;
  p.tensors = {
      tensor("hidden_states", {16, 8192}, DType::BF16, TensorKind::In),
      tensor("seq_lens", {4}, DType::INT32, TensorKind::In, {4096, -1, 0, 2147483647}),
      tensor("rope_cos", {4096, 128}, DType::FP32, TensorKind::InOut),
      tensor("w.q_proj", {8192, 64}, DType::FP16, TensorKind::Out),
      tensor("odd name \"x\"", {}, DType::FP32, TensorKind::Scratch),
      tensor("dup", {2, 0}, DType::FP32, TensorKind::Scratch),
      tensor("dup", {3}, DType::INT32, TensorKind::Scratch, {1, 2, 3}),
      tensor("", {1}, DType::FP32, TensorKind::Scratch),
  };
  p.sites = {"k: load x", "quote \" backslash \\ newline \n tab \t ctrl \x01 del \x7f # hash", "",
             "utf-8 \xe2\x9c\x93"};

  Kernel k0;
  k0.name = "everything";
  const Tile l1 = tile(Space::L1, 0, 16, 64, DType::BF16);
  const Tile l1b = tile(Space::L1, 2048, 64, 32, DType::BF16);
  const Tile l0a = tile(Space::L0A, 0, 16, 64, DType::BF16);
  const Tile l0b = tile(Space::L0B, 0, 64, 32, DType::BF16);
  const Tile l0c = tile(Space::L0C, 0, 16, 32, DType::FP32);
  k0.cube = {
      I(Op::TLOAD, 0).dst(l1).gm(view(0, 0, 16, 64, 8192)),
      I(Op::TMOV, 0).dst(l0a).a(l1),
      I(Op::TMOV, 0).dst(l0b).a(l1b),
      I(Op::TMATMUL, 1).dst(l0c).a(l0a).b(l0b),
      I(Op::TMATMUL, 1).dst(l0c).a(l0a).b(l0b).flags(kAccumulate),
      I(Op::TMATMUL, 1).dst(l0c).a(l0a).b(l0b).flags(kTransposeB),
      I(Op::TMATMUL, 1).dst(l0c).a(l0a).b(l0b).flags(kAccumulate | kTransposeB),
      I(Op::TSTORE, 2).gm(view(3, 64, 16, 32, 64)).a(l0c),
      I(Op::TSTORE, 2).gm(view(3, 64, 16, 32, 64)).a(l0c).flags(kAtomicAdd),
      I(Op::TRESHAPE, 2).dst(tile(Space::L1, 0, 32, 32, DType::BF16)).a(l1),
      I(Op::SLOAD, 3).reg(15).gm(view(1, 3, 1, 1, 1)),
      I(Op::SADD, 3).reg(15).imm(-1),
      I(Op::SBLOCK, 3).reg(14),
      I(Op::SIGNAL, 3).imm(0),
      I(Op::WAIT, 3).imm(7),
  };

  const Tile ub = tile(Space::UB, 0, 16, 512, DType::FP32);
  const Tile ub_pad = tile(Space::UB, 32768, 16, 512, DType::FP32, 13, 500);
  const Tile ub_row = tile(Space::UB, 65536, 16, 1, DType::FP32, 0, 1);
  const Tile ub_col = tile(Space::UB, 65600, 1, 512, DType::FP32, 1, 0);
  const float imms[] = {0.0f,
                        1.0f,
                        -std::numeric_limits<float>::max(),
                        0.1f,
                        std::numeric_limits<float>::denorm_min(),
                        1.0f / 3.0f};
  std::vector<Instr> v0 = {I(Op::TLOAD, 0).dst(ub_pad).gm(view(2, 64, 16, 512, 128, 2, 128))};
  for (uint8_t s = 0; s < 6; ++s) v0.push_back(I(Op::VBIN, 0, s).dst(ub).a(ub_pad).b(ub));
  for (uint8_t s = 0; s < 6; ++s) v0.push_back(I(Op::VBINS, 1, s).dst(ub).a(ub).imm(imms[s]));
  for (uint8_t s = 0; s <= uint8_t(UnOp::RELU); ++s) v0.push_back(I(Op::VUNARY, 2, s).dst(ub).a(ub));
  for (uint8_t s = 0; s <= uint8_t(RedOp::MIN); ++s) v0.push_back(I(Op::VROWRED, 0, s).dst(ub_row).a(ub));
  for (uint8_t s = 0; s < 6; ++s) v0.push_back(I(Op::VROWEXP, 0, s).dst(ub).a(ub).b(ub_row));
  for (uint8_t s = 0; s < 6; ++s) v0.push_back(I(Op::VCOLEXP, 0, s).dst(ub).a(ub).b(ub_col));
  v0.push_back(I(Op::VROWEXPAND, 0, 0).dst(ub).a(ub_row));
  for (uint8_t s = 0; s <= uint8_t(RedOp::MIN); ++s) v0.push_back(I(Op::VCOLRED, 0, s).dst(ub_col).a(ub));
  v0.push_back(I(Op::VCOLEXPAND, 0, 0).dst(ub).a(ub_col));
  const Tile ub_i = tile(Space::UB, 65600, 1, 64, DType::INT32);
  v0.push_back(I(Op::VCI, 0).dst(ub_i).imm(-3));
  v0.push_back(I(Op::VCI, 0).dst(ub_i).imm(100).flags(kDescending));
  v0.push_back(I(Op::VGATHER, 0).dst(tile(Space::UB, 0, 1, 64)).a(ub).b(ub_i));
  const std::vector<Instr> rest = {
      I(Op::VCAST, 2).dst(tile(Space::UB, 0, 16, 512, DType::BF16)).a(ub),
      I(Op::VCAST, 2, uint8_t(RoundMode::ROUND)).dst(tile(Space::UB, 0, 16, 512, DType::BF16)).a(ub),
      I(Op::VCAST, 2, uint8_t(RoundMode::FLOOR)).dst(tile(Space::UB, 0, 16, 512, DType::INT32)).a(ub),
      I(Op::VCAST, 2, uint8_t(RoundMode::CEIL)).dst(tile(Space::UB, 0, 16, 512, DType::INT32)).a(ub),
      I(Op::VCAST, 2, uint8_t(RoundMode::TRUNC)).dst(tile(Space::UB, 0, 16, 512, DType::FP16)).a(ub),
      I(Op::VCAST, 2, uint8_t(RoundMode::ODD)).dst(tile(Space::UB, 0, 16, 512, DType::FP16)).a(ub),
      I(Op::VFILL, 2).dst(ub).imm(-0.0f),
      I(Op::VFILLPAD, 2).dst(ub_pad).imm(-std::numeric_limits<float>::infinity()),
      I(Op::TRESHAPE, 0).dst(tile(Space::UB, 0, 32, 256)).a(ub),
      I(Op::TMOV, 0).dst(tile(Space::UB, 0, 16, 32)).a(l0c),
      I(Op::TSTORE, 0).gm(view(2, 0, 1, 64, 64, 0, -128)).a(tile(Space::UB, 0, 1, 64)),
      // Negative static part, largest offsets.
      I(Op::TLOAD, 0)
          .dst(tile(Space::UB, 4294967040u, 1, 64))
          .gm(view(2, -5, 1, 64, 0, 3, 2147483647)),
      I(Op::SIGNAL, 0).imm(1),
      I(Op::WAIT, 0).imm(2),
  };
  v0.insert(v0.end(), rest.begin(), rest.end());
  k0.vec = {v0, {}, {I(Op::WAIT, 0).imm(3)}};

  Kernel k1;  // a name that needs quotes; empty cube; no vec streams
  k1.name = "odd kernel: #1";

  Kernel k2;  // every field an op does not take, set; out-of-range indices
  k2.name = "junk";
  k2.cube = {
      I(Op::TLOAD, 99, 3)                               // sub on an op without one
          .dst(tile(Space::GM, 1, 2, 3, DType::INT32))  // a tile in GM
          .gm(view(99, 0, 1, 1, 1, -1, 5))              // $99; reg_scale, no reg
          .a(tile(Space::L0A, 4, 5, 6))                 // unused a, b, imm, reg
          .b(tile(Space::L0B, 0, 0, 0, DType::FP32, 0, 9))
          .imm(2.5f)
          .reg(4)
          .flags(4),
  };
  k2.vec = {{
      // sub out of range, gm on "dup" (printed as $5), flags vadd does not take
      I(Op::VBIN, 0, 9).dst(ub).a(ub).b(ub).gm(view(5, 0, 1, 1, 1)).flags(kAccumulate),
      I(Op::TMATMUL, 0).dst(l0c).a(l0a).b(l0b).flags(0xff),
      I(Op::SIGNAL, 0).imm(1).reg(-3).gm(view(7, 0, 0, 0, 0)),  // tensor named ""
      I(Op::SADD, 0).reg(-1).imm(0.5f),
  }};

  p.kernels = {k0, k1, k2};

  Task t0;
  t0.kernel = 0;
  t0.site = 0;
  t0.reads = {range(0, 0, 262144), range(1, 0, 16)};
  t0.writes = {range(3, 0, 1048576)};
  Task t1;
  t1.kernel = 1;
  t1.site = 1;
  t1.deps = {0};
  t1.reads = {range(3, 0, 4)};
  Task t2;
  t2.kernel = 2;
  t2.site = 2;
  t2.deps = {0, 1};
  t2.reads = {range(5, 0, 8), range(4, 0, 4), range(7, 0, 4)};
  t2.writes = {range(6, 0, 12), range(42, 1, 2)};
  Task t3;  // out-of-range kernel and site: printable, rejected by validate_program
  t3.kernel = 17;
  t3.site = 99;
  t3.deps = {3, 5};
  p.tasks = {t0, t1, t2, t3};
  return p;
}

Instr only_instr(const Program& p) { return p.kernels.at(0).vec.at(0).at(0); }

Program one_instr(const Instr& in) {
  Program p;
  p.tensors = {tensor("x", {4, 8}, DType::FP32, TensorKind::In)};
  p.sites = {"s"};
  Kernel k;
  k.name = "k";
  k.vec = {{in}};
  p.kernels = {k};
  return p;
}

// --- round trip --------------------------------------------------------------

TEST(IsaText, EverythingProgramUsesEveryOpcodeAndMnemonic) {
  const Program p = everything();
  std::set<Op> ops;
  std::set<std::string> mnemonics;
  auto add = [&](const std::vector<Instr>& s) {
    for (const Instr& in : s) ops.insert(in.op), mnemonics.insert(mnemonic(in));
  };
  add(p.kernels[0].cube);
  for (const auto& v : p.kernels[0].vec) add(v);
  EXPECT_EQ(int(ops.size()), kNumOps);
  EXPECT_EQ(int(mnemonics.size()), kNumMnemonics);
}

TEST(IsaText, RoundTripIsExact) {
  const Program p = everything();
  const std::string text = print_program(p);
  const Program q = parse_program(text, "rt.npu");
  EXPECT_TRUE(q == p) << text;
  EXPECT_EQ(print_program(q), text);
  // Every kernel, stream and task survives (== would also catch this; this
  // names the part that broke).
  ASSERT_EQ(q.kernels.size(), p.kernels.size());
  for (size_t k = 0; k < p.kernels.size(); ++k) {
    EXPECT_TRUE(q.kernels[k].cube == p.kernels[k].cube) << "kernel " << k << " cube";
    ASSERT_EQ(q.kernels[k].vec.size(), p.kernels[k].vec.size()) << "kernel " << k;
    for (size_t v = 0; v < p.kernels[k].vec.size(); ++v)
      for (size_t i = 0; i < p.kernels[k].vec[v].size(); ++i)
        EXPECT_TRUE(q.kernels[k].vec[v].at(i) == p.kernels[k].vec[v][i])
            << "kernel " << k << " vec " << v << " instr " << i;
  }
  EXPECT_TRUE(q.tensors == p.tensors);
  EXPECT_TRUE(q.sites == p.sites);
  EXPECT_TRUE(q.tasks == p.tasks);
}

// Random programs, every field random (including fields an op does not
// take and out-of-range indices): the round trip must still be exact.
class RandomProgram {
 public:
  explicit RandomProgram(uint32_t seed) : rng_(seed) {}

  Program make() {
    Program p;
    for (int i = int(pick(0, 5)); i > 0; --i) {
      Tensor t;
      t.name = name();
      for (int d = int(pick(0, 3)); d > 0; --d) t.shape.push_back(int64_t(pick(0, 1 << 20)));
      t.dtype = DType(pick(0, 3));
      t.kind = TensorKind(pick(0, 3));
      for (int v = int(pick(0, 3)); v > 0; --v) t.init.push_back(int32_t(rng_()));
      p.tensors.push_back(t);
    }
    for (int i = int(pick(0, 3)); i > 0; --i) p.sites.push_back(name());
    for (int k = int(pick(0, 3)); k > 0; --k) {
      Kernel kernel;
      kernel.name = name();
      kernel.cube = stream();
      for (int v = int(pick(0, 3)); v > 0; --v) kernel.vec.push_back(stream());
      p.kernels.push_back(kernel);
    }
    for (int b = int(pick(0, 2)); b > 0; --b) {  // a `to` past the tensors prints as $N all the same
      Binding bind;
      for (uint32_t t = 0; t < p.tensors.size(); ++t)
        if (coin()) bind.entries.push_back({t, uint32_t(pick(0, p.tensors.size() + 1)), coin() ? 0 : int64_t(rng_())});
      p.bindings.push_back(bind);
    }
    for (int t = int(pick(0, 3)); t > 0; --t) {
      Task task;
      task.kernel = uint32_t(pick(0, 4));
      if (coin()) task.binding = uint32_t(pick(0, 2));
      task.site = uint32_t(rng_());
      for (int d = int(pick(0, 2)); d > 0; --d) task.deps.push_back(uint32_t(pick(0, 9)));
      for (int r = int(pick(0, 2)); r > 0; --r) task.reads.push_back(gm_range());
      for (int r = int(pick(0, 2)); r > 0; --r) task.writes.push_back(gm_range());
      p.tasks.push_back(task);
    }
    return p;
  }

 private:
  uint64_t pick(uint64_t lo, uint64_t hi) { return lo + rng_() % (hi - lo + 1); }
  bool coin() { return rng_() % 2; }

  std::string name() {
    static const char* const kNames[] = {"x",  "seq_lens", "a.b",   "_t0",    "",   "two words",
                                         "R2", "q\"uote",  "tab\t", "9lives", "$1", "utf \xc3\xa9"};
    return kNames[pick(0, std::size(kNames) - 1)];
  }

  float number() {
    for (;;) {
      const uint32_t bits = uint32_t(rng_());
      float f;
      std::memcpy(&f, &bits, sizeof f);
      if (!std::isnan(f)) return coin() ? f : float(int(pick(0, 8)) - 4);
    }
  }

  Tile tile() {
    if (coin()) return Tile{};
    Tile t;
    t.space = Space(pick(0, kNumSpaces - 1));
    t.dtype = DType(pick(0, 3));
    t.offset = uint32_t(rng_());
    t.rows = uint16_t(rng_());
    t.cols = uint16_t(rng_());
    if (coin()) t.valid_rows = uint16_t(rng_());
    if (coin()) t.valid_cols = uint16_t(rng_());
    return t;
  }

  GmView view() {
    if (coin()) return GmView{};
    GmView v;
    v.tensor = uint32_t(pick(0, 6));
    v.offset = int64_t(rng_());
    v.rows = uint32_t(rng_());
    v.cols = uint32_t(rng_());
    v.row_stride = uint32_t(rng_());
    if (coin()) v.reg = int8_t(rng_());
    if (coin()) v.reg_scale = int32_t(rng_());
    return v;
  }

  GmRange gm_range() {
    GmRange r;
    r.tensor = uint32_t(pick(0, 6));
    r.begin = rng_();
    r.end = rng_();
    return r;
  }

  std::vector<Instr> stream() {
    std::vector<Instr> s;
    for (int i = int(pick(0, 6)); i > 0; --i) {
      Instr in;
      in.op = Op(pick(0, kNumOps - 1));
      in.sub = coin() ? uint8_t(pick(0, 5)) : uint8_t(rng_());
      in.flags = coin() ? uint8_t(pick(0, 3)) : uint8_t(rng_());
      in.reg = coin() ? int8_t(-1) : int8_t(rng_());
      in.imm = coin() ? 0.0f : number();
      in.site = uint32_t(pick(0, 4));
      in.dst = tile();
      in.a = tile();
      in.b = tile();
      in.gm = view();
      s.push_back(in);
    }
    return s;
  }

  std::mt19937_64 rng_;
};

TEST(IsaText, RandomProgramsRoundTripExactly) {
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    const Program p = RandomProgram(seed).make();
    const std::string text = print_program(p);
    Program q;
    ASSERT_NO_THROW(q = parse_program(text, "random.npu")) << "seed " << seed << "\n" << text;
    ASSERT_TRUE(q == p) << "seed " << seed << "\n" << text;
    ASSERT_EQ(print_program(q), text) << "seed " << seed;
  }
}

TEST(IsaText, EveryMnemonicParsesBackToItsOpAndSub) {
  for (int op = 0; op < kNumOps; ++op) {
    const int subs = std::max<int>(1, num_subs(op_info(Op(op)).subs));
    for (int sub = 0; sub < subs; ++sub) {
      Instr in = I(Op(op), 0, uint8_t(sub));
      const OpInfo& s = op_info(in.op);
      if (s.uses(Operand::Dst)) in.dst = tile(Space::UB, 0, 4, 8);
      if (s.uses(Operand::A)) in.a = tile(Space::UB, 128, 4, 8);
      if (s.uses(Operand::B)) in.b = tile(Space::UB, 256, 4, 8);
      if (s.uses(Operand::Gm)) in.gm = view(0, 0, 4, 8, 8);
      if (s.uses(Operand::Reg)) in.reg = 1;
      const Program p = one_instr(in);
      const Instr back = only_instr(parse_program(print_program(p), "m.npu"));
      EXPECT_EQ(int(back.op), op) << mnemonic(in);
      EXPECT_EQ(int(back.sub), sub) << mnemonic(in);
      EXPECT_TRUE(back == in) << print_program(p);
    }
  }
}

TEST(IsaText, FloatsAreReadableAndBitExact) {
  const std::pair<float, const char*> cases[] = {
      {0.0f, " 0 @"},
      {1.0f, " 1 @"},
      {0.5f, " 0.5 @"},
      {0.1f, " 0.1 @"},
      {-2.0f, " -2 @"},
      {-std::numeric_limits<float>::max(), " -3.4028235e+38 @"},
      {std::numeric_limits<float>::infinity(), " inf @"},
      {-0.0f, " -0 @"},
      {std::numeric_limits<float>::denorm_min(), " 1e-45 @"},
      {std::numeric_limits<float>::min(), " 1.1754944e-38 @"},
      {1.0f / 3.0f, " 0.33333334 @"},
      {16777216.0f, " 16777216 @"},
  };
  for (const auto& [value, text] : cases) {
    const Instr in = I(Op::VFILL, 0).dst(tile(Space::UB, 0, 4, 8)).imm(value);
    const std::string printed = print_program(one_instr(in));
    EXPECT_NE(printed.find(text), std::string::npos) << "want '" << text << "' in\n" << printed;
    const float back = only_instr(parse_program(printed, "f.npu")).imm;
    EXPECT_EQ(std::memcmp(&back, &value, sizeof value), 0) << text << " read back as " << back;
  }
}

TEST(IsaText, NanImmediateRoundTrips) {
  const Instr in =
      I(Op::VFILL, 0).dst(tile(Space::UB, 0, 4, 8)).imm(std::numeric_limits<float>::quiet_NaN());
  const std::string printed = print_program(one_instr(in));
  EXPECT_NE(printed.find(" nan @"), std::string::npos) << printed;
  EXPECT_TRUE(std::isnan(only_instr(parse_program(printed, "n.npu")).imm));
}

// A valid region of all rows (or cols) and some cols prints '*' for "all",
// not a 0 that reads as hex ("valid=0x8"); a text with 0 still parses.
TEST(IsaText, AllRowsOfAValidRegionPrintAsAStar) {
  Tile t = tile(Space::UB, 0, 4, 16);
  t.valid_cols = 8;
  const std::string printed = print_program(one_instr(I(Op::VFILL, 0).dst(t).imm(1.0f)));
  EXPECT_NE(printed.find("UB[0+4x16 fp32 valid=*x8]"), std::string::npos) << printed;
  EXPECT_EQ(only_instr(parse_program(printed, "v.npu")).dst, t);
  std::string zero = printed;
  zero.replace(zero.find("valid=*x8"), 9, "valid=0x8");
  EXPECT_EQ(only_instr(parse_program(zero, "v.npu")).dst, t);
  t.valid_cols = 0;
  t.valid_rows = 2;
  EXPECT_NE(print_program(one_instr(I(Op::VFILL, 0).dst(t).imm(1.0f))).find("valid=2x*]"), std::string::npos);
}

// --- golden text -------------------------------------------------------------

constexpr const char* kGolden = R"(# npusim program v1
tensor x [4,8] fp32 in
tensor pos [1] int32 in init=[3]
tensor w [16,32] bf16 in
tensor y [4,8] fp32 out
site 0 "k: load x"
site 1 "k: \"store\" y"
kernel 0 k
  cube
    tload L1[0+16x32 bf16] <- w[0+16x32/32] @0
    tmov L0B[0+16x32 bf16] <- L1[0+16x32 bf16] @0
    tmatmul L0C[0+4x16 fp32] <- L0A[0+4x32 bf16] L0B[0+16x32 bf16] acc tb @0
    signal 0 @1
  vec 0
    sload R0 <- pos[0+1x1/1] @0
    tload UB[0+4x8 fp32 valid=3x8] <- x[0+4x8/8] @0
    vadds UB[128+4x8 fp32] <- UB[0+4x8 fp32 valid=3x8] 0.5 @0
    vrowexpmul UB[128+4x8 fp32] <- UB[128+4x8 fp32] UB[256+4x1 fp32] @0
    sadd R0 -1 @0
    wait 0 @1
    tstore y[0+1x8/8 +R0*8] <- UB[128+1x8 fp32] @1
  vec 1
end
task 0 kernel=0 site=0 deps=[] reads=[x:0..128,pos:0..4,w:0..1024] writes=[y:0..128]
task 1 kernel=0 site=1 deps=[0] reads=[] writes=[y:0..128]
)";

Program golden_program() {
  Program p;
  p.tensors = {tensor("x", {4, 8}, DType::FP32, TensorKind::In),
               tensor("pos", {1}, DType::INT32, TensorKind::In, {3}),
               tensor("w", {16, 32}, DType::BF16, TensorKind::In),
               tensor("y", {4, 8}, DType::FP32, TensorKind::Out)};
  p.sites = {"k: load x", "k: \"store\" y"};
  Kernel k;
  k.name = "k";
  const Tile l1 = tile(Space::L1, 0, 16, 32, DType::BF16);
  const Tile l0b = tile(Space::L0B, 0, 16, 32, DType::BF16);
  k.cube = {
      I(Op::TLOAD, 0).dst(l1).gm(view(2, 0, 16, 32, 32)),
      I(Op::TMOV, 0).dst(l0b).a(l1),
      I(Op::TMATMUL, 0)
          .dst(tile(Space::L0C, 0, 4, 16))
          .a(tile(Space::L0A, 0, 4, 32, DType::BF16))
          .b(l0b)
          .flags(kAccumulate | kTransposeB),
      I(Op::SIGNAL, 1).imm(0),
  };
  const Tile x = tile(Space::UB, 0, 4, 8, DType::FP32, 3, 8);
  const Tile t = tile(Space::UB, 128, 4, 8);
  k.vec = {{
               I(Op::SLOAD, 0).reg(0).gm(view(1, 0, 1, 1, 1)),
               I(Op::TLOAD, 0).dst(x).gm(view(0, 0, 4, 8, 8)),
               I(Op::VBINS, 0, uint8_t(BinOp::ADD)).dst(t).a(x).imm(0.5f),
               I(Op::VROWEXP, 0, uint8_t(BinOp::MUL)).dst(t).a(t).b(tile(Space::UB, 256, 4, 1)),
               I(Op::SADD, 0).reg(0).imm(-1),
               I(Op::WAIT, 1).imm(0),
               I(Op::TSTORE, 1).gm(view(3, 0, 1, 8, 8, 0, 8)).a(tile(Space::UB, 128, 1, 8)),
           },
           {}};
  p.kernels = {k};
  Task t0;
  t0.reads = {range(0, 0, 128), range(1, 0, 4), range(2, 0, 1024)};
  t0.writes = {range(3, 0, 128)};
  Task t1;
  t1.site = 1;
  t1.deps = {0};
  t1.writes = {range(3, 0, 128)};
  p.tasks = {t0, t1};
  return p;
}

TEST(IsaText, GoldenText) {
  EXPECT_EQ(print_program(golden_program()), kGolden);
  EXPECT_TRUE(parse_program(kGolden, "golden.npu") == golden_program());
}

TEST(IsaText, ParserToleratesCommentsBlankLinesIndentationAndCrlf) {
  const std::string text =
      "# a comment\r\n"
      "\r\n"
      "tensor   x  [ 4 , 8 ]  fp32   in\r\n"
      "site 0 \"s\"\r\n"
      "kernel 0 k\r\n"
      "\t# comment inside a kernel\r\n"
      "vec 0\r\n"
      "\t\tvfill   UB[0+4x8 fp32]   <-   1   @0   \r\n"
      "   end\r\n"
      "task 0 writes=[x:0..128] site=0 kernel=0\r\n";
  const Program p = parse_program(text, "loose.npu");
  ASSERT_EQ(p.kernels.size(), 1u);
  ASSERT_EQ(p.kernels[0].vec.size(), 1u);
  EXPECT_TRUE(p.kernels[0].cube.empty());
  EXPECT_EQ(p.kernels[0].vec[0].at(0).imm, 1.0f);
  ASSERT_EQ(p.tasks.size(), 1u);
  EXPECT_EQ(p.tasks[0].writes.at(0).end, 128u);
  EXPECT_EQ(p.tensors.at(0).shape, (std::vector<int64_t>{4, 8}));
}

// --- parse errors ------------------------------------------------------------

std::string parse_error(const std::string& text) {
  try {
    parse_program(text, "bad.npu");
  } catch (const ProgramError& e) {
    return e.what();
  }
  return "(no error)";
}

const std::string kHead =
    "tensor x [4,8] fp32 in\n"  // line 1
    "site 0 \"s\"\n"            // line 2
    "kernel 0 k\n"              // line 3
    "  vec 0\n";                // line 4; the case's lines start at 5

struct ParseErrorCase {
  std::string text;
  int line;
  std::string message;
};

// A gtest name from a message: "unknown mnemonic 'vfoo'" -> "UnknownMnemonicVfoo".
std::string test_name(const std::string& s) {
  std::string name;
  bool upper = true;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      upper = true;
    } else if (name.size() < 60) {
      name += upper ? char(std::toupper(static_cast<unsigned char>(c))) : c;
      upper = false;
    }
  }
  return name;
}

const ParseErrorCase kParseErrors[] = {
    {kHead + "    vfoo UB[0+4x8 fp32] <- 1 @0\nend\n", 5, "unknown mnemonic 'vfoo'"},
    {kHead + "    tload UB[0+4x8 fp32] <- y[0+4x8/8] @0\nend\n", 5, "unknown tensor 'y'"},
    {"tensor x [4,8] fp8 in\n", 1, "bad dtype 'fp8'"},
    {kHead + "    vfill UB[0+4x8 fp33] <- 1 @0\nend\n", 5, "bad dtype 'fp33'"},
    {kHead + "end\ntask 0 site=0 reads=[]\n", 6, "task 0: missing field 'kernel='"},
    {kHead + "    vfill UB[0+4x8 fp32] <- 1 @0 junk\nend\n", 5, "trailing garbage 'junk'"},
    {kHead + "end extra\n", 5, "trailing garbage 'extra'"},
    {"kernel 1 k\nend\n", 1, "kernel index 1 out of order (expected 0)"},
    {kHead + "  vec 2\nend\n", 5, "vec index 2 out of order (expected 1)"},
    {"site 0 \"a\"\nsite 0 \"b\"\n", 2, "site index 0 out of order (expected 1)"},
    {kHead + "end\ntask 1 kernel=0 site=0\n", 6, "task index 1 out of order (expected 0)"},
    {kHead + "    vfill UB[0+4x8 fp32] 1 @0\nend\n", 5,
     "expected '<-' after the destination of vfill, got '1'"},
    {kHead + "    vfill UB[0+4x8 fp32] <- 1\nend\n", 5, "missing site '@N' at the end of vfill"},
    {kHead + "    vadd UB[0+4x8 fp32] <- UB[0+4x8 fp32]\nend\n", 5, "missing operand 3 of vadd"},
    {kHead + "    vadd UB[0+4x8 fp32] <- UB[0+4x8 fp32] 1 @0\nend\n", 5,
     "expected a tile (UB[offset+RxC dtype]), got '1'"},
    {kHead + "    vfill UB[0+70000x8 fp32] <- 1 @0\nend\n", 5, "tile rows out of range: '70000x8'"},
    {kHead + "    vfill UB[0+4x8 fp32] <- one @0\nend\n", 5,
     "expected immediate (a float), got 'one'"},
    {kHead + "    vfill UB[0+4x8 fp32] <- 1 acc @0\nend\n", 5, "unexpected 'acc' in vfill"},
    {kHead + "    vfill UB[0+4x8 fp32] <- 1 dst=UB[0+4x8 fp32] @0\nend\n", 5,
     "'dst=' given, but vfill takes it as an operand"},
    {kHead + "    vfill UB[0+4x8 fp32] <- 1 color=3 @0\nend\n", 5,
     "unknown instruction field 'color='"},
    {kHead + "    sload R99999 <- x[0+1x1/1] @0\nend\n", 5, "register number out of range"},
    {"vadd UB[0+4x8 fp32] <- UB[0+4x8 fp32] UB[0+4x8 fp32] @0\n", 1, "'vadd' outside a kernel"},
    {"kernel 0 k\n  vfill UB[0+4x8 fp32] <- 1 @0\nend\n", 2,
     "instruction before 'cube' or 'vec N'"},
    {"kernel 0 k\n  cube\n", 1, "kernel 0 has no 'end'"},
    {kHead + "task 0 kernel=0 site=0\n", 5, "'task' inside kernel 0 (missing 'end')"},
    {kHead + "  cube\nend\n", 5, "'cube' must come once, before the vec streams"},
    {"site 0 \"abc\n", 1, "unterminated string '\"abc'"},
    {"site 0 \"a\\qb\"\n", 1, "bad escape in string: \\q"},
    {"site 0 \"ab\\\n", 1, "unterminated string '\"ab\\'"},
    {kHead + "    vfill UB[0+4x8 fp32] <- 1e50 @0\nend\n", 5,
     "immediate out of float range: '1e50'"},
    {"tensr x [4] fp32 in\n", 1, "unknown keyword 'tensr'"},
    {"tensor x [4] fp32 input\n", 1, "bad tensor kind 'input'"},
    {"tensor x [4,] fp32 in\n", 1, "expected dimension, got ']'"},
    {"tensor x [4] fp32 in\ntensor x [4] fp32 in\ntask 0 kernel=0 site=0 reads=[x:0..4]\n", 3,
     "tensor name 'x' is declared more than once"},
    {"tensor x [4] fp32 in\ntask 0 kernel=0 site=0 kernel=1\n", 2,
     "duplicate task field 'kernel='"},
    {"tensor x [4] fp32 in\ntask 0 kernel=0 site=0 owner=me\n", 2, "unknown task field 'owner='"},
    {"tensor x [4] fp32 in\ntask 0 kernel=0 site=0 reads=[x:0-4]\n", 2,
     "expected '..' in GM range begin..end, got '-4]'"},
    {"task 0 kernel=-1 site=0\n", 1, "expected kernel index, got '-1'"},
    {"tensor x [4] fp32 in\nbinding 0 z=x\n", 2, "unknown tensor 'z'"},
    {"tensor x [4] fp32 in\nbinding 0 $3=x\n", 2, "binding 0: tensor $3 is not declared (1 tensors so far)"},
    {"tensor x [4] fp32 in\ntensor y [4] fp32 in\nbinding 0 x=y x=x\n", 3, "binding 0: tensor 'x' is bound twice"},
    {"tensor x [4] fp32 in\nbinding 0 x y\n", 2, "expected '=' after the tensor a binding replaces (FROM=TO)"},
    {"tensor x [4] fp32 in\nbinding 0 x=x+\n", 2, "expected binding offset (elements), got end of line"},
    {"tensor x [4] fp32 in\nbinding 0 x=x+-4\n", 2, "expected binding offset (elements), got '-4'"},
    {"tensor x [4] fp32 in\nbinding 0 x=x-99999999999999999999\n", 2, "binding offset (elements) out of range"},
    {"binding 1\n", 1, "binding index 1 out of order (expected 0)"},
    {"task 0 kernel=0 site=0 binding=4294967295\n", 1, "binding index 4294967295 out of range"},
};

class ParseError : public testing::TestWithParam<ParseErrorCase> {};

TEST_P(ParseError, NamesFileLineAndProblem) {
  const ParseErrorCase& c = GetParam();
  SCOPED_TRACE(c.text);
  const std::string got = parse_error(c.text);
  const std::string prefix = "bad.npu:" + std::to_string(c.line) + ": ";
  EXPECT_EQ(got.substr(0, prefix.size()), prefix) << got;
  EXPECT_NE(got.find(c.message), std::string::npos) << "want: " << c.message << "\n got: " << got;
}

INSTANTIATE_TEST_SUITE_P(IsaText, ParseError, testing::ValuesIn(kParseErrors),
                         [](const auto& info) { return test_name(info.param.message); });

}  // namespace
}  // namespace isa
