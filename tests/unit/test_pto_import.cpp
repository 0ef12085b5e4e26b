// The PTO importer (frontends/pto): what it makes of the dialect, and a named
// error (file, line, op or key) for everything outside its subset. The
// corpus's kernels run end to end in tests/sc/test_pto_run.cpp.
#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "frontends/pto/pto.h"
#include "isa/text.h"

namespace {

const char* kTile = "!pto.tile_buf<loc=vec, dtype=f32, rows=8, cols=64, v_row=8, v_col=64, blayout=row_major, "
                    "slayout=none_box, fractal=512, pad=0>";

// A vector kernel @k(%x, %y) loading x into %t (UB 0) and %u (UB 2048),
// then `body` (lines 15...), then storing %u to y.
std::string kernel(const std::string& body, const std::string& params = "") {
  const std::string t = kTile;
  return "module {\n"                                                                                    // 1
         "  func.func @k(%x: !pto.ptr<f32>, %y: !pto.ptr<f32>" + params +
         ") attributes {pto.kernel_kind = #pto.kernel_kind<vector>} {\n"                                 // 2
         "    %c0 = arith.constant 0 : index\n"                                                          // 3
         "    %c1 = arith.constant 1 : index\n"                                                          // 4
         "    %c8 = arith.constant 8 : index\n"                                                          // 5
         "    %c64 = arith.constant 64 : index\n"                                                        // 6
         "    %a0 = arith.constant 0 : i64\n"                                                            // 7
         "    %a2k = arith.constant 2048 : i64\n"                                                        // 8
         "    %xv = pto.make_tensor_view %x, shape = [%c8, %c64], strides = [%c64, %c1] : !pto.tensor_view<?x?xf32>\n"  // 9
         "    %yv = pto.make_tensor_view %y, shape = [%c8, %c64], strides = [%c64, %c1] : !pto.tensor_view<?x?xf32>\n"  // 10
         "    %xp = pto.partition_view %xv, offsets = [%c0, %c0], sizes = [%c8, %c64] : !pto.tensor_view<?x?xf32> -> !pto.partition_tensor_view<8x64xf32>\n"  // 11
         "    %t = pto.alloc_tile addr = %a0 : " + t + "\n"                                              // 12
         "    %u = pto.alloc_tile addr = %a2k : " + t + "\n"                                             // 13
         "    pto.tload ins(%xp : !pto.partition_tensor_view<8x64xf32>) outs(%t : " + t + ")\n" +        // 14
         body +                                                                                          // 15...
         "    %yp = pto.partition_view %yv, offsets = [%c0, %c0], sizes = [%c8, %c64] : !pto.tensor_view<?x?xf32> -> !pto.partition_tensor_view<8x64xf32>\n"
         "    pto.tstore ins(%u : " + t + ") outs(%yp : !pto.partition_tensor_view<8x64xf32>)\n"
         "    return\n"
         "  }\n"
         "}\n";
}

const char* kLaunch =
    "pto: [k.pto]\n"                                 // 1
    "tensors:\n"                                     // 2
    "  x: {shape: [8, 64], dtype: fp32}\n"           // 3
    "  y: {shape: [8, 64], dtype: fp32}\n"           // 4
    "launches:\n"                                    // 5
    "  - {kernel: k, args: [x, y]}\n";               // 6

pto::Imported import(const std::string& pto_text, const std::string& launch = kLaunch) {
  return pto::load_launch_text(launch, "l.yaml", {{"k.pto", pto_text}});
}

// The message of the PtoError (or other InputError) that importing throws.
std::string error_of(const std::string& pto_text, const std::string& launch = kLaunch) {
  try {
    import(pto_text, launch);
  } catch (const isa::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string line(const std::string& s) { return "    " + s + "\n"; }
std::string op(const std::string& name, const std::string& ins, const std::string& outs) {
  return line(name + " ins(" + ins + ") outs(" + outs + ")");
}
const std::string kT = kTile;

}  // namespace

TEST(PtoImport, AVectorKernelBecomesItsInstructions) {
  const pto::Imported im = import(kernel(op("pto.texp", "%t : " + kT, "%u : " + kT)));
  const isa::Program& p = im.program;
  ASSERT_EQ(p.kernels.size(), 1u);
  ASSERT_EQ(p.kernels[0].vec.size(), 1u);
  EXPECT_TRUE(p.kernels[0].cube.empty());
  const auto& s = p.kernels[0].vec[0];
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(isa::mnemonic(s[0]), "tload");
  EXPECT_EQ(isa::mnemonic(s[1]), "vexp");
  EXPECT_EQ(s[1].a.offset, 0u);
  EXPECT_EQ(s[1].dst.offset, 2048u);
  EXPECT_EQ(isa::mnemonic(s[2]), "tstore");
  // Tasks and their GM ranges come from the instructions.
  ASSERT_EQ(p.tasks.size(), 1u);
  ASSERT_EQ(p.tasks[0].reads.size(), 1u);
  EXPECT_EQ(p.tasks[0].reads[0].end, 2048u);
  EXPECT_EQ(p.tensors[0].kind, isa::TensorKind::In);
  EXPECT_EQ(p.tensors[1].kind, isa::TensorKind::Out);
  // The source map points at the .pto lines.
  EXPECT_EQ(im.source.file, "k.pto");
  EXPECT_EQ(im.source.instr(0, 1, 1), 15u);
  // It prints and parses back in npusim's text format.
  EXPECT_EQ(isa::parse_program(isa::print_program(p), "x"), p);
}

// pto-isa's TLOG (natural log), TRELU (max(x, 0)) and TROWMIN (each row's
// minimum, with a scratch tile as TROWMAX) are npusim's vlog, vrelu, vrowmin.
TEST(PtoImport, LogReluAndRowMinAreVectorOps) {
  const std::string col = "!pto.tile_buf<loc=vec, dtype=f32, rows=8, cols=1, v_row=8, v_col=1, blayout=col_major, "
                          "slayout=none_box, fractal=512, pad=0>";
  const isa::Program p = import(kernel(op("pto.tlog", "%t : " + kT, "%u : " + kT) +
                                       op("pto.trelu", "%u : " + kT, "%u : " + kT) +
                                       line("%a4k = arith.constant 4096 : i64") +
                                       line("%m = pto.alloc_tile addr = %a4k : " + col) +
                                       op("pto.trowmin", "%u, %t : " + kT + ", " + kT, "%m : " + col)))
                             .program;
  const auto& s = p.kernels[0].vec[0];
  ASSERT_EQ(s.size(), 5u);  // tload, the three, tstore
  EXPECT_EQ(isa::mnemonic(s[1]), "vlog");
  EXPECT_EQ(isa::mnemonic(s[2]), "vrelu");
  EXPECT_EQ(s[2].a.offset, 2048u);
  EXPECT_EQ(isa::mnemonic(s[3]), "vrowmin");
  EXPECT_EQ(s[3].a.offset, 2048u);
  EXPECT_EQ(s[3].dst.offset, 4096u);
  EXPECT_EQ(s[3].dst.rows, 8u);
  EXPECT_EQ(s[3].dst.cols, 1u);
}

// TCOLSUM / TCOLMAX / TCOLMIN (with or without a scratch tile and
// {isBinary}) reduce each column to one row: vcolsum, vcolmax, vcolmin;
// TCOLEXPAND broadcasts row 0 down the rows: vcolexpand.
TEST(PtoImport, ColumnReductionsAndTheColumnBroadcast) {
  const std::string row = "!pto.tile_buf<loc=vec, dtype=f32, rows=1, cols=64, v_row=1, v_col=64, blayout=row_major, "
                          "slayout=none_box, fractal=512, pad=0>";
  const isa::Program p = import(kernel(line("%a4k = arith.constant 4096 : i64") +
                                       line("%r = pto.alloc_tile addr = %a4k : " + row) +
                                       op("pto.tcolsum", "%t, %u {isBinary = false} : " + kT + ", " + kT, "%r : " + row) +
                                       op("pto.tcolmax", "%t : " + kT, "%r : " + row) +
                                       op("pto.tcolmin", "%t : " + kT, "%r : " + row) +
                                       op("pto.tcolexpand", "%r : " + row, "%u : " + kT)))
                             .program;
  const auto& s = p.kernels[0].vec[0];
  ASSERT_EQ(s.size(), 6u);  // tload, the four, tstore
  EXPECT_EQ(isa::mnemonic(s[1]), "vcolsum");
  EXPECT_EQ(s[1].a.offset, 0u);
  EXPECT_EQ(s[1].dst.offset, 4096u);
  EXPECT_EQ(s[1].dst.rows, 1u);
  EXPECT_EQ(isa::mnemonic(s[2]), "vcolmax");
  EXPECT_EQ(isa::mnemonic(s[3]), "vcolmin");
  EXPECT_EQ(isa::mnemonic(s[4]), "vcolexpand");
  EXPECT_EQ(s[4].a.offset, 4096u);
  EXPECT_EQ(s[4].dst.offset, 2048u);
}

// tcvt's rmode picks vcast's rounding: absent, NONE and RINT are to nearest
// even (plain vcast), CAST_ prefixes are accepted, an unknown mode is named.
TEST(PtoImport, TcvtKeepsItsRoundingMode) {
  const std::string bf = "!pto.tile_buf<loc=vec, dtype=bf16, rows=8, cols=64, v_row=8, v_col=64, blayout=row_major, "
                         "slayout=none_box, fractal=512, pad=0>";
  const auto cvt = [&](const std::string& attr) {
    return kernel(line("%a4k = arith.constant 4096 : i64") + line("%b = pto.alloc_tile addr = %a4k : " + bf) +
                  op("pto.tcvt", "%t" + attr + " : " + kT, "%b : " + bf));
  };
  const auto mnemonic = [&](const std::string& attr) {
    return isa::mnemonic(import(cvt(attr)).program.kernels[0].vec[0][1]);
  };
  EXPECT_EQ(mnemonic(""), "vcast");
  EXPECT_EQ(mnemonic(" {rmode = #pto<round_mode NONE>}"), "vcast");
  EXPECT_EQ(mnemonic("{rmode = #pto<round_mode RINT>}"), "vcast");
  EXPECT_EQ(mnemonic(" {rmode = #pto<round_mode ROUND>}"), "vcast_round");
  EXPECT_EQ(mnemonic(" {rmode = #pto<round_mode CAST_FLOOR>}"), "vcast_floor");
  EXPECT_EQ(mnemonic(" {rmode = #pto<round_mode CEIL>}"), "vcast_ceil");
  EXPECT_EQ(mnemonic(" {rmode = #pto<round_mode TRUNC>}"), "vcast_trunc");
  EXPECT_EQ(mnemonic(" {rmode = #pto<round_mode ODD>}"), "vcast_odd");
  EXPECT_NE(error_of(cvt(" {rmode = #pto<round_mode HALF>}"))
                .find("k.pto:17: pto.tcvt: rmode '#pto<round_mode HALF>' is not a rounding mode"),
            std::string::npos)
      << error_of(cvt(" {rmode = #pto<round_mode HALF>}"));
}

// tstore {atomicType = #pto<atomic_type atomic_add>} adds to GM: a tstore
// with atomic_add, which reads the view too (the tensor is in and out, the
// task's reads cover it); atomic_none is a plain store; another type, and an
// attribute npusim does not model, are errors (they were once ignored).
TEST(PtoImport, AnAtomicAddStoreAddsToGm) {
  const auto store = [&](const std::string& attr) {
    std::string k = kernel("");
    const std::string plain = "outs(%yp : !pto.partition_tensor_view<8x64xf32>)";
    k.replace(k.find(plain), plain.size(), plain + attr);
    return k;
  };
  const isa::Program p = import(store(" {atomicType = #pto<atomic_type atomic_add>}")).program;
  const auto& s = p.kernels[0].vec[0];
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].flags, isa::kAtomicAdd);
  EXPECT_NE(isa::print_program(p).find("<- UB[2048+8x64 fp32] atomic_add @"), std::string::npos);
  EXPECT_EQ(p.tensors[1].kind, isa::TensorKind::InOut);
  ASSERT_EQ(p.tasks[0].reads.size(), 2u);  // x, and y for the add
  EXPECT_EQ(p.tasks[0].reads[1], (isa::GmRange{1, 0, 2048}));
  EXPECT_EQ(import(store(" {atomicType = #pto<atomic_type atomic_none>}")).program.kernels[0].vec[0][1].flags, 0);
  EXPECT_NE(error_of(store(" {atomicType = #pto<atomic_type atomic_max>}"))
                .find("pto.tstore: atomicType #pto<atomic_type atomic_max> is not modelled"),
            std::string::npos);
  EXPECT_NE(error_of(store(" {cache = true}")).find("pto.tstore: attribute {cache = true} is not modelled"),
            std::string::npos);
}

