#include "sim/predecode.h"

#include <algorithm>
#include <set>
#include <utility>

namespace sim {

Predecoder::Predecoder(const isa::Program& p, const HwConfig& hw, const CostModel& cm, const PlanCache& plans,
                       const isa::SourceMap* source, uint32_t window)
    : p_(p),
      hw_(hw),
      cm_(cm),
      kept_(plans),
      source_(source),
      window_(std::max<uint32_t>(window, 1)),
      state_(new std::atomic<uint8_t>[p.tasks.size()]),
      decoded_(p.tasks.size()) {
  for (size_t t = 0; t < p.tasks.size(); ++t) state_[t].store(kWaiting, std::memory_order_relaxed);
  worker_ = std::thread([this] { work(); });
}

Predecoder::~Predecoder() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

bool Predecoder::may_decode(uint32_t t, uint32_t room) const {
  // `room` of the window is free: t is that far behind its end, and the
  // decoded tasks not claimed yet leave that much of their bound.
  return t + (window_ - room) < frontier_ + window_ && ready_ + (window_ - room) * 4 < 4 * window_;
}

bool Predecoder::useful(bool functional) { return !functional && std::thread::hardware_concurrency() > 1; }

void Predecoder::work() {
  CoreEngine engine(hw_, cm_);
  std::set<std::pair<uint32_t, uint32_t>> kept_seen;  // (kernel, block) of kept kernels already decoded
  for (uint32_t t = 0; t < p_.tasks.size(); ++t) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!stop_ && !may_decode(t, window_)) {
        // Ahead by the window: sleep until half of it is free again, so that
        // the simulation wakes this thread once per half window, not per task
        // (a wake costs both threads a few microseconds).
        waiting_for_ = t;
        cv_.wait(lock, [&] { return stop_ || may_decode(t, resume_room()); });
        waiting_for_ = kNotWaiting;
      }
      if (stop_) return;
    }
    const isa::Task& task = p_.tasks[t];
    uint8_t expected = kWaiting;
    if (kept_.keeps(task.kernel) && !kept_seen.insert({task.kernel, task.block}).second) {
      state_[t].compare_exchange_strong(expected, kSkipped);  // the first launch's plans will be kept
      continue;
    }
    if (!state_[t].compare_exchange_strong(expected, kDecoding)) continue;  // the simulation got there first
    auto d = std::make_unique<Decoded>();
    const isa::Kernel& k = p_.kernels[task.kernel];
    // Streams past the hardware's vector cores are an error the simulation
    // reports before decoding anything.
    const uint32_t streams = 1 + uint32_t(std::min<size_t>(k.vec.size(), hw_.vector_cores));
    d->plans.resize(streams);
    for (uint32_t c = 0; c < streams; ++c) {
      const std::vector<isa::Instr>& s = c == 0 ? k.cube : k.vec[c - 1];
      if (s.empty()) continue;
      try {
        engine.load(&s, 0, task_context(p_, t, int(c), source_));
        d->plans[c] = engine.take_decoded();
      } catch (...) {
        d->error = std::current_exception();
        d->plans.resize(c + 1);
        break;
      }
    }
    decoded_[t] = std::move(d);
    expected = kDecoding;
    // The simulation may have started the task meanwhile, decoding it itself.
    if (!state_[t].compare_exchange_strong(expected, kReady)) {
      decoded_[t].reset();
    } else {
      std::lock_guard<std::mutex> lock(mu_);
      ++ready_;
    }
  }
}

Predecoder::Decoded* Predecoder::claim(uint32_t task) {
  // Not reached or still being decoded: the caller decodes it (waiting
  // would cost more when the worker has no core of its own).
  uint8_t s = kWaiting;
  Decoded* d = nullptr;
  if (!state_[task].compare_exchange_strong(s, kClaimed) &&
      !(s == kDecoding && state_[task].compare_exchange_strong(s, kClaimed)) && s == kReady)
    d = decoded_[task].get();
  if (d || task + 1 > frontier_) {  // only this thread writes frontier_
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      frontier_ = std::max(frontier_, task + 1);
      ready_ -= d != nullptr;
      wake = waiting_for_ != kNotWaiting && may_decode(waiting_for_, resume_room());
    }
    if (wake) cv_.notify_one();
  }
  return d;
}

bool Predecoder::done(uint32_t task) const {
  const uint8_t s = state_[task].load(std::memory_order_acquire);
  return s == kReady || s == kSkipped || s == kClaimed;
}

void Predecoder::release(uint32_t task) {
  // After kReady the worker no longer touches the task's entry.
  if (state_[task].load(std::memory_order_acquire) == kReady) decoded_[task].reset();
}

}  // namespace sim
