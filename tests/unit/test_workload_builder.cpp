// The tile builder: allocation, K split, channels, GM ranges, errors.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "isa/text.h"
#include "isa/validate.h"
#include "workloads/builder.h"

using namespace workloads;
using isa::DType;
using isa::Op;
using isa::Space;
using isa::TensorKind;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const BuildError& e) {
    return e.what();
  }
  return "";
}

size_t count(const std::vector<isa::Instr>& s, Op op) {
  size_t n = 0;
  for (const auto& in : s) n += in.op == op;
  return n;
}

}  // namespace

TEST(WorkloadBuilder, APlainLoopReusesOneBuffer) {
  ProgramBuilder pb;
  GmTensor x = pb.tensor("x", {16, 4096}, DType::FP32, TensorKind::In);
  pb.kernel("loop", [&](KernelBuilder& k) {
    for (int i = 0; i < 8; ++i) k.slice(x, {16, 512}, {0, i * 512});  // dies each iteration
  });
  isa::Program p = pb.finish();
  const auto& v = p.kernels[0].vec[0];
  ASSERT_EQ(v.size(), 8u);
  // Each tile is freed before the next is allocated: the lowest fit is 0 every
  // time, so each load waits for the previous tile's readers (one in flight).
  for (const auto& in : v) EXPECT_EQ(in.dst.offset, 0u);
}

TEST(WorkloadBuilder, APipelinedLoopRotatesStageBuffers) {
  // [16,512] fp32 = 32768 B + one padding row of 2048 B = 34816 B per tile.
  for (int stages : {1, 2, 3}) {
    ProgramBuilder pb;
    GmTensor x = pb.tensor("x", {16, 4096}, DType::FP32, TensorKind::In);
    GmTensor y = pb.tensor("y", {16, 4096}, DType::FP32, TensorKind::Out);
    pb.kernel("loop", [&](KernelBuilder& k) {
      k.loop(0, 4096, 512, stages, [&](int64_t c) {
        LTile t = k.slice(x, {16, 512}, {0, c});  // allocation 0 of the iteration
        k.assemble(y, k.muls(t, 2.0f), {0, c});   // allocation 1 (the product)
      });
    });
    isa::Program p = pb.finish();
    std::vector<uint32_t> load_at;
    for (const auto& in : p.kernels[0].vec[0])
      if (in.op == Op::TLOAD) load_at.push_back(in.dst.offset);
    ASSERT_EQ(load_at.size(), 8u);
    // An iteration holds two tiles, 69632 B; UB (196608 B) holds
    // floor(196608 / 69632) = 2 iterations, so 3 stages are capped at 2.
    // Iteration i's load lands at (i % depth) * 69632: stage 1 -> 0 always;
    // stages 2 and 3 -> 0, 69632, 0, ...
    const size_t depth = std::min(stages, 2);
    for (size_t i = 0; i < load_at.size(); ++i)
      EXPECT_EQ(load_at[i], uint32_t(i % depth) * 69632u) << "stages " << stages << ", iteration " << i;
  }
}

TEST(WorkloadBuilder, APipelineDeeperThanTheBufferGetsAsManyBuffersAsFit) {
  ProgramBuilder pb;
  GmTensor x = pb.tensor("x", {16, 4096}, DType::FP32, TensorKind::In);
  pb.kernel("loop", [&](KernelBuilder& k) {
    // 8 stages asked; one iteration takes 34816 B and 196608 B of UB hold
    // floor(196608 / 34816) = 5 of them: the depth is capped at 5, as the
    // compiler caps a pipeline's, so iteration i uses buffer i % 5.
    k.loop(0, 8, 1, 8, [&](int64_t i) { k.slice(x, {16, 512}, {0, i * 512}); });
  });
  isa::Program p = pb.finish();
  const auto& v = p.kernels[0].vec[0];
  ASSERT_EQ(v.size(), 8u);
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(v[i].dst.offset, uint32_t(i % 5) * 34816u) << i;
}

TEST(WorkloadBuilder, ALoopWithABadStageCountIsAnError) {
  ProgramBuilder pb;
  std::string e = error_of([&] {
    pb.kernel("k", [&](KernelBuilder& k) { k.loop(0, 4, 1, 0, [](int64_t) {}); });
  });
  EXPECT_NE(e.find("loop stage count 0 is out of range (1..16)"), std::string::npos) << e;
}