// pto.subview: a part of a tile as a tile over the same bytes, no
// instruction. A row block is rows of the parent; a column slice keeps the
// parent's cols as its row pitch (the part is the valid region).
TEST(PtoImport, ASubviewIsAPartOfItsTile) {
  const std::string part = "!pto.tile_buf<loc=vec, dtype=f32, rows=2, cols=16, v_row=2, v_col=16, blayout=row_major, "
                           "slayout=none_box, fractal=512, pad=0>";
  const std::string rows = "!pto.tile_buf<loc=vec, dtype=f32, rows=4, cols=64, v_row=4, v_col=64, blayout=row_major, "
                           "slayout=none_box, fractal=512, pad=0>";
  const std::string body =
      line("%c2 = arith.constant 2 : index") + line("%c4 = arith.constant 4 : index") +
      line("%c16 = arith.constant 16 : index") +
      // rows 2..3, columns 16..31 of %t; rows 4..7 of %u (a row block, valid 3 x 64)
      line("%p = pto.subview %t[%c2, %c16] sizes [2, 16] valid [%c2, %c16] : " + kT + " -> " + part) +
      line("%q = pto.subview %u[%c4, %c0] sizes [4, 64] valid [%c2, %c64] : " + kT + " -> " + rows) +
      op("pto.tadds", "%p, %c1 : " + part + ", index", "%p : " + part) + op("pto.texp", "%q : " + rows, "%q : " + rows);
  const isa::Program p = import(kernel(body)).program;
  const auto& s = p.kernels[0].vec[0];
  ASSERT_EQ(s.size(), 4u);  // tload, vadds, vexp, tstore
  // (2 * 64 + 16) * 4 B = 576; pitch 64, valid 2 x 16.
  EXPECT_EQ(s[1].dst.offset, 576u);
  EXPECT_EQ(s[1].dst.cols, 64u);
  EXPECT_EQ(s[1].dst.vrows(), 2u);
  EXPECT_EQ(s[1].dst.vcols(), 16u);
  // 2048 + 4 * 64 * 4 B = 3072; 4 x 64, valid 2 x 64.
  EXPECT_EQ(s[2].a.offset, 3072u);
  EXPECT_EQ(s[2].a.rows, 4u);
  EXPECT_EQ(s[2].a.vrows(), 2u);
  EXPECT_EQ(s[2].a.vcols(), 64u);
  // Outside the tile, and padding a column slice (which would write its
  // neighbours' columns), are errors.
  EXPECT_NE(error_of(kernel(line("%c60 = arith.constant 60 : index") +
                            line("%p = pto.subview %t[%c0, %c60] sizes [2, 16] : " + kT + " -> " + part)))
                .find("k.pto:16: pto.subview: the 2x16 part at (0, 60) is outside the 8x64 tile"),
            std::string::npos);
  // A slice of a slice stays inside the first slice (16 wide here), not the pitch.
  const std::string half = "!pto.tile_buf<loc=vec, dtype=f32, rows=8, cols=32, v_row=8, v_col=32, blayout=row_major, "
                           "slayout=none_box, fractal=512, pad=0>";
  EXPECT_NE(error_of(kernel(line("%c16 = arith.constant 16 : index") +
                            line("%h = pto.subview %t[%c0, %c0] sizes [8, 32] : " + kT + " -> " + half) +
                            line("%q = pto.subview %h[%c0, %c16] sizes [8, 32] : " + half + " -> " + half)))
                .find("k.pto:17: pto.subview: the 8x32 part at (0, 16) is outside the 8x32 tile"),
            std::string::npos);
  const std::string padded = "!pto.tile_buf<loc=vec, dtype=f32, rows=2, cols=16, v_row=2, v_col=16, "
                             "blayout=row_major, slayout=none_box, fractal=512, pad=1>";
  EXPECT_NE(error_of(kernel(line("%p = pto.subview %t[%c0, %c0] sizes [2, 16] : " + kT + " -> " + padded) +
                            op("pto.tfillpad", "%p : " + padded, "%p : " + padded)))
                .find("pto.tfillpad of a column slice"),
            std::string::npos);
}

