// Whole-model scenarios on configs/hw/tiny.yaml, one SystemC simulation per
// test process (ctest runs each TEST alone). Hand counts:
//   dispatch 100 + launch 50: a task dispatched at t starts at t + 150;
//   DMA: setup 10, then bytes at min(32 B/cycle engine, ...): bytes that hit
//        the L2 at min(engine, 64 B/cycle L2) = 32, bytes that miss through the
//        shared 32 B/cycle HBM; data visible after the L2 hit latency 5, or
//        5 + 15 (HBM latency) = 20 when the DMA waited for HBM.
//   Tensors start on their own 128 B line; nothing is in L2 at the start, a
//   load's lines stay there, a store (write-back) allocates its lines.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "sim/functional.h"
#include "sim/npu.h"
#include "tests/common/program_dsl.h"

using namespace testdsl;
using isa::DType;
using isa::Op;
using isa::Space;

namespace {
const auto kA = tile(Space::UB, 0, 16, 16, DType::FP32);     // 1024 B
const auto kB = tile(Space::UB, 1024, 16, 16, DType::FP32);  // 1024 B
const auto kView = view(0, 0, 16, 16, 16);                   // 1024 B of tensor 0

uint64_t kernel_value(const nlohmann::ordered_json& r, const std::string& kernel, const char* key) {
  for (const auto& k : r["kernels"])
    if (k["name"] == kernel) return k[key].get<uint64_t>();
  ADD_FAILURE() << "no kernel " << kernel;
  return 0;
}
}  // namespace

TEST(Sim, OneDma) {
  isa::Program p = program({{"x", 256, DType::FP32}});
  add_task(p, "load", {}, {{load(kA, kView)}});
  auto r = sim::simulate(p, tiny_hw(), {});
  // start 150; bytes from 160; 8 cold lines: 1024 B from HBM / 32 = 32 -> 192; + miss latency 20 = 212
  EXPECT_EQ(r.total_cycles, 212u);
  EXPECT_EQ(r.report["totals"]["load_count"], 1);
  EXPECT_EQ(r.report["totals"]["load_bytes"], 1024);
  EXPECT_EQ(r.report["totals"]["dma_size_histogram"]["<=1KiB"], 1);
}

TEST(Sim, OneGemmTile) {
  isa::Program p = program({{"a", 512, DType::BF16}, {"b", 512, DType::BF16}, {"c", 256, DType::FP32}});
  const auto a1 = tile(Space::L1, 0, 16, 32, DType::BF16), b1 = tile(Space::L1, 1024, 32, 16, DType::BF16);
  const auto a0 = tile(Space::L0A, 0, 16, 32, DType::BF16), b0 = tile(Space::L0B, 0, 32, 16, DType::BF16);
  const auto c0 = tile(Space::L0C, 0, 16, 16, DType::FP32);
  add_task(p, "gemm",
           {load(a1, view(0, 0, 16, 32, 32)), load(b1, view(1, 0, 32, 16, 16)), op2(Op::TMOV, 0, a0, a1),
            op2(Op::TMOV, 0, b0, b1), op2(Op::TMATMUL, 0, c0, a0, b0), store(view(2, 0, 16, 16, 16), c0)},
           {});
  auto r = sim::simulate(p, tiny_hw(), {});
  // load A: 150 -> bytes 160..192 -> visible 212 (MTE2 free at 192)
  // load B: 192 -> bytes 202..234 -> visible 254
  // mov A: 212 + 2 + 1024/64 = 230;  mov B: 254 -> 272
  // matmul 16x32x16: 2 fractals + fill 6 = 8: 272 -> 280
  // store 1024 B from L0C: 280 -> bytes 290..322 into L2 (write-back: no HBM,
  // 1024 / min(32, 64) = 32) -> visible after the hit latency 5: 327 (it was 342
  // when every store paid the GM latency 20)
  EXPECT_EQ(r.total_cycles, 327u);
  EXPECT_EQ(r.report["totals"]["cube_busy_cycles"], 8);
  EXPECT_EQ(r.report["totals"]["flops"], 2 * 16 * 32 * 16);
}

