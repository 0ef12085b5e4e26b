#include "sim/trace.h"
#include "sim/file_io.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string_view>

#include <nlohmann/json.hpp>
#include <zlib.h>

namespace sim {

namespace {

// Where the trace's text goes: into the file as it is, or deflated in gzip
// format when the path ends in ".gz" (Perfetto opens both). Either way
// through OutFile, so a failure is "cannot write the trace PATH: <reason>".
class TraceSink {
 public:
  explicit TraceSink(const std::string& path)
      : out_(path, "the trace"), gzip_(path.size() >= 3 && path.compare(path.size() - 3, 3, ".gz") == 0) {
    // windowBits 15 + 16: the deflate stream inside a gzip header and trailer.
    if (gzip_ && deflateInit2(&z_, kLevel, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      throw std::runtime_error("zlib could not start compressing the trace");
  }
  ~TraceSink() {
    if (gzip_) deflateEnd(&z_);
  }
  TraceSink(const TraceSink&) = delete;
  TraceSink& operator=(const TraceSink&) = delete;

  void write(std::string_view text) {
    if (gzip_)
      deflate_to_file(text, Z_NO_FLUSH);
    else
      out_.write(text);
  }
  void close() {
    if (gzip_) deflate_to_file({}, Z_FINISH);
    out_.close();
  }

 private:
  // zlib's default (6), as gzip: the Qwen3 layer's 80 MB trace in 3.7 MB
  // for ~0.35 s of CPU; level 1 would take ~0.07 s, for 7.1 MB.
  static constexpr int kLevel = Z_DEFAULT_COMPRESSION;
  // Deflates `text` (with Z_FINISH: and the rest of the stream) and writes
  // what comes out.
  void deflate_to_file(std::string_view text, int flush) {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    z_.avail_in = uInt(text.size());
    unsigned char out[1 << 16];
    do {
      z_.next_out = out;
      z_.avail_out = sizeof out;
      if (deflate(&z_, flush) == Z_STREAM_ERROR) throw std::logic_error("trace: deflate: inconsistent stream");
      out_.write(out, sizeof out - z_.avail_out);
    } while (z_.avail_out == 0);
  }
  OutFile out_;
  bool gzip_;
  z_stream z_{};
};

}  // namespace

TraceWriter::TraceWriter(double clock_ghz, const TraceFilter& filter)
    : ns_per_cycle_(1.0 / clock_ghz), filter_(filter) {}

uint64_t TraceWriter::ns(uint64_t cycles) const { return uint64_t(std::llround(double(cycles) * ns_per_cycle_)); }

bool TraceWriter::keeps(TraceLevel level, uint64_t start, uint64_t end) const {
  using Detail = TraceFilter::Detail;
  const Detail only = level == TraceLevel::Task ? Detail::Tasks : Detail::Pipes;
  if (filter_.detail != Detail::All && filter_.detail != only) return false;
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
  TraceSink sink(path);
  // The text goes to the sink in pieces of about a MiB.
  std::string buf = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  auto line_done = [&] {
    if (buf.size() < (1 << 20)) return;
    sink.write(buf);
    buf.clear();
  };
  bool first = true;
  auto sep = [&] {
    if (!first) buf += ",\n";
    first = false;
  };
  char num[160];
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
    if (tid == ~0u) {
      std::snprintf(num, sizeof num, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%u,\"args\":{\"name\":", pid);
      buf += num + quoted;
      std::snprintf(num, sizeof num,
                    "}},\n{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":%u,\"args\":{\"sort_index\":%u}}",
                    pid, rank);
    } else {
      std::snprintf(num, sizeof num, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%u,\"tid\":%u,\"args\":{\"name\":",
                    pid, tid);
      buf += num + quoted;
      std::snprintf(num, sizeof num,
                    "}},\n{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":%u,\"tid\":%u,"
                    "\"args\":{\"sort_index\":%u}}",
                    pid, tid, rank);
    }
    buf += num;
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
    std::snprintf(num, sizeof num, "{\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"name\":", e.pid, e.tid);
    buf += num;
    buf += quoted[e.name];
    buf += ",\"cat\":";
    buf += quoted[e.cat];
    std::snprintf(num, sizeof num, ",\"ts\":%llu.%03llu,\"dur\":%llu.%03llu", (unsigned long long)(t0 / 1000),
                  (unsigned long long)(t0 % 1000), (unsigned long long)((t1 - t0) / 1000),
                  (unsigned long long)((t1 - t0) % 1000));
    buf += num;
    if (!e.args.empty()) {
      buf += ",\"args\":";
      buf += e.args;
    }
    buf += '}';
    line_done();
  }
  buf += "\n]}\n";
  sink.write(buf);
  sink.close();
}

}  // namespace sim
