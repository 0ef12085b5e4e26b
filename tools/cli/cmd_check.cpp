// npusim check REPORT.json --baseline BASE.json [--tolerance 1%] [--strict] [--update]:
// a regression gate on total cycles, launches and DMAs, in total and per kernel.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <boost/program_options.hpp>

#include "sim/file_io.h"
#include "tools/cli/check.h"
#include "tools/cli/cli.h"
#include "tools/cli/report_io.h"

namespace po = boost::program_options;

namespace cli {

namespace {

std::string percent(double fraction) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g%%", fraction * 100);
  return buf;
}

}  // namespace

int cmd_check(const std::vector<std::string>& args) {
  return guarded([&] {
    po::options_description desc("npusim check options");
    desc.add_options()("help,h", "this help")("baseline", po::value<std::string>(), "the baseline report (JSON)")(
        "tolerance", po::value<std::string>()->default_value("1%"),
        "growth allowed before a metric counts as a regression (percent)")(
        "strict", "shrinking past the tolerance fails too (the baseline must be updated on purpose)")(
        "update", "write REPORT over BASE (without its \"sim\" timings) instead of failing")(
        "report", po::value<std::string>(), "the report to check (JSON from npusim run --report)");
    po::positional_options_description pos;
    pos.add("report", 1);
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: npusim check REPORT.json --baseline BASE.json [--tolerance 1%] [--strict] [--update]\n"
                   "Compares total_cycles and the launches, dma_count and dma_bytes of the totals and of each\n"
                   "kernel; exit 1 when one grew past the tolerance (printing what and by how much), 0 otherwise.\n"
                   "Exit status: 0 ok (or --update wrote BASE); 1 a regression; 2 bad input (an option, a file\n"
                   "missing or not a report); 3 an internal error (a bug in npusim).\n"
                << desc;
      return kOk;
    }
    po::notify(vm);
    if (!vm.count("report")) throw po::error("give the report to check: npusim check REPORT.json --baseline BASE.json");
    if (!vm.count("baseline")) throw po::error("give --baseline BASE.json");
    double tol = 0;
    try {
      tol = check::parse_tolerance(vm["tolerance"].as<std::string>());
    } catch (const isa::InputError& e) {
      throw po::error(e.what());
    }
    const std::string report_path = vm["report"].as<std::string>();
    const std::string base_path = vm["baseline"].as<std::string>();
    nlohmann::ordered_json report = load_report(report_path);

    if (vm.count("update")) {
      // Only a regular file holds an old baseline to compare with (not /dev/full).
      if (std::filesystem::is_regular_file(base_path) || std::filesystem::is_directory(base_path)) {
        const check::Result r = check::compare(report, load_report(base_path), 0.0);
        std::vector<check::Metric> moved = r.grown;
        moved.insert(moved.end(), r.shrunk.begin(), r.shrunk.end());
        if (moved.empty())
          std::printf("check: %s: no compared metric moved\n", base_path.c_str());
        else
          std::printf("check: %s: %zu metrics moved:\n%s", base_path.c_str(), moved.size(),
                      check::table(moved).c_str());
      }
      report.erase("sim");
      sim::write_file(base_path, report.dump(2) + "\n", "the baseline");
      std::printf("check: wrote %s\n", base_path.c_str());
      return kOk;
    }

    // What moved first, the verdict last: "ok" only when nothing failed.
    const check::Result r = check::compare(report, load_report(base_path), tol);
    const bool strict = vm.count("strict") != 0;
    std::vector<check::Metric> bad = r.grown;
    if (strict) bad.insert(bad.end(), r.shrunk.begin(), r.shrunk.end());
    if (!strict && !r.shrunk.empty())
      std::printf("check: %zu metrics shrank past %s (not a failure; keep the gain: --update):\n%s", r.shrunk.size(),
                  percent(tol).c_str(), check::table(r.shrunk).c_str());
    if (!bad.empty()) {
      std::printf("check: %s against %s: %zu of %zu metrics %s past %s:\n%s", report_path.c_str(),
                  base_path.c_str(), bad.size(), r.compared.size(), strict ? "moved" : "grew",
                  percent(tol).c_str(), check::table(bad).c_str());
      std::printf("check: if this is intended, update the baseline: npusim check %s --baseline %s --update\n",
                  report_path.c_str(), base_path.c_str());
      std::printf("check: FAILED (%zu of %zu metrics %s past %s)\n", bad.size(), r.compared.size(),
                  strict ? "moved" : "grew", percent(tol).c_str());
      return kRegression;
    }
    if (r.shrunk.empty())
      std::printf("check: ok (%zu metrics within %s)\n", r.compared.size(), percent(tol).c_str());
    else
      std::printf("check: ok (%zu metrics, none grew past %s; %zu shrank past it, above)\n", r.compared.size(),
                  percent(tol).c_str(), r.shrunk.size());
    return kOk;
  });
}

}  // namespace cli