// Per-site time (README "Where a kernel's cycles went, per site"): OneGemmTile's
// program, with the cube handing a flag to vector core 0, which then fills.
TEST(Sim, SiteBusyCyclesAreThePipeTimeOfTheirInstructions) {
  isa::Program p = program({{"a", 512, DType::BF16}, {"b", 512, DType::BF16}, {"c", 256, DType::FP32}});
  const auto a1 = tile(Space::L1, 0, 16, 32, DType::BF16), b1 = tile(Space::L1, 1024, 32, 16, DType::BF16);
  const auto a0 = tile(Space::L0A, 0, 16, 32, DType::BF16), b0 = tile(Space::L0B, 0, 32, 16, DType::BF16);
  const auto c0 = tile(Space::L0C, 0, 16, 16, DType::FP32);
  add_task(p, "gemm",
           {load(a1, view(0, 0, 16, 32, 32)), load(b1, view(1, 0, 32, 16, 16)), op2(Op::TMOV, 0, a0, a1),
            op2(Op::TMOV, 0, b0, b1), op2(Op::TMATMUL, 0, c0, a0, b0), store(view(2, 0, 16, 16, 16), c0),
            flag_op(Op::SIGNAL, 1)},
           {{flag_op(Op::WAIT, 1), fill(kA, 0.0f)}});
  auto r = sim::simulate(p, tiny_hw(), {});
  // As in OneGemmTile (the pipe is held until the last byte, not + the latency):
  //   tload A 150..192 (42: setup 10 + 1024 B / 32), tload B 192..234 (42): 84
  //   tmov A 212..230 (18), tmov B 254..272 (18): 36;  tmatmul 272..280: 8
  //   tstore 280..322 (42; an L2 write, visible 327)
  // signal after every earlier instruction: 327..332 (flag 5)
  // wait: holds vec0's scalar pipe 150..332 waiting for the flag: counts 0
  // fill 1024 B: 332..346 (10 + 4 * 1 = 14)
  EXPECT_EQ(r.total_cycles, 346u);
  std::map<std::string, std::pair<uint64_t, double>> busy;  // op -> (busy_cycles, busy_share)
  for (const auto& s : r.report["sites"]) {
    ASSERT_EQ(s["kernel"], "gemm");
    busy[s["op"].get<std::string>()] = {s["busy_cycles"].get<uint64_t>(), s["busy_share"].get<double>()};
  }
  const uint64_t total = 84 + 36 + 8 + 42 + 5 + 0 + 14;  // 189
  EXPECT_EQ(kernel_value(r.report, "gemm", "pipe_busy_cycles"), total);
  EXPECT_EQ(r.report["totals"]["pipe_busy_cycles"], total);
  const std::map<std::string, uint64_t> want = {{"tload", 84}, {"tmov", 36}, {"tmatmul", 8}, {"tstore", 42},
                                                {"signal", 5},  {"wait", 0},  {"vfill", 14}, {"launch", 0}};
  ASSERT_EQ(busy.size(), want.size());
  for (const auto& [op, cycles] : want) {
    ASSERT_TRUE(busy.count(op)) << op;
    EXPECT_EQ(busy[op].first, cycles) << op;
    EXPECT_DOUBLE_EQ(busy[op].second, double(cycles) / double(total)) << op;
  }
  // The CUBE and VEC pipe time are the same instructions' share of it.
  EXPECT_EQ(r.report["totals"]["cube_busy_cycles"], 8);
  EXPECT_EQ(r.report["totals"]["vector_busy_cycles"], 14);
}

TEST(Sim, OneVectorOp) {
  isa::Program p = program({{"x", 256, DType::FP32}, {"y", 256, DType::FP32}});
  add_task(p, "exp", {},
           {{load(kA, kView), op2(Op::VUNARY, uint8_t(isa::UnOp::EXP), kB, kA), store(view(1, 0, 16, 16, 16), kB)}});
  auto r = sim::simulate(p, tiny_hw(), {});
  // load visible 212; exp 1024 B = 4 repeats * 4 + 10 = 26 -> 238;
  // store 238 -> bytes 248..280 into L2 -> visible 280 + 5 = 285
  EXPECT_EQ(r.total_cycles, 285u);
  EXPECT_EQ(r.report["totals"]["vector_busy_cycles"], 26);
}

