#include "sim/dispatcher.h"

#include <algorithm>
#include <limits>

namespace sim {

namespace {
constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();
}

Dispatcher::Dispatcher(const isa::Program& p, const HwConfig& hw, uint64_t origin)
    : s_(hw.scheduler),
      submit_at_(p.tasks.size()),
      deps_left_(p.tasks.size()),
      deps_done_at_(p.tasks.size(), 0),
      succ_(p.tasks.size()),
      owner_(hw.core_groups),
      group_task_(hw.core_groups, -1),
      group_free_at_(hw.core_groups, origin),
      group_last_(hw.core_groups, -1),
      thread_free_(hw.scheduler.threads, origin),
      thread_last_(hw.scheduler.threads, -1),
      rec_(p.tasks.size()),
      latest_dep_(p.tasks.size(), -1) {
  for (uint32_t g = 0; g < hw.core_groups; ++g)
    owner_[g] = uint32_t(uint64_t(g) * hw.scheduler.threads / hw.core_groups);
  uint64_t launches = 0;
  for (uint32_t t = 0; t < p.tasks.size(); ++t) {
    if (p.tasks[t].block == 0) ++launches;
    submit_at_[t] = origin + launches * s_.submit_cycles;
    deps_left_[t] = uint32_t(p.tasks[t].deps.size());
    for (uint32_t d : p.tasks[t].deps) succ_[d].push_back(t);
    if (deps_left_[t] == 0) ready_.push_back(t);
  }
}

uint64_t Dispatcher::group_available(uint32_t g) const {
  if (group_task_[g] >= 0) return kNever;
  return std::max(group_free_at_[g], thread_free_[owner_[g]]);
}

std::optional<Dispatcher::Decision> Dispatcher::next(uint64_t now) const {
  std::optional<Decision> best;
  // Completions first: at the same cycle a handling goes before a dispatch
  // (the runtime's loop handles completions, then dispatches).
  for (const Pending& p : pending_) {
    Decision d;
    d.kind = Kind::Completion;
    d.task = p.task;
    d.group = p.group;
    d.thread = owner_[p.group];
    d.handle_at = std::max({now, p.detect_at, thread_free_[d.thread]});
    if (!best || d.handle_at < best->handle_at || (d.handle_at == best->handle_at && d.task < best->task))
      best = d;
  }
  if (ready_.empty()) return best;
  uint64_t first_group = kNever;
  for (uint32_t g = 0; g < group_task_.size(); ++g) first_group = std::min(first_group, group_available(g));
  if (first_group == kNever) return best;
  // The lowest-numbered task ready by the time a group is: else the one ready first.
  const uint64_t t0 = std::max(now, first_group);
  auto ready_at = [&](uint32_t t) { return std::max(submit_at_[t], deps_done_at_[t]); };
  uint32_t task = ready_.front();
  for (uint32_t t : ready_) {
    if (ready_at(t) <= t0) {
      task = t;
      break;
    }
    if (ready_at(t) < ready_at(task)) task = t;
  }
  Decision d;
  d.task = task;
  d.ready_at = ready_at(task);
  d.dispatch_at = std::max(t0, d.ready_at);
  if (best && best->handle_at <= d.dispatch_at) return best;
  for (uint32_t g = 0; g < group_task_.size(); ++g)
    if (group_available(g) <= d.dispatch_at) {
      d.group = g;
      break;
    }
  d.thread = owner_[d.group];
  d.start_at = d.dispatch_at + s_.dispatch_cycles + s_.launch_cycles;
  return d;
}

void Dispatcher::commit(const Decision& d) {
  Record& r = rec_[d.task];
  if (d.kind == Kind::Completion) {
    // The thread starts handling at handle_at: bound by the thread's previous
    // work when it was still busy after the detection.
    const auto it = std::find_if(pending_.begin(), pending_.end(), [&](const Pending& p) { return p.task == d.task; });
    if (d.handle_at > it->detect_at && d.handle_at == thread_free_[d.thread]) r.handling_pred = thread_last_[d.thread];
    pending_.erase(it);
    thread_last_[d.thread] = d.task;
    thread_free_[d.thread] = d.handle_at + s_.completion_cycles;
    release(d.task, d.handle_at, d.handle_at + s_.completion_cycles);
    return;
  }
  r.dispatch_at = d.dispatch_at;
  r.group = d.group;
  const uint64_t submit = submit_at_[d.task];
  if (latest_dep_[d.task] >= 0 && d.dispatch_at == deps_done_at_[d.task] && deps_done_at_[d.task] >= submit) {
    r.bound = Bound::Dependency;
    r.pred = latest_dep_[d.task];
  } else if (d.dispatch_at == submit) {
    r.bound = Bound::Submit;
  } else if (d.dispatch_at == thread_free_[d.thread] && thread_last_[d.thread] >= 0) {
    r.bound = Bound::Scheduler;
    r.pred = thread_last_[d.thread];
  } else {
    r.bound = Bound::CoreGroup;  // the group's previous task released it
    r.pred = group_last_[d.group];
  }
  thread_last_[d.thread] = d.task;
  ready_.erase(std::find(ready_.begin(), ready_.end(), d.task));
  group_task_[d.group] = d.task;
  thread_free_[d.thread] = d.dispatch_at + s_.dispatch_cycles;
}

void Dispatcher::complete(uint32_t task, uint64_t t) {
  Record& r = rec_[task];
  r.end = t;
  r.detect_at = t + s_.completion_detect_cycles;
  if (s_.completion_cycles == 0)
    release(task, r.detect_at, r.detect_at);  // no thread time: not modelled
  else
    pending_.push_back({task, r.group, r.detect_at});
}

void Dispatcher::release(uint32_t task, uint64_t handle_at, uint64_t at) {
  Record& r = rec_[task];
  r.handle_at = handle_at;
  r.release_at = at;
  r.released = true;
  ++released_;
  group_task_[r.group] = -1;
  group_free_at_[r.group] = at;
  group_last_[r.group] = task;
  for (uint32_t s : succ_[task]) {
    if (at >= deps_done_at_[s]) latest_dep_[s] = task;
    deps_done_at_[s] = std::max(deps_done_at_[s], at);
    if (--deps_left_[s] == 0) ready_.insert(std::upper_bound(ready_.begin(), ready_.end(), s), s);
  }
}

std::vector<Dispatcher::Step> Dispatcher::critical_path() const {
  std::vector<Step> path;
  int64_t t = -1;
  for (size_t i = 0; i < rec_.size(); ++i)
    if (t < 0 || rec_[i].end > rec_[size_t(t)].end) t = int64_t(i);
  uint64_t to = t >= 0 ? rec_[size_t(t)].end : 0;
  while (t >= 0) {
    const Record& r = rec_[size_t(t)];
    // The step reaches into this task's completion handling, and the
    // handling waited for the thread: the thread's previous work is what
    // held the path, not this task's dispatch.
    if (r.handling_pred >= 0 && to > r.handle_at) {
      path.push_back({uint32_t(t), Bound::Scheduler, r.handle_at, to});
      to = r.handle_at;
      t = r.handling_pred;
      continue;
    }
    // Every bound releases the task exactly at its dispatch (next() waits for
    // the latest of them), so the step starts there.
    const uint64_t from = std::min(r.dispatch_at, to);
    path.push_back({uint32_t(t), r.bound, from, to});
    to = from;
    t = r.pred;
  }
  return path;
}

}  // namespace sim