// pto.tci (pto-isa TCI) is vci: consecutive integers along the valid cols
// of a one-row int32 tile, counting down with {descending = true}.
TEST(PtoImport, TciIsVci) {
  const std::string row = "!pto.tile_buf<loc=vec, dtype=i32, rows=1, cols=64, v_row=1, v_col=64, blayout=row_major, "
                          "slayout=none_box, fractal=512, pad=0>";
  const auto tci = [&](const std::string& start, const std::string& attr) {
    return kernel(line("%a4k = arith.constant 4096 : i64") + line("%s = arith.constant " + start + " : i32") +
                  line("%i = pto.alloc_tile addr = %a4k : " + row) + line("pto.tci ins(%s : i32) outs(%i : " + row + ")" + attr));
  };
  const isa::Program p = import(tci("3", " {descending = false}")).program;
  const auto& s = p.kernels[0].vec[0];
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(isa::mnemonic(s[1]), "vci");
  EXPECT_EQ(s[1].imm, 3.0f);
  EXPECT_EQ(s[1].flags, 0);
  EXPECT_EQ(s[1].dst.offset, 4096u);
  EXPECT_EQ(import(tci("3", " {descending = true}")).program.kernels[0].vec[0][1].flags, isa::kDescending);
  EXPECT_EQ(import(tci("3", "")).program.kernels[0].vec[0][1].flags, 0);
  EXPECT_NE(error_of(tci("3", " {descending = maybe}")).find("k.pto:18: pto.tci: descending = maybe (true or false)"),
            std::string::npos);
  EXPECT_NE(error_of(tci("20000000", "")).find("pto.tci: start 20000000 is past 2^24"), std::string::npos);
}

// pto.tgather's index form (with or without a scratch tile) is vgather; the
// mask-pattern form is an error naming its attribute.
TEST(PtoImport, TgatherIsVgather) {
  const std::string idx = "!pto.tile_buf<loc=vec, dtype=i32, rows=8, cols=64, v_row=8, v_col=64, blayout=row_major, "
                          "slayout=none_box, fractal=512, pad=0>";
  const std::string setup = line("%a4k = arith.constant 4096 : i64") + line("%i = pto.alloc_tile addr = %a4k : " + idx);
  const isa::Program p =
      import(kernel(setup + op("pto.tgather", "%t, %i, %u : " + kT + ", " + idx + ", " + kT, "%u : " + kT))).program;
  const auto& s = p.kernels[0].vec[0];
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(isa::mnemonic(s[1]), "vgather");
  EXPECT_EQ(s[1].a.offset, 0u);
  EXPECT_EQ(s[1].b.offset, 4096u);
  EXPECT_EQ(s[1].dst.offset, 2048u);
  EXPECT_EQ(isa::mnemonic(import(kernel(setup + op("pto.tgather", "%t, %i : " + kT + ", " + idx, "%u : " + kT)))
                              .program.kernels[0].vec[0][1]),
            "vgather");
  const std::string mask = kernel(op("pto.tgather", "%t, {maskPattern = #pto.mask_pattern<P0101>} : " + kT, "%u : " + kT));
  EXPECT_NE(error_of(mask).find("k.pto:15: pto.tgather with maskPattern #pto.mask_pattern<P0101>: only the index form"),
            std::string::npos)
      << error_of(mask);
  EXPECT_NE(error_of(kernel(op("pto.tgather", "%t : " + kT, "%u : " + kT))).find("pto.tgather takes 2 or 3 ins"),
            std::string::npos);
}

TEST(PtoImport, AnOpMayGoOnOverSeveralLines) {
  // The texp of AVectorKernelBecomesItsInstructions written over four lines
  // (15-18): inside its open '(' twice, then `outs`, which cannot start a
  // statement. The store that follows is at line 20 (19 is its partition
  // view).
  const pto::Imported im = import(kernel(line("pto.texp ins(%t") + line("      : " + kT + ")") +
                                         line("    outs(%u") + line("      : " + kT + ")")));
  const auto& s = im.program.kernels[0].vec[0];
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(isa::mnemonic(s[1]), "vexp");
  EXPECT_EQ(s[1].a.offset, 0u);
  EXPECT_EQ(s[1].dst.offset, 2048u);
  EXPECT_EQ(im.source.instr(0, 1, 1), 15u);  // the op keeps its first line
  EXPECT_EQ(im.source.instr(0, 1, 2), 20u);
  // A trailing attribute dictionary on its own line is the op's too, and an
  // attribute npusim does not model is an error at the op's first line.
  EXPECT_EQ(error_of(kernel(line("pto.texp ins(%t : " + kT + ")") + line("    outs(%u : " + kT + ")") +
                            line("    {note = 1}"))),
            "k.pto:15: pto.texp: attribute {note = 1} is not modelled, and npusim ignores nothing silently "
            "(docs/pto_import.md) (launched at l.yaml:6)");
  // A bracket never closed is named at its op's line, not read to the end.
  EXPECT_EQ(error_of(kernel(line("pto.texp ins(%t : " + kT))),
            "k.pto:15: an op not closed at the end of the file ('(' or '[' without its ')' or ']')");
  // The push/pop setup that PTOAS prints over two lines is one op, so its
  // error is the op's own, at its first line.
  EXPECT_NE(error_of(kernel(line("pto.aic_initialize_pipe {dir_mask = 1, slot_size = 16384}") +
                            line("    (gm_slot_buffer = %y : !pto.ptr<f32>, c2v_consumer_buf = %a0 : i64)")))
                .find("k.pto:15: pto.aic_initialize_pipe: @k is the vector half of a mixed kernel"),
            std::string::npos);
}

TEST(PtoImport, AVecToVecTmovIsACopyOnTheVectorPipe) {
  const isa::Program p = import(kernel(op("pto.tmov", "%t : " + kT, "%u : " + kT))).program;
  const isa::Instr& in = p.kernels[0].vec[0][1];
  EXPECT_EQ(isa::mnemonic(in), "vmuls");
  EXPECT_EQ(in.imm, 1.0f);
  EXPECT_EQ(in.a.offset, 0u);
  EXPECT_EQ(in.dst.offset, 2048u);
}

