#include "sim/stats.h"

#include "sim/cost_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <sstream>

namespace sim {

using nlohmann::ordered_json;

Stats::Stats(const isa::Program& p) { next_program(p); }

void Stats::next_program(const isa::Program& p) {
  p_ = &p;
  std::vector<uint32_t> of_kernel(p.kernels.size());
  for (size_t k = 0; k < p.kernels.size(); ++k) {
    auto [it, fresh] = name_index_.emplace(p.kernels[k].name, uint32_t(names_.size()));
    if (fresh) names_.push_back(p.kernels[k].name);
    of_kernel[k] = it->second;
  }
  per_kernel_.resize(names_.size());
  kernel_of_task_.resize(p.tasks.size());
  for (size_t t = 0; t < p.tasks.size(); ++t) kernel_of_task_[t] = of_kernel[p.tasks[t].kernel];
  site_of_.resize(p.sites.size());
  for (size_t i = 0; i < p.sites.size(); ++i) {
    auto [it, fresh] = site_index_.emplace(p.sites[i], uint32_t(site_names_.size()));
    if (fresh) site_names_.push_back(p.sites[i]);
    site_of_[i] = it->second;
  }
  ends_.assign(p.tasks.size(), Ends{});
}

Counters Stats::totals() const {
  Counters t;
  for (const Counters& k : per_kernel_) t += k;
  return t;
}

void Stats::on_dispatch(uint32_t task, uint64_t ready_at, uint64_t dispatch_at, uint64_t overhead) {
  Counters& c = per_kernel_[kernel_of_task_[task]];
  // A submitted task counts once (at its block 0); every block is a launch.
  const isa::Task& t = p_->tasks[task];
  if (t.block == 0) ++c.tasks;
  ++c.launches;
  c.launch_overhead_cycles += overhead;
  c.dispatch_wait_cycles += dispatch_at - ready_at;
  // Launches by source site: the pl.at block (or parallel loop) that issued them.
  SiteCount& s = sites_[site_key(kernel_of_task_[task], site_of_[t.site], kLaunchOp, 0)];
  ++s.count;
  s.overhead_cycles += overhead;
}

void Stats::on_task_end(uint32_t task, uint64_t start, uint64_t end, const std::vector<uint64_t>& core_ends) {
  Counters& c = per_kernel_[kernel_of_task_[task]];
  c.task_cycles += end - start;
  Ends& e = ends_[task];
  e = Ends{};
  e.end = end;
  for (uint64_t t : core_ends) {
    ++c.exec_records;
    c.exec_us.add(t - start);
    e.min = e.count ? std::min(e.min, t) : t;
    e.max = e.count ? std::max(e.max, t) : t;
    e.sum += t;
    ++e.count;
  }
}

void Stats::on_detected(uint32_t task, uint64_t handoff, uint64_t detected) {
  const Ends& e = ends_[task];
  if (!e.count) return;
  // latency of a record = (its core's end - handoff) + (detected - task end)
  const uint64_t delay = detected - e.end;
  StatCounter l;
  l.sum = e.sum - e.count * handoff + e.count * delay;
  l.count = e.count;
  l.min = e.min - handoff + delay;
  l.max = e.max - handoff + delay;
  per_kernel_[kernel_of_task_[task]].latency_us.merge(l);
}

void Stats::on_instr(uint32_t task, const InstrEvent& e) {
  const uint32_t k = kernel_of_task_[task];
  const isa::Instr& in = *e.instr;
  const Cost& c = *e.cost;
  uint64_t bytes = 0;
  const MemResult* mem = nullptr;
  Counters& ctr = per_kernel_[k];
  ++ctr.instructions;
  const uint64_t busy = pipe_busy_cycles(e);
  ctr.pipe_busy_cycles += busy;
  // What an instruction counts follows its cost class (isa/ops.h).
  switch (c.cls) {
    case isa::CostClass::GmLoad:
    case isa::CostClass::GmStore:
      if (e.mem) {
        mem = e.mem;
        ctr.add_dma(c.dir == DmaDir::Load, c.bytes, mem->l2_hits, mem->l2_misses, mem->hit_bytes, mem->hbm_bytes());
      } else {
        ctr.add_dma(c.dir == DmaDir::Load, c.bytes, 0, 0, 0, 0);
      }
      bytes = c.bytes;
      break;
    case isa::CostClass::ScalarLoad:
      ++ctr.scalar_reads;
      bytes = isa::dtype_bytes(p_->tensors[e.gm_tensor].dtype);
      break;
    case isa::CostClass::Matmul: {
      ctr.cube_busy_cycles += e.end - e.start;
      // M x K x N from the valid regions, as the cube cost counts them
      const bool tb = in.flags & isa::kTransposeB;
      ctr.flops += 2ull * in.a.vrows() * in.a.vcols() * (tb ? in.b.vrows() : in.b.vcols());
      break;
    }
    case isa::CostClass::VecBinary:
    case isa::CostClass::VecUnary:
    case isa::CostClass::VecTranscendental:
    case isa::CostClass::VecReduce:
    case isa::CostClass::VecCast:
    case isa::CostClass::VecFill:
    case isa::CostClass::VecBroadcast:
    case isa::CostClass::View:  // free: adds 0
      ctr.vector_busy_cycles += e.end - e.start;
      break;
    case isa::CostClass::LocalMove:
    case isa::CostClass::ScalarOp:
    case isa::CostClass::Signal:
    case isa::CostClass::Wait: break;
  }
  const uint64_t key = site_key(k, site_of_[in.site], uint8_t(in.op), in.sub);
  CacheSlot& slot = cache_[(key * 0x9E3779B97F4A7C15ull) >> 56];  // Fibonacci hash, 8 bits
  if (slot.key != key) {
    slot.key = key;
    slot.count = &sites_[key];  // element pointers stay valid across rehashing
  }
  ++slot.count->count;
  slot.count->bytes += bytes;
  slot.count->busy_cycles += busy;
  if (mem) {
    slot.count->l2_hits += mem->l2_hits;
    slot.count->l2_misses += mem->l2_misses;
    slot.count->l2_hit_bytes += mem->hit_bytes;
    slot.count->hbm_bytes += mem->hbm_bytes();
  }
}

namespace {
// Every counter of the registry, in its order, under its key (a Stat
// counter in the totals as `<key>_mean`).
ordered_json counters_json(const Counters& c, double clock_ghz, bool totals) {
  ordered_json j;
  const double us_per_cycle = 1.0 / (clock_ghz * 1e3);
  for (const CounterInfo& ci : counters()) {
    if (ci.agg == Agg::Sum) {
      j[ci.key] = c.*ci.sum;
    } else if (ci.agg == Agg::Stat) {
      const StatCounter& s = c.*ci.stat;
      if (totals) {
        j[ci.totals_key()] = s.mean() * us_per_cycle;
        continue;
      }
      ordered_json o;
      for (const std::string& part : ci.parts())
        o[part] = (part == "mean" ? s.mean() : double(part == "min" ? s.min : s.max)) * us_per_cycle;
      j[ci.key] = o;
    } else {
      ordered_json h = ordered_json::object();
      for (auto [b, n] : c.*ci.histogram) h[size_bucket_label(b)] = n;
      j[ci.key] = h;
    }
  }
  return j;
}
}  // namespace

ordered_json Stats::report(const HwConfig& hw, uint64_t total_cycles,
                           const std::vector<Dispatcher::Step>& critical_path) const {
  ordered_json r;
  r["hw"] = hw.name;
  r["clock_ghz"] = hw.clock_ghz;
  r["total_cycles"] = total_cycles;
  r["total_us"] = double(total_cycles) / (hw.clock_ghz * 1e3);
  const Counters all = totals();
  r["totals"] = counters_json(all, hw.clock_ghz, true);
  // Lower bound: every byte crosses GM once at full bandwidth, every flop at
  // the cube peak of all core groups; the slower of the two.
  const double gm_cycles = double(all.dma_bytes) / hw.gm.bytes_per_cycle(hw.clock_ghz);
  constexpr double fractal_flops = 2.0 * isa::kCubeFractal * isa::kCubeFractal * isa::kCubeFractal;
  const double peak_flops_per_cycle = fractal_flops * hw.cube.fractals_per_cycle * hw.core_groups;
  const double flop_cycles = double(all.flops) / peak_flops_per_cycle;
  const uint64_t gm_bound = whole_cycles(gm_cycles, "the roofline's GM bound");
  const uint64_t cube_bound = whole_cycles(flop_cycles, "the roofline's cube bound");
  const uint64_t bound = std::max(gm_bound, cube_bound);
  r["roofline"] = {{"bound_cycles", bound},
                   {"gm_bound_cycles", gm_bound},
                   {"cube_bound_cycles", cube_bound},
                   {"ratio", bound ? double(total_cycles) / double(bound) : 0.0}};
  ordered_json ks = ordered_json::array();
  for (size_t i = 0; i < names_.size(); ++i) {
    ordered_json k;
    k["name"] = names_[i];
    k.update(counters_json(per_kernel_[i], hw.clock_ghz, false));
    ks.push_back(k);
  }
  r["kernels"] = ks;
  // The critical path: which kernels the end of the run waited on, and what
  // each of its tasks waited for before its dispatch.
  {
    static const char* const kBound[] = {"submit", "dependency", "core_group", "scheduler"};
    std::vector<std::pair<uint64_t, uint64_t>> per_kernel(names_.size());  // (tasks, cycles)
    uint64_t waited[4] = {};
    // A task can be on the path twice (its dispatch, and its completion
    // handling when that waited for the scheduler thread): it counts once.
    std::set<uint32_t> tasks;
    for (const Dispatcher::Step& st : critical_path) {
      auto& k = per_kernel[kernel_of_task_[st.task]];
      if (tasks.insert(st.task).second) ++k.first;
      k.second += st.to - st.from;
      ++waited[int(st.bound)];
    }
    ordered_json w, kk = ordered_json::array();
    for (int b = 0; b < 4; ++b) w[kBound[b]] = waited[b];
    std::vector<size_t> order;
    for (size_t i = 0; i < names_.size(); ++i)
      if (per_kernel[i].first) order.push_back(i);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return per_kernel[a].second > per_kernel[b].second; });
    for (size_t i : order)
      kk.push_back({{"name", names_[i]}, {"tasks", per_kernel[i].first}, {"cycles", per_kernel[i].second}});
    r["critical_path"] = {{"tasks", tasks.size()},
                          {"first_dispatch_cycles", critical_path.empty() ? 0 : critical_path.back().from},
                          {"waited_for", w},
                          {"kernels", kk}};
  }
  ordered_json ss = ordered_json::array();
  std::vector<std::pair<uint64_t, SiteCount>> sorted(sites_.begin(), sites_.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [key, v] : sorted) {
    const uint32_t k = uint32_t(key >> 40), site = uint32_t((key >> 16) & 0xffffff);
    const uint8_t op = uint8_t((key >> 8) & 0xff);
    isa::Instr probe;
    probe.op = isa::Op(op);
    probe.sub = uint8_t(key & 0xff);
    ordered_json e = {{"kernel", names_[k]},
                      {"site", site_names_[site]},
                      {"op", op == kLaunchOp ? std::string("launch") : isa::mnemonic(probe)},
                      {"count", v.count},
                      {"bytes", v.bytes}};
    if (op == kLaunchOp) e["launch_overhead_cycles"] = v.overhead_cycles;
    if (op != kLaunchOp && (isa::cost_class(probe) == isa::CostClass::GmLoad ||
                            isa::cost_class(probe) == isa::CostClass::GmStore)) {
      // What the site's DMAs cost the memory system (README "The report").
      e["l2_hits"] = v.l2_hits;
      e["l2_misses"] = v.l2_misses;
      e["l2_hit_bytes"] = v.l2_hit_bytes;
      e["hbm_bytes"] = v.hbm_bytes;
    }
    // Where the kernel's pipe time went: a launch holds no pipe (0).
    const uint64_t kernel_busy = per_kernel_[k].pipe_busy_cycles;
    e["busy_cycles"] = v.busy_cycles;
    e["busy_share"] = kernel_busy ? double(v.busy_cycles) / double(kernel_busy) : 0.0;
    ss.push_back(e);
  }
  r["sites"] = ss;
  return r;
}

