// isa/validate: a valid program passes; each broken rule is reported with
// task, kernel, stream, instruction and the problem.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <string>
#include <vector>

#include "isa/text.h"
#include "isa/validate.h"

namespace isa {
namespace {

// A small attention-like program that satisfies every rule. Tests break one
// rule at a time; instruction indices are noted on the right.
constexpr const char* kValid = R"(
tensor q [16,64] bf16 in
tensor k [128,64] bf16 in
tensor s [16,128] fp32 out
tensor pos [1] int32 in init=[5]
tensor cache [256,64] bf16 inout
site 0 "qk: load"
site 1 "qk: matmul"
site 2 "qk: store"
site 3 "qk: softmax"
kernel 0 qk
  cube
    tload L1[0+16x64 bf16] <- q[0+16x64/64] @0                                         # 0
    tload L1[2048+128x64 bf16] <- k[0+128x64/64] @0                                    # 1
    tmov L0A[0+16x64 bf16] <- L1[0+16x64 bf16] @1                                      # 2
    tmov L0B[0+128x64 bf16] <- L1[2048+128x64 bf16] @1                                 # 3
    tmatmul L0C[0+16x128 fp32] <- L0A[0+16x64 bf16] L0B[0+128x64 bf16] tb @1           # 4
    tstore s[0+16x128/128] <- L0C[0+16x128 fp32] @2                                    # 5
    signal 0 @2                                                                        # 6
  vec 0
    wait 0 @3                                                                          # 0
    tload UB[0+16x128 fp32] <- s[0+16x128/128] @3                                      # 1
    vrowmax UB[8192+16x1 fp32] <- UB[0+16x128 fp32] @3                                 # 2
    vrowexpsub UB[0+16x128 fp32] <- UB[0+16x128 fp32] UB[8192+16x1 fp32] @3            # 3
    vexp UB[0+16x128 fp32] <- UB[0+16x128 fp32] @3                                     # 4
    vrowsum UB[8192+16x1 fp32] <- UB[0+16x128 fp32] @3                                 # 5
    vrowexpdiv UB[0+16x128 fp32] <- UB[0+16x128 fp32] UB[8192+16x1 fp32] @3            # 6
    vadd UB[0+16x128 fp32] <- UB[0+16x128 fp32] UB[0+16x128 fp32] @3                   # 7
    vcolexpmul UB[0+16x128 fp32] <- UB[0+16x128 fp32] UB[16384+1x128 fp32] @3          # 8
    tstore s[0+16x128/128] <- UB[0+16x128 fp32] @2                                     # 9
    sload R2 <- pos[0+1x1/1] @0                                                        # 10
    tload UB[20480+1x64 bf16] <- cache[0+1x64/64 +R2*64] @0                            # 11
    vcast UB[24576+1x64 fp32] <- UB[20480+1x64 bf16] @3                                # 12
    sadd R2 1 @0                                                                       # 13
    treshape UB[0+32x64 fp32] <- UB[0+16x128 fp32] @3                                  # 14
  vec 1
end
task 0 kernel=0 site=0 deps=[] reads=[q:0..2048,k:0..16384,s:0..8192,pos:0..4,cache:640..768] writes=[s:0..8192]
task 1 kernel=0 site=1 deps=[0] reads=[s:0..8192,pos:0..4,cache:0..32768,q:0..2048,k:0..16384] writes=[s:0..8192]
)";

// Strip the "# n" index comments: they are not part of the format.
std::string valid_text() {
  const std::string_view all = kValid;
  std::string text;
  size_t b = 0;
  for (;;) {
    const size_t e = all.find('\n', b);
    std::string line(all.substr(b, e == std::string_view::npos ? e : e - b));
    if (const size_t hash = line.find("  #"); hash != std::string::npos) line.resize(hash);
    text += line + '\n';
    if (e == std::string_view::npos) break;
    b = e + 1;
  }
  return text;
}

Program valid_program() { return parse_program(valid_text(), "valid.npu"); }

// The 1-based line of the first line of valid_text() containing `what`.
uint32_t line_of(const std::string& what) {
  const std::string text = valid_text();
  const size_t at = text.find(what);
  return at == std::string::npos ? 0 : uint32_t(1 + std::count(text.begin(), text.begin() + long(at), '\n'));
}

Instr& cube(Program& p, size_t i) { return p.kernels.at(0).cube.at(i); }
Instr& vec0(Program& p, size_t i) { return p.kernels.at(0).vec.at(0).at(i); }

std::string validation_error(const Program& p) {
  try {
    validate_program(p);
  } catch (const ProgramError& e) {
    return e.what();
  }
  return "(no error)";
}

struct Rule {
  const char* name;
  std::function<void(Program&)> breaks;
  std::vector<std::string> message_parts;  // each must appear in the message
};

const std::string kCube0 = "task 0, kernel 0 'qk', cube, instr ";
const std::string kVec0 = "task 0, kernel 0 'qk', vec 0, instr ";

TEST(IsaValidate, ValidProgramPasses) {
  const Program p = valid_program();
  EXPECT_NO_THROW(validate_program(p));
  EXPECT_NO_THROW(validate_program(Program{}));
}

TEST(IsaValidate, MessageNamesTaskKernelStreamInstructionAndSite) {
  Program p = valid_program();
  vec0(p, 7).b.rows = 8;
  EXPECT_EQ(validation_error(p),
            "task 0, kernel 0 'qk', vec 0, instr 7 'vadd' (site 3 \"qk: softmax\"): "
            "b is 8x128 but a is 16x128");
}

// A gtest name from a rule: "vector op on the cube stream" -> "VectorOpOnTheCubeStream".
std::string test_name(const std::string& s) {
  std::string name;
  bool upper = true;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      upper = true;
    } else {
      name += upper ? char(std::toupper(static_cast<unsigned char>(c))) : c;
      upper = false;
    }
  }
  return name;
}