TEST(Sim, CrossPipeHandOffsCostPipeSyncCycles) {
  // OneVectorOp with a set_flag/wait_flag cost of 7 cycles on each hand-off
  // between pipes: load (MTE2) -> exp (VEC) -> store (MTE3).
  isa::Program p = program({{"x", 256, DType::FP32}, {"y", 256, DType::FP32}});
  add_task(p, "exp", {},
           {{load(kA, kView), op2(Op::VUNARY, uint8_t(isa::UnOp::EXP), kB, kA), store(view(1, 0, 16, 16, 16), kB)}});
  auto hw = tiny_hw();
  hw.pipe_sync_cycles = 7;
  auto r = sim::simulate(p, hw, {});
  // load visible 212; exp starts 212 + 7 = 219, 26 cycles -> 245; store
  // starts 245 + 7 = 252 -> bytes 262..294 -> visible 294 + 5 = 299
  // (OneVectorOp's 285 + 2 x 7).
  EXPECT_EQ(r.total_cycles, 299u);
}

TEST(Sim, TwoConcurrentDmasShareGmBandwidth) {
  isa::Program p = program({{"x", 512, DType::FP32}});
  add_task(p, "two", {}, {{load(kA, kView)}, {load(kA, view(0, 256, 16, 16, 16))}});
  auto r = sim::simulate(p, tiny_hw(), {});
  // Both vector cores start at 150, bytes from 160; both miss (different
  // lines, cold) and share HBM at 32 / 2 = 16 B/cycle each:
  // 1024 / 16 = 64 -> 224, visible 224 + 20 = 244 (alone it would be 212).
  EXPECT_EQ(r.total_cycles, 244u);
}

namespace {
isa::Program two_fills() {
  isa::Program p = program({});
  add_task(p, "fill", {}, {{fill(kA, 1.0f)}});
  add_task(p, "fill", {}, {{fill(kA, 2.0f)}});
  return p;
}
}  // namespace

TEST(Sim, IndependentTasksOverlapOnTwoGroups) {
  auto r = sim::simulate(two_fills(), tiny_hw(), {});
  // fill 1024 B: 10 + 4 * 1 = 14. Task 0: 150..164. Task 1 is dispatched when
  // the one scheduler thread is free (100): 250..264. They overlap in time.
  EXPECT_EQ(r.total_cycles, 264u);
  EXPECT_EQ(r.report["totals"]["launch_overhead_cycles"], 2 * 150);
  // Task 1's dispatch waited for the scheduler thread, free at 100 when task
  // 0's dispatch ended: the path is task 0's dispatch (0..100), then task 1
  // (100..264).
  const auto& cp = r.report["critical_path"];
  EXPECT_EQ(cp["waited_for"]["scheduler"], 1);
  EXPECT_EQ(cp["waited_for"]["submit"], 1);
  EXPECT_EQ(cp["kernels"][0]["cycles"], 264);
}

TEST(Sim, IndependentTasksSerialiseOnOneGroup) {
  auto hw = tiny_hw();
  hw.core_groups = 1;
  auto r = sim::simulate(two_fills(), hw, {});
  // Task 1 waits for the group: dispatched at 164, runs 314..328.
  EXPECT_EQ(r.total_cycles, 328u);
  // Its dispatch waited for the core group task 0 freed at 164.
  EXPECT_EQ(r.report["critical_path"]["waited_for"]["core_group"], 1);
  EXPECT_EQ(r.report["critical_path"]["kernels"][0]["cycles"], 328);  // both tasks: 0..164..328
}

TEST(Sim, DependentPairSerialises) {
  isa::Program p = program({{"x", 256, DType::FP32}});
  add_task(p, "produce", {}, {{fill(kA, 1.0f), store(kView, kA)}});
  add_task(p, "consume", {}, {{load(kA, kView)}}, {0});
  auto r = sim::simulate(p, tiny_hw(), {});
  // produce: fill 150..164, store 164 -> bytes 174..206 into L2 -> visible 211.
  // consume: ready 211, starts 361; its load finds the 8 lines the store
  // wrote: 1024 B at min(32, 64) = 32, hit latency 5: 361 + 10 + 32 + 5 = 408.
  EXPECT_EQ(r.total_cycles, 408u);
  EXPECT_EQ(kernel_value(r.report, "consume", "dispatch_wait_cycles"), 0u);
  // Critical path: consume waited for its dependency (released at 211, ends
  // 408: 197 cycles), produce for its submission (0 .. 211).
  const auto& cp = r.report["critical_path"];
  EXPECT_EQ(cp["tasks"], 2);
  EXPECT_EQ(cp["waited_for"]["dependency"], 1);
  EXPECT_EQ(cp["waited_for"]["submit"], 1);
  EXPECT_EQ(cp["kernels"][0]["name"], "produce");
  EXPECT_EQ(cp["kernels"][0]["cycles"], 211);
  EXPECT_EQ(cp["kernels"][1]["name"], "consume");
  EXPECT_EQ(cp["kernels"][1]["cycles"], 197);
}

