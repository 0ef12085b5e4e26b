// CoreEngine driven by hand (no SystemC): the per-pipe timing rules on
// configs/hw/tiny.yaml (DMA setup 10, GM 32 B/cycle, vector issue 10 +
// repeats x factor, flag hand-off 5, issue 1 cycle). The DMA completions and
// their latency are the shell's and the memory system's: these tests hand
// each one over with kMiss, an L2 miss's latency on tiny (hit 5 + HBM 15 = 20).
// (Formerly: GM latency 20,
// vector issue 10 + repeats x factor, flag hand-off 5, issue 1 cycle).
#include <gtest/gtest.h>

#include "sim/core_engine.h"
#include "tests/common/program_dsl.h"

using namespace testdsl;
using isa::DType;
using isa::Op;
using isa::Space;

namespace {
struct Recorder {
  std::vector<sim::InstrEvent> events;
  std::function<void(const sim::InstrEvent&)> sink = [this](const sim::InstrEvent& e) { events.push_back(e); };
  uint64_t end_of(uint32_t i) const {
    for (const auto& e : events)
      if (e.index == i) return e.end;
    return sim::kUnknown;
  }
  uint64_t start_of(uint32_t i) const {
    for (const auto& e : events)
      if (e.index == i) return e.start;
    return sim::kUnknown;
  }
};

sim::MemResult miss_latency() {
  sim::MemResult m;
  m.latency_cycles = 5 + 15;  // tiny: l2.hit_latency_cycles + gm.latency_cycles
  return m;
}
const sim::MemResult kMiss = miss_latency();

// Task 0's stream `stream` (0 the cube's, 1 + i vector core i's).
sim::TaskContext ctx_for(const isa::Program& p, int stream = 1) {
  sim::TaskContext c;
  c.program = &p;
  c.task = 0;
  c.stream = stream;
  return c;
}
}  // namespace

class CoreEngineTiny : public ::testing::Test {
 protected:
  sim::HwConfig hw = tiny_hw();
  sim::CostModel cm{hw};

  // Task `decoded`'s vector stream decoded and kept (its kernel is kernel 0),
  // then task `runs` started from the kept plan and stepped once: its DMA
  // requests, or the SimError's message.
  struct KeptRun {
    std::vector<sim::DmaRequest> out;
    std::string error;
  };
  KeptRun run_kept(const isa::Program& p, uint32_t decoded, uint32_t runs) {
    sim::PlanCache plans(p);
    EXPECT_TRUE(plans.keeps(0));
    sim::CoreEngine first(hw, cm), engine(hw, cm);
    sim::TaskContext ctx = ctx_for(p);
    ctx.task = decoded;
    first.load(&p.kernels[0].vec[0], 0, ctx);
    const sim::DecodedStream* plan = plans.put(0, 1, 0, first.decoded());
    EXPECT_EQ(plan->dec[0].gm_offset, p.kernels[0].vec[0][0].gm.offset);  // the kernel's own
    ctx.task = runs;
    engine.start(plan, &p.kernels[0].vec[0], 0, ctx);
    sim::FlagBoard flags;
    Recorder r;
    KeptRun k;
    try {
      engine.step(flags, k.out, r.sink);
    } catch (const sim::SimError& e) {
      k.error = e.what();
    }
    return k;
  }
};