const Rule kRules[] = {
    // Which stream may run which op.
    {"vector op on the cube stream",
     [](Program& p) { p.kernels[0].cube.push_back(vec0(p, 7)); },
     {kCube0 + "7 'vadd'", "vadd cannot run on the cube stream"}},
    {"matmul on a vec stream",
     [](Program& p) { p.kernels[0].vec[0].push_back(cube(p, 4)); },
     {kVec0 + "15 'tmatmul'", "tmatmul cannot run on a vec stream"}},
    {"cube tload into UB",
     [](Program& p) { cube(p, 0).dst.space = Space::UB; },
     {kCube0 + "0 'tload'", "dst must be in L1 on the cube stream (got UB)"}},
    {"vec tload into L1",
     [](Program& p) { vec0(p, 1).dst.space = Space::L1; },
     {kVec0 + "1 'tload'", "dst must be in UB on a vec stream (got L1)"}},
    {"cube tstore from UB",
     [](Program& p) { cube(p, 5).a.space = Space::UB; },
     {kCube0 + "5 'tstore'", "a must be in L0C on the cube stream (got UB)"}},
    {"vec tstore from L0C",
     [](Program& p) { vec0(p, 9).a.space = Space::L0C; },
     {kVec0 + "9 'tstore'", "a must be in UB on a vec stream (got L0C)"}},
    // Operand spaces.
    {"tmov L1 -> UB",
     [](Program& p) { cube(p, 2).dst.space = Space::UB; },
     {kCube0 + "2 'tmov'", "dst must be in L0A or L0B when a is in L1 (got UB)"}},
    {"vec tmov from L1",
     [](Program& p) {
       Instr mov = cube(p, 2);
       p.kernels[0].vec[0].push_back(mov);
     },
     {kVec0 + "15 'tmov'", "a must be in L0C or UB on a vec stream (got L1)"}},
    // UB -> L1: a vector core writes its group's cube L1 (a5), a plain copy.
    {"vec tmov from UB into L0A",
     [](Program& p) {
       Instr mov = vec0(p, 4);
       mov.op = Op::TMOV;
       mov.dst.space = Space::L0A;
       p.kernels[0].vec[0].push_back(mov);
     },
     {kVec0 + "15 'tmov'", "dst must be in L1 when a is in UB (got L0A)"}},
    {"vec tmov UB -> L1 converting",
     [](Program& p) {
       Instr mov = vec0(p, 4);
       mov.op = Op::TMOV;
       mov.dst.space = Space::L1;
       mov.dst.dtype = DType::BF16;
       p.kernels[0].vec[0].push_back(mov);
     },
     {kVec0 + "15 'tmov'", "dst is bf16 but a is fp32"}},
    {"cube tmov from UB",
     [](Program& p) { cube(p, 2).a.space = Space::UB; },
     {kCube0 + "2 'tmov'", "a must be in L1 or L0C (got UB)"}},
    {"matmul a not in L0A",
     [](Program& p) { cube(p, 4).a.space = Space::L1; },
     {kCube0 + "4 'tmatmul'", "a must be in L0A (got L1)"}},
    {"vector operand outside UB",
     [](Program& p) { vec0(p, 4).a.space = Space::L1; },
     {kVec0 + "4 'vexp'", "a must be in UB (got L1)"}},
    // Matmul shapes and dtype.
    {"matmul K mismatch (transposed b)",
     [](Program& p) { cube(p, 4).b.cols = 32; },
     {kCube0 + "4 'tmatmul'", "a is 16x64 (MxK) but b is 128x32 (NxK, transposed): K differs"}},
    {"matmul without tb reads b as KxN",
     [](Program& p) { cube(p, 4).flags = 0; },
     {kCube0 + "4 'tmatmul'", "b is 128x64 (KxN): K differs"}},
    {"matmul dst shape",
     [](Program& p) { cube(p, 4).dst.cols = 64; },
     {kCube0 + "4 'tmatmul'", "dst is 16x64 but a x b is 16x128"}},
    {"matmul dst not fp32",
     [](Program& p) { cube(p, 4).dst.dtype = DType::BF16; },
     {kCube0 + "4 'tmatmul'", "dst must be fp32, got bf16"}},
    // Vector shapes.
    {"vbin shape mismatch",
     [](Program& p) { vec0(p, 7).dst.cols = 64; },
     {kVec0 + "7 'vadd'", "dst is 16x64 but a is 16x128"}},
    {"vbin dtype mismatch",
     [](Program& p) { vec0(p, 7).b.dtype = DType::FP16; },
     {kVec0 + "7 'vadd'", "b is fp16 but a is fp32"}},
    {"vrowred dst not [rows,1]",
     [](Program& p) { vec0(p, 5).dst.cols = 2; },
     {kVec0 + "5 'vrowsum'", "dst is 16x2 but must be 16x1"}},
    {"vrowexp b not [rows,1]",
     [](Program& p) { vec0(p, 3).b.rows = 8; },
     {kVec0 + "3 'vrowexpsub'", "b is 8x1 but must be 16x1 (a's rows x 1)"}},
    {"vcolexp b not [1,cols]",
     [](Program& p) { vec0(p, 8).b.rows = 16; },
     {kVec0 + "8 'vcolexpmul'", "b is 16x128 but must be 1x128 (1 x a's cols)"}},
    {"vrowexp b has more than one column",
     [](Program& p) { vec0(p, 6).b.cols = 2; },
     {kVec0 + "6 'vrowexpdiv'", "b is 16x2 but must be 16x1"}},
    {"vcolexp b cols differ from a's",
     [](Program& p) { vec0(p, 8).b.cols = 64; },
     {kVec0 + "8 'vcolexpmul'", "b is 1x64 but must be 1x128"}},
    {"vcast shape",
     [](Program& p) { vec0(p, 12).dst.rows = 2; },
     {kVec0 + "12 'vcast'", "dst is 2x64 but a is 1x64"}},
    {"treshape changes size",
     [](Program& p) { vec0(p, 14).dst.rows = 16; },
     {kVec0 + "14 'treshape'", "dst must view the same bytes as a"}},
    {"tile with an unknown space",
     [](Program& p) { vec0(p, 4).a.space = Space(9); },
     {kVec0 + "4 'vexp'", "a: bad space 9"}},
    {"tile in GM",
     [](Program& p) { vec0(p, 4).a.space = Space::GM; },
     {kVec0 + "4 'vexp'", "a is a tile in GM (use a GM view)"}},
    {"tile valid rows exceed rows",
     [](Program& p) { vec0(p, 4).dst.valid_rows = 17; },
     {kVec0 + "4 'vexp'", "dst valid 17x0 exceeds its shape 16x128"}},
    // GM transfers.
    {"tload tile vs view shape",
     [](Program& p) { vec0(p, 1).gm.rows = 8; },
     {kVec0 + "1 'tload'", "dst is 16x128 but the gm view is 8x128"}},
    {"tload tile dtype vs tensor",
     [](Program& p) { cube(p, 0).dst.dtype = DType::FP16; },
     {kCube0 + "0 'tload'", "dst is fp16 but tensor 'q' is bf16"}},
    // q is 1024 elements and the valid view covers all of it: one more is too many.
    {"static view one element past the tensor end",
     [](Program& p) { cube(p, 0).gm.offset = 1; },
     {kCube0 + "0 'tload'", "gm view of 'q': elements 1..1025 exceed the tensor (1024 elements)"}},
    {"strided view past the tensor end",
     [](Program& p) { cube(p, 0).gm.row_stride = 65; },
     {kCube0 + "0 'tload'", "gm view of 'q': elements 0..1039 exceed the tensor"}},
    {"row stride below cols",
     [](Program& p) { cube(p, 0).gm.row_stride = 32; },
     {kCube0 + "0 'tload'", "row_stride 32 < cols 64"}},
    {"dynamic view with a negative static part",
     [](Program& p) { vec0(p, 11).gm.offset = -64; },
     {kVec0 + "11 'tload'", "offset -64 < 0 (the static part of a register offset must be >= 0)"}},
    {"view register out of range",
     [](Program& p) { vec0(p, 11).gm.reg = kNumRegs; },
     {kVec0 + "11 'tload'", "register R16 out of range R0..R15"}},
    {"view tensor out of range",
     [](Program& p) { vec0(p, 1).gm.tensor = 9; },
     {kVec0 + "1 'tload'", "gm: tensor index 9 out of range (5 tensors)"}},
    // Scalar and sync ops.
    {"sload register out of range",
     [](Program& p) { vec0(p, 10).reg = 16; },
     {kVec0 + "10 'sload'", "register R16 out of range R0..R15"}},
    {"sload from a float tensor",
     [](Program& p) { vec0(p, 10).gm.tensor = 2; },
     {kVec0 + "10 'sload'", "gm tensor 's' must be int32"}},
    {"fractional flag id",
     [](Program& p) { cube(p, 6).imm = 0.5f; },
     {kCube0 + "6 'signal'", "imm 0.5 must be a flag id"}},
    // Unused fields, subs, flags, sites.
    {"unused operand set",
     [](Program& p) { vec0(p, 1).imm = 2.0f; },
     {kVec0 + "1 'tload'", "operand imm is set but unused"}},
    {"sub out of range",
     [](Program& p) { vec0(p, 5).sub = 3; },  // vrow<red>: sum, max, min
     {kVec0 + "5 ", "sub 3 is not valid"}},
    {"flags on a vector op",
     [](Program& p) { vec0(p, 7).flags = kAccumulate; },
     {kVec0 + "7 'vadd'", "flags 1 not valid for vadd"}},
    {"instruction site out of range",
     [](Program& p) { vec0(p, 2).site = 4; },
     {kVec0 + "2 'vrowmax': site 4 out of range (4 sites)"}},
    // Tasks.
    {"task kernel out of range",
     [](Program& p) { p.tasks[1].kernel = 3; },
     {"task 1: kernel index 3 out of range (1 kernels)"}},
    {"task site out of range",
     [](Program& p) { p.tasks[1].site = 9; },
     {"task 1 (kernel 0 'qk'): site 9 out of range"}},
    {"dep on a later task",
     [](Program& p) { p.tasks[0].deps = {1}; },
     {"task 0 (kernel 0 'qk'): dep 1 is not an earlier task"}},
    {"dep on itself",
     [](Program& p) { p.tasks[1].deps = {1}; },
     {"task 1 (kernel 0 'qk'): dep 1 is not an earlier task"}},
    {"range past the tensor end",
     [](Program& p) { p.tasks[1].reads[0].end = 8193; },
     {"task 1 (kernel 0 'qk'): read range 0..8193 exceeds tensor 's' (8192 bytes)"}},
    {"empty range",
     [](Program& p) { p.tasks[0].writes[0].begin = 8192; },
     {"task 0 (kernel 0 'qk'): write range 8192..8192 of 's' is empty or reversed"}},
    {"range tensor out of range",
     [](Program& p) { p.tasks[0].reads[1].tensor = 5; },
     {"task 0 (kernel 0 'qk'): read range 0..16384: tensor index 5 out of range"}},
    // Declared GM ranges must cover what the instructions touch (task 0:
    // reads=[q:0..2048,k:0..16384,s:0..8192,pos:0..4,cache:640..768] writes=[s:0..8192]).
    {"tload outside the reads",
     [](Program& p) { p.tasks[0].reads[2].end = 4096; },
     {kVec0 + "1 'tload' (site 3 \"qk: softmax\"): reads s:0..8192, but s:4096..8192 is not in the task's "
              "reads=[...]"}},
    {"tload covered only by the writes",
     [](Program& p) { p.tasks[0].reads.erase(p.tasks[0].reads.begin() + 2); },
     {kVec0 + "1 'tload'", "reads s:0..8192, but s:0..8192 is not in the task's reads=[...]"}},
    {"tstore outside the writes",
     [](Program& p) { p.tasks[0].writes[0].begin = 64; },
     {kCube0 + "5 'tstore' (site 2 \"qk: store\"): writes s:0..8192, but s:0..64 is not in the task's "
               "writes=[...]"}},
    {"sload outside the reads",
     [](Program& p) { p.tasks[0].reads[3].tensor = 0; },
     {kVec0 + "10 'sload'", "reads pos:0..4, but pos:0..4 is not in the task's reads=[...]"}},
    {"register-relative tload outside the reads",
     [](Program& p) { p.tensors[3].init = {4}; },  // R2 = 4: cache row 4, bytes 512..640
     {kVec0 + "11 'tload'", "reads cache:512..640, but cache:512..640 is not in the task's reads=[...]"}},
    {"register-relative tload with an unknown register",
     [](Program& p) { p.tensors[3].init.clear(); },  // R2 is not known before the run
     {kVec0 + "11 'tload'",
      "reads cache:0..32768 (its offset depends on R2, whose value is not known before the run: the whole "
      "tensor), but cache:0..640 is not in the task's reads=[...]"}},
    {"strided tload with a row outside the reads",
     [](Program& p) {
       // Rows of 64 bytes, 512 bytes apart: the hull is not covered, rows 0, 1 and 3 are,
       // row 2 only up to byte 1060.
       p.tasks[0].reads[2] = GmRange{2, 0, 64};
       p.tasks[0].reads.push_back(GmRange{2, 1536, 1600});
       p.tasks[0].reads.push_back(GmRange{2, 512, 576});
       p.tasks[0].reads.push_back(GmRange{2, 1024, 1060});
       Instr& in = vec0(p, 1);
       in.gm = make_view(2, 0, 4, 16, 128);
       in.dst = make_tile(Space::UB, 0, 4, 16, DType::FP32);
     },
     {kVec0 + "1 'tload'",
      "reads s:0..1600 (4 rows of 64 bytes), but s:1060..1088 is not in the task's reads=[...]"}},
    // Bindings.
    {"binding to another shape",
     [](Program& p) {
       p.bindings.push_back(Binding{{{0, 1, 0}}});  // q [16,64] would stand for k [128,64]
     },
     {"binding 0: binds 'q' (bf16 [16,64]) to 'k' (bf16 [128,64]): a bound tensor has the dtype and shape of "
      "the one it replaces"}},
    {"binding entries out of order",
     [](Program& p) { p.bindings.push_back(Binding{{{1, 1, 0}, {0, 0, 0}}}); },
     {"binding 0: entries are not sorted by the tensor they replace, each once ('q')"}},
    {"binding offset past any tensor",
     [](Program& p) { p.bindings.push_back(Binding{{{0, 0, INT64_MIN}}}); },
     {"binding 0: moves 'q' by -9223372036854775808 elements, past the 2^48 any tensor holds"}},
    {"binding entry past the tensors",
     [](Program& p) { p.bindings.push_back(Binding{{{0, 9, 0}}}); },
     {"binding 0: entry for 'q': tensor index 9 out of range (5 tensors)"}},
    {"binding offset moves a view out of its tensor",
     [](Program& p) {
       // q is [16,64] = 1024 elements; the cube's tload reads all of them.
       p.bindings.push_back(Binding{{{0, 0, 1024}}});
       p.tasks[0].binding = 0;
     },
     {"'tload'", "under binding 0 ('q' moved by 1024 elements) its view of 'q' is elements 1024..2048, outside "
                 "the tensor (1024 elements)"}},
    {"task binding out of range",
     [](Program& p) { p.tasks[0].binding = 0; },
     {"task 0 (kernel 0 'qk'): binding 0 out of range (0 bindings)"}},
    {"tload under a binding outside the reads",
     [](Program& p) {
       // q2 stands for q in task 0; its reads still name q.
       Tensor q2 = p.tensors[0];
       q2.name = "q2";
       p.tensors.push_back(q2);
       p.bindings.push_back(Binding{{{0, 5, 0}}});
       p.tasks[0].binding = 0;
     },
     {kCube0 + "0 'tload'", "reads q2:0..2048, but q2:0..2048 is not in the task's reads=[...]"}},
    // Tensors.
    {"duplicate tensor name",
     [](Program& p) { p.tensors[1].name = "q"; },
     {"tensor 1 'q': name also used by tensor 0"}},
    {"init on a float tensor",
     [](Program& p) { p.tensors[0].init = {1}; },
     {"tensor 0 'q': init values on a non-int32 tensor"}},
    {"init count",
     [](Program& p) {
       p.tensors[3].init = {1, 2};
     },
     {"tensor 3 'pos': 2 init values for 1 elements"}},
    // A kernel no task launches is still checked.
    {"kernel without a task",
     [](Program& p) {
       Kernel k;
       k.name = "spare";
       k.vec = {{}, {vec0(p, 7)}};
       k.vec[1][0].a.dtype = DType::BF16;
       p.kernels.push_back(k);
     },
     {"kernel 1 'spare' (not launched), vec 1, instr 0 'vadd'", "dst is fp32 but a is bf16"}},
};

