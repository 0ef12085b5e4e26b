// isa::derive_task_deps: the dependency rule, and the derivation against the
// all-pairs definition on every shipped workload.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>


#include <algorithm>
#include <filesystem>
#include <string>
#include <set>
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

// A task depends on the last writer of each byte it touches. An earlier
// writer that a later one overwrote in full is no edge of its own: the later
// writer depends on it (write after write), so the order is the same.
TEST(IsaDeps, LastWriterOfEachByte) {
  Tasks t(1);
  t.task({}, {x(0, 100)})          // 0
      .task({}, {x(0, 100)})       // 1: WAW on 0
      .task({x(0, 100)}, {})       // 2: 1 wrote every byte last
      .task({}, {x(25, 75)})       // 3: WAW on 1
      .task({x(0, 30)}, {})        // 4: x[0, 25) last written by 1, x[25, 30) by 3
      .task({x(70, 80), x(90, 95)}, {})  // 5: x[70, 75) by 3, x[75, 80) and x[90, 95) by 1
      .task({x(30, 70)}, {});      // 6: inside 3's span only
  EXPECT_EQ(t.derive(), (std::vector<Deps>{{}, {0}, {1}, {1}, {1, 3}, {1, 3}, {3}}));
}

// A write over some spans whole and parts of two replaces exactly the bytes
// it writes.
TEST(IsaDeps, WriteAcrossSpans) {
  Tasks t(1);
  t.task({}, {x(0, 10), x(20, 30), x(40, 50)})  // 0: three rows with gaps
      .task({}, {x(5, 45)})                     // 1: parts of rows 0 and 2, all of row 1, the gaps
      .task({x(0, 5)}, {})                      // 2: 0's head
      .task({x(5, 45)}, {})                     // 3: all 1's
      .task({x(45, 60)}, {})                    // 4: 0's tail, then nothing
      .task({x(0, 60)}, {});                    // 5: both
  EXPECT_EQ(t.derive(), (std::vector<Deps>{{}, {0}, {0}, {1}, {0}, {0, 1}}));
}

// The definition the derivation implements: a task depends on every earlier
// task that wrote a byte it reads or writes, here all pairs compared.
std::vector<Deps> all_pairs(const Program& p) {
  // Per task, every earlier task of another launch whose writes it touches;
  // then per launch (the blocks of a pl.spmd task) the union of its blocks',
  // widened to every block of each launch found.
  const size_t n = p.tasks.size();
  auto first_of = [&](uint32_t t) { return t - p.tasks[t].block; };
  std::vector<Deps> deps(n);
  for (uint32_t t = 0; t < n; ++t) {
    const Task& task = p.tasks[t];
    for (uint32_t w = 0; w < first_of(t); ++w) {
      bool hit = false;
      for (const GmRange& wr : p.tasks[w].writes) {
        for (const GmRange& r : task.reads) hit |= wr.overlaps(r);
        for (const GmRange& r : task.writes) hit |= wr.overlaps(r);
      }
      if (hit) deps[t].push_back(w);
    }
  }
  for (uint32_t first = 0; first < n; first += p.tasks[first].blocks) {
    std::set<uint32_t> u;
    for (uint32_t t = first; t < first + p.tasks[first].blocks; ++t)
      for (uint32_t d : deps[t])
        for (uint32_t b = 0; b < p.tasks[d].blocks; ++b) u.insert(first_of(d) + b);
    for (uint32_t t = first; t < first + p.tasks[first].blocks; ++t) deps[t].assign(u.begin(), u.end());
  }
  return deps;
}

// Whether some task writes a byte that an earlier task wrote.
bool rewrites_bytes(const Program& p) {
  for (uint32_t t = 0; t < p.tasks.size(); ++t)
    for (uint32_t w = 0; w < t; ++w)
      for (const GmRange& a : p.tasks[w].writes)
        for (const GmRange& b : p.tasks[t].writes)
          if (a.overlaps(b)) return true;
  return false;
}

// Per task, the tasks it waits for directly or through others (a bit set).
std::vector<std::vector<bool>> closure(const std::vector<Deps>& deps) {
  std::vector<std::vector<bool>> before(deps.size(), std::vector<bool>(deps.size()));
  for (size_t t = 0; t < deps.size(); ++t)
    for (uint32_t d : deps[t]) {
      before[t][d] = true;
      for (size_t i = 0; i < d; ++i)
        if (before[d][i]) before[t][i] = true;
    }
  return before;
}