TEST_F(CoreEngineTiny, LoadLoadAddStoreFollowsPipesAndHazards) {
  isa::Program p = program({{"x", 512, DType::FP32}, {"y", 256, DType::FP32}});
  const auto a = tile(Space::UB, 0, 16, 16, DType::FP32);
  const auto b = tile(Space::UB, 1024, 16, 16, DType::FP32);
  const auto c = tile(Space::UB, 2048, 16, 16, DType::FP32);
  add_task(p, "k", {}, {{load(a, view(0, 0, 16, 16, 16)), load(b, view(0, 256, 16, 16, 16)),
                         op2(Op::VBIN, 0, c, a, b), store(view(1, 0, 16, 16, 16), c)}});
  sim::CoreEngine e(hw, cm);
  sim::FlagBoard flags;
  std::vector<sim::DmaRequest> out;
  Recorder r;
  e.load(&p.kernels[0].vec[0], 0, ctx_for(p));
  e.step(flags, out, r.sink);
  // #0 starts at 0, its bytes enter GM after setup 10. #1 waits for MTE2.
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].instr, 0u);
  EXPECT_EQ(out[0].start, 10u);
  // What the memory system is asked: 16 rows of 64 B of tensor 0 from byte 0, contiguous.
  EXPECT_EQ(out[0].mem.tensor, 0u);
  EXPECT_EQ(out[0].mem.offset, 0u);
  EXPECT_EQ(out[0].mem.rows, 16u);
  EXPECT_EQ(out[0].mem.row_bytes, 64u);
  EXPECT_EQ(out[0].mem.stride_bytes, 64u);
  EXPECT_FALSE(out[0].mem.write);
  out.clear();
  e.dma_done(0, 42, kMiss, r.sink);  // 1024 B / 32 B/cycle = 32 -> 42; visible at 42 + 20 = 62
  EXPECT_EQ(r.end_of(0), 62u);
  e.step(flags, out, r.sink);
  ASSERT_EQ(out.size(), 1u);  // #1 starts when MTE2 frees at 42: bytes at 52
  EXPECT_EQ(out[0].start, 52u);
  out.clear();
  e.dma_done(1, 84, kMiss, r.sink);  // visible at 104
  e.step(flags, out, r.sink);
  // vadd waits for both loads: starts 104, 1024 B = 4 repeats: 10 + 4*2 = 18 -> 122
  EXPECT_EQ(r.start_of(2), 104u);
  EXPECT_EQ(r.end_of(2), 122u);
  ASSERT_EQ(out.size(), 1u);  // the store starts at 122, bytes at 132
  EXPECT_EQ(out[0].start, 132u);
  EXPECT_EQ(out[0].mem.tensor, 1u);
  EXPECT_TRUE(out[0].mem.write);
  e.dma_done(3, 164, kMiss, r.sink);
  EXPECT_TRUE(e.finished());
  EXPECT_EQ(e.end_time(), 184u);
}

TEST_F(CoreEngineTiny, SecondBufferLetsTheNextLoadOverlapCompute) {
  // load A; exp A -> A; load B (another buffer): B's load needs only MTE2, not the exp.
  isa::Program p = program({{"x", 512, DType::FP32}});
  const auto a = tile(Space::UB, 0, 16, 16, DType::FP32);
  const auto b = tile(Space::UB, 1024, 16, 16, DType::FP32);
  add_task(p, "k", {}, {{load(a, view(0, 0, 16, 16, 16)), op2(Op::VUNARY, 0, a, a),
                         load(b, view(0, 256, 16, 16, 16))}});
  sim::CoreEngine e(hw, cm);
  sim::FlagBoard flags;
  std::vector<sim::DmaRequest> out;
  Recorder r;
  e.load(&p.kernels[0].vec[0], 0, ctx_for(p));
  e.step(flags, out, r.sink);
  out.clear();
  e.dma_done(0, 42, kMiss, r.sink);
  e.step(flags, out, r.sink);
  // exp starts at 62 (load visible); the second load starts at 42 when MTE2 frees.
  EXPECT_EQ(r.start_of(1), 62u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].start, 52u);
}

TEST_F(CoreEngineTiny, SameBufferSerialisesTheNextLoadBehindCompute) {
  // load A; exp A -> A; load A again: WAR on A, so the reload waits for the exp.
  isa::Program p = program({{"x", 512, DType::FP32}});
  const auto a = tile(Space::UB, 0, 16, 16, DType::FP32);
  add_task(p, "k", {}, {{load(a, view(0, 0, 16, 16, 16)), op2(Op::VUNARY, 0, a, a),
                         load(a, view(0, 256, 16, 16, 16))}});
  sim::CoreEngine e(hw, cm);
  sim::FlagBoard flags;
  std::vector<sim::DmaRequest> out;
  Recorder r;
  e.load(&p.kernels[0].vec[0], 0, ctx_for(p));
  e.step(flags, out, r.sink);
  out.clear();
  e.dma_done(0, 42, kMiss, r.sink);
  e.step(flags, out, r.sink);
  // exp: 62 .. 62 + 10 + 4*4 = 88; the reload starts at 88, bytes at 98.
  EXPECT_EQ(r.end_of(1), 88u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].start, 98u);
}

TEST_F(CoreEngineTiny, WaitHoldsLaterInstructionsUntilSignalPosts) {
  isa::Program p = program({});
  const auto t = tile(Space::UB, 0, 16, 16, DType::FP32);
  add_task(p, "k", {}, {{fill(t, 1.0f), flag_op(Op::SIGNAL, 1)}, {flag_op(Op::WAIT, 1), fill(t, 2.0f)}});
  sim::CoreEngine producer(hw, cm), consumer(hw, cm);
  sim::FlagBoard flags;
  std::vector<sim::DmaRequest> out;
  Recorder rp, rc;
  producer.load(&p.kernels[0].vec[0], 0, ctx_for(p, 1));
  consumer.load(&p.kernels[0].vec[1], 0, ctx_for(p, 2));
  consumer.step(flags, out, rc.sink);
  EXPECT_TRUE(rc.events.empty());  // nothing posted yet
  producer.step(flags, out, rp.sink);
  // fill: 10 + 4 repeats * 1 = 14; SIGNAL after it: 14 + 5 = 19.
  EXPECT_EQ(rp.end_of(1), 19u);
  consumer.step(flags, out, rc.sink);
  // WAIT ends when the flag was posted (19); the fill runs 19 .. 33.
  EXPECT_EQ(rc.end_of(0), 19u);
  EXPECT_EQ(rc.start_of(1), 19u);
  EXPECT_EQ(rc.end_of(1), 33u);
  EXPECT_TRUE(producer.finished());
  EXPECT_TRUE(consumer.finished());
}

