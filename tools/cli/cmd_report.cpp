// npusim report REPORT.json [-o FILE.html]: the HTML page of a report
// (tools/cli/html_report.h).
#include <cstdio>
#include <iostream>

#include <boost/program_options.hpp>

#include "sim/file_io.h"
#include "tools/cli/cli.h"
#include "tools/cli/html_report.h"
#include "tools/cli/report_io.h"

namespace po = boost::program_options;

namespace cli {

int cmd_report(const std::vector<std::string>& args) {
  return guarded([&] {
    po::options_description desc("npusim report options");
    desc.add_options()("help,h", "this help")("output,o", po::value<std::string>(),
                                              "write the page here instead of to standard output")(
        "report", po::value<std::string>(), "the report (positional): a JSON file of `npusim run --report`");
    po::positional_options_description pos;
    pos.add("report", 1);
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: npusim report REPORT.json [-o FILE.html]\n"
                   "Writes the HTML page of a report of `npusim run --report` (the page `npusim run --html FILE`\n"
                   "writes): one self-contained file, no script, nothing fetched, readable in any browser\n"
                   "without a server. It shows the summary (total time, the critical path's longest kernels,\n"
                   "the roofline, the totals, what the report was made from), a bar chart of the task cycles\n"
                   "per kernel with the kernel table, a bar chart of the critical path per kernel, the DMA size\n"
                   "histograms (the whole run and each kernel) and a table per kernel of the costs per source\n"
                   "site. Sections a report of an older npusim lacks say so. A file that is not shaped like a\n"
                   "report is an error naming the file and the JSON path.\n"
                   "\nExit status: 0 written; 2 bad input (an option, the report missing or not a report, an\n"
                   "output that cannot be written); 3 an internal error (a bug in npusim).\n\n"
                << desc;
      return kOk;
    }
    po::notify(vm);
    if (!vm.count("report")) throw po::error("give the report: npusim report REPORT.json -o FILE.html");
    const std::string path = vm["report"].as<std::string>();
    const std::string page = html_report(load_report(path), "the report " + path);
    if (vm.count("output")) {
      sim::write_file(vm["output"].as<std::string>(), page, "the HTML report");
    } else {
      std::cout << page;
    }
    return kOk;
  });
}

}  // namespace cli
