// The scheduler policy on configs/hw/tiny.yaml: submit 0, 1 thread,
// dispatch 100 cycles, launch (core pickup) 50 cycles.
#include <gtest/gtest.h>

#include "sim/dispatcher.h"
#include "tests/common/program_dsl.h"

using namespace testdsl;

TEST(Dispatcher, IndependentTasksGoToFreeGroupsOneDispatchAtATime) {
  auto hw = tiny_hw();  // 2 core groups
  isa::Program p = program({});
  add_task(p, "a", {}, {});
  add_task(p, "b", {}, {});
  sim::Dispatcher d(p, hw);
  auto d0 = d.next(0);
  ASSERT_TRUE(d0);
  EXPECT_EQ(d0->task, 0u);
  EXPECT_EQ(d0->group, 0u);
  EXPECT_EQ(d0->start_at, 150u);  // 0 + dispatch 100 + launch 50
  d.commit(*d0);
  auto d1 = d.next(0);
  ASSERT_TRUE(d1);
  EXPECT_EQ(d1->group, 1u);
  EXPECT_EQ(d1->dispatch_at, 100u);  // the only scheduler thread is busy until 100
  EXPECT_EQ(d1->start_at, 250u);
  EXPECT_EQ(d.overhead_cycles(), 150u);
}

TEST(Dispatcher, NoFreeGroupMeansWaitForACompletion) {
  auto hw = tiny_hw();
  hw.core_groups = 1;
  isa::Program p = program({});
  add_task(p, "a", {}, {});
  add_task(p, "b", {}, {});
  sim::Dispatcher d(p, hw);
  d.commit(*d.next(0));
  EXPECT_FALSE(d.next(0));
  d.complete(0, 164);
  auto d1 = d.next(164);
  ASSERT_TRUE(d1);
  EXPECT_EQ(d1->dispatch_at, 164u);
  EXPECT_EQ(d1->start_at, 314u);
}

TEST(Dispatcher, DependentTaskIsReadyWhenItsProducerEnds) {
  auto hw = tiny_hw();
  isa::Program p = program({});
  add_task(p, "producer", {}, {});
  add_task(p, "consumer", {}, {}, {0});
  sim::Dispatcher d(p, hw);
  d.commit(*d.next(0));
  EXPECT_FALSE(d.next(0));  // a group is free but task 1 waits for task 0
  d.complete(0, 226);
  auto d1 = d.next(226);
  ASSERT_TRUE(d1);
  EXPECT_EQ(d1->task, 1u);
  EXPECT_EQ(d1->ready_at, 226u);
  EXPECT_EQ(d1->start_at, 376u);
  d.commit(*d1);
  d.complete(1, 400);
  EXPECT_TRUE(d.all_done());
}

TEST(Dispatcher, OrchestratorSubmitRateBoundsReadiness) {
  auto hw = tiny_hw();
  hw.scheduler.submit_cycles = 1000;
  hw.scheduler.threads = 2;
  isa::Program p = program({});
  add_task(p, "a", {}, {});
  add_task(p, "b", {}, {});
  sim::Dispatcher d(p, hw);
  auto d0 = d.next(0);
  EXPECT_EQ(d0->ready_at, 1000u);  // task i is submitted at (i + 1) * 1000
  d.commit(*d0);
  EXPECT_EQ(d.next(0)->ready_at, 2000u);
}

TEST(Dispatcher, EachThreadOwnsAContiguousBlockOfGroups) {
  auto hw = tiny_hw();
  hw.core_groups = 24;
  hw.scheduler.threads = 3;  // a2a3: a third each
  isa::Program p = program({});
  sim::Dispatcher d(p, hw);
  for (uint32_t g = 0; g < 24; ++g) EXPECT_EQ(d.owner(g), g / 8) << g;
  hw.core_groups = 5;  // uneven: blocks of 2, 2, 1
  sim::Dispatcher u(p, hw);
  const uint32_t want[] = {0, 0, 1, 1, 2};
  for (uint32_t g = 0; g < 5; ++g) EXPECT_EQ(u.owner(g), want[g]) << g;
}