TEST_F(CoreEngineTiny, SignalWaitsForWhatCameBeforeAnEarlierWait) {
  // vec1: tload; WAIT 1; SIGNAL 2. The WAIT does not wait for the load, but
  // the SIGNAL does: it covers every earlier instruction of its core.
  isa::Program p = program({{"x", 256, DType::FP32}});
  const auto t = tile(Space::UB, 0, 16, 16, DType::FP32);
  add_task(p, "k", {},
           {{flag_op(Op::SIGNAL, 1)},
            {load(t, view(0, 0, 16, 16, 16)), flag_op(Op::WAIT, 1), flag_op(Op::SIGNAL, 2)}});
  sim::CoreEngine producer(hw, cm), e(hw, cm);
  sim::FlagBoard flags;
  std::vector<sim::DmaRequest> out;
  Recorder rp, r;
  producer.load(&p.kernels[0].vec[0], 0, ctx_for(p, 1));
  e.load(&p.kernels[0].vec[1], 0, ctx_for(p, 2));
  producer.step(flags, out, rp.sink);  // SIGNAL 1: 0 .. 5
  e.step(flags, out, r.sink);
  // The load's bytes start at 10; the WAIT (issued at 1) ends at 5, when flag 1 was posted.
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(r.end_of(1), 5u);
  EXPECT_EQ(r.end_of(2), sim::kUnknown);  // the SIGNAL waits for the load
  e.dma_done(0, 42, kMiss, r.sink);      // 1024 B / 32 = 32 -> 42; visible at 62
  e.step(flags, out, r.sink);
  EXPECT_EQ(r.start_of(2), 62u);  // SIGNAL 2: 62 .. 67
  EXPECT_EQ(r.end_of(2), 67u);
}

TEST_F(CoreEngineTiny, ReadBeforeWriteIsAnErrorNamingTheInstruction) {
  isa::Program p = program({});
  const auto a = tile(Space::UB, 0, 16, 16, DType::FP32);
  const auto b = tile(Space::UB, 1024, 16, 16, DType::FP32);
  add_task(p, "rope", {}, {{fill(a, 0.0f), op2(Op::VBIN, 0, a, a, b)}});
  p.kernels[0].vec[0][1].site = 0;
  sim::CoreEngine e(hw, cm);
  try {
    e.load(&p.kernels[0].vec[0], 0, ctx_for(p));
    FAIL() << "expected an error";
  } catch (const sim::SimError& err) {
    const std::string m = err.what();
    EXPECT_NE(m.find("task 0 (kernel 0 'rope', vec0) instruction #1 vadd at 'k: op'"), std::string::npos) << m;
    EXPECT_NE(m.find("reads b tile UB[1024, 2048) before anything in this task wrote it"), std::string::npos)
        << m;
  }
}

TEST_F(CoreEngineTiny, TileOutsideItsBufferIsAnErrorWithSizes) {
  isa::Program p = program({});
  // UB is 64 KiB on tiny: a 32x64 fp32 tile (8192 B) at 60 KiB ends at 69632.
  add_task(p, "big", {}, {{fill(tile(Space::UB, 61440, 32, 64, DType::FP32), 0.0f)}});
  sim::CoreEngine e(hw, cm);
  try {
    e.load(&p.kernels[0].vec[0], 0, ctx_for(p));
    FAIL() << "expected an error";
  } catch (const sim::SimError& err) {
    const std::string m = err.what();
    EXPECT_NE(m.find("instruction #0 vfill"), std::string::npos) << m;
    EXPECT_NE(m.find("dst tile UB[61440, 69632) (32x64 fp32, 8192 B) exceeds the UB capacity of 65536 B"),
              std::string::npos)
        << m;
  }
}

