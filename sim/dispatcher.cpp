#include "sim/dispatcher.h"

#include <algorithm>

namespace sim {

Dispatcher::Dispatcher(const isa::Program& p, const HwConfig& hw)
    : s_(hw.scheduler),
      deps_left_(p.tasks.size()),
      deps_done_at_(p.tasks.size(), 0),
      succ_(p.tasks.size()),
      group_task_(hw.core_groups, -1),
      thread_free_(hw.scheduler.threads, 0),
      rec_(p.tasks.size()),
      latest_dep_(p.tasks.size(), -1),
      thread_last_(hw.scheduler.threads, -1) {
  for (uint32_t t = 0; t < p.tasks.size(); ++t) {
    deps_left_[t] = uint32_t(p.tasks[t].deps.size());
    for (uint32_t d : p.tasks[t].deps) succ_[d].push_back(t);
    if (deps_left_[t] == 0) ready_.push_back(t);
  }
}

std::optional<Dispatcher::Decision> Dispatcher::next(uint64_t now) const {
  if (ready_.empty()) return std::nullopt;
  auto g = std::find(group_task_.begin(), group_task_.end(), -1);
  if (g == group_task_.end()) return std::nullopt;
  Decision d;
  d.task = ready_.front();
  d.group = uint32_t(g - group_task_.begin());
  d.thread = uint32_t(std::min_element(thread_free_.begin(), thread_free_.end()) - thread_free_.begin());
  d.ready_at = std::max<uint64_t>(uint64_t(d.task + 1) * s_.submit_cycles, deps_done_at_[d.task]);
  d.dispatch_at = std::max({now, d.ready_at, thread_free_[d.thread]});
  d.start_at = d.dispatch_at + s_.dispatch_cycles + s_.launch_cycles;
  return d;
}

void Dispatcher::commit(const Decision& d) {
  Record& r = rec_[d.task];
  r.dispatch_at = d.dispatch_at;
  const uint64_t submit = uint64_t(d.task + 1) * s_.submit_cycles;
  if (latest_dep_[d.task] >= 0 && d.dispatch_at == deps_done_at_[d.task] && deps_done_at_[d.task] >= submit) {
    r.bound = Bound::Dependency;
    r.pred = latest_dep_[d.task];
  } else if (d.dispatch_at == submit) {
    r.bound = Bound::Submit;
  } else if (d.dispatch_at == thread_free_[d.thread] && thread_last_[d.thread] >= 0) {
    r.bound = Bound::Scheduler;
    r.pred = thread_last_[d.thread];
  } else {
    r.bound = Bound::CoreGroup;  // the scheduler waited for a task to free a group
    r.pred = last_done_;
  }
  thread_last_[d.thread] = d.task;
  ready_.erase(std::find(ready_.begin(), ready_.end(), d.task));
  group_task_[d.group] = d.task;
  thread_free_[d.thread] = d.dispatch_at + s_.dispatch_cycles;
}

void Dispatcher::complete(uint32_t task, uint64_t t) {
  for (int64_t& g : group_task_)
    if (g == int64_t(task)) g = -1;
  ++done_;
  rec_[task].end = t;
  last_done_ = task;
  for (uint32_t s : succ_[task]) {
    if (t >= deps_done_at_[s]) latest_dep_[s] = task;
    deps_done_at_[s] = std::max(deps_done_at_[s], t);
    if (--deps_left_[s] == 0) ready_.insert(std::upper_bound(ready_.begin(), ready_.end(), s), s);
  }
}

}  // namespace sim

namespace sim {

std::vector<Dispatcher::Step> Dispatcher::critical_path() const {
  std::vector<Step> path;
  int64_t t = -1;
  for (size_t i = 0; i < rec_.size(); ++i)
    if (t < 0 || rec_[i].end > rec_[size_t(t)].end) t = int64_t(i);
  uint64_t to = t >= 0 ? rec_[size_t(t)].end : 0;
  while (t >= 0) {
    const Record& r = rec_[size_t(t)];
    // The predecessor releases this task at `from` (its end, or the end of
    // its dispatch for a scheduler thread); from there to `to` is this step.
    uint64_t from = r.dispatch_at;
    if (r.pred >= 0) {
      const Record& p = rec_[size_t(r.pred)];
      from = std::min(r.dispatch_at, r.bound == Bound::Scheduler ? p.dispatch_at + s_.dispatch_cycles : p.end);
    }
    path.push_back({uint32_t(t), r.bound, from, to});
    to = from;
    t = r.pred;
  }
  return path;
}

}  // namespace sim