class BrokenRule : public testing::TestWithParam<Rule> {};

TEST_P(BrokenRule, IsReportedWithItsLocation) {
  const Rule& rule = GetParam();
  Program p = valid_program();
  rule.breaks(p);
  const std::string got = validation_error(p);
  for (const std::string& part : rule.message_parts)
    EXPECT_NE(got.find(part), std::string::npos) << "want: " << part << "\n got: " << got;
}

INSTANTIATE_TEST_SUITE_P(IsaValidate, BrokenRule, testing::ValuesIn(kRules),
                         [](const auto& info) { return test_name(info.param.name); });

TEST(IsaValidate, WithASourceMapMessagesStartWithFileAndLine) {
  SourceMap src;
  Program p = parse_program(valid_text(), "valid.npu", &src);
  ASSERT_NO_THROW(validate_program(p, &src));
  p.tasks[1].deps = {1};
  try {
    validate_program(p, &src);
    ADD_FAILURE() << "no error";
  } catch (const ProgramError& e) {
    EXPECT_EQ(std::string(e.what()), "valid.npu:" + std::to_string(line_of("task 1 ")) +
                                         ": task 1 (kernel 0 'qk'): dep 1 is not an earlier task");
  }
  p = parse_program(valid_text(), "valid.npu", &src);
  vec0(p, 7).b.rows = 8;
  try {
    validate_program(p, &src);
    ADD_FAILURE() << "no error";
  } catch (const ProgramError& e) {
    EXPECT_EQ(std::string(e.what()), "valid.npu:" + std::to_string(line_of("vadd ")) +
                                         ": task 0, kernel 0 'qk', vec 0, instr 7 'vadd' (site 3 \"qk: "
                                         "softmax\"): b is 8x128 but a is 16x128");
  }
  // An uncovered access names the task's line (where reads= is) and the instruction's.
  p = parse_program(valid_text(), "valid.npu", &src);
  p.tasks[0].reads[2].end = 4096;
  try {
    validate_program(p, &src);
    ADD_FAILURE() << "no error";
  } catch (const ProgramError& e) {
    EXPECT_EQ(std::string(e.what()),
              "valid.npu:" + std::to_string(line_of("task 0 ")) +
                  ": task 0, kernel 0 'qk', vec 0, instr 1 'tload' (site 3 \"qk: softmax\", line " +
                  std::to_string(line_of("tload UB[0+16x128")) +
                  "): reads s:0..8192, but s:4096..8192 is not in the task's reads=[...]");
  }
}

