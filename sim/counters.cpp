#include "sim/counters.h"

#include <sstream>

namespace sim {

namespace {

uint32_t ceil_log2(uint64_t x) {
  uint32_t l = 0;
  while ((uint64_t(1) << l) < x) ++l;
  return l;
}

CounterInfo info(const char* key, Agg agg, const char* unit, const char* summary, unsigned flags,
                 const char* description, SumCounter Counters::*m) {
  return {key, agg, unit, summary, flags, description, m, nullptr, nullptr};
}
CounterInfo info(const char* key, Agg agg, const char* unit, const char* summary, unsigned flags,
                 const char* description, HistogramCounter Counters::*m) {
  return {key, agg, unit, summary, flags, description, nullptr, m, nullptr};
}
CounterInfo info(const char* key, Agg agg, const char* unit, const char* summary, unsigned flags,
                 const char* description, StatCounter Counters::*m) {
  return {key, agg, unit, summary, flags, description, nullptr, nullptr, m};
}

void add(SumCounter& a, const SumCounter& b) { a += b; }
void add(HistogramCounter& a, const HistogramCounter& b) {
  for (auto [bucket, n] : b) a[bucket] += n;
}
void add(StatCounter& a, const StatCounter& b) { a.merge(b); }

}  // namespace

const std::vector<CounterInfo>& counters() {
  static const std::vector<CounterInfo> all = {
#define NPUSIM_COUNTER_INFO(key, agg, unit, summary, flags, description) \
  info(#key, Agg::agg, unit, summary, flags, description, &Counters::key),
      NPUSIM_COUNTERS(NPUSIM_COUNTER_INFO)
#undef NPUSIM_COUNTER_INFO
  };
  return all;
}

std::vector<std::string> CounterInfo::parts() const {
  if (agg != Agg::Stat) return {};
  if (flags & kMinMax) return {"mean", "min", "max"};
  return {"mean"};
}

const CounterInfo* find_counter(const std::string& key) {
  for (const CounterInfo& c : counters())
    if (key == c.key) return &c;
  return nullptr;
}

Counters& Counters::operator+=(const Counters& o) {
#define NPUSIM_COUNTER_ADD(key, agg, unit, summary, flags, description) add(key, o.key);
  NPUSIM_COUNTERS(NPUSIM_COUNTER_ADD)
#undef NPUSIM_COUNTER_ADD
  return *this;
}

void Counters::add_dma(bool load, uint64_t bytes, uint64_t hits, uint64_t misses, uint64_t hit_bytes,
                       uint64_t hbm) {
  ++dma_count;
  dma_bytes += bytes;
  dma_bus_bytes += hit_bytes + hbm;
  l2_hits += hits;
  l2_misses += misses;
  l2_hit_bytes += hit_bytes;
  hbm_bytes += hbm;
  if (load) {
    ++load_count;
    load_bytes += bytes;
  } else {
    ++store_count;
    store_bytes += bytes;
  }
  ++dma_size_histogram[ceil_log2(bytes)];
}

std::string size_bucket_label(uint32_t l) {
  if (l < 10) return "<=" + std::to_string(1u << l) + "B";
  if (l < 20) return "<=" + std::to_string(1u << (l - 10)) + "KiB";
  return "<=" + std::to_string(1u << (l - 20)) + "MiB";
}

std::string counters_markdown() {
  std::ostringstream os;
  os << "| counter | unit | aggregates | summary column | `check` | meaning |\n"
     << "|---|---|---|---|---|---|\n";
  for (const CounterInfo& c : counters()) {
    std::string agg = c.agg == Agg::Sum ? "sum" : c.agg == Agg::Histogram ? "histogram (buckets sum)" : "";
    if (c.agg == Agg::Stat) {
      for (const std::string& p : c.parts()) agg += (agg.empty() ? "" : ", ") + p;
      agg += " over records; totals `" + c.totals_key() + "`";
    }
    os << "| `" << c.key << "` | " << c.unit << " | " << agg
       << " | " << (c.summary ? std::string(c.summary) : std::string("-")) << " | " << (c.gated() ? "yes" : "-")
       << " | " << c.description << " |\n";
  }
  return os.str();
}

}  // namespace sim
