#include "sim/bandwidth.h"

#include "sim/cost_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sim {

namespace {
// A transfer is done when its class clock is within this of its finishing
// point (relative, to absorb rounding in a clock that only grows).
bool reached(double v, double finish) { return finish - v <= 1e-9 * std::max(1.0, finish); }
}  // namespace

void SharedBandwidth::add(uint64_t start, double bytes, double cap, uint64_t tag) {
  Pending p{std::max(start, now_), bytes, cap, tag};
  auto it = std::upper_bound(pending_.begin(), pending_.end(), p.start,
                             [](uint64_t s, const Pending& q) { return s < q.start; });
  pending_.insert(it, p);
}

size_t SharedBandwidth::in_flight() const {
  size_t n = pending_.size();
  for (const CapClass& c : classes_) n += c.heap.size();
  return n;
}

void SharedBandwidth::rebalance() {
  // Water-filling over the classes in cap order: each member of a class gets
  // min(cap, an even share of what the smaller classes left).
  double left = capacity_;
  size_t n = 0;
  for (const CapClass& c : classes_) n += c.heap.size();
  for (CapClass& c : classes_) {
    const size_t k = c.heap.size();
    if (!k) continue;
    c.rate = std::min(c.cap, left / double(n));
    left -= c.rate * double(k);
    n -= k;
  }
}

double SharedBandwidth::next_completion() const {
  double tc = std::numeric_limits<double>::infinity();
  for (const CapClass& c : classes_)
    if (!c.heap.empty()) tc = std::min(tc, tnow_ + (c.heap.top().first - c.v) / c.rate);
  return tc;
}

void SharedBandwidth::advance(uint64_t t, std::vector<uint64_t>& completed) {
  // Step through every start and (exact, fractional) completion up to t, so
  // rounding completions to whole cycles for the caller loses no bandwidth.
  while (true) {
    double tn = std::min(next_completion(), double(t));
    if (!pending_.empty()) tn = std::min(tn, double(pending_.front().start));
    for (CapClass& c : classes_) c.v += c.rate * (tn - tnow_);
    tnow_ = tn;
    bool changed = false;
    // Completions first, so their bandwidth goes to what starts now. Late in
    // a run a double resolves time only coarsely (~1e-3 cycle at 2^42): a
    // transfer whose rest needs less than that cannot move time forward, so
    // it completes now instead of stepping in place.
    for (CapClass& c : classes_) {
      while (!c.heap.empty() && (reached(c.v, c.heap.top().first) ||
                                 tnow_ + (c.heap.top().first - c.v) / c.rate <= tnow_)) {
        completed.push_back(c.heap.top().second);
        c.heap.pop();
        changed = true;
      }
    }
    size_t started = 0;
    for (; started < pending_.size() && double(pending_[started].start) <= tnow_; ++started) {
      const Pending& p = pending_[started];
      auto it = std::lower_bound(classes_.begin(), classes_.end(), p.cap,
                                 [](const CapClass& c, double cap) { return c.cap < cap; });
      if (it == classes_.end() || it->cap != p.cap) it = classes_.insert(it, CapClass{p.cap, 0.0, 0.0, {}});
      it->heap.push({it->v + p.bytes, p.tag});
      changed = true;
    }
    pending_.erase(pending_.begin(), pending_.begin() + started);
    if (changed) {
      // A class left empty carries nothing (a new member's finishing point is
      // relative to the clock at its arrival): drop it, so transfers with
      // many different caps cost only the classes in flight.
      classes_.erase(std::remove_if(classes_.begin(), classes_.end(),
                                    [](const CapClass& c) { return c.heap.empty(); }),
                     classes_.end());
      rebalance();
    }
    if (tn >= double(t)) break;
  }
  now_ = t;
  tnow_ = double(t);
}

std::optional<uint64_t> SharedBandwidth::next_event() const {
  std::optional<uint64_t> next;
  if (!pending_.empty()) next = pending_.front().start;
  const double tc = next_completion();
  if (tc != std::numeric_limits<double>::infinity()) {
    // The first whole cycle by which the earliest finisher is done.
    const uint64_t done = std::max(now_, whole_cycles(tc, "the end of a GM transfer"));
    if (!next || done < *next) next = done;
  }
  return next;
}

}  // namespace sim