TEST(PtoImport, ATextractOfAVecTileIsACopyOfItsPart) {
  // Columns 32-63 of %t (8x64 fp32 at UB 0): from byte 32 x 4 = 128, rows
  // still 64 elements apart, into an 8x32 tile at UB 4096.
  const std::string h = "!pto.tile_buf<loc=vec, dtype=f32, rows=8, cols=32, v_row=8, v_col=32, blayout=row_major, slayout=none_box, fractal=512, pad=0>";
  const isa::Program p = import(kernel(line("%c32 = arith.constant 32 : index") + line("%a4k = arith.constant 4096 : i64") +
                                       line("%h = pto.alloc_tile addr = %a4k : " + h) +
                                       line("pto.textract ins(%t, %c0, %c32 : " + kT + ", index, index) outs(%h : " + h + ")")))
                             .program;
  const isa::Instr& in = p.kernels[0].vec[0][1];
  EXPECT_EQ(isa::mnemonic(in), "vmuls");
  EXPECT_EQ(in.imm, 1.0f);
  EXPECT_EQ(in.a.offset, 128u);
  EXPECT_EQ(in.a.cols, 64u);
  EXPECT_EQ(in.a.vrows(), 8u);
  EXPECT_EQ(in.a.vcols(), 32u);
  EXPECT_EQ(in.dst.offset, 4096u);
  EXPECT_NE(error_of(kernel(line("%c40 = arith.constant 40 : index") + line("%a4k = arith.constant 4096 : i64") +
                            line("%h = pto.alloc_tile addr = %a4k : " + h) +
                            line("pto.textract ins(%t, %c0, %c40 : " + kT + ", index, index) outs(%h : " + h + ")")))
                .find("k.pto:18: pto.textract: the 8x32 part at (0, 40) is outside the 8x64 source"),
            std::string::npos);
}

TEST(PtoImport, FillPadFillsOutsideTheSourcesValidRegion) {
  // %v: the first 40 columns of the tile at 0; %p: the same bytes, pad=3 (min).
  const std::string v = "!pto.tile_buf<loc=vec, dtype=f32, rows=8, cols=64, v_row=8, v_col=?, blayout=row_major, slayout=none_box, fractal=512, pad=0>";
  const std::string pd = "!pto.tile_buf<loc=vec, dtype=f32, rows=8, cols=64, v_row=8, v_col=64, blayout=row_major, slayout=none_box, fractal=512, pad=3>";
  const std::string body = line("%c40 = arith.constant 40 : index") + line("%v = pto.alloc_tile addr = %a0 valid_col = %c40 : " + v) +
                           line("%p = pto.alloc_tile addr = %a0 : " + pd) + op("pto.tfillpad", "%v : " + v, "%p : " + pd) +
                           op("pto.tmuls", "%p, %c1 : " + pd + ", index", "%u : " + kT);
  const isa::Program p = import(kernel(body)).program;
  const isa::Instr& in = p.kernels[0].vec[0][1];
  EXPECT_EQ(isa::mnemonic(in), "vfillpad");
  EXPECT_EQ(in.dst.vcols(), 40u);
  EXPECT_EQ(in.imm, std::numeric_limits<float>::lowest());
  // Into another tile: the valid region is copied there first. Here %t
  // (UB 0) is cut to 8x40 by pto.set_validshape, then padded into UB 2048.
  const isa::Program q =
      import(kernel(line("%c40 = arith.constant 40 : index") + line("pto.set_validshape %t, %c8, %c40 : " + kT) +
                    line("%p = pto.alloc_tile addr = %a2k : " + pd) + op("pto.tfillpad", "%t : " + kT, "%p : " + pd)))
          .program;
  const auto& c = q.kernels[0].vec[0];
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(isa::mnemonic(c[1]), "vmuls");
  EXPECT_EQ(c[1].imm, 1.0f);
  EXPECT_EQ(c[1].a.offset, 0u);
  EXPECT_EQ(c[1].a.vcols(), 40u);
  EXPECT_EQ(c[1].dst.offset, 2048u);
  EXPECT_EQ(isa::mnemonic(c[2]), "vfillpad");
  EXPECT_EQ(c[2].dst.offset, 2048u);
  EXPECT_EQ(c[2].dst.vcols(), 40u);
  const std::string wide = "!pto.tile_buf<loc=vec, dtype=f32, rows=8, cols=128, v_row=8, v_col=128, blayout=row_major, slayout=none_box, fractal=512, pad=3>";
  EXPECT_NE(error_of(kernel(line("%p = pto.alloc_tile addr = %a2k : " + wide) + op("pto.tfillpad", "%t : " + kT, "%p : " + wide)))
                .find("k.pto:16: pto.tfillpad into a tile of another shape, dtype or buffer than its source"),
            std::string::npos);
  EXPECT_NE(error_of(kernel(line("pto.set_validshape %t, %c8, %c1 : " + kT) + line("pto.set_validshape %t, %c0, %c8 : " + kT)))
                .find("k.pto:16: pto.set_validshape: 0x8 is outside the tile's 8x64"),
            std::string::npos);
}

TEST(PtoImport, ScalarLoadsNeedInitValuesNoLaunchWrites) {
  const std::string k = kernel(line("%v = pto.load_scalar %n[%c1] : !pto.ptr<i32, gm> -> i32"), ", %n: !pto.ptr<i32, gm>");
  auto launch = [](const std::string& n) {
    return "pto: [k.pto]\ntensors:\n  x: {shape: [8, 64], dtype: fp32}\n  y: {shape: [8, 64], dtype: fp32}\n" + n +
           "launches:\n  - {kernel: k, args: [x, y, n]}\n";
  };
  const isa::Program p = import(k, launch("  n: {shape: [2], dtype: int32, init: [4, 9]}\n")).program;
  EXPECT_EQ(isa::mnemonic(p.kernels[0].vec[0][1]), "sload");
  EXPECT_EQ(p.kernels[0].vec[0][1].gm.offset, 1);
  EXPECT_NE(error_of(k, launch("  n: {shape: [2], dtype: int32}\n")).find("k.pto:15: pto.load_scalar from tensor 'n', which has no init values"),
            std::string::npos);
  EXPECT_NE(error_of(k, launch("  n: {shape: [1], dtype: int32, init: [4]}\n")).find("k.pto:15: pto.load_scalar: element 1 of tensor 'n' (1 elements)"),
            std::string::npos);
  // pto.load is load_scalar's newer name, in the same form; messages name it.
  const std::string k2 = kernel(line("%v = pto.load %n[%c1] : !pto.ptr<i32> -> i32"), ", %n: !pto.ptr<i32>");
  const isa::Program p2 = import(k2, launch("  n: {shape: [2], dtype: int32, init: [4, 9]}\n")).program;
  EXPECT_EQ(isa::mnemonic(p2.kernels[0].vec[0][1]), "sload");
  EXPECT_EQ(p2.kernels[0].vec[0][1].gm.offset, 1);
  EXPECT_NE(error_of(k2, launch("  n: {shape: [2], dtype: int32}\n")).find("k.pto:15: pto.load from tensor 'n', which has no init values"),
            std::string::npos);
}

// trsqrt with a scratch tile (as current PTOAS prints it): the scratch is
// not used; vsqrt then vrecip into the out tile.
TEST(PtoImport, TrsqrtMayHaveAScratchTile) {
  const std::string col = "!pto.tile_buf<loc=vec, dtype=f32, rows=8, cols=64, v_row=8, v_col=64, blayout=row_major, "
                          "slayout=none_box, fractal=512, pad=0>";
  const isa::Program p = import(kernel(line("%a4k = arith.constant 4096 : i64") +
                                       line("%s = pto.alloc_tile addr = %a4k : " + col) +
                                       op("pto.trsqrt", "%t, %s : " + kT + ", " + col, "%u : " + kT)))
                             .program;
  const auto& s = p.kernels[0].vec[0];
  ASSERT_EQ(s.size(), 4u);  // tload, vsqrt, vrecip, tstore
  EXPECT_EQ(isa::mnemonic(s[1]), "vsqrt");
  EXPECT_EQ(s[1].a.offset, 0u);
  EXPECT_EQ(s[1].dst.offset, 2048u);
  EXPECT_EQ(isa::mnemonic(s[2]), "vrecip");
  EXPECT_EQ(s[2].dst.offset, 2048u);
  EXPECT_NE(error_of(kernel(op("pto.trsqrt", "%t, %u, %t : " + kT + ", " + kT + ", " + kT, "%u : " + kT)))
                .find("pto.trsqrt takes 1 ins and 1 outs, got 3 and 1"),
            std::string::npos);
}