TEST(Sim, LaunchOverheadIsCountedPerTask) {
  isa::Program p = program({});
  for (int i = 0; i < 5; ++i) add_task(p, "tiny", {}, {{fill(kA, 0.0f)}});
  add_task(p, "other", {}, {{fill(kA, 0.0f)}});
  auto r = sim::simulate(p, tiny_hw(), {});
  // dispatch 100 + launch 50 per task
  EXPECT_EQ(kernel_value(r.report, "tiny", "launches"), 5u);
  EXPECT_EQ(kernel_value(r.report, "tiny", "launch_overhead_cycles"), 5u * 150);
  EXPECT_EQ(r.report["totals"]["launch_overhead_cycles"], 6 * 150);
  // ... and per launch site: all six tasks come from site 0.
  bool found = false;
  for (const auto& s : r.report["sites"])
    if (s["op"] == "launch" && s["kernel"] == "tiny") {
      found = true;
      EXPECT_EQ(s["count"], 5);
      EXPECT_EQ(s["launch_overhead_cycles"], 5 * 150);
    }
  EXPECT_TRUE(found);
}

TEST(Sim, CapacityOverflowNamesTaskKernelInstructionAndBuffer) {
  isa::Program p = program({});
  add_task(p, "fits", {}, {{fill(kA, 0.0f)}});
  add_task(p, "too_big", {}, {{fill(tile(Space::UB, 65536 - 512, 16, 16, DType::FP32), 0.0f)}});
  try {
    sim::simulate(p, tiny_hw(), {});
    FAIL() << "expected an error";
  } catch (const sim::SimError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("task 1 (kernel 1 'too_big', vec0) instruction #0 vfill"), std::string::npos) << m;
    EXPECT_NE(m.find("exceeds the UB capacity of 65536 B"), std::string::npos) << m;
  }
}

TEST(Sim, WaitThatCanNeverBeSatisfiedIsADeadlockNotAHang) {
  isa::Program p = program({});
  add_task(p, "stuck", {}, {{flag_op(Op::WAIT, 3), fill(kA, 0.0f)}, {fill(kB, 0.0f), flag_op(Op::SIGNAL, 4)}});
  try {
    sim::simulate(p, tiny_hw(), {});
    FAIL() << "expected a deadlock";
  } catch (const sim::SimError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("deadlock in task 0 (kernel 'stuck')"), std::string::npos) << m;
    EXPECT_NE(m.find("vec0: blocked at task 0 (kernel 0 'stuck', vec0) instruction #0 wait"), std::string::npos)
        << m;
    EXPECT_NE(m.find("waiting for flag 3 that no core posts"), std::string::npos) << m;
    EXPECT_NE(m.find("vec1: finished"), std::string::npos) << m;
  }
}

TEST(Sim, TileAssumedToSurviveFromAnEarlierLaunchIsReported) {
  // Task 0 computes a tile in UB; task 1 (a later launch of the same kernel
  // block, e.g. PR 112's q_acc) reads it without writing it first.
  isa::Program p = program({{"x", 256, DType::FP32}});
  add_task(p, "q_head_proj", {}, {{fill(kA, 1.0f)}});
  add_task(p, "q_head_rope", {}, {{op2(Op::VUNARY, uint8_t(isa::UnOp::EXP), kB, kA), store(kView, kB)}}, {0});
  try {
    sim::simulate(p, tiny_hw(), {});
    FAIL() << "expected an error";
  } catch (const sim::SimError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("task 1 (kernel 1 'q_head_rope', vec0) instruction #0 vexp at 'k: op'"), std::string::npos)
        << m;
    EXPECT_NE(m.find("reads a tile UB[0, 1024) before anything in this task wrote it"), std::string::npos) << m;
  }
}