TEST(WorkloadBuilder, OverflowNamesKernelAndSite) {
  ProgramBuilder pb;
  GmTensor x = pb.tensor("x", {64, 4096}, DType::FP32, TensorKind::In);
  std::string e = error_of([&] {
    pb.kernel("too_big", [&](KernelBuilder& k) {
      LTile a = k.slice(x, {16, 2048}, {0, 0});   // 128 KiB
      LTile b = k.slice(x, {16, 2048}, {16, 0});  // does not fit in 192 KiB
    });
  });
  EXPECT_NE(e.find("kernel 'too_big'"), std::string::npos) << e;
  EXPECT_NE(e.find("too_big: load x"), std::string::npos) << e;
  EXPECT_NE(e.find("UB overflow"), std::string::npos) << e;
}

TEST(WorkloadBuilder, LocalTilesDoNotSurviveALaunch) {
  // The PR 112 bug: a tile computed in one pl.at used by the next.
  ProgramBuilder pb;
  GmTensor x = pb.tensor("x", {16, 128}, DType::FP32, TensorKind::In);
  GmTensor y = pb.tensor("y", {16, 128}, DType::FP32, TensorKind::Out);
  LTile kept;
  pb.kernel("producer", [&](KernelBuilder& k) { kept = k.slice(x, {16, 128}, {0, 0}); });
  std::string e = error_of([&] {
    pb.kernel("consumer", [&](KernelBuilder& k) { k.assemble(y, kept, {0, 0}); });
  });
  EXPECT_NE(e.find("kernel 'consumer'"), std::string::npos) << e;
  EXPECT_NE(e.find("does not belong to this launch"), std::string::npos) << e;
}

TEST(WorkloadBuilder, ReadOfUnwrittenTileIsAnError) {
  ProgramBuilder pb;
  GmTensor y = pb.tensor("y", {16, 128}, DType::FP32, TensorKind::Out);
  std::string e = error_of([&] {
    pb.kernel("k", [&](KernelBuilder& k) {
      LTile t = k.alloc({16, 128}, DType::FP32);
      k.assemble(y, t, {0, 0});
    });
  });
  EXPECT_NE(e.find("nothing in this launch has written"), std::string::npos) << e;
}

TEST(WorkloadBuilder, ACastRoundsAsPtoasLowersPlCast) {
  // pl.cast becomes tcvt with rmode ROUND in the compiler's kernels
  // (docs/pto_import.md): vcast_round, ties away from zero.
  ProgramBuilder pb;
  GmTensor x = pb.tensor("x", {16, 128}, DType::FP32, TensorKind::In);
  GmTensor y = pb.tensor("y", {16, 128}, DType::BF16, TensorKind::Out);
  pb.kernel("k", [&](KernelBuilder& k) { k.assemble(y, k.cast(k.slice(x, {16, 128}, {0, 0}), DType::BF16), {0, 0}); });
  const isa::Program p = pb.finish();
  const auto& v = p.kernels[0].vec[0];
  ASSERT_EQ(count(v, Op::VCAST), 1u);
  for (const auto& in : v) {
    if (in.op == Op::VCAST) {
      EXPECT_EQ(isa::mnemonic(in), "vcast_round");
    }
  }
}

TEST(WorkloadBuilder, MatmulSplitsAlongK) {
  ProgramBuilder pb;
  GmTensor a = pb.tensor("a", {16, 512}, DType::BF16, TensorKind::In);
  GmTensor b = pb.tensor("b", {512, 64}, DType::BF16, TensorKind::In);
  GmTensor c = pb.tensor("c", {16, 64}, DType::FP32, TensorKind::Out);
  pb.kernel("mm", [&](KernelBuilder& k) {
    LTile ta = k.slice(a, {16, 512}, {0, 0}, Space::L1);
    LTile tb = k.slice(b, {512, 64}, {0, 0}, Space::L1);
    k.assemble(c, k.matmul(ta, tb), {0, 0});
  });
  isa::Program p = pb.finish();
  const auto& cube = p.kernels[0].cube;
  // B [512,64] bf16 = 64 KiB > 32 KiB (half of L0B): K 512 -> 2 steps of 256.
  ASSERT_EQ(count(cube, Op::TMATMUL), 2u);
  ASSERT_EQ(count(cube, Op::TMOV), 4u);
  std::vector<isa::Instr> mm;
  for (const auto& in : cube)
    if (in.op == Op::TMATMUL) mm.push_back(in);
  EXPECT_EQ(mm[0].flags & isa::kAccumulate, 0);
  EXPECT_NE(mm[1].flags & isa::kAccumulate, 0);
  EXPECT_EQ(mm[0].a.cols, 256u);
  EXPECT_EQ(mm[0].b.rows, 256u);
  // The two L0B operands land in different halves (double buffering).
  EXPECT_NE(mm[0].b.offset, mm[1].b.offset);
  // The second A step is a column sub-view of the L1 tile: pitch 512, valid 256.
  const isa::Instr* mov_a2 = nullptr;
  int seen = 0;
  for (const auto& in : cube)
    if (in.op == Op::TMOV && in.dst.space == Space::L0A && ++seen == 2) mov_a2 = &in;
  ASSERT_NE(mov_a2, nullptr);
  EXPECT_EQ(mov_a2->a.cols, 512u);
  EXPECT_EQ(mov_a2->a.valid_cols, 256u);
  EXPECT_EQ(mov_a2->a.offset, 256u * 2u);
}