// Every shipped workload, at full size: the derived dependencies order the
// tasks as the all-pairs ones do. Where no task writes a byte an earlier task
// wrote (no write-after-write edge: true of every workload shipped today), the
// lists are the same too. A decode step (`layers: 64`) is checked at two
// layers: the all-pairs reference is quadratic, and every layer boundary is
// the first one's (the same tasks, bound to the next layer's tensors).
TEST(IsaDeps, ShippedWorkloadsKeepTheirDependencies) {
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(NPUSIM_SOURCE_DIR) + "/configs/workloads")) {
    const std::string path = e.path().string();
    SCOPED_TRACE(path);
    YAML::Node doc = YAML::LoadFile(path);
    if (doc["layers"] && doc["layers"].as<int>() > 2) doc["layers"] = 2;
    const Program p = workloads::build_workload(doc, path);  // derives the deps
    std::vector<Deps> derived;
    for (const Task& t : p.tasks) derived.push_back(t.deps);
    const std::vector<Deps> want = all_pairs(p);
    EXPECT_TRUE(closure(derived) == closure(want));
    if (!rewrites_bytes(p)) {
      EXPECT_EQ(derived, want);
    }
    // Deriving again changes nothing: `npusim run` derives only a text
    // program's deps, a generated one's are final.
    Program again;
    again.tensors = p.tensors;
    again.tasks = p.tasks;
    derive_task_deps(again);
    std::vector<Deps> twice;
    for (const Task& t : again.tasks) twice.push_back(t.deps);
    EXPECT_EQ(twice, derived);
    ++files;
  }
  EXPECT_GE(files, 16u);  // as many as are shipped today, at least
}

}  // namespace
}  // namespace isa

TEST(IsaDeps, TheBlocksOfALaunchShareItsDependencies) {
  // Launch A: 2 blocks, each writing half of x. Launch B: one task reading
  // x's first half only. Launch C: 2 blocks, block 1 reading what A's block 1
  // wrote, both writing y (the same bytes: blocks never depend on each other).
  isa::Program p;
  p.tensors.push_back(isa::Tensor{"x", {32}, isa::DType::FP32, isa::TensorKind::Scratch, {}});
  p.tensors.push_back(isa::Tensor{"y", {32}, isa::DType::FP32, isa::TensorKind::Out, {}});
  auto task = [&](uint32_t block, uint32_t blocks, std::vector<isa::GmRange> r, std::vector<isa::GmRange> w) {
    isa::Task t;
    t.block = block;
    t.blocks = blocks;
    t.reads = std::move(r);
    t.writes = std::move(w);
    p.tasks.push_back(t);
  };
  task(0, 2, {}, {{0, 0, 64}});                 // 0: A block 0
  task(1, 2, {}, {{0, 64, 128}});               // 1: A block 1
  task(0, 1, {{0, 0, 64}}, {});                 // 2: B reads block 0's bytes only
  task(0, 2, {}, {{1, 0, 128}});                // 3: C block 0
  task(1, 2, {{0, 64, 128}}, {{1, 0, 128}});    // 4: C block 1
  isa::derive_task_deps(p);
  EXPECT_EQ(p.tasks[0].deps, std::vector<uint32_t>{});
  EXPECT_EQ(p.tasks[1].deps, std::vector<uint32_t>{});
  EXPECT_EQ(p.tasks[2].deps, (std::vector<uint32_t>{0, 1}));  // every block of A
  EXPECT_EQ(p.tasks[3].deps, (std::vector<uint32_t>{0, 1}));  // what block 1 found, for block 0 too
  EXPECT_EQ(p.tasks[4].deps, (std::vector<uint32_t>{0, 1}));  // not block 3 (its own launch)
}

TEST(IsaDeps, AnExplicitDepOfOneBlockIsTheLaunchs) {
  // A text program may give one block deps=[...]: every block of the launch
  // waits for it (the runtime tracks the task, not its blocks).
  isa::Program p;
  p.tensors.push_back(isa::Tensor{"x", {8}, isa::DType::FP32, isa::TensorKind::Scratch, {}});
  for (uint32_t i = 0; i < 3; ++i) p.tasks.emplace_back();  // 0: a plain task; 1, 2: a 2-block launch
  p.tasks[1].blocks = p.tasks[2].blocks = 2;
  p.tasks[2].block = 1;
  p.tasks[2].deps = {0};
  isa::derive_task_deps(p);
  EXPECT_EQ(p.tasks[1].deps, std::vector<uint32_t>{0});
  EXPECT_EQ(p.tasks[2].deps, std::vector<uint32_t>{0});
}
