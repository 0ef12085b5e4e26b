// npusim compare A.json B.json [C.json ...]: reports side by side, with the
// change of each against the first, so a reader sees which kernels moved.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "sim/counters.h"
#include "tools/cli/cli.h"
#include "tools/cli/report_io.h"

namespace po = boost::program_options;
using nlohmann::ordered_json;

namespace cli {

namespace {

// A number of a report (load_report checked its type), or none when absent.
std::optional<double> value(const ordered_json& obj, const std::string& key) {
  const auto it = obj.find(key);
  return it == obj.end() ? std::nullopt : std::optional<double>(it->get<double>());
}

std::string delta(std::optional<double> base, std::optional<double> v) {
  if (!base || !v) return "";
  if (*base == *v) return "=";
  char buf[64];
  if (*base == 0) {
    std::snprintf(buf, sizeof buf, "%+.0f", *v - *base);
  } else {
    std::snprintf(buf, sizeof buf, "%+.1f%%", 100.0 * (*v - *base) / *base);
  }
  return buf;
}

std::string cell(std::optional<double> v, int decimals) {
  if (!v) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, *v);
  return buf;
}

// One table row: label, then per report its value and (after the first) its delta.
void row(const std::string& label, const std::vector<std::optional<double>>& vals, int decimals = 0) {
  std::printf("  %-26s", label.c_str());
  for (size_t i = 0; i < vals.size(); ++i) {
    std::printf(" %14s", cell(vals[i], decimals).c_str());
    if (i) std::printf(" %9s", delta(vals[0], vals[i]).c_str());
  }
  std::printf("\n");
}

// The buckets of histogram `key` in any of `objs` (null: absent), smallest first.
std::vector<std::string> buckets(const std::vector<const ordered_json*>& objs, const char* key) {
  std::vector<std::string> out;
  for (const ordered_json* o : objs) {
    if (!o || !o->contains(key)) continue;
    for (const auto& [b, n] : (*o)[key].items())
      if (std::find(out.begin(), out.end(), b) == out.end()) out.push_back(b);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const std::string& a, const std::string& b) { return histogram_bucket_bytes(a) < histogram_bucket_bytes(b); });
  return out;
}

// A row per counter of the registry for `objs` (one per report: its totals or
// one kernel, null where absent): a summed counter as is, a histogram one row
// per bucket, a Stat counter (in us, two decimals) `<key>_mean` in the `totals`
// and a row per part in a kernel. With `skip_zero`, rows that are 0 or absent
// everywhere are left out.
void counter_rows(const std::vector<const ordered_json*>& objs, bool skip_zero, bool totals) {
  auto emit = [&](const std::string& label, const std::function<std::optional<double>(const ordered_json&)>& get,
                  int decimals = 0) {
    std::vector<std::optional<double>> v;
    bool any = false;
    for (const ordered_json* o : objs) {
      v.push_back(o ? get(*o) : std::nullopt);
      any |= v.back().value_or(0) != 0;
    }
    if (any || !skip_zero) row(label, v, decimals);
  };
  for (const sim::CounterInfo& c : sim::counters()) {
    if (c.agg == sim::Agg::Sum) {
      emit(c.key, [&](const ordered_json& o) { return value(o, c.key); });
      continue;
    }
    if (c.agg == sim::Agg::Stat) {  // totals: `<key>_mean`; a kernel: a row per part (`exec_us min`)
      if (totals) {
        emit(c.totals_key(), [&](const ordered_json& o) { return value(o, c.totals_key()); }, 2);
        continue;
      }
      for (const std::string& part : c.parts())
        emit(std::string(c.key) + " " + part, [&](const ordered_json& o) {
          return o.contains(c.key) ? value(o[c.key], part) : std::nullopt;
        }, 2);
      continue;
    }
    for (const std::string& b : buckets(objs, c.key))
      emit(std::string(c.key) + " " + b, [&](const ordered_json& o) {
        return o.contains(c.key) ? value(o[c.key], b) : std::nullopt;
      });
  }
}

// What a report was made from, on one line: "workload W [hash], hw H [hash]
// (bases ...), --set K=V ..., seed N; npusim V (commit C)" (hashes: the first
// 8 hex digits of FNV-1a 64). load_report checked the types read here.
std::string provenance_line(const ordered_json& r) {
  const auto it = r.find("provenance");
  if (it == r.end()) return "no provenance (a report of an npusim before 0.1.0)";
  const ordered_json& p = *it;
  auto file = [](const ordered_json& f) {
    std::string s = f.value("path", std::string("?"));
    const std::string h = f.value("fnv1a64", std::string());
    if (!h.empty()) s += " [" + h.substr(0, 8) + "]";
    return s;
  };
  std::string out;
  for (const char* k : {"workload", "program"})
    if (p.contains(k)) out += std::string(k) + " " + file(p[k]);
  if (p.contains("hw")) {
    out += std::string(out.empty() ? "" : ", ") + "hw " + file(p["hw"]);
    if (p.contains("hw_bases"))
      for (const auto& b : p["hw_bases"]) out += " <- base " + file(b);
  }
  if (p.contains("set"))
    for (const auto& o : p["set"]) out += ", --set " + o.get<std::string>();
  if (p.contains("seed")) out += ", seed " + p["seed"].dump();
  if (p.contains("npusim") || p.contains("commit"))
    out += "; npusim " + p.value("npusim", std::string("?")) + " (commit " + p.value("commit", std::string("?")) + ")";
  return out;
}