TEST(WorkloadBuilder, ChannelPassesThroughGm) {
  ProgramBuilder pb;
  GmTensor a = pb.tensor("a", {16, 128}, DType::BF16, TensorKind::In);
  GmTensor b = pb.tensor("b", {128, 128}, DType::BF16, TensorKind::In);
  GmTensor s = pb.tensor("scratch", {16, 128}, DType::FP32, TensorKind::Scratch);
  GmTensor o = pb.tensor("o", {16, 128}, DType::FP32, TensorKind::Out);
  pb.kernel("mixed", [&](KernelBuilder& k) {
    LTile at = k.slice(a, {16, 128}, {0, 0}, Space::L1);
    LTile bt = k.slice(b, {128, 128}, {0, 0}, Space::L1);
    LTile acc = k.matmul(at, bt);
    Channel ch = k.channel(s, {16, 128}, {0, 0});
    k.send(ch, acc);
    k.assemble(o, k.exp(k.recv(ch)), {0, 0});
  });
  isa::Program p = pb.finish();
  const isa::Kernel& k = p.kernels[0];
  ASSERT_GE(k.cube.size(), 2u);
  EXPECT_EQ(k.cube[k.cube.size() - 2].op, Op::TSTORE);
  EXPECT_EQ(k.cube.back().op, Op::SIGNAL);
  EXPECT_EQ(k.vec[0][0].op, Op::WAIT);
  EXPECT_EQ(k.vec[0][1].op, Op::TLOAD);
  EXPECT_EQ(k.cube.back().imm, k.vec[0][0].imm);
  EXPECT_EQ(p.sites[k.cube.back().site], "mixed: signal scratch");
  // A channel that is never received is an error.
  ProgramBuilder pb2;
  GmTensor s2 = pb2.tensor("scratch", {16, 128}, DType::FP32, TensorKind::Scratch);
  std::string e = error_of([&] {
    pb2.kernel("lonely", [&](KernelBuilder& k2) {
      Channel ch = k2.channel(s2, {16, 128}, {0, 0});
      k2.send(ch, k2.fill({16, 128}, DType::FP32, 1.0f));
    });
  });
  EXPECT_NE(e.find("sent but never received"), std::string::npos) << e;
}

TEST(WorkloadBuilder, GmRangesAndDeps) {
  ProgramBuilder pb;
  GmTensor t = pb.tensor("t", {16, 256}, DType::FP32, TensorKind::Scratch);
  GmTensor o = pb.tensor("o", {16, 256}, DType::FP32, TensorKind::Out);
  // Two tasks write disjoint column blocks (strided rows): no dependency.
  pb.parallel("writer", 2, 1, [&](KernelBuilder& k, int64_t i) {
    k.assemble(t, k.fill({16, 128}, DType::FP32, 0.0f), {0, i * 128});
  });
  pb.kernel("reader", [&](KernelBuilder& k) { k.assemble(o, k.slice(t, {16, 256}, {0, 0}), {0, 0}); });
  isa::Program p = pb.finish();
  ASSERT_EQ(p.tasks.size(), 3u);
  EXPECT_EQ(p.tasks[0].site, p.tasks[1].site);  // one launch site for the parallel
  EXPECT_EQ(p.sites[p.tasks[0].site], "writer: launch");
  EXPECT_EQ(p.tasks[0].writes.size(), 16u);  // one range per row: 512 B each
  EXPECT_EQ(p.tasks[0].writes[1].begin, 1024u);
  EXPECT_TRUE(p.tasks[1].deps.empty());
  EXPECT_EQ(p.tasks[2].deps, (std::vector<uint32_t>{0, 1}));
  ASSERT_EQ(p.tasks[2].reads.size(), 1u);  // whole rows merge into one range
  EXPECT_EQ(p.tasks[2].reads[0].end, 16u * 256u * 4u);
}