TEST_F(CoreEngineTiny, DynamicGmOffsetOutOfBoundsNamesTheRegister) {
  isa::Program p = program({{"seq_lens", 1, DType::INT32}, {"cos", 64, DType::FP32}});
  isa::Instr sl;
  sl.op = Op::SLOAD;
  sl.reg = 2;
  sl.gm = view(0, 0, 1, 1, 1);
  auto v = view(1, 0, 1, 16, 16);
  v.reg = 2;
  v.reg_scale = 16;  // row R2 of a [4,16] table
  add_task(p, "rope", {}, {{sl, load(tile(Space::UB, 0, 1, 16, DType::FP32), v)}});
  sim::CoreEngine e(hw, cm);
  auto ctx = ctx_for(p);
  ctx.read_int = [](uint32_t, int64_t) -> int64_t { return 4; };  // row 4 of 4 rows: out of bounds
  try {
    e.load(&p.kernels[0].vec[0], 0, ctx);
    FAIL() << "expected an error";
  } catch (const sim::SimError& err) {
    const std::string m = err.what();
    EXPECT_NE(m.find("instruction #1 tload"), std::string::npos) << m;
    EXPECT_NE(m.find("GM access out of bounds of 'cos' (64 elements): elements [64, 80) with R2 = 4"),
              std::string::npos)
        << m;
  }
}

TEST_F(CoreEngineTiny, ColumnSubViewsAreOrderedByTheirSpan) {
  // A [16,32] fp32 tile: the lo half is columns 0..15, the hi half 16..31
  // (offset + 16 * 4 B, same pitch). Hazards use each access's span, first
  // element to last valid one: lo spans [0, 1984), hi [64, 2048). They
  // overlap (the rows interleave), so the load into hi waits for the fill of
  // lo: conservative, never too optimistic.
  isa::Program p = program({{"x", 256, DType::FP32}});
  auto lo = tile(Space::UB, 0, 16, 32, DType::FP32);
  lo.valid_cols = 16;
  auto hi = tile(Space::UB, 64, 16, 32, DType::FP32);
  hi.valid_cols = 16;
  add_task(p, "k", {}, {{fill(lo, 0.0f), load(hi, view(0, 0, 16, 16, 16))}});
  sim::CoreEngine e(hw, cm);
  sim::FlagBoard flags;
  std::vector<sim::DmaRequest> out;
  Recorder r;
  e.load(&p.kernels[0].vec[0], 0, ctx_for(p));
  e.step(flags, out, r.sink);
  // fill: 16x16 fp32 = 1024 B = 4 repeats: 0 .. 10 + 4 = 14. The load then
  // starts at 14: bytes from 14 + 10 = 24.
  EXPECT_EQ(r.end_of(0), 14u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].start, 24u);
}

TEST_F(CoreEngineTiny, LiveTilesSharingBytesAreReported) {
  // A is loaded into UB[0, 1024); B, allocated over A's second half, into
  // UB[512, 1536); then A is read: half of it is B's data.
  isa::Program p = program({{"x", 512, DType::FP32}});
  const auto a = tile(Space::UB, 0, 16, 16, DType::FP32);
  const auto b = tile(Space::UB, 512, 16, 16, DType::FP32);
  const auto c = tile(Space::UB, 4096, 16, 16, DType::FP32);
  add_task(p, "k", {}, {{load(a, view(0, 0, 16, 16, 16)), load(b, view(0, 256, 16, 16, 16)),
                         op2(Op::VBIN, 0, c, a, a)}});
  sim::CoreEngine e(hw, cm);
  try {
    e.load(&p.kernels[0].vec[0], 0, ctx_for(p));
    FAIL() << "expected an error";
  } catch (const sim::SimError& err) {
    const std::string m = err.what();
    EXPECT_NE(m.find("task 0 (kernel 0 'k', vec0) instruction #2 vadd at 'k: op'"), std::string::npos) << m;
    EXPECT_NE(m.find("reads a tile UB[0, 1024) whose bytes come from #0 tload (wrote [0, 1024)) and #1 tload "
                     "(wrote [512, 1536)), which overlap without one holding the other: two live tiles share "
                     "bytes in UB"),
              std::string::npos)
        << m;
  }
}

TEST_F(CoreEngineTiny, PiecesOfOneTileAreNotOverlappingTiles) {
  // A tile built from two row halves, then one half updated in place, then
  // read whole: its writers sit side by side or one inside another.
  isa::Program p = program({{"x", 512, DType::FP32}});
  const auto whole = tile(Space::UB, 0, 16, 16, DType::FP32);
  const auto top = tile(Space::UB, 0, 8, 16, DType::FP32), bottom = tile(Space::UB, 512, 8, 16, DType::FP32);
  add_task(p, "k", {}, {{load(top, view(0, 0, 8, 16, 16)), load(bottom, view(0, 128, 8, 16, 16)),
                         op2(Op::VUNARY, uint8_t(isa::UnOp::EXP), top, top),
                         op2(Op::VBIN, 0, tile(Space::UB, 4096, 16, 16, DType::FP32), whole, whole)}});
  sim::CoreEngine e(hw, cm);
  EXPECT_NO_THROW(e.load(&p.kernels[0].vec[0], 0, ctx_for(p)));
}

