#include "sim/bandwidth.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace sim {

namespace {
constexpr double kEps = 1e-6;  // bytes: below this a transfer is done
}

void SharedBandwidth::add(uint64_t start, double bytes, double cap, uint64_t tag) {
  Xfer x{std::max(start, now_), bytes, cap, 0.0, tag};
  auto it = std::upper_bound(pending_.begin(), pending_.end(), x.start,
                             [](uint64_t s, const Xfer& p) { return s < p.start; });
  pending_.insert(it, x);
}

void SharedBandwidth::rebalance() {
  // Water-filling: serve the smallest caps first, each at most an even share.
  std::vector<size_t> order(active_.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return active_[a].cap < active_[b].cap; });
  double left = capacity_;
  size_t n = order.size();
  for (size_t i : order) {
    const double share = left / double(n--);
    active_[i].rate = std::min(active_[i].cap, share);
    left -= active_[i].rate;
  }
}

void SharedBandwidth::advance(uint64_t t, std::vector<uint64_t>& completed) {
  while (true) {
    const uint64_t next_start = pending_.empty() ? t : std::min(t, pending_.front().start);
    const double dt = double(next_start - now_);
    for (Xfer& x : active_) x.remaining -= x.rate * dt;
    now_ = next_start;
    bool changed = false;
    // Completions first, so their bandwidth goes to what starts now.
    for (size_t i = 0; i < active_.size();) {
      if (active_[i].remaining <= kEps) {
        completed.push_back(active_[i].tag);
        active_.erase(active_.begin() + i);
        changed = true;
      } else {
        ++i;
      }
    }
    size_t started = 0;
    while (started < pending_.size() && pending_[started].start <= now_) ++started;
    if (started) {
      active_.insert(active_.end(), pending_.begin(), pending_.begin() + started);
      pending_.erase(pending_.begin(), pending_.begin() + started);
      changed = true;
    }
    if (changed) rebalance();
    if (now_ == t) break;
  }
}

std::optional<uint64_t> SharedBandwidth::next_event() const {
  std::optional<uint64_t> next;
  if (!pending_.empty()) next = pending_.front().start;
  for (const Xfer& x : active_) {
    // First whole cycle by which the remaining bytes have moved.
    const double dt = std::ceil(x.remaining / x.rate - 1e-9);
    const uint64_t done = now_ + uint64_t(std::max(0.0, dt));
    if (!next || done < *next) next = done;
  }
  return next;
}

double SharedBandwidth::rate_of(uint64_t tag) const {
  for (const Xfer& x : active_)
    if (x.tag == tag) return x.rate;
  return 0.0;
}

}  // namespace sim