TEST(WorkloadBuilder, RegisterViewsUseTheKnownValue) {
  ProgramBuilder pb;
  GmTensor lens = pb.tensor("seq_lens", {2}, DType::INT32, TensorKind::In, {5, 9});
  GmTensor cache = pb.tensor("cache", {16, 8}, DType::FP32, TensorKind::InOut);
  pb.kernel("w", [&](KernelBuilder& k) {
    Reg pos = k.sload(lens, 1);
    k.sadd(pos, -1);
    EXPECT_EQ(pos.value(), 8);
    k.assemble(cache, k.fill({1, 8}, DType::FP32, 1.0f), At(pos, 2, 0));
  });
  isa::Program p = pb.finish();
  const auto& v = p.kernels[0].vec[0];
  EXPECT_EQ(v[0].op, Op::SLOAD);
  EXPECT_EQ(v[1].op, Op::SADD);
  EXPECT_EQ(v[1].imm, -1.0f);
  EXPECT_EQ(v.back().op, Op::TSTORE);
  EXPECT_EQ(v.back().gm.reg, v[0].reg);
  EXPECT_EQ(v.back().gm.offset, 2 * 8);
  EXPECT_EQ(v.back().gm.reg_scale, 8);
  // row 2 + R=8 -> row 10: bytes [320, 352)
  ASSERT_EQ(p.tasks[0].writes.size(), 1u);
  EXPECT_EQ(p.tasks[0].writes[0].begin, 320u);
  EXPECT_EQ(p.tasks[0].writes[0].end, 352u);
}

TEST(WorkloadBuilder, ParallelSplitsIntoChunks) {
  ProgramBuilder pb;
  GmTensor o = pb.tensor("o", {10, 8}, DType::FP32, TensorKind::Out);
  std::vector<std::pair<int64_t, int64_t>> ranges;
  pb.parallel_range("p", 10, 4, [&](KernelBuilder& k, int64_t b, int64_t e) {
    ranges.emplace_back(b, e);
    for (int64_t i = b; i < e; ++i) k.assemble(o, k.fill({1, 8}, DType::FP32, 0.0f), {i, 0});
  });
  isa::Program p = pb.finish();
  EXPECT_EQ(p.tasks.size(), 3u);  // ceil(10/4)
  EXPECT_EQ(ranges, (std::vector<std::pair<int64_t, int64_t>>{{0, 4}, {4, 8}, {8, 10}}));
}

// Launches whose bodies differ only in their GM offsets share one body: each
// later launch runs the first's under a binding that moves each tensor's
// views by its own amount (x by 8 x 16 = 128 elements a chunk, o by 8 rows of
// 8 = 64). A launch whose body differs otherwise (the last chunk of 10 rows
// has 2) gets its own; one with the same offsets (a relaunch of chunk 0 by
// another call) needs no binding.
TEST(WorkloadBuilder, LaunchesThatDifferInOffsetsOnlyShareOneBody) {
  ProgramBuilder pb;
  GmTensor x = pb.tensor("x", {26, 16}, DType::FP32, TensorKind::In);
  GmTensor o = pb.tensor("o", {26, 8}, DType::FP32, TensorKind::Out);
  const auto body = [&](KernelBuilder& k, int64_t b, int64_t e) {
    const uint32_t n = uint32_t(e - b);
    LTile t = k.slice(x, {n, 8}, {b, 8});
    k.assemble(o, k.muls(t, 2.0f), {b, 0});
  };
  pb.parallel_range("p", 26, 8, body);  // rows [0, 8), [8, 16), [16, 24), [24, 26)
  pb.kernel("p", [&](KernelBuilder& k) { body(k, 0, 8); });
  isa::Program p = pb.finish();
  ASSERT_EQ(p.tasks.size(), 5u);
  ASSERT_EQ(p.kernels.size(), 2u);  // the 8-row body and the 2-row one
  EXPECT_EQ(p.tasks[0].kernel, 0u);
  EXPECT_EQ(p.tasks[0].binding, isa::kNoBinding);
  for (uint32_t c = 1; c < 3; ++c) {
    EXPECT_EQ(p.tasks[c].kernel, 0u);
    ASSERT_NE(p.tasks[c].binding, isa::kNoBinding);
    const isa::Binding& b = p.bindings[p.tasks[c].binding];
    EXPECT_EQ(b.entries, (std::vector<isa::BoundTensor>{{x.id, x.id, 128 * c}, {o.id, o.id, 64 * c}}));
    // The task's ranges are its own rows: x from byte 4 x 128c + 4 x 8 (column 8).
    EXPECT_EQ(p.tasks[c].reads.front().begin, 4u * (128 * c + 8));
  }
  EXPECT_EQ(p.tasks[3].kernel, 1u);
  EXPECT_EQ(p.tasks[3].binding, isa::kNoBinding);
  EXPECT_EQ(p.tasks[4].kernel, 0u);
  EXPECT_EQ(p.tasks[4].binding, isa::kNoBinding);
  EXPECT_NO_THROW(isa::validate_program(p));
  // As text, and back.
  const std::string text = isa::print_program(p);
  EXPECT_NE(text.find("binding 1 x=x+256 o=o+128\n"), std::string::npos) << text;
  EXPECT_TRUE(isa::parse_program(text, "t.npu") == p);
}