// --- execution records and completion handling --------------------------------
// tiny.yaml leaves completions unmodelled (0); these tests set round values:
// detection 10 cycles after a task's end, handling 40 cycles of the thread.
namespace {
sim::HwConfig with_completion() {
  auto hw = tiny_hw();
  hw.scheduler.completion_detect_cycles = 10;
  hw.scheduler.completion_cycles = 40;
  return hw;
}
double kernel_stat(const nlohmann::ordered_json& r, const std::string& kernel, const char* key, const char* part) {
  for (const auto& k : r["kernels"])
    if (k["name"] == kernel) return k[key][part].get<double>();
  ADD_FAILURE() << "no kernel " << kernel;
  return 0;
}
}  // namespace

TEST(Sim, OneTaskExecAndLatency) {
  isa::Program p = program({});
  add_task(p, "fill", {}, {{fill(kA, 1.0f)}});
  auto r = sim::simulate(p, with_completion(), {});
  // dispatch 0..100 (handed to the core at 100), starts 150, fill 1024 B:
  // 10 + 4 * 1 = 14 -> ends 164. One record (vec0): exec 14 cycles.
  // Detected at 164 + 10 = 174 (the thread is free): latency 174 - 100 = 74.
  // The handling (174..214) is after the end: total_cycles is the last end.
  EXPECT_EQ(r.total_cycles, 164u);
  EXPECT_EQ(kernel_value(r.report, "fill", "exec_records"), 1u);
  EXPECT_DOUBLE_EQ(kernel_stat(r.report, "fill", "exec_us", "mean"), 0.014);  // 1 GHz: us = cycles / 1000
  EXPECT_DOUBLE_EQ(kernel_stat(r.report, "fill", "exec_us", "min"), 0.014);
  EXPECT_DOUBLE_EQ(kernel_stat(r.report, "fill", "exec_us", "max"), 0.014);
  EXPECT_DOUBLE_EQ(kernel_stat(r.report, "fill", "latency_us", "mean"), 0.074);
  EXPECT_DOUBLE_EQ(r.report["totals"]["exec_us_mean"].get<double>(), 0.014);
  EXPECT_DOUBLE_EQ(r.report["totals"]["latency_us_mean"].get<double>(), 0.074);
}

TEST(Sim, CompletionHandlingDelaysTheNextDispatchOnItsThread) {
  isa::Program p = program({});
  for (int i = 0; i < 3; ++i) add_task(p, "fill", {}, {{fill(kA, 1.0f)}});
  auto r = sim::simulate(p, with_completion(), {});
  // One scheduler thread owns both groups.
  // t0: dispatch 0..100 -> group 0, runs 150..164, detected 174.
  // t1: dispatch 100..200 -> group 1, runs 250..264, detected 274.
  // t0's handling waits for the thread (dispatching t1 until 200): 200..240;
  //   only then is group 0 free.
  // t2: dispatch 240..340 -> group 0, runs 390..404, detected 414.
  // t1's handling waits for t2's dispatch: 340..380. t2's: 414..454.
  // Without completion handling t2 would start at 314 (IndependentTasksSerialiseOnOneGroup).
  EXPECT_EQ(r.total_cycles, 404u);
  // latency: t0 200 - 100 = 100, t1 340 - 200 = 140, t2 414 - 340 = 74
  EXPECT_DOUBLE_EQ(r.report["totals"]["latency_us_mean"].get<double>(), (100 + 140 + 74) / 3.0 / 1000);
  EXPECT_DOUBLE_EQ(r.report["totals"]["exec_us_mean"].get<double>(), 0.014);
  EXPECT_EQ(kernel_value(r.report, "fill", "dispatch_wait_cycles"), 0u + 100 + 240);
  // Critical path, last first: t2 [240, 404) waited for the thread (handling
  // t0); t0's handling [200, 240) waited for the thread (dispatching t1); t1
  // [100, 200) for the thread (dispatching t0); t0 [0, 100) for its submission.
  const auto& cp = r.report["critical_path"];
  EXPECT_EQ(cp["tasks"], 3);  // t0 is on it twice, counted once
  EXPECT_EQ(cp["waited_for"]["scheduler"], 3);
  EXPECT_EQ(cp["waited_for"]["submit"], 1);
  EXPECT_EQ(cp["first_dispatch_cycles"], 0);
  EXPECT_EQ(cp["kernels"][0]["cycles"], 404);
}

