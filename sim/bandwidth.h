// Global-memory bandwidth shared by every transfer in flight: a fluid
// max-min fair share. Each transfer is capped by its engine's rate; the
// rest of the bandwidth is split evenly among the others. Time in integer
// cycles; a transfer completes at the first whole cycle by which its bytes
// have moved. Plain C++: the SystemC shell calls advance() at next_event().
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace sim {

class SharedBandwidth {
 public:
  explicit SharedBandwidth(double bytes_per_cycle) : capacity_(bytes_per_cycle) {}

  // A transfer of `bytes` entering at `start` (>= now()), at most `cap`
  // bytes/cycle. `tag` comes back on completion.
  void add(uint64_t start, double bytes, double cap, uint64_t tag);
  // Move time forward to t (<= next_event() unless nothing is pending),
  // appending the tags of transfers that completed at t.
  void advance(uint64_t t, std::vector<uint64_t>& completed);
  // The next cycle at which a transfer starts or completes.
  std::optional<uint64_t> next_event() const;
  uint64_t now() const { return now_; }
  size_t in_flight() const { return active_.size() + pending_.size(); }
  double rate_of(uint64_t tag) const;  // current rate of an active transfer (tests)

 private:
  struct Xfer {
    uint64_t start;
    double remaining, cap, rate;
    uint64_t tag;
  };
  void rebalance();
  double capacity_;
  uint64_t now_ = 0;
  std::vector<Xfer> pending_;  // sorted by (start, arrival)
  std::vector<Xfer> active_;
};

}  // namespace sim
