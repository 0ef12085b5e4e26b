// isa::derive_task_deps: the dependency rule, and the derivation against the
// all-pairs definition on every shipped workload.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "isa/isa.h"
#include "workloads/workload.h"

namespace isa {
namespace {

using Deps = std::vector<uint32_t>;

// A program of `tensors` tensors and tasks given only by what they read and
// write (the derivation looks at nothing else).
struct Tasks {
  Program p;
  explicit Tasks(uint32_t tensors) { p.tensors.resize(tensors); }
  Tasks& task(std::vector<GmRange> reads, std::vector<GmRange> writes) {
    Task t;
    t.reads = std::move(reads);
    t.writes = std::move(writes);
    p.tasks.push_back(t);
    return *this;
  }
  std::vector<Deps> derive() {
    derive_task_deps(p);
    std::vector<Deps> out;
    for (const Task& t : p.tasks) out.push_back(t.deps);
    return out;
  }
};

GmRange x(uint64_t b, uint64_t e) { return GmRange{0, b, e}; }
GmRange y(uint64_t b, uint64_t e) { return GmRange{1, b, e}; }

// The PTO2 runtime's tensor map holds producers only (hw-native-sys/simpler,
// src/a2a3/runtime/tensormap_and_ringbuffer/runtime/pto_dep_compute.h): a task
// looks up the earlier writers of what it reads, and nothing records readers,
// so a write is not ordered after an earlier read of the same bytes. This
// fails if write-after-read becomes an edge.
TEST(IsaDeps, ReadAfterWriteYesWriteAfterReadNo) {
  Tasks t(2);
  t.task({}, {x(0, 100)})          // 0 writes x[0, 100)
      .task({x(50, 60)}, {})       // 1 reads what 0 wrote: RAW on 0
      .task({x(100, 200)}, {})     // 2 reads bytes nobody wrote (x[100] is past 0's end)
      .task({y(0, 10)}, {})        // 3 reads y, which nobody wrote
      .task({}, {y(0, 10)})        // 4 writes what 3 read: WAR, no edge
      .task({}, {x(40, 70)});      // 5 writes what 1 read (WAR, no edge) and 0 wrote (WAW on 0)
  EXPECT_EQ(t.derive(), (std::vector<Deps>{{}, {0}, {}, {}, {}, {0}}));
}

// A write is ordered after the earlier writers of the same bytes.
TEST(IsaDeps, WriteAfterWrite) {
  Tasks t(2);
  t.task({}, {x(0, 100)}).task({}, {x(99, 101)}).task({}, {y(0, 100)});
  EXPECT_EQ(t.derive(), (std::vector<Deps>{{}, {0}, {}}));  // y is another tensor
}

// The definition the derivation implements: a task depends on every earlier
// task that wrote a byte it reads or writes, here all pairs compared.
std::vector<Deps> all_pairs(const Program& p) {
  std::vector<Deps> deps(p.tasks.size());
  for (uint32_t t = 0; t < p.tasks.size(); ++t) {
    const Task& task = p.tasks[t];
    for (uint32_t w = 0; w < t; ++w) {
      bool hit = false;
      for (const GmRange& wr : p.tasks[w].writes) {
        for (const GmRange& r : task.reads) hit |= wr.overlaps(r);
        for (const GmRange& r : task.writes) hit |= wr.overlaps(r);
      }
      if (hit) deps[t].push_back(w);
    }
  }
  return deps;
}

// Every shipped workload, at full size: the derived dependencies are the
// all-pairs ones.
TEST(IsaDeps, ShippedWorkloadsKeepTheirDependencies) {
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(NPUSIM_SOURCE_DIR) + "/configs/workloads")) {
    const std::string path = e.path().string();
    SCOPED_TRACE(path);
    const Program p = workloads::build_workload_file(path);  // derives the deps
    std::vector<Deps> derived;
    for (const Task& t : p.tasks) derived.push_back(t.deps);
    const std::vector<Deps> want = all_pairs(p);
    EXPECT_EQ(derived, want);
    ++files;
  }
  EXPECT_GE(files, 16u);  // as many as are shipped today, at least
}

}  // namespace
}  // namespace isa
