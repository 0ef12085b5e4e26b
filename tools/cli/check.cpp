#include "tools/cli/check.h"
#include "isa/error.h"
#include "sim/counters.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <stdexcept>

namespace cli::check {

namespace {

using nlohmann::ordered_json;

// The counters compared, totals and per kernel: those the registry gates.
const std::vector<const char*>& gated() {
  static const std::vector<const char*> keys = [] {
    std::vector<const char*> k;
    for (const sim::CounterInfo& c : sim::counters())
      if (c.gated()) k.push_back(c.key);
    return k;
  }();
  return keys;
}

// A compared number; 0 for a kernel missing from the baseline (`j` is then
// empty). Reports come through load_report, which checked that every
// compared key is present and a number: anything else here is a bug, not a 0.
double num(const ordered_json& j, const char* key) {
  if (j.empty()) return 0.0;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number())
    throw std::logic_error(std::string("check::compare: '") + key + "' is not a number (validate_report first)");
  return it->get<double>();
}

std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

}  // namespace

double Metric::change() const {
  if (baseline == 0) return now == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return (now - baseline) / baseline;
}

Result compare(const ordered_json& report, const ordered_json& baseline, double tolerance) {
  Result r;
  auto add = [&](const std::string& name, const std::string& kernel, double base, double now) {
    Metric m{name, kernel, base, now};
    r.compared.push_back(m);
    if (now > base * (1 + tolerance) && now > base) r.grown.push_back(m);
    if (now < base * (1 - tolerance) && now < base) r.shrunk.push_back(m);
  };
  add("total_cycles", "", num(baseline, "total_cycles"), num(report, "total_cycles"));
  for (const char* k : gated())
    add(k, "", num(baseline.value("totals", ordered_json::object()), k), num(report.value("totals", ordered_json::object()), k));

  std::map<std::string, const ordered_json*> base_kernels;
  if (baseline.contains("kernels"))
    for (const auto& k : baseline["kernels"]) base_kernels[k.value("name", "")] = &k;
  if (report.contains("kernels")) {
    for (const auto& k : report["kernels"]) {
      const std::string name = k.value("name", "");
      auto it = base_kernels.find(name);
      const ordered_json none = ordered_json::object();
      const ordered_json& b = it == base_kernels.end() ? none : *it->second;
      for (const char* m : gated()) add(m, name, num(b, m), num(k, m));
    }
  }
  return r;
}

double parse_tolerance(const std::string& text) {
  std::string t = text;
  if (!t.empty() && t.back() == '%') t.pop_back();
  char* end = nullptr;
  const double v = t.empty() ? NAN : std::strtod(t.c_str(), &end);
  if (t.empty() || *end || !std::isfinite(v) || v < 0)
    throw isa::InputError("--tolerance: expected a percentage such as 1% or 0.5%, got '" + text + "'");
  return v / 100.0;
}

std::string table(const std::vector<Metric>& rows) {
  size_t kw = 7;  // "(total)"
  for (const Metric& m : rows) kw = std::max(kw, m.kernel.size());
  std::string out;
  char buf[512];
  std::snprintf(buf, sizeof buf, "  %-14s %-*s %16s %16s %10s\n", "metric", int(kw), "kernel", "baseline", "now",
                "change");
  out += buf;
  for (const Metric& m : rows) {
    std::string change;
    const double c = m.change();
    if (std::isinf(c)) {
      change = "new";
    } else {
      char cb[64];
      std::snprintf(cb, sizeof cb, "%+.2f%%", 100 * c);
      change = cb;
    }
    std::snprintf(buf, sizeof buf, "  %-14s %-*s %16s %16s %10s\n", m.name.c_str(), int(kw),
                  m.kernel.empty() ? "(total)" : m.kernel.c_str(), fmt(m.baseline).c_str(), fmt(m.now).c_str(),
                  change.c_str());
    out += buf;
  }
  return out;
}

}  // namespace cli::check