// ---- UB -> L1: a vector core writes its group's cube L1 (sim/cross_core.h) ----

namespace {
// The cube (core 0) and vector core 0 of one group on tiny with the UB -> L1
// path (ub_to_l1: setup 4, 64 B/cycle), stepped in turn until neither moves.
// The cube's DMAs complete 50 cycles after their bytes start; vec0's are left
// to the test.
struct Group {
  sim::HwConfig hw = [] {
    sim::HwConfig h = tiny_hw();
    h.dma.ub_to_l1_path = true;
    return h;
  }();
  sim::CostModel cm{hw};
  sim::CoreEngine cube{hw, cm}, vec{hw, cm};
  sim::FlagBoard flags;
  Recorder rc, rv;
  std::vector<sim::DmaRequest> out;  // vec0's DMA requests, completed by the test
  void load(const isa::Program& p) {
    cube.load(&p.kernels[0].cube, 0, ctx_for(p, 0));
    vec.load(&p.kernels[0].vec[0], 0, ctx_for(p, 1));
    flags.reset();
  }
  void step() {
    std::vector<sim::DmaRequest> cube_out;
    for (int round = 0; round < 10; ++round) {
      cube.step(flags, cube_out, rc.sink);
      for (const sim::DmaRequest& r : cube_out) cube.dma_done(r.instr, r.start + 50, kMiss, rc.sink);
      cube_out.clear();
      vec.step(flags, out, rv.sink);
    }
  }
};
const auto kUb0 = tile(Space::UB, 0, 16, 16, DType::BF16);    // 512 B
const auto kUb1 = tile(Space::UB, 512, 16, 16, DType::BF16);  // 512 B
const auto kL1 = tile(Space::L1, 0, 16, 16, DType::BF16);     // the hand-off buffer, 512 B
const auto kL0a0 = tile(Space::L0A, 0, 16, 16, DType::BF16), kL0a1 = tile(Space::L0A, 512, 16, 16, DType::BF16);
}  // namespace

TEST_F(CoreEngineTiny, VectorHandsTwoTilesToTheCubeThroughOneL1Buffer) {
  // vec0 writes the buffer, SIGNALs 0; the cube WAITs 0, reads it, SIGNALs 1
  // (released); vec0 WAITs 1 before writing the buffer again, SIGNALs 2.
  isa::Program p = program({});
  add_task(p, "handoff",
           {flag_op(Op::WAIT, 0), op2(Op::TMOV, 0, kL0a0, kL1), flag_op(Op::SIGNAL, 1), flag_op(Op::WAIT, 2),
            op2(Op::TMOV, 0, kL0a1, kL1)},
           {{fill(kUb0, 1.0f), op2(Op::TMOV, 0, kL1, kUb0), flag_op(Op::SIGNAL, 0), fill(kUb1, 2.0f),
             flag_op(Op::WAIT, 1), op2(Op::TMOV, 0, kL1, kUb1), flag_op(Op::SIGNAL, 2)}});
  Group g;
  g.load(p);
  g.step();
  ASSERT_TRUE(g.cube.finished());
  ASSERT_TRUE(g.vec.finished());
  // vec0 #0 fill 512 B = 2 repeats: 10 + 2 x 1 = 12 -> 0..12
  EXPECT_EQ(g.rv.end_of(0), 12u);
  // #1 UB -> L1 after the fill: 4 + 512 / 64 = 12 on MTE3 -> 12..24
  EXPECT_EQ(g.rv.start_of(1), 12u);
  EXPECT_EQ(g.rv.end_of(1), 24u);
  // #2 SIGNAL 0 after every earlier instruction: 24 + 5 -> 29
  EXPECT_EQ(g.rv.end_of(2), 29u);
  // #3 fill into the other UB tile, free of the hand-off: VEC free at 12 -> 12..24
  EXPECT_EQ(g.rv.end_of(3), 24u);
  // cube #0 WAIT 0 ends at the post, 29; #1 L1 -> L0A: 2 + 512 / 64 = 10 -> 29..39
  EXPECT_EQ(g.rc.end_of(0), 29u);
  EXPECT_EQ(g.rc.end_of(1), 39u);
  // #2 SIGNAL 1 (released) after the read: 39 + 5 -> 44
  EXPECT_EQ(g.rc.end_of(2), 44u);
  // vec0 #4 WAIT 1 ends at 44; #5 writes the buffer again: 44 + 12 -> 56; #6 SIGNAL 2: 61
  EXPECT_EQ(g.rv.end_of(4), 44u);
  EXPECT_EQ(g.rv.start_of(5), 44u);
  EXPECT_EQ(g.rv.end_of(5), 56u);
  EXPECT_EQ(g.rv.end_of(6), 61u);
  // cube #3 WAIT 2 ends at 61; #4 reads the second tile: 61 + 10 -> 71
  EXPECT_EQ(g.rc.end_of(3), 61u);
  EXPECT_EQ(g.rc.end_of(4), 71u);
}