// A part forked, built apart and joined gives the program that building its
// launches after the rest gives: sites, kernels (their shared bodies too),
// bindings and tasks, in the same order.
TEST(WorkloadBuilder, AForkedPartJoinedIsTheProgramBuiltInOrder) {
  const auto declare = [](ProgramBuilder& pb) {
    return std::make_pair(pb.tensor("x", {64, 16}, DType::FP32, TensorKind::In),
                          pb.tensor("y", {64, 16}, DType::FP32, TensorKind::Out));
  };
  const auto rest = [](ProgramBuilder& pb, const GmTensor& x, const GmTensor& y) {
    pb.parallel("scale", 4, 1, [&](KernelBuilder& k, int64_t i) {
      k.assemble(y, k.muls(k.slice(x, {8, 16}, {8 * i, 0}), 2.0f), {8 * i, 0});
    });
  };
  const auto part = [](ProgramBuilder& pb, const GmTensor& x, const GmTensor& y) {
    pb.parallel("shift", 4, 1, [&](KernelBuilder& k, int64_t i) {
      k.assemble(y, k.adds(k.slice(x, {8, 16}, {32 + 8 * i, 0}, Space::UB, {}, "in"), 1.0f), {32 + 8 * i, 0});
    });
  };
  ProgramBuilder seq;
  const auto [sx, sy] = declare(seq);
  rest(seq, sx, sy);
  part(seq, sx, sy);
  const isa::Program want = seq.finish();

  ProgramBuilder pb;
  const auto [x, y] = declare(pb);
  ProgramBuilder a = pb.fork();
  part(a, x, y);  // built first, joined after the rest
  rest(pb, x, y);
  pb.join(std::move(a));
  const isa::Program got = pb.finish();
  EXPECT_EQ(got.kernels.size(), 2u);   // one body each, the others launch it under a binding
  EXPECT_EQ(got.bindings.size(), 6u);  // 3 launches of each move their views
  EXPECT_TRUE(got == want) << isa::print_program(got) << "\n---\n" << isa::print_program(want);
}

TEST(WorkloadBuilder, AForkedPartThatSharesAKernelOrDeclaresATensorCannotJoin) {
  const auto launch = [](ProgramBuilder& pb, const char* name) {
    const GmTensor y = GmTensor{0, 8, 16, DType::FP32};
    pb.kernel(name, [&](KernelBuilder& k) { k.assemble(y, k.fill({8, 16}, DType::FP32, 1.0f), {0, 0}); });
  };
  {
    ProgramBuilder pb;
    pb.tensor("y", {8, 16}, DType::FP32, TensorKind::Out);
    launch(pb, "k");
    ProgramBuilder a = pb.fork();
    launch(a, "k");  // its bodies are pb's: sharing them would take both builders
    EXPECT_EQ(error_of([&] { pb.join(std::move(a)); }),
              "join: kernel 'k' is launched by the part and by the builder it was forked from (fork a part whose "
              "kernels are its own)");
    launch(pb, "k");  // the refused join changed nothing: this launch shares k's one body
    const isa::Program p = pb.finish();
    EXPECT_EQ(p.kernels.size(), 1u);
    EXPECT_EQ(p.tasks.size(), 2u);
    EXPECT_EQ(p.sites.size(), 3u);  // k's launch, compute and store sites; none of the part's
  }
  {
    ProgramBuilder pb;
    pb.tensor("y", {8, 16}, DType::FP32, TensorKind::Out);
    ProgramBuilder a = pb.fork();
    launch(a, "j");   // the part's own, joined before its 'k' would be
    launch(a, "k");
    launch(pb, "k");  // after the fork, on the parent
    EXPECT_NE(error_of([&] { pb.join(std::move(a)); }).find("kernel 'k' is launched by the part and by"),
              std::string::npos);
    // The refused join took nothing of the part's: not j's sites, nor j.
    const isa::Program p = pb.finish();
    for (const std::string& site : p.sites) EXPECT_EQ(site.rfind("j: ", 0), std::string::npos) << site;
    EXPECT_EQ(p.kernels.size(), 1u);
  }
  {
    ProgramBuilder pb;
    pb.tensor("y", {8, 16}, DType::FP32, TensorKind::Out);
    ProgramBuilder a = pb.fork();
    a.tensor("z", {8, 16}, DType::FP32, TensorKind::Out);
    EXPECT_EQ(error_of([&] { pb.join(std::move(a)); }),
              "join: the part declared GM tensor 'z' (declare a program's tensors before forking it)");
  }
  {
    ProgramBuilder pb, other;
    pb.tensor("y", {8, 16}, DType::FP32, TensorKind::Out);
    EXPECT_EQ(error_of([&] { pb.join(other.fork()); }),
              "join: the part was not forked from this builder, or is finished or inside a launch");
  }
}

