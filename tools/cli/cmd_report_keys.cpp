// npusim report-keys [--markdown]: the report's counters as the registry
// (sim/counters.h) declares them. --markdown prints the README's table.
#include <cstdio>
#include <iostream>

#include <boost/program_options.hpp>

#include "sim/counters.h"
#include "tools/cli/cli.h"

namespace po = boost::program_options;

namespace cli {

int cmd_report_keys(const std::vector<std::string>& args) {
  return guarded([&] {
    po::options_description desc("npusim report-keys options");
    desc.add_options()("help,h", "this help")("markdown", "the README's table (markdown)");
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: npusim report-keys [--markdown]\n"
                   "The counters of the report's totals and of each kernel: key, unit, how it aggregates,\n"
                   "whether `check` compares it, and what it counts; --markdown prints the README's table.\n"
                   "\nExit status: 0 printed; 2 bad input (an option); 3 an internal error (a bug in npusim).\n\n"
                << desc;
      return kOk;
    }
    po::notify(vm);
    if (vm.count("markdown")) {
      std::fputs(sim::counters_markdown().c_str(), stdout);
      return kOk;
    }
    for (const sim::CounterInfo& c : sim::counters())
      std::printf("%-24s %-14s %-9s %-5s %s\n", c.key, c.unit, c.agg == sim::Agg::Sum ? "sum" : c.agg == sim::Agg::Stat ? "mean" : "histogram",
                  c.gated() ? "check" : "-", c.description);
    return kOk;
  });
}

}  // namespace cli