TEST(Dispatcher, OnlyTheOwnerDispatchesToAGroup) {
  auto hw = tiny_hw();
  hw.scheduler.threads = 2;  // thread 0 owns group 0, thread 1 group 1
  hw.core_groups = 2;
  isa::Program p = program({});
  add_task(p, "a", {}, {});
  add_task(p, "b", {}, {});
  add_task(p, "c", {}, {});
  sim::Dispatcher d(p, hw);
  auto d0 = d.next(0);
  EXPECT_EQ(d0->group, 0u);
  EXPECT_EQ(d0->thread, 0u);
  d.commit(*d0);
  auto d1 = d.next(0);  // thread 1 is free: no wait
  EXPECT_EQ(d1->group, 1u);
  EXPECT_EQ(d1->thread, 1u);
  EXPECT_EQ(d1->dispatch_at, 0u);
  d.commit(*d1);
  EXPECT_FALSE(d.next(0));  // both groups busy
  d.complete(1, 170);
  auto d2 = d.next(170);  // group 1 is free, so thread 1 dispatches
  EXPECT_EQ(d2->group, 1u);
  EXPECT_EQ(d2->thread, 1u);
  EXPECT_EQ(d2->dispatch_at, 170u);
}

TEST(Dispatcher, CompletionIsDetectedThenHandledBeforeTheGroupIsFree) {
  auto hw = tiny_hw();
  hw.core_groups = 1;
  hw.scheduler.completion_detect_cycles = 10;
  hw.scheduler.completion_cycles = 40;
  isa::Program p = program({});
  add_task(p, "producer", {}, {});
  add_task(p, "consumer", {}, {}, {0});
  sim::Dispatcher d(p, hw);
  d.commit(*d.next(0));  // dispatch 0..100, start 150
  d.complete(0, 164);
  EXPECT_FALSE(d.released(0));
  auto c = d.next(164);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, sim::Dispatcher::Kind::Completion);
  EXPECT_EQ(c->handle_at, 174u);  // detected 164 + 10; the thread is free
  d.commit(*c);
  EXPECT_TRUE(d.released(0));
  EXPECT_EQ(d.detected_at(0), 174u);
  EXPECT_EQ(d.handoff_at(0), 100u);
  auto d1 = d.next(174);
  ASSERT_TRUE(d1);
  EXPECT_EQ(d1->kind, sim::Dispatcher::Kind::Dispatch);
  EXPECT_EQ(d1->ready_at, 214u);  // released after the handling: 174 + 40
  EXPECT_EQ(d1->dispatch_at, 214u);
  d.commit(*d1);
  d.complete(1, 400);
  d.commit(*d.next(400));
  EXPECT_TRUE(d.all_done());
  // The consumer waited for its dependency, released at 214.
  const auto path = d.critical_path();
  ASSERT_EQ(path.size(), 2u);
  EXPECT_EQ(path[0].bound, sim::Dispatcher::Bound::Dependency);
  EXPECT_EQ(path[0].from, 214u);
  EXPECT_EQ(path[1].from, 0u);
  EXPECT_EQ(path[1].to, 214u);
}

TEST(Dispatcher, TheBlocksOfAnSpmdTaskAreSubmittedOnceAndDispatchedEachToItsGroup) {
  auto hw = tiny_hw();  // 2 core groups, 1 thread: dispatch 100, pickup 50
  hw.scheduler.submit_cycles = 1000;
  isa::Program p = program({});
  for (uint32_t b = 0; b < 2; ++b) {  // one pl.spmd(2) launch ...
    add_task(p, "spmd", {}, {});
    p.tasks.back().block = b;
    p.tasks.back().blocks = 2;
  }
  add_task(p, "next", {}, {});  // ... then a plain one
  sim::Dispatcher d(p, hw);
  auto b0 = d.next(0);
  ASSERT_TRUE(b0);
  EXPECT_EQ(b0->task, 0u);
  EXPECT_EQ(b0->ready_at, 1000u);  // the launch is the orchestrator's first submission
  d.commit(*b0);
  auto b1 = d.next(0);
  ASSERT_TRUE(b1);
  EXPECT_EQ(b1->task, 1u);
  EXPECT_EQ(b1->ready_at, 1000u);     // submitted with block 0, not 1000 later
  EXPECT_EQ(b1->group, 1u);           // its own core group
  EXPECT_EQ(b1->dispatch_at, 1100u);  // a dispatch of its own: after block 0's (1000 + 100)
  EXPECT_EQ(b1->start_at, 1250u);     // + dispatch 100 + pickup 50
  d.commit(*b1);
  d.complete(0, 1500);
  auto n = d.next(1500);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->task, 2u);
  EXPECT_EQ(n->ready_at, 2000u);  // the second launch: submitted at 2 x 1000
}