// Dependencies come from the declared ranges; explicit deps stay.
TEST(IsaValidate, DeriveTaskDepsAddsToExplicitDeps) {
  Program p = valid_program();
  p.tasks[1].deps.clear();
  Task t = p.tasks[0];  // reads s, which tasks 0 and 1 wrote
  t.deps = {0};
  t.writes.clear();
  p.tasks.push_back(t);
  Task u = t;  // writes nothing the others touch: only its explicit dep
  u.reads = {GmRange{0, 0, 2048}};
  u.deps = {1};
  p.tasks.push_back(u);
  derive_task_deps(p);
  EXPECT_EQ(p.tasks[0].deps, std::vector<uint32_t>{});
  EXPECT_EQ(p.tasks[1].deps, std::vector<uint32_t>{0});  // WAW and RAW on s
  EXPECT_EQ(p.tasks[2].deps, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(p.tasks[3].deps, std::vector<uint32_t>{1});
  const Program once = p;
  derive_task_deps(p);
  EXPECT_TRUE(p == once);
}

// A program with an error in a later task's kernel is reported at the first
// task that launches that kernel.
TEST(IsaValidate, KernelErrorsNameTheFirstLaunchingTask) {
  Program p = valid_program();
  Kernel k = p.kernels[0];
  k.name = "second";
  k.vec[0][7].b.cols = 1;
  p.kernels.push_back(k);
  Task t = p.tasks[1];
  t.kernel = 1;
  t.deps = {0, 1};
  p.tasks.push_back(t);
  EXPECT_NE(validation_error(p).find("task 2, kernel 1 'second', vec 0, instr 7 'vadd'"),
            std::string::npos)
      << validation_error(p);
}

// validate_program checks a large program in two parts at once (the tasks
// and their kernels, then the coverage of the declared ranges), split by
// instruction count. `n` tasks, task t the only launch of kernel t (a copy
// of 'qk' named "k<t>"), task 0's ranges: the two halves weigh the same.
Program copies(uint32_t n) {
  const Program one = valid_program();
  Program p = one;
  p.kernels.clear();
  p.tasks.clear();
  for (uint32_t t = 0; t < n; ++t) {
    Kernel k = one.kernels[0];
    k.name = "k" + std::to_string(t);
    p.kernels.push_back(k);
    Task task = one.tasks[0];
    task.kernel = t;
    task.deps.clear();
    p.tasks.push_back(task);
  }
  return p;
}

// Errors in both halves: the message is the first in task order, the one a
// single pass gives, and a kernel's error comes before any coverage error.
TEST(IsaValidate, ASplitCheckReportsTheFirstErrorInProgramOrder) {
  ASSERT_NO_THROW(validate_program(copies(8)));
  Program p = copies(8);
  p.kernels[1].vec[0][7].b.cols = 1;  // task 1's vadd (first half)
  p.kernels[6].vec[0][7].b.cols = 1;  // task 6's (second half)
  EXPECT_NE(validation_error(p).find("task 1, kernel 1 'k1', vec 0, instr 7 'vadd'"), std::string::npos)
      << validation_error(p);
  p.kernels[1].vec[0][7].b.cols = 128;  // only the second half's is left
  EXPECT_NE(validation_error(p).find("task 6, kernel 6 'k6', vec 0, instr 7 'vadd'"), std::string::npos)
      << validation_error(p);

  // Task 2 no longer declares its read of q (instr 0 of its cube): a coverage
  // error in the first half; task 6's broken vadd comes first all the same.
  p.tasks[2].reads.erase(p.tasks[2].reads.begin());
  EXPECT_NE(validation_error(p).find("task 6, kernel 6 'k6', vec 0, instr 7 'vadd'"), std::string::npos)
      << validation_error(p);
  p.kernels[6].vec[0][7].b.cols = 128;
  p.tasks[5].reads.erase(p.tasks[5].reads.begin());  // and the same in the second half
  EXPECT_NE(validation_error(p).find("task 2, kernel 2 'k2', cube, instr 0 'tload'"), std::string::npos)
      << validation_error(p);
  EXPECT_NE(validation_error(p).find("q:0..2048 is not in the task's reads=[...]"), std::string::npos)
      << validation_error(p);
  p.tasks[2].reads = p.tasks[0].reads;
  EXPECT_NE(validation_error(p).find("task 5, kernel 5 'k5', cube, instr 0 'tload'"), std::string::npos)
      << validation_error(p);
}

TEST(IsaValidate, VrowexpandTakesAnyColumnsButARowPerDstRow) {
  Program p = valid_program();
  Instr in = vec0(p, 7);  // a vadd: dst and a are 16x128 fp32 tiles in UB
  in.op = Op::VROWEXPAND;
  in.b = Tile{};
  in.a.cols = 1;  // a 16x1 column, broadcast along each row
  vec0(p, 7) = in;
  EXPECT_EQ(validation_error(p), "(no error)");
  // Printed and parsed back by its row's mnemonic.
  EXPECT_NE(print_program(p).find(" vrowexpand UB["), std::string::npos);
  EXPECT_EQ(parse_program(print_program(p), "rt.npu"), p);
  vec0(p, 7).dst.rows = 8;
  EXPECT_NE(validation_error(p).find(kVec0 + "7 'vrowexpand' (site 3 \"qk: softmax\"): dst is 8x128 but must be "
                                             "16x* (a's rows x any)"),
            std::string::npos)
      << validation_error(p);
  vec0(p, 7).dst.rows = 16;
  vec0(p, 7).dst.dtype = DType::BF16;
  EXPECT_NE(validation_error(p).find("dst is bf16 but a is fp32"), std::string::npos) << validation_error(p);
}

// vci writes one int32 row counting from an integer imm that stays within the
// fp32 immediate's exact range.
TEST(IsaValidate, VciWritesOneInt32RowFromAnIntegerImm) {
  Program p = valid_program();
  Instr in;
  in.op = Op::VCI;
  in.site = 3;
  in.dst = make_tile(Space::UB, 20480, 1, 64, DType::INT32);
  in.imm = 7;
  vec0(p, 7) = in;
  EXPECT_EQ(validation_error(p), "(no error)");
  vec0(p, 7).flags = kDescending;
  EXPECT_EQ(validation_error(p), "(no error)");
  vec0(p, 7).dst.dtype = DType::FP32;
  EXPECT_NE(validation_error(p).find(kVec0 + "7 'vci' (site 3 \"qk: softmax\"): dst is fp32, must be int32"),
            std::string::npos)
      << validation_error(p);
  vec0(p, 7).dst = make_tile(Space::UB, 20480, 2, 64, DType::INT32);
  EXPECT_NE(validation_error(p).find("dst is 2x64: vci writes one row"), std::string::npos) << validation_error(p);
  vec0(p, 7).dst.rows = 1;
  vec0(p, 7).imm = 2.5f;
  EXPECT_NE(validation_error(p).find("imm 2.5 must be an integer"), std::string::npos) << validation_error(p);
  vec0(p, 7).imm = 16777200.0f;  // + 64 columns passes 2^24 = 16777216
  EXPECT_NE(validation_error(p).find("passes 2^24"), std::string::npos) << validation_error(p);
}

// vgather: int32 indices of dst's shape, dst of the source's dtype.
TEST(IsaValidate, VgatherTakesInt32IndicesOfDstsShape) {
  Program p = valid_program();
  Instr in;
  in.op = Op::VGATHER;
  in.site = 3;
  in.a = make_tile(Space::UB, 0, 16, 128, DType::FP32);
  in.b = make_tile(Space::UB, 20480, 1, 64, DType::INT32);
  in.dst = make_tile(Space::UB, 24576, 1, 64, DType::FP32);
  vec0(p, 7) = in;
  EXPECT_EQ(validation_error(p), "(no error)");
  vec0(p, 7).b.dtype = DType::FP32;
  EXPECT_NE(validation_error(p).find(kVec0 + "7 'vgather' (site 3 \"qk: softmax\"): indices are fp32, must be int32"),
            std::string::npos)
      << validation_error(p);
  vec0(p, 7).b.dtype = DType::INT32;
  vec0(p, 7).b.cols = 32;
  EXPECT_NE(validation_error(p).find("indices is 1x32 but dst is 1x64"), std::string::npos) << validation_error(p);
  vec0(p, 7).b.cols = 64;
  vec0(p, 7).dst.dtype = DType::BF16;
  EXPECT_NE(validation_error(p).find("dst is bf16 but source is fp32"), std::string::npos) << validation_error(p);
}

// A column reduction writes one row of a's columns; a column broadcast
// fills any rows of a's columns.
TEST(IsaValidate, VcolredWritesARowAndVcolexpandAnyRowsOfAsColumns) {
  Program p = valid_program();
  Instr in = vec0(p, 7);  // a vadd: dst and a are 16x128 fp32 tiles in UB at 0
  in.op = Op::VCOLRED;
  in.sub = uint8_t(RedOp::MAX);
  in.b = Tile{};
  in.dst.offset = 16384;  // the 1x128 row that vcolexpmul (#8) reads
  in.dst.rows = 1;
  vec0(p, 7) = in;
  EXPECT_EQ(validation_error(p), "(no error)");
  EXPECT_NE(print_program(p).find(" vcolmax UB[16384+1x128 fp32] <- UB[0+16x128 fp32]"), std::string::npos);
  EXPECT_EQ(parse_program(print_program(p), "rt.npu"), p);
  vec0(p, 7).dst.rows = 2;
  EXPECT_NE(validation_error(p).find(kVec0 + "7 'vcolmax' (site 3 \"qk: softmax\"): dst is 2x128 but must be "
                                             "1x128 (1 x a's cols)"),
            std::string::npos)
      << validation_error(p);
  // vcolexpand UB[0+16x128] <- the 1x128 row: any rows, a's columns.
  in.op = Op::VCOLEXPAND;
  in.sub = 0;
  std::swap(in.a, in.dst);
  vec0(p, 7) = in;
  EXPECT_EQ(validation_error(p), "(no error)");
  vec0(p, 7).dst.cols = 64;
  EXPECT_NE(validation_error(p).find(kVec0 + "7 'vcolexpand' (site 3 \"qk: softmax\"): dst is 16x64 but must be "
                                             "*x128 (any x a's cols)"),
            std::string::npos)
      << validation_error(p);
}

}  // namespace
}  // namespace isa
