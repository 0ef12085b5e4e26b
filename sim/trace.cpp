#include "sim/trace.h"
#include "sim/file_io.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace sim {

TraceWriter::TraceWriter(double clock_ghz, const TraceFilter& filter)
    : ns_per_cycle_(1.0 / clock_ghz), filter_(filter) {}

uint64_t TraceWriter::ns(uint64_t cycles) const { return uint64_t(std::llround(double(cycles) * ns_per_cycle_)); }

bool TraceWriter::keeps(TraceLevel level, uint64_t start, uint64_t end) const {
  using Detail = TraceFilter::Detail;
  if (filter_.detail == (level == TraceLevel::Task ? Detail::Pipes : Detail::Tasks)) return false;
  const double t0 = double(ns(start)), t1 = double(ns(end));
  const double lo = filter_.from_us * 1000, hi = filter_.to_us * 1000;
  return t0 < hi && (t1 > lo || t0 >= lo);
}

uint32_t TraceWriter::intern(const std::string& s) {
  auto it = std::lower_bound(index_.begin(), index_.end(), s,
                             [](const auto& e, const std::string& v) { return e.first < v; });
  if (it != index_.end() && it->first == s) return it->second;
  const uint32_t id = uint32_t(strings_.size());
  strings_.push_back(s);
  index_.insert(it, {s, id});
  return id;
}

void TraceWriter::name_process(uint32_t pid, const std::string& name) {
  names_.push_back({{pid, ~0u}, name});
}

void TraceWriter::name_thread(uint32_t pid, uint32_t tid, const std::string& name) {
  names_.push_back({{pid, tid}, name});
}

void TraceWriter::event(TraceLevel level, uint32_t pid, uint32_t tid, const std::string& name,
                        const std::string& cat, uint64_t start, uint64_t end, const std::string& args_json) {
  if (!keeps(level, start, end)) return;
  events_.push_back({pid, tid, intern(name), intern(cat), start, end, args_json});
}

void TraceWriter::write(const std::string& path) const {
  // The lanes and processes that have events; only they are named.
  std::set<std::pair<uint32_t, uint32_t>> lanes;
  for (const Ev& e : events_) {
    if (e.pid == 0) throw std::logic_error("trace: an event on pid 0 (pids start at 1)");
    lanes.insert({e.pid, e.tid});
    lanes.insert({e.pid, ~0u});
  }
  OutFile f(path, "the trace");
  f.printf("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
  bool first = true;
  auto sep = [&] {
    if (!first) f.write(",\n");
    first = false;
  };
  // Sort indices in naming order: Perfetto otherwise orders processes by how
  // many events they have.
  uint32_t process_rank = 0;
  std::map<uint32_t, uint32_t> thread_rank;  // per pid
  for (const auto& [key, name] : names_) {
    const auto [pid, tid] = key;
    const uint32_t rank = tid == ~0u ? process_rank++ : thread_rank[pid]++;
    if (!lanes.count(key)) continue;
    sep();
    const std::string quoted = nlohmann::json(name).dump();
    if (tid == ~0u)
      f.printf("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%u,\"args\":{\"name\":%s}},\n"
               "{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":%u,\"args\":{\"sort_index\":%u}}",
               pid, quoted.c_str(), pid, rank);
    else
      f.printf("{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%u,\"tid\":%u,\"args\":{\"name\":%s}},\n"
               "{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":%u,\"tid\":%u,\"args\":{\"sort_index\":%u}}",
               pid, tid, quoted.c_str(), pid, tid, rank);
  }
  std::vector<size_t> order(events_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const Ev& x = events_[a];
    const Ev& y = events_[b];
    return std::tie(x.start, x.pid, x.tid) < std::tie(y.start, y.pid, y.tid);
  });
  std::vector<std::string> quoted(strings_.size());
  for (size_t i = 0; i < strings_.size(); ++i) quoted[i] = nlohmann::json(strings_[i]).dump();
  // Times go out as whole nanoseconds, printed as us with 3 decimals.
  for (size_t i : order) {
    const Ev& e = events_[i];
    sep();
    const uint64_t t0 = ns(e.start), t1 = ns(e.end);
    f.printf("{\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"name\":%s,\"cat\":%s,\"ts\":%llu.%03llu,\"dur\":%llu.%03llu",
                 e.pid, e.tid, quoted[e.name].c_str(), quoted[e.cat].c_str(), (unsigned long long)(t0 / 1000),
                 (unsigned long long)(t0 % 1000), (unsigned long long)((t1 - t0) / 1000),
                 (unsigned long long)((t1 - t0) % 1000));
    if (!e.args.empty()) f.printf(",\"args\":%s", e.args.c_str());
    f.write("}");
  }
  f.printf("\n]}\n");
  f.close();
}

}  // namespace sim