TEST(PtoImport, LoopsAndIfsUnrollWithIndexArithmetic) {
  // for i in 0..3: if i % 2 == 1 { u = t * (i + 1) } else { u = t + i }; iter_args count the odd ones.
  const std::string body =
      line("%c3 = arith.constant 3 : index") +
      line("%c2 = arith.constant 2 : index") +
      line("%n:2 = scf.for %i = %c0 to %c3 step %c1 iter_args(%odd = %c0, %other = %c0) -> (index, index) {") +
      line("  %r = arith.remsi %i, %c2 : index") +
      line("  %isodd = arith.cmpi eq, %r, %c1 : index") +
      line("  %f = arith.index_cast %i : index to i64") +
      line("  %next = scf.if %isodd -> (index) {") +
      line("    %o1 = arith.addi %odd, %c1 : index") +
      op("pto.tmuls", "%t, %f : " + kT + ", i64", "%u : " + kT) +
      line("    scf.yield %o1 : index") +
      line("  } else {") +
      op("pto.tadds", "%t, %f : " + kT + ", i64", "%u : " + kT) +
      line("    scf.yield %odd : index") +
      line("  }") +
      line("  scf.yield %next, %i : index, index") +
      line("}") +
      line("%base = arith.muli %n#0, %c8 : index") +
      line("%u2 = pto.alloc_tile addr = %a2k : " + kT);
  const isa::Program p = import(kernel(body)).program;
  const auto& s = p.kernels[0].vec[0];
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(isa::mnemonic(s[1]), "vadds");
  EXPECT_EQ(s[1].imm, 0.0f);
  EXPECT_EQ(isa::mnemonic(s[2]), "vmuls");
  EXPECT_EQ(s[2].imm, 1.0f);
  EXPECT_EQ(isa::mnemonic(s[3]), "vadds");
  EXPECT_EQ(s[3].imm, 2.0f);
}

TEST(PtoImport, AGridLaunchIsOneTaskOfBlocks) {
  const std::string k = kernel(line("%b = pto.get_block_idx : index") + op("pto.tadds", "%t, %b : " + kT + ", index", "%u : " + kT));
  const std::string launch = std::string(kLaunch).replace(std::string(kLaunch).find("args: [x, y]}"), 13, "args: [x, y], block: 0..2}");
  const isa::Program p = import(k, launch).program;
  ASSERT_EQ(p.tasks.size(), 3u);
  for (uint32_t b = 0; b < 3; ++b) {
    EXPECT_EQ(p.tasks[b].block, b);
    EXPECT_EQ(p.tasks[b].blocks, 3u);
    EXPECT_EQ(p.kernels[p.tasks[b].kernel].vec[0][1].imm, float(b));
  }
}

TEST(PtoImport, IdenticalInstancesShareAKernel) {
  const std::string launch = std::string(kLaunch) + "  - {kernel: k, args: [x, y]}\n";
  const isa::Program p = import(kernel(op("pto.texp", "%t : " + kT, "%u : " + kT)), launch).program;
  EXPECT_EQ(p.kernels.size(), 1u);
  ASSERT_EQ(p.tasks.size(), 2u);
  EXPECT_EQ(p.tasks[1].deps, std::vector<uint32_t>{0});  // write-after-write on y
}

// --- errors: each names the file, the line and the op or key ---------------

TEST(PtoImport, AnUnsupportedOpIsNamedWithItsLine) {
  EXPECT_EQ(error_of(kernel(op("pto.tsort32", "%t : " + kT, "%u : " + kT))),
            "k.pto:15: unsupported op 'pto.tsort32' (not in npusim's PTO subset, docs/pto_import.md) "
            "(launched at l.yaml:6)");
  EXPECT_NE(error_of(kernel(op("pto.tpush", "%t : " + kT, "%u : " + kT)))
                .find("k.pto:15: unsupported op 'pto.tpush': of the push/pop ops only the cube -> vector ones"),
            std::string::npos);
  EXPECT_NE(error_of(kernel(line("%r = pto.import_reserved_buffer {name = \"slots\", peer_func = @k} -> i32")))
                .find("k.pto:15: pto.import_reserved_buffer: only at the top of the body of a mixed kernel's cube half"),
            std::string::npos);
  EXPECT_NE(error_of(kernel(line("pto.barrier"))).find("k.pto:15: unsupported op 'pto.barrier': explicit synchronisation"),
            std::string::npos);
  EXPECT_NE(error_of(kernel(line("%f = arith.addf %a0, %a0 : f32"))).find("k.pto:15: unsupported op 'arith.addf'"),
            std::string::npos);
  EXPECT_NE(error_of(kernel(line("scf.while {") + line("}"))).find("k.pto:15: unsupported op 'scf.while'"),
            std::string::npos);
  EXPECT_NE(error_of(kernel(op("pto.tsel", "%t : " + kT, "%u : " + kT))).find("k.pto:15: unsupported op 'pto.tsel'"),
            std::string::npos);
}

namespace {

// tests/pto/gemm.pto, with `from` replaced by `to` (once).
std::string gemm_pto(const std::string& from = "", const std::string& to = "") {
  std::ifstream f(std::string(NPUSIM_SOURCE_DIR) + "/tests/pto/gemm.pto");
  std::ostringstream ss;
  ss << f.rdbuf();
  std::string t = ss.str();
  EXPECT_FALSE(t.empty());
  if (!from.empty()) {
    const size_t at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) t.replace(at, from.size(), to);
  }
  return t;
}
const char* kQkDnLaunch =
    "pto: [k.pto]\n"
    "tensors:\n"
    "  q: {shape: [16, 32], dtype: bf16}\n"
    "  kc: {shape: [48, 32], dtype: bf16}\n"
    "  s: {shape: [16, 16], dtype: fp32}\n"
    "launches:\n"
    "  - {kernel: qk_dn, args: [q, kc, s, 48, 16]}\n";  // 7

}  // namespace

