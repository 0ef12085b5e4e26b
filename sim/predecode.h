// Decoding tasks ahead of the simulation, on a second host thread. Plain
// C++ (no SystemC): the SystemC shell claims each task's decoded streams as
// it starts the task.
//
// A task's decoded streams (CoreEngine::load: costs, resource checks,
// dependencies) depend on the program, the hardware and the task alone when
// SLOAD reads the int32 tensors' init values, which is timing mode. So a
// worker can decode tasks in index order while the simulation runs, a window
// ahead of the furthest task the simulation has started, holding at most 4 x
// that many decoded tasks not yet started (the simulation may start a task
// far ahead of others that wait for their dependencies); the simulation takes
// a finished task's plans and decodes any other itself (one the worker is
// decoding too: the worker's result is dropped). The plans and the errors are the ones CoreEngine::load
// gives on the simulation's thread, so results are identical with or
// without it. A kernel whose plans the PlanCache keeps is decoded once per
// block: its later launches use the kept plans.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "sim/core_engine.h"

namespace sim {

class Predecoder {
 public:
  // A task's decoded streams: plans[c] for stream c (0 the cube's, 1 + v
  // vector core v's; an empty stream's is empty). `error`: decoding stream
  // plans.size() - 1 threw it, and the streams after it were not decoded.
  struct Decoded {
    std::vector<DecodedStream> plans;
    std::exception_ptr error;
  };

  // Starts the worker. `plans` tells which kernels' plans are kept (it is
  // only read); `window`: how many tasks past the furthest claimed one the
  // worker decodes.
  Predecoder(const isa::Program& p, const HwConfig& hw, const CostModel& cm, const PlanCache& plans,
             const isa::SourceMap* source, uint32_t window = 64);
  ~Predecoder();  // stops the worker (after the task it is decoding)
  Predecoder(const Predecoder&) = delete;
  Predecoder& operator=(const Predecoder&) = delete;

  // The simulation starts `task`: its decoded streams, or null if the
  // worker has not finished them or passed the task by (a kept kernel's
  // relaunch); the caller then decodes it. Valid until release(task).
  Decoded* claim(uint32_t task);
  // The task has ended: its plans may go.
  void release(uint32_t task);
  // Whether the worker is through with the task: decoded, passed by, or
  // claimed (tests wait for it).
  bool done(uint32_t task) const;

  // Whether it is worth a thread: a second hardware thread and a timing run.
  static bool useful(bool functional);

 private:
  enum State : uint8_t { kWaiting, kDecoding, kReady, kClaimed, kSkipped };
  void work();
  // Under mu_: task t may be decoded with `room` tasks of the window to
  // spare (room = window_: the plain bounds, past the furthest claimed task
  // and on the decoded tasks not claimed yet).
  bool may_decode(uint32_t t, uint32_t room) const;
  // The room a sleeping worker waits for: half the window.
  uint32_t resume_room() const { return std::max<uint32_t>(window_ / 2, 1); }
  static constexpr uint32_t kNotWaiting = UINT32_MAX;

  const isa::Program& p_;
  const HwConfig& hw_;
  const CostModel& cm_;
  const PlanCache& kept_;
  const isa::SourceMap* source_;
  const uint32_t window_;
  std::unique_ptr<std::atomic<uint8_t>[]> state_;  // per task
  std::vector<std::unique_ptr<Decoded>> decoded_;  // per task: written by the worker before kReady
  std::mutex mu_;
  std::condition_variable cv_;
  uint32_t frontier_ = 0;  // 1 + the furthest task claimed (under mu_)
  uint32_t ready_ = 0;     // tasks decoded and not claimed yet (under mu_)
  bool stop_ = false;      // under mu_
  uint32_t waiting_for_ = kNotWaiting;  // the task the worker sleeps before (under mu_)
  std::thread worker_;
};

}  // namespace sim