TEST_F(CoreEngineTiny, CubeReadOfL1NotOrderedAfterTheVectorWriteIsRefused) {
  // The cube WAITs for a flag vec0 posts before its write: nothing orders the
  // read after the write.
  isa::Program p = program({});
  p.sites.push_back("attn: sv");
  p.sites.push_back("attn: send e");
  auto read = op2(Op::TMOV, 0, kL0a0, kL1);
  read.site = 1;
  auto write = op2(Op::TMOV, 0, kL1, kUb0);
  write.site = 2;
  add_task(p, "attn", {flag_op(Op::WAIT, 0), read},
           {{fill(kUb0, 1.0f), flag_op(Op::SIGNAL, 0), write}});
  Group g;
  g.load(p);
  try {
    g.step();
    FAIL() << "expected an error";
  } catch (const sim::SimError& err) {
    EXPECT_STREQ(err.what(),
                 "task 0 (kernel 0 'attn', cube) instruction #1 tmov at 'attn: sv': reads source tile L1[0, 512), "
                 "whose bytes [0, 512) vec0's #2 tmov at 'attn: send e' wrote, and nothing orders the read after "
                 "that write (SIGNAL on vec0 after the write, WAIT here before the read)");
  }
}

TEST_F(CoreEngineTiny, CubeReadOfL1NobodyWroteIsRefusedAtRunTime) {
  // A task where vec0 writes L1 elsewhere: the cube's read of bytes no core
  // wrote is checked when it runs (a vector core might have written them).
  isa::Program p = program({});
  add_task(p, "attn", {op2(Op::TMOV, 0, kL0a0, tile(Space::L1, 4096, 16, 16, DType::BF16))},
           {{fill(kUb0, 1.0f), op2(Op::TMOV, 0, kL1, kUb0)}});
  Group g;
  g.load(p);
  try {
    g.step();
    FAIL() << "expected an error";
  } catch (const sim::SimError& err) {
    EXPECT_STREQ(err.what(),
                 "task 0 (kernel 0 'attn', cube) instruction #0 tmov at 'k: op': reads source tile L1[4096, 4608) "
                 "but nothing in this task wrote bytes [4096, 4608) before it (local buffers do not survive across "
                 "launches; a vector core's write into the cube's L1 must come first: SIGNAL on the vector core "
                 "after its write, WAIT here before the read)");
  }
}

TEST_F(CoreEngineTiny, VectorOverwritingL1TheCubeMayStillReadIsRefused) {
  // vec0 writes the buffer a second time without WAITing for the cube's
  // release: the cube's read (ordered after the first write) and the second
  // write are unordered. The second write waits for a load into UB (after the
  // SIGNAL: a SIGNAL waits for every earlier instruction), so the cube's read
  // runs first.
  isa::Program p = program({{"x", 256, DType::BF16}});
  add_task(p, "attn", {flag_op(Op::WAIT, 0), op2(Op::TMOV, 0, kL0a0, kL1), flag_op(Op::SIGNAL, 1)},
           {{fill(kUb0, 1.0f), op2(Op::TMOV, 0, kL1, kUb0), flag_op(Op::SIGNAL, 0), load(kUb1, view(0, 0, 16, 16, 16)),
             op2(Op::TMOV, 0, kL1, kUb1)}});
  Group g;
  g.load(p);
  g.step();  // vec0's second write waits for its load
  EXPECT_TRUE(g.cube.finished());
  ASSERT_EQ(g.out.size(), 1u);
  try {
    g.vec.dma_done(3, 100, kMiss, g.rv.sink);
    g.out.clear();
    g.vec.step(g.flags, g.out, g.rv.sink);
    FAIL() << "expected an error";
  } catch (const sim::SimError& err) {
    EXPECT_STREQ(err.what(),
                 "task 0 (kernel 0 'attn', vec0) instruction #4 tmov at 'k: op': writes dst tile L1[0, 512) over "
                 "bytes [0, 512) that cube's #1 tmov at 'k: op' reads, and nothing orders the write after that "
                 "read: the core could overwrite data still being read (SIGNAL on cube after the read, WAIT here "
                 "before the write)");
  }
  // WAITing for the cube's release first (flag 1) orders it.
  isa::Program ok = p;
  auto& v = ok.kernels[0].vec[0];
  v.insert(v.begin() + 4, flag_op(Op::WAIT, 1));
  Group h;
  h.load(ok);
  h.step();
  ASSERT_EQ(h.out.size(), 1u);
  h.vec.dma_done(3, 100, kMiss, h.rv.sink);
  h.out.clear();
  h.vec.step(h.flags, h.out, h.rv.sink);
  EXPECT_TRUE(h.vec.finished());
}