TEST(WorkloadBuilder, AVectorCoreTheTargetDoesNotHaveIsAnError) {
  Target t;
  t.name = "one_vec";
  t.vector_cores = 1;
  ProgramBuilder pb(t);
  std::string e = error_of([&] { pb.kernel("k", [&](KernelBuilder& k) { k.on_vec(1); }); });
  EXPECT_NE(e.find("on_vec(1): a core group of one_vec has 1 vector core"), std::string::npos) << e;
  // A kernel gets one vector stream per vector core of the target.
  ProgramBuilder pb2(t);
  GmTensor x = pb2.tensor("x", {16, 128}, DType::FP32, TensorKind::In);
  pb2.kernel("k", [&](KernelBuilder& k) { k.slice(x, {16, 128}, {0, 0}); });
  EXPECT_EQ(pb2.finish().kernels[0].vec.size(), 1u);
}

TEST(WorkloadBuilder, AnSpmdLaunchIsConsecutiveBlocksOfOneSiteAndRoundTripsAsText) {
  ProgramBuilder pb;
  GmTensor x = pb.tensor("x", {48, 128}, DType::FP32, TensorKind::In);
  GmTensor y = pb.tensor("y", {48, 128}, DType::FP32, TensorKind::Out);
  pb.spmd("s", 3, [&](KernelBuilder& k, int64_t b) {  // block b: rows [16b, 16b + 16)
    k.assemble(y, k.slice(x, {16, 128}, {16 * b, 0}), {16 * b, 0});
  });
  isa::Program p = pb.finish();
  ASSERT_EQ(p.tasks.size(), 3u);
  for (uint32_t b = 0; b < 3; ++b) {
    EXPECT_EQ(p.tasks[b].block, b);
    EXPECT_EQ(p.tasks[b].blocks, 3u);
    EXPECT_EQ(p.tasks[b].site, p.tasks[0].site);
    // Its own rows: one body, each block's views moved by its binding.
    EXPECT_EQ(p.tasks[b].kernel, p.tasks[0].kernel);
    EXPECT_EQ(p.bound_view(p.tasks[b], p.kernels[p.tasks[b].kernel].vec[0][0].gm).offset, int64_t(b) * 16 * 128);
  }
  const std::string text = isa::print_program(p);
  EXPECT_NE(text.find(" block=2/3 "), std::string::npos) << text;
  isa::Program q = isa::parse_program(text, "t.npu");
  isa::validate_program(q);
  EXPECT_EQ(q, p);
  // A block out of its launch's order is refused, naming the task.
  q.tasks[1].block = 2;
  std::string e;
  try {
    isa::validate_program(q);
  } catch (const isa::ProgramError& x) {
    e = x.what();
  }
  EXPECT_NE(e.find("task 0 (kernel 0 's'): block 0/3 is not followed by block 1"), std::string::npos) << e;
}

