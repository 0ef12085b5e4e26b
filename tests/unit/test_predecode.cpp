// sim/predecode: tasks decoded on a second thread are decoded exactly as
// CoreEngine::load decodes them on the simulation's, errors included; a task
// the worker has not reached is the caller's to decode; a kept kernel's
// relaunch is passed by.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "sim/predecode.h"
#include "tests/common/program_dsl.h"
#include "workloads/workload.h"

using namespace testdsl;
using isa::DType;
using isa::Space;

namespace {

// Waits (up to 20 s) until the worker is through with `task`.
bool wait_done(const sim::Predecoder& pd, uint32_t task) {
  for (int i = 0; i < 20000 && !pd.done(task); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return pd.done(task);
}

// One task per tile, each its own kernel: vector core 0 loads 16 x 16 fp32
// of x, task i from element i * 256, into the tile.
isa::Program one_load_each(const std::vector<isa::Tile>& tiles) {
  isa::Program p;
  p.tensors.push_back({"x", {1 << 16}, DType::FP32, isa::TensorKind::In, {}});
  p.sites = {"t"};
  for (size_t i = 0; i < tiles.size(); ++i) {
    isa::Kernel k;
    k.name = "k" + std::to_string(i);
    k.vec = {{load(tiles[i], view(0, int64_t(i) * 256, 16, 16, 16))}};
    p.kernels.push_back(k);
    isa::Task t;
    t.kernel = uint32_t(i);
    p.tasks.push_back(t);
  }
  return p;
}

void expect_same(const sim::DecodedStream& a, const sim::DecodedStream& b, const std::string& where) {
  ASSERT_EQ(a.dec.size(), b.dec.size()) << where;
  for (size_t i = 0; i < a.dec.size(); ++i) {
    const sim::Decoded &x = a.dec[i], &y = b.dec[i];
    EXPECT_TRUE(x.cost.pipe == y.cost.pipe && x.cost.dir == y.cost.dir && x.cost.cycles == y.cost.cycles &&
                x.cost.setup_cycles == y.cost.setup_cycles && x.cost.bytes == y.cost.bytes && x.cost.cap == y.cost.cap &&
                x.issue_offset == y.issue_offset && x.dep_begin == y.dep_begin && x.dep_end == y.dep_end &&
                x.gm_offset == y.gm_offset)
        << where << ", instruction " << i;
  }
  EXPECT_EQ(a.deps, b.deps) << where;
  for (int p = 0; p < sim::kNumPipes; ++p) EXPECT_EQ(a.queue[p], b.queue[p]) << where << ", pipe " << p;
  EXPECT_EQ(a.num_live, b.num_live) << where;
  EXPECT_EQ(a.shared.size(), b.shared.size()) << where;
  EXPECT_EQ(a.shared_at, b.shared_at) << where;
}

}  // namespace

// The small fused QK-RoPE layer on a2a3 (tasks of every kind: cube, vector,
// both, pl.spmd blocks, relaunched kernels): every task's plans, taken
// from the worker, are the ones a CoreEngine on this thread decodes.
TEST(Predecoder, EveryTasksPlansAreTheOnesLoadGives) {
  const sim::HwConfig hw = sim::load_hw_config(std::string(NPUSIM_SOURCE_DIR) + "/configs/hw/a2a3.yaml");
  const workloads::Workload w = workloads::load_workload_file(
      std::string(NPUSIM_SOURCE_DIR) + "/configs/workloads/qwen3_32b_decode_fused_qkrope_small.yaml");
  const isa::Program& p = w.program;
  const sim::CostModel cm(hw);
  const sim::PlanCache plans(p);
  sim::Predecoder pd(p, hw, cm, plans, nullptr, uint32_t(p.tasks.size()));  // a window of every task
  sim::CoreEngine engine(hw, cm);
  std::set<std::pair<uint32_t, uint32_t>> seen;
  size_t taken = 0, relaunches = 0;
  for (uint32_t t = 0; t < p.tasks.size(); ++t) {
    ASSERT_TRUE(wait_done(pd, t)) << "task " << t;
    const isa::Task& task = p.tasks[t];
    const bool relaunch = plans.keeps(task.kernel) && !seen.insert({task.kernel, task.block}).second;
    sim::Predecoder::Decoded* d = pd.claim(t);
    if (relaunch) {  // its plans are the first launch's, kept
      EXPECT_EQ(d, nullptr) << "task " << t;
      ++relaunches;
      continue;
    }
    ASSERT_NE(d, nullptr) << "task " << t;
    ASSERT_FALSE(d->error) << "task " << t;
    const isa::Kernel& k = p.kernels[task.kernel];
    for (uint32_t c = 0; c <= k.vec.size(); ++c) {
      const std::vector<isa::Instr>& s = c == 0 ? k.cube : k.vec[c - 1];
      if (s.empty()) continue;
      engine.load(&s, 0, sim::task_context(p, t, int(c), nullptr));
      ASSERT_LT(c, d->plans.size());
      expect_same(d->plans[c], engine.decoded(), "task " + std::to_string(t) + " stream " + std::to_string(c));
      ++taken;
    }
    pd.release(t);
  }
  // Both kinds: the launches of a shared body run its kept plans (most of
  // them), the others' were the worker's (every one: asserted above).
  EXPECT_GT(relaunches, p.tasks.size() / 2);
  EXPECT_GT(taken, 10u);
}

// Task 1's vector stream reads a tile past the UB (tiny: 64 KiB): the worker
// keeps the error, and it is the one load() throws.
TEST(Predecoder, AnErrorIsTheOneLoadThrows) {
  const sim::HwConfig hw = tiny_hw();
  const auto ok = tile(Space::UB, 0, 16, 16, DType::FP32);
  const auto past = tile(Space::UB, 64 * 1024 - 512, 16, 16, DType::FP32);  // 1 KiB from 512 B before the end
  const isa::Program p = one_load_each({ok, past});
  const sim::CostModel cm(hw);
  const sim::PlanCache plans(p);
  sim::Predecoder pd(p, hw, cm, plans, nullptr, 2);
  ASSERT_TRUE(wait_done(pd, 1));
  sim::Predecoder::Decoded* d = pd.claim(1);
  ASSERT_NE(d, nullptr);
  ASSERT_TRUE(d->error);
  EXPECT_EQ(d->plans.size(), 2u);  // stream 1 (vector core 0) failed
  std::string worker, here;
  try {
    std::rethrow_exception(d->error);
  } catch (const sim::SimError& e) {
    worker = e.what();
  }
  sim::CoreEngine engine(hw, cm);
  try {
    engine.load(&p.kernels[1].vec[0], 0, sim::task_context(p, 1, 1, nullptr));
  } catch (const sim::SimError& e) {
    here = e.what();
  }
  EXPECT_NE(here.find("exceeds the UB capacity"), std::string::npos) << here;
  EXPECT_EQ(worker, here);
}

// With a window of one task the worker stops after task 0 until the caller
// claims something: task 5, claimed first, is the caller's to decode; the
// worker then goes on to the tasks before it (it holds at most 4 x the window
// of decoded tasks not yet taken, 0..3; taking task 0 lets it decode 4).
TEST(Predecoder, ATaskTheWorkerHasNotReachedIsTheCallers) {
  const sim::HwConfig hw = tiny_hw();
  const isa::Program p = one_load_each(std::vector<isa::Tile>(8, tile(Space::UB, 0, 16, 16, DType::FP32)));
  const sim::CostModel cm(hw);
  const sim::PlanCache plans(p);
  sim::Predecoder pd(p, hw, cm, plans, nullptr, 1);
  EXPECT_EQ(pd.claim(5), nullptr);
  ASSERT_TRUE(wait_done(pd, 0));
  ASSERT_NE(pd.claim(0), nullptr);
  ASSERT_TRUE(wait_done(pd, 4));
  sim::Predecoder::Decoded* d = pd.claim(4);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->plans.at(1).dec.size(), 1u);
  EXPECT_EQ(d->plans[1].dec[0].gm_offset, 4 * 256);
}

// The simulation may start a task far ahead of others (here the last one
// first): the worker then holds at most 4 x the window of decoded tasks
// not yet started (window 1: tasks 0..3), and goes on as they are taken.
TEST(Predecoder, DecodedTasksNotYetStartedAreBounded) {
  const sim::HwConfig hw = tiny_hw();
  const isa::Program p = one_load_each(std::vector<isa::Tile>(20, tile(Space::UB, 0, 16, 16, DType::FP32)));
  const sim::CostModel cm(hw);
  const sim::PlanCache plans(p);
  sim::Predecoder pd(p, hw, cm, plans, nullptr, 1);
  EXPECT_EQ(pd.claim(19), nullptr);
  ASSERT_TRUE(wait_done(pd, 3));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(pd.done(4));  // 4 decoded, none taken: the worker waits
  ASSERT_NE(pd.claim(0), nullptr);
  ASSERT_TRUE(wait_done(pd, 4));
  EXPECT_FALSE(pd.done(5));
}
