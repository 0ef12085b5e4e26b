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