TEST_F(CoreEngineTiny, VectorWriteOverTheCubesOwnL1TileNeedsOrderingToo) {
  // The cube loads into L1 and reads it; vec0 then writes the same bytes
  // without any flag from the cube: unordered with the cube's write (and read).
  isa::Program p = program({{"x", 256, DType::BF16}});
  add_task(p, "k", {load(kL1, view(0, 0, 16, 16, 16)), op2(Op::TMOV, 0, kL0a0, kL1)},
           {{load(kUb1, view(0, 0, 16, 16, 16)), op2(Op::TMOV, 0, kL1, kUb1)}});
  Group g;
  g.load(p);
  g.step();  // the cube's load and read run; vec0's write waits for its own load
  EXPECT_TRUE(g.cube.finished());
  try {
    g.vec.dma_done(0, 100, kMiss, g.rv.sink);
    g.out.clear();
    g.vec.step(g.flags, g.out, g.rv.sink);
    FAIL() << "expected an error";
  } catch (const sim::SimError& err) {
    EXPECT_NE(std::string(err.what()).find("vec0) instruction #1 tmov at 'k: op': writes dst tile L1[0, 512) over "
                                           "bytes [0, 512) that cube's #0 tload at 'k: op' wrote, and nothing "
                                           "orders the two writes"),
              std::string::npos)
        << err.what();
  }
}

// A kernel launched twice is decoded once: the second launch runs the kept
// plan from its own start, under its own binding, with the same durations.
TEST_F(CoreEngineTiny, AKeptPlanRunsFromItsOwnStartUnderItsOwnBinding) {
  isa::Program p = program({{"x", 256, DType::FP32}, {"y", 256, DType::FP32}, {"x2", 256, DType::FP32},
                            {"y2", 256, DType::FP32}});
  const auto a = tile(Space::UB, 0, 16, 16, DType::FP32);
  add_task(p, "k", {}, {{load(a, view(0, 0, 16, 16, 16)), store(view(1, 0, 16, 16, 16), a)}});
  p.bindings.push_back(isa::Binding{{{0, 2, 0}, {1, 3, 0}}});  // x -> x2, y -> y2
  p.tasks.push_back(p.tasks[0]);
  p.tasks[1].binding = 0;
  sim::PlanCache plans(p);
  ASSERT_TRUE(plans.keeps(0));  // two launches, no SLOAD
  sim::CoreEngine first(hw, cm), second(hw, cm);
  first.load(&p.kernels[0].vec[0], 0, ctx_for(p));
  plans.put(0, 1, 0, first.decoded());
  const sim::DecodedStream* plan = plans.find(0, 1, 0);
  ASSERT_NE(plan, nullptr);
  sim::TaskContext ctx = ctx_for(p);
  ctx.task = 1;
  second.start(plan, &p.kernels[0].vec[0], 1000, ctx);
  sim::FlagBoard flags;
  std::vector<sim::DmaRequest> out;
  Recorder r;
  second.step(flags, out, r.sink);
  // The load's bytes start after its setup of 10 cycles, from 1000, in x2.
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].start, 1010u);
  EXPECT_EQ(out[0].mem.tensor, 2u);
  out.clear();
  second.dma_done(0, 1042, kMiss, r.sink);  // 1024 B / 32 B/cycle: 1010 + 32; visible 20 later
  second.step(flags, out, r.sink);
  ASSERT_EQ(out.size(), 1u);  // the store: after the load is visible at 1062, setup 10
  EXPECT_EQ(out[0].start, 1072u);
  EXPECT_EQ(out[0].mem.tensor, 3u);
  // Kept until the kernel's last launch has finished.
  plans.launch_done(0);
  EXPECT_EQ(plans.size(), 1u);
  plans.launch_done(0);
  EXPECT_EQ(plans.size(), 0u);
}