void header(const std::string& title, const std::vector<std::string>& names) {
  std::printf("%-28s", title.c_str());
  for (size_t i = 0; i < names.size(); ++i) {
    std::printf(" %14.14s", names[i].c_str());
    if (i) std::printf(" %9s", "change");
  }
  std::printf("\n");
}

}  // namespace

int cmd_compare(const std::vector<std::string>& args) {
  return guarded([&] {
    po::options_description desc("npusim compare options");
    desc.add_options()("help,h", "this help")("reports", po::value<std::vector<std::string>>(),
                                              "the reports (positional): JSON files of `npusim run --report`");
    po::positional_options_description pos;
    pos.add("reports", -1);
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: npusim compare A.json B.json [C.json ...]\n"
                   "Prints two or more reports of `npusim run --report` side by side, each column named by its\n"
                   "file (without .json): first what each report was made from (its provenance: workload, hw\n"
                   "and their hashes, --set overrides, npusim version and commit), then total_cycles, total_us,\n"
                   "the roofline bound and ratio and every counter of the totals, then per kernel every counter\n"
                   "that is not 0 in all reports. After the first report each value has its change against the\n"
                   "first: a percentage, \"=\" when equal, +N when the first is 0, nothing when one is missing.\n"
                   "Reports of older versions (without newer counters or provenance) compare; a file that is not\n"
                   "shaped like a report is an error naming the file and the JSON path.\n"
                   "\nExit status: 0 printed; 2 bad input (fewer than two reports, a file missing or not a\n"
                   "report); 3 an internal error (a bug in npusim).\n\n"
                << desc;
      return kOk;
    }
    po::notify(vm);
    if (!vm.count("reports") || vm["reports"].as<std::vector<std::string>>().size() < 2)
      throw po::error("compare needs at least two reports");
    const auto files = vm["reports"].as<std::vector<std::string>>();
    std::vector<ordered_json> reports;
    std::vector<std::string> names;
    for (const std::string& f : files) {
      reports.push_back(load_report(f));
      names.push_back(report_label(f));
    }
    // load_report checked every key read here: present where required, a number.
    for (size_t i = 0; i < reports.size(); ++i)
      std::printf("%-14s %s\n", (names[i] + ":").c_str(), provenance_line(reports[i]).c_str());
    std::printf("\n");
    header("totals", names);
    {
      std::vector<std::optional<double>> cycles;
      std::vector<const ordered_json*> totals;
      for (const auto& r : reports) {
        cycles.push_back(value(r, "total_cycles"));
        totals.push_back(&r["totals"]);
      }
      row("total_cycles", cycles);
      std::vector<std::optional<double>> us;
      for (const auto& r : reports) us.push_back(r["total_us"].get<double>());
      row("total_us", us, 2);
      // The roofline: its bound (reports before it was recorded lack the
      // cycles: "-") and simulated / bound.
      for (const char* k : {"bound_cycles", "gm_bound_cycles", "cube_bound_cycles"}) {
        std::vector<std::optional<double>> v;
        for (const auto& r : reports) v.push_back(value(r["roofline"], k));
        row(std::string("roofline ") + k, v);
      }
      std::vector<std::optional<double>> ratio;
      for (const auto& r : reports) ratio.push_back(r["roofline"]["ratio"].get<double>());
      row("roofline ratio", ratio, 2);
      counter_rows(totals, false, true);
    }
    // Kernels in order of first appearance across the reports.
    std::vector<std::string> kernels;
    std::vector<std::map<std::string, const ordered_json*>> by_name(reports.size());
    for (size_t i = 0; i < reports.size(); ++i)
      for (const auto& k : reports[i]["kernels"]) {
        const std::string n = k["name"].get<std::string>();
        if (std::find(kernels.begin(), kernels.end(), n) == kernels.end()) kernels.push_back(n);
        by_name[i][n] = &k;
      }
    for (const std::string& kn : kernels) {
      std::printf("\n");
      header("kernel " + kn, names);
      std::vector<const ordered_json*> objs;
      for (size_t i = 0; i < reports.size(); ++i) {
        auto it = by_name[i].find(kn);
        objs.push_back(it == by_name[i].end() ? nullptr : it->second);
      }
      counter_rows(objs, true, false);
    }
    return kOk;
  });
}

}  // namespace cli