TEST(PtoImport, AColumnMajorViewLoadsIntoATransposedMatTile) {
  // @qk_dn views the 48 x 32 key cache as its 32 x 48 transpose (dn,
  // strides [1, 32]) and loads the 32x16 part at column 16 (keys 16..31)
  // into a transposed mat tile at L1 1024.
  const isa::Program p = import(gemm_pto(), kQkDnLaunch).program;
  ASSERT_EQ(p.kernels.size(), 1u);
  const std::vector<isa::Instr>& c = p.kernels[0].cube;
  ASSERT_EQ(c.size(), 6u);  // tload q, tload keys, tmov, tmov, tmatmul, tstore
  const isa::Instr& ld = c[1];
  EXPECT_EQ(ld.op, isa::Op::TLOAD);
  // As stored: 16 keys of 32 elements, rows 32 apart, from key 16 (16 * 32).
  EXPECT_EQ(ld.gm.offset, 16 * 32);
  EXPECT_EQ(ld.gm.rows, 16u);
  EXPECT_EQ(ld.gm.cols, 32u);
  EXPECT_EQ(ld.gm.row_stride, 32u);
  EXPECT_EQ(ld.dst.space, isa::Space::L1);
  EXPECT_EQ(ld.dst.offset, 1024u);
  EXPECT_EQ(ld.dst.rows, 16u);
  EXPECT_EQ(ld.dst.cols, 32u);
  // The whole tile moved into L0B as stored (16 x 32), and read transposed.
  EXPECT_EQ(c[3].op, isa::Op::TMOV);
  EXPECT_EQ(c[3].a.offset, 1024u);
  EXPECT_EQ(c[3].dst.space, isa::Space::L0B);
  EXPECT_EQ(c[3].dst.rows, 16u);
  EXPECT_EQ(c[3].dst.cols, 32u);
  EXPECT_EQ(c[4].op, isa::Op::TMATMUL);
  EXPECT_EQ(c[4].flags & isa::kTransposeB, isa::kTransposeB);
  EXPECT_EQ(c[4].flags & isa::kAccumulate, 0);

  // A transposed tile from a row-major view would need a transposing load.
  EXPECT_NE(error_of(gemm_pto("strides = [%c1, %c32] {layout = #pto.layout<dn>}", "strides = [%nk, %c1]"), kQkDnLaunch)
                .find("pto.tload: a transposed (col-major) mat tile loads only from a column-major (dn) view, whose "
                      "second-innermost stride is 1; this view's is 48"),
            std::string::npos);
  // The view's shape must be the tile's valid shape.
  EXPECT_NE(error_of(gemm_pto("offsets = [%c0, %first], sizes = [%c32, %c16]", "offsets = [%c0, %first], sizes = [%c16, %c16]"),
                     kQkDnLaunch)
                .find("pto.tload: the 16x16 view does not match the 32x16 valid shape of the transposed tile"),
            std::string::npos);
}

namespace {

// A kernel of `kind` moving an acc tile into a vec tile (line 6).
std::string acc_to_vec(const std::string& kind) {
  const std::string acc = "!pto.tile_buf<loc=acc, dtype=f32, rows=16, cols=16, v_row=16, v_col=16>";
  const std::string vec = "!pto.tile_buf<loc=vec, dtype=f32, rows=16, cols=16, v_row=16, v_col=16>";
  return "module {\n"                                                                                      // 1
         "  func.func @k(%x: !pto.ptr<f32>, %y: !pto.ptr<f32>) attributes {pto.kernel_kind = #pto.kernel_kind<" +
         kind + ">} {\n"                                                                                   // 2
         "    %a0 = arith.constant 0 : i64\n"                                                              // 3
         "    %c = pto.alloc_tile addr = %a0 : " + acc + "\n"                                              // 4
         "    %v = pto.alloc_tile addr = %a0 : " + vec + "\n"                                              // 5
         "    pto.tmov ins(%c : " + acc + ") outs(%v : " + vec + ")\n"                                     // 6
         "    return\n"
         "  }\n"
         "}\n";
}

}  // namespace

TEST(PtoImport, AnAccToVecTmovOutsideAPopIsNamed) {
  // In npusim the L0C -> UB move is a vector core's, ordered by the pop's
  // flags; a cube kernel's move would fill a UB no vector core reads.
  EXPECT_EQ(error_of(acc_to_vec("cube")),
            "k.pto:6: pto.tmov from loc=acc to loc=vec in a cube kernel is not supported: no vector core would read "
            "that UB (on A5 the cube writes a vector core's UB; A2/A3 have no L0C -> UB path); hand acc tiles to the "
            "vector cores with pto.tpush_to_aiv / pto.tpop_from_aic in a mixed kernel, or through GM (pto.tstore, "
            "then pto.tload) (launched at l.yaml:6)");
  EXPECT_NE(error_of(acc_to_vec("vector"))
                .find("k.pto:6: pto.tmov from loc=acc to loc=vec in a vector kernel is not supported: no cube of the "
                      "launch wrote that L0C"),
            std::string::npos);
}

TEST(PtoImport, TileDeclarationsOutsideTheSubsetAreNamed) {
  auto with_tile = [](const std::string& decl) { return kernel(line("%v = pto.alloc_tile " + decl)); };
  EXPECT_EQ(error_of(with_tile(": " + kT)),
            "k.pto:15: pto.alloc_tile without addr = ...: npusim needs explicit tile addresses (PTOAS's planned "
            "output) (launched at l.yaml:6)");
  EXPECT_NE(error_of(with_tile("addr = %a0 : !pto.tile_buf<loc=mat, dtype=i8, rows=16, cols=32, v_row=16, v_col=32>"))
                .find("k.pto:15: pto.alloc_tile: dtype=i8 is not supported"),
            std::string::npos);
  EXPECT_NE(error_of(with_tile("addr = %a0 : !pto.tile_buf<loc=bias, dtype=f32, rows=1, cols=32, v_row=1, v_col=32>"))
                .find("k.pto:15: pto.alloc_tile: loc=bias is not supported"),
            std::string::npos);
  EXPECT_NE(error_of(with_tile("addr = %a0 : !pto.tile_buf<loc=vec, dtype=f32, rows=8, cols=8, v_row=?, v_col=8>"))
                .find("k.pto:15: pto.alloc_tile: v_row=? needs valid_row = ..."),
            std::string::npos);
}

TEST(PtoImport, ParameterTypesOutsideTheSubsetAreNamed) {
  EXPECT_NE(error_of(kernel("", ", %q: !pto.ptr<i8>")).find("k.pto:2: parameter %q: element type 'i8' is not supported"),
            std::string::npos);
  EXPECT_NE(error_of(kernel("", ", %q: f16")).find("k.pto:2: parameter %q: type 'f16' is not supported"),
            std::string::npos);
}

TEST(PtoImport, SyntaxErrorsNameTheLine) {
  EXPECT_EQ(error_of("module {\n  func.func @k() {\n    return\n  }\n"),
            "k.pto:4: the module is not closed ('}' missing)");
  EXPECT_EQ(error_of("module {\n  func.func @k() {\n    %x = arith.constant 1 : index\n"),
            "k.pto:3: end of file inside a region ('}' missing)");
  EXPECT_EQ(error_of("module {\n  func.func @k() {\n    %x = arith.constant 1 : index ]\n  }\n}\n"),
            "k.pto:3: unexpected ']' after arith.constant");
  EXPECT_EQ(error_of("pto.tadd ins() outs()\n"), "k.pto:1: expected func.func or module, got 'pto.tadd' (an op outside a func.func)");
  EXPECT_EQ(error_of(""), "k.pto:1: no func.func in the file");
}

TEST(PtoImport, ValidationErrorsPointAtThePtoLine) {
  // A tile of 8x64 added to a column: the ISA's shape rule, reported at line 16.
  const std::string col = "!pto.tile_buf<loc=vec, dtype=f32, rows=8, cols=1, v_row=8, v_col=1, blayout=col_major, slayout=none_box, fractal=512, pad=0>";
  const std::string e = error_of(kernel(line("%a4k = arith.constant 4096 : i64") + line("%s = pto.alloc_tile addr = %a4k : " + col) +
                                        op("pto.tadd", "%t, %s : " + kT + ", " + col, "%u : " + kT)));
  EXPECT_EQ(e.rfind("k.pto:17: task 0, kernel 0 'k', vec 0, instr 1 'vadd'", 0), 0u) << e;
}

TEST(PtoImport, ViewsOutsideTheirTensorAreNamed) {
  const std::string e = error_of(kernel(line("%p = pto.partition_view %xv, offsets = [%c1, %c0], sizes = [%c8, %c64] : !pto.tensor_view<?x?xf32> -> !pto.partition_tensor_view<8x64xf32>")));
  EXPECT_EQ(e.rfind("k.pto:15: pto.partition_view: dimension 0: offset 1, size 8 is outside the view's 8", 0), 0u) << e;
  const std::string big = kernel("");
  std::string bad = big;
  const std::string from = "shape = [%c8, %c64], strides = [%c64, %c1]";
  bad.replace(bad.find(from), from.size(), "shape = [%c64, %c64], strides = [%c64, %c1]");
  EXPECT_NE(error_of(bad).find("k.pto:9: pto.make_tensor_view: the view reaches element 4095 but tensor 'x' has 512"),
            std::string::npos);
}