// A kept plan holds the kernel's own offsets; each launch's binding moves
// them at run time, and a launch whose offset takes a view out of its tensor
// is an error there (the plan's decode checked the first launch's only).
TEST_F(CoreEngineTiny, AKeptPlanRunsAtEachLaunchsOffsets) {
  isa::Program p = program({{"x", 1024, DType::FP32}, {"y", 256, DType::FP32}});
  const auto a = tile(Space::UB, 0, 16, 16, DType::FP32);
  add_task(p, "k", {}, {{load(a, view(0, 0, 16, 16, 16)), store(view(1, 0, 16, 16, 16), a)}});
  p.bindings.push_back(isa::Binding{{{0, 0, 512}}});  // x's view moves to elements [512, 768)
  p.bindings.push_back(isa::Binding{{{0, 0, 896}}});  // [896, 1152): past x's 1024 elements
  p.tasks.push_back(p.tasks[0]);
  p.tasks.push_back(p.tasks[0]);
  p.tasks[1].binding = 0;
  p.tasks[2].binding = 1;
  const KeptRun ok = run_kept(p, 0, 1);
  ASSERT_EQ(ok.out.size(), 1u) << ok.error;
  EXPECT_EQ(ok.out[0].mem.tensor, 0u);
  EXPECT_EQ(ok.out[0].mem.offset, 512u * 4);  // bytes
  EXPECT_NE(run_kept(p, 0, 2).error.find("task 2 (kernel 0 'k', vec0) instruction #0 tload at 'k: op': GM access out "
                                         "of bounds of 'x' (1024 elements): elements [896, 1152) (the task's binding "
                                         "moves the view by 896)"),
            std::string::npos);
}

// A plan kept from a launch whose binding moved a view into bounds serves a
// launch without a binding: that launch's own offset is checked too (x's view
// at [896, 1152) of its 1024 elements; the first launch moved it by -128).
TEST_F(CoreEngineTiny, AKeptPlanChecksTheBoundsOfALaunchWithoutABinding) {
  isa::Program p = program({{"x", 1024, DType::FP32}});
  const auto a = tile(Space::UB, 0, 16, 16, DType::FP32);
  add_task(p, "k", {}, {{load(a, view(0, 896, 16, 16, 16))}});
  p.bindings.push_back(isa::Binding{{{0, 0, -128}}});
  p.tasks.push_back(p.tasks[0]);
  p.tasks[0].binding = 0;
  // Decoded for task 0 ([768, 1024), in bounds), run for task 1.
  const KeptRun k = run_kept(p, 0, 1);
  EXPECT_NE(k.error.find("task 1 (kernel 0 'k', vec0) instruction #0 tload at 'k: op': GM access out of bounds of "
                         "'x' (1024 elements): elements [896, 1152)"),
            std::string::npos)
      << k.error;
  EXPECT_TRUE(k.out.empty());
}

// A kernel one of whose launches binds two of the tensors it names to one is
// decoded per launch: a kept plan's hazards between its views would be those
// of the first launch's binding.
TEST_F(CoreEngineTiny, AKernelWhoseLaunchAliasesItsTensorsIsNotKept) {
  isa::Program p = program({{"x", 256, DType::FP32}, {"y", 256, DType::FP32}});
  const auto a = tile(Space::UB, 0, 16, 16, DType::FP32);
  add_task(p, "k", {}, {{load(a, view(0, 0, 16, 16, 16)), store(view(1, 0, 16, 16, 16), a)}});
  p.tasks.push_back(p.tasks[0]);
  EXPECT_TRUE(sim::PlanCache(p).keeps(0));
  p.bindings.push_back(isa::Binding{{{1, 0, 0}}});  // y -> x: the store overwrites what the load read
  p.tasks[1].binding = 0;
  EXPECT_FALSE(sim::PlanCache(p).keeps(0));
}

// A stream whose SLOAD sets a register from GM is decoded per launch (the
// value is read at run time); so is a kernel launched once.
TEST_F(CoreEngineTiny, KernelsThatSloadOrRunOnceAreNotKept) {
  isa::Program p = program({{"x", 256, DType::FP32}, {"pos", 1, DType::INT32}});
  const auto a = tile(Space::UB, 0, 16, 16, DType::FP32);
  isa::Instr sl;
  sl.op = Op::SLOAD;
  sl.reg = 0;
  sl.gm = view(1, 0, 1, 1, 1);
  add_task(p, "once", {}, {{load(a, view(0, 0, 16, 16, 16))}});
  add_task(p, "sloads", {}, {{sl}});
  p.tasks.push_back(p.tasks[1]);
  sim::PlanCache plans(p);
  EXPECT_FALSE(plans.keeps(0));
  EXPECT_FALSE(plans.keeps(1));
}