TEST(WorkloadBuilder, AnOnChipChannelMovesL0cToUbWhereTheTargetHasThePath) {
  for (bool path : {false, true}) {
    Target t;
    t.l0c_to_ub = path;
    ProgramBuilder pb(t);
    GmTensor a = pb.tensor("a", {16, 128}, DType::BF16, TensorKind::In);
    GmTensor b = pb.tensor("b", {128, 128}, DType::BF16, TensorKind::In);
    GmTensor s = pb.tensor("scratch", {16, 128}, DType::FP32, TensorKind::Scratch);
    GmTensor o = pb.tensor("o", {16, 128}, DType::FP32, TensorKind::Out);
    pb.kernel("mixed", [&](KernelBuilder& k) {
      LTile acc = k.matmul(k.slice(a, {16, 128}, {0, 0}, Space::L1), k.slice(b, {128, 128}, {0, 0}, Space::L1));
      Channel ch = k.channel(s, {16, 128}, {0, 0}, {}, /*on_chip=*/true);
      k.send(ch, acc);
      k.assemble(o, k.recv(ch), {0, 0});
    });
    isa::Program p = pb.finish();
    const isa::Kernel& k = p.kernels[0];
    // Without the path the channel crosses GM: the cube stores, vec 0 loads.
    // With it: no scratch bytes; vec 0 WAITs and TMOVs the cube's L0C tile.
    EXPECT_EQ(count(k.cube, Op::TSTORE), path ? 0u : 1u) << path;
    EXPECT_EQ(count(k.vec[0], Op::TLOAD), path ? 0u : 1u) << path;
    EXPECT_EQ(count(k.vec[0], Op::TMOV), path ? 1u : 0u) << path;
    EXPECT_EQ(count(k.cube, Op::SIGNAL), 1u);
    EXPECT_EQ(count(k.vec[0], Op::WAIT), 1u);
    if (path) {
      for (const auto& in : k.vec[0])
        if (in.op == Op::TMOV) {
          EXPECT_EQ(in.a.space, Space::L0C);
          EXPECT_EQ(in.dst.space, Space::UB);
        }
    }
  }
}

TEST(WorkloadBuilder, ALoopCarriedAccumulatorCountsOnceInThePipelineCap) {
  ProgramBuilder pb;
  GmTensor x = pb.tensor("x", {16, 4096}, DType::FP32, TensorKind::In);
  pb.kernel("acc", [&](KernelBuilder& k) {
    LTile acc;
    k.loop(0, 4096, 512, 2, [&](int64_t c) {
      LTile t = k.slice(x, {16, 512}, {0, c});  // 32768 + 2048 pad = 34816 B per iteration
      // The accumulator, allocated in iteration 0 and kept: [16,1024] fp32 =
      // 65536 + 4096 pad = 69632 B, once. Counted per stage, 196608 B of UB
      // would hold floor(196608 / (69632 + 34816)) = 1 stage; counted once,
      // (196608 - 69632) / 34816 = 3 (capped at the 2 asked for).
      if (c == 0) acc = k.alloc({16, 1024}, DType::FP32);
    });
  });
  isa::Program p = pb.finish();
  std::set<uint32_t> at;
  for (const auto& in : p.kernels[0].vec[0]) at.insert(in.dst.offset);
  EXPECT_EQ(at.size(), 2u);  // two load buffers in turn: double buffered
}

// Issue 11, UB -> L1: vec 0 hands four [16,128] tiles to the cube through a
// ring of two L1 buffers; the cube multiplies each and releases its buffer.
// The cube's part is emitted first (as the attention kernel does), then the
// vector core's.
namespace {
isa::Program ring_handoff(const Target& t, bool release = true) {
  ProgramBuilder pb(t);
  GmTensor x = pb.tensor("x", {64, 128}, DType::BF16, TensorKind::In);
  GmTensor w = pb.tensor("w", {128, 128}, DType::BF16, TensorKind::In);
  GmTensor s = pb.tensor("scratch", {64, 128}, DType::BF16, TensorKind::Scratch);
  GmTensor o = pb.tensor("o", {64, 128}, DType::FP32, TensorKind::Out);
  pb.kernel("ring", [&](KernelBuilder& k) {
    L1Ring ring = k.l1_ring({16, 128}, DType::BF16, 2);
    std::vector<Channel> ch;
    for (int64_t j = 0; j < 4; ++j) ch.push_back(k.channel(s, {16, 128}, {16 * j, 0}, ring));
    LTile wl1 = k.slice(w, {128, 128}, {0, 0}, Space::L1);
    k.loop(0, 4, 1, 2, [&](int64_t j) {
      LTile e = k.recv(ch[size_t(j)], Space::L1);
      k.assemble(o, k.matmul(e, wl1), {16 * j, 0});
      if (release) k.release(ch[size_t(j)]);
    });
    k.loop(0, 4, 1, 2, [&](int64_t j) { k.send(ch[size_t(j)], k.slice(x, {16, 128}, {16 * j, 0})); });
  });
  return pb.finish();
}
std::string ops(const std::vector<isa::Instr>& s) {
  std::string r;
  for (const isa::Instr& in : s)
    if (in.op == Op::SIGNAL || in.op == Op::WAIT) r += (in.op == Op::SIGNAL ? " S" : " W") + std::to_string(int(in.imm));
    else if (in.op == Op::TMOV && in.dst.space == Space::L1) r += " ub->l1";
    else if (in.op == Op::TSTORE && in.a.space == Space::UB) r += " store";
    else if (in.op == Op::TLOAD && in.dst.space == Space::L1 && in.gm.tensor == 2) r += " load";
  return r;
}
}  // namespace