TEST(Sim, MixedTaskGivesOneRecordPerCore) {
  isa::Program p = program({{"a", 512, DType::BF16}});
  const auto a1 = tile(Space::L1, 0, 16, 32, DType::BF16);
  add_task(p, "mixed", {load(a1, view(0, 0, 16, 32, 32))}, {{fill(kA, 1.0f)}});
  auto r = sim::simulate(p, with_completion(), {});
  // Starts 150 on both cores (vec1 has no stream: no record).
  // cube: load 1024 B: bytes 160..192, visible 212 -> exec 62
  // vec0: fill 150..164 -> exec 14
  // The task ends at 212, detected 222; handed over at 100. Each record is
  // detected as long after its core's end as the task's (10):
  // latency cube 212 - 100 + 10 = 122, vec0 164 - 100 + 10 = 74.
  EXPECT_EQ(r.total_cycles, 212u);
  EXPECT_EQ(kernel_value(r.report, "mixed", "exec_records"), 2u);
  EXPECT_DOUBLE_EQ(kernel_stat(r.report, "mixed", "exec_us", "mean"), 0.038);
  EXPECT_DOUBLE_EQ(kernel_stat(r.report, "mixed", "exec_us", "min"), 0.014);
  EXPECT_DOUBLE_EQ(kernel_stat(r.report, "mixed", "exec_us", "max"), 0.062);
  EXPECT_DOUBLE_EQ(kernel_stat(r.report, "mixed", "latency_us", "mean"), 0.098);
  EXPECT_EQ(kernel_value(r.report, "mixed", "task_cycles"), 62u);  // the group: start to last end
}

// Issue 8: short strided rows on tiny's L2 (128 B lines, 32 B sectors). A
// [16, 4] fp32 tile of a [16, 64] fp32 tensor: 16 rows of 16 B, 256 B apart.
TEST(Sim, ShortRowsFillWholeSectorsAndTheNeighbouringTileHits) {
  isa::Program p = program({{"x", 16 * 64, DType::FP32}});
  const auto a = tile(Space::UB, 0, 16, 4, DType::FP32), b = tile(Space::UB, 256, 16, 4, DType::FP32);
  add_task(p, "pair", {}, {{load(a, view(0, 0, 16, 4, 64)), load(b, view(0, 4, 16, 4, 64))}});
  auto r = sim::simulate(p, tiny_hw(), {});
  // load A: start 150, setup -> 160. 16 cold rows, each missing one line and
  //   filling its 32 B sector: 512 B of HBM for 256 B of payload, at up to
  //   32 x 512 / 256 = 64 B/cycle, so HBM's 32 bounds it: 16 cycles -> 176;
  //   visible 176 + 5 + 15 = 196.
  // load B (columns 4..7, the other half of the same sectors): MTE2 free at
  //   176, setup -> 186; 16 hits, 256 B at min(32, 64) = 32: 8 -> 194; visible
  //   194 + 5 = 199.
  EXPECT_EQ(r.total_cycles, 199u);
  const auto& t = r.report["totals"];
  EXPECT_EQ(t["l2_misses"], 16);
  EXPECT_EQ(t["l2_hits"], 16);
  EXPECT_EQ(t["hbm_bytes"], 512);
  EXPECT_EQ(t["l2_hit_bytes"], 256);
  EXPECT_EQ(t["dma_bus_bytes"], 768);
}

// Issue 11: a vector core hands a tile to the cube through L1 (UB -> L1, on
// tiny with the path: ub_to_l1 setup 4, 64 B/cycle), against the same
// hand-off through GM. vec0 fills x (16x16 bf16, 512 B) with 2; the cube
// multiplies it by b (loaded from GM) and stores c = x b.
namespace {
const auto kX = tile(Space::UB, 0, 16, 16, DType::BF16);
const auto kXl1 = tile(Space::L1, 0, 16, 16, DType::BF16), kBl1 = tile(Space::L1, 1024, 16, 16, DType::BF16);
const auto kXa = tile(Space::L0A, 0, 16, 16, DType::BF16), kBb = tile(Space::L0B, 0, 16, 16, DType::BF16);
const auto kC = tile(Space::L0C, 0, 16, 16, DType::FP32);
// The cube after x is in L1 (flag 0): x b into c.
std::vector<isa::Instr> cube_after_x(std::vector<isa::Instr> head) {
  for (const isa::Instr& in : {op2(Op::TMOV, 0, kXa, kXl1), op2(Op::TMOV, 0, kBb, kBl1), op2(Op::TMATMUL, 0, kC, kXa, kBb),
                               store(view(1, 0, 16, 16, 16), kC)})
    head.push_back(in);
  return head;
}
}  // namespace

