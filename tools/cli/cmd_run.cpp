// npusim run / disasm: load a hardware config and a program, simulate, report.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/program_options.hpp>

#include "isa/text.h"
#include "isa/validate.h"
#include "sim/core_engine.h"
#include "sim/npu.h"
#include "sim/stats.h"
#include "tools/cli/cli.h"
#include "workloads/workload.h"

namespace po = boost::program_options;

namespace cli {

namespace {

// Parse `args` against `desc`; prints help and returns false on --help.
bool parse(const std::vector<std::string>& args, const po::options_description& desc, po::variables_map& vm,
           const char* usage) {
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  if (vm.count("help")) {
    std::cout << usage << "\n" << desc;
    return false;
  }
  po::notify(vm);
  return true;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw isa::ProgramError("cannot open program file '" + path + "'");
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

isa::Program load_program(const po::variables_map& vm) {
  if (vm.count("program") && vm.count("workload"))
    throw po::error("give either --workload or --program, not both");
  isa::Program p = vm.count("program")
                       ? isa::parse_program(read_file(vm["program"].as<std::string>()),
                                            vm["program"].as<std::string>())
                       : workloads::build_workload_file(vm["workload"].as<std::string>());
  isa::validate_program(p);
  return p;
}

}  // namespace

int cmd_run(const std::vector<std::string>& args) {
  return guarded([&] {
    po::options_description desc("npusim run options");
    desc.add_options()("help,h", "this help")(
        "hw", po::value<std::string>()->default_value("configs/hw/a2a3.yaml"), "hardware config (YAML)")(
        "workload", po::value<std::string>(), "workload description (configs/workloads/*.yaml)")(
        "program", po::value<std::string>(), "a program in the text format (see `npusim disasm`)")(
        "report", po::value<std::string>(), "write the JSON report to this file")(
        "trace", po::value<std::string>(), "write a Chrome/Perfetto trace to this file")(
        "quiet,q", "do not print the summary");
    po::variables_map vm;
    if (!parse(args, desc, vm, "usage: npusim run --workload FILE|--program FILE [--hw FILE] [options]"))
      return kOk;
    if (!vm.count("workload") && !vm.count("program")) throw po::error("give --workload FILE or --program FILE");
    const sim::HwConfig hw = sim::load_hw_config(vm["hw"].as<std::string>());
    const isa::Program p = load_program(vm);
    sim::RunOptions opts;
    if (vm.count("trace")) opts.trace_path = vm["trace"].as<std::string>();
    sim::RunResult r = sim::simulate(p, hw, opts);
    r.report["workload"] = vm.count("workload") ? vm["workload"].as<std::string>() : vm["program"].as<std::string>();
    if (vm.count("report")) {
      std::ofstream out(vm["report"].as<std::string>());
      if (!out) throw std::runtime_error("cannot write report '" + vm["report"].as<std::string>() + "'");
      out << r.report.dump(2) << "\n";
    }
    if (!vm.count("quiet")) std::cout << sim::format_summary(r.report);
    return kOk;
  });
}

int cmd_disasm(const std::vector<std::string>& args) {
  return guarded([&] {
    po::options_description desc("npusim disasm options");
    desc.add_options()("help,h", "this help")("workload", po::value<std::string>(), "workload description")(
        "program", po::value<std::string>(), "a text program (parsed, validated and printed again)")(
        "output,o", po::value<std::string>(), "write here instead of stdout");
    po::variables_map vm;
    if (!parse(args, desc, vm, "usage: npusim disasm --workload FILE [-o FILE]")) return kOk;
    if (!vm.count("workload") && !vm.count("program")) throw po::error("give --workload FILE or --program FILE");
    const std::string text = isa::print_program(load_program(vm));
    if (vm.count("output")) {
      std::ofstream out(vm["output"].as<std::string>());
      if (!out) throw std::runtime_error("cannot write '" + vm["output"].as<std::string>() + "'");
      out << text;
    } else {
      std::cout << text;
    }
    return kOk;
  });
}

}  // namespace cli
