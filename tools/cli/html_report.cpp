#include "tools/cli/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include "sim/counters.h"
#include "tools/cli/report_io.h"

namespace cli {

namespace {

using nlohmann::ordered_json;

// ---- reading the report: every accessor tolerates an absent key or another type

const ordered_json* find(const ordered_json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  const auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::optional<double> number(const ordered_json& obj, const char* key) {
  const ordered_json* v = find(obj, key);
  if (!v || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

std::string string(const ordered_json& obj, const char* key, const std::string& fallback = "") {
  const ordered_json* v = find(obj, key);
  return v && v->is_string() ? v->get<std::string>() : fallback;
}

// ---- formatting

std::string format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// 1234567 -> "1,234,567"; a non-integral or huge value as %.4g.
std::string count(double v) {
  if (!(v >= 0 && v < 1e18 && v == std::floor(v))) return format("%.4g", v);
  std::string digits = std::to_string(static_cast<unsigned long long>(v));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string count(std::optional<double> v) { return v ? count(*v) : "-"; }

std::string bytes(double b) {
  if (b >= 1024.0 * 1024 * 1024) return format("%.2f GiB", b / (1024.0 * 1024 * 1024));
  if (b >= 1024.0 * 1024) return format("%.2f MiB", b / (1024.0 * 1024));
  if (b >= 1024) return format("%.1f KiB", b / 1024);
  return count(b) + " B";
}

std::string bytes(std::optional<double> b) { return b ? bytes(*b) : "-"; }

std::string percent(double part, double whole) { return whole > 0 ? format("%.1f%%", 100.0 * part / whole) : "-"; }

// A label of at most `max` characters for a chart (the full text goes in its
// <title>): cut at a UTF-8 character boundary, with an ellipsis.
std::string shorten(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max - 1;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "\u2026";
}

// ---- charts: inline SVG

struct Bar {
  std::string label;  // the row's name (escaped here)
  double value;       // the bar's length is value / the largest value
  std::string note;   // printed right of the bar
};

constexpr double kChartWidth = 1040, kLabelWidth = 200, kBarX = 208, kBarMax = 540;

// A horizontal bar chart, a row per bar in the given order: the label left,
// the bar, the note right of it. Each bar is a <rect class="bar"> with its
// label in data-label and a tooltip (<title>).
std::string bar_chart(const std::vector<Bar>& bars, const std::string& css_class, const std::string& caption) {
  constexpr double row = 22, bar = 15;
  double max = 0;
  for (const Bar& b : bars) max = std::max(max, b.value);
  const double height = row * double(bars.size()) + 6;
  std::ostringstream os;
  os << "<svg class=\"chart " << css_class << "\" role=\"img\" aria-label=\"" << html_escape(caption)
     << "\" width=\"" << kChartWidth << "\" height=\"" << height << "\" viewBox=\"0 0 " << kChartWidth << " "
     << height << "\" xmlns=\"http://www.w3.org/2000/svg\">\n";
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const double y = 3 + row * double(i);
    const double w = max > 0 ? kBarMax * b.value / max : 0;
    const std::string label = html_escape(b.label), note = html_escape(b.note);
    os << "<text x=\"" << kLabelWidth << "\" y=\"" << format("%.0f", y + 12) << "\" text-anchor=\"end\">"
       << html_escape(shorten(b.label, 30)) << "</text>"
       << "<rect class=\"bar\" data-label=\"" << label << "\" x=\"" << kBarX << "\" y=\"" << y << "\" width=\""
       << format("%.1f", w) << "\" height=\"" << bar << "\"><title>" << label << ": " << note << "</title></rect>"
       << "<text x=\"" << format("%.1f", kBarX + w + 6) << "\" y=\"" << format("%.0f", y + 12) << "\">" << note
       << "</text>\n";
  }
  os << "</svg>\n";
  return os.str();
}

// A histogram: a column per bucket, its count above it, its label below
// (without its "<=" when `short_labels`). Each column is a <rect class="col">
// with its bucket in data-bucket.
std::string column_chart(const std::vector<std::string>& buckets, const std::vector<double>& counts,
                         const std::string& caption, double column, double plot_height, bool short_labels) {
  constexpr double top = 16, below = 18, gap = 4;
  double max = 0;
  for (double c : counts) max = std::max(max, c);
  const double width = std::max(120.0, column * double(buckets.size()) + 8);
  const double height = top + plot_height + below;
  std::ostringstream os;
  os << "<svg class=\"chart hist\" role=\"img\" aria-label=\"" << html_escape(caption) << "\" width=\"" << width
     << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << " " << height
     << "\" xmlns=\"http://www.w3.org/2000/svg\">\n";
  os << "<line class=\"axis\" x1=\"0\" y1=\"" << top + plot_height << "\" x2=\"" << width << "\" y2=\""
     << top + plot_height << "\"/>\n";
  for (size_t i = 0; i < buckets.size(); ++i) {
    const double h = max > 0 ? plot_height * counts[i] / max : 0;
    const double x = 4 + column * double(i), mid = x + column / 2;
    const std::string bucket = html_escape(buckets[i]);
    os << "<rect class=\"col\" data-bucket=\"" << bucket << "\" x=\"" << format("%.1f", x + gap / 2) << "\" y=\""
       << format("%.1f", top + plot_height - h) << "\" width=\"" << column - gap << "\" height=\""
       << format("%.1f", h) << "\"><title>" << bucket << ": " << count(counts[i]) << " DMAs</title></rect>";
    if (counts[i] > 0)
      os << "<text x=\"" << mid << "\" y=\"" << format("%.1f", top + plot_height - h - 3)
         << "\" text-anchor=\"middle\">" << count(counts[i]) << "</text>";
    const std::string label = short_labels && buckets[i].rfind("<=", 0) == 0 ? buckets[i].substr(2) : buckets[i];
    os << "<text x=\"" << mid << "\" y=\"" << top + plot_height + 13 << "\" text-anchor=\"middle\">"
       << html_escape(label) << "</text>\n";
  }
  os << "</svg>\n";
  return os.str();
}

// A share in [0, 1] as a small bar for a table cell.
std::string share_bar(double share) {
  const double w = 60 * std::clamp(share, 0.0, 1.0);
  return "<svg class=\"share\" width=\"60\" height=\"10\" viewBox=\"0 0 60 10\" xmlns=\"http://www.w3.org/2000/svg\">"
         "<rect class=\"track\" width=\"60\" height=\"10\"/><rect class=\"bar\" width=\"" +
         format("%.1f", w) + "\" height=\"10\"/></svg>";
}

const char* const kStyle =
    "body{font:14px/1.45 system-ui,sans-serif;color:#222;max-width:1200px;margin:20px auto;padding:0 12px}"
    "h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:3px;"
    "margin-top:30px}h3{font-size:15px;margin:18px 0 4px}"
    "nav a{margin-right:14px}p.lead{font-size:16px;margin:6px 0}.note{color:#555;font-size:12px}"
    "table{border-collapse:collapse;margin:6px 0}th,td{padding:2px 8px;border-bottom:1px solid #e3e3e3;"
    "text-align:left;vertical-align:top}th{background:#f3f3f3;font-weight:600}"
    ".n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "table.kv th{background:none;font-weight:normal;color:#555}table.kernels{font-size:12px}"
    "table.kernels td,table.kernels th{padding:2px 5px}"
    "code{font-size:12px}"
    ".chart{display:block;max-width:100%;height:auto}.chart text{font:12px system-ui,sans-serif;fill:#222}"
    ".chart .bar{fill:#4e79a7}.chart.path .bar{fill:#e15759}.hist .col{fill:#59a14f}.hist .axis{stroke:#999}"
    ".share .track{fill:#eee}.share .bar{fill:#76b7b2}"
    "figure{display:inline-block;margin:4px 14px 8px 0;vertical-align:top}figure .chart{display:inline}"
    "figcaption{font-size:12px;font-weight:600}.dma-kernel .chart text{font-size:10px}";

// ---- the page's parts

// The buckets of a histogram axis, smallest first: every power of two from
// the smallest of `seen` to the largest (a bucket no DMA fell in is a column
// of 0, not left out), then any label that is not a size.
std::vector<std::string> bucket_axis(const std::vector<std::string>& seen) {
  int lo = 64, hi = -1;
  std::vector<std::string> other;
  for (const std::string& b : seen) {
    const double bytes = histogram_bucket_bytes(b);
    const int l = bytes >= 1 && bytes < 1e300 ? int(std::lround(std::log2(bytes))) : -1;
    if (l >= 0 && l < 40 && sim::size_bucket_label(uint32_t(l)) == b) {
      lo = std::min(lo, l);
      hi = std::max(hi, l);
    } else {
      other.push_back(b);
    }
  }
  std::vector<std::string> axis;
  for (int l = lo; l <= hi; ++l) axis.push_back(sim::size_bucket_label(uint32_t(l)));
  axis.insert(axis.end(), other.begin(), other.end());
  return axis;
}

struct Kernel {
  const ordered_json* json;
  std::string name;
  double task_cycles;
};

// The report's kernels, most task cycles first (as the summary's table).
std::vector<Kernel> kernels_by_time(const ordered_json& r) {
  std::vector<Kernel> ks;
  if (const ordered_json* a = find(r, "kernels"); a && a->is_array())
    for (const ordered_json& k : *a) ks.push_back({&k, string(k, "name", "?"), number(k, "task_cycles").value_or(0)});
  std::stable_sort(ks.begin(), ks.end(),
                   [](const Kernel& a, const Kernel& b) { return a.task_cycles > b.task_cycles; });
  return ks;
}

// name -> cycles on the critical path.
std::map<std::string, double> path_cycles(const ordered_json& r) {
  std::map<std::string, double> m;
  if (const ordered_json* cp = find(r, "critical_path"))
    if (const ordered_json* ks = find(*cp, "kernels"); ks && ks->is_array())
      for (const ordered_json& k : *ks) m[string(k, "name", "?")] += number(k, "cycles").value_or(0);
  return m;
}

void kv_row(std::ostringstream& os, const std::string& key, const std::string& value_html) {
  os << "<tr><th>" << html_escape(key) << "</th><td>" << value_html << "</td></tr>\n";
}

void summary(std::ostringstream& os, const ordered_json& r) {
  const double total = number(r, "total_cycles").value_or(0);
  os << "<section id=\"summary\">\n<h2>Summary</h2>\n";
  os << "<p class=\"lead\"><b>" << count(total) << " cycles = " << format("%.2f", number(r, "total_us").value_or(0))
     << " us</b>";
  if (const auto ghz = number(r, "clock_ghz"))
    os << " on " << html_escape(string(r, "hw", "?")) << " at " << format("%.3g", *ghz) << " GHz";
  os << "</p>\n";
  // The answer first: what the end of the run waited on.
  const ordered_json* cp = find(r, "critical_path");
  if (cp) {
    os << "<p class=\"lead\">Critical path: the end of the run waited longest on ";
    const ordered_json* ks = find(*cp, "kernels");
    size_t shown = 0;
    if (ks && ks->is_array())
      for (; shown < ks->size() && shown < 3; ++shown) {
        const ordered_json& k = (*ks)[shown];
        const double c = number(k, "cycles").value_or(0);
        os << (shown ? ", " : "") << "<b>" << html_escape(string(k, "name", "?")) << "</b> " << count(c)
           << " cycles (" << percent(c, total) << ")";
      }
    if (!shown) os << "no kernel";
    os << " (<a href=\"#critical-path\">the whole path</a>).</p>\n";
  } else {
    os << "<p>This report has no critical path (a report of an older npusim).</p>\n";
  }
  if (const ordered_json* rf = find(r, "roofline")) {
    os << "<p>Roofline: bound " << count(number(*rf, "bound_cycles")) << " cycles (GM "
       << count(number(*rf, "gm_bound_cycles")) << ", cube " << count(number(*rf, "cube_bound_cycles"))
       << "); simulated / bound = " << format("%.2f", number(*rf, "ratio").value_or(0)) << "</p>\n";
  }
  // The totals (a counter an older report lacks: "-").
  static const ordered_json kEmpty = ordered_json::object();
  const ordered_json* tp = find(r, "totals");
  const ordered_json& t = tp ? *tp : kEmpty;
  os << "<table class=\"kv\">\n";
  kv_row(os, "tasks, launches", count(number(t, "tasks")) + " tasks, " + count(number(t, "launches")) + " launches");
  kv_row(os, "instructions", count(number(t, "instructions")));
  kv_row(os, "launch overhead (sum over launches)", count(number(t, "launch_overhead_cycles")) + " cycles");
  kv_row(os, "dispatch wait (sum over tasks)", count(number(t, "dispatch_wait_cycles")) + " cycles");
  kv_row(os, "GM DMAs", count(number(t, "dma_count")) + " (" + bytes(number(t, "dma_bytes")) + "): loads " +
                            count(number(t, "load_count")) + " (" + bytes(number(t, "load_bytes")) + "), stores " +
                            count(number(t, "store_count")) + " (" + bytes(number(t, "store_bytes")) + ")");
  kv_row(os, "memory system", bytes(number(t, "dma_bus_bytes")) + " moved; L2 hits " + count(number(t, "l2_hits")) +
                                  ", misses " + count(number(t, "l2_misses")) + "; HBM " +
                                  bytes(number(t, "hbm_bytes")));
  kv_row(os, "scalar GM reads", count(number(t, "scalar_reads")));
  kv_row(os, "flops", count(number(t, "flops")));
  kv_row(os, "execution records", count(number(t, "exec_records")) + ": exec mean " +
                                      format("%.2f", number(t, "exec_us_mean").value_or(0)) + " us, latency mean " +
                                      format("%.2f", number(t, "latency_us_mean").value_or(0)) + " us");
  os << "</table>\n";
  // What the report was made from.
  os << "<h3>Provenance</h3>\n<table class=\"kv\">\n";
  const ordered_json* p = find(r, "provenance");
  auto file = [](const ordered_json& f) {
    return "<code>" + html_escape(string(f, "path", "?")) + "</code> <span class=\"note\">fnv1a64 " +
           html_escape(string(f, "fnv1a64", "?")) + "</span>";
  };
  if (p) {
    kv_row(os, "npusim", html_escape(string(*p, "npusim", "?")) + " (commit " + html_escape(string(*p, "commit", "?")) +
                             ")");
    if (const ordered_json* hw = find(*p, "hw")) kv_row(os, "hardware", file(*hw));
    if (const ordered_json* bases = find(*p, "hw_bases"); bases && bases->is_array())
      for (const ordered_json& b : *bases) kv_row(os, "hardware base", file(b));
    for (const char* k : {"workload", "program"})
      if (const ordered_json* f = find(*p, k)) kv_row(os, k, file(*f));
    if (const ordered_json* set = find(*p, "set"); set && set->is_array()) {
      std::string s;
      for (const ordered_json& o : *set)
        if (o.is_string())
          s += (s.empty() ? "" : " ") + ("<code>--set " + html_escape(o.get<std::string>()) + "</code>");
      kv_row(os, "overrides", s.empty() ? "none" : s);
    }
    if (const auto seed = number(*p, "seed")) kv_row(os, "seed", count(*seed));
    if (const ordered_json* in = find(*p, "inputs")) kv_row(os, "inputs", file(*in));
  } else {
    kv_row(os, "workload", "<code>" + html_escape(string(r, "workload", "?")) + "</code>");
    kv_row(os, "provenance", "not recorded (a report of an npusim before 0.1.0)");
  }
  os << "</table>\n</section>\n";
}

void kernel_time(std::ostringstream& os, const ordered_json& r, const std::vector<Kernel>& ks) {
  const double total = number(r, "total_cycles").value_or(0);
  double all = 0;
  for (const Kernel& k : ks) all += k.task_cycles;
  os << "<section id=\"kernels\">\n<h2>Time per kernel</h2>\n"
        "<p class=\"note\">A bar per kernel: its task cycles, the sum over its tasks of (end - start) on their "
        "core group, and its share of all kernels' task cycles. Tasks on different core groups overlap, so the "
        "shares are of the work, not of the run's " << count(total) << " cycles.</p>\n";
  std::vector<Bar> bars;
  for (const Kernel& k : ks) bars.push_back({k.name, k.task_cycles, count(k.task_cycles) + " cycles (" +
                                                                          percent(k.task_cycles, all) + ")"});
  os << bar_chart(bars, "time", "task cycles per kernel");
  // The summary's table: time %, path %, then the registry's summary columns.
  const std::map<std::string, double> on_path = path_cycles(r);
  os << "<table class=\"kernels\">\n<tr><th>kernel</th><th class=\"n\">time %</th><th class=\"n\">path %</th>";
  std::vector<const sim::CounterInfo*> cols;
  for (const sim::CounterInfo& c : sim::counters())
    if (c.summary && c.agg != sim::Agg::Histogram) {
      cols.push_back(&c);
      os << "<th class=\"n\" title=\"" << html_escape(c.description) << "\">" << html_escape(c.summary) << "</th>";
    }
  os << "</tr>\n";
  for (const Kernel& k : ks) {
    const auto path = on_path.find(k.name);
    os << "<tr><td>" << html_escape(k.name) << "</td><td class=\"n\">" << percent(k.task_cycles, all)
       << "</td><td class=\"n\">" << (path == on_path.end() ? "-" : percent(path->second, total)) << "</td>";
    for (const sim::CounterInfo* c : cols) {
      std::string text = "-";
      if (c->agg == sim::Agg::Stat) {
        if (const ordered_json* s = find(*k.json, c->key))
          if (const auto mean = number(*s, "mean")) text = format("%.2f", *mean);
      } else if (const auto v = number(*k.json, c->key)) {
        text = std::string(c->unit) == "bytes" ? bytes(*v) : count(*v);
      }
      os << "<td class=\"n\">" << text << "</td>";
    }
    os << "</tr>\n";
  }
  os << "</table>\n<p class=\"note\">path %: the kernel's cycles on the critical path / the run's cycles. The "
        "other columns are sums over the kernel's tasks; exec us and latency us are means per execution "
        "record.</p>\n</section>\n";
}

void critical_path(std::ostringstream& os, const ordered_json& r) {
  os << "<section id=\"critical-path\">\n<h2>Critical path</h2>\n";
  const ordered_json* cp = find(r, "critical_path");
  if (!cp) {
    os << "<p>Not in this report (a report of an older npusim).</p>\n</section>\n";
    return;
  }
  const double total = number(r, "total_cycles").value_or(0);
  os << "<p>Walking back from the task that ends last through what held each dispatch: "
     << count(number(*cp, "tasks")) << " tasks.";
  if (const ordered_json* w = find(*cp, "waited_for")) {
    os << " Their dispatches waited for the scheduler " << count(number(*w, "scheduler").value_or(0))
       << " times, a dependency " << count(number(*w, "dependency").value_or(0)) << ", a core group "
       << count(number(*w, "core_group").value_or(0)) << ", submission " << count(number(*w, "submit").value_or(0))
       << ".";
  }
  os << "</p>\n<p class=\"note\">A bar per kernel: its cycles on the path and their share of the run's "
     << count(total) << " cycles; with the time before the first dispatch they add up to the run.</p>\n";
  std::vector<Bar> bars;
  const auto first = number(*cp, "first_dispatch_cycles");
  if (first)
    bars.push_back({"(before the first dispatch)", *first, count(*first) + " cycles (" + percent(*first, total) + ")"});
  if (const ordered_json* ks = find(*cp, "kernels"); ks && ks->is_array())
    for (const ordered_json& k : *ks) {
      const double c = number(k, "cycles").value_or(0);
      bars.push_back({string(k, "name", "?"), c,
                      count(c) + " cycles (" + percent(c, total) + "), " + count(number(k, "tasks")) + " tasks"});
    }
  // Longest first; the time before the first dispatch stays on top.
  std::stable_sort(bars.begin() + (first ? 1 : 0), bars.end(),
                   [](const Bar& a, const Bar& b) { return a.value > b.value; });
  os << bar_chart(bars, "path", "cycles on the critical path per kernel") << "</section>\n";
}

void dma_sizes(std::ostringstream& os, const ordered_json& r, const std::vector<Kernel>& ks) {
  const char* key = "dma_size_histogram";
  os << "<section id=\"dma-sizes\">\n<h2>DMA sizes</h2>\n"
        "<p class=\"note\">GM DMAs by payload size, rounded up to a power of two: the whole run, then each kernel "
        "that made DMAs (on the same buckets).</p>\n";
  // Every bucket of the totals and the kernels, smallest first.
  std::vector<std::string> buckets;
  auto collect = [&](const ordered_json& obj) {
    if (const ordered_json* h = find(obj, key); h && h->is_object())
      for (const auto& [b, n] : h->items())
        if (std::find(buckets.begin(), buckets.end(), b) == buckets.end()) buckets.push_back(b);
  };
  if (const ordered_json* t = find(r, "totals")) collect(*t);
  for (const Kernel& k : ks) collect(*k.json);
  buckets = bucket_axis(buckets);
  if (buckets.empty()) {
    os << "<p>No DMA size histogram in this report (no DMAs, or a report of an older npusim).</p>\n</section>\n";
    return;
  }
  auto counts = [&](const ordered_json& obj) {
    std::vector<double> c(buckets.size(), 0);
    if (const ordered_json* h = find(obj, key))
      for (size_t i = 0; i < buckets.size(); ++i) c[i] = number(*h, buckets[i].c_str()).value_or(0);
    return c;
  };
  if (const ordered_json* t = find(r, "totals"))
    os << "<figure class=\"dma-total\"><figcaption>all kernels: " << count(number(*t, "dma_count"))
       << " DMAs</figcaption>\n"
       << column_chart(buckets, counts(*t), "DMAs per size, all kernels", 64, 150, false) << "</figure>\n<div>\n";
  for (const Kernel& k : ks) {
    const std::vector<double> c = counts(*k.json);
    double n = 0;
    for (double v : c) n += v;
    if (n == 0) continue;
    os << "<figure class=\"dma-kernel\" data-kernel=\"" << html_escape(k.name) << "\"><figcaption>"
       << html_escape(k.name) << ": " << count(n) << " DMAs</figcaption>\n"
       << column_chart(buckets, c, "DMAs per size, kernel " + k.name, 40, 60, true) << "</figure>\n";
  }
  os << "</div>\n</section>\n";
}

void sites(std::ostringstream& os, const ordered_json& r, const std::vector<Kernel>& ks) {
  os << "<section id=\"sites\">\n<h2>Costs per source site</h2>\n";
  const ordered_json* ss = find(r, "sites");
  if (!ss || !ss->is_array()) {
    os << "<p>Not in this report.</p>\n</section>\n";
    return;
  }
  os << "<p class=\"note\">Per kernel (most task cycles first), a row per source site and instruction kind, most "
        "busy cycles first: the cycles its instructions held their pipe and their share of the kernel's; a "
        "launch row counts the launches of a launch site and their overhead.</p>\n";
  // Sites grouped by kernel, in the kernels' order (then any kernel not in the list).
  std::vector<std::string> order;
  for (const Kernel& k : ks) order.push_back(k.name);
  std::map<std::string, std::vector<const ordered_json*>> by_kernel;
  for (const ordered_json& s : *ss) {
    const std::string k = string(s, "kernel", "?");
    if (!by_kernel.count(k) && std::find(order.begin(), order.end(), k) == order.end()) order.push_back(k);
    by_kernel[k].push_back(&s);
  }
  for (const std::string& k : order) {
    auto it = by_kernel.find(k);
    if (it == by_kernel.end()) continue;
    std::vector<const ordered_json*>& rows = it->second;
    std::stable_sort(rows.begin(), rows.end(), [](const ordered_json* a, const ordered_json* b) {
      return number(*a, "busy_cycles").value_or(0) > number(*b, "busy_cycles").value_or(0);
    });
    os << "<h3>" << html_escape(k) << "</h3>\n<table class=\"sites\" data-kernel=\"" << html_escape(k)
       << "\">\n<tr><th>site</th><th>op</th><th class=\"n\">count</th><th class=\"n\">bytes</th>"
          "<th class=\"n\">busy cycles</th><th>busy share</th><th class=\"n\">launch overhead cy</th>"
          "<th class=\"n\">L2 hits</th><th class=\"n\">L2 misses</th><th class=\"n\">HBM bytes</th></tr>\n";
    for (const ordered_json* s : rows) {
      const auto share = number(*s, "busy_share");
      os << "<tr><td>" << html_escape(string(*s, "site", "?")) << "</td><td><code>"
         << html_escape(string(*s, "op", "?")) << "</code></td><td class=\"n\">" << count(number(*s, "count"))
         << "</td><td class=\"n\">" << bytes(number(*s, "bytes")) << "</td><td class=\"n\">"
         << count(number(*s, "busy_cycles")) << "</td><td class=\"n\">"
         << (share ? share_bar(*share) + " " + format("%.1f%%", 100 * *share) : "-") << "</td><td class=\"n\">"
         << (find(*s, "launch_overhead_cycles") ? count(number(*s, "launch_overhead_cycles")) : "")
         << "</td><td class=\"n\">" << (find(*s, "l2_hits") ? count(number(*s, "l2_hits")) : "")
         << "</td><td class=\"n\">" << (find(*s, "l2_misses") ? count(number(*s, "l2_misses")) : "")
         << "</td><td class=\"n\">" << (find(*s, "hbm_bytes") ? bytes(number(*s, "hbm_bytes")) : "")
         << "</td></tr>\n";
    }
    os << "</table>\n";
  }
  os << "</section>\n";
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string html_report(const ordered_json& r, const std::string& source) {
  std::string what = string(r, "workload");
  if (const ordered_json* p = find(r, "provenance"))
    for (const char* k : {"workload", "program"})
      if (const ordered_json* f = find(*p, k)) what = string(*f, "path", what);
  const std::string hw = string(r, "hw", "?");
  const std::vector<Kernel> ks = kernels_by_time(r);
  std::ostringstream os;
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        // Nothing is fetched: no script, no external style, images only as data: URLs.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<link rel=\"icon\" href=\"data:,\">\n"
     << "<title>npusim: " << html_escape(what.empty() ? "report" : what) << " on " << html_escape(hw) << "</title>\n"
     << "<style>" << kStyle << "</style>\n</head>\n<body>\n"
     << "<h1>npusim report: " << html_escape(what.empty() ? "(workload not recorded)" : what) << "</h1>\n"
     << "<nav><a href=\"#summary\">summary</a><a href=\"#kernels\">time per kernel</a>"
        "<a href=\"#critical-path\">critical path</a><a href=\"#dma-sizes\">DMA sizes</a>"
        "<a href=\"#sites\">costs per site</a></nav>\n";
  summary(os, r);
  kernel_time(os, r, ks);
  critical_path(os, r);
  dma_sizes(os, r, ks);
  sites(os, r, ks);
  os << "<footer><p class=\"note\">Made by npusim from " << html_escape(source)
     << "; the report's keys are described in npusim's README, \"The report\".</p></footer>\n</body>\n</html>\n";
  return os.str();
}

}  // namespace cli