TEST(Sim, VectorHandsATileToTheCubeThroughL1) {
  isa::Program p = program({{"b", 256, DType::BF16}, {"c", 256, DType::FP32}});
  add_task(p, "handoff", cube_after_x({load(kBl1, view(0, 0, 16, 16, 16)), flag_op(Op::WAIT, 0)}),
           {{fill(kX, 2.0f), op2(Op::TMOV, 0, kXl1, kX), flag_op(Op::SIGNAL, 0)}});
  sim::HwConfig hw = tiny_hw();
  hw.dma.ub_to_l1_path = true;
  sim::FunctionalState f(p, hw);
  std::vector<float> b(256);
  for (size_t i = 0; i < b.size(); ++i) b[i] = float(i % 7) - 3.0f;  // exact in bf16
  f.set_float(0, b);
  sim::RunOptions o;
  o.functional = &f;
  auto r = sim::simulate(p, hw, o);
  // Start 150 on both cores, one instruction issued per cycle.
  // vec0: fill 512 B = 2 repeats: 10 + 2 = 12 -> 150..162; UB -> L1 after it,
  //   4 + 512 / 64 = 12 on MTE3 -> 162..174; SIGNAL 0 after both: 174..179.
  // cube: load b: bytes from 160, 512 B from HBM / 32 = 16 -> 176, visible
  //   176 + 20 = 196; WAIT 0 ends at the post, 179; x L1 -> L0A: 2 + 512 / 64
  //   = 10 -> 179..189; b L1 -> L0B waits for the load: 196..206; matmul one
  //   fractal: 6 + 1 = 7 -> 206..213; store 1024 B from L0C: bytes from 223,
  //   into L2 at 32 B/cycle -> 255, visible 255 + 5 = 260.
  EXPECT_EQ(r.total_cycles, 260u);
  // Only b and c cross GM: x never leaves the core group.
  EXPECT_EQ(r.report["totals"]["load_bytes"], 512);
  EXPECT_EQ(r.report["totals"]["store_bytes"], 1024);
  // The data arrived: c[i][j] = sum over k of 2 x b[k][j].
  const std::vector<float> c = f.get_float(1);
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) {
      float want = 0;
      for (int k = 0; k < 16; ++k) want += 2.0f * b[size_t(k * 16 + j)];
      ASSERT_EQ(c[size_t(i * 16 + j)], want) << i << "," << j;
    }
}

TEST(Sim, TheSameHandOffThroughGmCostsMore) {
  // tiny as shipped (no UB -> L1): vec0 stores x to GM, the cube loads it.
  isa::Program p = program({{"b", 256, DType::BF16}, {"c", 256, DType::FP32}, {"x", 256, DType::BF16}});
  add_task(p, "handoff",
           cube_after_x({load(kBl1, view(0, 0, 16, 16, 16)), flag_op(Op::WAIT, 0), load(kXl1, view(2, 0, 16, 16, 16))}),
           {{fill(kX, 2.0f), store(view(2, 0, 16, 16, 16), kX), flag_op(Op::SIGNAL, 0)}});
  auto r = sim::simulate(p, tiny_hw(), {});
  // vec0: fill 150..162; store x 512 B: bytes from 172 into L2 at 32 B/cycle
  //   -> 188, visible 193; SIGNAL 0: 193..198.
  // cube: load b as before (MTE2 free at 176, visible 196); WAIT 0 ends 198;
  //   load x: bytes from 208, L2 hits (the store left its lines) 512 / 32 = 16
  //   -> 224, visible 229; x -> L0A 229..239; b -> L0B 239..249; matmul
  //   249..256; store c: bytes from 266 -> 298, visible 303.
  EXPECT_EQ(r.total_cycles, 303u);
  EXPECT_EQ(r.report["totals"]["load_bytes"], 1024);
  EXPECT_EQ(r.report["totals"]["store_bytes"], 1536);
}