TEST(PtoImport, DeepNestingAndOutOfRangeValuesAreErrors) {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += line("scf.if %c1 {");
  for (int i = 0; i < 100; ++i) deep += line("}");
  EXPECT_EQ(error_of(kernel(deep)), "k.pto:79: regions nested more than 64 deep");
  EXPECT_NE(error_of(kernel(line("%big = arith.constant 1.0e+300 : f64") + op("pto.tadds", "%t, %big : " + kT + ", f64", "%u : " + kT)))
                .find("k.pto:16: pto.tadds: the scalar %big = "),
            std::string::npos);
  EXPECT_NE(error_of(kernel(line("%m = arith.constant 4611686018427387904 : index") +
                            line("%p = pto.partition_view %xv, offsets = [%m, %c0], sizes = [%m, %c64] : !pto.tensor_view<?x?xf32> -> !pto.partition_tensor_view<8x64xf32>")))
                .find("k.pto:16: pto.partition_view: dimension 0"),
            std::string::npos);
}

TEST(PtoImport, ARunawayExpansionStops) {
  const pto::Module m = pto::parse_module(
      kernel(line("%big = arith.constant 1000 : index") + line("scf.for %i = %c0 to %big step %c1 {") +
             op("pto.texp", "%t : " + kT, "%u : " + kT) + line("}")),
      "k.pto");
  isa::Program p;
  for (const char* n : {"x", "y"}) {
    isa::Tensor t;
    t.name = n;
    t.shape = {8, 64};
    p.tensors.push_back(t);
  }
  struct : pto::SiteFn {
    uint32_t operator()(uint32_t, const std::string&) override { return 0; }
  } sites;
  try {
    pto::expand(m, m.funcs[0], {{true, 0, 0}, {true, 1, 0}}, p, sites, 0, 1, 100);
    FAIL();
  } catch (const pto::PtoError& e) {
    EXPECT_STREQ(e.what(), "k.pto:17: more than 100 instructions from one launch");
  }
}

TEST(PtoImport, LaunchFileErrorsNameFileLineAndKey) {
  const std::string k = kernel(op("pto.texp", "%t : " + kT, "%u : " + kT));
  auto launch_error = [&](const std::string& launch) { return error_of(k, launch); };
  EXPECT_EQ(launch_error("pto: [k.pto]\ntensors:\n  x: {shape: [8, 64], dtype: fp64}\n"),
            "l.yaml:3: tensors.x.dtype: unknown dtype 'fp64' (bf16, fp16, fp32, int32)");
  EXPECT_EQ(launch_error(std::string(kLaunch) + "bogus: 1\n"), "l.yaml:7: bogus: unknown key");
  // A key given twice is an error (YAML keeps both; a lookup would take the first).
  EXPECT_EQ(launch_error(std::string(kLaunch) + "launches: []\n"), "l.yaml:7: launches: duplicate key");
  EXPECT_EQ(launch_error("pto: [k.pto]\ntensors:\n  x: {shape: [8, 64], dtype: fp32}\n  x: {shape: [8], dtype: fp32}\n"),
            "l.yaml:4: tensors.x: duplicate key");
  // The launch file is read as the workload files are (isa/yaml_map.h).
  EXPECT_EQ(launch_error(""), "l.yaml:1: expected a mapping, got nothing");
  EXPECT_EQ(launch_error("pto: [k.pto]\ntensors:\n  x: 3\n"), "l.yaml:3: tensors.x: expected a mapping");
  EXPECT_EQ(launch_error("pto: [k.pto]\ntensors:\n  x: {shape: [8, 64], dtype: fp32}\nlaunches:\n  - {kernel: nope}\n"),
            "l.yaml:5: launches[0].kernel: no func.func @nope in the .pto files (k)");
  EXPECT_EQ(launch_error("pto: [k.pto]\ntensors:\n  x: {shape: [8, 64], dtype: fp32}\nlaunches:\n  - {kernel: k, args: [x]}\n"),
            "l.yaml:5: launches[0].args: 1 arguments for @k, which takes 2 (missing %y)");
  EXPECT_EQ(launch_error("pto: [k.pto]\ntensors:\n  x: {shape: [8, 64], dtype: fp32}\nlaunches:\n  - {kernel: k, args: [x, 3]}\n"),
            "l.yaml:5: launches[0].args[1]: %y is a GM pointer but '3' is not one of the tensors");
  EXPECT_EQ(launch_error("pto: [k.pto]\ntensors:\n  x: {shape: [8, 64], dtype: fp32}\n  y: {shape: [8, 64], dtype: bf16}\n"
                         "launches:\n  - {kernel: k, args: [x, y]}\n"),
            "l.yaml:6: launches[0].args[1]: %y is !pto.ptr<f32> but tensor 'y' is bf16");
  EXPECT_EQ(launch_error(std::string(kLaunch).replace(std::string(kLaunch).find("args: [x, y]}"), 13, "args: [x, y], block: 3..1}")),
            "l.yaml:6: launches[0].block: '3..1': FIRST..LAST with 0 <= FIRST <= LAST, at most 65536 blocks");
  EXPECT_EQ(launch_error("pto: [other.pto]\ntensors: {}\n"), "l.yaml:1: pto: no file other.pto");
  // An i32 parameter takes what fits in 32 bits (an index parameter, 64).
  const std::string ki = kernel("", ", %n: i32, %m: index");
  const std::string li = std::string(kLaunch).replace(std::string(kLaunch).find("args: [x, y]"), 12, "args: [x, y, N, M]");
  const auto with = [&](const std::string& n, const std::string& m) {
    std::string l = li;
    l.replace(l.find("N, M"), 4, n + ", " + m);
    return error_of(ki, l);
  };
  EXPECT_EQ(with("4294967396", "1"), "l.yaml:6: launches[0].args[2]: %n is i32 but 4294967396 does not fit in 32 bits");
  EXPECT_EQ(with("-2147483649", "1"), "l.yaml:6: launches[0].args[2]: %n is i32 but -2147483649 does not fit in 32 bits");
  EXPECT_EQ(with("2147483647", "4294967396"), "(no error)");
  // An f32 parameter takes a number (a scale for tmuls, say).
  const std::string kf = kernel(op("pto.tmuls", "%t, %s : " + kT + ", f32", "%u : " + kT), ", %s: f32");
  const auto withf = [&](const std::string& v) {
    std::string l = kLaunch;
    l.replace(l.find("args: [x, y]"), 12, "args: [x, y, " + v + "]");
    return l;
  };
  const isa::Program pf = import(kf, withf("0.5")).program;
  EXPECT_EQ(isa::mnemonic(pf.kernels[0].vec[0][1]), "vmuls");
  EXPECT_EQ(pf.kernels[0].vec[0][1].imm, 0.5f);
  EXPECT_EQ(error_of(kf, withf("half")), "l.yaml:6: launches[0].args[2]: %s is f32: expected a number, got 'half'");
  EXPECT_EQ(error_of(kf, withf("x")), "l.yaml:6: launches[0].args[2]: %s is f32: give a number");
  EXPECT_EQ(error_of(kf, withf("1e39")), "l.yaml:6: launches[0].args[2]: %s is f32 but 1e39 is not a finite f32");
  EXPECT_EQ(launch_error("tensors: [\n"), "l.yaml:2: end of sequence flow not found");
  EXPECT_EQ(launch_error(std::string(kLaunch) + "? [a, b]\n: 1\n").rfind("l.yaml:7: ", 0), 0u);  // a key that is not a string
}