namespace {
std::string human_bytes(uint64_t b) {
  char buf[32];
  if (b >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", double(b) / double(1ull << 30));
  else if (b >= (1ull << 20)) std::snprintf(buf, sizeof buf, "%.2f MiB", double(b) / double(1ull << 20));
  else if (b >= 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", double(b) / 1024.0);
  else std::snprintf(buf, sizeof buf, "%llu B", (unsigned long long)b);
  return buf;
}
}  // namespace

std::string format_summary(const ordered_json& r) {
  std::ostringstream os;
  char line[512];
  const auto& t = r["totals"];
  const uint64_t total = r["total_cycles"].get<uint64_t>();
  // "12.3%" of `whole`; "-" when there is no whole.
  auto percent = [](double part, double whole) {
    char buf[32];
    if (whole > 0) std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * part / whole);
    else std::snprintf(buf, sizeof buf, "-");
    return std::string(buf);
  };
  std::snprintf(line, sizeof line, "npusim: %s @ %.3g GHz: %llu cycles = %.2f us\n",
                r["hw"].get<std::string>().c_str(), r["clock_ghz"].get<double>(), (unsigned long long)total,
                r["total_us"].get<double>());
  os << line;
  // A token-by-token run: the time per token first; the critical path and
  // its shares are the last step's.
  double path_whole = double(total);
  if (r.contains("decode")) {
    const auto& d = r["decode"];
    const auto& tp = d["tpot_us"];
    std::snprintf(line, sizeof line,
                  "decode: %llu steps of %llu tokens: time per output token %.1f us mean (first %.1f, last %.1f, "
                  "%.1f .. %.1f), %.1f tokens/s\n",
                  (unsigned long long)d["steps"].get<uint64_t>(), (unsigned long long)d["tokens_per_step"].get<uint64_t>(),
                  tp["mean"].get<double>(), tp["first"].get<double>(), tp["last"].get<double>(),
                  tp["min"].get<double>(), tp["max"].get<double>(), d["tokens_per_s"].get<double>());
    os << line;
    path_whole = tp["last"].get<double>() * r["clock_ghz"].get<double>() * 1000.0;
  }
  // The answer first: which kernels the end of the run waited on.
  const auto& cp = r["critical_path"];
  const auto& w = cp["waited_for"];
  os << (r.contains("decode") ? "critical path of the last step: " : "critical path: ") << cp["tasks"].get<uint64_t>()
     << " tasks; longest:";
  for (size_t i = 0; i < cp["kernels"].size() && i < 3; ++i) {
    const auto& k = cp["kernels"][i];
    const uint64_t c = k["cycles"].get<uint64_t>();
    std::snprintf(line, sizeof line, "%s %s %llu cycles (%s)", i ? "," : "", k["name"].get<std::string>().c_str(),
                  (unsigned long long)c, percent(double(c), path_whole).c_str());
    os << line;
  }
  std::snprintf(line, sizeof line,
                "; its tasks waited for the scheduler %llu times, a dependency %llu, a core group %llu, "
                "submission %llu\n",
                (unsigned long long)w["scheduler"].get<uint64_t>(), (unsigned long long)w["dependency"].get<uint64_t>(),
                (unsigned long long)w["core_group"].get<uint64_t>(), (unsigned long long)w["submit"].get<uint64_t>());
  os << line;
  const auto& rf = r["roofline"];
  std::snprintf(line, sizeof line,
                "roofline: bound %llu cycles (GM %llu, cube %llu); simulated / bound = %.2f\n",
                (unsigned long long)rf["bound_cycles"].get<uint64_t>(),
                (unsigned long long)rf["gm_bound_cycles"].get<uint64_t>(),
                (unsigned long long)rf["cube_bound_cycles"].get<uint64_t>(), rf["ratio"].get<double>());
  os << line;
  std::snprintf(line, sizeof line,
                "tasks %llu, %llu instructions; summed over tasks: launch overhead %llu cycles, dispatch wait %llu "
                "cycles\n"
                "DMAs %llu (%s): loads %llu (%s), stores %llu (%s); scalar GM reads %llu\n",
                (unsigned long long)t["tasks"].get<uint64_t>(), (unsigned long long)t["instructions"].get<uint64_t>(),
                (unsigned long long)t["launch_overhead_cycles"].get<uint64_t>(),
                (unsigned long long)t["dispatch_wait_cycles"].get<uint64_t>(),
                (unsigned long long)t["dma_count"].get<uint64_t>(),
                human_bytes(t["dma_bytes"].get<uint64_t>()).c_str(),
                (unsigned long long)t["load_count"].get<uint64_t>(),
                human_bytes(t["load_bytes"].get<uint64_t>()).c_str(),
                (unsigned long long)t["store_count"].get<uint64_t>(),
                human_bytes(t["store_bytes"].get<uint64_t>()).c_str(),
                (unsigned long long)t["scalar_reads"].get<uint64_t>());
  os << line;
  std::snprintf(line, sizeof line, "execution records %llu: exec mean %.2f us, latency mean %.2f us\n\n",
                (unsigned long long)t["exec_records"].get<uint64_t>(), t["exec_us_mean"].get<double>(),
                t["latency_us_mean"].get<double>());
  os << line;
  // One row per kernel, most task cycles first: its share of all kernels'
  // task cycles, of the critical path, then every counter the registry shows
  // in the summary.
  std::vector<const CounterInfo*> cols;
  for (const CounterInfo& c : counters())
    if (c.summary && c.agg != Agg::Histogram) cols.push_back(&c);
  auto width = [](const CounterInfo* c) { return int(std::max<size_t>(11, std::strlen(c->summary))); };
  std::map<std::string, uint64_t> on_path;
  for (const auto& k : cp["kernels"]) on_path[k["name"].get<std::string>()] = k["cycles"].get<uint64_t>();
  std::vector<const ordered_json*> rows;
  for (const auto& k : r["kernels"]) rows.push_back(&k);
  std::stable_sort(rows.begin(), rows.end(), [](const ordered_json* a, const ordered_json* b) {
    return (*a)["task_cycles"].get<uint64_t>() > (*b)["task_cycles"].get<uint64_t>();
  });
  const double all_task_cycles = double(t["task_cycles"].get<uint64_t>());
  std::snprintf(line, sizeof line, "%-22s %7s %7s", "kernel", "time %", "path %");
  os << line;
  for (const CounterInfo* c : cols) {
    std::snprintf(line, sizeof line, " %*s", width(c), c->summary);
    os << line;
  }
  os << "\n";
  for (const ordered_json* kp : rows) {
    const auto& k = *kp;
    const std::string name = k["name"].get<std::string>();
    const auto path = on_path.find(name);
    std::snprintf(line, sizeof line, "%-22.22s %7s %7s", name.c_str(),
                  percent(double(k["task_cycles"].get<uint64_t>()), all_task_cycles).c_str(),
                  path == on_path.end() ? "-" : percent(double(path->second), double(total)).c_str());
    os << line;
    for (const CounterInfo* c : cols) {
      std::string text;
      if (c->agg == Agg::Stat) {  // the mean
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.2f", k[c->key]["mean"].get<double>());
        text = buf;
      } else {
        const uint64_t v = k[c->key].get<uint64_t>();
        text = std::string(c->unit) == "bytes" ? human_bytes(v) : std::to_string(v);
      }
      std::snprintf(line, sizeof line, " %*s", width(c), text.c_str());
      os << line;
    }
    os << "\n";
  }
  os << "time %: the kernel's share of all kernels' task cycles (rows sorted by it). task cycles: the sum over\n"
        "the kernel's tasks of (end - start) on their core group; tasks on different core groups overlap, so the\n"
        "column adds up to more than the run's cycles. path %: the kernel's cycles on the critical path / the\n"
        "run's cycles. The other counts are sums over the kernel's tasks; exec us and latency us are means per\n"
        "execution record.\n";
  return os.str();
}

}  // namespace sim
