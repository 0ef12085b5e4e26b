// Global-memory bandwidth shared by every transfer in flight: a fluid
// max-min fair share. Each transfer is capped by its engine's rate; the
// rest of the bandwidth is split evenly among the others. Time in integer
// cycles outside, exact inside: transfers complete at fractional times (so
// no bandwidth is lost) and are reported at the first whole cycle after. Plain C++: the SystemC shell calls advance() at next_event().
//
// Transfers with the same cap always get the same rate, so each cap class
// keeps a virtual clock (bytes moved per transfer since the class was made)
// and a heap of finishing points: an event costs O(classes + log n), not O(n).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <vector>

namespace sim {

class SharedBandwidth {
 public:
  explicit SharedBandwidth(double bytes_per_cycle) : capacity_(bytes_per_cycle) {}

  // A transfer of `bytes` entering at `start` (>= now()), at most `cap`
  // bytes/cycle. `tag` comes back on completion.
  void add(uint64_t start, double bytes, double cap, uint64_t tag);
  // Move time forward to t (never past next_event()), appending the tags of
  // transfers that completed at t.
  void advance(uint64_t t, std::vector<uint64_t>& completed);
  // The next cycle at which a transfer starts or completes.
  std::optional<uint64_t> next_event() const;
  size_t in_flight() const;

 private:
  struct Pending {
    uint64_t start;
    double bytes, cap;
    uint64_t tag;
  };
  using Finish = std::pair<double, uint64_t>;  // (virtual finishing point, tag)
  struct CapClass {
    double cap;
    double v = 0;     // bytes each member has been given since the class began
    double rate = 0;  // bytes/cycle of each member now
    std::priority_queue<Finish, std::vector<Finish>, std::greater<Finish>> heap;
  };
  void rebalance();
  double next_completion() const;  // exact (fractional) time of the next completion
  double capacity_;
  uint64_t now_ = 0;     // the cycle of the last advance()
  double tnow_ = 0;      // inside advance(): the exact time reached
  std::vector<Pending> pending_;  // sorted by (start, arrival)
  std::vector<CapClass> classes_;  // sorted by cap
};

}  // namespace sim