namespace {

// tests/pto/push_pop.pto (a mixed kernel whose pipe goes through a GM slot),
// with `from` replaced by `to` (each occurrence), and its launch file.
std::string push_pop(const std::string& from = "", const std::string& to = "") {
  std::ifstream f(std::string(NPUSIM_SOURCE_DIR) + "/tests/pto/push_pop.pto");
  std::ostringstream ss;
  ss << f.rdbuf();
  std::string t = ss.str();
  EXPECT_FALSE(t.empty());
  if (!from.empty())
    for (size_t at = t.find(from); at != std::string::npos; at = t.find(from, at + to.size())) t.replace(at, from.size(), to);
  return t;
}
const char* kPushPopLaunch =
    "pto: [k.pto]\n"
    "tensors:\n"
    "  x: {shape: [16, 16], dtype: bf16}\n"
    "  w: {shape: [16, 32], dtype: bf16}\n"
    "  out: {shape: [16, 32], dtype: fp32}\n"
    "  slots: {shape: [256], dtype: fp32}\n"
    "launches:\n"
    "  - {kernel: proj_half_aic, args: [x, w, out, slots]}\n";  // 8

std::vector<std::string> mnemonics(const std::vector<isa::Instr>& s) {
  std::vector<std::string> r;
  for (const isa::Instr& in : s) r.push_back(isa::mnemonic(in) + (in.op == isa::Op::SIGNAL || in.op == isa::Op::WAIT ? " " + std::to_string(int(in.imm)) : ""));
  return r;
}

}  // namespace

TEST(PtoImport, AMixedKernelRunsItsVectorHalfOnTwoVectorCores) {
  // Through the GM slot (tests/pto/push_pop.pto; cycles in test_pto_run.cpp):
  // vector core v's "ready" flag is 2v, its "free" 2v + 1.
  const isa::Program p = import(push_pop(), kPushPopLaunch).program;
  ASSERT_EQ(p.kernels.size(), 1u);
  const isa::Kernel& k = p.kernels[0];
  ASSERT_EQ(k.vec.size(), 2u);
  using V = std::vector<std::string>;
  EXPECT_EQ(mnemonics(k.cube), (V{"tload", "tmov", "tload", "tmov", "tmatmul", "tstore", "signal 0", "tstore", "signal 2",
                                  "tload", "tmov", "tmatmul", "wait 1", "wait 3", "tstore", "signal 0", "tstore",
                                  "signal 2"}));
  EXPECT_EQ(mnemonics(k.vec[1]), (V{"wait 2", "tload", "signal 3", "vmuls", "tstore", "wait 2", "tload", "signal 3",
                                    "vmuls", "tstore"}));
  // Rows 8-15 of the acc tile (16 fp32 a row: 512 B on) go to slot elements
  // 128.. and from there into vector core 1's slot in UB (base 0).
  EXPECT_EQ(k.cube[7].a.offset, 512u);
  EXPECT_EQ(k.cube[7].gm.offset, 128);
  EXPECT_EQ(k.vec[1][1].gm.offset, 128);
  EXPECT_EQ(k.vec[1][1].dst.space, isa::Space::UB);
  EXPECT_EQ(k.vec[1][1].dst.offset, 0u);
  // Its rows of out: 8-15 (32 fp32 a row).
  EXPECT_EQ(k.vec[1][4].gm.offset, 8 * 32);

  // On chip (A5: no gm_slot_buffer): each vector core moves its half out of
  // L0C, and the cube waits for both before it writes L0C again (the second
  // tmatmul), not before: the next w tile is loaded and moved meanwhile.
  const isa::Kernel a5 =
      import(push_pop("gm_slot_buffer = %slots : !pto.ptr<f32>, ", ""), kPushPopLaunch).program.kernels[0];
  EXPECT_EQ(mnemonics(a5.cube), (V{"tload", "tmov", "tload", "tmov", "tmatmul", "signal 0", "signal 2", "tload",
                                   "tmov", "wait 1", "wait 3", "tmatmul", "signal 0", "signal 2"}));
  EXPECT_EQ(mnemonics(a5.vec[1]), (V{"wait 2", "tmov", "signal 3", "vmuls", "tstore", "wait 2", "tmov", "signal 3",
                                     "vmuls", "tstore"}));
  EXPECT_EQ(a5.vec[1][1].a.space, isa::Space::L0C);
  EXPECT_EQ(a5.vec[1][1].a.offset, 512u);
}

TEST(PtoImport, PushAndPopOutsideTheModelledPipeAreNamed) {
  auto err = [](const std::string& text) { return error_of(text, kPushPopLaunch); };
  // The vector half launched alone (line 8 of the launch names it instead).
  std::string alone = kPushPopLaunch;
  alone.replace(alone.find("proj_half_aic, args: [x, w, out, slots]"), 39, "proj_half_aiv, args: [x, w, out, slots, 0]");
  EXPECT_EQ(err(push_pop()).find("(no error)"), 0u);
  EXPECT_EQ(error_of(push_pop(), alone),
            "k.pto:59: pto.reserve_buffer: @proj_half_aiv is the vector half of a mixed kernel: launch its cube half "
            "(whose pto.import_reserved_buffer names @proj_half_aiv as peer_func) (launched at l.yaml:8)");
  EXPECT_EQ(err(push_pop("{split = 1} -> !h", "{split = 2} -> !h")),
            "k.pto:66: pto.tpop_from_aic: split = 2 is not supported (only 1: the rows halved between the two vector "
            "cores) (launched at l.yaml:8)");
  EXPECT_EQ(err(push_pop("{dir_mask = 1,", "{dir_mask = 3,")),
            "k.pto:25: pto.aic_initialize_pipe: dir_mask = 3 is not supported (only 1, cube -> vector; a vector -> "
            "cube pipe is not modelled) (launched at l.yaml:8)");
  // The vector half pops once more than the cube pushes.
  EXPECT_EQ(err(push_pop("scf.for %j = %c0 to %c2 step %c1 {\n      %col = arith.muli %j, %c16 : index\n      %p",
                         "scf.for %j = %c0 to %c2 step %c1 {\n      %col = arith.muli %j, %c16 : index\n      %q = "
                         "pto.tpop_from_aic {split = 1} -> !h\n      %p")),
            "k.pto:66: pto.tpop_from_aic: pop 3, but the cube half pushes 2 tiles (launched at l.yaml:8)");
  EXPECT_EQ(err(push_pop("peer_func = @proj_half_aiv", "peer_func = @nope")),
            "k.pto:15: @proj_half_aic names @nope as its peer_func, which is not a vector func.func of the same file "
            "(launched at l.yaml:8)");
  // The subblock index: the vector core in a mixed kernel's vector half
  // (vector core 1's rows of out start at 8 x 32), an error elsewhere.
  const isa::Program sub = import(push_pop("%sb = arith.index_cast %__pypto_spmd_subblock_idx : i32 to index",
                                           "%sb = pto.get_subblock_idx"),
                                  kPushPopLaunch).program;
  EXPECT_EQ(sub.kernels[0].vec[1][4].gm.offset, 8 * 32);
  EXPECT_EQ(error_of(kernel(line("%s = pto.get_subblock_idx"))),
            "k.pto:15: pto.get_subblock_idx: only in the vector half of a mixed kernel (a vector kernel launched on "
            "its own runs on one vector core) (launched at l.yaml:6)");
  // Vector -> cube is not modelled.
  EXPECT_NE(err(push_pop("pto.tpush_to_aiv(%acc : !acc) {split = 1}", "pto.tpush_to_aic(%acc : !acc) {split = 1}"))
                .find("k.pto:43: unsupported op 'pto.tpush_to_aic': of the push/pop ops only the cube -> vector ones"),
            std::string::npos);
}
