// npusim compare A.json B.json [C.json ...]: reports side by side, with the
// change of each against the first, so a reader sees which kernels moved.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

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

std::string cell(std::optional<double> v) {
  if (!v) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", *v);
  return buf;
}

// One table row: label, then per report its value and (after the first) its delta.
void row(const std::string& label, const std::vector<std::optional<double>>& vals) {
  std::printf("  %-26s", label.c_str());
  for (size_t i = 0; i < vals.size(); ++i) {
    std::printf(" %14s", cell(vals[i]).c_str());
    if (i) std::printf(" %9s", delta(vals[0], vals[i]).c_str());
  }
  std::printf("\n");
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
    desc.add_options()("help,h", "this help")("reports", po::value<std::vector<std::string>>(), "reports");
    po::positional_options_description pos;
    pos.add("reports", -1);
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: npusim compare A.json B.json [C.json ...]\n" << desc;
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
    auto total = [&](const std::string& key) {
      std::vector<std::optional<double>> v;
      for (const auto& r : reports) v.push_back(key == "total_cycles" ? value(r, key) : value(r["totals"], key));
      return v;
    };
    header("totals", names);
    row("total_cycles", total("total_cycles"));
    for (const std::string& k : report_total_keys()) row(k, total(k));
    {
      std::vector<std::optional<double>> us, ratio;
      for (const auto& r : reports) {
        us.push_back(r["total_us"].get<double>());
        ratio.push_back(r["roofline"]["ratio"].get<double>() * 100);
      }
      row("total_us (x1)", us);
      row("roofline ratio (x100)", ratio);
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
      for (const std::string& key : report_kernel_keys()) {
        std::vector<std::optional<double>> v;
        bool any = false;
        for (size_t i = 0; i < reports.size(); ++i) {
          auto it = by_name[i].find(kn);
          if (it == by_name[i].end()) {
            v.push_back(std::nullopt);
          } else {
            v.push_back(value(*it->second, key));
            any |= v.back().value_or(0) != 0;
          }
        }
        if (any) row(key, v);
      }
    }
    return kOk;
  });
}

}  // namespace cli