TEST(WorkloadBuilder, AnL1RingHandsVectorTilesToTheCubeWhereTheTargetHasThePath) {
  Target gm;  // a2a3: through GM, and release emits nothing
  isa::Program p = ring_handoff(gm);
  EXPECT_EQ(ops(p.kernels[0].cube), " W0 load W1 load W2 load W3 load");
  EXPECT_EQ(ops(p.kernels[0].vec[0]), " store S0 store S1 store S2 store S3");
  Target a5;
  a5.ub_to_l1 = true;
  p = ring_handoff(a5);
  // Data flags 0..3; the releases of channels 0 and 1 (their buffers' next
  // writers wait for them) get flags 4 and 5 when the cube releases them;
  // those of 2 and 3 get 6 and 7, waited for by nobody.
  EXPECT_EQ(ops(p.kernels[0].cube), " W0 S4 W1 S5 W2 S6 W3 S7");
  EXPECT_EQ(ops(p.kernels[0].vec[0]), " ub->l1 S0 ub->l1 S1 W4 ub->l1 S2 W5 ub->l1 S3");
  // Two buffers, used in turn, clear of the cube's other L1 tile (w).
  std::vector<uint32_t> at;
  for (const isa::Instr& in : p.kernels[0].vec[0])
    if (in.op == Op::TMOV) at.push_back(in.dst.offset);
  ASSERT_EQ(at.size(), 4u);
  EXPECT_NE(at[0], at[1]);
  EXPECT_EQ(at[0], at[2]);
  EXPECT_EQ(at[1], at[3]);
  for (const isa::Instr& in : p.kernels[0].cube)
    if (in.op == Op::TLOAD) {
      const uint32_t lo = in.dst.offset, hi = lo + in.dst.bytes();
      for (uint32_t b : at) EXPECT_TRUE(hi <= b || b + 16 * 128 * 2 <= lo) << lo << " " << b;
    }
  isa::validate_program(p);
  // A buffer written again whose previous channel the cube never releases:
  // the next writer would wait forever.
  try {
    ring_handoff(a5, /*release=*/false);
    FAIL() << "expected an error";
  } catch (const BuildError& e) {
    EXPECT_STREQ(e.what(),
                 "kernel 'ring' (task 0): channel with flag 4 (the release of channel 0's L1 buffer) is waited for by "
                 "the buffer's next writer, but the channel is never released (KernelBuilder::release)");
  }
}

TEST(WorkloadBuilder, AnL1RingTakesOnlyL1NothingElseInTheLaunchUsed) {
  Target a5;
  a5.name = "a5";
  a5.ub_to_l1 = true;
  a5.l1 = 64 * 1024;
  ProgramBuilder pb(a5);
  GmTensor w = pb.tensor("w", {128, 128}, DType::BF16, TensorKind::In);
  try {
    pb.kernel("late", [&](KernelBuilder& k) {
      { LTile t = k.slice(w, {128, 128}, {0, 0}, Space::L1); }  // 32 KiB + a pad row, freed at once
      // Two 16 KiB buffers do not fit in the 64 KiB the freed tile did not touch.
      k.l1_ring({64, 128}, DType::BF16, 2);
    });
    FAIL() << "expected an error";
  } catch (const BuildError& e) {
    EXPECT_NE(std::string(e.what()).find("L1 ring of 2 [64,128] bf16 buffers (16640 B each) does not fit in the L1 "
                                         "bytes this launch has not used yet on a5 (create the ring before the "
                                         "cube's other L1 tiles)"),
              std::string::npos)
        << e.what();
  }
  // After many L1 tiles in the same few places the ring goes past them all.
  ProgramBuilder pb2(a5);
  GmTensor x = pb2.tensor("x", {16, 128}, DType::BF16, TensorKind::In);
  pb2.kernel("reuse", [&](KernelBuilder& k) {
    for (int i = 0; i < 2000; ++i) LTile t = k.slice(x, {16, 128}, {0, 0}, Space::L1);  // 4096 + 256 B at 0
    L1Ring r = k.l1_ring({16, 128}, DType::BF16, 2);
    Channel c = k.channel(x, {16, 128}, {0, 0}, r);
    k.send(c, k.slice(x, {16, 128}, {0, 0}));
    LTile got = k.recv(c, Space::L1);
    EXPECT_EQ(got.tile().offset, 4352u);  // the first byte no tile used, 32-aligned
  });
}
